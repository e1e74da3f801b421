"""People sign in with Firebase: the API accepts their ID tokens (Auth emulator), scoped to the
tenant and role in their custom claims, and refuses revoked sessions on sensitive routes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.runtime import Runtime, build_local_runtime, set_runtime
from tests.conftest import make_tenant
from tests.contract.conftest import PROJECT
from tests.contract.test_firebase_auth import _sign_in


@pytest.fixture
def firebase_client(settings: Any, auth_emulator: Any) -> Iterator[tuple[FlaskClient, Runtime, Any]]:
    from archbuilder.adapters.gcp.firebase_auth import FirebaseTokenVerifier
    from archbuilder.devserver import create_app

    runtime = build_local_runtime(settings.model_copy(update={"firebase_project": PROJECT}))
    set_runtime(runtime)
    yield create_app().test_client(), runtime, FirebaseTokenVerifier(PROJECT)
    runtime.bus.close()  # type: ignore[attr-defined]
    set_runtime(None)


def _member(verifier: Any, auth_emulator: Any, tenant_id: str, role: str) -> tuple[str, str]:
    from firebase_admin import auth

    email, password = f"{uuid.uuid4().hex[:10]}@example.com", "s3cret-pass"
    user = auth.create_user(email=email, password=password, app=verifier.app)
    verifier.set_membership(user.uid, tenant_id=tenant_id, role=role)
    return str(user.uid), _sign_in(auth_emulator, email, password)


def test_a_member_token_acts_for_its_tenant_and_role(firebase_client: Any, auth_emulator: Any) -> None:
    client, runtime, verifier = firebase_client
    tenant = make_tenant(runtime)
    other = make_tenant(runtime, name="Other")
    uid, token = _member(verifier, auth_emulator, tenant.tenant_id, "architect")
    bearer = {"Authorization": f"Bearer {token}"}
    me = client.get("/v1/me", headers=bearer)
    assert (
        me.status_code == 200 and me.json["tenant_id"] == tenant.tenant_id and me.json["role"] == "architect"
    )
    project = client.post("/v1/projects", json={"name": "by a person"}, headers=bearer)
    assert project.status_code == 201
    assert client.get("/v1/api-keys", headers=bearer).status_code == 403  # architects do not manage keys
    other_project = client.post("/v1/projects", json={"name": "x"}, headers=other.headers).json["id"]
    assert client.get(f"/v1/projects/{other_project}", headers=bearer).status_code == 404
    audit = client.get("/v1/audit-log", headers=tenant.headers).json["items"]
    assert any(e["actor"] == f"user:{uid}" and e["action"] == "create_project" for e in audit)


def test_garbage_and_revoked_tokens_are_refused(firebase_client: Any, auth_emulator: Any) -> None:
    from firebase_admin import auth

    client, runtime, verifier = firebase_client
    tenant = make_tenant(runtime)
    uid, token = _member(verifier, auth_emulator, tenant.tenant_id, "owner")
    assert client.get("/v1/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get("/v1/api-keys", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    time.sleep(1.1)  # revocation is compared in whole seconds: revoke after the token's second
    auth.revoke_refresh_tokens(uid, app=verifier.app)
    assert client.get("/v1/api-keys", headers={"Authorization": f"Bearer {token}"}).status_code == 401
