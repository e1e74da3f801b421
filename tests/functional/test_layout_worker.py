"""layout_worker through functions-framework, fed real Pub/Sub CloudEvents over HTTP."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent
from flask.testing import FlaskClient
from functions_framework import create_app

from archbuilder.domain.brief import Brief
from archbuilder.domain.layout import PlanResult
from archbuilder.domain.project import ProjectCreate
from archbuilder.layout.planner import SpinePlanner
from archbuilder.platform.events import pubsub_event
from archbuilder.ports import Query
from archbuilder.runtime import Runtime, set_runtime
from archbuilder.services.identity import authenticate_api_key
from archbuilder.services.layouts import LAYOUT_REQUESTS_TOPIC, get_job, submit_layout
from archbuilder.services.projects import create_project
from tests.conftest import REPO_ROOT, TenantCredentials
from tests.functional.test_api_layouts import BRIEF


class RecordingBus:
    """An EventBus fake: keeps what is published so the test delivers it by hand."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def publish(
        self,
        topic: str,
        data: Mapping[str, Any],
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        self.messages.append((topic, dict(data), dict(attributes or {})))
        return f"m{len(self.messages)}"


class FlakyPlanner:
    """A planner adapter that fails its first ``failures`` calls, then plans for real."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def plan(self, brief: Brief) -> PlanResult:
        return self.plan_variants(brief)[0]

    def plan_variants(self, brief: Brief) -> list[PlanResult]:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("planner instance died")
        return SpinePlanner().plan_variants(brief)


@pytest.fixture
def worker() -> FlaskClient:
    app = create_app(
        target="layout_worker",
        source=str(REPO_ROOT / "functions/layout_worker/main.py"),
        signature_type="cloudevent",
    )
    return app.test_client()


def queued_job(runtime: Runtime, tenant: TenantCredentials) -> tuple[CloudEvent, dict[str, Any], Any]:
    """Submit the brief with a recording bus; return the CloudEvent Eventarc would push."""
    principal = authenticate_api_key(runtime.store, tenant.api_key)
    project = create_project(runtime.store, principal, ProjectCreate(name="p"))
    bus = RecordingBus()
    submit_layout(
        runtime.store, bus, principal, project.id, Brief.model_validate(BRIEF), idempotency_key=None
    )
    ((topic, data, attributes),) = [m for m in bus.messages if m[0] == LAYOUT_REQUESTS_TOPIC]
    return event_for(data, attributes), data, principal


def event_for(
    data: dict[str, Any], attributes: dict[str, str], published: datetime | None = None
) -> CloudEvent:
    return pubsub_event(
        project="demo",
        topic=LAYOUT_REQUESTS_TOPIC,
        subscription="layout_worker-push",
        message_id="msg-1",
        data=json.dumps(data).encode(),
        attributes=attributes,
        published_at=published or datetime.now(UTC),
    )


def deliver(worker: FlaskClient, event: CloudEvent, structured: bool = False) -> int:
    headers, body = to_structured(event) if structured else to_binary(event)
    return worker.post("/", headers=headers, data=body).status_code


def versions(runtime: Runtime, principal: Any, data: dict[str, Any]) -> list[Any]:
    return runtime.store.query(
        Query(
            f"tenants/{principal.tenant_id}/projects/{data['project_id']}/layouts/{data['layout_id']}/versions"
        )
    )


def test_event_runs_the_job_and_a_redelivery_changes_nothing(
    runtime: Runtime, tenant: TenantCredentials, worker: FlaskClient
) -> None:
    event, data, principal = queued_job(runtime, tenant)
    assert deliver(worker, event) == 200
    job = get_job(runtime.store, principal, data["job_id"], "en")
    assert job.status == "succeeded" and job.attempts == 1
    (first,) = versions(runtime, principal, data)
    assert deliver(worker, event, structured=True) == 200
    (again,) = versions(runtime, principal, data)
    assert again.data == first.data
    assert get_job(runtime.store, principal, data["job_id"], "en").attempts == 1


def test_a_crashed_attempt_is_retried_and_resumes(
    runtime: Runtime, tenant: TenantCredentials, worker: FlaskClient
) -> None:
    event, data, principal = queued_job(runtime, tenant)
    set_runtime(replace(runtime, planner=FlakyPlanner(failures=1)))
    assert deliver(worker, event) == 500  # Pub/Sub will redeliver
    job = get_job(runtime.store, principal, data["job_id"], "en")
    assert (job.status, job.stage, job.attempts) == ("queued", "retrying", 1)
    assert deliver(worker, event) == 200
    job = get_job(runtime.store, principal, data["job_id"], "en")
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert len(versions(runtime, principal, data)) == 1


def test_a_job_that_keeps_crashing_fails_with_a_reason(
    runtime: Runtime, tenant: TenantCredentials, worker: FlaskClient
) -> None:
    event, data, principal = queued_job(runtime, tenant)
    set_runtime(replace(runtime, planner=FlakyPlanner(failures=100)))
    codes = [deliver(worker, event) for _ in range(runtime.settings.job_max_attempts + 1)]
    assert codes == [500] * runtime.settings.job_max_attempts + [200]
    job = get_job(runtime.store, principal, data["job_id"], "tr")
    assert job.status == "failed" and job.error is not None
    assert job.error.code == "JOB_ATTEMPTS_EXHAUSTED" and data["job_id"] in job.error.message
    layout = runtime.store.get(
        f"tenants/{principal.tenant_id}/projects/{data['project_id']}/layouts/{data['layout_id']}"
    )
    assert layout is not None and layout.data["status"] == "failed"
    assert versions(runtime, principal, data) == []


def test_an_event_older_than_the_max_age_fails_its_job(
    runtime: Runtime, tenant: TenantCredentials, worker: FlaskClient
) -> None:
    _, data, principal = queued_job(runtime, tenant)
    stale = event_for(data, {}, published=datetime.now(UTC) - timedelta(hours=2))
    assert deliver(worker, stale) == 200
    job = get_job(runtime.store, principal, data["job_id"], "en")
    assert job.status == "failed" and job.error is not None and job.error.code == "JOB_EXPIRED"


def test_a_malformed_event_is_acknowledged_and_changes_nothing(
    runtime: Runtime, tenant: TenantCredentials, worker: FlaskClient
) -> None:
    _, data, principal = queued_job(runtime, tenant)
    broken = CloudEvent(
        {"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "//pubsub.googleapis.com/x"},
        {"message": {"data": "not base64 json!", "messageId": "1"}},
    )
    assert deliver(worker, broken) == 200
    wrong_payload = event_for({"job_id": data["job_id"]}, {})
    assert deliver(worker, wrong_payload) == 200
    assert get_job(runtime.store, principal, data["job_id"], "en").status == "queued"
