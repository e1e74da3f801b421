"""EventBus delivering real CloudEvents in-process: the embedded default for Pub/Sub + Eventarc.

A published message becomes the CloudEvent Eventarc would push and is handed to every
subscribed handler on a background thread. A handler that raises is retried with
exponential backoff; after ``max_attempts`` the event is written to ``dead_letters/{id}``
in the document store, as a dead-letter topic would keep it.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent

from archbuilder.platform.events import pubsub_event
from archbuilder.platform.logging import get_logger, log_context, log_fields
from archbuilder.ports import DocumentStore

EventHandler = Callable[[CloudEvent], Any]

_log = get_logger("archbuilder.events")


@dataclass(frozen=True)
class Subscription:
    name: str
    topic: str
    handler: EventHandler


@dataclass
class _Delivery:
    subscription: Subscription
    event: CloudEvent
    attempt: int = 1
    not_before: float = 0.0


class InProcessEventBus:
    """Publish/subscribe within one process, with retries and dead letters."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        project: str = "local",
        max_attempts: int = 5,
        retry_base_s: float = 0.2,
        workers: int = 2,
    ) -> None:
        self._store = store
        self._project = project
        self._max_attempts = max_attempts
        self._retry_base_s = retry_base_s
        self._subscriptions: list[Subscription] = []
        self._queue: queue.Queue[_Delivery | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._threads = [
            threading.Thread(target=self._work, name=f"event-worker-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def subscribe(self, topic: str, handler: EventHandler, *, name: str | None = None) -> None:
        """Deliver what is published to ``topic`` (or emitted for a trigger such as
        ``storage:uploads:finalized``) to ``handler``."""
        self._subscriptions.append(Subscription(name or f"{topic}-sub", topic, handler))

    def publish(
        self,
        topic: str,
        data: Mapping[str, Any],
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        message_id = uuid.uuid4().hex
        attrs = dict(attributes or {})
        # Carry the publisher's correlation id, as the Pub/Sub adapter does.
        ctx = log_context()
        if "correlation_id" in ctx:
            attrs.setdefault("correlation_id", ctx["correlation_id"])
        if "trace_id" in ctx:
            attrs.setdefault("trace_id", ctx["trace_id"])
        body = json.dumps(dict(data), separators=(",", ":")).encode()
        now = datetime.now(UTC)
        targets = self._subscribers(topic)
        for sub in targets:
            event = pubsub_event(
                project=self._project,
                topic=topic,
                subscription=sub.name,
                message_id=message_id,
                data=body,
                attributes=attrs,
                published_at=now,
                ordering_key=ordering_key,
            )
            self._enqueue(_Delivery(sub, event))
        return message_id

    def emit(self, trigger: str, event: CloudEvent) -> None:
        """Deliver a ready-made CloudEvent (a Storage notification) to the subscribers of ``trigger``."""
        for sub in self._subscribers(trigger):
            self._enqueue(_Delivery(sub, event))

    def _subscribers(self, trigger: str) -> list[Subscription]:
        targets = [s for s in self._subscriptions if s.topic == trigger]
        if not targets:
            _log.warning("no subscriber", extra=log_fields(trigger=trigger))
        return targets

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every queued delivery (and its retries) is done. True if idle."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)

    # -- delivery ---------------------------------------------------------

    def _enqueue(self, delivery: _Delivery) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(delivery)

    def _work(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            try:
                wait = delivery.not_before - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self._deliver(delivery)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, delivery: _Delivery) -> None:
        sub, event = delivery.subscription, delivery.event
        try:
            sub.handler(event)
        except Exception as exc:
            fields = log_fields(
                subscription=sub.name, event_id=event["id"], attempt=delivery.attempt, error=repr(exc)
            )
            if delivery.attempt >= self._max_attempts:
                _log.error("event dead-lettered", extra=fields)
                self._dead_letter(delivery, exc)
                return
            _log.warning("event handler failed; will retry", extra=fields)
            backoff = self._retry_base_s * 2 ** (delivery.attempt - 1)
            self._enqueue(_Delivery(sub, event, delivery.attempt + 1, time.monotonic() + min(backoff, 60.0)))

    def _dead_letter(self, delivery: _Delivery, exc: Exception) -> None:
        event = delivery.event
        self._store.set(
            f"dead_letters/{event['id']}-{delivery.subscription.name}",
            {
                "subscription": delivery.subscription.name,
                "topic": delivery.subscription.topic,
                "event_id": event["id"],
                "attempts": delivery.attempt,
                "error": repr(exc)[:2000],
                "event": {"attributes": dict(event.get_attributes()), "data": event.data},
                "dead_lettered_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            },
        )
