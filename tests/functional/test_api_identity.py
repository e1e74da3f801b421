"""api_identity through its Cloud Function entry point (functions-framework's own app)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from archbuilder.runtime import Runtime
from tests.conftest import REPO_ROOT, TenantCredentials


@pytest.fixture
def fn(runtime: Runtime) -> FlaskClient:
    app = create_app(target="api_identity", source=str(REPO_ROOT / "functions/api_identity/main.py"))
    return app.test_client()


def test_health_needs_no_key_and_echoes_the_correlation_id(fn: FlaskClient) -> None:
    response = fn.get("/v1/health", headers={"X-Correlation-ID": "abc-123"})
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.headers["X-Correlation-ID"] == "abc-123"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_me_describes_the_caller(fn: FlaskClient, tenant: TenantCredentials) -> None:
    response = fn.get("/v1/me", headers=tenant.headers)
    assert response.status_code == 200
    body = response.json
    assert body["tenant_id"] == tenant.tenant_id
    assert body["role"] == "owner" and body["language"] == "tr" and body["code_region"] == "TR"
    assert len(response.headers["X-Correlation-ID"]) >= 16


@pytest.mark.parametrize("key", [None, "", "ab_live_wrong", "sk_test_123", "ab_live_" + "x" * 300])
def test_missing_or_wrong_key_is_401_in_the_callers_language(fn: FlaskClient, key: str | None) -> None:
    headers = {"Accept-Language": "de"} | ({"X-API-Key": key} if key is not None else {})
    response = fn.get("/v1/me", headers=headers)
    assert response.status_code == 401
    error = response.json["error"]
    assert error["code"] == "UNAUTHENTICATED"
    assert "Zugangsdaten" in error["message"]
    assert error["correlation_id"] == response.headers["X-Correlation-ID"]


def test_api_key_lifecycle(fn: FlaskClient, tenant: TenantCredentials) -> None:
    created = fn.post(
        "/v1/api-keys", json={"name": "Revit add-in", "role": "architect"}, headers=tenant.headers
    )
    assert created.status_code == 201
    new_key = created.json["api_key"]
    assert new_key.startswith("ab_live_") and len(new_key) >= 8 + 43
    assert created.json["prefix"] == new_key[:12]

    listed = fn.get("/v1/api-keys", headers=tenant.headers).json["items"]
    assert {k["name"] for k in listed} == {"Owner key", "Revit add-in"}
    assert all("api_key" not in k for k in listed)

    assert fn.get("/v1/me", headers={"X-API-Key": new_key}).json["role"] == "architect"
    # An architect may not manage keys.
    denied = fn.get("/v1/api-keys", headers={"X-API-Key": new_key, "Accept-Language": "en"})
    assert denied.status_code == 403 and denied.json["error"]["code"] == "PERMISSION_DENIED"

    revoked = fn.delete(f"/v1/api-keys/{created.json['id']}", headers=tenant.headers)
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert fn.get("/v1/me", headers={"X-API-Key": new_key}).status_code == 401


def test_the_last_owner_key_cannot_be_revoked(fn: FlaskClient, tenant: TenantCredentials) -> None:
    owner_key_id = fn.get("/v1/me", headers=tenant.headers).json["api_key_id"]
    response = fn.delete(f"/v1/api-keys/{owner_key_id}", headers=tenant.headers)
    assert response.status_code == 409 and response.json["error"]["code"] == "LAST_OWNER_KEY"
    assert fn.get("/v1/me", headers=tenant.headers).status_code == 200


def _owner_key_id(fn: FlaskClient, tenant: TenantCredentials) -> str:
    return str(fn.get("/v1/me", headers=tenant.headers).json["api_key_id"])


def test_a_scoped_owner_key_does_not_keep_the_tenant(fn: FlaskClient, tenant: TenantCredentials) -> None:
    """An owner key scoped to projects:read cannot manage keys: it would not get the tenant back."""
    scoped = fn.post(
        "/v1/api-keys",
        json={"name": "reader", "role": "owner", "scopes": ["projects:read"]},
        headers=tenant.headers,
    )
    assert scoped.status_code == 201
    response = fn.delete(f"/v1/api-keys/{_owner_key_id(fn, tenant)}", headers=tenant.headers)
    assert response.status_code == 409 and response.json["error"]["code"] == "LAST_OWNER_KEY"
    assert fn.get("/v1/api-keys", headers=tenant.headers).status_code == 200


def test_an_owner_key_that_expires_does_not_keep_the_tenant(
    fn: FlaskClient, tenant: TenantCredentials
) -> None:
    expiring = fn.post(
        "/v1/api-keys", json={"name": "temp", "role": "owner", "expires_in_days": 30}, headers=tenant.headers
    ).json
    original = _owner_key_id(fn, tenant)
    refused = fn.delete(f"/v1/api-keys/{original}", headers=tenant.headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "LAST_OWNER_KEY"
    # A key that stops by itself may always be revoked.
    assert fn.delete(f"/v1/api-keys/{expiring['id']}", headers=tenant.headers).status_code == 200
    # With another full owner key that never expires, the first one may go.
    spare = fn.post("/v1/api-keys", json={"name": "spare", "role": "owner"}, headers=tenant.headers).json
    assert fn.delete(f"/v1/api-keys/{original}", headers=tenant.headers).status_code == 200
    assert fn.get("/v1/api-keys", headers={"X-API-Key": spare["api_key"]}).status_code == 200
    last = fn.delete(f"/v1/api-keys/{spare['id']}", headers={"X-API-Key": spare["api_key"]})
    assert last.status_code == 409 and last.json["error"]["code"] == "LAST_OWNER_KEY"


def test_the_new_owner_key_of_a_rotation_cannot_be_revoked_while_the_old_one_runs_out(
    fn: FlaskClient, tenant: TenantCredentials
) -> None:
    """Rotated with a short overlap, the old key works for 36 s more: revoking the new one
    would lock the tenant out then."""
    original = _owner_key_id(fn, tenant)
    new = fn.post(
        f"/v1/api-keys/{original}/rotate", json={"overlap_hours": 0.01}, headers=tenant.headers
    ).json
    as_new = {"X-API-Key": new["api_key"]}
    for caller in (tenant.headers, as_new):
        refused = fn.delete(f"/v1/api-keys/{new['id']}", headers=caller)
        assert refused.status_code == 409 and refused.json["error"]["code"] == "LAST_OWNER_KEY"
    # The old one, running out anyway, may be revoked at once; the new one keeps the tenant.
    assert fn.delete(f"/v1/api-keys/{original}", headers=as_new).status_code == 200
    assert fn.get("/v1/api-keys", headers=as_new).status_code == 200


def test_keys_of_another_tenant_are_invisible(
    fn: FlaskClient, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    other_key_id = fn.get("/v1/me", headers=other_tenant.headers).json["api_key_id"]
    response = fn.delete(f"/v1/api-keys/{other_key_id}", headers=tenant.headers)
    assert response.status_code == 404
    assert fn.get("/v1/me", headers=other_tenant.headers).status_code == 200


def test_an_admin_cannot_mint_an_owner_key(fn: FlaskClient, tenant: TenantCredentials) -> None:
    admin = fn.post("/v1/api-keys", json={"name": "ops", "role": "admin"}, headers=tenant.headers).json
    response = fn.post(
        "/v1/api-keys", json={"name": "x", "role": "owner"}, headers={"X-API-Key": admin["api_key"]}
    )
    assert response.status_code == 403


def test_openapi_document_is_valid_openapi_3_1(fn: FlaskClient) -> None:
    from openapi_spec_validator import validate

    response = fn.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    assert document["openapi"] == "3.1.0"
    brief_schema = document["components"]["schemas"]["Brief"]
    assert {"footprint", "rooms", "entrance", "options"} <= set(brief_schema["properties"])
    assert "/v1/projects/{project_id}/layouts" in document["paths"]


def test_explorer_page_and_assets_are_served_locally(fn: FlaskClient) -> None:
    page = fn.get("/docs")
    assert page.status_code == 200 and b"swagger-ui" in page.data
    assert fn.get("/docs/swagger-ui-bundle.js").status_code == 200
    assert fn.get("/docs/init.js").status_code == 200
    assert fn.get("/docs/..%2F..%2Fsettings.py").status_code == 404


def test_keys_are_stored_only_as_hashes(fn: FlaskClient, runtime: Runtime, tenant: TenantCredentials) -> None:
    created = fn.post("/v1/api-keys", json={"name": "ci"}, headers=tenant.headers).json
    database = (runtime.settings.data_dir / "documents.sqlite3").read_bytes()
    wal = runtime.settings.data_dir / "documents.sqlite3-wal"
    stored = database + (wal.read_bytes() if wal.exists() else b"")
    for raw in (tenant.api_key, created["api_key"]):
        assert raw.encode() not in stored
        assert raw[:12].encode() in stored  # the display prefix is kept


def test_scoped_key_may_do_only_its_scopes(fn: FlaskClient, tenant: TenantCredentials) -> None:
    created = fn.post(
        "/v1/api-keys",
        json={"name": "read-only add-in", "role": "architect", "scopes": ["projects:read", "me:read"]},
        headers=tenant.headers,
    ).json
    assert created["scopes"] == ["me:read", "projects:read"]
    me = fn.get("/v1/me", headers={"X-API-Key": created["api_key"]}).json
    assert me["scopes"] == ["me:read", "projects:read"]
    unknown = fn.post("/v1/api-keys", json={"name": "x", "scopes": ["root:all"]}, headers=tenant.headers)
    assert unknown.status_code == 422


def test_a_scoped_key_cannot_rotate_a_broader_key(fn: FlaskClient, tenant: TenantCredentials) -> None:
    """Rotation mints a key like creation does: never more than the caller's scopes."""
    keys_only = fn.post(
        "/v1/api-keys",
        json={"name": "key admin", "role": "admin", "scopes": ["api_keys:manage"]},
        headers=tenant.headers,
    ).json
    unscoped = fn.post("/v1/api-keys", json={"name": "ci", "role": "architect"}, headers=tenant.headers).json
    as_scoped = {"X-API-Key": keys_only["api_key"]}
    refused = fn.post(f"/v1/api-keys/{unscoped['id']}/rotate", json={}, headers=as_scoped)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "PERMISSION_DENIED"
    assert fn.get("/v1/me", headers={"X-API-Key": unscoped["api_key"]}).status_code == 200  # untouched
    narrow = fn.post(
        "/v1/api-keys",
        json={"name": "n", "role": "architect", "scopes": ["api_keys:manage"]},
        headers=as_scoped,
    ).json
    assert fn.post(f"/v1/api-keys/{narrow['id']}/rotate", json={}, headers=as_scoped).status_code == 201


def test_rotation_keeps_the_old_key_for_the_overlap_window(
    fn: FlaskClient, tenant: TenantCredentials
) -> None:
    old = fn.post("/v1/api-keys", json={"name": "ci", "role": "architect"}, headers=tenant.headers).json
    rotated = fn.post(f"/v1/api-keys/{old['id']}/rotate", json={"overlap_hours": 1}, headers=tenant.headers)
    assert rotated.status_code == 201
    new = rotated.json
    assert new["api_key"] != old["api_key"] and new["name"] == "ci" and new["role"] == "architect"
    assert fn.get("/v1/me", headers={"X-API-Key": new["api_key"]}).status_code == 200
    assert fn.get("/v1/me", headers={"X-API-Key": old["api_key"]}).status_code == 200  # still in its window
    keys = {k["id"]: k for k in fn.get("/v1/api-keys", headers=tenant.headers).json["items"]}
    assert keys[old["id"]]["expires_at"] is not None
    again = fn.post(f"/v1/api-keys/{old['id']}/rotate", json={}, headers=tenant.headers)
    assert again.status_code == 409
    # With no overlap the old key stops at once.
    second = fn.post(
        f"/v1/api-keys/{new['id']}/rotate", json={"overlap_hours": 0}, headers=tenant.headers
    ).json
    assert fn.get("/v1/me", headers={"X-API-Key": new["api_key"]}).status_code == 401
    assert fn.get("/v1/me", headers={"X-API-Key": second["api_key"]}).status_code == 200
