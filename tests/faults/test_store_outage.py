"""The document store unavailable for a while: requests answer 503 with ``Retry-After`` (never a
500), nothing is half-written, and a job whose event arrived during the outage finishes after it.

The outage of the embedded store is another process's writer holding SQLite's write lock past
the store's busy timeout (what a stuck backup or a full disk looks like to the functions). The
issue's 30 s are shortened to 2.5 s, with a busy timeout of 0.4 s instead of 10 s.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from archbuilder.adapters.local.inprocess_bus import InProcessEventBus
from archbuilder.platform.settings import Environment, Settings
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials
from tests.faults.conftest import SIGNING_KEY, CapturingBus

OUTAGE_S = 2.5
BRIEF = {
    "building_type": "apartment",
    "footprint": {"width_mm": 10000, "depth_mm": 8000},
    "rooms": [{"type": "living_room"}, {"type": "kitchen"}, {"type": "bedroom"}, {"type": "bathroom"}],
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.test,
        data_dir=tmp_path / "data",
        sqlite_busy_timeout_s=0.4,
        # Enough redeliveries to outlast the outage (0.1 s, doubling), as Pub/Sub's backoff would.
        event_retry_base_s=0.1,
        event_max_attempts=8,
        url_signing_key=SIGNING_KEY,
        _env_file=None,  # type: ignore[call-arg]
    )


@contextmanager
def outage(database: Path) -> Iterator[threading.Thread]:
    """Another connection holds the write lock for OUTAGE_S (started now), then lets go."""
    locked = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        threading.Event().wait(OUTAGE_S)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold, name="store-outage")
    holder.start()
    assert locked.wait(5)
    try:
        yield holder
    finally:
        holder.join(OUTAGE_S + 5)


def test_requests_answer_503_during_a_store_outage_and_jobs_finish_after_it(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, bus: CapturingBus
) -> None:
    project = client.post("/v1/projects", json={"name": "Outage"}, headers=tenant.headers).json["id"]
    accepted = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=tenant.headers)
    assert accepted.status_code == 202, accepted.json
    (request,) = [c for c in bus.take() if c.function == "layout_worker"]
    real_bus = runtime.bus
    assert isinstance(real_bus, InProcessEventBus)

    with outage(runtime.settings.data_dir / "documents.sqlite3") as holder:
        # The job's event arrives now; its deliveries fail and are retried by the bus.
        real_bus.emit("layout-requests", request.event)
        answers = [
            client.post("/v1/projects", json={"name": "During"}, headers=tenant.headers),
            client.get(f"/v1/jobs/{accepted.json['job_id']}", headers=tenant.headers),
            client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=tenant.headers),
        ]
        still_down = holder.is_alive()
    assert still_down, "the outage ended before the requests were made"
    for answer in answers:
        assert answer.status_code == 503, answer.json
        assert answer.json["error"]["code"] == "STORE_UNAVAILABLE"
        assert int(answer.headers["Retry-After"]) > 0
        assert "{" not in answer.json["error"]["message"]

    assert real_bus.drain(timeout=30)
    root = f"tenants/{tenant.tenant_id}"
    assert runtime.store.query(Query("dead_letters")) == []
    job = client.get(f"/v1/jobs/{accepted.json['job_id']}", headers=tenant.headers).json
    assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    layout = f"{root}/projects/{project}/layouts/{accepted.json['layout_id']}"
    assert [v.id for v in runtime.store.query(Query(f"{layout}/versions"))] == ["1"]
    # Nothing the refused requests began was kept: one project, one layout, one job.
    assert len(runtime.store.query(Query(f"{root}/projects"))) == 1
    assert len(runtime.store.query(Query(f"{root}/jobs"))) == 1
    # And the service answers again.
    assert client.post("/v1/projects", json={"name": "After"}, headers=tenant.headers).status_code == 201
