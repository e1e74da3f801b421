"""People sign in with Firebase: the API accepts their ID tokens (Auth emulator), scoped to the
tenant and role in their custom claims, and refuses revoked sessions on sensitive routes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.domain.tenancy import Member, Role
from archbuilder.domain.timestamps import now
from archbuilder.repositories import dump
from archbuilder.runtime import Runtime, build_local_runtime, set_runtime
from tests.conftest import drain, make_tenant
from tests.contract.conftest import PROJECT
from tests.contract.test_firebase_auth import _sign_in
from tests.functional.test_api_layouts import BRIEF, sse_events, workers_held


@pytest.fixture
def firebase_client(settings: Any, auth_emulator: Any) -> Iterator[tuple[FlaskClient, Runtime, Any]]:
    from archbuilder.adapters.gcp.firebase_auth import FirebaseTokenVerifier
    from archbuilder.devserver import create_app

    runtime = build_local_runtime(settings.model_copy(update={"firebase_project": PROJECT}))
    set_runtime(runtime)
    yield create_app().test_client(), runtime, FirebaseTokenVerifier(PROJECT)
    runtime.bus.close()  # type: ignore[attr-defined]
    set_runtime(None)


def _member(
    verifier: Any, auth_emulator: Any, tenant_id: str, role: str, runtime: Runtime | None = None
) -> tuple[str, str]:
    """A Firebase user with membership claims (and, with ``runtime``, the member document that
    makes the claims count)."""
    from firebase_admin import auth

    email, password = f"{uuid.uuid4().hex[:10]}@example.com", "s3cret-pass"
    user = auth.create_user(email=email, password=password, app=verifier.app)
    verifier.set_membership(user.uid, tenant_id=tenant_id, role=role)
    if runtime is not None:
        member = Member(uid=user.uid, role=Role(role), email=email, created_at=now())
        runtime.store.create(f"tenants/{tenant_id}/members/{user.uid}", dump(member))
    return str(user.uid), _sign_in(auth_emulator, email, password)


def test_a_member_token_acts_for_its_tenant_and_role(firebase_client: Any, auth_emulator: Any) -> None:
    client, runtime, verifier = firebase_client
    tenant = make_tenant(runtime)
    other = make_tenant(runtime, name="Other")
    uid, token = _member(verifier, auth_emulator, tenant.tenant_id, "architect", runtime)
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
    uid, token = _member(verifier, auth_emulator, tenant.tenant_id, "owner", runtime)
    assert client.get("/v1/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get("/v1/api-keys", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    time.sleep(1.1)  # revocation is compared in whole seconds: revoke after the token's second
    auth.revoke_refresh_tokens(uid, app=verifier.app)
    assert client.get("/v1/api-keys", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_claims_without_a_membership_document_are_refused(firebase_client: Any, auth_emulator: Any) -> None:
    client, runtime, verifier = firebase_client
    tenant = make_tenant(runtime)
    _, token = _member(verifier, auth_emulator, tenant.tenant_id, "owner")  # claims only
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_an_accepted_invitation_works_after_the_token_is_refreshed(
    firebase_client: Any, auth_emulator: Any
) -> None:
    from firebase_admin import auth

    client, runtime, verifier = firebase_client
    assert runtime.claims.__class__.__name__ == "FirebaseTokenVerifier"  # wired by firebase_project
    tenant = make_tenant(runtime, plan="professional")
    email, password = f"{uuid.uuid4().hex[:10]}@example.com", "s3cret-pass"
    uid = auth.create_user(email=email, password=password, email_verified=True, app=verifier.app).uid
    invitation = client.post(
        "/v1/members/invitations", json={"email": email, "role": "admin"}, headers=tenant.headers
    ).json

    # Signed in, but not a member of anything yet: the API refuses the token...
    fresh = {"Authorization": f"Bearer {_sign_in(auth_emulator, email, password)}"}
    assert client.get("/v1/me", headers=fresh).status_code == 401
    # ...except to accept the invitation.
    accepted = client.post(invitation["accept_path"], json={"token": invitation["token"]}, headers=fresh)
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["refresh_id_token"] is True and accepted.json["member"]["uid"] == uid
    assert auth.get_user(uid, app=verifier.app).custom_claims == {
        "tenant_id": tenant.tenant_id,
        "role": "admin",
    }

    # The refreshed ID token (what getIdToken(true) returns) carries the claims.
    refreshed = {"Authorization": f"Bearer {_sign_in(auth_emulator, email, password)}"}
    me = client.get("/v1/me", headers=refreshed)
    assert me.status_code == 200, me.json
    assert (me.json["tenant_id"], me.json["role"], me.json["credential"], me.json["user_id"]) == (
        tenant.tenant_id,
        "admin",
        "user",
        uid,
    )
    assert client.get("/v1/members", headers=refreshed).json["items"][0]["uid"] == uid

    # A role change reaches the claims; removal refuses even the token that still has them.
    changed = client.patch(f"/v1/members/{uid}", json={"role": "viewer"}, headers=tenant.headers)
    assert changed.status_code == 200 and changed.json["refresh_id_token"] is True
    assert auth.get_user(uid, app=verifier.app).custom_claims["role"] == "viewer"
    assert client.get("/v1/me", headers=refreshed).json["role"] == "viewer"  # the stored role counts
    assert client.delete(f"/v1/members/{uid}", headers=tenant.headers).status_code == 200
    assert not auth.get_user(uid, app=verifier.app).custom_claims
    assert client.get("/v1/me", headers=refreshed).status_code == 401


def test_a_removed_member_loses_their_job_stream(firebase_client: Any, auth_emulator: Any) -> None:
    """The stream checks the person again while it runs: removed, the next check ends it."""
    client, runtime, verifier = firebase_client
    tenant = make_tenant(runtime)
    uid, token = _member(verifier, auth_emulator, tenant.tenant_id, "architect", runtime)
    project_id = client.post("/v1/projects", json={"name": "p"}, headers=tenant.headers).json["id"]
    with workers_held(runtime):
        job_id = client.post(f"/v1/projects/{project_id}/layouts", json=BRIEF, headers=tenant.headers).json[
            "job_id"
        ]
        stream = client.get(
            f"/v1/jobs/{job_id}/events", headers={"Authorization": f"Bearer {token}"}, buffered=False
        )
        assert stream.status_code == 200
        chunks = iter(stream.response)
        assert next(chunks).startswith(b"event: progress")
        assert client.delete(f"/v1/members/{uid}", headers=tenant.headers).status_code == 200
        rest = sse_events(chunks)
    stream.close()
    assert len(rest) == 1 and rest[0].startswith("event: error"), rest
    assert json.loads(rest[0].split("data: ", 1)[1])["error"]["code"] == "UNAUTHENTICATED"
    drain(runtime)


def test_a_token_from_before_joining_cannot_join_a_second_tenant(
    firebase_client: Any, auth_emulator: Any
) -> None:
    """The early ID token names no tenant; the claims stored on the account do."""
    from firebase_admin import auth

    client, runtime, verifier = firebase_client
    tenant_a, tenant_b = make_tenant(runtime), make_tenant(runtime, name="B")
    email, password = f"{uuid.uuid4().hex[:10]}@example.com", "s3cret-pass"
    uid = auth.create_user(email=email, password=password, email_verified=True, app=verifier.app).uid
    early = {"Authorization": f"Bearer {_sign_in(auth_emulator, email, password)}"}
    into_b, into_a = (
        client.post("/v1/members/invitations", json={"email": email}, headers=t.headers).json
        for t in (tenant_b, tenant_a)
    )
    assert (
        client.post(into_b["accept_path"], json={"token": into_b["token"]}, headers=early).status_code == 200
    )
    refused = client.post(into_a["accept_path"], json={"token": into_a["token"]}, headers=early)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "MEMBER_OF_ANOTHER_TENANT"
    assert auth.get_user(uid, app=verifier.app).custom_claims["tenant_id"] == tenant_b.tenant_id
    assert client.get("/v1/members", headers=tenant_a.headers).json["items"] == []
