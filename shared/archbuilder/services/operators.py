"""Operators: the people who run ArchBuilder Cloud, not members of any tenant.

An operator key is ``ab_op_`` + 32 random bytes, created only by ``archbuilder admin
create-operator-key`` (no API creates one) and stored apart from tenant keys, as the SHA-256
document id of ``operator_keys/{sha256}``. A tenant key can never be an operator key: the
prefixes differ and the collections differ, and no tenant role reaches the operator routes.

The operator page (``/admin``) signs in with the key once and then carries a session cookie:
its random token is stored only as ``operator_sessions/{sha256}``, expires after
``SESSION_HOURS``, and dies with the key (a revoked or expired key ends its sessions).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from archbuilder.domain.ids import new_id
from archbuilder.domain.timestamps import Timestamp, format_timestamp, now
from archbuilder.platform.errors import NotFound, Unauthenticated
from archbuilder.platform.logging import bind, get_logger, log_fields
from archbuilder.ports import DocumentStore, Filter, Query

OPERATOR_KEY_PREFIX = "ab_op_"
OPERATOR_ROLE = "operator"
SESSION_HOURS = 8
_log = get_logger("archbuilder.operators")


class OperatorKey(BaseModel):
    """As stored at ``operator_keys/{sha256 of the key}``."""

    key_id: str
    name: str = Field(min_length=1, max_length=100)
    prefix: str
    created_at: Timestamp
    expires_at: Timestamp | None = None
    revoked_at: Timestamp | None = None

    def is_active(self, moment: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > moment


@dataclass(frozen=True)
class OperatorKeyCreated:
    key: OperatorKey
    api_key: str  # shown once


@dataclass(frozen=True)
class Operator:
    """The principal of an operator request. It names no tenant: no tenant route accepts it."""

    key_id: str
    name: str
    language: str = "en"
    tenant_id: str = ""
    role: str = OPERATOR_ROLE
    scopes: tuple[str, ...] = ()
    api_key_id: str | None = None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_operator_key(
    store: DocumentStore, *, name: str, expires_in_days: int | None = None
) -> OperatorKeyCreated:
    """A new operator key (the key itself is returned here only)."""
    raw = OPERATOR_KEY_PREFIX + secrets.token_urlsafe(32)
    moment = now()
    key = OperatorKey(
        key_id=new_id("opk"),
        name=name,
        prefix=raw[: len(OPERATOR_KEY_PREFIX) + 6],
        created_at=moment,
        expires_at=moment + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    store.create(f"operator_keys/{_hash(raw)}", key.model_dump(mode="json"))
    return OperatorKeyCreated(key=key, api_key=raw)


def revoke_operator_key(store: DocumentStore, key_id: str) -> OperatorKey:
    """Revoke the key with public id ``key_id``; its page sessions end with it."""
    rows = store.query(Query(collection="operator_keys", where=[Filter("key_id", "==", key_id)], limit=1))
    if not rows:
        raise NotFound(resource="operator_key", id=key_id)
    store.update(rows[0].path, {"revoked_at": format_timestamp(now())})
    return OperatorKey.model_validate(store.get(rows[0].path).data)  # type: ignore[union-attr]


def list_operator_keys(store: DocumentStore) -> list[OperatorKey]:
    return [OperatorKey.model_validate(row.data) for row in store.query(Query(collection="operator_keys"))]


def is_operator_key(raw: str | None) -> bool:
    return bool(raw) and str(raw).startswith(OPERATOR_KEY_PREFIX)


def _active_key(store: DocumentStore, key_hash: str) -> OperatorKey:
    found = store.get(f"operator_keys/{key_hash}")
    if found is None:
        raise Unauthenticated()
    key = OperatorKey.model_validate(found.data)
    if not key.is_active(now()):
        raise Unauthenticated()
    return key


def authenticate_operator(store: DocumentStore, raw_key: str | None) -> Operator:
    """The operator of ``raw_key``; ``Unauthenticated`` for anything else."""
    if not is_operator_key(raw_key) or len(str(raw_key)) > 200:
        raise Unauthenticated()
    key = _active_key(store, _hash(str(raw_key)))
    bind(operator_key_id=key.key_id)
    return Operator(key_id=key.key_id, name=key.name)


def start_session(store: DocumentStore, raw_key: str | None) -> tuple[str, datetime]:
    """Sign in to the operator page: a new session token and when it expires."""
    operator = authenticate_operator(store, raw_key)
    token = secrets.token_urlsafe(32)
    expires = now() + timedelta(hours=SESSION_HOURS)
    store.create(
        f"operator_sessions/{_hash(token)}",
        {
            "key_hash": _hash(str(raw_key)),
            "key_id": operator.key_id,
            "created_at": format_timestamp(now()),
            "expires_at": format_timestamp(expires),
        },
    )
    _log.info("operator signed in", extra=log_fields(operator_key_id=operator.key_id))
    return token, expires


def operator_of_session(store: DocumentStore, token: str | None) -> Operator:
    """The operator of a page session; ``Unauthenticated`` when it is unknown, expired, or its
    key no longer works."""
    if not token or len(token) > 200:
        raise Unauthenticated()
    found = store.get(f"operator_sessions/{_hash(token)}")
    if found is None or str(found.data.get("expires_at", "")) <= format_timestamp(now()):
        raise Unauthenticated()
    key = _active_key(store, str(found.data.get("key_hash", "")))
    bind(operator_key_id=key.key_id)
    return Operator(key_id=key.key_id, name=key.name)


def end_session(store: DocumentStore, token: str | None) -> None:
    if token and len(token) <= 200:
        store.delete(f"operator_sessions/{_hash(token)}")
