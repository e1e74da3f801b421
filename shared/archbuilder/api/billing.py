"""``api_billing`` (plan, usage, Checkout and portal links) and ``stripe_webhook`` route tables."""

from __future__ import annotations

from pydantic import BaseModel

from archbuilder.api.common import new_api
from archbuilder.billing import account
from archbuilder.billing.account import CheckoutRequest, HostedPage, SubscriptionView, UsageQuery, UsageView
from archbuilder.billing.gateway import billing_for
from archbuilder.billing.webhook import receive_webhook
from archbuilder.platform.http import Api, Reply, RequestContext, read_body
from archbuilder.runtime import get_runtime

API = new_api("api_billing")


@API.route(
    "GET",
    "/v1/billing/subscription",
    summary="The tenant's plan, subscription status and period, and usage against its quotas",
    response=SubscriptionView,
    errors=(403,),
)
def get_subscription(ctx: RequestContext) -> SubscriptionView:
    return account.subscription_view(get_runtime().store, ctx.principal)


@API.route(
    "POST",
    "/v1/billing/checkout",
    summary="A Stripe Checkout page for a plan and interval (the tenant is its client reference)",
    body=CheckoutRequest,
    response=HostedPage,
    status=201,
    errors=(403, 409, 422),
)
def create_checkout(ctx: RequestContext) -> Reply:
    runtime = get_runtime()
    settings, gateway = billing_for(runtime)
    page = account.start_checkout(
        runtime.store, gateway, settings, ctx.principal, ctx.body, idempotency_key=ctx.idempotency_key
    )
    return Reply(body=page, status=201)


@API.route(
    "POST",
    "/v1/billing/portal",
    summary="A Stripe customer-portal page: change plan, payment method, invoices, cancel",
    response=HostedPage,
    status=201,
    errors=(403, 409),
)
def create_portal(ctx: RequestContext) -> Reply:
    runtime = get_runtime()
    settings, gateway = billing_for(runtime)
    return Reply(body=account.open_portal(runtime.store, gateway, settings, ctx.principal), status=201)


@API.route(
    "GET",
    "/v1/usage",
    summary="Usage in a period (default: this month) against the plan's quotas",
    query=UsageQuery,
    response=UsageView,
    errors=(403, 422),
)
def get_usage(ctx: RequestContext) -> UsageView:
    return account.usage_view(get_runtime().store, ctx.principal, ctx.query.period)


class WebhookAck(BaseModel):
    received: bool
    duplicate: bool


# Stripe calls this one: no API key, the signature is the credential.
WEBHOOK_API = Api(
    "stripe_webhook",
    default_language=lambda: get_runtime().settings.default_language,
    max_body_bytes=lambda: get_runtime().settings.max_body_bytes,
)


@WEBHOOK_API.route(
    "POST",
    "/v1/billing/webhook",
    summary="Stripe webhook endpoint (Stripe-Signature verified on the raw body)",
    response=WebhookAck,
    auth=False,
    errors=(400, 413),
)
def stripe_webhook(ctx: RequestContext) -> WebhookAck:
    runtime = get_runtime()
    payload = read_body(ctx.request, runtime.settings.max_body_bytes)
    settings, _ = billing_for(runtime)
    receipt = receive_webhook(
        runtime.store, runtime.bus, settings, payload, ctx.request.headers.get("Stripe-Signature")
    )
    return WebhookAck(received=True, duplicate=receipt.duplicate)
