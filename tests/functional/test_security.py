"""Rate limits, the audit log, and tenant isolation over every route of the OpenAPI document."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from archbuilder.api.openapi import all_apis, build_openapi
from archbuilder.domain.permissions import ACTIONS, PERMISSIONS
from archbuilder.domain.tenancy import Role
from archbuilder.platform.logging import CloudLoggingFormatter
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials, drain
from tests.functional.test_api_layouts import BRIEF

# A valid body for every route that takes one, by operationId. A new route with a body
# and no sample here fails test_every_route_with_ids_hides_other_tenants_resources.
SAMPLE_BODIES: dict[str, Any] = {
    "update_project": {"name": "renamed"},
    "submit_layout": BRIEF,
    "create_upload": {"filename": "plan.ifc", "size_bytes": 10, "sha256": "0" * 64},
    "rotate_api_key": {},
    "create_project": {"name": "x"},
    "create_api_key": {"name": "x"},
    "review_layout": {"decision": "approve"},
    "revise_layout": {"feedback": "bigger kitchen"},
    "assign_review": {},
    "create_webhook": {"url": "http://127.0.0.1:9/x", "events": ["job.failed"]},
    "invite_member": {"email": "someone@example.com", "role": "viewer"},
    "change_member_role": {"role": "viewer"},
    "parse_brief": {"text": "a flat with two bedrooms"},
    "set_review_policy": {"auto_approve": False},
    "privacy_erase": {"confirm": "not the tenant's name"},
    "create_checkout": {"plan": "professional"},
    "add_document": {
        "filename": "rules.txt",
        "content_base64": "TUFEREUgMSDigJMgKDEpIE9kYSBlbiBheiA5IG0yLgo=",  # "MADDE 1 – (1) Oda en az 9 m2."
        "region": "TR",
        "language": "tr",
        "title": "x",
    },
    "ask_regulations": {"question": "oda"},
    "create_regulation_upload": {
        "filename": "rules.txt",
        "size_bytes": 10,
        "sha256": "0" * 64,
        "region": "TR",
        "language": "tr",
        "title": "x",
    },
}
SAMPLE_QUERIES: dict[str, dict[str, str]] = {
    "list_rules": {"region": "TR"},
    "search_regulations": {"q": "oda"},
}

# Routes that answer without credentials, with what stands in for them. A route added with
# auth=False fails test_every_route_checks_its_permission until it is listed here.
PUBLIC_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/v1/health"): "nothing: liveness, no tenant data",
    ("POST", "/v1/members/invitations:accept"): "the invitation token and the person's ID token",
    ("GET", "/v1/downloads/{token}"): "the signed download token",
    ("PUT", "/v1/uploads/{token}"): "the signed upload token",
    ("GET", "/v1/openapi.json"): "nothing: the public API description",
    ("GET", "/docs"): "nothing: the explorer page",
    ("GET", "/docs/{asset}"): "nothing: the explorer's files",
    ("POST", "/v1/billing/webhook"): "the Stripe signature",
}

# The action (domain/permissions.py) every other route needs. A new route fails
# test_every_route_checks_its_permission until it is listed here, and then until it checks it.
ROUTE_ACTIONS: dict[tuple[str, str], str] = {
    ("GET", "/v1/me"): "me:read",
    ("POST", "/v1/api-keys"): "api_keys:manage",
    ("GET", "/v1/api-keys"): "api_keys:manage",
    ("DELETE", "/v1/api-keys/{key_id}"): "api_keys:manage",
    ("POST", "/v1/api-keys/{key_id}/rotate"): "api_keys:manage",
    ("POST", "/v1/members/invitations"): "members:manage",
    ("GET", "/v1/members"): "members:read",
    ("PATCH", "/v1/members/{uid}"): "members:manage",
    ("DELETE", "/v1/members/{uid}"): "members:manage",
    ("GET", "/v1/audit-log"): "audit:read",
    ("POST", "/v1/webhooks"): "webhooks:manage",
    ("GET", "/v1/webhooks"): "webhooks:manage",
    ("DELETE", "/v1/webhooks/{webhook_id}"): "webhooks:manage",
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): "webhooks:manage",
    ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): "webhooks:manage",
    ("POST", "/v1/privacy/export"): "privacy:export",
    ("POST", "/v1/privacy/erase"): "privacy:erase",
    ("POST", "/v1/projects"): "projects:write",
    ("GET", "/v1/projects"): "projects:read",
    ("GET", "/v1/projects/{project_id}"): "projects:read",
    ("PATCH", "/v1/projects/{project_id}"): "projects:write",
    ("DELETE", "/v1/projects/{project_id}"): "projects:delete",
    ("POST", "/v1/projects/{project_id}/uploads"): "models:write",
    ("GET", "/v1/projects/{project_id}/models/{model_id}"): "models:read",
    ("GET", "/v1/projects/{project_id}/models/{model_id}/analysis"): "models:read",
    ("POST", "/v1/projects/{project_id}/layouts"): "layouts:write",
    ("GET", "/v1/projects/{project_id}/layouts"): "layouts:read",
    ("GET", "/v1/projects/{project_id}/layouts/{layout_id}"): "layouts:read",
    ("GET", "/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}"): "layouts:read",
    ("GET", "/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}/compliance"): "layouts:read",
    ("GET", "/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}/design-review"): "layouts:read",
    ("GET", "/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}/export"): "layouts:read",
    ("GET", "/v1/jobs/{job_id}"): "jobs:read",
    ("GET", "/v1/jobs/{job_id}/events"): "jobs:read",
    ("POST", "/v1/projects/{project_id}/layouts/{layout_id}/review"): "layouts:review",
    ("POST", "/v1/projects/{project_id}/layouts/{layout_id}/revise"): "layouts:write",
    ("GET", "/v1/projects/{project_id}/layouts/{layout_id}/decisions"): "layouts:read",
    ("GET", "/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}/diff/{other}"): "layouts:read",
    ("GET", "/v1/review-policy"): "layouts:read",
    ("PUT", "/v1/review-policy"): "review_policy:manage",
    ("GET", "/v1/reviews"): "layouts:read",
    ("POST", "/v1/reviews/{layout_id}/assign"): "layouts:review",
    ("POST", "/v1/briefs:parse"): "layouts:write",
    ("POST", "/v1/compliance/check"): "compliance:run",
    ("GET", "/v1/compliance/rules"): "compliance:run",
    ("GET", "/v1/billing/subscription"): "billing:read",
    ("POST", "/v1/billing/checkout"): "billing:manage",
    ("POST", "/v1/billing/portal"): "billing:manage",
    ("GET", "/v1/usage"): "usage:read",
    ("POST", "/v1/regulations/documents"): "regulations:write",
    ("POST", "/v1/regulations/uploads"): "regulations:write",
    ("GET", "/v1/regulations/documents"): "regulations:read",
    ("GET", "/v1/regulations/documents/{document_id}"): "regulations:read",
    ("DELETE", "/v1/regulations/documents/{document_id}"): "regulations:write",
    ("GET", "/v1/regulations/documents/{document_id}/passages/{passage_id}"): "regulations:read",
    ("GET", "/v1/regulations/search"): "regulations:read",
    ("POST", "/v1/regulations:ask"): "regulations:read",
}


def test_rate_limit_answers_429_with_retry_after(client: FlaskClient, tenant: TenantCredentials) -> None:
    first = client.get("/v1/me", headers=tenant.headers)
    limit = int(first.headers["RateLimit-Limit"])
    assert int(first.headers["RateLimit-Remaining"]) == limit - 1
    # The bucket refills while the loop runs (a slow machine refills more), so count the
    # successes up to the first refusal instead of expecting it at an exact request.
    successes, refused = 1, None
    for _ in range(3 * limit):
        response = client.get("/v1/me", headers=tenant.headers | {"Accept-Language": "tr"})
        if response.status_code == 429:
            refused = response
            break
        assert response.status_code == 200
        successes += 1
    assert refused is not None, "never rate-limited"
    assert successes >= limit
    assert (
        refused.json["error"]["code"] == "RATE_LIMITED"
        and "Çok fazla istek" in refused.json["error"]["message"]
    )
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_changes_and_refusals_are_audited(client: FlaskClient, tenant: TenantCredentials) -> None:
    project = client.post(
        "/v1/projects",
        json={"name": "Audited"},
        headers=tenant.headers,
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    ).json
    client.patch(f"/v1/projects/{project['id']}", json={"name": "B"}, headers=tenant.headers)
    viewer = client.post("/v1/api-keys", json={"name": "v", "role": "viewer"}, headers=tenant.headers).json
    denied = client.delete(f"/v1/projects/{project['id']}", headers={"X-API-Key": viewer["api_key"]})
    assert denied.status_code == 403
    assert client.get("/v1/audit-log", headers={"X-API-Key": viewer["api_key"]}).status_code == 403

    log = client.get("/v1/audit-log", headers=tenant.headers).json["items"]
    actions = [e["action"] for e in log]
    assert actions[:4] == ["audit_log", "delete_project", "create_api_key", "update_project"] or (
        {"create_project", "update_project", "create_api_key", "delete_project"} <= set(actions)
    )
    created = next(e for e in log if e["action"] == "create_project")
    assert created["outcome"] == "success" and created["source_ip"] == "203.0.113.7"
    assert created["resource"] == "/v1/projects" and created["actor"].startswith("api_key:key_")
    refusal = next(e for e in log if e["action"] == "delete_project")
    assert refusal["outcome"] == "denied" and refusal["status"] == 403
    only = client.get("/v1/audit-log", query_string={"action": "update_project"}, headers=tenant.headers).json
    assert [e["action"] for e in only["items"]] == ["update_project"]
    first_page = client.get("/v1/audit-log", query_string={"page_size": 2}, headers=tenant.headers).json
    second_page = client.get(
        "/v1/audit-log",
        query_string={"page_size": 2, "page_token": first_page["next_page_token"]},
        headers=tenant.headers,
    ).json
    assert not {e["id"] for e in first_page["items"]} & {e["id"] for e in second_page["items"]}


def _audited_ips(client: FlaskClient, tenant: TenantCredentials) -> list[str]:
    log = client.get("/v1/audit-log", query_string={"action": "create_project"}, headers=tenant.headers).json
    return sorted(e["source_ip"] for e in log["items"])


def test_without_a_proxy_in_front_x_forwarded_for_is_not_the_source_ip(
    client: FlaskClient, tenant: TenantCredentials
) -> None:
    """The dev server (no proxy is configured): whatever the client writes in X-Forwarded-For
    is its own claim, the socket's peer is the address."""
    for forwarded in ("6.6.6.6", "6.6.6.6, 7.7.7.7"):
        created = client.post(
            "/v1/projects",
            json={"name": "Forged"},
            headers=tenant.headers | {"X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": "198.51.100.2"},
        )
        assert created.status_code == 201
    assert _audited_ips(client, tenant) == ["198.51.100.2", "198.51.100.2"]


def test_the_audited_source_ip_is_the_one_the_load_balancer_saw(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind the load balancer (ARCHBUILDER_TRUSTED_PROXY_HOPS=1, as the Terraform sets it),
    X-Forwarded-For is "<what the client sent…>, <client>, <load balancer>": a forged first
    entry is not the caller's address."""
    monkeypatch.setattr(runtime.settings, "trusted_proxy_hops", 1)
    forged = client.post(
        "/v1/projects",
        json={"name": "Forged"},
        headers=tenant.headers | {"X-Forwarded-For": "203.0.113.66"},
        environ_base={"REMOTE_ADDR": "198.51.100.2"},
    )
    behind_the_lb = client.post(
        "/v1/projects",
        json={"name": "Balanced"},
        headers=tenant.headers | {"X-Forwarded-For": "203.0.113.66, 198.51.100.7, 130.211.0.1"},
        environ_base={"REMOTE_ADDR": "169.254.1.1"},
    )
    assert forged.status_code == behind_the_lb.status_code == 201
    assert _audited_ips(client, tenant) == ["198.51.100.2", "198.51.100.7"]


class _Body(io.RawIOBase):
    """A request body of ``size`` bytes that counts how many were read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left, 64 * 1024)
        buffer[:n] = b" " * n
        self.left -= n
        self.read_bytes += n
        return n


class _Chunks(io.RawIOBase):
    """A body that arrives in pieces: each read answers at most the next piece."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.pieces:
            return 0
        piece = self.pieces.pop(0)
        n = min(len(buffer), len(piece))
        buffer[:n] = piece[:n]
        if n < len(piece):
            self.pieces.insert(0, piece[n:])
        return n


def _chunked_post(client: FlaskClient, path: str, headers: dict[str, str], body: io.RawIOBase) -> Any:
    """POST ``body`` as a server that de-chunks a ``Transfer-Encoding: chunked`` request hands it
    over (werkzeug's, gunicorn): no Content-Length, and ``wsgi.input_terminated`` set."""
    builder = EnvironBuilder(
        path=path,
        method="POST",
        headers=headers | {"Transfer-Encoding": "chunked"},
        content_type="application/json",
    )
    environ = builder.get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": body, "wsgi.input_terminated": True})
    return client.open(Request(environ))


def test_a_chunked_body_past_the_limit_is_refused_without_reading_it_all(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    limit = runtime.settings.max_body_bytes
    body = _Body(30 * limit)
    response = _chunked_post(client, "/v1/projects", tenant.headers, body)
    assert response.status_code == 413 and response.json["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert body.read_bytes <= limit + 64 * 1024
    # A chunked body within the limit is read whole, however many reads it takes.
    small = _Chunks([b'{"name": ', b" " * 200_000, b'"chunked"}'])
    accepted = _chunked_post(client, "/v1/projects", tenant.headers, small)
    assert accepted.status_code == 201 and accepted.json["name"] == "chunked"


def _resources_of(client: FlaskClient, runtime: Runtime, tenant: TenantCredentials) -> dict[str, str]:
    hook = client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["job.succeeded"]},
        headers=tenant.headers,
    ).json
    project_id = client.post("/v1/projects", json={"name": "A's"}, headers=tenant.headers).json["id"]
    accepted = client.post(f"/v1/projects/{project_id}/layouts", json=BRIEF, headers=tenant.headers).json
    upload = client.post(
        f"/v1/projects/{project_id}/uploads", json=SAMPLE_BODIES["create_upload"], headers=tenant.headers
    ).json
    key = client.post("/v1/api-keys", json={"name": "k"}, headers=tenant.headers).json
    uid = _member_of(client, runtime, tenant)
    regulation = client.post(
        "/v1/regulations/documents", json=SAMPLE_BODIES["add_document"], headers=tenant.headers
    ).json
    drain(runtime)
    deliveries = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers).json["items"]
    return {
        "webhook_id": hook["id"],
        "delivery_id": deliveries[0]["id"],
        "project_id": project_id,
        "layout_id": accepted["layout_id"],
        "job_id": accepted["job_id"],
        "version": "1",
        "other": "1",
        "model_id": upload["model_id"],
        "key_id": key["id"],
        "uid": uid,
        "document_id": regulation["id"],
        "passage_id": "p1",
    }


def _member_of(client: FlaskClient, runtime: Runtime, tenant: TenantCredentials) -> str:
    """A member of ``tenant``, joined through an invitation with a local ID token."""
    from archbuilder.adapters.local.local_claims import LocalClaims

    assert isinstance(runtime.claims, LocalClaims)
    email = "member-a@example.com"
    invitation = client.post(
        "/v1/members/invitations", json={"email": email, "role": "architect"}, headers=tenant.headers
    ).json
    bearer = {"Authorization": f"Bearer {runtime.claims.issue_token('uid_member_a', email=email)}"}
    accepted = client.post(invitation["accept_path"], json={"token": invitation["token"]}, headers=bearer)
    assert accepted.status_code == 200, accepted.json
    return str(accepted.json["member"]["uid"])


def test_every_route_with_ids_hides_other_tenants_resources(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    ids = _resources_of(client, runtime, tenant)
    checked = 0
    for path, operations in build_openapi()["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if not names:
            continue
        for method, operation in operations.items():
            if "security" not in operation:
                continue
            assert all(n in ids for n in names), f"no sample id for {path}: add one to _resources_of"
            url = path.format(**ids)
            body = None
            if "requestBody" in operation:
                assert operation["operationId"] in SAMPLE_BODIES, (
                    f"add a sample body for {operation['operationId']}"
                )
                body = SAMPLE_BODIES[operation["operationId"]]
            response = client.open(url, method=method.upper(), json=body, headers=other_tenant.headers)
            assert response.status_code == 404, (
                f"{method.upper()} {url} answered {response.status_code} to another tenant"
            )
            checked += 1
    assert checked >= 12
    # Nothing of tenant A changed.
    assert client.get(f"/v1/projects/{ids['project_id']}", headers=tenant.headers).json["name"] == "A's"
    assert client.get(f"/v1/jobs/{ids['job_id']}", headers=tenant.headers).json["status"] == "succeeded"
    members = client.get("/v1/members", headers=tenant.headers).json["items"]
    assert [(m["uid"], m["role"]) for m in members] == [(ids["uid"], "architect")]


def _route_table() -> dict[tuple[str, str], bool]:
    """Every route of every HTTP function, as (method, OpenAPI path) → needs credentials."""
    return {
        (route.method, re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", route.path)): route.auth
        for api in all_apis()
        for route in api.routes
    }


def test_every_route_checks_its_permission(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """The roles × actions table holds on every route, with or without ids: a key of a role
    without the route's action, or scoped to everything but it, is refused (403); a key scoped
    to the action alone, and every role that has it, is not."""
    table = _route_table()
    assert {r for r, auth in table.items() if not auth} == set(PUBLIC_ROUTES)
    assert {r for r, auth in table.items() if auth} == set(ROUTE_ACTIONS), "list the route's action"
    ids = _resources_of(client, runtime, tenant)
    version = f"/v1/projects/{ids['project_id']}/layouts/{ids['layout_id']}/versions/1"
    bodies = SAMPLE_BODIES | {
        "create_api_key": {"name": "x", "scopes": ["api_keys:manage"]},  # within a scoped caller's own
        "check": {"layout": client.get(version, headers=tenant.headers).json["payload"]},
    }
    # The sample key to rotate and revoke: scoped, so that a scoped caller may rotate it.
    ids["key_id"] = client.post(
        "/v1/api-keys", json={"name": "k", "scopes": ["projects:read"]}, headers=tenant.headers
    ).json["id"]
    operations = {
        (method.upper(), path): operation
        for path, methods in build_openapi()["paths"].items()
        for method, operation in methods.items()
    }
    keys: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}

    def key(role: Role, scopes: list[str]) -> dict[str, str]:
        if (role.value, tuple(scopes)) not in keys:
            created = client.post(
                "/v1/api-keys",
                json={"name": "m", "role": role.value, "scopes": scopes},
                headers=tenant.headers,
            )
            assert created.status_code == 201, created.json
            keys[(role.value, tuple(scopes))] = {"X-API-Key": created.json["api_key"]}
        return keys[(role.value, tuple(scopes))]

    def status(route: tuple[str, str], headers: dict[str, str]) -> int:
        name = operations[route]["operationId"]
        response = client.open(
            route[1].format(**ids),
            method=route[0],
            json=bodies[name] if "requestBody" in operations[route] else None,
            query_string=SAMPLE_QUERIES.get(name),
            headers=headers,
        )
        return response.status_code

    # Refusals first: nothing has been changed or deleted yet by the callers that may.
    for route, action in ROUTE_ACTIONS.items():
        others = [a for a in ACTIONS if a != action]
        for scopes in (others[: len(others) // 2], others[len(others) // 2 :]):
            assert status(route, key(Role.owner, scopes)) == 403, f"{route} without {action} in the scopes"
        for role in set(Role) - PERMISSIONS[action]:
            assert status(route, key(role, [])) == 403, f"{route} for {role.value}"
    for route, action in ROUTE_ACTIONS.items():
        assert status(route, key(Role.owner, [action])) not in (401, 403), f"{route} scoped to {action}"
        for role in PERMISSIONS[action]:
            assert status(route, key(role, [])) not in (401, 403), f"{route} for {role.value}"
    drain(runtime)


@pytest.mark.parametrize(
    "body",
    [
        '{"a":' * 40 + "1" + "}" * 40,
        "[" * 5000 + "]" * 5000,
        '{"name": "x", "tags": [' + ",".join(["1"] * 10_001) + "]}",
    ],
)
def test_deeply_nested_or_huge_json_is_refused(
    client: FlaskClient, tenant: TenantCredentials, body: str
) -> None:
    response = client.post("/v1/projects", data=body, content_type="application/json", headers=tenant.headers)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "JSON_TOO_COMPLEX"


@contextlib.contextmanager
def _json_logs() -> Iterator[io.StringIO]:
    """Every ``archbuilder`` log line written in the block, as the JSON Cloud Logging receives."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CloudLoggingFormatter())
    logger = logging.getLogger("archbuilder")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_request_logs_name_route_templates_not_uids_or_tokens(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    uid = _member_of(client, runtime, tenant)
    token = client.post(
        "/v1/members/invitations", json={"email": "later@example.com"}, headers=tenant.headers
    ).json["token"]
    with _json_logs() as logs:
        changed = client.patch(f"/v1/members/{uid}", json={"role": "viewer"}, headers=tenant.headers)
        assert changed.status_code == 200
        assert client.get(f"/v1/members/{uid}/nothing", headers=tenant.headers).status_code in (404, 405)
        accept = client.post("/v1/members/invitations:accept", json={"token": token})
        assert accept.status_code == 401
        assert client.delete(f"/v1/members/{uid}", headers=tenant.headers).status_code == 200
    text = logs.getvalue()
    assert uid not in text and token.rsplit(".", 1)[1] not in text
    urls = [
        line["httpRequest"]["requestUrl"]
        for line in map(json.loads, text.splitlines())
        if "httpRequest" in line
    ]
    assert urls.count("/v1/members/{uid}") == 2 and "/v1/members/invitations:accept" in urls
    assert "/v1/members/{id}/{id}" in urls  # an unmatched path keeps only the API's own words
