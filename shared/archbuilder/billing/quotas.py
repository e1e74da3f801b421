"""Quota and feature gates: 402 ``PLAN_LIMIT_REACHED`` / 403 ``FEATURE_NOT_IN_PLAN``, each
saying what the next plan gives, and a soft warning from 80 % of a quota."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from archbuilder.billing.entitlement import entitlement_of
from archbuilder.billing.errors import FeatureNotInPlan, PlanLimitReached
from archbuilder.billing.usage_ledger import (
    UsageKind,
    UsageRecord,
    UsageTotals,
    add_record,
    counters_path,
    ledger_path,
    period_of,
    publish_usage,
    read_totals,
    release_record,
    storage_path,
    totals_of,
    usage_record_id,
)
from archbuilder.domain.plans import Plan, next_plan, plan, plan_catalogue
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.errors import NotFound
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import DocumentStore, EventBus, Query, Transaction

Quota = Literal[
    "layouts", "compliance_checks", "cad_uploads", "cad_file_mb", "storage_mb", "seats", "ai_budget_usd_cents"
]
QUOTAS: tuple[Quota, ...] = (
    "layouts",
    "compliance_checks",
    "cad_uploads",
    "cad_file_mb",
    "storage_mb",
    "seats",
    "ai_budget_usd_cents",
)
Feature = Literal["ifc_export", "review_workflow", "priority_queue", "regions"]
WARNING_RATIO = 0.8
_MB = 1024 * 1024
_log = get_logger("archbuilder.billing")

# The quotas a ledger record counts against, with the amount it asks for.
_RECORD_QUOTAS: dict[UsageKind, tuple[Quota, ...]] = {
    UsageKind.layout: ("layouts",),
    UsageKind.compliance_check: ("compliance_checks",),
    UsageKind.cad_upload: ("cad_uploads", "cad_file_mb"),
    UsageKind.ai: ("ai_budget_usd_cents",),
}


@dataclass(frozen=True)
class QuotaCheck:
    """The outcome of a gate that let the call through."""

    quota: str
    plan: str
    limit: int | None  # None: unlimited
    used: int  # before this call (per-file quotas: 0)
    requested: int

    @property
    def ratio(self) -> float:
        if not self.limit:
            return 0.0
        return (self.used + self.requested) / self.limit

    @property
    def warning(self) -> bool:
        """True from 80 % of the quota: time to tell the tenant (not for per-file limits)."""
        return self.quota != "cad_file_mb" and self.limit is not None and self.ratio >= WARNING_RATIO

    def headers(self) -> dict[str, str]:
        """``X-Quota-Warning: layouts=85%`` when the warning applies, for the response."""
        return {"X-Quota-Warning": f"{self.quota}={round(self.ratio * 100)}%"} if self.warning else {}


def limit_of(entry: Plan, quota: str) -> int | None:
    value: int | None = getattr(entry.quotas, quota)
    return value


def _used(
    reader: Transaction | DocumentStore, tenant_id: str, quota: str, totals: UsageTotals, *, seats: int
) -> int:
    if quota == "layouts":
        return totals.layouts
    if quota == "compliance_checks":
        return totals.compliance_checks
    if quota == "cad_uploads":
        return totals.cad_uploads
    if quota == "ai_budget_usd_cents":
        return round(totals.ai_spend_usd() * 100)
    if quota == "storage_mb":
        found = reader.get(storage_path(tenant_id))
        return int((found.data if found else {}).get("storage_bytes", 0)) // _MB
    if quota == "seats":
        return seats
    return 0  # cad_file_mb limits each file, not a sum


def _decide(tenant: Mapping[str, Any], quota: str, used: int, amount: int) -> QuotaCheck:
    plan_name = entitlement_of(tenant).plan
    limit = limit_of(plan(plan_name), quota)
    check = QuotaCheck(quota=quota, plan=plan_name, limit=limit, used=used, requested=amount)
    if limit is not None and used + amount > limit:
        upgrade = next_plan(plan_name)
        next_limit = limit_of(upgrade, quota) if upgrade else None
        raise PlanLimitReached(
            quota=quota,
            plan=plan_name,
            limit=limit,
            used=used,
            requested=amount,
            next_plan=upgrade.name if upgrade else "none",
            next_limit="unlimited" if upgrade and next_limit is None else (next_limit if upgrade else "none"),
        )
    if check.warning:
        _log.info(
            "quota nearly used",
            extra=log_fields(quota=quota, plan=plan_name, percent=round(check.ratio * 100)),
        )
    return check


def _tenant(reader: Transaction | DocumentStore, tenant_id: str) -> Mapping[str, Any]:
    found = reader.get(f"tenants/{tenant_id}")
    if found is None:
        raise NotFound(resource="tenant", id=tenant_id)
    return found.data


def _seats(store: DocumentStore, tenant_id: str) -> int:
    return len(store.query(Query(collection=f"tenants/{tenant_id}/members")))


def check_quota(
    store: DocumentStore, tenant_id: str, quota: str, amount: int = 1, *, at: datetime | None = None
) -> QuotaCheck:
    """Allow ``amount`` more of ``quota`` or raise 402 ``PLAN_LIMIT_REACHED``.

    A check only: record what was used with ``consume_quota`` (or ``record_usage``).
    ``cad_file_mb`` compares one file's size with the per-file limit; ``storage_mb`` and
    ``seats`` compare totals; the other quotas count this calendar month (UTC).
    """
    if quota not in QUOTAS:
        raise ValueError(f"unknown quota {quota!r}; known: {', '.join(QUOTAS)}")
    tenant = _tenant(store, tenant_id)
    totals = read_totals(store, tenant_id, period_of(at or now()))
    seats = _seats(store, tenant_id) if quota == "seats" else 0
    return _decide(tenant, quota, _used(store, tenant_id, quota, totals, seats=seats), amount)


def take_seat(txn: Transaction, store: DocumentStore, tenant_id: str) -> QuotaCheck:
    """Inside the transaction that adds a member: allow one more seat or raise 402.

    The Transaction port has no queries, so the tenant document orders the transactions that
    take seats: it is read here *before* the members are counted, and written, so of two
    accepts racing for the last seat one commit fails on the changed tenant, runs again and
    counts the other's member. Call it after the transaction's other reads, before its writes.
    """
    tenant = _tenant(txn, tenant_id)
    check = _decide(tenant, "seats", _seats(store, tenant_id), 1)
    txn.update(f"tenants/{tenant_id}", {"seat_taken_at": format_timestamp(now())})
    return check


def consume_quota(
    store: DocumentStore, record: UsageRecord, *, bus: EventBus | None = None
) -> list[QuotaCheck]:
    """Check the quotas ``record`` counts against and write it to the ledger, in one transaction.

    Two concurrent calls cannot both take the last unit. A record already in the ledger (a
    retry) passes without a check and is not counted again. With a bus, the record is
    queued for Stripe.
    """

    checks, created = store.transaction(lambda txn: consume_in(txn, record))
    if created and bus is not None:
        publish_usage(bus, record.tenant_id)
    return checks


def consume_in(txn: Transaction, record: UsageRecord) -> tuple[list[QuotaCheck], bool]:
    """The gate of ``consume_quota`` inside the caller's transaction, so that the work the
    record pays for is written in the same commit as its ledger record (or not at all).

    Raises 402 ``PLAN_LIMIT_REACHED`` (the transaction writes nothing); returns the checks and
    whether the record is new (False: already in the ledger, nothing counted). It reads, then
    writes: call it after the transaction's other reads and before its other writes. When the
    record is new, the caller publishes ``publish_usage`` after the commit (billing meter).
    """
    tenant = _tenant(txn, record.tenant_id)
    counters = txn.get(counters_path(record.tenant_id, record.period))
    if txn.get(ledger_path(record.tenant_id, record.id)) is not None:
        return [], False
    totals = totals_of(counters, record.period)
    checks = [
        _decide(tenant, quota, _used(txn, record.tenant_id, quota, totals, seats=0), _amount(record, quota))
        for quota in _RECORD_QUOTAS[record.kind]
    ]
    add_record(txn, record, counters)  # what was read above: not read again
    return checks, True


def release_in(txn: Transaction, tenant_id: str, kind: UsageKind | str, *, source: str, reason: str) -> bool:
    """Give back, inside the caller's transaction, what ``consume_in`` counted for ``source``
    (the same deterministic record id): for work that was paid for and never done, such as an
    upload whose file never came. Once only: True when units were given back now, False when
    there was no record or it was released before. Reads, then writes (as ``consume_in``).
    """
    released = release_record(txn, tenant_id, usage_record_id(tenant_id, kind, source), reason=reason)
    if released is None:
        return False
    if released.meter_status != "pending":
        # Sent (or being sent) to Stripe already: the quota is back, the meter event stays.
        _log.warning(
            "usage released after it was metered",
            extra=log_fields(
                record_id=released.id, kind=released.kind.value, meter_status=released.meter_status
            ),
        )
    return True


def _amount(record: UsageRecord, quota: str) -> int:
    if quota == "cad_uploads":
        return 1
    if quota == "ai_budget_usd_cents":
        return round((record.cost or 0.0) * 100)
    return record.quantity


def plan_has(tenant: Mapping[str, Any], feature: str, value: str | None = None) -> bool:
    """Whether the plan of a tenant document already read has ``feature`` (see ``require_feature``)."""
    return _has(plan(entitlement_of(tenant).plan), feature, value)


def require_feature(store: DocumentStore, tenant_id: str, feature: str, value: str | None = None) -> None:
    """Raise 403 ``FEATURE_NOT_IN_PLAN`` unless the tenant's plan has ``feature``.

    ``regions`` takes the building-code region as ``value`` (``DE`` or ``DE-BY``).
    """
    plan_name = entitlement_of(_tenant(store, tenant_id)).plan
    if _has(plan(plan_name), feature, value):
        return
    offering = [
        p for p in plan_catalogue().ordered() if p.rank > plan(plan_name).rank and _has(p, feature, value)
    ]
    raise FeatureNotInPlan(
        feature=feature if value is None else f"{feature}:{value}",
        plan=plan_name,
        next_plan=offering[0].name if offering else "none",
    )


def _has(entry: Plan, feature: str, value: str | None) -> bool:
    features = entry.features
    if feature == "regions":
        country = (value or "").split("-", 1)[0]
        return country in {r.value for r in features.regions}
    if feature not in ("ifc_export", "review_workflow", "priority_queue"):
        raise ValueError(f"unknown feature {feature!r}")
    return bool(getattr(features, feature))
