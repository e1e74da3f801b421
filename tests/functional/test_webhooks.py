"""Hearing about it: signed webhooks with retries and replay, and job progress as Server-Sent Events."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
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

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        self.received.append((dict(request.headers), request.get_data()))
        status = 503 if len(self.received) <= self.refuse else 200
        return Response("", status=status)(environ, start_response)


@contextlib.contextmanager
def _serving(app: Callable) -> Iterator[str]:  # type: ignore[type-arg]
    """``app`` on a local port for the block; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


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
