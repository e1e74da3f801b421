"""Page tokens for list endpoints: opaque to clients, the keyset cursor inside."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from archbuilder.platform.errors import BadRequest
from archbuilder.ports import Direction, DocumentStore, Filter, Query, Snapshot


def encode_token(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str) -> list[Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError) as exc:
        raise BadRequest(code="INVALID_PAGE_TOKEN") from exc
    if not isinstance(values, list):
        raise BadRequest(code="INVALID_PAGE_TOKEN")
    return values


def page(
    store: DocumentStore,
    collection: str,
    *,
    order_field: str,
    direction: Direction,
    page_size: int,
    page_token: str | None,
    where: Sequence[Filter] = (),
) -> tuple[list[Snapshot], str | None]:
    """One page of a collection ordered by ``order_field`` then id, and the next token."""
    start_after = decode_token(page_token) if page_token else None
    if start_after is not None and len(start_after) != 2:
        raise BadRequest(code="INVALID_PAGE_TOKEN")
    rows = store.query(
        Query(
            collection=collection,
            where=where,
            order_by=[(order_field, direction)],
            limit=page_size + 1,
            start_after=start_after,
        )
    )
    if len(rows) <= page_size:
        return rows, None
    rows = rows[:page_size]
    last = rows[-1]
    return rows, encode_token([last.data.get(order_field), last.id])
