"""CloudEvents in the shapes Eventarc delivers, and unwrapping them for handlers.

Pub/Sub pushes ``google.cloud.pubsub.topic.v1.messagePublished`` events whose data is
``{"message": {"data": <base64>, "attributes": {..}, "messageId", "publishTime"},
"subscription"}``; Cloud Storage sends ``google.cloud.storage.object.v1.finalized`` with
the object's metadata as data. The local event bus builds exactly these.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent

from archbuilder.platform.errors import BadRequest

PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
STORAGE_FINALIZED = "google.cloud.storage.object.v1.finalized"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pubsub_event(
    *,
    project: str,
    topic: str,
    subscription: str,
    message_id: str,
    data: bytes,
    attributes: dict[str, str],
    published_at: datetime,
    ordering_key: str | None = None,
) -> CloudEvent:
    """The CloudEvent Eventarc delivers for one Pub/Sub message."""
    publish_time = rfc3339(published_at)
    message: dict[str, Any] = {
        "data": base64.b64encode(data).decode("ascii"),
        "attributes": attributes,
        "messageId": message_id,
        "message_id": message_id,
        "publishTime": publish_time,
        "publish_time": publish_time,
    }
    if ordering_key:
        message["orderingKey"] = ordering_key
    return CloudEvent(
        {
            "type": PUBSUB_PUBLISHED,
            "source": f"//pubsub.googleapis.com/projects/{project}/topics/{topic}",
            "id": message_id,
            "time": publish_time,
            "datacontenttype": "application/json",
        },
        {"message": message, "subscription": f"projects/{project}/subscriptions/{subscription}"},
    )


@dataclass(frozen=True)
class PubSubMessage:
    """A Pub/Sub message taken out of its CloudEvent envelope."""

    event_id: str
    message_id: str
    data: dict[str, Any]
    attributes: dict[str, str]
    published_at: datetime


def unwrap_pubsub(event: CloudEvent) -> PubSubMessage:
    """Validate the envelope and decode the JSON payload; ``BadRequest`` if malformed."""
    if event["type"] != PUBSUB_PUBLISHED:
        raise BadRequest(code="UNEXPECTED_EVENT_TYPE", type=event["type"])
    envelope = event.data
    if not isinstance(envelope, dict) or not isinstance(envelope.get("message"), dict):
        raise BadRequest(code="MALFORMED_EVENT", reason="no message in the event data")
    message = envelope["message"]
    try:
        raw = base64.b64decode(message.get("data") or "", validate=True)
        data = json.loads(raw) if raw else {}
    except (ValueError, json.JSONDecodeError) as exc:
        raise BadRequest(code="MALFORMED_EVENT", reason="message data is not base64 JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest(code="MALFORMED_EVENT", reason="message data is not a JSON object")
    published = message.get("publishTime") or message.get("publish_time") or event["time"]
    return PubSubMessage(
        event_id=event["id"],
        message_id=str(message.get("messageId") or message.get("message_id") or event["id"]),
        data=data,
        attributes={str(k): str(v) for k, v in (message.get("attributes") or {}).items()},
        published_at=_parse_time(published),
    )


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(code="MALFORMED_EVENT", reason="bad publish time") from exc
