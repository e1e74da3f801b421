"""The common part of every Pub/Sub-triggered function.

Unwraps the CloudEvent, binds the correlation id and trace carried in the message
attributes, hands events older than the function's max age (from the manifest) to ``on_expired``
instead of the handler, and
validates the payload. A malformed event is logged and acknowledged: retrying it would
fail the same way forever. Anything the handler raises propagates, so the event is
retried and, in the end, dead-lettered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from cloudevents.http import CloudEvent
from pydantic import BaseModel, ValidationError

from archbuilder.manifest import load_manifest
from archbuilder.platform.errors import BadRequest
from archbuilder.platform.events import StorageObject, unwrap_pubsub, unwrap_storage
from archbuilder.platform.logging import bound, get_logger, log_fields
from archbuilder.platform.store_counts import counting

P = TypeVar("P", bound=BaseModel)
_log = get_logger("archbuilder.events")


def max_event_age_s(function: str) -> int | None:
    for spec in load_manifest().functions:
        if spec.name == function:
            return spec.max_event_age_s
    return None


def handle_pubsub_event(
    event: CloudEvent,
    model: type[P],
    handler: Callable[[P], Any],
    *,
    function: str,
    on_expired: Callable[[P], Any] | None = None,
) -> Any:
    """Run ``handler`` on the event's validated payload; see the module docstring."""
    try:
        message = unwrap_pubsub(event)
    except BadRequest as exc:
        _log.error(
            "malformed event dropped", extra=log_fields(event_id=event["id"], code=exc.code, **exc.params)
        )
        return None
    attrs = message.attributes
    with bound(
        correlation_id=attrs.get("correlation_id"),
        trace_id=attrs.get("trace_id"),
        function=function,
        event_id=message.event_id,
    ):
        try:
            payload = model.model_validate(message.data)
        except ValidationError as exc:
            _log.error(
                "event payload invalid; dropped", extra=log_fields(errors=exc.errors(include_url=False))
            )
            return None
        max_age = max_event_age_s(function)
        age = (datetime.now(UTC) - message.published_at).total_seconds()
        if max_age is not None and age > max_age:
            # Too old to act on; the owner of the work is told instead of left waiting.
            _log.warning("event too old", extra=log_fields(age_s=round(age), max_age_s=max_age))
            return on_expired(payload) if on_expired else None
        with _event_line():
            return handler(payload)


def handle_storage_event(event: CloudEvent, handler: Callable[[StorageObject], Any], *, function: str) -> Any:
    """Run ``handler`` on a Storage ``finalized`` event; a malformed event is logged and acknowledged."""
    try:
        obj = unwrap_storage(event)
    except BadRequest as exc:
        _log.error("malformed storage event dropped", extra=log_fields(event_id=event["id"], code=exc.code))
        return None
    with bound(function=function, event_id=obj.event_id, correlation_id=obj.event_id), _event_line():
        return handler(obj)


@contextmanager
def _event_line() -> Iterator[None]:
    """One ``event handled`` line per delivery, as the access line is per request: how long
    the handler took, whether it raised (the event is then retried), and its store operations."""
    started = time.perf_counter()
    outcome = "error"
    with counting() as store_ops:
        try:
            yield
            outcome = "ok"
        finally:
            _log.info(
                "event handled",
                extra=log_fields(
                    outcome=outcome,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                    **store_ops.fields(),
                ),
            )
