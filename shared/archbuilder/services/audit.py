"""The audit log: one append-only entry per change a tenant's credentials made (and per refusal).

Entries live at ``tenants/{t}/audit/{id}``; ids start with the time so they sort in order.
The HTTP layer writes them for every non-GET request and for every refused one, so a new
route is audited without anyone remembering to.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from archbuilder.domain.common import StrictModel
from archbuilder.domain.ids import time_ordered_id
from archbuilder.domain.permissions import require
from archbuilder.domain.timestamps import Timestamp, format_timestamp, now
from archbuilder.platform.paging import page
from archbuilder.ports import DocumentStore, Filter
from archbuilder.repositories import TenantPaths, dump
from archbuilder.services.identity import Principal


class AuditEntry(BaseModel):
    id: str
    time: Timestamp
    actor: str  # "api_key:<key id>" or "user:<uid>"
    action: str  # the operation, e.g. create_project
    method: str
    resource: str  # the request path
    outcome: str  # success | denied | failed
    status: int
    correlation_id: str
    source_ip: str | None = None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_page_token: str | None = None


class AuditQuery(StrictModel):
    action: str | None = Field(default=None, max_length=100)
    actor: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, pattern="^(success|denied|failed)$")
    since: datetime | None = None
    until: datetime | None = None
    page_size: int = Field(default=50, ge=1, le=200)
    page_token: str | None = Field(default=None, max_length=500)


def outcome_of(status: int) -> str:
    if status < 400:
        return "success"
    return "denied" if status in (401, 403, 404, 429) else "failed"


def record(
    store: DocumentStore,
    principal: Principal,
    *,
    action: str,
    method: str,
    resource: str,
    status: int,
    correlation_id: str,
    source_ip: str | None,
) -> None:
    """Append one entry to the caller's tenant's audit log."""
    moment = now()
    entry = AuditEntry(
        id=time_ordered_id(moment),
        time=moment,
        actor=principal.actor,
        action=action,
        method=method,
        resource=resource[:500],
        outcome=outcome_of(status),
        status=status,
        correlation_id=correlation_id,
        source_ip=source_ip,
    )
    store.create(f"{TenantPaths(principal.tenant_id).root}/audit/{entry.id}", dump(entry))


def list_entries(store: DocumentStore, principal: Principal, query: AuditQuery) -> AuditPage:
    """The tenant's audit entries, newest first, filtered."""
    require(principal, "audit:read")
    where = [
        Filter(name, "==", value)
        for name in ("action", "actor", "outcome")
        if (value := getattr(query, name))
    ]
    if query.since:
        where.append(Filter("time", ">=", format_timestamp(query.since)))
    if query.until:
        where.append(Filter("time", "<", format_timestamp(query.until)))
    rows, token = page(
        store,
        f"{TenantPaths(principal.tenant_id).root}/audit",
        order_field="time",
        direction="desc",
        page_size=query.page_size,
        page_token=query.page_token,
        where=where,
    )
    return AuditPage(items=[AuditEntry.model_validate(r.data) for r in rows], next_page_token=token)
