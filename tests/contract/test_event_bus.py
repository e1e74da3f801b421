"""One contract for the EventBus port: the in-process bus, and Pub/Sub (emulator) with push as
CloudEvents over HTTP, as Eventarc delivers them to a function."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from cloudevents.http import CloudEvent, from_http
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from archbuilder.platform.events import PUBSUB_PUBLISHED, unwrap_pubsub
from archbuilder.platform.logging import bound
from archbuilder.ports import EventBus, Query
from tests.contract.conftest import PROJECT, eventually

Handler = Callable[[CloudEvent], Any]
MAX_ATTEMPTS = 5  # the smallest dead-letter threshold Pub/Sub accepts


class Harness(Protocol):
    bus: EventBus

    def topic(self, name: str) -> str: ...
    def subscribe(self, topic: str, handler: Handler, name: str) -> None: ...
    def dead_letters(self) -> list[str]: ...
    def close(self) -> None: ...


class InProcessHarness:
    def __init__(self, tmp_path: Path) -> None:
        from archbuilder.adapters.local.inprocess_bus import InProcessEventBus
        from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore

        self._store = SqliteDocumentStore(tmp_path / "docs.sqlite3")
        self._bus = InProcessEventBus(
            self._store, project=PROJECT, max_attempts=MAX_ATTEMPTS, retry_base_s=0.001
        )
        self.bus = self._bus

    def topic(self, name: str) -> str:
        return name

    def subscribe(self, topic: str, handler: Handler, name: str) -> None:
        self._bus.subscribe(topic, handler, name=name)

    def dead_letters(self) -> list[str]:
        return [r.data["event_id"] for r in self._store.query(Query("dead_letters"))]

    def close(self) -> None:
        self._bus.drain(10)
        self._bus.close()


class Receiver:
    """A function endpoint: CloudEvents in binary mode; an exception answers 500."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        handler = self.handlers[request.path.strip("/")]
        try:
            handler(from_http(dict(request.headers), request.get_data()))
            response = Response(status=204)
        except Exception:
            response = Response("handler failed", status=500)
        return response(environ, start_response)

    def close(self) -> None:
        self._server.shutdown()


class PubSubHarness:
    def __init__(self) -> None:
        from archbuilder.adapters.gcp.pubsub_bus import PubSubEventBus

        self._prefix = f"c{uuid.uuid4().hex[:8]}-"
        self.bus = PubSubEventBus(PROJECT, topic_prefix=self._prefix)
        self._receiver = Receiver()
        self._pushers: list[Any] = []
        self._dead_subs: list[str] = []

    def topic(self, name: str) -> str:
        return self._prefix + name

    def subscribe(self, topic: str, handler: Handler, name: str) -> None:
        from google.cloud import pubsub_v1

        from archbuilder.adapters.gcp.pusher import Pusher, PushRoute, ensure_route

        self._receiver.handlers[name] = handler
        dead = self.topic(f"{name}-dead")
        route = PushRoute(
            topic=self.topic(topic),
            subscription=self._prefix + name,
            endpoint=f"{self._receiver.base}/{name}",
            dead_letter_topic=dead,
            max_delivery_attempts=MAX_ATTEMPTS,
        )
        ensure_route(PROJECT, route)
        subscriber = pubsub_v1.SubscriberClient()
        dead_sub = subscriber.subscription_path(PROJECT, f"{dead}-watch")
        subscriber.create_subscription(name=dead_sub, topic=subscriber.topic_path(PROJECT, dead))
        subscriber.close()
        self._dead_subs.append(dead_sub)
        self._pushers.append(Pusher(PROJECT, [route]).start())

    def dead_letters(self) -> list[str]:
        from google.cloud import pubsub_v1

        subscriber = pubsub_v1.SubscriberClient()
        ids = []
        for sub in self._dead_subs:
            response = subscriber.pull(subscription=sub, max_messages=10, timeout=1)
            ids += [
                m.message.attributes["CloudPubSubDeadLetterSourceMessageId"]
                for m in response.received_messages
            ]
        subscriber.close()
        return ids

    def close(self) -> None:
        for pusher in self._pushers:
            pusher.stop()
        self._receiver.close()
        self.bus.close()  # type: ignore[attr-defined]


@pytest.fixture(params=["inprocess", "pubsub"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    h: Harness
    if request.param == "inprocess":
        h = InProcessHarness(tmp_path)
    else:
        request.getfixturevalue("pubsub_emulator")
        h = PubSubHarness()
    yield h
    h.close()


def test_published_message_arrives_as_a_pubsub_cloudevent(harness: Harness) -> None:
    received: list[CloudEvent] = []
    harness.subscribe("layout-requests", received.append, "worker-push")
    with bound(correlation_id="corr-123"):
        message_id = harness.bus.publish(
            "layout-requests",
            {"job_id": "job_1", "n": 2},
            attributes={"tenant_id": "t1", "schema_version": "1"},
            ordering_key="layout_1",
        )
    assert eventually(lambda: len(received) == 1)
    (event,) = received
    assert event["type"] == PUBSUB_PUBLISHED
    assert (
        event["source"]
        == f"//pubsub.googleapis.com/projects/{PROJECT}/topics/{harness.topic('layout-requests')}"
    )
    assert event["id"] == message_id
    message = event.data["message"]
    assert json.loads(base64.b64decode(message["data"])) == {"job_id": "job_1", "n": 2}
    assert {"tenant_id": "t1", "schema_version": "1", "correlation_id": "corr-123"}.items() <= message[
        "attributes"
    ].items()
    assert message["orderingKey"] == "layout_1"
    assert event.data["subscription"].endswith("worker-push")
    unwrapped = unwrap_pubsub(event)
    assert unwrapped.data == {"job_id": "job_1", "n": 2} and unwrapped.attributes["tenant_id"] == "t1"
    assert unwrapped.message_id == message_id


def test_every_subscription_gets_its_own_copy(harness: Harness) -> None:
    first: list[str] = []
    second: list[str] = []
    harness.subscribe("usage", lambda e: first.append(e["id"]), "billing-push")
    harness.subscribe("usage", lambda e: second.append(e["id"]), "audit-push")
    ids = {harness.bus.publish("usage", {"i": i}) for i in range(3)}
    assert eventually(lambda: len(first) == 3 and len(second) == 3)
    assert set(first) == set(second) == ids


def test_failing_handler_is_redelivered_until_it_succeeds(harness: Harness) -> None:
    calls: list[str] = []
    lock = threading.Lock()

    def flaky(event: CloudEvent) -> None:
        with lock:
            calls.append(event["id"])
            if len(calls) < 3:
                raise RuntimeError("transient")

    harness.subscribe("jobs", flaky, "flaky-push")
    message_id = harness.bus.publish("jobs", {"a": 1})
    assert eventually(lambda: len(calls) >= 3)
    assert calls == [message_id] * 3
    assert harness.dead_letters() == []


def test_handler_that_keeps_failing_is_dead_lettered(harness: Harness) -> None:
    calls: list[str] = []

    def broken(event: CloudEvent) -> None:
        calls.append(event["id"])
        raise ValueError("always")

    harness.subscribe("jobs", broken, "broken-push")
    message_id = harness.bus.publish("jobs", {"a": 1})
    assert eventually(lambda: harness.dead_letters() == [message_id], timeout=60, interval=0.5)
    assert calls == [message_id] * MAX_ATTEMPTS


def test_publishing_without_a_subscriber_is_not_an_error(harness: Harness) -> None:
    harness.subscribe("other", lambda e: None, "other-push")
    assert harness.bus.publish("other", {"x": 1})
