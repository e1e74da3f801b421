"""One router in front of every provider: choose, check the budget, call, fall back, record.

For each call the router picks a chain of providers and a model tier from the routing
rules (task, language, complexity), caps the tier by the tenant's plan, checks the
month's AI budget before calling, serves identical requests from the cache, skips
providers whose breaker is open, and falls back along the chain to the built-in
provider. It is the only retry layer: the SDK clients are built with retries off.
Every paid call is written to the usage ledger; every choice is recorded as a reason.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from archbuilder.ai.breaker import CircuitBreaker
from archbuilder.ai.language_model import (
    Completion,
    LanguageModel,
    ModelRequest,
    OutputInvalid,
    ProviderError,
    ProviderUnavailable,
    RenderedPrompt,
    TokenUsage,
)
from archbuilder.ai.ledger import LedgerRecord, UsageLedger, ledger_id
from archbuilder.ai.pricing import Cost, PriceTable
from archbuilder.ai.response_cache import ResponseCache, cache_key
from archbuilder.ai.routing import Measures, RoutingRules, capped
from archbuilder.ai.settings import AiSettings
from archbuilder.domain.timestamps import now as utc_now
from archbuilder.platform.errors import ArchBuilderError
from archbuilder.platform.logging import get_logger, log_fields

M = TypeVar("M", bound=BaseModel)
BUILTIN = "builtin"
_log = get_logger("archbuilder.ai")


@dataclass(frozen=True)
class Call(Generic[M]):
    """One task to answer. ``check`` validates an output beyond its schema: ``OutputInvalid``
    for an answer at fault, a client error (a 4xx ``ArchBuilderError``) for an input at fault."""

    task: str
    prompt: RenderedPrompt
    data: dict[str, Any]
    output: type[M]
    language: str
    tenant_id: str
    plan: str | None = None
    measures: Measures = field(default_factory=Measures)
    check: Callable[[M], None] | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class Attempt:
    provider: str
    model: str
    result: str  # "ok", "cache_hit", an error code, or "skipped: <why>"


@dataclass(frozen=True)
class Outcome(Generic[M]):
    output: M
    provider: str
    model: str
    prompt_version: str
    usage: TokenUsage
    cost: Cost
    latency_ms: int
    cached: bool
    reasons: list[str]
    attempts: list[Attempt]
    ledger_id: str | None = None


class Router:
    def __init__(
        self,
        providers: Mapping[str, LanguageModel],
        *,
        rules: RoutingRules,
        prices: PriceTable,
        settings: AiSettings,
        cache: ResponseCache | None = None,
        ledger: UsageLedger | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.providers = dict(providers)
        self.rules = rules
        self.prices = prices
        self.settings = settings
        self._cache = cache
        self._ledger = ledger
        self._sleep = sleep
        self._now = now
        self._lock = threading.Lock()
        self.breakers = {name: CircuitBreaker(name, rules.breaker, clock) for name in self.providers}

    def run(self, call: Call[M]) -> Outcome[M]:
        """The first valid answer along the chain; the built-in provider always ends it."""
        decision = self.rules.decide(call.task, call.language, call.measures)
        reasons = list(decision.reasons)
        plan = self.rules.plan(call.plan)
        tier = capped(decision.tier, plan.max_tier)
        if tier != decision.tier:
            reasons.append(
                f"tier {decision.tier} capped to {tier} by plan {call.plan or self.rules.default_plan}"
            )
        chain = list(decision.chain) if self.settings.enabled else []
        if not self.settings.enabled:
            reasons.append("AI providers switched off in settings")
        remaining = self._remaining_budget(call, plan.monthly_budget_usd)
        if chain and remaining <= 0:
            if plan.on_budget_exhausted == "refuse":
                raise ArchBuilderError(
                    code="AI_BUDGET_EXHAUSTED", status=429, budget_usd=plan.monthly_budget_usd
                )
            reasons.append("monthly AI budget spent: built-in provider only")
            chain = []
        attempts: list[Attempt] = []
        for name in [*dict.fromkeys(chain), BUILTIN]:
            provider = self.providers.get(name)
            model = self.settings.model_for(name, tier)
            if provider is None:
                attempts.append(Attempt(name, model, "skipped: not configured"))
                continue
            outcome = self._try(name, provider, model, call, remaining, reasons, attempts)
            if outcome is not None:
                return outcome
        raise ProviderUnavailable(code="AI_PROVIDERS_UNAVAILABLE", task=call.task)

    def _remaining_budget(self, call: Call[Any], plan_budget: float) -> float:
        budget = (
            self.settings.monthly_budget_usd if self.settings.monthly_budget_usd is not None else plan_budget
        )
        spent = self._ledger.spent_usd(call.tenant_id, self._now()) if self._ledger else 0.0
        return budget - spent

    def _try(
        self,
        name: str,
        provider: LanguageModel,
        model: str,
        call: Call[M],
        remaining: float,
        reasons: list[str],
        attempts: list[Attempt],
    ) -> Outcome[M] | None:
        request = ModelRequest(
            task=call.task,
            model=model,
            prompt=call.prompt,
            data=call.data,
            language=call.language,
            max_output_tokens=self.settings.max_output_tokens,
        )
        paid = name != BUILTIN
        key = None
        if paid:
            chars = len(call.prompt.system) + len(call.prompt.user)
            estimate = self.prices.estimate(model, chars, request.max_output_tokens)
            if estimate > remaining:
                attempts.append(Attempt(name, model, f"skipped: estimate {estimate:.4f} USD > budget left"))
                return None
            key = cache_key(
                tenant_id=call.tenant_id,
                task=call.task,
                prompt_version=call.prompt.version,
                provider=name,
                model=model,
                data=call.data,
            )
            hit = self._cached(key, call)
            if hit is not None:
                attempts.append(Attempt(name, model, "cache_hit"))
                reasons.append(f"{name} {model}: served from the cache")
                return Outcome(
                    output=hit,
                    provider=name,
                    model=model,
                    prompt_version=call.prompt.version,
                    usage=TokenUsage(),
                    cost=Cost(usd=0.0, price_version=self.prices.version),
                    latency_ms=0,
                    cached=True,
                    reasons=reasons,
                    attempts=attempts,
                )
            breaker = self.breakers[name]
            if not breaker.allow():
                attempts.append(
                    Attempt(name, model, f"skipped: breaker open ({breaker.retry_in_s():.0f} s left)")
                )
                reasons.append(f"{name} skipped: circuit breaker open")
                return None
        started = time.perf_counter()
        try:
            completion = self._complete(name, provider, request, call)
        except ProviderError as exc:
            attempts.append(Attempt(name, model, exc.code))
            reasons.append(f"{name} {model} failed ({exc.code}): falling back")
            _log.warning("ai provider failed", extra=log_fields(provider=name, model=model, code=exc.code))
            return None
        latency_ms = round((time.perf_counter() - started) * 1000)
        cost = self.prices.cost(completion.model if paid else model, completion.usage)
        attempts.append(Attempt(name, model, "ok"))
        reasons.append(f"answered by {name} {completion.model}")
        record_id = None
        if paid:
            record_id = self._record(name, completion, call, cost, latency_ms)
            if key is not None and self._cache is not None:
                self._cache.put(
                    key,
                    {
                        "tenant_id": call.tenant_id,
                        "task": call.task,
                        "provider": name,
                        "model": completion.model,
                        "prompt_version": call.prompt.version,
                        "output": completion.output.model_dump(mode="json"),
                    },
                    self._now(),
                )
        return Outcome(
            output=completion.output,
            provider=name,
            model=completion.model,
            prompt_version=call.prompt.version,
            usage=completion.usage,
            cost=cost,
            latency_ms=latency_ms,
            cached=False,
            reasons=reasons,
            attempts=attempts,
            ledger_id=record_id,
        )

    def _complete(
        self, name: str, provider: LanguageModel, request: ModelRequest, call: Call[M]
    ) -> Completion[M]:
        """The provider's answer, retried on retryable failures (the only retry layer)."""
        policy = self.rules.retry
        breaker = self.breakers.get(name)
        for attempt in range(1, policy.max_attempts + 1):
            answer: Completion[M] | None = None
            try:
                answer = provider.complete(request, call.output)
                if call.check is not None:
                    call.check(answer.output)
                completion = answer
            except ProviderError as exc:
                if breaker is not None and exc.counts_against_health:
                    breaker.record_failure()
                if answer is not None and exc.charged is None:  # our own check refused it
                    exc.answered(model=answer.model, usage=answer.usage, response_id=answer.response_id)
                if exc.charged is not None and name != BUILTIN:
                    # An unusable answer is still billed: the ledger (budgets, margins) has it.
                    charged = exc.charged
                    cost = self.prices.cost(charged.model, charged.usage)
                    self._ledger_record(
                        name, charged.model, charged.usage, charged.response_id, call, cost, 0
                    )
                wait = (
                    exc.retry_after_s
                    if exc.retry_after_s is not None
                    else policy.backoff_s * 2 ** (attempt - 1)
                )
                last = attempt == policy.max_attempts
                if not exc.retryable or last or wait > policy.max_wait_s or (breaker and not breaker.allow()):
                    raise
                self._sleep(wait)
                continue
            except ArchBuilderError as exc:
                # Not a ProviderError: the provider answered, and the answer shows the call's
                # input at fault (a brief text that asks for an impossible programme: 422). The
                # caller's error: no retry, no fallback, and the breaker counts an answer (a
                # half-open breaker's trial ends here too).
                if breaker is not None and exc.status < 500:
                    breaker.record_success()
                if answer is not None and name != BUILTIN:  # answered, so billed
                    cost = self.prices.cost(answer.model, answer.usage)
                    self._ledger_record(name, answer.model, answer.usage, answer.response_id, call, cost, 0)
                raise
            if breaker is not None:
                breaker.record_success()
            return completion
        raise AssertionError("unreachable: the loop returns or raises")

    def _cached(self, key: str, call: Call[M]) -> M | None:
        if self._cache is None:
            return None
        entry = self._cache.get(key, self._now())
        if entry is None:
            return None
        try:
            output = call.output.model_validate(entry["output"])
            if call.check is not None:
                call.check(output)
        except (ValidationError, OutputInvalid):
            return None  # a cached answer that no longer validates is a miss
        return output

    def _record(
        self, name: str, completion: Completion[Any], call: Call[Any], cost: Cost, latency_ms: int
    ) -> str | None:
        return self._ledger_record(
            name, completion.model, completion.usage, completion.response_id, call, cost, latency_ms
        )

    def _ledger_record(
        self,
        name: str,
        model: str,
        usage: TokenUsage,
        response_id: str | None,
        call: Call[Any],
        cost: Cost,
        latency_ms: int,
    ) -> str | None:
        if self._ledger is None:
            return None
        record = LedgerRecord(
            id=ledger_id(name, response_id or uuid.uuid4().hex),
            tenant_id=call.tenant_id,
            provider=name,
            model=model,
            task=call.task,
            prompt_version=call.prompt.version,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_tokens=usage.cached_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost_micro_usd=cost.micro_usd,
            price_version=cost.price_version,
            latency_ms=latency_ms,
            created_at=self._now(),
            correlation_id=call.correlation_id,
        )
        self._ledger.record(record)
        return record.id
