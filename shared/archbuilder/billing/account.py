"""The tenant's side of billing: its subscription and usage, Checkout and the customer portal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from archbuilder.billing.access import require_billing_action
from archbuilder.billing.entitlement import entitlement_of
from archbuilder.billing.gateway import BillingGateway, fingerprint
from archbuilder.billing.quotas import QUOTAS, WARNING_RATIO, limit_of
from archbuilder.billing.settings import BillingSettings
from archbuilder.billing.subscription import PAID_STATUSES, SubscriptionSnapshot
from archbuilder.billing.usage_ledger import UsageTotals, period_of, read_totals, storage_path
from archbuilder.domain.common import StrictModel
from archbuilder.domain.plans import Currency, Features, Interval, next_plan, plan, plan_catalogue
from archbuilder.domain.timestamps import Timestamp, now
from archbuilder.platform.errors import ArchBuilderError, Conflict, NotFound
from archbuilder.ports import DocumentStore, Query, Transaction
from archbuilder.services.identity import Principal

_CURRENCY_OF_REGION = {"TR": Currency.TRY, "US": Currency.USD}


class QuotaUsage(BaseModel):
    quota: str
    used: int
    limit: int | None  # None: unlimited
    remaining: int | None
    percent: int | None
    warning: bool  # 80 % or more used


class SubscriptionView(BaseModel):
    plan: str
    status: str
    read_only: bool
    grace_ends_at: Timestamp | None = None
    interval: str | None = None
    currency: str | None = None
    amount: int = 0  # minor units per interval
    current_period_start: Timestamp | None = None
    current_period_end: Timestamp | None = None
    cancel_at_period_end: bool = False
    trial_end: Timestamp | None = None
    features: Features
    quotas: list[QuotaUsage]
    next_plan: str | None = None


class UsageQuery(StrictModel):
    period: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class UsageView(BaseModel):
    period: str
    quotas: list[QuotaUsage]
    totals: UsageTotals


class CheckoutRequest(StrictModel):
    plan: str = Field(min_length=1, max_length=40)
    interval: Interval = Interval.month
    currency: Currency | None = None  # default: from the tenant's region (TRY, USD) or EUR


class HostedPage(BaseModel):
    id: str
    url: str


def _tenant(store: DocumentStore, tenant_id: str) -> dict[str, Any]:
    found = store.get(f"tenants/{tenant_id}")
    if found is None:
        raise NotFound(resource="tenant", id=tenant_id)
    return found.data


def quota_usage(store: DocumentStore, tenant_id: str, plan_name: str, period: str) -> list[QuotaUsage]:
    """Every quota of the plan with what the tenant used of it in ``period``."""
    totals = read_totals(store, tenant_id, period)
    storage = store.get(storage_path(tenant_id))
    used = {
        "layouts": totals.layouts,
        "compliance_checks": totals.compliance_checks,
        "cad_uploads": totals.cad_uploads,
        "cad_file_mb": 0,
        "storage_mb": int((storage.data if storage else {}).get("storage_bytes", 0)) // (1024 * 1024),
        "seats": len(store.query(Query(collection=f"tenants/{tenant_id}/members"))),
        "ai_budget_usd_cents": round(totals.ai_spend_usd() * 100),
    }
    entry = plan(plan_name)
    rows = []
    for quota in QUOTAS:
        limit = limit_of(entry, quota)
        amount = used[quota]
        percent = round(amount * 100 / limit) if limit else (0 if limit == 0 and amount == 0 else None)
        rows.append(
            QuotaUsage(
                quota=quota,
                used=amount,
                limit=limit,
                remaining=max(0, limit - amount) if limit is not None else None,
                percent=percent,
                warning=quota != "cad_file_mb" and limit is not None and amount >= WARNING_RATIO * limit,
            )
        )
    return rows


def subscription_view(store: DocumentStore, principal: Principal) -> SubscriptionView:
    require_billing_action(principal, "billing:read")
    tenant = _tenant(store, principal.tenant_id)
    entitlement = entitlement_of(tenant)
    raw = tenant.get("subscription")
    snapshot = SubscriptionSnapshot.model_validate(raw) if raw else None
    upgrade = next_plan(entitlement.plan)
    return SubscriptionView(
        plan=entitlement.plan,
        status=entitlement.status,
        read_only=entitlement.read_only,
        grace_ends_at=entitlement.grace_ends_at,
        interval=snapshot.interval if snapshot else None,
        currency=snapshot.currency if snapshot else None,
        amount=snapshot.amount if snapshot else 0,
        current_period_start=snapshot.current_period_start if snapshot else None,
        current_period_end=snapshot.current_period_end if snapshot else None,
        cancel_at_period_end=entitlement.cancel_at_period_end,
        trial_end=snapshot.trial_end if snapshot else None,
        features=plan(entitlement.plan).features,
        quotas=quota_usage(store, principal.tenant_id, entitlement.plan, period_of(now())),
        next_plan=upgrade.name if upgrade else None,
    )


def usage_view(
    store: DocumentStore, principal: Principal, period: str | None, at: datetime | None = None
) -> UsageView:
    require_billing_action(principal, "usage:read")
    tenant = _tenant(store, principal.tenant_id)
    chosen = period or period_of(at or now())
    return UsageView(
        period=chosen,
        quotas=quota_usage(store, principal.tenant_id, entitlement_of(tenant).plan, chosen),
        totals=_shown(read_totals(store, principal.tenant_id, chosen)),
    )


def _shown(totals: UsageTotals) -> UsageTotals:
    """The totals as the tenant reads them: ``ai_cost_usd`` is the whole AI spend."""
    return totals.model_copy(update={"ai_cost_usd": totals.ai_spend_usd()})


def ensure_customer(store: DocumentStore, gateway: BillingGateway, tenant_id: str) -> str:
    """The tenant's Stripe customer id, creating the customer on first use."""
    tenant = _tenant(store, tenant_id)
    if tenant.get("stripe_customer_id"):
        return str(tenant["stripe_customer_id"])
    # One key per tenant: concurrent first calls get the same customer from Stripe.
    created = gateway.create_customer(
        tenant_id=tenant_id,
        name=str(tenant.get("name") or tenant_id),
        idempotency_key=f"customer-{tenant_id}",
    )

    def keep(txn: Transaction) -> str:
        current = txn.get(f"tenants/{tenant_id}")
        if current is None:
            raise NotFound(resource="tenant", id=tenant_id)
        if current.data.get("stripe_customer_id"):
            return str(current.data["stripe_customer_id"])
        txn.update(f"tenants/{tenant_id}", {"stripe_customer_id": created})
        return created

    return store.transaction(keep)


def start_checkout(
    store: DocumentStore,
    gateway: BillingGateway,
    settings: BillingSettings,
    principal: Principal,
    request: CheckoutRequest,
    *,
    idempotency_key: str | None = None,
) -> HostedPage:
    """A Checkout Session for ``request.plan``; the tenant is its client reference."""
    require_billing_action(principal, "billing:manage")
    tenant = _tenant(store, principal.tenant_id)
    region = str(tenant.get("code_region") or "").split("-", 1)[0]
    currency = request.currency or _CURRENCY_OF_REGION.get(region, settings.billing_default_currency)
    entry = plan_catalogue().plans.get(request.plan)
    price_id = entry.stripe_prices.get(request.interval, {}).get(currency) if entry else None
    if entry is None or price_id is None:
        raise ArchBuilderError(
            code="PLAN_NOT_PURCHASABLE",
            status=422,
            plan=request.plan,
            interval=request.interval.value,
            currency=currency.value,
        )
    raw = tenant.get("subscription")
    if raw and SubscriptionSnapshot.model_validate(raw).status in PAID_STATUSES:
        # Changing plan is the portal's job; a second subscription would bill twice.
        raise Conflict(code="SUBSCRIPTION_EXISTS", plan=entitlement_of(tenant).plan)
    customer_id = ensure_customer(store, gateway, principal.tenant_id)
    key_source = idempotency_key or fingerprint([now().isoformat(), principal.api_key_id])
    link = gateway.create_checkout_session(
        customer_id=customer_id,
        tenant_id=principal.tenant_id,
        price_id=price_id,
        success_url=settings.billing_success_url,
        cancel_url=settings.billing_cancel_url,
        idempotency_key="checkout-"
        + fingerprint([principal.tenant_id, request.model_dump(mode="json"), key_source]),
    )
    return HostedPage(id=link.id, url=link.url)


def open_portal(
    store: DocumentStore, gateway: BillingGateway, settings: BillingSettings, principal: Principal
) -> HostedPage:
    """A customer-portal session (change plan, payment method, invoices, cancel)."""
    require_billing_action(principal, "billing:manage")
    customer_id = _tenant(store, principal.tenant_id).get("stripe_customer_id")
    if not customer_id:
        raise Conflict(code="NO_BILLING_ACCOUNT")
    link = gateway.create_portal_session(
        customer_id=str(customer_id), return_url=settings.billing_portal_return_url
    )
    return HostedPage(id=link.id, url=link.url)
