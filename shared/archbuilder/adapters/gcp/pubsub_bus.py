"""EventBus on Pub/Sub: JSON messages with the attributes every consumer relies on.

The publisher's correlation id and trace (from the logging context) travel as message
attributes, as the in-process bus does; ``traceparent`` is added in W3C form so that a
push subscription's receiver can join the trace. Ordering keys are passed through (the
topic's subscriptions must enable message ordering for them to matter).

A publish that Pub/Sub has not confirmed within ``timeout_s`` (10 s in the functions,
``ARCHBUILDER_PUBSUB_PUBLISH_TIMEOUT_S``) raises ``BusUnavailable`` (503, ``Retry-After``), as do
refused connections and deadlines. With message ordering on, the client library keeps retrying
such a message in the background without end, so it may still be delivered once Pub/Sub is
back: every consumer is idempotent, and the caller must treat the publish as "maybe sent".
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1  # type: ignore[attr-defined]  # no py.typed

from archbuilder.platform.errors import BusUnavailable, NotFound
from archbuilder.platform.logging import log_context

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
# Pub/Sub out of reach: no confirmation in time (the future's wait), refused or reset
# connections, deadlines, the retry giving up on them.
_UNREACHABLE = (FutureTimeout, gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.RetryError)


def traceparent(trace_id: str) -> str | None:
    """A W3C ``traceparent`` for a trace id (a new span id), or None if it is not one."""
    if not _TRACE_ID.match(trace_id):
        return None
    return f"00-{trace_id}-{os.urandom(8).hex()}-01"


class PubSubEventBus:
    """Publishes to ``projects/{project}/topics/{topic_prefix}{topic}``."""

    def __init__(
        self,
        project: str,
        *,
        publisher: pubsub_v1.PublisherClient | None = None,
        topic_prefix: str = "",
        timeout_s: float = 10.0,
    ) -> None:
        self._project = project
        self._publisher = publisher or pubsub_v1.PublisherClient(
            publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
        )
        self._prefix = topic_prefix
        self._timeout_s = timeout_s

    def topic_path(self, topic: str) -> str:
        return f"projects/{self._project}/topics/{self._prefix}{topic}"

    def publish(
        self,
        topic: str,
        data: Mapping[str, Any],
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        attrs = {str(k): str(v) for k, v in (attributes or {}).items()}
        ctx = log_context()
        if "correlation_id" in ctx:
            attrs.setdefault("correlation_id", ctx["correlation_id"])
        if "trace_id" in ctx:
            attrs.setdefault("trace_id", ctx["trace_id"])
            parent = traceparent(ctx["trace_id"])
            if parent:
                attrs.setdefault("traceparent", parent)
        body = json.dumps(dict(data), separators=(",", ":")).encode()
        path = self.topic_path(topic)
        future = self._publisher.publish(path, body, ordering_key=ordering_key or "", **attrs)
        try:
            return str(future.result(timeout=self._timeout_s))
        except gexc.NotFound as exc:
            raise NotFound(resource="topic", id=topic) from exc
        except Exception as exc:
            if ordering_key:
                # A failed publish pauses its ordering key; resume it so later publishes go out.
                # (One that only timed out is still being retried: its key is not paused.)
                with suppress(RuntimeError):
                    self._publisher.resume_publish(path, ordering_key)
            if isinstance(exc, _UNREACHABLE):
                raise BusUnavailable(topic=topic) from exc
            raise

    def close(self) -> None:
        self._publisher.stop()
