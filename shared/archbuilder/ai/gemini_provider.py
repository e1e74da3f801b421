"""Gemini on Vertex AI through google-genai (not the removed ``vertexai.generative_models``).

Project and location are passed explicitly; the endpoint comes from settings (regional
or global). The SDK's retries are configured explicitly to one attempt, because the
router is the one retry layer. ``HttpOptions.timeout`` is in milliseconds. Credentials
are the function's service account (ADC); tests pass a static token instead.
"""

from __future__ import annotations

import threading
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
    from google.genai import Client

M = TypeVar("M", bound=BaseModel)
_REFUSALS = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}


def vertex_client(settings: AiSettings, timeout_s: float) -> Client:
    """A google-genai client for Vertex AI with the settings' project, location and endpoint
    (an access token when one is set, else the runtime's identity), SDK retries off: the caller
    retries (the router, the embedding adapter)."""
    from google import genai
    from google.genai import types

    credentials = None
    if settings.vertex_access_token:
        from google.oauth2.credentials import Credentials

        credentials = Credentials(token=settings.vertex_access_token)  # type: ignore[no-untyped-call]
    return genai.Client(
        vertexai=True,
        project=settings.vertex_project,
        location=settings.vertex_location,
        credentials=credentials,
        http_options=types.HttpOptions(
            base_url=settings.vertex_base_url,
            api_version=settings.vertex_api_version,
            timeout=round(timeout_s * 1000),  # milliseconds
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )


class GeminiProvider:
    name = "gemini"

    def __init__(self, settings: AiSettings) -> None:
        if not settings.vertex_project:
            raise ValueError("ARCHBUILDER_AI_VERTEX_PROJECT is not set")
        self._settings = settings
        self._client: Client | None = None
        self._lock = threading.Lock()

    def _genai(self) -> Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = vertex_client(self._settings, self._settings.gemini_timeout_s)
        return self._client

    def complete(self, request: ModelRequest, output: type[M]) -> Completion[M]:
        from google.genai import errors, types

        config = types.GenerateContentConfig(
            system_instruction=request.prompt.system,
            response_mime_type="application/json",
            response_json_schema=output.model_json_schema(),
            max_output_tokens=request.max_output_tokens,
            temperature=0,
        )
        try:
            response = self._genai().models.generate_content(
                model=request.model, contents=request.prompt.user, config=config
            )
        except errors.APIError as exc:
            raise _api_error(self.name, exc) from exc
        except Exception as exc:
            if _is_timeout(exc):
                raise ProviderTimeout(provider=self.name) from exc
            if _is_transport(exc):
                raise ProviderUnavailable(provider=self.name, reason="connection") from exc
            raise
        # From here on Vertex answered and billed the tokens, usable or not.
        usage = _usage(response.usage_metadata)
        model = response.model_version or request.model

        def billed(exc: ProviderError) -> ProviderError:
            return exc.answered(model=model, usage=usage, response_id=response.response_id)

        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            raise billed(OutputRefused(provider=self.name, reason=str(feedback.block_reason)))
        candidate = response.candidates[0] if response.candidates else None
        if candidate is None:
            raise billed(OutputInvalid(provider=self.name, reason="no candidate"))
        finish = candidate.finish_reason.value if candidate.finish_reason is not None else "STOP"
        if finish == "MAX_TOKENS":
            raise billed(OutputTruncated(provider=self.name, reason=finish))
        if finish in _REFUSALS:
            raise billed(OutputRefused(provider=self.name, reason=finish))
        text = "".join(
            part.text
            for part in (candidate.content.parts if candidate.content else None) or []
            if part.text and not part.thought
        )
        try:
            parsed = output.model_validate_json(text)
        except ValidationError as exc:
            raise billed(OutputInvalid(provider=self.name, reason="schema")) from exc
        return Completion(
            output=parsed,
            model=model,
            usage=usage,
            response_id=response.response_id,
        )


def _api_error(provider: str, exc: Any) -> ProviderError:
    code = int(getattr(exc, "code", 0) or 0)
    if code == 429:
        return RateLimited(provider=provider, retry_after_s=_retry_after(exc))
    if code in (408, 504):
        return ProviderTimeout(provider=provider)
    if code >= 500:
        return ProviderUnavailable(provider=provider, status=code, retry_after_s=_retry_after(exc))
    return ProviderError(provider=provider, status=code)


def _retry_after(exc: Any) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _is_timeout(exc: Exception) -> bool:
    return "Timeout" in type(exc).__name__


def _is_transport(exc: Exception) -> bool:
    # httpx and httpx2 both name their transport errors this way; either may be installed.
    return type(exc).__name__ in {
        "ConnectError",
        "ReadError",
        "RemoteProtocolError",
        "WriteError",
        "NetworkError",
    }


def _usage(meta: Any) -> TokenUsage:
    if meta is None:
        return TokenUsage()
    thoughts = int(meta.thoughts_token_count or 0)
    return TokenUsage(
        input_tokens=int(meta.prompt_token_count or 0),
        # Vertex counts thinking apart from the answer; both are billed as output.
        output_tokens=int(meta.candidates_token_count or 0) + thoughts,
        cached_tokens=int(meta.cached_content_token_count or 0),
        reasoning_tokens=thoughts,
    )
