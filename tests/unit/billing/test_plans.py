"""The plans file: one catalogue for rate limits, quotas, features and prices."""

from __future__ import annotations

import stripe

from archbuilder.billing.settings import STRIPE_API_VERSION
from archbuilder.domain.plans import Currency, Interval, next_plan, plan, plan_catalogue, plan_for_price


def test_rate_limits_are_still_there_and_unknown_names_get_free() -> None:
    assert plan("professional").rate_limit.per_key_per_minute == 600
    assert plan("no-such-plan").name == "free"


def test_plans_rise_in_rank_and_quotas() -> None:
    ordered = plan_catalogue().ordered()
    assert [p.name for p in ordered] == ["free", "professional", "enterprise"]
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        for quota, limit in lower.quotas.model_dump().items():
            upper = getattr(higher.quotas, quota)
            assert upper is None or (limit is not None and upper >= limit), quota
    assert next_plan("free") is not None and next_plan("free").name == "professional"  # type: ignore[union-attr]
    assert next_plan("enterprise") is None


def test_every_paid_plan_has_a_price_in_every_currency_and_interval() -> None:
    for entry in plan_catalogue().ordered()[1:]:
        for interval in Interval:
            for currency in Currency:
                assert entry.prices[interval][currency] > 0
                price_id = entry.stripe_prices[interval][currency]
                assert plan_for_price(price_id) is entry


def test_the_pinned_api_version_is_the_sdks() -> None:
    # When this fails after an SDK upgrade, read the changelog, check the shapes in
    # billing/subscription.py, then move STRIPE_API_VERSION (and the webhook endpoint's version).
    assert stripe.api_version == STRIPE_API_VERSION
