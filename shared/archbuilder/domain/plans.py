"""Plans (free, professional, enterprise) and their limits, read from ``plans.yaml``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

_PLANS_FILE = Path(__file__).with_name("plans.yaml")


class RateLimit(BaseModel):
    per_key_per_minute: int = Field(gt=0)
    per_tenant_per_minute: int = Field(gt=0)


class Plan(BaseModel):
    rate_limit: RateLimit


class PlanCatalogue(BaseModel):
    plans: dict[str, Plan]


@lru_cache(maxsize=1)
def plan_catalogue() -> PlanCatalogue:
    """Every plan, validated once (a bad file fails at start)."""
    with _PLANS_FILE.open(encoding="utf-8") as fh:
        return PlanCatalogue.model_validate(yaml.safe_load(fh))


def plan(name: str) -> Plan:
    """The plan called ``name``; an unknown name gets the free plan's limits."""
    plans = plan_catalogue().plans
    return plans.get(name) or plans["free"]
