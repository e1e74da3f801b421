"""The business view: revenue and its movements, trials, dunning, AI margin, quota use, tenants at
risk, generation success and review outcomes, for one month.

Read from what we already keep, never from Stripe: the subscription snapshot on each tenant and
its change history (``billing.subscription_changes``, written by the billing worker), the usage
counters (``billing.usage_ledger``, with the AI ledger's spend beside them), jobs, and review
decisions. ``billing.report.billing_report`` (MRR by plan and currency, tenants by status, usage
by plan) is part of it, as it is. ``GET /v1/admin/metrics``, ``/admin`` and ``archbuilder admin
report`` all show ``business_metrics(store)``.
"""

from __future__ import annotations

import calendar
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TextIO

from pydantic import BaseModel, Field

from archbuilder.billing.entitlement import entitlement_of
from archbuilder.billing.quotas import limit_of
from archbuilder.billing.report import BillingReport, billing_report, write_report
from archbuilder.billing.revenue import usd_per_month
from archbuilder.billing.subscription import SubscriptionSnapshot
from archbuilder.billing.subscription_changes import SubscriptionChange, changes_path
from archbuilder.billing.usage_ledger import counters_path, period_of
from archbuilder.domain.plans import plan
from archbuilder.domain.review_outcomes import review_outcome
from archbuilder.domain.timestamps import Timestamp, format_timestamp, now
from archbuilder.ports import DocumentStore, Filter, Query, Snapshot

# The quotas the business view compares usage with (monthly counters; storage and seats are
# standing amounts, shown to the tenant in GET /v1/billing/subscription).
MONTHLY_QUOTAS = ("layouts", "compliance_checks", "cad_uploads", "ai_budget_usd_cents")
# Usage counted for "usage falling": the units of work a tenant asks for.
_WORK = ("layouts", "compliance_checks", "cad_uploads")
FALLING_RATIO = 0.5  # this month (projected to a whole month) below half of last month's
FALLING_MINIMUM = 20  # … when last month had at least this many units of work
_MIN_ELAPSED_DAYS = 7  # a month's first days are projected as if a week had passed

RiskReason = Literal["payment_failing", "cancelling", "usage_falling", "quota_hit"]


class MovementLine(BaseModel):
    movement: Literal["new", "expansion", "contraction", "churn"]
    currency: str
    subscriptions: int
    mrr_delta: float  # major units per month: positive for new and expansion, negative else


class TrialFigures(BaseModel):
    started: int = 0
    converted: int = 0
    lost: int = 0  # ended without paying
    trialing_now: int = 0
    conversion_rate: float | None = None  # converted / (converted + lost), None with no ended trial


class PaymentFigures(BaseModel):
    failed: int = 0  # payments that failed this month
    recovered: int = 0  # failing subscriptions paid again this month
    failing_now: int = 0  # past due or unpaid today
    recovery_rate: float | None = None  # recovered / failed


class TenantMargin(BaseModel):
    tenant_id: str
    name: str
    plan: str
    currency: str | None = None
    mrr: float = 0.0  # major units of ``currency`` per month
    revenue_usd: float | None = None  # per month, at list-price ratios (billing/revenue.py)
    ai_cost_usd: float = 0.0  # this month
    margin_usd: float | None = None
    margin_ratio: float | None = None  # margin / revenue


class QuotaLine(BaseModel):
    quota: str
    limit: int | None  # per tenant; None: unlimited
    used: int  # all tenants of the plan together
    average_percent: float | None = None  # of the limit, over the plan's tenants
    max_percent: int | None = None
    tenants_over_80: int = 0
    tenants_at_limit: int = 0


class PlanQuotaUsage(BaseModel):
    plan: str
    tenants: int
    quotas: list[QuotaLine]


class TenantAtRisk(BaseModel):
    tenant_id: str
    name: str
    plan: str
    status: str
    reasons: list[RiskReason]
    work_this_month: int = 0
    work_last_month: int = 0
    quotas_hit: list[str] = Field(default_factory=list)
    grace_ends_at: Timestamp | None = None


class GenerationFigures(BaseModel):
    jobs: int = 0  # layout jobs created this month
    succeeded: int = 0
    failed: int = 0
    unfinished: int = 0  # queued or running
    success_rate: float | None = None  # succeeded / (succeeded + failed)
    failures_by_code: dict[str, int] = Field(default_factory=dict)


class ReviewFigures(BaseModel):
    decisions: int = 0
    approved: int = 0
    corrected: int = 0  # a reviewer changed the layout (a new version)
    rejected: int = 0
    revision_requested: int = 0


class BusinessMetrics(BaseModel):
    generated_at: Timestamp
    period: str
    previous_period: str
    billing: BillingReport  # MRR by plan and currency, tenants by status, usage by plan
    mrr_usd: float  # every currency at list-price ratios
    movements: list[MovementLine]
    net_new_mrr_usd: float
    trials: TrialFigures
    payments: PaymentFigures
    revenue_usd: float
    ai_cost_usd: float
    margin_usd: float
    margins: list[TenantMargin]  # lowest margin first
    quota_usage: list[PlanQuotaUsage]
    at_risk: list[TenantAtRisk]
    generation: GenerationFigures
    reviews: ReviewFigures


def business_metrics(
    store: DocumentStore, *, at: datetime | None = None, period: str | None = None
) -> BusinessMetrics:
    """The business view of ``period`` (default: the month of ``at``, now) as of ``at``."""
    moment = at or now()
    chosen = period or period_of(moment)
    start, end = _bounds(chosen)
    previous = period_of(start - timedelta(days=1))
    report = billing_report(store, at=moment, period=chosen)

    movements: dict[tuple[str, str], list[float]] = defaultdict(list)
    trials = TrialFigures()
    payments = PaymentFigures()
    margins: list[TenantMargin] = []
    quota_rows: dict[str, list[dict[str, int]]] = defaultdict(list)
    at_risk: list[TenantAtRisk] = []
    generation = GenerationFigures()
    failures: Counter[str] = Counter()
    reviews = ReviewFigures()
    mrr_usd = 0.0
    net_new_usd = 0.0

    for tenant in store.query(Query(collection="tenants")):
        entitlement = entitlement_of(tenant.data, moment)
        raw = tenant.data.get("subscription")
        snapshot = SubscriptionSnapshot.model_validate(raw) if raw else None
        if entitlement.status == "trialing":
            trials.trialing_now += 1
        if entitlement.status in ("past_due", "unpaid"):
            payments.failing_now += 1

        for change in _changes(store, tenant.id, start, end):
            if change.movement != "none":
                currency = change.after.currency or change.before.currency or "-"
                movements[(change.movement, currency)].append(_delta(change))
                net_new_usd += _usd_delta(change)
            trials.started += change.trial_started
            trials.converted += change.trial_converted
            trials.lost += change.trial_lost
            payments.failed += change.payment_failed
            payments.recovered += change.payment_recovered

        usage, ai_cost = _usage(store, tenant.id, chosen)
        last_usage, _ = _usage(store, tenant.id, previous)
        monthly = snapshot.monthly_amount if snapshot else 0.0
        revenue = usd_per_month(snapshot.plan, snapshot.currency, monthly) if snapshot else 0.0
        mrr_usd += revenue or 0.0
        if monthly or ai_cost:
            margin = round(revenue - ai_cost, 2) if revenue is not None else None
            margins.append(
                TenantMargin(
                    tenant_id=tenant.id,
                    name=str(tenant.data.get("name") or ""),
                    plan=entitlement.plan,
                    currency=snapshot.currency if snapshot else None,
                    mrr=round(monthly / 100, 2),
                    revenue_usd=revenue,
                    ai_cost_usd=round(ai_cost, 4),
                    margin_usd=margin,
                    margin_ratio=round(margin / revenue, 4) if margin is not None and revenue else None,
                )
            )
        quota_rows[entitlement.plan].append(usage)

        reasons: list[RiskReason] = []
        if entitlement.status in ("past_due", "unpaid"):
            reasons.append("payment_failing")
        elif entitlement.cancel_at_period_end:
            reasons.append("cancelling")
        work, last_work = sum(usage[k] for k in _WORK), sum(last_usage[k] for k in _WORK)
        if last_work >= FALLING_MINIMUM and _projected(work, chosen, moment) < FALLING_RATIO * last_work:
            reasons.append("usage_falling")
        hit = [q for q in MONTHLY_QUOTAS if _at_limit(entitlement.plan, q, usage[q], last_usage[q])]
        if hit:
            reasons.append("quota_hit")
        if reasons:
            at_risk.append(
                TenantAtRisk(
                    tenant_id=tenant.id,
                    name=str(tenant.data.get("name") or ""),
                    plan=entitlement.plan,
                    status=entitlement.status,
                    reasons=reasons,
                    work_this_month=work,
                    work_last_month=last_work,
                    quotas_hit=hit,
                    grace_ends_at=entitlement.grace_ends_at,
                )
            )

        _count_jobs(store, tenant.id, start, end, generation, failures)
        _count_reviews(store, tenant.id, start, end, reviews)

    trials.conversion_rate = _rate(trials.converted, trials.converted + trials.lost)
    payments.recovery_rate = _rate(payments.recovered, payments.failed)
    generation.success_rate = _rate(generation.succeeded, generation.succeeded + generation.failed)
    generation.failures_by_code = dict(failures.most_common())
    movement_lines = [
        MovementLine(
            movement=kind, currency=currency, subscriptions=len(deltas), mrr_delta=round(sum(deltas), 2)
        )
        for (kind, currency), deltas in sorted(movements.items(), key=lambda m: (_ORDER[m[0][0]], m[0][1]))
    ]
    revenue_usd = round(sum(m.revenue_usd or 0.0 for m in margins), 2)
    ai_cost_usd = round(sum(m.ai_cost_usd for m in margins), 4)
    return BusinessMetrics(
        generated_at=moment,
        period=chosen,
        previous_period=previous,
        billing=report,
        mrr_usd=round(mrr_usd, 2),
        movements=movement_lines,
        net_new_mrr_usd=round(net_new_usd, 2),
        trials=trials,
        payments=payments,
        revenue_usd=revenue_usd,
        ai_cost_usd=ai_cost_usd,
        margin_usd=round(revenue_usd - ai_cost_usd, 2),
        margins=sorted(
            margins, key=lambda m: (m.margin_usd if m.margin_usd is not None else 0.0, m.tenant_id)
        ),
        quota_usage=[_plan_quotas(name, rows) for name, rows in sorted(quota_rows.items(), key=_by_rank)],
        at_risk=sorted(at_risk, key=lambda t: (len(t.reasons) * -1, t.tenant_id)),
        generation=generation,
        reviews=reviews,
    )


_ORDER = {"new": 0, "expansion": 1, "contraction": 2, "churn": 3}


def _bounds(period: str) -> tuple[datetime, datetime]:
    year, month = (int(part) for part in period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, start + timedelta(days=calendar.monthrange(year, month)[1])


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _by_rank(item: tuple[str, Any]) -> tuple[int, str]:
    return plan(item[0]).rank, item[0]


def _changes(
    store: DocumentStore, tenant_id: str, start: datetime, end: datetime
) -> list[SubscriptionChange]:
    rows = store.query(
        Query(
            collection=changes_path(tenant_id),
            where=[Filter("at", ">=", format_timestamp(start)), Filter("at", "<", format_timestamp(end))],
            order_by=[("at", "asc")],
        )
    )
    return [SubscriptionChange.model_validate(row.data) for row in rows]


def _delta(change: SubscriptionChange) -> float:
    """The change's MRR movement in major units of the currency it is reported under."""
    before, after = change.before, change.after
    if change.movement == "new":
        return after.mrr / 100
    if change.movement == "churn":
        return -before.mrr / 100
    if before.currency == after.currency:
        return (after.mrr - before.mrr) / 100
    # A change of currency: reported in the new one, the old amount at list-price ratios.
    old = usd_per_month(before.plan, before.currency, before.mrr) or 0.0
    new = usd_per_month(after.plan, after.currency, after.mrr) or 0.0
    rate = after.mrr / 100 / new if new else 0.0
    return (new - old) * rate


def _usd_delta(change: SubscriptionChange) -> float:
    before, after = change.before, change.after
    old = usd_per_month(before.plan, before.currency, before.mrr) if before.paying else 0.0
    new = usd_per_month(after.plan, after.currency, after.mrr) if after.paying else 0.0
    return (new or 0.0) - (old or 0.0)


def _usage(store: DocumentStore, tenant_id: str, period: str) -> tuple[dict[str, int], float]:
    """The month's use of each monthly quota, and the AI spend in USD (both ledgers)."""
    found = store.get(counters_path(tenant_id, period))
    data: Mapping[str, Any] = found.data if found else {}
    ai_cost = float(data.get("ai_cost_usd") or 0.0) + int(data.get("ai_cost_micro_usd") or 0) / 1_000_000
    usage = {
        "layouts": int(data.get("layouts") or 0),
        "compliance_checks": int(data.get("compliance_checks") or 0),
        "cad_uploads": int(data.get("cad_uploads") or 0),
        "ai_budget_usd_cents": round(ai_cost * 100),
    }
    return usage, ai_cost


def _projected(work: int, period: str, moment: datetime) -> float:
    """This month's work as a whole month of it: the month so far, scaled, while it runs."""
    start, end = _bounds(period)
    if moment >= end or moment < start:
        return float(work)
    days = (end - start).days
    elapsed = max((moment - start).total_seconds() / 86400, _MIN_ELAPSED_DAYS)
    return work * days / elapsed


def _at_limit(plan_name: str, quota: str, used: int, used_before: int) -> bool:
    """Quota constantly hit: used up this month and last month too."""
    limit = limit_of(plan(plan_name), quota)
    return bool(limit) and used >= limit and used_before >= limit  # type: ignore[operator]


def _plan_quotas(plan_name: str, rows: list[dict[str, int]]) -> PlanQuotaUsage:
    entry = plan(plan_name)
    lines = []
    for quota in MONTHLY_QUOTAS:
        limit = limit_of(entry, quota)
        used = [row[quota] for row in rows]
        percents = [round(u * 100 / limit) for u in used] if limit else []
        lines.append(
            QuotaLine(
                quota=quota,
                limit=limit,
                used=sum(used),
                average_percent=round(sum(percents) / len(percents), 1) if percents else None,
                max_percent=max(percents) if percents else None,
                tenants_over_80=sum(p >= 80 for p in percents),
                tenants_at_limit=sum(p >= 100 for p in percents),
            )
        )
    return PlanQuotaUsage(plan=plan_name, tenants=len(rows), quotas=lines)


def _count_jobs(
    store: DocumentStore,
    tenant_id: str,
    start: datetime,
    end: datetime,
    figures: GenerationFigures,
    failures: Counter[str],
) -> None:
    rows = store.query(
        Query(
            collection=f"tenants/{tenant_id}/jobs",
            where=[
                Filter("created_at", ">=", format_timestamp(start)),
                Filter("created_at", "<", format_timestamp(end)),
            ],
        )
    )
    for row in rows:
        if row.data.get("kind") != "layout":
            continue
        figures.jobs += 1
        status = row.data.get("status")
        if status == "succeeded":
            figures.succeeded += 1
        elif status == "failed":
            figures.failed += 1
            failures[str((row.data.get("error") or {}).get("code") or "UNKNOWN")] += 1
        elif status in ("queued", "running"):
            figures.unfinished += 1


def _count_reviews(
    store: DocumentStore, tenant_id: str, start: datetime, end: datetime, figures: ReviewFigures
) -> None:
    since, until = format_timestamp(start), format_timestamp(end)
    # A decision updates its layout: only layouts touched since the month began can hold one.
    for project in store.query(Query(collection=f"tenants/{tenant_id}/projects")):
        touched: list[Snapshot] = store.query(
            Query(collection=f"{project.path}/layouts", where=[Filter("updated_at", ">=", since)])
        )
        for layout in touched:
            decisions = store.query(
                Query(
                    collection=f"{layout.path}/decisions",
                    where=[Filter("time", ">=", since), Filter("time", "<", until)],
                )
            )
            for decision in decisions:
                figures.decisions += 1
                outcome = review_outcome(decision.data.get("decision"), decision.data.get("new_version"))
                setattr(figures, outcome, getattr(figures, outcome) + 1)


def write_business_report(metrics: BusinessMetrics, out: TextIO, *, as_json: bool = False) -> None:
    """``archbuilder admin report``: the billing report's tables, then the business view's."""
    if as_json:
        out.write(json.dumps(metrics.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
        return
    write_report(metrics.billing, out)
    m = metrics
    lines = [
        "",
        f"MRR, all currencies at list-price ratios: ${m.mrr_usd:,.2f}"
        f"   net new this month: ${m.net_new_mrr_usd:,.2f}",
        "",
        "Subscription movements",
        f"  {'movement':<14}{'currency':<10}{'subs':>6}{'MRR change':>14}",
    ]
    lines += [
        f"  {line.movement:<14}{line.currency:<10}{line.subscriptions:>6}{line.mrr_delta:>+14,.2f}"
        for line in m.movements
    ] or ["  (none)"]
    t, p = m.trials, m.payments
    lines += [
        "",
        f"Trials: started {t.started}, converted {t.converted}, lost {t.lost}, trialing now {t.trialing_now}"
        f", conversion {_percent(t.conversion_rate)}",
        f"Payments: failed {p.failed}, recovered {p.recovered}, failing now {p.failing_now}"
        f", recovery {_percent(p.recovery_rate)}",
        "",
        f"Revenue ${m.revenue_usd:,.2f}  AI cost ${m.ai_cost_usd:,.2f}"
        f"  margin ${m.margin_usd:,.2f} (per month, USD)",
        f"  {'tenant':<24}{'plan':<14}{'MRR':>12}{'cur':>5}{'rev $':>10}{'AI $':>9}{'margin $':>10}",
    ]
    lines += [
        f"  {x.tenant_id:<24}{x.plan:<14}{x.mrr:>12,.2f}{x.currency or '-':>5}"
        f"{_money(x.revenue_usd):>10}{x.ai_cost_usd:>9.2f}{_money(x.margin_usd):>10}"
        for x in m.margins
    ] or ["  (none)"]
    lines += ["", "Usage against quota (per tenant limit; average and highest share used)"]
    for usage in m.quota_usage:
        lines.append(f"  {usage.plan} ({usage.tenants} tenants)")
        lines += [
            f"    {q.quota:<22}limit {('∞' if q.limit is None else q.limit)!s:<8}used {q.used:<8}"
            f"avg {_number(q.average_percent)}%  max {_number(q.max_percent)}%  ≥80 %: {q.tenants_over_80}"
            f"  at limit: {q.tenants_at_limit}"
            for q in usage.quotas
        ]
    lines += ["", "Tenants at risk"]
    lines += [
        f"  {r.tenant_id:<24}{r.plan:<14}{', '.join(r.reasons):<36}"
        f"work {r.work_last_month} → {r.work_this_month}"
        + (f"  quotas hit: {', '.join(r.quotas_hit)}" if r.quotas_hit else "")
        for r in m.at_risk
    ] or ["  (none)"]
    g, rv = m.generation, m.reviews
    lines += [
        "",
        f"Generation: {g.jobs} layout jobs, {g.succeeded} succeeded, {g.failed} failed,"
        f" {g.unfinished} unfinished"
        f", success {_percent(g.success_rate)}"
        + (
            f" (failures: {', '.join(f'{k} {v}' for k, v in g.failures_by_code.items())})"
            if g.failures_by_code
            else ""
        ),
        f"Reviews: {rv.decisions} decisions, approved {rv.approved}, corrected {rv.corrected},"
        f" rejected {rv.rejected}, revision requested {rv.revision_requested}",
    ]
    out.write("\n".join(lines) + "\n")


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f} %"


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
