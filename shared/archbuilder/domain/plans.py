"""Plans (free, professional, enterprise): rate limits, monthly quotas, features and prices,
read from ``plans.yaml``."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from archbuilder.domain.common import CodeRegion

_PLANS_FILE = Path(__file__).with_name("plans.yaml")


class Interval(StrEnum):
    month = "month"
    year = "year"


class Currency(StrEnum):
    TRY = "TRY"
    EUR = "EUR"
    USD = "USD"


class RateLimit(BaseModel):
    per_key_per_minute: int = Field(gt=0)
    per_tenant_per_minute: int = Field(gt=0)


class Quotas(BaseModel):
    """Limits per calendar month (UTC), except the per-file size, storage and seats; None = unlimited."""

    model_config = ConfigDict(extra="forbid")

    layouts: int | None = Field(default=None, ge=0)
    compliance_checks: int | None = Field(default=None, ge=0)
    cad_uploads: int | None = Field(default=None, ge=0)
    cad_file_mb: int | None = Field(default=None, ge=0)
    storage_mb: int | None = Field(default=None, ge=0)
    seats: int | None = Field(default=None, ge=0)
    ai_budget_usd_cents: int | None = Field(default=None, ge=0)


class Features(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ifc_export: bool = False
    review_workflow: bool = False
    priority_queue: bool = False
    regions: list[CodeRegion] = Field(default_factory=lambda: [CodeRegion.TR])


class Plan(BaseModel):
    name: str = ""
    rank: int = 0
    rate_limit: RateLimit
    quotas: Quotas = Field(default_factory=Quotas)
    features: Features = Field(default_factory=Features)
    # Minor units (kuruş, cents) per interval and currency.
    prices: dict[Interval, dict[Currency, int]] = Field(default_factory=dict)
    stripe_prices: dict[Interval, dict[Currency, str]] = Field(default_factory=dict)


class PlanCatalogue(BaseModel):
    plans: dict[str, Plan]

    @model_validator(mode="after")
    def _named_and_ranked(self) -> PlanCatalogue:
        if "free" not in self.plans:
            raise ValueError("plans.yaml must define the free plan")
        for name, entry in self.plans.items():
            entry.name = name
        ranks = [p.rank for p in self.plans.values()]
        if len(set(ranks)) != len(ranks):
            raise ValueError("two plans share a rank")
        price_ids = [
            pid for p in self.plans.values() for by in p.stripe_prices.values() for pid in by.values()
        ]
        if len(set(price_ids)) != len(price_ids):
            raise ValueError("a Stripe price id is listed twice")
        return self

    def ordered(self) -> list[Plan]:
        return sorted(self.plans.values(), key=lambda p: p.rank)


@lru_cache(maxsize=1)
def plan_catalogue() -> PlanCatalogue:
    """Every plan, validated once (a bad file fails at start)."""
    with _PLANS_FILE.open(encoding="utf-8") as fh:
        return PlanCatalogue.model_validate(yaml.safe_load(fh))


def plan(name: str) -> Plan:
    """The plan called ``name``; an unknown name gets the free plan's limits."""
    plans = plan_catalogue().plans
    return plans.get(name) or plans["free"]


def next_plan(name: str) -> Plan | None:
    """The plan one rank above ``name`` (what an upgrade gives), or None at the top."""
    current = plan(name)
    higher = [p for p in plan_catalogue().ordered() if p.rank > current.rank]
    return higher[0] if higher else None


def plan_for_price(price_id: str) -> Plan | None:
    """The plan whose Stripe prices include ``price_id``."""
    for entry in plan_catalogue().plans.values():
        for by_currency in entry.stripe_prices.values():
            if price_id in by_currency.values():
                return entry
    return None
