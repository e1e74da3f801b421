"""checkov over the Terraform: no failed check, and every skipped one says why inline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.support import INFRA, MANIFEST_PATH, REPO_ROOT, checkov


def _scan_tree(tmp: Path) -> Path:
    """Only what Terraform reads (the root .tf files, infra/, the manifest and the index
    catalogue): checkov never walks .venv, node_modules or build output."""
    tree = tmp / "tf"
    tree.mkdir()
    for path in REPO_ROOT.glob("*.tf"):
        shutil.copy(path, tree / path.name)
    shutil.copytree(INFRA, tree / "infra")
    (tree / "functions").mkdir()
    shutil.copy(MANIFEST_PATH, tree / "functions" / "manifest.yaml")
    indexes = REPO_ROOT / "firestore.indexes.json"
    if indexes.exists():
        shutil.copy(indexes, tree / indexes.name)
    return tree


def _run(tree: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            checkov(),
            "--directory",
            str(tree),
            "--framework",
            "terraform",
            "--skip-download",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # 0: no failure, 1: failures; anything else is checkov itself failing.
    assert done.returncode in (0, 1), f"checkov crashed ({done.returncode}):\n{done.stderr[-3000:]}"
    report = json.loads(done.stdout)
    assert isinstance(report, dict) and report.get("check_type") == "terraform", report
    return report


@pytest.mark.slow
def test_checkov_finds_nothing_unexplained(tmp_path: Path) -> None:
    report = _run(_scan_tree(tmp_path))
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, summary
    # The scan reached the region module (not just the root file).
    assert summary["resource_count"] >= 50, summary

    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]}): {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert not failed, "checkov findings: fix them, or skip inline with a reason:\n" + "\n".join(failed)

    for check in report["results"]["skipped_checks"]:
        reason = (check.get("check_result") or {}).get("suppress_comment") or ""
        assert len(reason.strip()) >= 20, (
            f"{check['check_id']} on {check['resource']} is skipped without a stated reason: "
            "write `#checkov:skip=<ID>:<why>`"
        )


@pytest.mark.slow
def test_checkov_fails_a_public_bucket(tmp_path: Path) -> None:
    """The scan is live: a bucket without public access prevention is reported."""
    tree = tmp_path / "bad"
    tree.mkdir()
    (tree / "main.tf").write_text(
        'resource "google_storage_bucket" "open" {\n  name     = "open"\n  location = "EU"\n}\n',
        encoding="utf-8",
    )
    report = _run(tree)
    assert "CKV_GCP_114" in {c["check_id"] for c in report["results"]["failed_checks"]}
