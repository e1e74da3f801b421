"""The AI provider timing out or answering garbage, seen through `POST /v1/briefs:parse`.

The real OpenAI SDK talks to the fake Responses API of the AI unit tests (loopback). Every
request still gets a brief (the built-in reader answers), the circuit breaker opens after three
failures so that the provider is no longer called, and the cost ledger holds exactly what the
provider charged for: one record per answer it sent with a usage block, none for a timeout.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from archbuilder.ai.settings import get_ai_settings
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials
from tests.unit.ai.fake_servers import Behaviour, FakeOpenAI

TEXT = "3+1 daire, 110 m², mutfak salona açık"


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    with FakeOpenAI().running() as server:
        assert isinstance(server, FakeOpenAI)
        monkeypatch.setenv("ARCHBUILDER_AI_OPENAI_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("ARCHBUILDER_SECRET_OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("ARCHBUILDER_AI_OPENAI_TIMEOUT_S", "0.5")
        monkeypatch.setenv("ARCHBUILDER_AI_CACHE_TTL_S", "0")  # every request reaches the router
        monkeypatch.delenv("ARCHBUILDER_AI_VERTEX_PROJECT", raising=False)
        get_ai_settings.cache_clear()
        yield server
    get_ai_settings.cache_clear()


def parse(client: FlaskClient, tenant: TenantCredentials, n: int) -> str:
    """One brief read; the provider that answered. Each text differs (no cache either way)."""
    response = client.post(
        "/v1/briefs:parse", json={"text": f"{TEXT} ({n})", "language": "tr"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.json
    assert {r["type"] for r in response.json["brief"]["rooms"]} >= {"bedroom", "kitchen"}
    return str(response.json["provider"])


def ai_ledger(runtime: Runtime, tenant: TenantCredentials) -> tuple[list[int], dict[str, object]]:
    root = f"tenants/{tenant.tenant_id}"
    costs = [
        int(r.data["cost_micro_usd"])
        for r in runtime.store.query(Query(f"{root}/usage_ledger"))
        if r.data["kind"] == "ai"
    ]
    months = runtime.store.query(Query(f"{root}/usage"))
    return costs, (months[0].data if months else {})


def test_a_provider_that_times_out_opens_the_breaker_and_costs_nothing(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.default = Behaviour(kind="slow", delay_s=1.5)
    # Call 1: a timeout and one retry (two failures); call 2: the third failure opens it.
    assert [parse(client, tenant, n) for n in range(2)] == ["builtin", "builtin"]
    assert len(fake_openai.requests) == 3
    assert [parse(client, tenant, n) for n in range(2, 5)] == ["builtin"] * 3
    assert len(fake_openai.requests) == 3  # open: the provider is not called at all
    costs, month = ai_ledger(runtime, tenant)
    assert costs == [] and month.get("ai_cost_micro_usd", 0) == 0


def test_garbage_answers_fall_back_open_the_breaker_and_are_in_the_ledger_once_each(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.then(Behaviour())  # the first answer is a brief, every later one is garbage
    fake_openai.default = Behaviour(kind="malformed")
    assert parse(client, tenant, 0) == "openai"
    (good,) = ai_ledger(runtime, tenant)[0]
    assert good > 0
    # Garbage is not retried (the same prompt would read the same way) but counts against health.
    assert [parse(client, tenant, n) for n in range(1, 4)] == ["builtin"] * 3
    assert len(fake_openai.requests) == 4
    assert [parse(client, tenant, n) for n in range(4, 6)] == ["builtin"] * 2
    assert len(fake_openai.requests) == 4
    # OpenAI bills a schema-breaking answer like any other: four answers, four records, and
    # the month's AI cost (budgets, margins) is their sum.
    costs, month = ai_ledger(runtime, tenant)
    assert costs == [good] * 4
    assert month["ai_cost_micro_usd"] == 4 * good and month["ai_calls"] == 4
