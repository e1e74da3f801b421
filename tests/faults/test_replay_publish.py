"""A retried request (same Idempotency-Key) while the bus is down: a brief and a revision answer
alike. Their job is committed and still queued, so the retry answers 202 with the same job (a
503 would tell the client its accepted, paid-for request failed); the job is not dropped: the
maintenance tick publishes it once it is stale."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from archbuilder.domain.timestamps import now
from archbuilder.platform.errors import BusUnavailable
from archbuilder.ports import Query
from archbuilder.runtime import Runtime, get_runtime, set_runtime
from archbuilder.services.maintenance import run_maintenance
from tests.conftest import TenantCredentials
from tests.faults.conftest import CapturingBus
from tests.faults.test_quota_contention import BRIEF, generated_layouts


class RefusingBus:
    """A bus that is down: every publish raises ``BusUnavailable`` (and is counted)."""

    def __init__(self) -> None:
        self.attempts = 0

    def publish(
        self,
        topic: str,
        data: Mapping[str, Any],
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        self.attempts += 1
        raise BusUnavailable()


@contextmanager
def bus_down() -> Iterator[RefusingBus]:
    before = get_runtime()
    refusing = RefusingBus()
    set_runtime(replace(before, bus=refusing))
    try:
        yield refusing
    finally:
        set_runtime(before)


def _requeued_by_maintenance(runtime: Runtime, bus: CapturingBus, job_id: str) -> None:
    later = now() + timedelta(minutes=11)
    assert run_maintenance(replace(runtime, bus=bus), at=later).jobs_requeued == 1
    requests = [c for c in bus.take() if c.function == "layout_worker"]
    assert [c.event.data["message"]["attributes"]["job_id"] for c in requests] == [job_id]


def test_a_replayed_brief_answers_its_job_while_the_bus_is_down(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, bus: CapturingBus
) -> None:
    project = client.post("/v1/projects", json={"name": "Replay"}, headers=tenant.headers).json["id"]
    headers = {**tenant.headers, "Idempotency-Key": "brief-replay-1"}
    first = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=headers)
    assert first.status_code == 202, first.json
    bus.take()  # published once, never delivered: the job stays queued
    with bus_down() as down:
        again = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=headers)
    assert down.attempts == 1  # published again (its job had not started), which failed
    assert again.status_code == 202, again.json
    assert again.json["job_id"] == first.json["job_id"]
    root = f"tenants/{tenant.tenant_id}"
    assert len(runtime.store.query(Query(f"{root}/usage_ledger"))) == 1  # counted once
    _requeued_by_maintenance(runtime, bus, first.json["job_id"])


def test_a_replayed_revision_answers_its_job_while_the_bus_is_down(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, bus: CapturingBus
) -> None:
    (base,) = generated_layouts(client, bus, tenant, 1)
    headers = {**tenant.headers, "Idempotency-Key": "revise-replay-1"}
    first = client.post(f"{base}/revise", json={"feedback": "bigger kitchen"}, headers=headers)
    assert first.status_code == 202, first.json
    bus.take()
    with bus_down() as down:
        again = client.post(f"{base}/revise", json={"feedback": "bigger kitchen"}, headers=headers)
    assert down.attempts == 1
    assert again.status_code == 202, again.json
    assert again.json["job_id"] == first.json["job_id"]
    assert again.json["new_version"] == first.json["new_version"] == 2
    root = f"tenants/{tenant.tenant_id}"
    assert len(runtime.store.query(Query(f"{root}/usage_ledger"))) == 2  # the brief and the revision
    _requeued_by_maintenance(runtime, bus, first.json["job_id"])
