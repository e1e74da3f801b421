"""``billing_worker`` on ``billing-events``: each Stripe event is only a trigger.

The worker finds the tenant, re-reads the customer's subscriptions from Stripe and rebuilds
the tenant's snapshot and plan from what Stripe says now. Events may arrive twice, late or
in any order: the result depends on Stripe's current state only. A snapshot fetched earlier
never replaces one fetched later, so two workers racing on one tenant settle on the newer.
"""

from __future__ import annotations

from typing import Literal

from archbuilder.billing.entitlement import effective_plan
from archbuilder.billing.gateway import BillingGateway
from archbuilder.billing.subscription import SubscriptionSnapshot, choose_subscription, snapshot_of
from archbuilder.billing.subscription_changes import SubscriptionChange, log_change, record_change
from archbuilder.billing.webhook import BillingEventMessage, event_path
from archbuilder.domain.ids import checked_id
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.errors import NotFound
from archbuilder.platform.logging import bind, get_logger, log_fields
from archbuilder.ports import DocumentStore, Filter, Query, Transaction
from archbuilder.repositories import dump

SyncOutcome = Literal["synced", "stale", "no_customer", "not_live", "unknown_tenant"]
_log = get_logger("archbuilder.billing.events")


def apply_stripe_event(
    store: DocumentStore, gateway: BillingGateway, message: BillingEventMessage, *, grace_days: float
) -> str:
    """Bring the event's tenant up to date with Stripe; returns what happened (for logs)."""
    path = event_path(message.event_id)
    recorded = store.get(path)
    if recorded is not None and recorded.data.get("processed_at"):
        return "duplicate"
    tenant_id = resolve_tenant(store, message)
    if tenant_id is None:
        outcome: str = "unknown_tenant"
        _log.info("stripe event for no tenant of ours", extra=log_fields(event_type=message.type))
    else:
        bind(tenant_id=tenant_id)
        outcome = sync_tenant(store, gateway, tenant_id, grace_days=grace_days)
        if message.type == "customer.subscription.trial_will_end":
            _log.info("trial ends soon", extra=log_fields(subscription_id=message.subscription_id))
    _mark_processed(store, path, message, outcome)
    return outcome


def resolve_tenant(store: DocumentStore, message: BillingEventMessage) -> str | None:
    """Our tenant for the event: the one we named at checkout, else the customer's owner."""
    if message.tenant_id:
        try:
            tenant_id = checked_id(message.tenant_id, "tenant")
        except NotFound:
            tenant_id = None
        if tenant_id and store.get(f"tenants/{tenant_id}") is not None:
            if message.customer_id:
                _link_customer(store, tenant_id, message.customer_id)
            return tenant_id
    if message.customer_id:
        rows = store.query(
            Query(
                collection="tenants", where=[Filter("stripe_customer_id", "==", message.customer_id)], limit=1
            )
        )
        if rows:
            return rows[0].id
    return None


def _link_customer(store: DocumentStore, tenant_id: str, customer_id: str) -> None:
    def link(txn: Transaction) -> None:
        tenant = txn.get(f"tenants/{tenant_id}")
        if tenant is not None and not tenant.data.get("stripe_customer_id"):
            txn.update(f"tenants/{tenant_id}", {"stripe_customer_id": customer_id})

    store.transaction(link)


def sync_tenant(
    store: DocumentStore, gateway: BillingGateway, tenant_id: str, *, grace_days: float
) -> SyncOutcome:
    """Re-read the tenant's subscriptions from Stripe and store the snapshot and plan."""
    tenant_path = f"tenants/{tenant_id}"
    tenant = store.get(tenant_path)
    if tenant is None:
        return "unknown_tenant"
    customer_id = tenant.data.get("stripe_customer_id")
    if not customer_id:
        return "no_customer"
    if not gateway.live:
        return "not_live"
    # Taken before the request: a fetch sent later sees a state at least as new.
    fetched_at = now()
    subscriptions = gateway.list_subscriptions(str(customer_id))
    snapshot = snapshot_of(
        choose_subscription(subscriptions),
        customer_id=str(customer_id),
        fetched_at=fetched_at,
        grace_days=grace_days,
    )

    changes: list[SubscriptionChange] = []

    def write(txn: Transaction) -> SyncOutcome:
        changes.clear()  # a transaction run again starts over
        current = txn.get(tenant_path)
        if current is None:
            return "unknown_tenant"
        raw = current.data.get("subscription")
        stored = SubscriptionSnapshot.model_validate(raw) if raw else None
        if stored is not None and stored.fetched_at > fetched_at:
            return "stale"
        # The history the business view reads (new, expanded, churned …), with the snapshot.
        change = record_change(txn, tenant_id, stored, snapshot, at=fetched_at)
        if change is not None:
            changes.append(change)
        txn.update(
            tenant_path,
            {
                "subscription": dump(snapshot),
                "plan": effective_plan(snapshot),
                "billing_updated_at": format_timestamp(now()),
            },
        )
        return "synced"

    outcome = store.transaction(write)
    for change in changes:
        log_change(change)
    return outcome


def _mark_processed(store: DocumentStore, path: str, message: BillingEventMessage, outcome: str) -> None:
    def mark(txn: Transaction) -> None:
        fields = {"processed_at": format_timestamp(now()), "outcome": outcome}
        if txn.get(path) is None:
            txn.create(path, {"type": message.type, "created": message.created, **fields})
        else:
            txn.update(path, fields)

    store.transaction(mark)
