"""api_compliance through its Cloud Function entry point: check a sent or stored layout, list rules."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from archbuilder.runtime import Runtime
from tests.conftest import REPO_ROOT, TenantCredentials, drain
from tests.unit.compliance.layouts import acceptance_layout


@pytest.fixture
def fn(runtime: Runtime) -> FlaskClient:
    app = create_app(target="api_compliance", source=str(REPO_ROOT / "functions/api_compliance/main.py"))
    return app.test_client()


def layout_json() -> dict[str, Any]:
    return acceptance_layout().model_dump(mode="json")


def test_check_a_sent_layout_in_the_tenants_language(fn: FlaskClient, tenant: TenantCredentials) -> None:
    response = fn.post(
        "/v1/compliance/check", json={"region": "TR", "layout": layout_json()}, headers=tenant.headers
    )
    assert response.status_code == 200, response.json
    report = response.json
    assert set(report) >= {"region", "rules_version", "summary", "findings"}
    assert set(report["summary"]) == {
        "errors",
        "warnings",
        "passed",
        "not_applicable",
        "cannot_check",
        "pass_rate",
    }
    fails = sorted(f["rule_id"] for f in report["findings"] if f["status"] == "fail")
    assert fails == ["TR-PAIY-29-BED-W", "TR-PAIY-29-CORR-W", "TR-PAIY-39-DOOR-UNIT", "TR-PAIY-LIGHT-LIV"]
    finding = next(f for f in report["findings"] if f["rule_id"] == "TR-PAIY-29-BED-W")
    assert set(finding) >= {
        "rule_id",
        "status",
        "severity",
        "space_id",
        "metric",
        "measured",
        "limit",
        "unit",
        "citation",
        "message",
    }
    assert (
        finding["citation"]["document"] == "Planlı Alanlar İmar Yönetmeliği"
        and finding["citation"]["article"] == "m.29(1)"
    )
    assert "dar kenar" in finding["message"]  # the tenant's default language: tr


def test_us_check_in_english_reports_feet_and_inches(fn: FlaskClient, tenant: TenantCredentials) -> None:
    body = {"region": "US", "building_type": "house", "language": "en", "layout": layout_json()}
    report = fn.post("/v1/compliance/check", json=body, headers=tenant.headers).json
    door = next(f for f in report["findings"] if f["rule_id"] == "US-IRC-R311.2")
    assert door["status"] == "fail" and door["unit"] == "in" and "2 ft 7½ in" in door["message"]


def test_building_facts_turn_cannot_check_into_a_result(fn: FlaskClient, tenant: TenantCredentials) -> None:
    body = {
        "region": "TR",
        "layout": layout_json(),
        "context": {"floors_above_ground": 6, "sprinklers": False},
    }
    report = fn.post("/v1/compliance/check", json=body, headers=tenant.headers).json
    travel = next(f for f in report["findings"] if f["rule_id"] == "TR-BYKHY-KONUT-D")
    assert travel["status"] == "pass" and travel["unit"] == "m" and 0 < travel["measured"] < 20


def test_html_report_is_a_self_contained_page(fn: FlaskClient, tenant: TenantCredentials) -> None:
    response = fn.post(
        "/v1/compliance/check?format=html",
        json={"region": "TR", "layout": layout_json()},
        headers=tenant.headers | {"Accept-Language": "fr"},
    )
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "Rapport de conformité" in page and "plus petite dimension 2.20 m" in page


def test_check_a_stored_layout_and_keep_tenants_apart(
    fn: FlaskClient,
    client: FlaskClient,
    runtime: Runtime,
    tenant: TenantCredentials,
    other_tenant: TenantCredentials,
) -> None:
    project = client.post("/v1/projects", json={"name": "Kadıköy"}, headers=tenant.headers).json
    brief = {
        "footprint": {"width_mm": 12000, "depth_mm": 9000},
        "rooms": [
            {"type": "living_room"},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 2},
            {"type": "bathroom"},
            {"type": "hall"},
        ],
    }
    accepted = client.post(f"/v1/projects/{project['id']}/layouts", json=brief, headers=tenant.headers).json
    drain(runtime)
    ref = {"project_id": project["id"], "layout_id": accepted["layout_id"], "version": 1}
    response = fn.post("/v1/compliance/check", json={"layout_ref": ref}, headers=tenant.headers)
    assert response.status_code == 200, response.json
    assert response.json["region"] == "TR" and response.json["summary"]["passed"] > 10
    stranger = fn.post("/v1/compliance/check", json={"layout_ref": ref}, headers=other_tenant.headers)
    assert stranger.status_code == 404


def test_model_ref_of_another_tenant_or_unknown_is_not_found(
    fn: FlaskClient, tenant: TenantCredentials
) -> None:
    response = fn.post(
        "/v1/compliance/check",
        json={"model_ref": {"project_id": "p1", "model_id": "m1"}},
        headers=tenant.headers,
    )
    assert response.status_code == 404


def _checks_used(client: FlaskClient, tenant: TenantCredentials) -> int:
    return int(client.get("/v1/usage", headers=tenant.headers).json["totals"]["compliance_checks"])


def test_only_a_check_that_runs_counts_against_the_quota(
    fn: FlaskClient, client: FlaskClient, tenant: TenantCredentials
) -> None:
    missing = [
        {"layout_ref": {"project_id": "p1", "layout_id": "l1", "version": 1}},
        {"model_ref": {"project_id": "p1", "model_id": "m1"}},
    ]
    for body in missing:
        response = fn.post("/v1/compliance/check", json=body, headers=tenant.headers)
        assert response.status_code == 404, response.json
    assert _checks_used(client, tenant) == 0
    checked = fn.post("/v1/compliance/check", json={"layout": layout_json()}, headers=tenant.headers)
    assert checked.status_code == 200, checked.json
    assert _checks_used(client, tenant) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"region": "TR"},
        {"region": "XX", "layout": {}},
        {"layout": {"levels": []}, "layout_ref": {"project_id": "p", "layout_id": "l", "version": 1}},
    ],
)
def test_bad_requests_are_validation_errors(
    fn: FlaskClient, tenant: TenantCredentials, body: dict[str, Any]
) -> None:
    response = fn.post("/v1/compliance/check", json=body, headers=tenant.headers)
    assert response.status_code == 422 and response.json["error"]["code"] == "VALIDATION_FAILED"


def test_list_rules_with_citations(fn: FlaskClient, tenant: TenantCredentials) -> None:
    body = fn.get("/v1/compliance/rules", query_string={"region": "DE-BY"}, headers=tenant.headers).json
    ids = {r["id"] for r in body["rules"]}
    assert body["count"] == len(body["rules"]) and "DE-BY-BAYBO-35-RW" in ids and "DE-MBO-37-RW" not in ids
    assert all(r["source"]["article"] and r["source"]["status"] for r in body["rules"])
    assert (
        fn.get("/v1/compliance/rules", query_string={"region": "XX"}, headers=tenant.headers).status_code
        == 422
    )
    assert fn.get("/v1/compliance/rules", query_string={"region": "TR"}).status_code == 401
