"""Plans gate the API: 80 % warnings, 402 past a quota, 403 for a feature or region outside the plan."""

from __future__ import annotations

from flask.testing import FlaskClient

from archbuilder.domain.plans import plan
from archbuilder.runtime import Runtime
from tests.conftest import drain, make_tenant
from tests.functional.test_api_layouts import BRIEF, new_project, submit


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
