"""An ``Idempotency-Key`` record lives ``ARCHBUILDER_IDEMPOTENCY_TTL_S`` (``Settings.idempotency_ttl_s``):
maintenance deletes it after that, and the same key then starts new work."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from archbuilder.platform.settings import Settings
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from archbuilder.services.maintenance import run_maintenance
from tests.conftest import drain, make_tenant
from tests.functional.test_api_layouts import BRIEF

TTL_S = 90


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"idempotency_ttl_s": TTL_S})


def test_a_brief_key_expires_after_the_configured_time(runtime: Runtime, client: FlaskClient) -> None:
    tenant = make_tenant(runtime, plan="professional")
    project = client.post("/v1/projects", json={"name": "Keys"}, headers=tenant.headers).json["id"]
    headers = {**tenant.headers, "Idempotency-Key": "brief-1"}
    first = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=headers)
    assert first.status_code == 202, first.json
    (record,) = runtime.store.query(Query("idempotency"))
    job = runtime.store.get(f"tenants/{tenant.tenant_id}/jobs/{first.json['job_id']}")
    assert job is not None
    created = datetime.fromisoformat(job.data["created_at"])
    expires = datetime.fromisoformat(record.data["expires_at"])
    assert expires - created == timedelta(seconds=TTL_S)
    drain(runtime)

    assert run_maintenance(runtime, at=expires - timedelta(seconds=1)).idempotency_deleted == 0
    again = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=headers)
    assert again.json["job_id"] == first.json["job_id"]  # within the TTL: the same answer

    assert run_maintenance(runtime, at=expires + timedelta(seconds=1)).idempotency_deleted == 1
    later = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=headers)
    assert later.status_code == 202 and later.json["job_id"] != first.json["job_id"]
    drain(runtime)
