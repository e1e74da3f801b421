"""Tenants, API keys and who is calling.

An API key is ``ab_live_`` + 32 random bytes (URL-safe base64). Only its SHA-256 is
stored, as the document id of ``api_keys/{sha256}``; the key is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

from archbuilder.billing.entitlement import is_read_only
from archbuilder.domain.common import DataRegion, Language
from archbuilder.domain.ids import new_id
from archbuilder.domain.permissions import ACTIONS, may_grant, require
from archbuilder.domain.tenancy import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyPublic,
    ApiKeyRotate,
    Me,
    Role,
    Tenant,
)
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.credential_cache import CredentialCache
from archbuilder.platform.errors import Conflict, NotFound, PermissionDenied, Unauthenticated
from archbuilder.platform.logging import bind
from archbuilder.ports import DocumentStore, Filter, Query, Transaction
from archbuilder.repositories import dump

KEY_PREFIX = "ab_live_"
_DISPLAY_CHARS = 12
# last_used_at is written at most this often per key, so reads stay cheap.
_LAST_USED_SAMPLE = timedelta(minutes=5)
_UID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_ROLE_RANK = {Role.owner: 4, Role.admin: 3, Role.architect: 2, Role.billing: 1, Role.viewer: 1}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. ``tenant_id`` comes from the credential, never from the request."""

    tenant_id: str
    role: str
    language: str
    code_region: str
    credential: str
    api_key_id: str | None = None
    scopes: tuple[str, ...] = ()
    plan: str = "free"
    read_only: bool = False  # unpaid past the grace period: reads only
    user_id: str | None = None  # the Firebase uid of a person

    @property
    def actor(self) -> str:
        """Who acted, for audit entries and review history: ``user:<uid>`` or ``api_key:<key id>``."""
        if self.user_id:
            return f"user:{self.user_id}"
        return f"api_key:{self.api_key_id or 'unknown'}"


def outranks(role: Role | str, other: Role | str) -> bool:
    """True if ``role`` ranks above ``other`` (who may manage whom; granting a role is
    ``permissions.may_grant``)."""
    return _ROLE_RANK[Role(role)] > _ROLE_RANK[Role(other)]


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def _new_raw_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_tenant(
    store: DocumentStore,
    *,
    name: str,
    data_region: DataRegion,
    code_region: str,
    language: Language,
    plan: str = "free",
) -> tuple[Tenant, ApiKeyCreated]:
    """Create a tenant and its first owner API key (returned once, in plain text)."""
    tenant = Tenant(
        id=new_id("tnt"),
        name=name,
        data_region=data_region,
        code_region=code_region,
        language=language,
        plan=plan,
        created_at=now(),
    )
    raw_key, key = _key_record(tenant.id, "Owner key", Role.owner, None, [])

    def write(txn: Transaction) -> None:
        txn.create(f"tenants/{tenant.id}", dump(tenant))
        txn.create(f"api_keys/{hash_key(raw_key)}", dump(key))

    store.transaction(write)
    return tenant, _created(key, raw_key)


def _key_record(
    tenant_id: str, name: str, role: Role, expires_in_days: int | None, scopes: list[str]
) -> tuple[str, ApiKey]:
    raw_key = _new_raw_key()
    created = now()
    key = ApiKey(
        key_id=new_id("key"),
        tenant_id=tenant_id,
        name=name,
        role=role,
        scopes=scopes,
        prefix=raw_key[:_DISPLAY_CHARS],
        created_at=created,
        expires_at=created + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return raw_key, key


def _public(key: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=key.key_id,
        name=key.name,
        role=key.role,
        scopes=key.scopes,
        prefix=key.prefix,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
    )


def _created(key: ApiKey, raw_key: str) -> ApiKeyCreated:
    return ApiKeyCreated(**_public(key).model_dump(), api_key=raw_key)


def authenticate_api_key(
    store: DocumentStore, raw_key: str | None, cache: CredentialCache | None = None
) -> Principal:
    """The principal for an API key; ``Unauthenticated`` for a missing, unknown, revoked or expired key.

    With ``cache``, what the key resolved to (its record and its tenant's) is kept for the
    cache's TTL and forgotten when either is written through this instance (revocation,
    rotation, suspension, a plan or role change, erasure). Expiry, revocation and the tenant's
    status are checked on every request, against the kept records too; failures are never kept.
    """
    if not raw_key or not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        raise Unauthenticated()
    path = f"api_keys/{hash_key(raw_key)}"
    moment = now()
    since = cache.generation() if cache is not None else 0
    resolved: _Resolved | None = cache.get(path) if cache is not None else None
    keep = resolved is None
    if resolved is None:
        resolved = _resolve(store, path)
    key, tenant, tenant_data = resolved
    # Checked on every request, a kept entry too: the key may have expired since it was read.
    if not key.is_active(moment) or tenant.status != "active" or tenant.id != key.tenant_id:
        raise Unauthenticated()
    if key.last_used_at is None or moment - key.last_used_at > _LAST_USED_SAMPLE:
        store.update(path, {"last_used_at": format_timestamp(moment)})
        resolved = resolved._replace(key=key.model_copy(update={"last_used_at": moment}))
        keep = True
    if cache is not None and keep:
        # Not kept if a key or tenant was written since ``since``: it may have been this one.
        cache.put(path, resolved, depends_on=(path, f"tenants/{tenant.id}"), since=since)
    bind(tenant_id=tenant.id)
    return Principal(
        tenant_id=tenant.id,
        role=key.role.value,
        language=tenant.language.value,
        code_region=tenant.code_region,
        credential="api_key",
        api_key_id=key.key_id,
        scopes=tuple(key.scopes),
        plan=tenant.plan,
        read_only=is_read_only(tenant_data),
    )


class _Resolved(NamedTuple):
    """What an API key resolved to: its record, its tenant and the tenant's stored document."""

    key: ApiKey
    tenant: Tenant
    tenant_data: Mapping[str, Any]


def _resolve(store: DocumentStore, path: str) -> _Resolved:
    """The key at ``path`` and its tenant, read from the store; ``Unauthenticated`` when either is missing."""
    snapshot = store.get(path)
    if snapshot is None:
        raise Unauthenticated()
    key = ApiKey.model_validate(snapshot.data)
    if not key.is_active(now()):
        raise Unauthenticated()  # the tenant is not read for a dead key
    tenant_doc = store.get(f"tenants/{key.tenant_id}")
    if tenant_doc is None:
        raise Unauthenticated()
    return _Resolved(key, Tenant.model_validate(tenant_doc.data), tenant_doc.data)


def me(store: DocumentStore, principal: Principal) -> Me:
    require(principal, "me:read")
    snapshot = store.get(f"tenants/{principal.tenant_id}")
    if snapshot is None:
        raise NotFound(resource="tenant", id=principal.tenant_id)
    tenant = Tenant.model_validate(snapshot.data)
    return Me(
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        role=Role(principal.role),
        data_region=tenant.data_region,
        code_region=tenant.code_region,
        language=tenant.language,
        plan=tenant.plan,
        credential=principal.credential,
        api_key_id=principal.api_key_id,
        user_id=principal.user_id,
        scopes=list(principal.scopes),
    )


def create_api_key(store: DocumentStore, principal: Principal, request: ApiKeyCreate) -> ApiKeyCreated:
    """A new key for the caller's tenant, never allowing an action the caller's role (or, for a
    scoped key, its scopes) does not."""
    require(principal, "api_keys:manage")
    _may_issue(principal, request.role, request.scopes, verb="create")
    raw_key, key = _key_record(
        principal.tenant_id, request.name, request.role, request.expires_in_days, request.scopes
    )
    store.create(f"api_keys/{hash_key(raw_key)}", dump(key))
    return _created(key, raw_key)


def _may_issue(principal: Principal, role: Role, scopes: list[str], *, verb: str) -> None:
    """Refuse a key whose role has an action the caller's role lacks, or (for a scoped caller)
    whose scopes are broader than the caller's; an unscoped key has every action."""
    if not may_grant(principal.role, role):
        raise PermissionDenied(role=principal.role, action=f"{verb} a {role.value} key")
    if principal.scopes and not set(scopes or ACTIONS) <= set(principal.scopes):
        raise PermissionDenied(role=principal.role, action=f"{verb} a key with more scopes than its own")


def _tenant_keys(tenant_id: str) -> Query:
    return Query(collection="api_keys", where=[Filter("tenant_id", "==", tenant_id)])


def list_api_keys(
    store: DocumentStore, principal: Principal, *, page_size: int, page_token: str | None
) -> ApiKeyList:
    require(principal, "api_keys:manage")
    # Keys live in one top-level collection; page over this tenant's only.
    rows = store.query(_tenant_keys(principal.tenant_id))
    keys = sorted((ApiKey.model_validate(r.data) for r in rows), key=lambda k: (k.created_at, k.key_id))
    start = 0
    if page_token:
        ids = [k.key_id for k in keys]
        start = ids.index(page_token) + 1 if page_token in ids else len(ids)
    chunk = keys[start : start + page_size]
    more = start + page_size < len(keys)
    return ApiKeyList(
        items=[_public(k) for k in chunk], next_page_token=chunk[-1].key_id if more and chunk else None
    )


def recovers_tenant(key: ApiKey) -> bool:
    """True for a key that can always get its tenant back: an owner key with every action (no
    scopes), not revoked, that never expires. A scoped owner key cannot manage keys or erase,
    and a key with an expiry (a rotated key in its overlap window, or one created with
    ``expires_in_days``) stops working by itself, so neither counts."""
    return key.role is Role.owner and not key.scopes and key.revoked_at is None and key.expires_at is None


def revoke_api_key(store: DocumentStore, principal: Principal, key_id: str) -> ApiKeyPublic:
    """Revoke a key of the caller's tenant; the last key that ``recovers_tenant`` cannot be
    revoked (409 ``LAST_OWNER_KEY``). The other such keys are read again inside the transaction
    that revokes, so two concurrent revocations cannot remove the last two."""
    require(principal, "api_keys:manage")
    path, target, keys = _find_key(store, principal.tenant_id, key_id)
    if target.revoked_at is not None:
        return _public(target)
    if target.role is Role.owner and principal.role != Role.owner.value:
        raise PermissionDenied(role=principal.role, action="revoke an owner key")
    others = tuple(p for p, k in keys if p != path and recovers_tenant(k))
    moment = now()

    def write(txn: Transaction) -> ApiKey:
        current = txn.get(path)
        if current is None:
            raise NotFound(resource="api_key", id=key_id[:64])
        key = ApiKey.model_validate(current.data)
        if key.revoked_at is not None:
            return key
        if recovers_tenant(key) and not any(_still_recovers(txn, p) for p in others):
            raise Conflict(code="LAST_OWNER_KEY")
        txn.update(path, {"revoked_at": format_timestamp(moment)})
        return key.model_copy(update={"revoked_at": moment})

    return _public(store.transaction(write))


def _still_recovers(txn: Transaction, path: str) -> bool:
    found = txn.get(path)
    return found is not None and recovers_tenant(ApiKey.model_validate(found.data))


def _find_key(
    store: DocumentStore, tenant_id: str, key_id: str
) -> tuple[str, ApiKey, list[tuple[str, ApiKey]]]:
    """(document path, key, every key of the tenant with its path) for a key id of this tenant;
    ``NotFound`` otherwise."""
    rows = store.query(_tenant_keys(tenant_id))
    keys = [(r.path, ApiKey.model_validate(r.data)) for r in rows]
    for path, key in keys:
        if key.key_id == key_id:
            return path, key, keys
    raise NotFound(resource="api_key", id=key_id[:64])


def rotate_api_key(
    store: DocumentStore, principal: Principal, key_id: str, request: ApiKeyRotate
) -> ApiKeyCreated:
    """Issue a replacement key (shown once); the old key keeps working for the overlap window."""
    require(principal, "api_keys:manage")
    path, old, _ = _find_key(store, principal.tenant_id, key_id)
    moment = now()
    if not old.is_active(moment):
        raise Conflict(code="API_KEY_NOT_ACTIVE")
    _may_issue(principal, old.role, list(old.scopes), verb="rotate")
    raw_key, new = _key_record(principal.tenant_id, old.name, old.role, None, list(old.scopes))
    new = new.model_copy(update={"expires_at": old.expires_at})
    ends = moment + timedelta(hours=request.overlap_hours)
    old_expiry = min(ends, old.expires_at) if old.expires_at else ends

    def write(txn: Transaction) -> None:
        current = txn.get(path)
        if current is None or current.data.get("rotated_to"):
            raise Conflict(code="API_KEY_ALREADY_ROTATED")
        txn.create(f"api_keys/{hash_key(raw_key)}", dump(new))
        txn.update(path, {"expires_at": format_timestamp(old_expiry), "rotated_to": new.key_id})

    store.transaction(write)
    return _created(new, raw_key)


def principal_for_member(store: DocumentStore, *, tenant_id: str, role: str, uid: str) -> Principal:
    """The principal of a signed-in person whose verified token names ``tenant_id`` and ``role``.

    The membership document is the truth: a person removed from the tenant is refused at
    once, and a changed role applies at once, even while their ID token still carries the
    old claims (until it is refreshed, at most an hour).
    """
    tenant_doc = store.get(f"tenants/{tenant_id}") if tenant_id.replace("_", "").isalnum() else None
    if tenant_doc is None:
        raise Unauthenticated()
    tenant = Tenant.model_validate(tenant_doc.data)
    if tenant.status != "active" or role not in {r.value for r in Role}:
        raise Unauthenticated()
    member_doc = store.get(f"tenants/{tenant.id}/members/{uid}") if _UID.match(uid) else None
    if member_doc is None:
        raise Unauthenticated(reason="not a member")
    bind(tenant_id=tenant.id)
    return Principal(
        tenant_id=tenant.id,
        role=Role(member_doc.data["role"]).value,
        language=tenant.language.value,
        code_region=tenant.code_region,
        credential="user",
        plan=tenant.plan,
        read_only=is_read_only(tenant_doc.data),
        user_id=uid,
    )
