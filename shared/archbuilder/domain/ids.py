"""Identifiers: generated with a kind prefix, validated before they reach a store path."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from archbuilder.platform.errors import NotFound

_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_id(prefix: str) -> str:
    """A random id such as ``prj_k3v9…`` (16 chars of base36, about 82 bits)."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(16))


def checked_id(value: str, kind: str = "resource") -> str:
    """Return ``value`` if it is safe to use as a document id.

    A malformed id cannot name anything we store, so it is reported as not found
    (never as a path: ``/`` or ``..`` would otherwise escape the tenant's subtree).
    """
    if not _ID_PATTERN.match(value):
        raise NotFound(resource=kind, id=value[:64])
    return value


def time_ordered_id(moment: datetime) -> str:
    """An id that sorts by time (``20261126T011831123456Z-3f9a1c``), for append-only records."""
    return f"{moment.strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(4)}"
