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

from archbuilder.api.openapi import build_openapi
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


def test_the_audited_source_ip_is_the_one_the_load_balancer_saw(
    client: FlaskClient, tenant: TenantCredentials
) -> None:
    """X-Forwarded-For is "<what the client sent…>, <client>, <load balancer>": a forged
    first entry is not the caller's address."""
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
    log = client.get("/v1/audit-log", query_string={"action": "create_project"}, headers=tenant.headers).json
    ips = sorted(e["source_ip"] for e in log["items"])
    assert ips == ["198.51.100.2", "198.51.100.7"]


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
