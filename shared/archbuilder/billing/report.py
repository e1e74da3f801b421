"""``archbuilder admin billing-report``: revenue, subscribers, usage and churn signals."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import TextIO

from pydantic import BaseModel

from archbuilder.billing.entitlement import entitlement_of
from archbuilder.billing.subscription import SubscriptionSnapshot
from archbuilder.billing.usage_ledger import UsageTotals, period_of, read_totals
from archbuilder.domain.timestamps import Timestamp, now
from archbuilder.ports import DocumentStore, Query


class RevenueLine(BaseModel):
    plan: str
    currency: str
    subscriptions: int
    mrr: float  # major units (lira, euro, dollar) per month


class PlanUsage(BaseModel):
    plan: str
    tenants: int
    usage: UsageTotals


class AtRiskTenant(BaseModel):
    tenant_id: str
    name: str
    plan: str
    status: str
    reason: str  # past_due, unpaid, cancelling
    read_only: bool
    current_period_end: Timestamp | None = None
    grace_ends_at: Timestamp | None = None


class BillingReport(BaseModel):
    generated_at: Timestamp
    period: str
    tenants: int
    by_status: dict[str, int]
    active: int
    trialing: int
    mrr: list[RevenueLine]
    usage_by_plan: list[PlanUsage]
    at_risk: list[AtRiskTenant]


def billing_report(
    store: DocumentStore, *, at: datetime | None = None, period: str | None = None
) -> BillingReport:
    """Every tenant's entitlement and this period's usage, summed."""
    moment = at or now()
    chosen = period or period_of(moment)
    revenue: dict[tuple[str, str], list[float]] = defaultdict(list)
    statuses: dict[str, int] = defaultdict(int)
    usage: dict[str, PlanUsage] = {}
    at_risk: list[AtRiskTenant] = []
    tenants = store.query(Query(collection="tenants"))
    for row in tenants:
        entitlement = entitlement_of(row.data, moment)
        statuses[entitlement.status] += 1
        raw = row.data.get("subscription")
        snapshot = SubscriptionSnapshot.model_validate(raw) if raw else None
        if snapshot and snapshot.monthly_amount and snapshot.currency:
            revenue[(snapshot.plan, snapshot.currency)].append(snapshot.monthly_amount)
        totals = read_totals(store, row.id, chosen)
        line = usage.setdefault(
            entitlement.plan, PlanUsage(plan=entitlement.plan, tenants=0, usage=UsageTotals(period=chosen))
        )
        line.tenants += 1
        _add(line.usage, totals)
        reason = (
            entitlement.status
            if entitlement.status in ("past_due", "unpaid")
            else ("cancelling" if entitlement.cancel_at_period_end else None)
        )
        if reason:
            at_risk.append(
                AtRiskTenant(
                    tenant_id=row.id,
                    name=str(row.data.get("name") or ""),
                    plan=entitlement.plan,
                    status=entitlement.status,
                    reason=reason,
                    read_only=entitlement.read_only,
                    current_period_end=entitlement.current_period_end,
                    grace_ends_at=entitlement.grace_ends_at,
                )
            )
    return BillingReport(
        generated_at=moment,
        period=chosen,
        tenants=len(tenants),
        by_status=dict(sorted(statuses.items())),
        active=statuses.get("active", 0),
        trialing=statuses.get("trialing", 0),
        mrr=[
            RevenueLine(plan=p, currency=c, subscriptions=len(amounts), mrr=round(sum(amounts) / 100, 2))
            for (p, c), amounts in sorted(revenue.items())
        ],
        usage_by_plan=sorted(usage.values(), key=lambda u: u.plan),
        at_risk=sorted(at_risk, key=lambda t: (t.reason, t.tenant_id)),
    )


def _add(into: UsageTotals, more: UsageTotals) -> None:
    into.layouts += more.layouts
    into.compliance_checks += more.compliance_checks
    into.cad_uploads += more.cad_uploads
    into.cad_megabytes += more.cad_megabytes
    into.ai_tokens += more.ai_tokens
    into.ai_cost_usd = round(into.ai_cost_usd + more.ai_cost_usd, 6)
    into.records += more.records


def write_report(report: BillingReport, out: TextIO, *, as_json: bool = False) -> None:
    """The report as JSON or as plain-text tables (what the CLI prints)."""
    if as_json:
        out.write(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
        return
    lines = [
        f"Billing report {report.period} (generated {report.generated_at:%Y-%m-%d %H:%M} UTC)",
        f"Tenants: {report.tenants}  active: {report.active}  trialing: {report.trialing}",
        "By status: " + ", ".join(f"{k} {v}" for k, v in report.by_status.items()),
        "",
        "MRR by plan and currency",
        f"  {'plan':<14}{'currency':<10}{'subs':>6}{'MRR':>14}",
    ]
    lines += [f"  {r.plan:<14}{r.currency:<10}{r.subscriptions:>6}{r.mrr:>14,.2f}" for r in report.mrr] or [
        "  (none)"
    ]
    lines += [
        "",
        "Usage by plan",
        f"  {'plan':<14}{'tenants':>8}{'layouts':>9}{'checks':>8}{'uploads':>8}"
        f"{'CAD MB':>8}{'AI tokens':>11}{'AI $':>9}",
    ]
    lines += [
        f"  {u.plan:<14}{u.tenants:>8}{u.usage.layouts:>9}{u.usage.compliance_checks:>8}"
        f"{u.usage.cad_uploads:>8}{u.usage.cad_megabytes:>8}{u.usage.ai_tokens:>11}{u.usage.ai_cost_usd:>9.2f}"
        for u in report.usage_by_plan
    ] or ["  (none)"]
    lines += ["", "Past due or cancelling"]
    lines += [
        f"  {t.tenant_id:<22}{t.reason:<12}{t.plan:<14}"
        + (
            "read-only"
            if t.read_only
            else (f"grace until {t.grace_ends_at:%Y-%m-%d}" if t.grace_ends_at else "")
        )
        + (f" period ends {t.current_period_end:%Y-%m-%d}" if t.current_period_end else "")
        for t in report.at_risk
    ] or ["  (none)"]
    out.write("\n".join(lines) + "\n")
