"""The subscription snapshot kept on ``tenants/{t}.subscription``, read from Stripe objects.

Stripe moved fields between API versions: before 2025-03-31 the billing period sits on the
subscription (``current_period_start/end``) and an invoice names its ``subscription``; later
versions put the period on each subscription item and the subscription under
``invoice.parent.subscription_details``. Both shapes are read here, so events signed with an
old endpoint version and objects fetched with the pinned version give the same snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from archbuilder.domain.plans import plan, plan_catalogue, plan_for_price
from archbuilder.domain.timestamps import Timestamp

# Statuses under which the subscribed plan applies (past_due/unpaid: within or after the grace period).
PAID_STATUSES = frozenset({"active", "trialing", "past_due", "unpaid"})
_STATUS_PRIORITY = {
    "active": 3,
    "trialing": 3,
    "past_due": 3,
    "unpaid": 3,
    "paused": 2,
    "incomplete": 2,
    "canceled": 1,
    "incomplete_expired": 1,
}


class SubscriptionSnapshot(BaseModel):
    """What we keep of the tenant's current Stripe subscription."""

    subscription_id: str | None = None
    customer_id: str | None = None
    status: str = "none"  # a Stripe status, or "none" when the customer has no subscription
    plan: str = "free"  # the plan its price belongs to
    interval: str | None = None
    currency: str | None = None  # upper case (TRY, EUR, USD)
    amount: int = 0  # minor units per interval, all licensed items
    current_period_start: Timestamp | None = None
    current_period_end: Timestamp | None = None
    cancel_at_period_end: bool = False
    cancel_at: Timestamp | None = None
    canceled_at: Timestamp | None = None
    trial_end: Timestamp | None = None
    # When the unpaid latest invoice fell due, and when the grace period after it ends.
    payment_failed_at: Timestamp | None = None
    grace_ends_at: Timestamp | None = None
    created: Timestamp | None = None
    # When we asked Stripe: a newer fetch never gives way to an older one.
    fetched_at: Timestamp

    @property
    def monthly_amount(self) -> float:
        """Recurring revenue per month in minor units (a yearly price counts a twelfth)."""
        if self.status not in ("active", "past_due"):
            return 0.0
        return self.amount / 12 if self.interval == "year" else float(self.amount)


def choose_subscription(subscriptions: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The subscription that decides the plan: a live one before an ended one, then the newest."""
    ranked = sorted(
        subscriptions,
        key=lambda s: (
            _STATUS_PRIORITY.get(str(s.get("status")), 0),
            s.get("created") or 0,
            str(s.get("id")),
        ),
    )
    return ranked[-1] if ranked else None


def snapshot_of(
    subscription: Mapping[str, Any] | None,
    *,
    customer_id: str | None,
    fetched_at: datetime,
    grace_days: float,
) -> SubscriptionSnapshot:
    """The snapshot of a Stripe subscription object (``None``: the customer has none)."""
    if subscription is None:
        return SubscriptionSnapshot(customer_id=customer_id, fetched_at=fetched_at)
    items = list(_items(subscription))
    matched = [(plan_name, item) for item in items if (plan_name := _plan_of(item)) is not None]
    plan_name, chosen = max(matched, key=lambda m: plan(m[0]).rank) if matched else ("free", None)
    price = _price(chosen) if chosen is not None else {}
    quantity = int(chosen.get("quantity") or 1) if chosen is not None else 0
    status = str(subscription.get("status") or "none")
    failed_at = _payment_failed_at(subscription) if status in ("past_due", "unpaid") else None
    first_item = items[0] if items else {}
    return SubscriptionSnapshot(
        subscription_id=subscription.get("id"),
        customer_id=_id(subscription.get("customer")) or customer_id,
        status=status,
        plan=plan_name,
        interval=_interval(price),
        currency=str(price["currency"]).upper() if price.get("currency") else None,
        amount=int(price.get("unit_amount") or price.get("amount") or 0) * quantity,
        current_period_start=_time(
            subscription.get("current_period_start") or first_item.get("current_period_start")
        ),
        current_period_end=_time(
            subscription.get("current_period_end") or first_item.get("current_period_end")
        ),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        cancel_at=_time(subscription.get("cancel_at")),
        canceled_at=_time(subscription.get("canceled_at")),
        trial_end=_time(subscription.get("trial_end")),
        payment_failed_at=failed_at,
        grace_ends_at=failed_at + timedelta(days=grace_days) if failed_at else None,
        created=_time(subscription.get("created")),
        fetched_at=fetched_at,
    )


def subscription_id_of_invoice(invoice: Mapping[str, Any]) -> str | None:
    """The subscription an invoice bills, in the old and the new API shapes."""
    old = _id(invoice.get("subscription"))
    if old:
        return old
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    new = _id(details.get("subscription"))
    if new:
        return new
    for line in (invoice.get("lines") or {}).get("data") or []:
        found = _id(line.get("subscription")) or _id(
            ((line.get("parent") or {}).get("subscription_item_details") or {}).get("subscription")
        )
        if found:
            return found
    return None


def _items(subscription: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    items = subscription.get("items") or {}
    data = items.get("data") if isinstance(items, Mapping) else None
    return data or []


def _price(item: Mapping[str, Any]) -> Mapping[str, Any]:
    # Old API versions also carry the legacy ``plan`` object (amount, interval at top level).
    price = item.get("price") or item.get("plan") or {}
    return price if isinstance(price, Mapping) else {}


def _plan_of(item: Mapping[str, Any]) -> str | None:
    price = _price(item)
    if not price:
        return None
    matched = plan_for_price(str(price.get("id")))
    if matched is not None:
        return matched.name
    # A price made outside plans.yaml says its plan in its metadata.
    named = (price.get("metadata") or {}).get("archbuilder_plan")
    return named if named in plan_catalogue().plans else None


def _interval(price: Mapping[str, Any]) -> str | None:
    recurring = price.get("recurring") or {}
    value = recurring.get("interval") or price.get("interval")
    return str(value) if value else None


def _payment_failed_at(subscription: Mapping[str, Any]) -> datetime | None:
    invoice = subscription.get("latest_invoice")
    if not isinstance(invoice, Mapping) or invoice.get("status") not in ("open", "uncollectible"):
        return None
    transitions = invoice.get("status_transitions") or {}
    return _time(invoice.get("due_date") or transitions.get("finalized_at") or invoice.get("created"))


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None
