"""The people of a tenant: invitations, members, roles, removal and member erasure.

A member is ``tenants/{t}/members/{uid}`` (the Firebase uid). People join by invitation:
an owner or admin invites an email address with a role; the invitation (with an expiry)
is stored under the SHA-256 of a random token, and the token is shown once. The invitee
signs in with Firebase and posts the token with their ID token; that links their uid,
writes the member and sets the ``tenant_id`` / ``role`` custom claims through the
``Claims`` port. Claims reach the person's *next* ID token, so responses that change them
say ``refresh_id_token``. The member document stays the truth for every request
(``identity.principal_for_member``), so removal and role changes apply at once.

Nobody grants a role with an action their own role lacks (``permissions.may_grant``: an
admin cannot make anyone billing or owner), admins do not touch owners, and the last owner
cannot be removed or demoted (409 ``LAST_OWNER``). Accepting needs a verified email.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta

from archbuilder.billing.quotas import take_seat
from archbuilder.domain.ids import new_id
from archbuilder.domain.permissions import may_grant, require
from archbuilder.domain.tenancy import (
    Invitation,
    InvitationAccepted,
    InvitationCreate,
    InvitationCreated,
    Member,
    MemberChanged,
    MemberList,
    MemberRemoved,
    MemberUpdate,
    Role,
    Tenant,
)
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.errors import (
    ArchBuilderError,
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import Claims, DocumentStore, Filter, Query, Transaction
from archbuilder.repositories import TenantPaths, dump
from archbuilder.services.identity import Principal, outranks, principal_for_member

TOKEN_PREFIX = "inv."  # noqa: S105 - the public prefix of invitation tokens, not a token
_UID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_TENANT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TOKEN = re.compile(r"^inv\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{40,64})$")
_log = get_logger("archbuilder.members")


def _members(tenant_id: str) -> str:
    return f"{TenantPaths(tenant_id).root}/members"


def _member_path(tenant_id: str, uid: str) -> str:
    if not _UID.match(uid):
        raise NotFound(resource="member", id=uid[:64])
    return f"{_members(tenant_id)}/{uid}"


def _invitation_path(tenant_id: str, token: str) -> str:
    return f"{TenantPaths(tenant_id).root}/invitations/{hashlib.sha256(token.encode()).hexdigest()}"


def _get_member(store: DocumentStore | Transaction, tenant_id: str, uid: str) -> Member:
    found = store.get(_member_path(tenant_id, uid))
    if found is None:
        raise NotFound(resource="member", id=uid[:64])
    return Member.model_validate(found.data)


def _all_members(store: DocumentStore, tenant_id: str) -> list[Member]:
    rows = store.query(Query(collection=_members(tenant_id)))
    return sorted((Member.model_validate(r.data) for r in rows), key=lambda m: (m.created_at, m.uid))


def _may_manage(principal: Principal, target: Role | None, new_role: Role | None = None) -> None:
    """Admins manage everyone but owners; nobody hands out a role with an action their own
    role lacks."""
    if target is not None and outranks(target, principal.role):
        raise PermissionDenied(role=principal.role, action=f"manage a {target.value} member")
    if new_role is not None and not may_grant(principal.role, new_role):
        raise PermissionDenied(role=principal.role, action=f"grant the {new_role.value} role")


def invite(store: DocumentStore, principal: Principal, request: InvitationCreate) -> InvitationCreated:
    """An invitation for ``request.email``; the token in the answer is never shown again."""
    require(principal, "members:manage")
    _may_manage(principal, None, request.role)
    if any(m.email == request.email for m in _all_members(store, principal.tenant_id)):
        raise Conflict(code="ALREADY_A_MEMBER")
    token = f"{TOKEN_PREFIX}{principal.tenant_id}.{secrets.token_urlsafe(32)}"
    created = now()
    invitation = Invitation(
        id=new_id("inv"),
        tenant_id=principal.tenant_id,
        email=request.email,
        role=request.role,
        created_at=created,
        expires_at=created + timedelta(days=request.expires_in_days),
        invited_by=principal.actor,
    )
    store.create(_invitation_path(principal.tenant_id, token), dump(invitation))
    return InvitationCreated(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        token=token,
        accept_path="/v1/members/invitations:accept",
    )


def accept(
    store: DocumentStore, claims: Claims, token: str, id_token: str | None
) -> tuple[InvitationAccepted, Principal]:
    """Link the signed-in person to the invitation's tenant: member, claims, and their principal.

    The ID token must verify (not revoked) but need carry no tenant claim; its email must be
    verified (403 ``INVITATION_EMAIL_UNVERIFIED``) and the invited one. The tenant's plan must
    have a free seat (402 ``PLAN_LIMIT_REACHED``), checked in the transaction that writes the
    member, so racing accepts cannot both take the last. A member of another tenant, as the
    stored claims or the token's say, is refused there too (409 ``MEMBER_OF_ANOTHER_TENANT``).
    """
    if not id_token:
        raise Unauthenticated()
    user = claims.verify_signed_in(id_token)
    parsed = _TOKEN.match(token)
    if parsed is None:
        raise NotFound(code="INVITATION_NOT_FOUND")
    tenant_id = parsed.group(1)
    path = _invitation_path(tenant_id, token)
    found = store.get(path)
    tenant_doc = store.get(TenantPaths(tenant_id).root)
    if found is None or tenant_doc is None or Tenant.model_validate(tenant_doc.data).status != "active":
        raise NotFound(code="INVITATION_NOT_FOUND")
    invitation = Invitation.model_validate(found.data)
    if invitation.accepted_at is not None:
        raise Conflict(code="INVITATION_USED")
    if invitation.expires_at <= now():
        raise ArchBuilderError(code="INVITATION_EXPIRED", status=410)
    if not user.email_verified:
        # An unverified address proves nothing: anyone may sign up with someone else's.
        raise PermissionDenied(code="INVITATION_EMAIL_UNVERIFIED")
    if (user.email or "").lower() != invitation.email:
        raise PermissionDenied(code="INVITATION_EMAIL_MISMATCH")
    if not _UID.match(user.uid):
        raise PermissionDenied(code="INVITATION_EMAIL_MISMATCH")
    if store.get(_member_path(tenant_id, user.uid)) is not None:
        raise Conflict(code="ALREADY_A_MEMBER")
    elsewhere = _memberships_elsewhere(claims, user.uid, user.tenant_id, tenant_id)
    moment = now()
    member = Member(
        uid=user.uid,
        role=invitation.role,
        email=invitation.email,
        created_at=moment,
        invited_by=invitation.invited_by,
    )
    member_path = _member_path(tenant_id, user.uid)

    def write(txn: Transaction) -> None:
        current = txn.get(path)
        if current is None or current.data.get("accepted_at"):
            raise Conflict(code="INVITATION_USED")
        if any(txn.get(other) is not None for other in elsewhere):
            # Claims name one tenant: a person belongs to one at a time.
            raise Conflict(code="MEMBER_OF_ANOTHER_TENANT")
        take_seat(txn, store, tenant_id)  # counted and decided in this transaction
        txn.create(member_path, dump(member))
        txn.update(path, {"accepted_at": format_timestamp(moment), "accepted_by": user.uid})

    store.transaction(write)
    try:
        claims.set_membership(user.uid, tenant_id=tenant_id, role=invitation.role.value)
    except Exception:
        # Without claims the person could not use the membership: undo, so the token works again.
        store.delete(member_path)
        store.update(path, {"accepted_at": None, "accepted_by": None})
        raise
    principal = principal_for_member(store, tenant_id=tenant_id, role=invitation.role.value, uid=user.uid)
    _log.info("invitation accepted", extra=log_fields(role=invitation.role.value))
    return InvitationAccepted(tenant_id=tenant_id, member=member), principal


def _memberships_elsewhere(
    claims: Claims, uid: str, token_tenant: str | None, tenant_id: str
) -> tuple[str, ...]:
    """The member paths in other tenants that the person's claims name: the stored claims (an ID
    token issued before the person joined a tenant carries none) and the token's own. Read in
    the accepting transaction: a membership there refuses the accept."""
    named = {claims.tenant_of(uid), token_tenant} - {None, tenant_id}
    return tuple(_member_path(other, uid) for other in sorted(t for t in named if t and _TENANT.match(t)))


def list_members(
    store: DocumentStore, principal: Principal, *, page_size: int, page_token: str | None
) -> MemberList:
    require(principal, "members:read")
    members = _all_members(store, principal.tenant_id)
    start = 0
    if page_token:
        uids = [m.uid for m in members]
        start = uids.index(page_token) + 1 if page_token in uids else len(uids)
    chunk = members[start : start + page_size]
    more = start + page_size < len(members)
    return MemberList(items=chunk, next_page_token=chunk[-1].uid if more and chunk else None)


def _owner_guard(store: DocumentStore, tenant_id: str, uid: str) -> tuple[str, ...]:
    """Paths of the tenant's owners other than ``uid``, read again inside the transaction that
    demotes or removes ``uid`` (so two concurrent changes cannot remove the last two owners)."""
    return tuple(
        _member_path(tenant_id, m.uid)
        for m in _all_members(store, tenant_id)
        if m.role is Role.owner and m.uid != uid
    )


def _still_owners(txn: Transaction, paths: tuple[str, ...]) -> int:
    count = 0
    for path in paths:
        found = txn.get(path)
        if found is not None and found.data.get("role") == Role.owner.value:
            count += 1
    return count


def change_role(
    store: DocumentStore, claims: Claims, principal: Principal, uid: str, request: MemberUpdate
) -> MemberChanged:
    """A new role for a member: stored (effective at once) and set as their claim."""
    require(principal, "members:manage")
    member = _get_member(store, principal.tenant_id, uid)
    _may_manage(principal, member.role, request.role)
    if member.role is request.role:
        return MemberChanged(member=member, claims_updated=False, refresh_id_token=False)
    path = _member_path(principal.tenant_id, uid)
    others = _owner_guard(store, principal.tenant_id, uid)
    moment = now()

    def write(txn: Transaction) -> None:
        current = txn.get(path)
        if current is None:
            raise NotFound(resource="member", id=uid[:64])
        if current.data.get("role") == Role.owner.value and _still_owners(txn, others) == 0:
            raise Conflict(code="LAST_OWNER")
        txn.update(path, {"role": request.role.value, "updated_at": format_timestamp(moment)})

    store.transaction(write)
    claims.set_membership(uid, tenant_id=principal.tenant_id, role=request.role.value)
    changed = member.model_copy(update={"role": request.role, "updated_at": moment})
    return MemberChanged(member=changed, claims_updated=True)


def remove(
    store: DocumentStore, claims: Claims, principal: Principal, uid: str, *, erase: bool = False
) -> MemberRemoved:
    """Remove a member (claims cleared); with ``erase`` also pseudonymise their audit entries
    and every other record that names them (review decisions, versions, queue, invitations).

    Erasure works for a former member too, as long as something still names them.
    """
    require(principal, "members:manage")
    if erase:
        require(principal, "members:erase")
    path = _member_path(principal.tenant_id, uid)
    found = store.get(path)
    removed = False
    if found is not None:
        member = Member.model_validate(found.data)
        _may_manage(principal, member.role)
        others = _owner_guard(store, principal.tenant_id, uid)

        def write(txn: Transaction) -> None:
            current = txn.get(path)
            if current is None:
                raise NotFound(resource="member", id=uid[:64])
            if current.data.get("role") == Role.owner.value and _still_owners(txn, others) == 0:
                raise Conflict(code="LAST_OWNER")
            txn.delete(path)

        store.transaction(write)
        claims.clear_membership(uid)
        removed = True
    if not erase:
        if not removed:
            raise NotFound(resource="member", id=uid[:64])
        return MemberRemoved(uid=uid, removed=True, erased=False)
    pseudonym, audit_entries, records = erase_member_traces(store, principal.tenant_id, uid)
    if not removed and audit_entries == 0 and records == 0:
        raise NotFound(resource="member", id=uid[:64])
    return MemberRemoved(
        uid=uid,
        removed=removed,
        erased=True,
        pseudonym=pseudonym,
        audit_entries_pseudonymised=audit_entries,
        records_pseudonymised=records,
    )


def pseudonym_for(uid: str) -> str:
    """``erased-<hash>``: the same within one erasure, unlinkable to the uid afterwards
    (the salt is random and never stored)."""
    salt = secrets.token_bytes(16)
    return "erased-" + hashlib.sha256(salt + uid.encode()).hexdigest()[:16]


def erase_member_traces(store: DocumentStore, tenant_id: str, uid: str) -> tuple[str, int, int]:
    """Replace ``user:<uid>`` by ``user:erased-<hash>`` in the tenant's audit entries (as actor,
    and in the paths of requests made on that member) and in every other record that names them
    (``_named_in``), and delete the invitations they accepted.
    Returns the pseudonym, how many audit entries and how many other records changed."""
    pseudonym = pseudonym_for(uid)
    root = TenantPaths(tenant_id).root
    audit_entries = _pseudonymise_audit(store, root, uid, pseudonym)
    for row in store.query(Query(collection=f"{root}/invitations", where=[Filter("accepted_by", "==", uid)])):
        store.delete(row.path)
    records = sum(
        _pseudonymise(store, collection, field, uid, pseudonym)
        for collection, field in _named_in(store, root)
    )
    _log.info("member erased", extra=log_fields(audit_entries=audit_entries, records=records))
    return pseudonym, audit_entries, records


def _pseudonymise_audit(store: DocumentStore, root: str, uid: str, pseudonym: str) -> int:
    audit = f"{root}/audit"
    member_resource = f"/v1/members/{uid}"
    changed = 0
    by_actor = store.query(Query(collection=audit, where=[Filter("actor", "==", f"user:{uid}")]))
    by_resource = store.query(Query(collection=audit, where=[Filter("resource", "==", member_resource)]))
    seen: set[str] = set()
    for row in [*by_actor, *by_resource]:
        if row.path in seen:
            continue
        seen.add(row.path)
        fields: dict[str, str] = {}
        if row.data.get("actor") == f"user:{uid}":
            fields["actor"] = f"user:{pseudonym}"
        if row.data.get("resource") == member_resource:
            fields["resource"] = f"/v1/members/{pseudonym}"
        if fields:
            store.update(row.path, fields)
            changed += 1
    return changed


def _named_in(store: DocumentStore, root: str) -> Iterator[tuple[str, str]]:
    """The collections and fields besides the audit log that name a person as ``user:<uid>``:
    who invited a member, who a review is assigned to, who decided on a layout, who made a
    corrected version (``principal.actor`` in ``members`` and ``reviews``)."""
    yield f"{root}/members", "invited_by"
    yield f"{root}/invitations", "invited_by"
    yield f"{root}/reviews", "assignee"
    for project in store.query(Query(collection=f"{root}/projects")):
        for layout in store.query(Query(collection=f"{project.path}/layouts")):
            yield f"{layout.path}/decisions", "actor"
            yield f"{layout.path}/versions", "created_by"


def _pseudonymise(store: DocumentStore, collection: str, field: str, uid: str, pseudonym: str) -> int:
    """``user:<pseudonym>`` in ``field`` wherever it holds ``user:<uid>`` (or the bare uid, as an
    assignee may); returns how many documents changed."""
    rows = store.query(Query(collection=collection, where=[Filter(field, "in", [f"user:{uid}", uid])]))
    for row in rows:
        store.update(row.path, {field: f"user:{pseudonym}"})
    return len(rows)


def erased_principal(principal: Principal, uid: str, pseudonym: str) -> Principal:
    """The caller as the audit log may name it after erasing ``uid`` (themselves, perhaps)."""
    if principal.user_id == uid:
        return dataclasses.replace(principal, user_id=pseudonym)
    return principal
