"""The load harness itself (``python -m bench.load``, issue 18), run small: 3 users for a few
seconds per phase on loopback. It must produce its report, see no 5xx, and find every accepted
brief with exactly one job and its version."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_load_harness_reports_and_finds_nothing_lost(tmp_path: Path) -> None:
    figures = tmp_path / "load.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            *("--users", "3", "--spawn-rate", "3", "--tenants", "3", "--duration", "6"),
            *("--brief-rates", "1", "--brief-duration", "3", "--drain", "60", "--json", str(figures)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "## Targets" in run.stdout and "| route (client side) |" in run.stdout
    summary = json.loads(figures.read_text())
    assert summary["server_errors"] == 0
    mixed = {route["name"]: route for route in summary["phases"]["mixed"]["routes"]}
    assert mixed["POST /v1/projects/{project_id}/layouts"]["count"] >= 3  # one per user at start
    assert all(route["server_errors"] == 0 for route in mixed.values())
    # Route templates, never raw ids, on both sides.
    assert not [name for name in mixed if re.search(r"\b(prj|job|lay|mdl|upl)_[a-z0-9]{6,}", name)]
    assert summary["phases"]["mixed"]["server_routes"][0]["store_reads"] is not None
    ledger = summary["ledger"]
    assert ledger["accepted_briefs"] >= 3 and ledger["lost"] == 0 and ledger["duplicated"] == 0
    assert summary["brief_latency"]["briefs@1"]["accepted"] >= 1
