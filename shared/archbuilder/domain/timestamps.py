"""Timestamps stored as fixed-width ISO-8601 UTC strings, so that they sort as text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# One JSON schema for reading and writing (an RFC 3339 ``date-time`` string), so that a model
# with a timestamp is one schema in the OpenAPI document, not an input and an output twin.
Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def now() -> datetime:
    return datetime.now(UTC)
