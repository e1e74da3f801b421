"""The in-process bus delivers the CloudEvents Eventarc would, retries, and dead-letters."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

from cloudevents.http import CloudEvent

from archbuilder.adapters.local.inprocess_bus import InProcessEventBus
from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore
from archbuilder.platform.events import PUBSUB_PUBLISHED, unwrap_pubsub
from archbuilder.platform.logging import bound
from archbuilder.ports import Query


def _bus(tmp_path: Path, max_attempts: int = 3) -> tuple[InProcessEventBus, SqliteDocumentStore]:
    store = SqliteDocumentStore(tmp_path / "docs.sqlite3")
    return InProcessEventBus(store, project="demo", max_attempts=max_attempts, retry_base_s=0.001), store


def test_published_message_arrives_as_a_pubsub_cloudevent(tmp_path: Path) -> None:
    bus, _ = _bus(tmp_path)
    received: list[CloudEvent] = []
    bus.subscribe("layout-requests", received.append, name="worker-push")
    with bound(correlation_id="corr-123"):
        message_id = bus.publish("layout-requests", {"job_id": "job_1"}, attributes={"tenant_id": "t1"})
    assert bus.drain(5)
    (event,) = received
    assert event["type"] == PUBSUB_PUBLISHED
    assert event["source"] == "//pubsub.googleapis.com/projects/demo/topics/layout-requests"
    assert event["id"] == message_id
    message = event.data["message"]
    assert json.loads(base64.b64decode(message["data"])) == {"job_id": "job_1"}
    assert message["attributes"] == {"tenant_id": "t1", "correlation_id": "corr-123"}
    assert event.data["subscription"] == "projects/demo/subscriptions/worker-push"
    unwrapped = unwrap_pubsub(event)
    assert unwrapped.data == {"job_id": "job_1"} and unwrapped.attributes["tenant_id"] == "t1"
    bus.close()


def test_failing_handler_is_retried_until_it_succeeds(tmp_path: Path) -> None:
    bus, store = _bus(tmp_path, max_attempts=5)
    calls: list[str] = []
    lock = threading.Lock()

    def flaky(event: CloudEvent) -> None:
        with lock:
            calls.append(event["id"])
            if len(calls) < 3:
                raise RuntimeError("transient")

    bus.subscribe("t", flaky)
    bus.publish("t", {"a": 1})
    assert bus.drain(5)
    assert len(calls) == 3 and len(set(calls)) == 1
    assert store.query(Query("dead_letters")) == []
    bus.close()


def test_handler_that_keeps_failing_is_dead_lettered(tmp_path: Path) -> None:
    bus, store = _bus(tmp_path, max_attempts=3)

    def broken(event: CloudEvent) -> None:
        raise ValueError("always")

    bus.subscribe("t", broken, name="broken-push")
    message_id = bus.publish("t", {"a": 1})
    assert bus.drain(5)
    (letter,) = store.query(Query("dead_letters"))
    assert letter.data["event_id"] == message_id
    assert letter.data["attempts"] == 3
    assert "always" in letter.data["error"]
    assert letter.data["subscription"] == "broken-push"
    bus.close()
