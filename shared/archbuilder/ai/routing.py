"""The routing rules (``data/routing.yaml``): which chain and tier for a call, and plan limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from archbuilder.ai.breaker import BreakerPolicy

ROUTING = Path(__file__).with_name("data") / "routing.yaml"
TIERS = ("light", "standard", "heavy")


@dataclass(frozen=True)
class Measures:
    """How big a call is: the user's text, the programme, the constraints or findings."""

    text_chars: int = 0
    rooms: int = 0
    constraints: int = 0


@dataclass(frozen=True)
class PlanPolicy:
    monthly_budget_usd: float
    max_tier: str
    on_budget_exhausted: str  # "builtin" or "refuse"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 2
    backoff_s: float = 0.5
    max_wait_s: float = 3.0


@dataclass(frozen=True)
class Decision:
    chain: tuple[str, ...]
    tier: str
    complexity: str
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    when: dict[str, Any]
    chain: tuple[str, ...]
    tier: str

    def matches(self, task: str, language: str, complexity: str) -> bool:
        for key, wanted in self.when.items():
            value = {"task": task, "language": language, "complexity": complexity}[key]
            allowed = wanted if isinstance(wanted, list) else [wanted]
            if value not in allowed:
                return False
        return True


@dataclass(frozen=True)
class RoutingRules:
    version: str
    rules: tuple[Rule, ...]
    thresholds: dict[str, dict[str, int]]
    plans: dict[str, PlanPolicy]
    default_plan: str
    retry: RetryPolicy
    breaker: BreakerPolicy

    def complexity(self, measures: Measures) -> str:
        """The highest tier that any measure reaches."""
        level = 0
        for name, limits in self.thresholds.items():
            value = getattr(measures, name)
            for index, tier in enumerate(TIERS[1:], start=1):
                if value >= limits[tier]:
                    level = max(level, index)
        return TIERS[level]

    def decide(self, task: str, language: str, measures: Measures) -> Decision:
        complexity = self.complexity(measures)
        for index, rule in enumerate(self.rules):
            if rule.matches(task, language, complexity):
                reason = (
                    f"rule {index + 1} of routing {self.version} (task={task}, language={language}, "
                    f"complexity={complexity}): chain {' → '.join(rule.chain)}, tier {rule.tier}"
                )
                return Decision(chain=rule.chain, tier=rule.tier, complexity=complexity, reasons=[reason])
        return Decision(
            chain=(), tier="light", complexity=complexity, reasons=["no rule matched: built-in only"]
        )

    def plan(self, name: str | None) -> PlanPolicy:
        return self.plans.get(name or self.default_plan) or self.plans[self.default_plan]


def capped(tier: str, max_tier: str) -> str:
    return TIERS[min(TIERS.index(tier), TIERS.index(max_tier))]


@cache
def load_routing(path: Path = ROUTING) -> RoutingRules:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    rules = tuple(
        Rule(when=dict(r.get("when") or {}), chain=tuple(r["chain"]), tier=str(r["tier"]))
        for r in data["rules"]
    )
    for rule in rules:
        if rule.tier not in TIERS:
            raise ValueError(f"unknown tier {rule.tier} in {path}")
    plans = {
        name: PlanPolicy(
            monthly_budget_usd=float(p["monthly_budget_usd"]),
            max_tier=str(p["max_tier"]),
            on_budget_exhausted=str(p["on_budget_exhausted"]),
        )
        for name, p in data["plans"].items()
    }
    return RoutingRules(
        version=str(data["version"]),
        rules=rules,
        thresholds={k: {t: int(v) for t, v in limits.items()} for k, limits in data["complexity"].items()},
        plans=plans,
        default_plan=str(data["default_plan"]),
        retry=RetryPolicy(**data["retry"]),
        breaker=BreakerPolicy(**data["breaker"]),
    )
