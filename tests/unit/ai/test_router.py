"""The router with real SDK providers against fake servers: fallback, one retry layer,
breakers on an injected clock, cost in the ledger, the cache, and budgets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore
from archbuilder.ai.breaker import BreakerState
from archbuilder.ai.brief_drafts import PromptBriefInvalid
from archbuilder.ai.builtin_provider import BuiltinProvider
from archbuilder.ai.gemini_provider import GeminiProvider
from archbuilder.ai.language_model import LanguageModel
from archbuilder.ai.ledger import UsageLedger
from archbuilder.ai.openai_provider import OpenAIProvider
from archbuilder.ai.outputs import BriefDraft
from archbuilder.ai.pricing import load_prices
from archbuilder.ai.prompts import load_prompt
from archbuilder.ai.response_cache import ResponseCache
from archbuilder.ai.router import Call, Router
from archbuilder.ai.routing import Measures, load_routing
from archbuilder.ai.settings import AiSettings
from archbuilder.ai.tasks import parse_brief
from archbuilder.platform.errors import ArchBuilderError
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from tests.unit.ai.conftest import ai_settings
from tests.unit.ai.fake_servers import BRIEF_3_1, Behaviour, FakeOpenAI, FakeVertex

TENANT = "tnt_demo"
MOMENT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteDocumentStore]:
    yield SqliteDocumentStore(tmp_path / "documents.sqlite3")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_router(
    store: SqliteDocumentStore,
    clock: FakeClock,
    sleeps: list[float],
    settings: AiSettings,
    *,
    providers: dict[str, LanguageModel] | None = None,
) -> Router:
    if providers is None:
        providers = {"builtin": BuiltinProvider()}
        if settings.openai_base_url:
            providers["openai"] = OpenAIProvider(settings, lambda: "sk-test")
        if settings.vertex_project:
            providers["gemini"] = GeminiProvider(settings)
    return Router(
        providers,
        rules=load_routing(),
        prices=load_prices(),
        settings=settings,
        cache=ResponseCache(store, settings.cache_ttl_s),
        ledger=UsageLedger(store),
        clock=clock,
        sleep=sleeps.append,
        now=lambda: MOMENT,
    )


def brief_call(
    text: str = "3+1 daire, 110 m², mutfak salona açık", plan: str | None = "pro"
) -> Call[BriefDraft]:
    prompt = load_prompt("parse_brief").render(text=text, language="tr", region="TR")
    return Call(
        task="parse_brief",
        prompt=prompt,
        data={"text": text, "language": "tr", "region": "TR"},
        output=BriefDraft,
        language="tr",
        tenant_id=TENANT,
        plan=plan,
        measures=Measures(text_chars=len(text)),
    )


def ledger_rows(store: SqliteDocumentStore) -> list[dict[str, object]]:
    return [s.data for s in store.query(Query(collection=f"tenants/{TENANT}/usage_ledger"))]


def test_gemini_first_for_turkish_with_cost_in_the_ledger(
    store: SqliteDocumentStore,
    clock: FakeClock,
    sleeps: list[float],
    fake_openai: FakeOpenAI,
    fake_vertex: FakeVertex,
) -> None:
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, fake_vertex.url))
    outcome = router.run(brief_call())
    assert (outcome.provider, outcome.model) == ("gemini", "gemini-2.5-flash-lite")
    assert any("rule" in r and "language=tr" in r for r in outcome.reasons)
    # 800 uncached + 100 cached input, 290 output (thoughts included), at the flash-lite price.
    expected = (800 * 0.10 + 100 * 0.01 + 290 * 0.40) / 1_000_000
    assert outcome.cost.usd == pytest.approx(expected)
    rows = ledger_rows(store)
    assert len(rows) == 1
    row = rows[0]
    assert row["kind"] == "ai" and row["provider"] == "gemini" and row["model"] == "gemini-2.5-flash-lite"
    assert row["tokens"] == {"input": 900, "output": 290, "cached": 100, "reasoning": 40}
    assert row["prompt_version"] == "parse_brief.v2" and row["price_version"] == load_prices().version
    assert row["cost_micro_usd"] == round(expected * 1_000_000)
    assert isinstance(row["latency_ms"], int)
    assert UsageLedger(store).spent_usd(TENANT, MOMENT) == pytest.approx(row["cost_micro_usd"] / 1e6)  # type: ignore[operator]
    assert not fake_openai.requests


def test_the_same_call_recorded_twice_is_one_ledger_record(store: SqliteDocumentStore) -> None:
    from archbuilder.ai.ledger import LedgerRecord, ledger_id

    record = LedgerRecord(
        id=ledger_id("openai", "resp_1"), tenant_id=TENANT, provider="openai", model="gpt-4.1-mini",
        task="parse_brief", prompt_version="parse_brief.v1", input_tokens=10, output_tokens=5, cached_tokens=0,
        reasoning_tokens=0, cost_micro_usd=12, price_version="x", latency_ms=3, created_at=MOMENT,
    )  # fmt: skip
    ledger = UsageLedger(store)
    assert ledger.record(record) is True
    assert ledger.record(record) is False
    assert len(ledger_rows(store)) == 1 and ledger.spent_usd(TENANT, MOMENT) == pytest.approx(12e-6)


def test_identical_requests_are_served_from_the_cache(
    store: SqliteDocumentStore, clock: FakeClock, sleeps: list[float], fake_openai: FakeOpenAI
) -> None:
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url))
    first = router.run(brief_call("3+1 daire, 110 m²"))
    again = router.run(brief_call("  3+1   DAIRE, 110 m² "))  # the same after normalising
    assert first.provider == again.provider == "openai"
    assert again.cached and again.cost.usd == 0 and again.output == first.output
    assert len(fake_openai.requests) == 1 and len(ledger_rows(store)) == 1
    assert len(store.query(Query(collection="ai_cache"))) == 1


def test_rate_limit_is_retried_once_after_retry_after(
    store: SqliteDocumentStore, clock: FakeClock, sleeps: list[float], fake_vertex: FakeVertex
) -> None:
    fake_vertex.then(Behaviour(kind="status", status=429, headers={"Retry-After": "1"}))
    router = make_router(store, clock, sleeps, ai_settings(vertex_url=fake_vertex.url))
    outcome = router.run(brief_call())
    assert outcome.provider == "gemini"
    assert sleeps == [1.0] and len(fake_vertex.requests) == 2


def test_a_long_retry_after_falls_back_at_once(
    store: SqliteDocumentStore,
    clock: FakeClock,
    sleeps: list[float],
    fake_openai: FakeOpenAI,
    fake_vertex: FakeVertex,
) -> None:
    fake_vertex.then(Behaviour(kind="status", status=429, headers={"Retry-After": "30"}))
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, fake_vertex.url))
    outcome = router.run(brief_call())
    assert outcome.provider == "openai" and sleeps == []
    assert [a.result for a in outcome.attempts] == ["AI_RATE_LIMITED", "ok"]


@pytest.mark.parametrize("kind", ["malformed", "refusal", "incomplete", "slow"])
def test_each_injected_failure_falls_back_and_is_never_passed_on(
    kind: str,
    store: SqliteDocumentStore,
    clock: FakeClock,
    sleeps: list[float],
    fake_openai: FakeOpenAI,
    fake_vertex: FakeVertex,
) -> None:
    behaviour = Behaviour(kind=kind, delay_s=1.0 if kind == "slow" else 0.0)
    fake_vertex.then(behaviour, behaviour)
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, fake_vertex.url))
    outcome = router.run(brief_call())
    assert outcome.provider == "openai"
    assert {r.type.value: r.count for r in outcome.output.rooms}["bedroom"] == 3
    # A call that got no answer is not billed; an unusable answer is, by Gemini, so it is recorded.
    billed = ["openai"] if kind == "slow" else ["gemini", "openai"]
    assert sorted(str(r["provider"]) for r in ledger_rows(store)) == billed


def test_every_provider_down_still_answers_with_the_builtin(
    store: SqliteDocumentStore,
    clock: FakeClock,
    sleeps: list[float],
    fake_openai: FakeOpenAI,
    fake_vertex: FakeVertex,
) -> None:
    fake_openai.default = Behaviour(kind="status", status=500)
    fake_vertex.default = Behaviour(kind="status", status=503)
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, fake_vertex.url))
    outcome = router.run(brief_call())
    assert outcome.provider == "builtin" and outcome.cost.usd == 0
    assert {r.type.value: r.count for r in outcome.output.rooms}["bedroom"] == 3
    assert ledger_rows(store) == []


def test_provider_down_for_a_minute_opens_the_breaker_then_recovers(
    store: SqliteDocumentStore,
    clock: FakeClock,
    sleeps: list[float],
    fake_openai: FakeOpenAI,
    fake_vertex: FakeVertex,
) -> None:
    fake_vertex.default = Behaviour(kind="status", status=503)
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, fake_vertex.url, cache_ttl_s=0))
    breaker = router.breakers["gemini"]
    # Two attempts (one retry) per call; the third failure in a row opens the breaker.
    first = router.run(brief_call())
    assert first.provider == "openai" and breaker.state is BreakerState.closed
    router.run(brief_call())
    assert breaker.state is BreakerState.open
    calls_while_down = len(fake_vertex.requests)
    clock.advance(30)
    skipped = router.run(brief_call())
    assert skipped.provider == "openai" and len(fake_vertex.requests) == calls_while_down
    assert any("breaker open" in a.result for a in skipped.attempts)
    # After open_s the breaker lets one trial call through; Gemini is back, so it closes.
    fake_vertex.default = Behaviour()
    clock.advance(31)
    assert breaker.state is BreakerState.half_open
    recovered = router.run(brief_call())
    assert recovered.provider == "gemini" and breaker.state is BreakerState.closed


def test_a_failed_half_open_trial_opens_the_breaker_again(
    store: SqliteDocumentStore,
    clock: FakeClock,
    sleeps: list[float],
    fake_openai: FakeOpenAI,
    fake_vertex: FakeVertex,
) -> None:
    fake_vertex.default = Behaviour(kind="status", status=500)
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, fake_vertex.url, cache_ttl_s=0))
    router.run(brief_call())
    router.run(brief_call())
    clock.advance(61)
    before = len(fake_vertex.requests)
    router.run(brief_call())
    assert len(fake_vertex.requests) == before + 1  # one trial, no retry while half-open
    assert router.breakers["gemini"].state is BreakerState.open


def test_spent_budget_answers_with_the_builtin_and_calls_no_provider(
    store: SqliteDocumentStore, clock: FakeClock, sleeps: list[float], fake_openai: FakeOpenAI
) -> None:
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, monthly_budget_usd=0.0))
    outcome = router.run(brief_call())
    assert outcome.provider == "builtin" and not fake_openai.requests
    assert any("budget" in r for r in outcome.reasons)


def test_a_call_that_would_exceed_the_remaining_budget_is_not_made(
    store: SqliteDocumentStore, clock: FakeClock, sleeps: list[float], fake_openai: FakeOpenAI
) -> None:
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, monthly_budget_usd=0.0001))
    outcome = router.run(brief_call())
    assert outcome.provider == "builtin" and not fake_openai.requests
    assert [a.result.split(" ")[1] for a in outcome.attempts[:2]] == ["not", "estimate"]


def test_a_plan_that_refuses_when_spent(
    store: SqliteDocumentStore, clock: FakeClock, sleeps: list[float], fake_openai: FakeOpenAI
) -> None:
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, monthly_budget_usd=0.0))
    with pytest.raises(ArchBuilderError) as caught:
        router.run(brief_call(plan="enterprise"))
    assert caught.value.code == "AI_BUDGET_EXHAUSTED" and caught.value.status == 429


def test_plan_caps_the_tier_and_heavy_work_goes_to_the_big_model(
    store: SqliteDocumentStore, clock: FakeClock, sleeps: list[float], fake_openai: FakeOpenAI
) -> None:
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url))
    long_text = "3+1 daire, 110 m². " + "Salon geniş ve aydınlık olmalı. " * 90
    heavy = router.run(brief_call(long_text, plan="pro"))
    assert heavy.model.startswith("gpt-4.1-") and fake_openai.requests[-1]["json"]["model"] == "gpt-4.1"
    free = router.run(brief_call(long_text + " ", plan="free"))
    assert fake_openai.requests[-1]["json"]["model"] == "gpt-4.1-mini"
    assert any("capped to light by plan free" in r for r in free.reasons)


def test_an_answer_that_is_not_a_valid_brief_falls_back(
    store: SqliteDocumentStore,
    clock: FakeClock,
    sleeps: list[float],
    fake_openai: FakeOpenAI,
    fake_vertex: FakeVertex,
) -> None:
    from archbuilder.ai.language_model import OutputInvalid

    fake_vertex.output = {**BRIEF_3_1, "rooms": []}

    def check(draft: BriefDraft) -> None:
        if not draft.rooms:
            raise OutputInvalid(reason="no rooms")

    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, fake_vertex.url))
    call = brief_call()
    outcome = router.run(Call(**{**call.__dict__, "check": check}))
    assert outcome.provider == "openai"
    assert outcome.attempts[0].result == "AI_OUTPUT_INVALID"


def test_switched_off_uses_only_the_builtin(
    store: SqliteDocumentStore, clock: FakeClock, sleeps: list[float]
) -> None:
    router = make_router(store, clock, sleeps, ai_settings(enabled=False))
    assert router.run(brief_call()).provider == "builtin"


def test_an_impossible_text_ends_a_half_open_trial_without_blaming_the_provider(
    store: SqliteDocumentStore,
    clock: FakeClock,
    sleeps: list[float],
    fake_openai: FakeOpenAI,
    fake_vertex: FakeVertex,
    runtime: Runtime,
) -> None:
    """Gemini's trial call reads "1000000 m²" as written: the caller's error (422). The trial
    is over and Gemini answered, so its breaker closes (once it stayed half-open with no trial
    left, and Gemini was skipped for good)."""
    fake_vertex.default = Behaviour(kind="status", status=500)
    router = make_router(store, clock, sleeps, ai_settings(fake_openai.url, fake_vertex.url, cache_ttl_s=0))
    router.run(brief_call())
    router.run(brief_call())
    clock.advance(61)
    assert router.breakers["gemini"].state is BreakerState.half_open
    fake_vertex.default = Behaviour(output={**BRIEF_3_1, "total_area_m2": 1000000})
    with pytest.raises(PromptBriefInvalid):
        parse_brief(
            "10000 yatak odası, 1000000 m2", "tr", "TR", tenant_id=TENANT, runtime=runtime, router=router
        )
    assert router.breakers["gemini"].state is BreakerState.closed
    fake_vertex.default = Behaviour()
    assert router.run(brief_call()).provider == "gemini"
