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
    assert "Rapport de conformité" in page and "plus petite dimension 2,20 m" in page


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


def test_every_check_counts_whatever_correlation_id_the_client_sends(
    fn: FlaskClient, client: FlaskClient, tenant: TenantCredentials
) -> None:
    # A client may send one X-Correlation-ID with all its requests (the SDK lets it): each
    # check is still one unit, or the quota could be bypassed by sending the same id.
    headers = tenant.headers | {"X-Correlation-ID": "one-id-for-everything"}
    for _ in range(3):
        checked = fn.post("/v1/compliance/check", json={"layout": layout_json()}, headers=headers)
        assert checked.status_code == 200, checked.json
    assert _checks_used(client, tenant) == 3


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


def small_rooms_json() -> dict[str, Any]:
    """The acceptance layout with a 4.9 m² bedroom and a 0.8 m² store off the corridor."""
    layout = layout_json()
    bedroom = next(r for r in layout["rooms"] if r["id"] == "R2")
    x0, y0 = bedroom["boundary"][0]["x"], bedroom["boundary"][0]["y"]
    x1 = bedroom["boundary"][1]["x"]
    y1 = y0 + 2227.27  # 2.20 x 2.2273 m = 4.90 m²
    bedroom["boundary"] = [{"x": x0, "y": y0}, {"x": x1, "y": y0}, {"x": x1, "y": y1}, {"x": x0, "y": y1}]
    bedroom["area_m2"] = 4.9
    east = max(p["x"] for r in layout["rooms"] for p in r["boundary"] if r["id"] == "R6")  # corridor end
    layout["rooms"].append(
        {
            "id": "R7",
            "name": "Depo",
            "number": "7",
            "type": "storage",
            "level_name": "Level 1",
            "boundary": [
                {"x": east + 100, "y": 0},
                {"x": east + 900, "y": 0},
                {"x": east + 900, "y": 1000},
                {"x": east + 100, "y": 1000},
            ],
            "area_m2": 0.8,
        }
    )
    wall = dict(layout["walls"][1], id="W9", start={"x": east + 50, "y": 0, "z": 0})
    wall["end"] = {"x": east + 50, "y": 1000, "z": 0}
    layout["walls"].append(wall)
    door = dict(layout["doors"][1], id="D6", host_wall_id="W9", position_ratio=0.5, width_mm=600)
    door["connects"] = ["R6", "R7"]
    layout["doors"].append(door)
    return layout


def test_small_rooms_are_fail_findings_not_refusals(fn: FlaskClient, tenant: TenantCredentials) -> None:
    """Issue 15: a 4.9 m² bedroom and a 0.8 m² store are findings with citations, in the request's
    language; the add-in's 1 m² floor is reported like a code minimum."""
    body = {"region": "TR", "language": "de", "layout": small_rooms_json()}
    response = fn.post("/v1/compliance/check", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.json
    report = response.json
    assert report["language"] == "de"
    fails = {(f["rule_id"], f["space_id"]): f for f in report["findings"] if f["status"] == "fail"}
    area = fails[("TR-PAIY-29-BED-A", "R2")]
    assert (area["measured"], area["limit"], area["unit"]) == (4.9, 9.0, "m2")
    assert area["citation"]["short"] == "PAİY" and area["citation"]["article"] == "m.29(1)"
    assert area["message"] == "Yatak Odası: Nettofläche 4,90 m² unter dem Mindestmaß 9,00 m² (PAİY m.29(1))"
    assert ("TR-PAIY-29-BED-W", "R2") in fails  # 2.20 m narrow side, under 2.50 m
    store = fails[("ADDIN-ROOM-AREA", "R7")]
    assert (store["measured"], store["limit"], store["severity"]) == (0.8, 1.0, "error")
    assert (
        store["citation"]["short"] == "Revit add-in" and "ARCHITECTURE.md §4" in store["citation"]["document"]
    )
    assert (
        store["message"]
        == "Depo: Nettofläche 0,80 m² unter dem Mindestmaß 1,00 m² (Revit add-in area_m2 1–1000 m²)"
    )
    assert {f["subject"]["name"] for f in fails.values() if f["space_id"] in ("R2", "R7")} == {
        "Yatak Odası",
        "Depo",
    }
    assert report["by_space"]["R7"] and report["summary"]["errors"] >= 3


@pytest.mark.parametrize("area", [0, -2.5])
def test_a_room_without_area_is_still_refused(
    fn: FlaskClient, tenant: TenantCredentials, area: float
) -> None:
    layout = small_rooms_json()
    layout["rooms"][-1]["area_m2"] = area
    response = fn.post(
        "/v1/compliance/check", json={"region": "TR", "layout": layout}, headers=tenant.headers
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["details"]["fields"] == [f"layout.rooms.{len(layout['rooms']) - 1}.area_m2"]


def test_fr_wc_opening_onto_the_kitchen_fails_with_its_citation(
    fn: FlaskClient, tenant: TenantCredentials
) -> None:
    layout = layout_json()
    layout["rooms"].append(
        {
            "id": "R8",
            "name": "WC",
            "number": "8",
            "type": "wc",
            "level_name": "Level 1",
            "boundary": [
                {"x": 9700, "y": 3700},
                {"x": 10900, "y": 3700},
                {"x": 10900, "y": 4900},
                {"x": 9700, "y": 4900},
            ],
            "area_m2": 1.44,
        }
    )
    wall = dict(layout["walls"][1], id="W10", start={"x": 9700, "y": 3650, "z": 0})
    wall["end"] = {"x": 10400, "y": 3650, "z": 0}
    layout["walls"].append(wall)
    door = dict(layout["doors"][1], id="D7", host_wall_id="W10", position_ratio=0.5, width_mm=600)
    door["connects"] = ["R3", "R8"]  # kitchen → WC
    layout["doors"].append(door)
    body = {"region": "FR", "language": "fr", "layout": layout}
    report = fn.post("/v1/compliance/check", json=body, headers=tenant.headers).json
    wc = next(f for f in report["findings"] if f["rule_id"] == "FR-CSP-R1331-30-WC")
    assert wc["status"] == "fail" and wc["space_id"] == "R8"
    assert wc["citation"]["article"] == "R.1331-30 I" and wc["citation"]["status"] == "unverified"
    assert wc["message"] == "WC : une porte communique directement avec : cuisine (CSP R.1331-30 I)"
    door["connects"] = ["R6", "R8"]  # corridor → WC
    report = fn.post("/v1/compliance/check", json=body, headers=tenant.headers).json
    wc = next(f for f in report["findings"] if f["rule_id"] == "FR-CSP-R1331-30-WC")
    assert wc["status"] == "pass"


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
