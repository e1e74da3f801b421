"""The README's five-minute tour, run as a new user runs it (issue 17).

In a folder holding what a fresh clone holds (the repository's tracked files, as they are in the
working tree, and the virtual environment ``make`` creates), with the dev server started as
``make run`` starts it, with its data in ``ARCHBUILDER_DATA_DIR`` and on a free ``PORT``: every
```sh block of the tour runs in order in one bash session (``set -euo pipefail``), so later
blocks use the variables earlier ones set, as in a terminal. The CLI in the tour is given
``PORT`` but not ``ARCHBUILDER_DATA_DIR``: it must find the server's folder itself.

Every HTTP answer the tour gets is below 400, but for the one refusal step 7 shows; what the
tour made is then read back, and the files it wrote are all git-ignored.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO_ROOT
from tests.e2e.dev_server import dev_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TOUR = "## Five-minute tour"
# Every curl of the tour also writes "HTTP <status> <method> <url>" to stderr.
CURL = """curl() { command curl -w '%{stderr}HTTP %{http_code} %{method} %{url_effective}\\n' "$@"; }"""


def tour_blocks(readme: str) -> list[str]:
    """The ```sh blocks of the tour section (up to the next ``## `` heading)."""
    start = readme.index(TOUR)
    end = readme.index("\n## ", start + len(TOUR))
    return re.findall(r"^```sh\n(.*?)^```", readme[start:end], flags=re.S | re.M)


def fresh_clone(target: Path) -> Path:
    """The tracked files as they are now (a clone of HEAD would miss the changes not yet
    committed) and the virtual environment: nothing a developer's own runs left behind."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        source = REPO_ROOT / raw.decode()
        if source.is_file() and not source.is_symlink():
            (target / raw.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / raw.decode())
    (target / ".venv").symlink_to(REPO_ROOT / ".venv")
    return target


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    blocks = tour_blocks((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) == 3, "the tour, its review and its CAD blocks"
    clone = fresh_clone(tmp_path / "clone")
    data_dir, run_dir = tmp_path / "data", tmp_path / "run"
    data_dir.mkdir()
    run_dir.mkdir()
    before = set(clone.iterdir())
    script = ["set -euo pipefail", CURL]
    for n, block in enumerate(blocks, 1):
        script += [block, f"echo '--- block {n} done' >&2"]
    script.append('printf "%s\\n" "$KEY" "$PROJECT" "$LAYOUT" "$JOB" "$MODEL" > "$TOUR_OUT"')

    with dev_server(data_dir, XDG_RUNTIME_DIR=str(run_dir)) as (base, server_env):
        # The second terminal: the server's PORT, not its ARCHBUILDER_DATA_DIR.
        env = {k: v for k, v in server_env.items() if k != "ARCHBUILDER_DATA_DIR"}
        env["TOUR_OUT"] = str(tmp_path / "tour.out")
        ran = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        trace = f"stdout:\n{ran.stdout[-4000:]}\nstderr:\n{ran.stderr[-4000:]}"
        assert ran.returncode == 0, trace
        assert ran.stderr.count("--- block") == 3, trace

        statuses = re.findall(r"^HTTP (\d{3}) (\S+) (\S+)$", ran.stderr, flags=re.M)
        refused = [(code, method, url) for code, method, url in statuses if int(code) >= 400]
        assert len(refused) == 1 and refused[0][0] == "422" and refused[0][1] == "POST", trace
        assert "PROGRAMME_TOO_LARGE" in ran.stdout

        key, project, layout, job, model = (tmp_path / "tour.out").read_text().split()
        headers = {"X-API-Key": key}
        project_url = f"{base}/v1/projects/{project}"
        done = requests.get(f"{base}/v1/jobs/{job}", headers=headers, timeout=10).json()
        assert done["status"] == "succeeded"
        reviewed = requests.get(f"{project_url}/layouts/{layout}", headers=headers, timeout=10).json()
        assert reviewed["status"] == "approved" and reviewed["approved_version"] == 2
        assert [v["version"] for v in reviewed["versions"]] == [1, 2]
        version = requests.get(f"{project_url}/layouts/{layout}/versions/2", headers=headers, timeout=10)
        ingested = requests.get(f"{project_url}/models/{model}", headers=headers, timeout=10).json()
        assert ingested["status"] == "ready" and ingested["format"] == "ifc", ingested
        assert ingested["stats"]["spaces"] == len(version.json()["payload"]["rooms"])
        assert any(d["is_entrance"] for d in ingested["doors"])  # the exported front door

    # What the tour wrote, and that git ignores all of it.
    written = {p.name: p for p in set(clone.iterdir()) - before}
    assert set(written) == {
        "layout.dxf",
        "report.html",
        "plan.svg",
        "plan.ifc",
        "analysis.html",
        "analysis.bcf",
    }
    assert "<html" in written["analysis.html"].read_text()[:200].lower()
    assert written["analysis.bcf"].read_bytes()[:2] == b"PK"  # a zip: BCF 2.1
    assert "SECTION" in written["layout.dxf"].read_text(errors="replace")[:200]
    assert "<html" in written["report.html"].read_text()[:200].lower()
    assert "<svg" in written["plan.svg"].read_text()[:500]
    assert written["plan.ifc"].read_text().startswith("ISO-10303-21")
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *sorted(written)], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert sorted(ignored.stdout.split()) == sorted(written), ignored
