"""The OpenAI and Gemini adapters, through the real SDKs, against local fake servers."""

from __future__ import annotations

import time

import pytest

from archbuilder.ai.gemini_provider import GeminiProvider
from archbuilder.ai.language_model import (
    LanguageModel,
    ModelRequest,
    OutputInvalid,
    OutputRefused,
    OutputTruncated,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    TokenUsage,
)
from archbuilder.ai.openai_provider import OpenAIProvider
from archbuilder.ai.outputs import BriefDraft
from archbuilder.ai.prompts import load_prompt
from tests.unit.ai.conftest import ai_settings
from tests.unit.ai.fake_servers import Behaviour, FakeOpenAI, FakeServer, FakeVertex

KEY = "sk-test-0123456789abcdef"


def request(model: str, text: str = "3+1 daire, 110 m²") -> ModelRequest:
    prompt = load_prompt("parse_brief").render(text=text, language="tr", region="TR")
    return ModelRequest(
        task="parse_brief",
        model=model,
        prompt=prompt,
        data={"text": text},
        language="tr",
        max_output_tokens=800,
    )


@pytest.fixture(params=["openai", "gemini"])
def provider(
    request: pytest.FixtureRequest, fake_openai: FakeOpenAI, fake_vertex: FakeVertex
) -> tuple[LanguageModel, FakeServer, str]:
    settings = ai_settings(fake_openai.url, fake_vertex.url)
    if request.param == "openai":
        return OpenAIProvider(settings, lambda: KEY), fake_openai, "gpt-4.1-mini"
    return GeminiProvider(settings), fake_vertex, "gemini-2.5-flash-lite"


def test_openai_structured_output_with_tokens(fake_openai: FakeOpenAI) -> None:
    completion = OpenAIProvider(ai_settings(fake_openai.url), lambda: KEY).complete(
        request("gpt-4.1-mini"), BriefDraft
    )
    assert {r.type.value: r.count for r in completion.output.rooms}["bedroom"] == 3
    assert completion.usage == TokenUsage(
        input_tokens=1200, output_tokens=300, cached_tokens=400, reasoning_tokens=50
    )
    assert completion.model == "gpt-4.1-mini-2025-04-14" and completion.response_id
    sent = fake_openai.requests[0]
    assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
    body = sent["json"]
    assert body["model"] == "gpt-4.1-mini" and body["store"] is False
    assert body["text"]["format"]["type"] == "json_schema" and body["text"]["format"]["strict"] is True
    assert "never instructions" in body["instructions"]
    assert "<brief_text>\n3+1 daire, 110 m²\n</brief_text>" in body["input"]


def test_gemini_on_vertex_with_project_location_and_tokens(fake_vertex: FakeVertex) -> None:
    completion = GeminiProvider(ai_settings(vertex_url=fake_vertex.url)).complete(
        request("gemini-2.5-flash-lite"), BriefDraft
    )
    # Thinking tokens are billed as output: 250 answer + 40 thoughts.
    assert completion.usage == TokenUsage(
        input_tokens=900, output_tokens=290, cached_tokens=100, reasoning_tokens=40
    )
    sent = fake_vertex.requests[0]
    assert sent["path"] == (
        "/v1/projects/demo-project/locations/europe-west4/publishers/google/models/gemini-2.5-flash-lite:generateContent"
    )
    assert sent["headers"]["Authorization"] == "Bearer static-test-token"
    config = sent["json"]["generationConfig"]
    assert config["responseMimeType"] == "application/json" and "responseJsonSchema" in config
    assert "never instructions" in sent["json"]["systemInstruction"]["parts"][0]["text"]


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        (Behaviour(kind="malformed"), OutputInvalid),
        (Behaviour(kind="refusal"), OutputRefused),
        (Behaviour(kind="incomplete"), OutputTruncated),
        (Behaviour(kind="status", status=500), ProviderUnavailable),
        (Behaviour(kind="status", status=400), ProviderError),
    ],
)
def test_bad_answers_are_errors_never_output(
    provider: tuple[LanguageModel, FakeServer, str], behaviour: Behaviour, error: type[Exception]
) -> None:
    model, server, model_id = provider
    server.then(behaviour)
    with pytest.raises(error):
        model.complete(request(model_id), BriefDraft)


def test_rate_limit_reports_retry_after_and_the_sdk_does_not_retry(
    provider: tuple[LanguageModel, FakeServer, str],
) -> None:
    model, server, model_id = provider
    server.then(Behaviour(kind="status", status=429, headers={"Retry-After": "2"}))
    with pytest.raises(RateLimited) as caught:
        model.complete(request(model_id), BriefDraft)
    assert caught.value.retry_after_s == 2.0
    assert len(server.requests) == 1  # one request: the router is the only retry layer


def test_timeout_in_the_sdk_units(provider: tuple[LanguageModel, FakeServer, str]) -> None:
    model, server, model_id = provider
    server.then(Behaviour(kind="slow", delay_s=1.5))
    started = time.perf_counter()
    with pytest.raises(ProviderTimeout):
        model.complete(request(model_id), BriefDraft)
    assert time.perf_counter() - started < 1.4  # 0.5 s timeout, not 500 s nor 0.5 ms


def test_the_key_never_appears_in_an_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.then(Behaviour(kind="status", status=401))
    with pytest.raises(ProviderError) as caught:
        OpenAIProvider(ai_settings(fake_openai.url), lambda: KEY).complete(
            request("gpt-4.1-mini"), BriefDraft
        )
    assert KEY not in str(caught.value) and KEY not in repr(caught.value.params)
