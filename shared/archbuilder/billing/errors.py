"""Errors the billing gates and endpoints raise (messages in ``platform/messages/errors.yaml``)."""

from __future__ import annotations

from archbuilder.platform.errors import ArchBuilderError


class PlanLimitReached(ArchBuilderError):
    """402: a quota of the tenant's plan is used up; details say what the next plan gives."""

    code = "PLAN_LIMIT_REACHED"
    status = 402


class FeatureNotInPlan(ArchBuilderError):
    code = "FEATURE_NOT_IN_PLAN"
    status = 403


class AccountReadOnly(ArchBuilderError):
    """402: payment failed and the grace period is over; reads still work."""

    code = "ACCOUNT_READ_ONLY"
    status = 402


class BillingNotConfigured(ArchBuilderError):
    code = "BILLING_NOT_CONFIGURED"
    status = 503


class StripeUnavailable(ArchBuilderError):
    """Stripe (or the network to it) failed; the caller may retry."""

    code = "STRIPE_UNAVAILABLE"
    status = 502
