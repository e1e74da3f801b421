"""The history of a tenant's subscription: one record per change the billing worker stores.

The tenant document keeps only the current snapshot. Each time ``sync_tenant`` replaces it with
one that differs in what revenue reporting reads (status, plan, interval, currency, amount,
cancellation, payment failure), it also writes ``tenants/{t}/subscription_changes/{id}`` with
the state before and after, in the same transaction. The business view
(``billing.business_metrics``) reads movements from these records: new, expanded, contracted
and churned subscriptions, trial conversions, failed payments and their recovery. Nothing here
asks Stripe anything.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from archbuilder.billing.revenue import usd_per_month
from archbuilder.billing.subscription import SubscriptionSnapshot
from archbuilder.domain.timestamps import Timestamp, format_timestamp
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import Transaction
from archbuilder.repositories import dump

Movement = Literal["new", "expansion", "contraction", "churn", "none"]
_MRR_STATUSES = frozenset({"active", "past_due"})  # as SubscriptionSnapshot.monthly_amount
_FAILING = frozenset({"past_due", "unpaid"})
_log = get_logger("archbuilder.billing.subscriptions")


class SubscriptionState(BaseModel):
    """What a change record keeps of one side of the change."""

    status: str = "none"
    plan: str = "free"
    interval: str | None = None
    currency: str | None = None
    amount: int = 0  # minor units per interval
    mrr: float = 0.0  # minor units per month (0 unless active or past due)
    cancel_at_period_end: bool = False
    payment_failed_at: Timestamp | None = None

    @classmethod
    def of(cls, snapshot: SubscriptionSnapshot | None) -> SubscriptionState:
        if snapshot is None:
            return cls()
        return cls(
            status=snapshot.status,
            plan=snapshot.plan,
            interval=snapshot.interval,
            currency=snapshot.currency,
            amount=snapshot.amount,
            mrr=snapshot.monthly_amount,
            cancel_at_period_end=snapshot.cancel_at_period_end,
            payment_failed_at=snapshot.payment_failed_at,
        )

    @property
    def paying(self) -> bool:
        return self.status in _MRR_STATUSES and self.mrr > 0

    @property
    def failing(self) -> bool:
        return self.status in _FAILING


class SubscriptionChange(BaseModel):
    """``tenants/{t}/subscription_changes/{id}``."""

    id: str
    tenant_id: str
    subscription_id: str | None = None
    at: Timestamp  # when the worker fetched the state that made the change
    before: SubscriptionState
    after: SubscriptionState

    @property
    def movement(self) -> Movement:
        """The change as MRR movement: a payer appears, pays more, pays less, or stops paying."""
        before, after = self.before, self.after
        if not before.paying and after.paying:
            return "new"
        if before.paying and not after.paying:
            return "churn"
        if before.paying and after.paying:
            old, new = _comparable(before, after)
            if new > old:
                return "expansion"
            if new < old:
                return "contraction"
        return "none"

    @property
    def trial_started(self) -> bool:
        return self.after.status == "trialing" and self.before.status != "trialing"

    @property
    def trial_converted(self) -> bool:
        return self.before.status == "trialing" and self.after.paying

    @property
    def trial_lost(self) -> bool:
        return self.before.status == "trialing" and not self.after.paying and self.after.status != "trialing"

    @property
    def payment_failed(self) -> bool:
        """A payment failed that had not failed before (a new unpaid invoice, or dunning began)."""
        after, before = self.after, self.before
        if after.payment_failed_at is not None and after.payment_failed_at != before.payment_failed_at:
            return True
        return after.failing and not before.failing

    @property
    def payment_recovered(self) -> bool:
        return self.before.failing and self.after.status == "active"


def changes_path(tenant_id: str) -> str:
    return f"tenants/{tenant_id}/subscription_changes"


def _comparable(before: SubscriptionState, after: SubscriptionState) -> tuple[float, float]:
    # Same currency: the amounts themselves. A change of currency is rare; then each side is
    # compared as a share of its own plan's list price in that currency.
    if before.currency == after.currency:
        return before.mrr, after.mrr
    return usd_per_month(before.plan, before.currency, before.mrr) or 0.0, usd_per_month(
        after.plan, after.currency, after.mrr
    ) or 0.0


def _differs(before: SubscriptionState, after: SubscriptionState) -> bool:
    return before.model_dump() != after.model_dump()


def record_change(
    txn: Transaction,
    tenant_id: str,
    stored: SubscriptionSnapshot | None,
    snapshot: SubscriptionSnapshot,
    *,
    at: datetime,
) -> SubscriptionChange | None:
    """Inside the transaction that stores ``snapshot`` over ``stored``: write the change record
    when the two differ in what reporting reads; the record, or None."""
    before, after = SubscriptionState.of(stored), SubscriptionState.of(snapshot)
    if not _differs(before, after):
        return None
    stamp = format_timestamp(at)
    digest = hashlib.sha256(f"{tenant_id}\x1f{stamp}\x1f{after.model_dump_json()}".encode()).hexdigest()
    change = SubscriptionChange(
        # Time first, so the records of a tenant list in order.
        id=stamp.replace(":", "").replace("-", "").replace(".", "") + "-" + digest[:12],
        tenant_id=tenant_id,
        subscription_id=snapshot.subscription_id or (stored.subscription_id if stored else None),
        at=at,
        before=before,
        after=after,
    )
    txn.set(f"{changes_path(tenant_id)}/{change.id}", dump(change))
    return change


def log_change(change: SubscriptionChange) -> None:
    """The structured log line the Cloud Monitoring metrics count (``subscription_changed``)."""
    after, before = change.after, change.before
    _log.info(
        "subscription changed",
        extra=log_fields(
            metric="subscription_changed",
            movement=change.movement,
            plan=after.plan,
            status=after.status,
            currency=after.currency or before.currency or "",
            mrr_delta=round((after.mrr - before.mrr) / 100, 2) if after.currency == before.currency else None,
            trial_converted=change.trial_converted,
            payment_failed=change.payment_failed,
            payment_recovered=change.payment_recovered,
        ),
    )
