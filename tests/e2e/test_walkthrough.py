"""The README walkthrough, steps 1–7, against the real dev server started as a subprocess."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import ezdxf
import pytest
import requests

from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    env = os.environ | {"PORT": str(port), "ARCHBUILDER_DATA_DIR": str(data_dir), "ARCHBUILDER_ENV": "local"}
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "archbuilder"), "serve"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, (data_dir / "server.log").read_text()
            assert time.monotonic() < deadline, "server did not start in 30 s"
            time.sleep(0.2)
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    assert "No tenant yet" in (data_dir / "server.log").read_text()


def test_walkthrough(server: tuple[str, dict[str, str]]) -> None:
    base, env = server
    # 1. A tenant and its API key from the console script.
    created = subprocess.run(
        [
            str(BIN / "archbuilder"),
            "admin",
            "create-tenant",
            "--name",
            "Demo Mimarlık",
            "--region",
            "eu",
            "--code-region",
            "TR",
            "--language",
            "tr",
            "--json",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    credentials = json.loads(created.stdout)
    assert set(credentials) == {"tenant_id", "api_key"} and credentials["api_key"].startswith("ab_live_")
    key = {"X-API-Key": credentials["api_key"]}

    # 2. A project.
    project = requests.post(
        f"{base}/v1/projects",
        json={"name": "Moda Apartmanı", "code_region": "TR", "language": "tr", "units": "metric"},
        headers=key,
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]

    # 3. A brief: 202 with a job and a layout.
    brief = {
        "building_type": "apartment",
        "footprint": {"width_mm": 12000, "depth_mm": 9000},
        "rooms": [
            {"type": "living_room", "name": "Salon", "target_area_m2": 25},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 2},
            {"type": "bathroom"},
            {"type": "wc"},
            {"type": "hall"},
        ],
        "entrance": {"side": "south"},
        "level_height_mm": 2800,
    }
    accepted = requests.post(
        f"{base}/v1/projects/{project_id}/layouts",
        json=brief,
        headers=key | {"X-Correlation-ID": "e2e-walkthrough"},
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["X-Correlation-ID"] == "e2e-walkthrough"
    job_id, layout_id = accepted.json()["job_id"], accepted.json()["layout_id"]

    # 4. The job runs to success.
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while True:
        job = requests.get(f"{base}/v1/jobs/{job_id}", headers=key).json()
        seen.append(job["status"])
        assert 0 <= job["progress"] <= 100
        if job["status"] in ("succeeded", "failed"):
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["status"] == "succeeded", job
    assert job["result"] == {"layout_id": layout_id, "version": 1}

    # 5. The layout with its version; references resolve.
    layout = requests.get(f"{base}/v1/projects/{project_id}/layouts/{layout_id}", headers=key).json()
    assert [v["version"] for v in layout["versions"]] == [1]
    version = requests.get(
        f"{base}/v1/projects/{project_id}/layouts/{layout_id}/versions/1", headers=key
    ).json()
    payload = version["payload"]
    walls = {w["id"] for w in payload["walls"]}
    assert payload["doors"] and payload["windows"] and len(payload["rooms"]) == 7
    assert all(o["host_wall_id"] in walls for o in payload["doors"] + payload["windows"])
    assert all(0 <= o["position_ratio"] <= 1 for o in payload["doors"] + payload["windows"])

    # 6. Exports.
    export = f"{base}/v1/projects/{project_id}/layouts/{layout_id}/versions/1/export"
    assert requests.get(export, params={"format": "json"}, headers=key).json() == payload
    dxf = requests.get(export, params={"format": "dxf"}, headers=key)
    assert dxf.status_code == 200
    doc = ezdxf.read(io.StringIO(dxf.content.decode("utf-8")))
    assert len(doc.modelspace().query('LWPOLYLINE[layer=="A-WALL"]')) == len(payload["walls"])

    # 7. Bad input: clear 4xx in the caller's language, nothing lost.
    too_big = dict(
        brief, footprint={"width_mm": 6000, "depth_mm": 5000}, rooms=[{"type": "bedroom", "count": 8}]
    )
    refused = requests.post(f"{base}/v1/projects/{project_id}/layouts", json=too_big, headers=key)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "PROGRAMME_TOO_LARGE"
    assert "Oda programı" in refused.json()["error"]["message"]
    open_polygon = dict(
        brief, footprint={"polygon": [{"x": 0, "y": 0}, {"x": 9000, "y": 0}, {"x": 9000, "y": 9000}]}
    )
    invalid = requests.post(
        f"{base}/v1/projects/{project_id}/layouts", json=open_polygon, headers=key | {"Accept-Language": "en"}
    )
    assert invalid.status_code == 422 and "not valid" in invalid.json()["error"]["message"]
    unknown_type = dict(brief, rooms=[{"type": "ballroom"}])
    assert (
        requests.post(f"{base}/v1/projects/{project_id}/layouts", json=unknown_type, headers=key).status_code
        == 422
    )
    assert (
        requests.get(f"{base}/v1/projects/{project_id}", headers={"X-API-Key": "ab_live_nope"}).status_code
        == 401
    )
    assert requests.get(f"{base}/v1/projects/{project_id}").status_code == 401
    other = subprocess.run(
        [str(BIN / "archbuilder"), "admin", "create-tenant", "--name", "Other", "--json"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    other_key = {"X-API-Key": json.loads(other.stdout)["api_key"]}
    assert requests.get(f"{base}/v1/projects/{project_id}", headers=other_key).status_code == 404
    # Still there, unchanged.
    assert (
        requests.get(f"{base}/v1/projects/{project_id}/layouts/{layout_id}/versions/1", headers=key).json()[
            "payload"
        ]
        == payload
    )
    assert len(requests.get(f"{base}/v1/projects/{project_id}/layouts", headers=key).json()["items"]) == 1
