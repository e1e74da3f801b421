"""A revision whose publish fails: accepted (202) and counted once, its job stays queued, and the
maintenance tick hands it to the workers again *as a revision*, with its parent version and the
architect's feedback (read from its decision), so the feedback is not lost on the way."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from archbuilder.adapters.gcp.pubsub_bus import PubSubEventBus
from archbuilder.domain.timestamps import now
from archbuilder.ports import Query
from archbuilder.runtime import Runtime, set_runtime
from archbuilder.services.maintenance import run_maintenance
from tests.conftest import TenantCredentials
from tests.faults.conftest import CapturingBus, deliver, free_port, function_client
from tests.faults.test_quota_contention import generated_layouts

PROJECT = "demo-archbuilder"


def test_a_revision_whose_publish_fails_is_requeued_with_its_feedback(
    runtime: Runtime,
    tenant: TenantCredentials,
    client: FlaskClient,
    bus: CapturingBus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (base,) = generated_layouts(client, bus, tenant, 1)
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{free_port()}")
    unreachable = PubSubEventBus(PROJECT, timeout_s=0.5)
    captured_runtime = replace(runtime, bus=bus)
    set_runtime(replace(captured_runtime, bus=unreachable))
    try:
        revised = client.post(f"{base}/revise", json={"feedback": "bigger kitchen"}, headers=tenant.headers)
    finally:
        set_runtime(captured_runtime)
        unreachable.close()
    assert revised.status_code == 202, revised.json
    job_id = revised.json["job_id"]
    assert client.get(f"/v1/jobs/{job_id}", headers=tenant.headers).json["status"] == "queued"
    root = f"tenants/{tenant.tenant_id}"
    assert len(runtime.store.query(Query(f"{root}/usage_ledger"))) == 2  # the brief and the revision

    later = now() + timedelta(minutes=11)
    assert run_maintenance(captured_runtime, at=later).jobs_requeued == 1
    (request,) = [c for c in bus.take() if c.function == "layout_worker"]
    sent = json.loads(base64.b64decode(request.event.data["message"]["data"]))
    assert (sent["job_id"], sent["version"], sent["parent_version"], sent["feedback"]) == (
        job_id,
        2,
        1,
        "bigger kitchen",
    )
    assert deliver(function_client("layout_worker"), request.event) == 200
    job = client.get(f"/v1/jobs/{job_id}", headers=tenant.headers).json
    assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    version = client.get(f"{base}/versions/2", headers=tenant.headers).json
    assert version["parent_version"] == 1 and version["metadata"]["feedback"] == "bigger kitchen"
    assert len(runtime.store.query(Query(f"{root}/usage_ledger"))) == 2  # counted once
