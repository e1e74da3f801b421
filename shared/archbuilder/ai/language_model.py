"""The port every provider implements, what a call returns, and how a call fails.

A provider turns one rendered prompt into one validated output model. It does not
retry, cache, price or choose models: the router does that once for every provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from archbuilder.platform.errors import ArchBuilderError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready to send: fixed instructions, and the user's data in a delimited block."""

    name: str
    version: str
    system: str
    user: str


@dataclass(frozen=True)
class ModelRequest:
    """One call: the task, the model, the prompt, and the structured input it was made from.

    ``data`` is what the built-in provider reads; the model providers read ``prompt``.
    """

    task: str
    model: str
    prompt: RenderedPrompt
    data: dict[str, Any]
    language: str
    max_output_tokens: int


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one call. ``output_tokens`` includes reasoning tokens (both are billed as output)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Completion(Generic[M]):
    output: M
    model: str
    usage: TokenUsage = field(default_factory=TokenUsage)
    response_id: str | None = None


class LanguageModel(Protocol):
    """A provider: OpenAI, Gemini on Vertex, or the built-in one."""

    @property
    def name(self) -> str: ...

    def complete(self, request: ModelRequest, output: type[M]) -> Completion[M]:
        """The validated output, or a ``ProviderError``."""


class ProviderError(ArchBuilderError):
    """A call that gave no usable answer. ``retryable``: the same call may work a moment later.

    ``counts_against_health``: whether the circuit breaker counts it (a refusal is about the
    input, not the provider).
    """

    code = "AI_PROVIDER_ERROR"
    status = 502
    retryable = False
    counts_against_health = True

    def __init__(self, code: str | None = None, *, retry_after_s: float | None = None, **params: Any) -> None:
        super().__init__(code, **params)
        self.retry_after_s = retry_after_s
        # What the provider charged for an answer we could not use (garbage, a refusal, a
        # truncated answer): the router records it in the cost ledger like a good answer.
        self.charged: Charged | None = None

    def answered(self, *, model: str, usage: TokenUsage, response_id: str | None) -> ProviderError:
        """This error, for an answer the provider sent and billed (``usage``)."""
        self.charged = Charged(model=model, usage=usage, response_id=response_id)
        return self


@dataclass(frozen=True)
class Charged:
    """The billed part of an unusable answer."""

    model: str
    usage: TokenUsage
    response_id: str | None


class RateLimited(ProviderError):
    code = "AI_RATE_LIMITED"
    status = 503
    retryable = True


class ProviderUnavailable(ProviderError):
    """5xx, a dropped connection, or a provider that is not configured."""

    code = "AI_PROVIDER_ERROR"
    status = 503
    retryable = True


class ProviderTimeout(ProviderError):
    code = "AI_PROVIDER_TIMEOUT"
    status = 504
    retryable = True


class OutputRefused(ProviderError):
    code = "AI_OUTPUT_REFUSED"
    counts_against_health = False


class OutputTruncated(ProviderError):
    code = "AI_OUTPUT_TRUNCATED"


class OutputInvalid(ProviderError):
    """Not JSON, or JSON that does not match the schema."""

    code = "AI_OUTPUT_INVALID"
