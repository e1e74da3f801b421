"""Members on the embedded default: invite by email, accept with a (local) ID token, list,
change role, remove, the last-owner rule, seats (also when accepts race), and member erasure in
the audit log and the review history."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from archbuilder.adapters.local.local_claims import LocalClaims
from archbuilder.domain.tenancy import InvitationCreate
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from archbuilder.services.identity import principal_for_member
from archbuilder.services.privacy import walk
from tests.conftest import TenantCredentials, drain, make_tenant
from tests.functional.test_api_layouts import BRIEF, new_project, submit


@pytest.fixture
def claims(runtime: Runtime) -> LocalClaims:
    assert isinstance(runtime.claims, LocalClaims)
    return runtime.claims


def _invite(client: FlaskClient, headers: dict[str, str], email: str, role: str = "architect") -> str:
    response = client.post("/v1/members/invitations", json={"email": email, "role": role}, headers=headers)
    assert response.status_code == 201, response.json
    return str(response.json["token"])


def _accept(client: FlaskClient, claims: LocalClaims, token: str, uid: str, email: str) -> dict:  # type: ignore[type-arg]
    bearer = {"Authorization": f"Bearer {claims.issue_token(uid, email=email)}"}
    response = client.post("/v1/members/invitations:accept", json={"token": token}, headers=bearer)
    assert response.status_code == 200, response.json
    return dict(response.json)


def _join(client: FlaskClient, claims: LocalClaims, tenant: TenantCredentials, uid: str, role: str) -> None:
    email = f"{uid}@example.com"
    _accept(client, claims, _invite(client, tenant.headers, email, role), uid, email)


def test_member_lifecycle(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, claims: LocalClaims
) -> None:
    created = client.post(
        "/v1/members/invitations",
        json={"email": "Ayse@Example.com", "role": "admin", "expires_in_days": 3},
        headers=tenant.headers,
    )
    assert created.status_code == 201
    invitation = created.json
    assert invitation["email"] == "ayse@example.com" and invitation["role"] == "admin"
    token = invitation["token"]
    assert token.startswith(f"inv.{tenant.tenant_id}.")
    assert invitation["accept_path"] == "/v1/members/invitations:accept"  # the token goes in the body
    # Only the hash of the token is stored.
    stored = runtime.store.query(Query(f"tenants/{tenant.tenant_id}/invitations"))
    assert len(stored) == 1 and token not in str(stored[0].data) and stored[0].id != token

    # Accepting needs a signed-in person, the invited address, and a token that exists.
    path, body = invitation["accept_path"], {"token": token}
    assert client.post(path, json=body).status_code == 401
    forged = {"Authorization": "Bearer local.forged.token"}
    assert client.post(path, json=body, headers=forged).status_code == 401
    wrong = client.post(
        path,
        json=body,
        headers={"Authorization": f"Bearer {claims.issue_token('u_mallory', email='m@example.com')}"},
    )
    assert wrong.status_code == 403 and wrong.json["error"]["code"] == "INVITATION_EMAIL_MISMATCH"
    missing = client.post(
        path,
        json={"token": f"inv.{tenant.tenant_id}.{'x' * 43}"},
        headers={"Authorization": f"Bearer {claims.issue_token('u_ayse', email='ayse@example.com')}"},
    )
    assert missing.status_code == 404 and missing.json["error"]["code"] == "INVITATION_NOT_FOUND"

    accepted = _accept(client, claims, token, "u_ayse", "ayse@example.com")
    assert accepted["tenant_id"] == tenant.tenant_id and accepted["refresh_id_token"] is True
    assert accepted["member"]["uid"] == "u_ayse" and accepted["member"]["role"] == "admin"
    assert claims.claims_of("u_ayse") == {"tenant_id": tenant.tenant_id, "role": "admin"}
    again = client.post(
        path,
        json=body,
        headers={"Authorization": f"Bearer {claims.issue_token('u_ayse', email='ayse@example.com')}"},
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "INVITATION_USED"
    # The refreshed token carries the claims; the membership document makes it a principal.
    principal = principal_for_member(runtime.store, tenant_id=tenant.tenant_id, role="admin", uid="u_ayse")
    assert principal.role == "admin" and principal.actor == "user:u_ayse"

    listed = client.get("/v1/members", headers=tenant.headers)
    assert listed.status_code == 200
    assert [(m["uid"], m["role"], m["email"]) for m in listed.json["items"]] == [
        ("u_ayse", "admin", "ayse@example.com")
    ]
    assert listed.json["items"][0]["invited_by"].startswith("api_key:")
    duplicate = client.post(
        "/v1/members/invitations", json={"email": "ayse@example.com"}, headers=tenant.headers
    )
    assert duplicate.status_code == 409 and duplicate.json["error"]["code"] == "ALREADY_A_MEMBER"

    changed = client.patch("/v1/members/u_ayse", json={"role": "viewer"}, headers=tenant.headers)
    assert changed.status_code == 200
    assert changed.json["member"]["role"] == "viewer" and changed.json["refresh_id_token"] is True
    assert claims.claims_of("u_ayse")["role"] == "viewer"
    # The stored role applies at once, whatever the old token says.
    assert principal_for_member(
        runtime.store, tenant_id=tenant.tenant_id, role="admin", uid="u_ayse"
    ).role == ("viewer")
    unchanged = client.patch("/v1/members/u_ayse", json={"role": "viewer"}, headers=tenant.headers).json
    assert unchanged["claims_updated"] is False
    assert (
        client.patch("/v1/members/u_ayse", json={"role": "chief"}, headers=tenant.headers).status_code == 422
    )

    removed = client.delete("/v1/members/u_ayse", headers=tenant.headers)
    assert removed.status_code == 200 and removed.json == {
        "uid": "u_ayse",
        "removed": True,
        "erased": False,
        "pseudonym": None,
        "audit_entries_pseudonymised": 0,
        "records_pseudonymised": 0,
    }
    assert claims.claims_of("u_ayse") == {}
    assert client.get("/v1/members", headers=tenant.headers).json["items"] == []
    assert client.delete("/v1/members/u_ayse", headers=tenant.headers).status_code == 404
    with pytest.raises(Exception) as refused:
        principal_for_member(runtime.store, tenant_id=tenant.tenant_id, role="admin", uid="u_ayse")
    assert getattr(refused.value, "status", None) == 401

    actions = [e["action"] for e in client.get("/v1/audit-log", headers=tenant.headers).json["items"]]
    assert {"invite_member", "accept_invitation", "change_member_role", "remove_member"} <= set(actions)


def test_the_last_owner_cannot_be_removed_or_demoted(
    client: FlaskClient, tenant: TenantCredentials, claims: LocalClaims
) -> None:
    _join(client, claims, tenant, "u_owner1", "owner")
    last = client.delete("/v1/members/u_owner1", headers=tenant.headers)
    assert last.status_code == 409 and last.json["error"]["code"] == "LAST_OWNER"
    demoted = client.patch("/v1/members/u_owner1", json={"role": "admin"}, headers=tenant.headers)
    assert demoted.status_code == 409 and demoted.json["error"]["code"] == "LAST_OWNER"

    _join(client, claims, tenant, "u_owner2", "owner")
    assert (
        client.patch("/v1/members/u_owner1", json={"role": "admin"}, headers=tenant.headers).status_code
        == 200
    )
    again = client.delete("/v1/members/u_owner2", headers=tenant.headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "LAST_OWNER"
    assert client.delete("/v1/members/u_owner1", headers=tenant.headers).status_code == 200


def test_roles_bound_who_manages_whom(
    client: FlaskClient, tenant: TenantCredentials, claims: LocalClaims
) -> None:
    _join(client, claims, tenant, "u_boss", "owner")
    admin = client.post("/v1/api-keys", json={"name": "a", "role": "admin"}, headers=tenant.headers).json
    architect = client.post(
        "/v1/api-keys", json={"name": "r", "role": "architect"}, headers=tenant.headers
    ).json
    as_admin = {"X-API-Key": admin["api_key"]}
    as_architect = {"X-API-Key": architect["api_key"]}
    # Architects read the team, but do not manage it.
    assert client.get("/v1/members", headers=as_architect).status_code == 200
    assert (
        client.post(
            "/v1/members/invitations", json={"email": "x@example.com"}, headers=as_architect
        ).status_code
        == 403
    )
    # Admins neither invite owners nor touch them.
    assert (
        client.post(
            "/v1/members/invitations", json={"email": "y@example.com", "role": "owner"}, headers=as_admin
        ).status_code
        == 403
    )
    assert client.patch("/v1/members/u_boss", json={"role": "viewer"}, headers=as_admin).status_code == 403
    assert client.delete("/v1/members/u_boss", headers=as_admin).status_code == 403
    # Only owners erase.
    assert client.delete("/v1/members/u_boss?erase=true", headers=as_admin).status_code == 403
    _join(client, claims, tenant, "u_junior", "viewer")
    assert (
        client.patch("/v1/members/u_junior", json={"role": "architect"}, headers=as_admin).status_code == 200
    )


def test_nobody_grants_an_action_their_role_lacks(
    client: FlaskClient, tenant: TenantCredentials, claims: LocalClaims
) -> None:
    """Billing may manage billing, which admins may not: ranks would let an admin grant it."""
    admin = client.post("/v1/api-keys", json={"name": "a", "role": "admin"}, headers=tenant.headers).json
    as_admin = {"X-API-Key": admin["api_key"]}
    _join(client, claims, tenant, "u_clerk", "viewer")
    billing_key = client.post(
        "/v1/api-keys", json={"name": "accounts", "role": "billing"}, headers=tenant.headers
    ).json

    refused = [
        client.post("/v1/api-keys", json={"name": "b", "role": "billing"}, headers=as_admin),
        client.post(f"/v1/api-keys/{billing_key['id']}/rotate", json={}, headers=as_admin),
        client.post(
            "/v1/members/invitations", json={"email": "z@example.com", "role": "billing"}, headers=as_admin
        ),
        client.patch("/v1/members/u_clerk", json={"role": "billing"}, headers=as_admin),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert {r.json["error"]["code"] for r in refused} == {"PERMISSION_DENIED"}
    assert [m["role"] for m in client.get("/v1/members", headers=tenant.headers).json["items"]] == ["viewer"]
    # What the admin's own role holds, it grants; the owner grants everything.
    assert (
        client.patch("/v1/members/u_clerk", json={"role": "architect"}, headers=as_admin).status_code == 200
    )
    assert (
        client.patch("/v1/members/u_clerk", json={"role": "billing"}, headers=tenant.headers).status_code
        == 200
    )


def test_accepting_needs_a_verified_email(
    client: FlaskClient, tenant: TenantCredentials, claims: LocalClaims
) -> None:
    token = _invite(client, tenant.headers, "new@example.com")
    unverified = claims.issue_token("u_new", email="new@example.com", email_verified=False)
    refused = client.post(
        "/v1/members/invitations:accept",
        json={"token": token},
        headers={"Authorization": f"Bearer {unverified}"},
    )
    assert refused.status_code == 403 and refused.json["error"]["code"] == "INVITATION_EMAIL_UNVERIFIED"
    assert claims.claims_of("u_new") == {}
    # Once the address is verified, the same invitation works.
    assert _accept(client, claims, token, "u_new", "new@example.com")["member"]["uid"] == "u_new"


def test_invitations_expire_and_seats_are_limited(
    client: FlaskClient, runtime: Runtime, claims: LocalClaims
) -> None:
    free = make_tenant(runtime, name="Small Studio", plan="free")  # 2 seats
    _join(client, claims, free, "u_a", "architect")
    _join(client, claims, free, "u_b", "viewer")
    token = _invite(client, free.headers, "c@example.com")
    bearer = {"Authorization": f"Bearer {claims.issue_token('u_c', email='c@example.com')}"}
    full = client.post("/v1/members/invitations:accept", json={"token": token}, headers=bearer)
    assert full.status_code == 402 and full.json["error"]["code"] == "PLAN_LIMIT_REACHED"
    assert full.json["error"]["details"]["quota"] == "seats"

    client.delete("/v1/members/u_b", headers=free.headers)
    # Expired invitations cannot be used.
    [stored] = [
        s
        for s in runtime.store.query(Query(f"tenants/{free.tenant_id}/invitations"))
        if s.data["email"] == "c@example.com"
    ]
    runtime.store.update(stored.path, {"expires_at": format_timestamp(now() - timedelta(minutes=1))})
    expired = client.post("/v1/members/invitations:accept", json={"token": token}, headers=bearer)
    assert expired.status_code == 410 and expired.json["error"]["code"] == "INVITATION_EXPIRED"


def test_a_person_belongs_to_one_tenant_at_a_time(
    client: FlaskClient,
    runtime: Runtime,
    tenant: TenantCredentials,
    other_tenant: TenantCredentials,
    claims: LocalClaims,
) -> None:
    _join(client, claims, tenant, "u_sam", "architect")
    token = _invite(client, other_tenant.headers, "u_sam@example.com")
    bearer = {"Authorization": f"Bearer {claims.issue_token('u_sam', email='u_sam@example.com')}"}
    refused = client.post("/v1/members/invitations:accept", json={"token": token}, headers=bearer)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "MEMBER_OF_ANOTHER_TENANT"
    # Once removed from the first tenant, the same invitation works.
    assert client.delete("/v1/members/u_sam", headers=tenant.headers).status_code == 200
    bearer = {"Authorization": f"Bearer {claims.issue_token('u_sam', email='u_sam@example.com')}"}
    assert (
        client.post("/v1/members/invitations:accept", json={"token": token}, headers=bearer).status_code
        == 200
    )
    assert claims.claims_of("u_sam")["tenant_id"] == other_tenant.tenant_id


def test_a_token_from_before_joining_cannot_join_a_second_tenant(
    client: FlaskClient,
    tenant: TenantCredentials,
    other_tenant: TenantCredentials,
    claims: LocalClaims,
) -> None:
    """The ID token was issued before the person joined anything, so it names no tenant; the
    stored claims do."""
    email = "u_twice@example.com"
    early = {"Authorization": f"Bearer {claims.issue_token('u_twice', email=email)}"}
    into_b = _invite(client, other_tenant.headers, email)
    into_a = _invite(client, tenant.headers, email)
    joined = client.post("/v1/members/invitations:accept", json={"token": into_b}, headers=early)
    assert joined.status_code == 200
    refused = client.post("/v1/members/invitations:accept", json={"token": into_a}, headers=early)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "MEMBER_OF_ANOTHER_TENANT"
    assert client.get("/v1/members", headers=tenant.headers).json["items"] == []
    assert claims.claims_of("u_twice")["tenant_id"] == other_tenant.tenant_id
    # Removed from B, the person may take A's invitation, with the same early token.
    assert client.delete("/v1/members/u_twice", headers=other_tenant.headers).status_code == 200
    moved = client.post("/v1/members/invitations:accept", json={"token": into_a}, headers=early)
    assert moved.status_code == 200 and moved.json["tenant_id"] == tenant.tenant_id


def test_member_erasure_pseudonymises_their_audit_entries(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, claims: LocalClaims
) -> None:
    from archbuilder.services import audit

    _join(client, claims, tenant, "u_gone", "architect")
    # What the HTTP layer writes for the member's own requests, and for requests on them.
    member = principal_for_member(runtime.store, tenant_id=tenant.tenant_id, role="architect", uid="u_gone")
    for n in range(3):
        audit.record(
            runtime.store,
            member,
            action="create_project",
            method="POST",
            resource="/v1/projects",
            status=201,
            correlation_id=f"c{n}",
            source_ip=None,
        )
    client.patch("/v1/members/u_gone", json={"role": "viewer"}, headers=tenant.headers)

    erased = client.delete("/v1/members/u_gone", query_string={"erase": "true"}, headers=tenant.headers)
    assert erased.status_code == 200, erased.json
    body = erased.json
    assert body["removed"] is True and body["erased"] is True
    pseudonym = body["pseudonym"]
    assert pseudonym.startswith("erased-") and "u_gone" not in pseudonym
    # 3 requests by the member + accepting the invitation + the role change made on them.
    assert body["audit_entries_pseudonymised"] == 5

    log = client.get("/v1/audit-log", query_string={"page_size": 200}, headers=tenant.headers).json["items"]
    assert "u_gone" not in str(log)
    assert sum(e["actor"] == f"user:{pseudonym}" for e in log) == 4
    assert any(e["action"] == "remove_member" and e["resource"] == f"/v1/members/{pseudonym}" for e in log)
    assert not runtime.store.query(Query(f"tenants/{tenant.tenant_id}/invitations"))
    # Erasing again: nothing names them any more.
    assert client.delete("/v1/members/u_gone?erase=true", headers=tenant.headers).status_code == 404


def test_two_accepts_racing_for_the_last_seat_take_it_once(
    client: FlaskClient, runtime: Runtime, claims: LocalClaims
) -> None:
    free = make_tenant(runtime, name="Small Studio", plan="free")  # 2 seats
    _join(client, claims, free, "u_first", "architect")
    racers = ["u_racer1", "u_racer2"]
    tokens = {uid: _invite(client, free.headers, f"{uid}@example.com") for uid in racers}

    def accept(uid: str) -> tuple[int, str | None]:
        bearer = {"Authorization": f"Bearer {claims.issue_token(uid, email=f'{uid}@example.com')}"}
        response = client.application.test_client().post(
            "/v1/members/invitations:accept", json={"token": tokens[uid]}, headers=bearer
        )
        return response.status_code, (response.json or {}).get("error", {}).get("code")

    # Another writer holds the database for a moment, so both accepts read and decide before
    # either commits: the race every time, not by luck.
    writer = sqlite3.connect(runtime.settings.data_dir / "documents.sqlite3", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(len(racers)) as pool:
            futures = [pool.submit(accept, uid) for uid in racers]
            time.sleep(0.5)
            writer.execute("ROLLBACK")
            outcomes = sorted((f.result() for f in futures), key=lambda outcome: outcome[0])
    finally:
        writer.close()
    assert outcomes == [(200, None), (402, "PLAN_LIMIT_REACHED")]
    assert len(client.get("/v1/members", headers=free.headers).json["items"]) == 2


def test_member_erasure_pseudonymises_their_review_history(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, claims: LocalClaims
) -> None:
    from archbuilder.services import members, reviews

    _join(client, claims, tenant, "u_rev", "admin")
    project_id = new_project(client, tenant)
    layout_id = submit(client, tenant, project_id, BRIEF).json["layout_id"]
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts/{layout_id}"
    # What the member's own requests leave (people's ID tokens need Firebase, so through the
    # services, as the HTTP layer calls them): an assignment, a corrected version, two
    # decisions, and two invitations, one accepted.
    member = principal_for_member(runtime.store, tenant_id=tenant.tenant_id, role="admin", uid="u_rev")
    reviews.assign_review(runtime, member, layout_id, None)
    rooms = client.get(f"{base}/versions/1", headers=tenant.headers).json["payload"]["rooms"]
    rename = reviews.ReviewRequest.model_validate(
        {"corrections": [{"op": "rename_room", "room_id": rooms[0]["id"], "name": "Salon"}]}
    )
    reviews.review_layout(runtime, member, project_id, layout_id, rename)
    approve = reviews.ReviewRequest(decision=reviews.Decision.approve)
    reviews.review_layout(runtime, member, project_id, layout_id, approve)
    for email in ("u_new@example.com", "pending@example.com"):
        sent = members.invite(runtime.store, member, InvitationCreate(email=email))
        if email.startswith("u_new"):
            _accept(client, claims, sent.token, "u_new", email)
    assert "user:u_rev" in str(client.get(f"{base}/decisions", headers=tenant.headers).json)

    erased = client.delete("/v1/members/u_rev?erase=true", headers=tenant.headers)
    assert erased.status_code == 200, erased.json
    named = f"user:{erased.json['pseudonym']}"
    # The assignment, two decisions, version 2, two invitations sent and the member they brought in.
    assert erased.json["records_pseudonymised"] == 7
    history = client.get(f"{base}/decisions", headers=tenant.headers).json["items"]
    assert [d["actor"] for d in history] == [named, named]
    assert client.get(f"{base}/versions/2", headers=tenant.headers).json["created_by"] == named
    done = client.get("/v1/reviews", query_string={"status": "done"}, headers=tenant.headers).json["items"]
    assert [e["assignee"] for e in done] == [named]
    listed = client.get("/v1/members", headers=tenant.headers).json["items"]
    assert [(m["uid"], m["invited_by"]) for m in listed] == [("u_new", named)]
    # Nothing the tenant stores names them any more.
    assert "u_rev" not in json.dumps([s.data for s in walk(runtime, f"tenants/{tenant.tenant_id}")])
