"""api_projects through its Cloud Function entry point: CRUD, paging, isolation, errors."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from archbuilder.runtime import Runtime
from tests.conftest import REPO_ROOT, TenantCredentials


@pytest.fixture
def fn(runtime: Runtime) -> FlaskClient:
    app = create_app(target="api_projects", source=str(REPO_ROOT / "functions/api_projects/main.py"))
    return app.test_client()


def test_create_takes_tenant_defaults(fn: FlaskClient, tenant: TenantCredentials) -> None:
    response = fn.post("/v1/projects", json={"name": "Kadıköy Konut"}, headers=tenant.headers)
    assert response.status_code == 201
    project = response.json
    assert project["code_region"] == "TR" and project["language"] == "tr" and project["units"] == "metric"
    fetched = fn.get(f"/v1/projects/{project['id']}", headers=tenant.headers)
    assert fetched.json == project


def test_update_and_delete(fn: FlaskClient, tenant: TenantCredentials) -> None:
    project = fn.post("/v1/projects", json={"name": "A"}, headers=tenant.headers).json
    patched = fn.patch(
        f"/v1/projects/{project['id']}", json={"name": "B", "code_region": "DE"}, headers=tenant.headers
    )
    assert patched.status_code == 200
    assert (patched.json["name"], patched.json["code_region"], patched.json["language"]) == ("B", "DE", "tr")
    assert fn.delete(f"/v1/projects/{project['id']}", headers=tenant.headers).status_code == 204
    assert fn.get(f"/v1/projects/{project['id']}", headers=tenant.headers).status_code == 404


def test_list_pages_through_every_project_newest_first(fn: FlaskClient, tenant: TenantCredentials) -> None:
    names = [f"P{i}" for i in range(7)]
    for name in names:
        fn.post("/v1/projects", json={"name": name}, headers=tenant.headers)
    seen: list[str] = []
    token = None
    while True:
        query = {"page_size": 3} | ({"page_token": token} if token else {})
        body = fn.get("/v1/projects", query_string=query, headers=tenant.headers).json
        seen += [p["name"] for p in body["items"]]
        token = body["next_page_token"]
        if token is None:
            break
    assert seen == list(reversed(names))


def test_another_tenants_project_is_not_found(
    fn: FlaskClient, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    project = fn.post("/v1/projects", json={"name": "Secret"}, headers=tenant.headers).json
    for method in ("get", "delete"):
        response = getattr(fn, method)(f"/v1/projects/{project['id']}", headers=other_tenant.headers)
        assert response.status_code == 404
        assert response.json["error"]["code"] == "NOT_FOUND"
        assert "nicht gefunden" in response.json["error"]["message"]  # the other tenant's default: de
    patched = fn.patch(f"/v1/projects/{project['id']}", json={"name": "x"}, headers=other_tenant.headers)
    assert patched.status_code == 404
    assert fn.get(f"/v1/projects/{project['id']}", headers=tenant.headers).json["name"] == "Secret"
    assert fn.get("/v1/projects", headers=other_tenant.headers).json["items"] == []


@pytest.mark.parametrize("bad_id", ["..%2F..%2Fapi_keys", "a" * 65, "x%00y"])
def test_malformed_ids_are_not_found(fn: FlaskClient, tenant: TenantCredentials, bad_id: str) -> None:
    assert fn.get(f"/v1/projects/{bad_id}", headers=tenant.headers).status_code == 404


def test_validation_errors_name_the_fields_in_the_callers_language(
    fn: FlaskClient, tenant: TenantCredentials
) -> None:
    response = fn.post(
        "/v1/projects",
        json={"name": "", "code_region": "XX", "colour": "red"},
        headers=tenant.headers | {"Accept-Language": "fr-FR"},
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert {e["field"] for e in error["details"]["errors"]} == {"name", "code_region", "colour"}
    assert "ne sont pas valides" in error["message"]


def test_non_json_bodies_are_refused(fn: FlaskClient, tenant: TenantCredentials) -> None:
    assert fn.post("/v1/projects", data="name=x", headers=tenant.headers).status_code == 415
    broken = fn.post("/v1/projects", data="{", content_type="application/json", headers=tenant.headers)
    assert broken.status_code == 400 and broken.json["error"]["code"] == "INVALID_JSON"


def test_unknown_route_and_method(fn: FlaskClient, tenant: TenantCredentials) -> None:
    assert fn.get("/v1/projects/p1/nothing", headers=tenant.headers).status_code == 404
    assert fn.put("/v1/projects", headers=tenant.headers).status_code == 405
