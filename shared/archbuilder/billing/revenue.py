"""Revenue in one currency for comparison: each plan's own prices say what a lira or a euro is.

Tenants pay in TRY, EUR or USD. To put revenue beside AI cost (billed to us in USD) or to add
currencies up, an amount is converted at the ratio of the plan's USD list price to its list
price in the amount's currency, for the same interval (``domain/plans.yaml``). A discount
stays a discount; no exchange-rate feed is needed, and the figures move only when prices do.
"""

from __future__ import annotations

from archbuilder.domain.plans import Currency, Interval, plan_catalogue


def usd_per_month(plan_name: str, currency: str | None, monthly_minor: float) -> float | None:
    """``monthly_minor`` (minor units per month of ``currency`` on ``plan_name``) in US dollars
    per month; None when the plan has no list price to convert with."""
    if monthly_minor == 0:
        return 0.0
    code = (currency or "").upper()
    if code not in Currency.__members__:
        return None
    if code == Currency.USD.value:
        return round(monthly_minor / 100, 2)
    entry = plan_catalogue().plans.get(plan_name)
    if entry is None:
        return None
    for interval in (Interval.month, Interval.year):
        prices = entry.prices.get(interval, {})
        local, usd = prices.get(Currency(code)), prices.get(Currency.USD)
        if local and usd:
            return round(monthly_minor * usd / local / 100, 2)
    return None
