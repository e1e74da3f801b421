"""The maintenance function: stale jobs handed back to the workers, retention enforced."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from archbuilder.services.maintenance import run_maintenance
from tests.conftest import TenantCredentials, drain
from tests.functional.test_api_layouts import BRIEF, new_project, submit


def test_a_job_whose_worker_died_is_resumed(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    job_path = f"tenants/{tenant.tenant_id}/jobs/{accepted['job_id']}"
    # Pretend the worker died mid-job long ago: running, lease expired, no version yet.
    runtime.store.delete(
        f"tenants/{tenant.tenant_id}/projects/{project_id}/layouts/{accepted['layout_id']}/versions/1"
    )
    runtime.store.update(
        job_path, {"status": "running", "lease_expires_at": format_timestamp(now() - timedelta(hours=1))}
    )
    report = run_maintenance(runtime)
    assert report.jobs_requeued == 1
    drain(runtime)
    job = client.get(f"/v1/jobs/{accepted['job_id']}", headers=tenant.headers).json
    assert job["status"] == "succeeded" and job["attempts"] == 2
    assert (
        client.get(
            f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}/versions/1", headers=tenant.headers
        ).status_code
        == 200
    )


def test_retention_removes_old_finished_jobs_and_audit_entries(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    later = now() + timedelta(days=runtime.settings.retention_audit_days + 1)
    report = run_maintenance(runtime, at=later)
    assert report.expired_by_retention >= 2
    assert runtime.store.get(f"tenants/{tenant.tenant_id}/jobs/{accepted['job_id']}") is None
    assert runtime.store.query(Query(f"tenants/{tenant.tenant_id}/audit")) == []
    # The layout and its versions are kept: they are the tenant's work, not operational data.
    assert (
        client.get(
            f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}", headers=tenant.headers
        ).status_code
        == 200
    )
