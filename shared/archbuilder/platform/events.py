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


def storage_finalized_event(
    *,
    bucket: str,
    name: str,
    generation: int,
    size: int,
    content_type: str,
    md5_base64: str,
    created_at: datetime,
) -> CloudEvent:
    """The CloudEvent Eventarc delivers when an object is written to a bucket."""
    created = rfc3339(created_at)
    return CloudEvent(
        {
            "type": STORAGE_FINALIZED,
            "source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
            "subject": f"objects/{name}",
            "id": f"{bucket}/{name}/{generation}",
            "time": created,
            "datacontenttype": "application/json",
        },
        {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{generation}",
            "bucket": bucket,
            "name": name,
            "generation": str(generation),
            "metageneration": "1",
            "contentType": content_type,
            "size": str(size),
            "md5Hash": md5_base64,
            "storageClass": "STANDARD",
            "timeCreated": created,
            "updated": created,
        },
    )


@dataclass(frozen=True)
class StorageObject:
    """The object named by a Storage ``finalized`` CloudEvent."""

    event_id: str
    bucket: str
    name: str
    generation: int
    size: int
    content_type: str | None
    created_at: datetime


def unwrap_storage(event: CloudEvent) -> StorageObject:
    """Validate a Storage ``finalized`` event; ``BadRequest`` if it is not one."""
    if event["type"] != STORAGE_FINALIZED:
        raise BadRequest(code="UNEXPECTED_EVENT_TYPE", type=event["type"])
    data = event.data
    if not isinstance(data, dict) or not data.get("name") or not data.get("bucket"):
        raise BadRequest(code="MALFORMED_EVENT", reason="no bucket or object name in the event data")
    try:
        generation = int(data.get("generation") or 0)
        size = int(data.get("size") or 0)
    except (TypeError, ValueError) as exc:
        raise BadRequest(code="MALFORMED_EVENT", reason="generation or size is not a number") from exc
    return StorageObject(
        event_id=event["id"],
        bucket=str(data["bucket"]),
        name=str(data["name"]),
        generation=generation,
        size=size,
        content_type=data.get("contentType"),
        created_at=_parse_time(data.get("timeCreated") or event.get("time")),
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
