"""``Idempotency-Key`` on the requests that start paid work (a brief, a revision).

One key of one tenant on one route has one record at ``idempotency/{sha256(scope)}``: the hash of
the request as sent (canonical JSON of the body's fields the client set, never of what the server
made of it) and the answer it got. The same key with the same body answers that answer again; with
another body it is 409 ``IDEMPOTENCY_KEY_REUSED``. Records expire after
``ARCHBUILDER_IDEMPOTENCY_TTL_S`` (a day).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from archbuilder.domain.timestamps import format_timestamp
from archbuilder.platform.errors import BadRequest, Conflict
from archbuilder.ports import Snapshot

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
HASH_OF_BODY = "body"  # ``hash_of`` of a record whose hash is of the request as sent

Answer = TypeVar("Answer", bound=BaseModel)


@dataclass(frozen=True)
class Idempotency(Generic[Answer]):
    """One key of one tenant on ``POST {route}``: where its record lives, the hash of the
    request as sent, and the model its stored answer is read back as."""

    path: str
    request_hash: str
    answer: type[Answer]

    @classmethod
    def of(
        cls, tenant_id: str, route: str, key: str, body: BaseModel, answer: type[Answer]
    ) -> Idempotency[Answer]:
        """400 ``INVALID_IDEMPOTENCY_KEY`` unless ``key`` is 1 to 255 visible ASCII characters."""
        if not IDEMPOTENCY_KEY.match(key):
            raise BadRequest(code="INVALID_IDEMPOTENCY_KEY")
        scope = f"{tenant_id}:POST:{route}:{key}"
        return cls(
            path=f"idempotency/{hashlib.sha256(scope.encode()).hexdigest()}",
            request_hash=canonical_hash(body.model_dump(mode="json", exclude_unset=True)),
            answer=answer,
        )

    def replay(self, stored: Snapshot | None, *, legacy_hash: str | None = None) -> Answer | None:
        """The stored answer when ``stored`` is this request's record; None when there is no
        record; 409 ``IDEMPOTENCY_KEY_REUSED`` when the key was used with another body. A record
        written before requests were hashed as sent (no ``hash_of``) holds another hash: it is
        compared with ``legacy_hash`` when the caller has one, else treated as not yet known."""
        if stored is None:
            return None
        if stored.data.get("hash_of") == HASH_OF_BODY:
            same = stored.data["request_hash"] == self.request_hash
        elif legacy_hash is None:
            return None
        else:
            same = stored.data["request_hash"] == legacy_hash
        if not same:
            raise Conflict(code="IDEMPOTENCY_KEY_REUSED")
        return self.answer.model_validate(stored.data["response"])

    def record(self, answer: Answer, moment: datetime, ttl_s: int) -> dict[str, Any]:
        """The record to create, in the same commit as the work it answers for; maintenance
        deletes it ``ttl_s`` (``Settings.idempotency_ttl_s``) after ``moment``."""
        return {
            "request_hash": self.request_hash,
            "hash_of": HASH_OF_BODY,
            "response": answer.model_dump(mode="json"),
            "expires_at": format_timestamp(moment + timedelta(seconds=ttl_s)),
        }


def canonical_hash(data: Any) -> str:
    """SHA-256 of canonical JSON: sorted keys, no spaces, UTF-8."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
