"""OpenAI through the official SDK: the Responses API with structured outputs.

The SDK's own retries are off (``max_retries=0``): the router is the one retry layer.
The client is created on first use and reused; ``openai`` is imported only here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from archbuilder.ai.language_model import (
    Completion,
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
from archbuilder.ai.settings import AiSettings

if TYPE_CHECKING:
    from openai import OpenAI

M = TypeVar("M", bound=BaseModel)


class OpenAIProvider:
    name = "openai"

    def __init__(self, settings: AiSettings, api_key: Callable[[], str]) -> None:
        self._settings = settings
        self._api_key = api_key  # read when the client is made; never logged
        self._client: OpenAI | None = None
        self._lock = threading.Lock()

    def _openai(self) -> OpenAI:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from openai import OpenAI

                    self._client = OpenAI(
                        api_key=self._api_key(),
                        base_url=self._settings.openai_base_url,
                        timeout=self._settings.openai_timeout_s,
                        max_retries=0,
                    )
        return self._client

    def complete(self, request: ModelRequest, output: type[M]) -> Completion[M]:
        import openai

        try:
            raw = self._openai().responses.with_raw_response.parse(
                model=request.model,
                instructions=request.prompt.system,
                input=request.prompt.user,
                text_format=output,
                max_output_tokens=request.max_output_tokens,
                temperature=0,
                store=False,
            )
        except openai.APITimeoutError as exc:
            raise ProviderTimeout(provider=self.name) from exc
        except openai.RateLimitError as exc:
            raise RateLimited(provider=self.name, retry_after_s=_retry_after(exc.response.headers)) from exc
        except openai.APIConnectionError as exc:
            raise ProviderUnavailable(provider=self.name, reason="connection") from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise ProviderUnavailable(
                    provider=self.name,
                    status=exc.status_code,
                    retry_after_s=_retry_after(exc.response.headers),
                ) from exc
            # 4xx other than 429: our request or our key is wrong; trying again will not help.
            raise ProviderError(provider=self.name, status=exc.status_code) from exc
        body = _json(raw.text)
        # From here on the provider answered and billed the tokens, usable or not.
        usage = _usage_of(body.get("usage"))
        model = str(body.get("model") or request.model)

        def billed(exc: ProviderError) -> ProviderError:
            return exc.answered(model=model, usage=usage, response_id=body.get("id"))

        status = body.get("status")
        if status == "incomplete":
            reason = (body.get("incomplete_details") or {}).get("reason")
            if reason == "content_filter":
                raise billed(OutputRefused(provider=self.name, reason="content_filter"))
            raise billed(OutputTruncated(provider=self.name, reason=str(reason)))
        if status not in (None, "completed"):
            raise ProviderUnavailable(provider=self.name, reason=f"status {status}")
        for item in body.get("output") or []:
            for part in item.get("content") or []:
                if part.get("type") == "refusal":
                    raise billed(OutputRefused(provider=self.name))
        try:
            parsed = raw.parse()
        except (ValidationError, ValueError) as exc:
            raise billed(OutputInvalid(provider=self.name, reason="schema")) from exc
        result = parsed.output_parsed
        if not isinstance(result, output):
            raise billed(OutputInvalid(provider=self.name, reason="no structured output"))
        return Completion(
            output=result,
            model=parsed.model or request.model,
            usage=_usage(parsed.usage),
            response_id=parsed.id,
        )


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise OutputInvalid(provider="openai", reason="response is not JSON") from exc
    if not isinstance(data, dict):
        raise OutputInvalid(provider="openai", reason="response is not an object")
    return data


def _usage_of(usage: Any) -> TokenUsage:
    """The usage block of the raw JSON body (the same fields as the SDK's ``ResponseUsage``)."""
    if not isinstance(usage, dict):
        return TokenUsage()
    details = usage.get("input_tokens_details") or {}
    out_details = usage.get("output_tokens_details") or {}
    return TokenUsage(
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
        reasoning_tokens=int(out_details.get("reasoning_tokens") or 0),
    )


def _usage(usage: Any) -> TokenUsage:
    if usage is None:
        return TokenUsage()
    details = getattr(usage, "input_tokens_details", None)
    out_details = getattr(usage, "output_tokens_details", None)
    return TokenUsage(
        input_tokens=int(usage.input_tokens or 0),
        output_tokens=int(usage.output_tokens or 0),  # includes reasoning tokens
        cached_tokens=int(getattr(details, "cached_tokens", 0) or 0),
        reasoning_tokens=int(getattr(out_details, "reasoning_tokens", 0) or 0),
    )


def _retry_after(headers: Any) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name) if headers is not None else None
        if value:
            try:
                return float(value) * scale
            except ValueError:
                return None
    return None
