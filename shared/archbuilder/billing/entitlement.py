"""What a tenant may use right now: its effective plan and whether it may write.

Derived from the tenant document alone (``plan`` and the ``subscription`` snapshot the billing
worker keeps), so a gate costs one read and no Stripe call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from archbuilder.billing.errors import AccountReadOnly
from archbuilder.billing.subscription import PAID_STATUSES, SubscriptionSnapshot
from archbuilder.domain.plans import Plan, plan
from archbuilder.domain.timestamps import Timestamp, format_timestamp, now
from archbuilder.platform.errors import NotFound
from archbuilder.ports import DocumentStore


class Entitlement(BaseModel):
    plan: str
    status: str  # the Stripe status, "none" without a subscription, "manual" for a plan set by hand
    read_only: bool = False
    grace_ends_at: Timestamp | None = None
    cancel_at_period_end: bool = False
    current_period_end: Timestamp | None = None

    def limits(self) -> Plan:
        return plan(self.plan)


def effective_plan(snapshot: SubscriptionSnapshot) -> str:
    """The plan a subscription in this state gives: its own while paid or in dunning, else free."""
    return snapshot.plan if snapshot.status in PAID_STATUSES else "free"


def entitlement_of(tenant: Mapping[str, Any], at: datetime | None = None) -> Entitlement:
    """The entitlement recorded on a tenant document (its data as stored)."""
    raw = tenant.get("subscription")
    if not raw:
        # No Stripe subscription: the plan was set by an administrator (or is the default).
        return Entitlement(plan=str(tenant.get("plan") or "free"), status="manual")
    snapshot = SubscriptionSnapshot.model_validate(raw)
    moment = at or now()
    read_only = snapshot.status == "unpaid" or (
        snapshot.status == "past_due"
        and snapshot.grace_ends_at is not None
        and moment >= snapshot.grace_ends_at
    )
    return Entitlement(
        plan=effective_plan(snapshot),
        status=snapshot.status,
        read_only=read_only,
        grace_ends_at=snapshot.grace_ends_at,
        cancel_at_period_end=snapshot.cancel_at_period_end,
        current_period_end=snapshot.current_period_end,
    )


def is_read_only(tenant: Mapping[str, Any], at: datetime | None = None) -> bool:
    """True when the tenant (its stored document) may only read: unpaid past the grace period."""
    return entitlement_of(tenant, at).read_only


def load_entitlement(store: DocumentStore, tenant_id: str) -> Entitlement:
    snapshot = store.get(f"tenants/{tenant_id}")
    if snapshot is None:
        raise NotFound(resource="tenant", id=tenant_id)
    return entitlement_of(snapshot.data)


def require_writable(store: DocumentStore, tenant_id: str) -> Entitlement:
    """Raise 402 ``ACCOUNT_READ_ONLY`` when the tenant may only read; else its entitlement."""
    entitlement = load_entitlement(store, tenant_id)
    if entitlement.read_only:
        ends = entitlement.grace_ends_at
        raise AccountReadOnly(grace_ended_at=format_timestamp(ends) if ends else "-")
    return entitlement
