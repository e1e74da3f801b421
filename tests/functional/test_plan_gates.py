"""Plans gate the API: 80 % warnings, 402 past a quota, 403 for a feature or region outside the plan."""

from __future__ import annotations

from flask.testing import FlaskClient

from archbuilder.billing.usage_ledger import new_usage_record, record_usage
from archbuilder.domain.layout import LayoutStatus
from archbuilder.domain.plans import plan
from archbuilder.repositories import TenantPaths
from archbuilder.runtime import Runtime
from archbuilder.services.reviews import version_ready
from tests.conftest import drain, make_tenant
from tests.functional.test_api_layouts import BRIEF, new_project, submit
from tests.functional.test_revise import rival_first


def test_free_plan_layout_quota(client: FlaskClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime, plan="free")
    project_id = new_project(client, tenant)
    limit = plan("free").quotas.layouts
    assert limit is not None
    small = {
        "footprint": {"width_mm": 8000, "depth_mm": 6000},
        "rooms": [{"type": "living_room"}, {"type": "kitchen"}],
    }
    warnings = []
    for _ in range(limit):
        response = submit(client, tenant, project_id, small)
        assert response.status_code == 202, response.json
        warnings.append(response.headers.get("X-Quota-Warning"))
    assert warnings[0] is None and warnings[-1] == "layouts=100%"
    assert warnings[int(limit * 0.8) - 1] is not None  # from 80 %
    refused = submit(client, tenant, project_id, small)
    assert refused.status_code == 402 and refused.json["error"]["code"] == "PLAN_LIMIT_REACHED"
    drain(runtime)


def test_features_and_regions_outside_the_plan(client: FlaskClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime, plan="free")
    project_id = new_project(client, tenant)
    german = submit(client, tenant, project_id, dict(BRIEF, region="DE"))
    assert german.status_code == 403 and german.json["error"]["code"] == "FEATURE_NOT_IN_PLAN"
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}/versions/1/export"
    ifc = client.get(base, query_string={"format": "ifc"}, headers=tenant.headers)
    assert ifc.status_code == 403 and ifc.json["error"]["code"] == "FEATURE_NOT_IN_PLAN"
    assert client.get(base, query_string={"format": "dxf"}, headers=tenant.headers).status_code == 200


def test_revisions_count_against_the_layout_quota(client: FlaskClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime, plan="free")
    project_id = new_project(client, tenant)
    layout_id = submit(client, tenant, project_id, BRIEF).json["layout_id"]
    drain(runtime)
    limit = plan("free").quotas.layouts
    assert limit is not None
    # The layout above and (limit - 2) earlier ones: one unit of the month is left.
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "layout", limit - 2, source="earlier"))
    revise = f"/v1/projects/{project_id}/layouts/{layout_id}/revise"
    last = client.post(revise, json={"feedback": "make the kitchen bigger"}, headers=tenant.headers)
    assert last.status_code == 202, last.json
    drain(runtime)
    refused = client.post(revise, json={"feedback": "make the kitchen bigger"}, headers=tenant.headers)
    assert refused.status_code == 402 and refused.json["error"]["code"] == "PLAN_LIMIT_REACHED"
    assert refused.json["error"]["details"]["quota"] == "layouts"
    assert (
        client.get(f"/v1/projects/{project_id}/layouts/{layout_id}", headers=tenant.headers).json[
            "latest_version"
        ]
        == 2
    )


def test_a_revision_that_loses_the_last_unit_to_a_racing_call_is_taken_back(
    client: FlaskClient, runtime: Runtime
) -> None:
    """A revision is charged in the commit that writes its job: when a concurrent call took the
    last unit before it, the answer is 402 and the job, its decision and the layout's state are
    as before (nothing queued, the layout free for the next revision)."""
    tenant = make_tenant(runtime, plan="free")
    project_id = new_project(client, tenant)
    layout_id = submit(client, tenant, project_id, BRIEF).json["layout_id"]
    drain(runtime)
    limit = plan("free").quotas.layouts
    assert limit is not None
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "layout", limit - 2, source="earlier"))
    base = f"/v1/projects/{project_id}/layouts/{layout_id}"
    before = client.get(base, headers=tenant.headers).json
    store = runtime.store

    def rival() -> None:  # a new layout elsewhere takes the last unit
        record_usage(store, new_usage_record(tenant.tenant_id, "layout", 1, source="rival"))

    # The rival runs just before the revision's transaction (which follows its project read).
    with rival_first(runtime, TenantPaths(tenant.tenant_id).project(project_id)) as racing:
        racing.rival = rival
        refused = client.post(f"{base}/revise", json={"feedback": "bigger kitchen"}, headers=tenant.headers)
    assert refused.status_code == 402 and refused.json["error"]["code"] == "PLAN_LIMIT_REACHED", refused.json
    drain(runtime)
    after = client.get(base, headers=tenant.headers).json
    assert (after["status"], after["job_id"], after["latest_version"]) == (
        before["status"],
        before["job_id"],
        1,
    )
    decisions = client.get(f"{base}/decisions", headers=tenant.headers).json
    assert [d["decision"] for d in decisions["items"]] == []
    assert client.get("/v1/usage", headers=tenant.headers).json["totals"]["layouts"] == limit


def test_a_version_finished_after_its_tenant_was_erased_ends_quietly(
    client: FlaskClient, runtime: Runtime
) -> None:
    """The worker's last step finds no tenant document (erased while the job ran): no plan
    to ask, nothing to queue or mark, and no error for the worker to retry."""
    tenant = make_tenant(runtime)
    project_id = new_project(client, tenant)
    layout_id = submit(client, tenant, project_id, BRIEF).json["layout_id"]
    drain(runtime)
    paths = TenantPaths(tenant.tenant_id)
    layout_before = runtime.store.get(paths.layout(project_id, layout_id))
    runtime.store.delete(paths.root)  # the tenant document only: the version is still there
    status = version_ready(runtime, tenant.tenant_id, project_id, layout_id, 1)
    assert status is LayoutStatus.generated
    layout_after = runtime.store.get(paths.layout(project_id, layout_id))
    assert layout_before is not None and layout_after is not None
    assert layout_after.data == layout_before.data


def test_the_review_workflow_is_a_plan_feature(client: FlaskClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime, plan="free")
    project_id = new_project(client, tenant)
    layout_id = submit(client, tenant, project_id, BRIEF).json["layout_id"]
    drain(runtime)
    refused = [
        client.get("/v1/reviews", headers=tenant.headers),
        client.get("/v1/review-policy", headers=tenant.headers),
        client.put("/v1/review-policy", json={"auto_approve": True}, headers=tenant.headers),
        client.post(f"/v1/reviews/{layout_id}/assign", json={}, headers=tenant.headers),
        client.post(
            f"/v1/projects/{project_id}/layouts/{layout_id}/review",
            json={"decision": "approve"},
            headers=tenant.headers,
        ),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert {r.json["error"]["code"] for r in refused} == {"FEATURE_NOT_IN_PLAN"}
    assert refused[0].json["error"]["details"]["feature"] == "review_workflow"
    layout = client.get(f"/v1/projects/{project_id}/layouts/{layout_id}", headers=tenant.headers).json
    # Nobody could review it on this plan: the version is simply generated, and exports.
    assert layout["status"] == "generated" and layout["approved_version"] is None
    exported = client.get(
        f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1/export",
        query_string={"format": "json"},
        headers=tenant.headers,
    )
    assert exported.status_code == 200
