"""Answers kept for identical requests, through the DocumentStore port (``ai_cache/{hash}``).

The key is the normalised input, the prompt version, the provider and the model (and the
tenant, so that erasing a tenant can erase its cached answers: ``tenant_id`` is stored).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from archbuilder.domain.timestamps import format_timestamp
from archbuilder.ports import DocumentStore

COLLECTION = "ai_cache"


def normalised_input(data: dict[str, Any]) -> str:
    """Canonical JSON of the input: NFC text, lower case, collapsed spaces, sorted keys."""

    def norm(value: Any) -> Any:
        if isinstance(value, str):
            return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value).casefold()).strip()
        if isinstance(value, dict):
            return {str(k): norm(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [norm(v) for v in value]
        return value

    return json.dumps(norm(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def cache_key(
    *, tenant_id: str, task: str, prompt_version: str, provider: str, model: str, data: dict[str, Any]
) -> str:
    material = "\n".join((tenant_id, task, prompt_version, provider, model, normalised_input(data)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, store: DocumentStore, ttl_s: int) -> None:
        self._store = store
        self._ttl = timedelta(seconds=ttl_s)

    @property
    def enabled(self) -> bool:
        return self._ttl.total_seconds() > 0

    def get(self, key: str, moment: datetime) -> dict[str, Any] | None:
        """The stored entry (output, model, usage …), or None when absent or expired."""
        if not self.enabled:
            return None
        snapshot = self._store.get(f"{COLLECTION}/{key}")
        if snapshot is None or snapshot.data.get("expires_at", "") <= format_timestamp(moment):
            return None
        return snapshot.data

    def put(self, key: str, entry: dict[str, Any], moment: datetime) -> None:
        if not self.enabled:
            return
        record = {
            **entry,
            "created_at": format_timestamp(moment),
            "expires_at": format_timestamp(moment + self._ttl),
        }
        self._store.set(f"{COLLECTION}/{key}", record)
