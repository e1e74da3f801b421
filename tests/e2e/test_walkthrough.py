"""The README walkthrough, steps 1–7, a CAD upload and the review, against the real system started as a
subprocess.

Twice: on the embedded defaults (``archbuilder serve``) and on the emulators
(``python -m tools.run_emulated``: Firestore, Pub/Sub and fake-gcs-server, every event
function under functions-framework with the pusher in front, the dev server on the Google
adapters). In the emulated mode the CLI runs with the environment ``run_emulated`` writes,
so that it talks to the same Firestore emulator. A missing emulator fails that mode;
``ARCHBUILDER_SKIP_EMULATORS=1`` skips it instead, outside CI only (as the contract suites).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from ezdxf.recover import read as recover_dxf

from tests.conftest import REPO_ROOT, SHARED_DATA
from tests.e2e.dev_server import create_tenant, dev_server, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BIN = Path(sys.executable).parent
IFC = SHARED_DATA / "ifc" / "AC20-FZK-Haus_IFC4.ifc"
SKIP_ENV = "ARCHBUILDER_SKIP_EMULATORS"
# ``run_emulated`` exits with this when an emulator is missing or does not start.
EMULATOR_UNAVAILABLE = 3
# Set by the contract suites' fixtures in this process: never hand them to the emulated system.
EMULATOR_VARIABLES = (
    "FIRESTORE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
    "PUBSUB_PROJECT_ID",
    "STORAGE_EMULATOR_HOST",
    "FIREBASE_AUTH_EMULATOR_HOST",
)


@dataclass(frozen=True)
class Server:
    mode: str
    base: str
    env: dict[str, str]  # for the CLI: it must reach the same data as the server


@pytest.fixture(scope="module", params=["embedded", "emulated"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if request.param == "embedded":
        yield from _embedded(tmp_path_factory)
    else:
        yield from _emulated(tmp_path_factory)


# The README's brief: seven rooms on a 12 × 9 m footprint.
README_BRIEF: dict[str, Any] = {
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


def _embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("e2e-data")
    with dev_server(data_dir) as (base, env):
        yield Server("embedded", base, env)
    assert "No tenant yet" in (data_dir / "server.log").read_text()


def _emulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``python -m tools.run_emulated`` in its own process group; stopped with SIGTERM, after
    which it must have stopped every emulator and function it started."""
    work = tmp_path_factory.mktemp("e2e-emulated")
    env_file, log_path = work / "client.env", work / "run_emulated.log"
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if k not in EMULATOR_VARIABLES}
    argv = [sys.executable, "-m", "tools.run_emulated", "--port", str(port), "--env-file", str(env_file)]
    argv += ["--data-dir", str(work / "data"), "--no-auth"]
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=clean, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        while not env_file.exists():
            if process.poll() is not None:
                log_text = log_path.read_text(errors="replace")
                if process.returncode == EMULATOR_UNAVAILABLE:
                    if os.environ.get(SKIP_ENV) == "1" and not os.environ.get("CI"):
                        pytest.skip(f"{log_text.strip()[-500:]} ({SKIP_ENV}=1)")
                    pytest.fail(log_text.strip()[-3000:], pytrace=False)
                pytest.fail(
                    f"run_emulated exited with {process.returncode}:\n{log_text[-5000:]}", pytrace=False
                )
            if time.monotonic() - started > 120:
                pytest.fail(
                    f"run_emulated not ready in 120 s:\n{log_path.read_text()[-5000:]}", pytrace=False
                )
            time.sleep(0.2)
        sys.stderr.write(f"run_emulated ready in {time.monotonic() - started:.1f} s\n")
        written = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
        assert written["ARCHBUILDER_BASE_URL"] == f"http://127.0.0.1:{port}"
        assert requests.get(f"{written['ARCHBUILDER_BASE_URL']}/v1/health", timeout=5).status_code == 200
        yield Server("emulated", written["ARCHBUILDER_BASE_URL"], clean | written)
    finally:
        stopped = _stop(process)
    log_text = log_path.read_text(errors="replace")
    assert stopped and process.returncode == 0, f"run_emulated did not stop cleanly:\n{log_text[-5000:]}"
    assert "No tenant yet" in log_text
    # Everything it started is gone: no emulator, function or server still listens.
    hosts = [
        written[k].removeprefix("http://") for k in EMULATOR_VARIABLES if k.endswith("_HOST") and k in written
    ]
    hosts.append(f"127.0.0.1:{port}")
    assert not [h for h in hosts if _listening(h)], log_text[-3000:]


def _stop(process: subprocess.Popen[bytes]) -> bool:
    """SIGTERM, then up to 90 s for run_emulated to stop what it started; SIGKILL its group after."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=90)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        return False


def _listening(host: str) -> bool:
    name, port = host.rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((name, int(port))) == 0


def test_walkthrough(server: Server) -> None:
    base, env = server.base, server.env
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
            "--plan",
            "professional",
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
    brief = README_BRIEF
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
    doc, _ = recover_dxf(io.BytesIO(dxf.content))  # in the code page its header names
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
    other = create_tenant(env, "Other")
    other_key = {"X-API-Key": other["api_key"]}
    assert requests.get(f"{base}/v1/projects/{project_id}", headers=other_key).status_code == 404
    # Still there, unchanged.
    assert (
        requests.get(f"{base}/v1/projects/{project_id}/layouts/{layout_id}/versions/1", headers=key).json()[
            "payload"
        ]
        == payload
    )
    assert len(requests.get(f"{base}/v1/projects/{project_id}/layouts", headers=key).json()["items"]) == 1

    # 8. A CAD upload: the signed URL, the PUT, then the model once cad_ingest has read it
    # (emulated: fake-gcs → notification → Pub/Sub → pusher → cad_ingest as a Storage CloudEvent).
    data = IFC.read_bytes()
    started = requests.post(
        f"{base}/v1/projects/{project_id}/uploads",
        json={
            "filename": IFC.name,
            "size_bytes": len(data),
            "content_type": "application/octet-stream",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        headers=key,
    )
    assert started.status_code == 201, started.text
    upload = started.json()
    if server.mode == "emulated":
        signed = env["ARCHBUILDER_SIGNED_URL_ENDPOINT"]
        assert (
            upload["upload_url"].startswith(f"{signed}/uploads/")
            and "X-Goog-Signature=" in upload["upload_url"]
        )
    put = requests.put(upload["upload_url"], data=data, headers=upload["headers"], timeout=60)
    assert put.status_code == 200, put.text
    if server.mode == "embedded":
        # The URL is create-only: a second PUT is refused. (fake-gcs-server checks neither the
        # signature nor x-goog-if-generation-match of an XML-API PUT; Cloud Storage does both.)
        again = requests.put(upload["upload_url"], data=data, headers=upload["headers"], timeout=60)
        assert again.status_code in (409, 412), again.text
    model_url = f"{base}/v1/projects/{project_id}/models/{upload['model_id']}"
    deadline = time.monotonic() + 90
    while True:
        model = requests.get(model_url, headers=key).json()
        if model["status"] in ("ready", "failed"):
            break
        assert time.monotonic() < deadline, model
        time.sleep(0.25)
    assert model["status"] == "ready", model
    assert model["format"] == "ifc" and model["schema"] == "IFC4"
    assert model["stats"]["spaces"] == 7 and model["stats"]["levels"] == 2
    assert any("Schlafzimmer" in s["name"] for s in model["spaces"])
    job = requests.get(f"{base}/v1/jobs/{upload['job_id']}", headers=key).json()
    assert job["status"] == "succeeded", job
    assert requests.get(model_url, headers=other_key).status_code == 404

    # 9. Review (the professional plan has the review workflow): queued, approved.
    queue = requests.get(f"{base}/v1/reviews", headers=key)
    assert queue.status_code == 200, queue.text
    assert [entry["layout_id"] for entry in queue.json()["items"]] == [layout_id]
    layout_url = f"{base}/v1/projects/{project_id}/layouts/{layout_id}"
    decided = requests.post(f"{layout_url}/review", json={"decision": "approve"}, headers=key)
    assert decided.status_code in (200, 201), decided.text
    approved = requests.get(layout_url, headers=key).json()
    assert approved["status"] == "approved" and approved["approved_version"] == 1
    # The other tenant is on the free plan: no review workflow there.
    assert requests.get(f"{base}/v1/reviews", headers=other_key).status_code == 403
