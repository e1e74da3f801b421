"""Fake provider servers and settings that point the real SDKs at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from archbuilder.ai.builtin_provider import BuiltinProvider
from archbuilder.ai.ledger import UsageLedger
from archbuilder.ai.openai_provider import OpenAIProvider
from archbuilder.ai.pricing import load_prices
from archbuilder.ai.response_cache import ResponseCache
from archbuilder.ai.router import Router
from archbuilder.ai.routing import load_routing
from archbuilder.ai.settings import AiSettings
from archbuilder.runtime import Runtime
from tests.unit.ai.fake_servers import FakeOpenAI, FakeVertex


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().running() as server:
        assert isinstance(server, FakeOpenAI)
        yield server


@pytest.fixture
def fake_vertex() -> Iterator[FakeVertex]:
    with FakeVertex().running() as server:
        assert isinstance(server, FakeVertex)
        yield server


def ai_settings(openai_url: str | None = None, vertex_url: str | None = None, **extra: object) -> AiSettings:
    return AiSettings(
        openai_base_url=f"{openai_url}/v1" if openai_url else None,
        vertex_project="demo-project" if vertex_url else None,
        vertex_location="europe-west4",
        vertex_base_url=f"{vertex_url}/" if vertex_url else None,
        vertex_access_token="static-test-token",
        openai_timeout_s=0.5,
        gemini_timeout_s=0.5,
        _env_file=None,  # type: ignore[call-arg]
        **extra,  # type: ignore[arg-type]
    )


def openai_router(runtime: Runtime, url: str) -> Router:
    """A router with the built-in provider and the real OpenAI SDK pointed at a fake server."""
    settings = ai_settings(url)
    return Router(
        {"builtin": BuiltinProvider(), "openai": OpenAIProvider(settings, lambda: "sk-test")},
        rules=load_routing(),
        prices=load_prices(),
        settings=settings,
        cache=ResponseCache(runtime.store, settings.cache_ttl_s),
        ledger=UsageLedger(runtime.store),
    )
