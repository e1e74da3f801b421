"""A layout worker instance SIGKILLed while it plans: the job is neither lost nor done twice.

The worker runs in its own process (functions-framework's server, the function's real entry
point) on the embedded store of the test. The test pushes it the layout-requests CloudEvent,
waits until the job is planning, and kills the process group. Pub/Sub then redelivers the same
event to another instance: while the dead attempt's lease runs it is acknowledged and nothing is
redone; after the lease (3 s here, 300 s in production) it resumes the job, which ends with one
version. The maintenance tick would have handed the job back too.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent
from flask.testing import FlaskClient

from archbuilder.domain.job import Job
from archbuilder.domain.timestamps import now
from archbuilder.platform.events import pubsub_event
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials
from tests.faults.conftest import Captured, CapturingBus, deliver, eventually, function_client, worker_process

# Five bedrooms and three variants: about two seconds of planning, a wide window to kill in.
BIG_BRIEF = {
    "building_type": "apartment",
    "footprint": {"width_mm": 20000, "depth_mm": 14000},
    "entrance": {"side": "south"},
    "rooms": [
        {"type": "living_room"},
        {"type": "kitchen"},
        {"type": "bedroom", "count": 5},
        {"type": "bathroom", "count": 2},
        {"type": "wc"},
        {"type": "hall"},
        {"type": "storage"},
    ],
    "options": {"variants": 3},
}
LEASE_S = 3.0


def push(url: str, event: CloudEvent, timeout: float = 60) -> int | str:
    """POST the event as Eventarc does; the status, or what broke the connection."""
    headers, body = to_binary(event)
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return type(exc).__name__


def test_a_worker_killed_mid_planning_resumes_on_redelivery_with_one_version(
    runtime: Runtime,
    tenant: TenantCredentials,
    client: FlaskClient,
    bus: CapturingBus,
    tmp_path: Path,
) -> None:
    project = client.post("/v1/projects", json={"name": "Killed"}, headers=tenant.headers).json["id"]
    accepted = client.post(f"/v1/projects/{project}/layouts", json=BIG_BRIEF, headers=tenant.headers)
    assert accepted.status_code == 202, accepted.json
    job_id, layout_id = accepted.json["job_id"], accepted.json["layout_id"]
    (request,) = [c for c in bus.take() if c.function == "layout_worker"]
    job_path = f"tenants/{tenant.tenant_id}/jobs/{job_id}"
    layout_path = f"tenants/{tenant.tenant_id}/projects/{project}/layouts/{layout_id}"

    def job() -> Job:
        snapshot = runtime.store.get(job_path)
        assert snapshot is not None
        return Job.model_validate(snapshot.data)

    def versions() -> list[int]:
        return [int(v.id) for v in runtime.store.query(Query(f"{layout_path}/versions"))]

    env = {"ARCHBUILDER_JOB_LEASE_S": str(LEASE_S)}
    data_dir = runtime.settings.data_dir
    with worker_process("layout_worker", data_dir, tmp_path, **env) as first:
        answers: list[int | str] = []
        pushing = threading.Thread(target=lambda: answers.append(push(first.url, request.event)))
        pushing.start()
        assert eventually(lambda: job().stage == "planning", timeout=30), first.log.read_text()
        first.kill()
        pushing.join(30)
    # The push never got its 2xx: Pub/Sub will redeliver. Killed mid-planning: no version yet.
    assert answers and answers[0] != 200
    killed = job()
    assert (killed.status.value, killed.stage, killed.attempts) == ("running", "planning", 1)
    assert versions() == []

    with worker_process("layout_worker", data_dir, tmp_path, **env) as second:
        # A redelivery inside the dead attempt's lease is acknowledged and starts nothing.
        assert push(second.url, request.event) == 200
        assert (job().status.value, job().attempts) == ("running", 1)
        # The maintenance tick sees the expired lease and hands the job back.
        assert eventually(lambda: _lease_expired(job()), timeout=LEASE_S + 2)
        tick = bus_tick(bus)
        assert [c.function for c in tick] == ["layout_worker"]
        # The redelivered event (or the handed-back one) resumes the job: one version, once.
        assert push(second.url, request.event) == 200
        assert push(second.url, tick[0].event) == 200

    done = job()
    assert (done.status.value, done.attempts, done.error) == ("succeeded", 2, None)
    assert versions() == [1]
    layout = runtime.store.get(layout_path)
    assert layout is not None and layout.data["status"] in ("requires_review", "generated", "approved")
    assert runtime.blobs.get(f"{layout_path}/versions/1/layout.json") is not None


def _lease_expired(job: Job) -> bool:
    return job.lease_expires_at is not None and job.lease_expires_at < now()


def bus_tick(bus: CapturingBus) -> list[Captured]:
    """Run the maintenance function once (its real entry point); what it published."""
    bus.take()
    event = pubsub_event(
        project="demo",
        topic="maintenance",
        subscription="maintenance-push",
        message_id="tick-1",
        data=b"{}",
        attributes={},
        published_at=datetime.now(UTC),
    )
    assert deliver(function_client("maintenance"), event) == 200
    return bus.take()
