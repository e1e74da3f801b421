"""Push delivery for the emulators: pull from Pub/Sub subscriptions and POST CloudEvents.

In the cloud, Eventarc turns a Pub/Sub message (or a Storage notification) into a
CloudEvent and POSTs it to the function in binary content mode; a non-2xx answer makes
Pub/Sub redeliver, and after ``max_delivery_attempts`` the subscription's dead-letter
policy moves the message to the dead-letter topic. The Pub/Sub emulator has neither push
to CloudEvents nor dead-lettering, so this does both from a streaming pull: it counts
delivery attempts itself and republishes a message that failed ``max_delivery_attempts``
times to the dead-letter topic, with the attributes Pub/Sub adds.
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent
from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1  # type: ignore[attr-defined]  # no py.typed

from archbuilder.platform.events import pubsub_event, storage_finalized_event
from archbuilder.platform.logging import get_logger, log_fields

_log = get_logger("archbuilder.pusher")

RouteKind = Literal["pubsub", "storage"]


@dataclass(frozen=True)
class PushRoute:
    """Messages of ``subscription`` (on ``topic``) go to ``endpoint`` as ``kind`` CloudEvents."""

    topic: str
    subscription: str
    endpoint: str
    kind: RouteKind = "pubsub"
    dead_letter_topic: str | None = None
    max_delivery_attempts: int = 5
    ordered: bool = True


def ensure_route(project: str, route: PushRoute) -> None:
    """Create the topic, the dead-letter topic and the subscription if they are missing."""
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topics = [route.topic] + ([route.dead_letter_topic] if route.dead_letter_topic else [])
    for topic in topics:
        with contextlib.suppress(gexc.AlreadyExists):
            publisher.create_topic(name=publisher.topic_path(project, topic))
    request: dict[str, Any] = {
        "name": subscriber.subscription_path(project, route.subscription),
        "topic": publisher.topic_path(project, route.topic),
        "enable_message_ordering": route.ordered,
        "ack_deadline_seconds": 60,
    }
    if route.dead_letter_topic:
        request["dead_letter_policy"] = {
            "dead_letter_topic": publisher.topic_path(project, route.dead_letter_topic),
            "max_delivery_attempts": route.max_delivery_attempts,
        }
    with contextlib.suppress(gexc.AlreadyExists):
        subscriber.create_subscription(request=request)
    subscriber.close()


def to_cloudevent(project: str, route: PushRoute, message: Any) -> CloudEvent:
    """The CloudEvent Eventarc would deliver for one pulled message."""
    published: datetime = message.publish_time or datetime.now(UTC)
    if route.kind == "storage":
        obj = json.loads(message.data)
        created = datetime.fromisoformat(
            str(obj.get("timeCreated", "")).replace("Z", "+00:00") or published.isoformat()
        )
        return storage_finalized_event(
            bucket=str(obj["bucket"]),
            name=str(obj["name"]),
            generation=int(obj.get("generation") or 0),
            size=int(obj.get("size") or 0),
            content_type=str(obj.get("contentType") or "application/octet-stream"),
            md5_base64=str(obj.get("md5Hash") or ""),
            created_at=created,
        )
    return pubsub_event(
        project=project,
        topic=route.topic,
        subscription=route.subscription,
        message_id=message.message_id,
        data=bytes(message.data),
        attributes=dict(message.attributes),
        published_at=published,
        ordering_key=message.ordering_key or None,
    )


def post_cloudevent(endpoint: str, event: CloudEvent, timeout_s: float) -> int:
    """POST in binary content mode; the HTTP status (0 when unreachable)."""
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"push endpoint {endpoint!r} is not an http(s) URL")
    headers, body = to_binary(event)
    request = urllib.request.Request(endpoint, data=body, headers=dict(headers), method="POST")  # noqa: S310 - http(s) checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - http(s) checked above
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


class Pusher:
    """Streams every route's subscription and pushes each message until it is acknowledged."""

    def __init__(self, project: str, routes: Iterable[PushRoute], *, timeout_s: float = 600.0) -> None:
        self._project = project
        self._routes = list(routes)
        self._timeout_s = timeout_s
        self._subscriber = pubsub_v1.SubscriberClient()
        self._publisher = pubsub_v1.PublisherClient()
        self._futures: list[Any] = []
        self._lock = threading.Lock()
        self._attempts: dict[tuple[str, str], int] = {}
        self.delivered = 0

    def start(self) -> Pusher:
        for route in self._routes:
            ensure_route(self._project, route)
            path = self._subscriber.subscription_path(self._project, route.subscription)
            self._futures.append(
                self._subscriber.subscribe(
                    path,
                    callback=lambda message, route=route: self._push(route, message),
                    flow_control=pubsub_v1.types.FlowControl(max_messages=4),
                )
            )
        return self

    def _push(self, route: PushRoute, message: Any) -> None:
        try:
            event = to_cloudevent(self._project, route, message)
        except (ValueError, KeyError) as exc:
            # Not a message this route understands: retrying cannot help.
            _log.error(
                "undeliverable message dropped", extra=log_fields(route=route.subscription, error=repr(exc))
            )
            message.ack()
            return
        status = post_cloudevent(route.endpoint, event, self._timeout_s)
        key = (route.subscription, str(message.message_id))
        with self._lock:
            attempt = self._attempts.get(key, 0) + 1
            self._attempts[key] = attempt
        if 200 <= status < 300:
            message.ack()
            with self._lock:
                self.delivered += 1
                self._attempts.pop(key, None)
            return
        fields = log_fields(
            route=route.subscription, status=status, attempt=attempt, message_id=message.message_id
        )
        if route.dead_letter_topic and attempt >= route.max_delivery_attempts:
            self._dead_letter(route, message, attempt)
            _log.error("push failed; message dead-lettered", extra=fields)
            message.ack()
            with self._lock:
                self._attempts.pop(key, None)
            return
        _log.warning("push failed; message will be redelivered", extra=fields)
        message.nack()

    def _dead_letter(self, route: PushRoute, message: Any, attempts: int) -> None:
        assert route.dead_letter_topic is not None
        attributes = dict(message.attributes) | {
            "CloudPubSubDeadLetterSourceSubscription": route.subscription,
            "CloudPubSubDeadLetterSourceDeliveryCount": str(attempts),
            "CloudPubSubDeadLetterSourceMessageId": str(message.message_id),
        }
        topic = self._publisher.topic_path(self._project, route.dead_letter_topic)
        self._publisher.publish(topic, bytes(message.data), **attributes).result(timeout=30)

    def stop(self) -> None:
        for future in self._futures:
            future.cancel()
        for future in self._futures:
            # A cancelled stream ends with an error by design.
            with contextlib.suppress(Exception):
                future.result(timeout=10)
        self._subscriber.close()
        self._publisher.stop()
