"""`terraform fmt -check`: the Terraform of the repository is formatted, and the check catches
a file that is not."""

from __future__ import annotations

from pathlib import Path

from tests.infra.support import REPO_ROOT, run_tf


def test_terraform_is_formatted(tmp_path: Path) -> None:
    done = run_tf(["fmt", "-check", "-recursive", "-list=true", "-no-color", "."], REPO_ROOT, tmp_path)
    assert done.returncode == 0, (
        "terraform fmt -check found unformatted files (run `terraform fmt -recursive`):\n"
        f"{done.stdout}{done.stderr}"
    )


def test_fmt_check_fails_on_unformatted_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "main.tf").write_text('variable "x" {\ntype=string\n    default   =  "a"\n}\n', encoding="utf-8")
    done = run_tf(["fmt", "-check", "-recursive", "-list=true", "-no-color", "."], bad, tmp_path)
    assert done.returncode != 0
    assert "main.tf" in done.stdout
