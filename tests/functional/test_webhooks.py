"""Hearing about it: signed webhooks with retries and replay, and job progress as Server-Sent Events."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from archbuilder.domain.timestamps import now
from archbuilder.platform.errors import BadRequest
from archbuilder.runtime import Runtime
from archbuilder.services.maintenance import run_maintenance
from archbuilder.services.webhooks import check_target
from tests.conftest import TenantCredentials, drain
from tests.functional.test_api_layouts import BRIEF, new_project, submit


@dataclass
class Receiver:
    """A local HTTP endpoint that refuses its first ``refuse`` requests, then accepts."""

    refuse: int = 1
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""
    paths: list[str] = field(default_factory=list)  # each request's path (decoded) and query (as sent)

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        self.received.append((dict(request.headers), request.get_data()))
        self.paths.append(request.full_path.rstrip("?"))
        status = 503 if len(self.received) <= self.refuse else 200
        return Response("", status=status)(environ, start_response)


@contextlib.contextmanager
def _serving(app: Callable, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:  # type: ignore[type-arg]
    """``app`` on a local port for the block; yields its base URL."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{f'[{host}]' if ':' in host else host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    app = Receiver()
    with _serving(app) as base:
        app.url = f"{base}/hooks/archbuilder"
        yield app


def test_approval_webhook_arrives_after_a_refused_first_attempt(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, receiver: Receiver
) -> None:
    headers = tenant.headers
    hook = client.post(
        "/v1/webhooks", json={"url": receiver.url, "events": ["layout.approved"]}, headers=headers
    )
    assert hook.status_code == 201 and hook.json["secret"].startswith("whsec_")
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}"
    v1 = client.get(f"{base}/versions/1", headers=headers).json
    client.post(
        f"{base}/review",
        headers=headers,
        json={
            "corrections": [
                {"op": "rename_room", "room_id": v1["payload"]["rooms"][0]["id"], "name": "Oturma"}
            ]
        },
    )
    approved = client.post(f"{base}/review", json={"decision": "approve"}, headers=headers)
    assert approved.json["layout"]["approved_version"] == 2
    drain(runtime)

    deliveries = client.get(f"/v1/webhooks/{hook.json['id']}/deliveries", headers=headers).json["items"]
    (delivery,) = deliveries
    assert (
        delivery["status"] == "retrying" and delivery["attempts"] == 1 and delivery["last_status_code"] == 503
    )
    # Not due yet: nothing is sent.
    assert run_maintenance(runtime).webhook_attempts == 0
    run_maintenance(runtime, at=now() + timedelta(minutes=2))
    delivered = client.get(f"/v1/webhooks/{hook.json['id']}/deliveries", headers=headers).json["items"][0]
    assert delivered["status"] == "delivered" and delivered["attempts"] == 2

    sent_headers, body = receiver.received[-1]
    event = json.loads(body)
    assert event["type"] == "layout.approved" and event["data"]["version"] == 2
    stamp, digest = (part.split("=", 1)[1] for part in sent_headers["Archbuilder-Signature"].split(","))
    expected = hmac.new(hook.json["secret"].encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(digest, expected)
    assert sent_headers["Archbuilder-Event"] == "layout.approved"

    replayed = client.post(
        f"/v1/webhooks/{hook.json['id']}/deliveries/{delivery['id']}/retry", headers=headers
    )
    assert replayed.status_code == 200 and replayed.json["status"] == "delivered"
    assert len(receiver.received) == 3


def test_private_targets_are_refused_unless_allowed() -> None:
    with pytest.raises(BadRequest) as refused:
        check_target("http://127.0.0.1:8080/x", allow_private=False)
    assert refused.value.code == "WEBHOOK_TARGET_REFUSED"
    with pytest.raises(BadRequest):
        check_target("http://169.254.169.254/computeMetadata/v1/", allow_private=False)
    check_target("http://127.0.0.1:8080/x", allow_private=True)


@dataclass
class Redirector:
    """A receiver that answers every request with a redirect to ``location``."""

    location: str
    status: int = 302
    received: int = 0

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        self.received += 1
        return Response("", status=self.status, headers={"Location": self.location})(environ, start_response)


def test_a_redirect_is_a_failed_delivery_and_is_never_followed(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    inside = Receiver(refuse=0)  # stands for an internal service the redirect points at
    with _serving(inside) as inside_url, _serving(Redirector(f"{inside_url}/admin")) as outside_url:
        hook = client.post(
            "/v1/webhooks",
            json={"url": f"{outside_url}/hooks", "events": ["job.succeeded"]},
            headers=tenant.headers,
        ).json
        submit(client, tenant, new_project(client, tenant), BRIEF)
        drain(runtime)
        (delivery,) = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers).json[
            "items"
        ]
    assert inside.received == []
    assert delivery["status"] == "retrying" and delivery["last_status_code"] == 302
    assert delivery["last_error"] == "HTTP 302"


@pytest.mark.parametrize(
    "url",
    [
        "http://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "http://[::ffff:169.254.169.254]/computeMetadata/v1/",
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata server
        "http://[2002:7f00:1::1]/",  # 6to4 of loopback
        "http://224.0.0.1/",  # multicast
        "http://localhost:8080/hook",
    ],
)
def test_targets_that_are_not_public_are_refused_without_naming_the_address(url: str) -> None:
    with pytest.raises(BadRequest) as refused:
        check_target(url, allow_private=False)
    assert refused.value.code == "WEBHOOK_TARGET_REFUSED"
    reason = str(refused.value.params["reason"])
    assert "not a public address" in reason
    assert not any(text in reason for text in ("127.0.0.1", "::1", "100.64", "169.254", "224.0"))


def _deliveries(client: FlaskClient, tenant: TenantCredentials, hook_id: str) -> list[dict[str, object]]:
    answer = client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=tenant.headers)
    assert answer.status_code == 200, answer.json
    items: list[dict[str, object]] = answer.json["items"]
    return items


def _hook(client: FlaskClient, tenant: TenantCredentials, url: str) -> str:
    created = client.post(
        "/v1/webhooks", json={"url": url, "events": ["job.succeeded"]}, headers=tenant.headers
    )
    assert created.status_code == 201, created.json
    return str(created.json["id"])


def _succeed_a_job(client: FlaskClient, runtime: Runtime, tenant: TenantCredentials) -> None:
    submit(client, tenant, new_project(client, tenant), BRIEF)
    drain(runtime)


def test_an_ipv6_literal_without_a_port_is_sent_to_the_default_port(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """``http://[::1]/…`` goes to [::1]:80 (read without a port, http.client takes the last
    group of the address for one)."""
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("::1", 80))
        probe.close()
    except OSError:
        pytest.skip("cannot listen on [::1]:80 here (no IPv6, or no right to port 80)")
    app = Receiver(refuse=0)
    with _serving(app, "::1", 80):
        hook_id = _hook(client, tenant, "http://[::1]/hooks")
        _succeed_a_job(client, runtime, tenant)
        (delivery,) = _deliveries(client, tenant, hook_id)
    assert delivery["status"] == "delivered", delivery
    assert app.paths == ["/hooks"] and app.received[0][0]["Host"] == "[::1]"


def test_an_ipv6_literal_ending_in_letters_is_a_recorded_attempt(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """``[::ffff:7f00:abc]`` (127.0.10.188) once made http.client raise InvalidURL before the
    send: the delivery stayed pending, never retried. Now the attempt is made and recorded."""
    hook_id = _hook(client, tenant, "http://[::ffff:7f00:abc]/hooks")
    _succeed_a_job(client, runtime, tenant)
    (delivery,) = _deliveries(client, tenant, hook_id)
    # Nothing listens there on port 80 (whatever answers, the attempt is counted).
    assert delivery["attempts"] == 1 and delivery["status"] in ("retrying", "delivered"), delivery


def test_a_non_ascii_path_is_sent_percent_encoded(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    app = Receiver(refuse=0)
    with _serving(app) as base:
        hook_id = _hook(client, tenant, f"{base}/kancalar/ü?oda=şölen&x=a%20b")
        _succeed_a_job(client, runtime, tenant)
        (delivery,) = _deliveries(client, tenant, hook_id)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1, delivery
    assert app.paths == ["/kancalar/ü?oda=%C5%9F%C3%B6len&x=a%20b"]  # what was escaped stays so


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str] | None]:
    """Names under ``.test`` resolve to the addresses the test puts here (None: no answer);
    every other name is resolved as usual."""
    answers: dict[str, list[str] | None] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(host, str) and host in answers:
            addresses = answers[host]
            if addresses is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))
                for address in addresses
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize(
    "url",
    [
        "https://hook.test:99999/hook",  # port out of range
        "https://hook.test:http/hook",  # a port that is not a number
        "https://hook.test/a b",  # whitespace
        "https://hook.test/a\nHost: evil",  # a control character
        "https://[::1/hook",  # an unclosed IPv6 literal
    ],
)
def test_urls_that_cannot_be_sent_are_refused_at_registration(
    client: FlaskClient, tenant: TenantCredentials, fake_dns: dict[str, list[str] | None], url: str
) -> None:
    fake_dns["hook.test"] = ["127.0.0.1"]
    answer = client.post(
        "/v1/webhooks", json={"url": url, "events": ["job.succeeded"]}, headers=tenant.headers
    )
    assert answer.status_code == 422, answer.json


def test_one_bad_webhook_does_not_stop_the_due_deliveries_of_others(
    client: FlaskClient,
    runtime: Runtime,
    tenant: TenantCredentials,
    other_tenant: TenantCredentials,
    fake_dns: dict[str, list[str] | None],
) -> None:
    """An exception while sending one delivery (a non-ASCII path once raised from http.client)
    is a failed attempt: maintenance goes on to the tenant's other webhooks and other tenants."""
    odd, mine, theirs = Receiver(refuse=0), Receiver(refuse=1), Receiver(refuse=1)
    with _serving(odd) as odd_url, _serving(mine) as mine_url, _serving(theirs) as theirs_url:
        fake_dns["flaky.test"] = ["127.0.0.1"]
        odd_hook = _hook(client, tenant, odd_url.replace("127.0.0.1", "flaky.test") + "/ü")
        my_hook = _hook(client, tenant, f"{mine_url}/hooks")
        their_hook = _hook(client, other_tenant, f"{theirs_url}/hooks")
        fake_dns["flaky.test"] = None  # the first attempt finds no address: retried later
        _succeed_a_job(client, runtime, tenant)
        _succeed_a_job(client, runtime, other_tenant)
        firsts = [
            *_deliveries(client, tenant, odd_hook),
            *_deliveries(client, tenant, my_hook),
            *_deliveries(client, other_tenant, their_hook),
        ]
        assert [d["status"] for d in firsts] == ["retrying"] * 3, firsts
        fake_dns["flaky.test"] = ["127.0.0.1"]
        report = run_maintenance(runtime, at=now() + timedelta(minutes=2))
        assert report.webhook_attempts == 3
        (mine_delivery,) = _deliveries(client, tenant, my_hook)
        (their_delivery,) = _deliveries(client, other_tenant, their_hook)
        (odd_delivery,) = _deliveries(client, tenant, odd_hook)
    assert mine_delivery["status"] == their_delivery["status"] == "delivered"
    assert odd_delivery["attempts"] == 2 and odd_delivery["status"] == "delivered", odd_delivery
    assert odd.paths == ["/ü"]


def test_an_unexpected_failure_of_a_send_is_a_recorded_attempt(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, fake_dns: dict[str, list[str] | None]
) -> None:
    """A webhook stored before registration checked hosts, whose name has no IDNA form: the
    send fails inside http.client, and the attempt is recorded with the error's type only."""
    app = Receiver(refuse=0)
    with _serving(app) as base:
        port = base.rsplit(":", 1)[1]
        fake_dns["hook.test"] = ["127.0.0.1"]
        hook_id = _hook(client, tenant, f"http://hook.test:{port}/hooks?token=s3cret")
        legacy = "bad..ü.test"
        fake_dns[legacy] = ["127.0.0.1"]
        runtime.store.update(
            f"tenants/{tenant.tenant_id}/webhooks/{hook_id}",
            {"url": f"http://{legacy}:{port}/hooks?token=s3cret"},
        )
        _succeed_a_job(client, runtime, tenant)
        (delivery,) = _deliveries(client, tenant, hook_id)
    assert delivery["status"] == "retrying" and delivery["attempts"] == 1, delivery
    assert delivery["last_error"] == "send failed: UnicodeError" and app.received == []


def test_a_send_tries_at_most_three_addresses(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, fake_dns: dict[str, list[str] | None]
) -> None:
    """Each address of the answer may cost a connect timeout: past the third, none is tried
    (127.0.0.2-4 refuse the connection; only 127.0.0.1 listens)."""
    app = Receiver(refuse=0)
    with _serving(app) as base:
        port = base.rsplit(":", 1)[1]
        fake_dns["third.test"] = ["127.0.0.2", "127.0.0.3", "127.0.0.1"]
        fake_dns["fourth.test"] = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.1"]
        third = _hook(client, tenant, f"http://third.test:{port}/third")
        fourth = _hook(client, tenant, f"http://fourth.test:{port}/fourth")
        _succeed_a_job(client, runtime, tenant)
        (reached,) = _deliveries(client, tenant, third)
        (missed,) = _deliveries(client, tenant, fourth)
    assert reached["status"] == "delivered", reached
    assert missed["status"] == "retrying" and missed["last_error"] == "ConnectionRefusedError", missed
    assert app.paths == ["/third"]


def test_job_progress_streams_as_server_sent_events(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    response = client.get(f"/v1/jobs/{accepted['job_id']}/events", headers=tenant.headers)
    assert response.status_code == 200 and response.content_type.startswith("text/event-stream")
    events = [block for block in response.get_data(as_text=True).split("\n\n") if block]
    progress = [json.loads(b.split("data: ", 1)[1]) for b in events if b.startswith("event: progress")]
    assert progress[-1]["status"] == "succeeded" and progress[-1]["progress"] == 100
    values = [p["progress"] for p in progress]
    assert values == sorted(values) and len(progress) >= 2
    assert events[-1].startswith("event: end")
    assert client.get("/v1/jobs/job_nope/events", headers=tenant.headers).status_code == 404
