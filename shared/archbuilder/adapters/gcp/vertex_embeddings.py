"""Text embeddings from Vertex AI through google-genai (``client.models.embed_content``).

The SDK picks the wire call from the model id: ``text-embedding-005`` (the default) is the
``:predict`` call (``instances`` / ``predictions``, up to 250 texts a request), a Gemini
embedding model ``:embedContent`` / ``:batchEmbedContents``. Texts are sent in batches
bounded in count and characters; each one is truncated by Vertex past the model's input
limit (``auto_truncate``). Project, location, endpoint and the test-only static token are
the Gemini provider's settings (``ARCHBUILDER_AI_VERTEX_*``); one attempt a request, as for
the language models.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from archbuilder.ai.language_model import ProviderError, ProviderTimeout, ProviderUnavailable, RateLimited
from archbuilder.ai.settings import AiSettings, get_ai_settings

if TYPE_CHECKING:
    from google.genai import Client


@dataclass(frozen=True)
class Embeddings:
    vectors: list[list[float]]
    input_tokens: int  # as Vertex counted them (statistics, or the usage block)
    requests: int


class VertexEmbedder:
    provider = "vertex"

    def __init__(self, settings: AiSettings, *, batch_texts: int = 100, batch_chars: int = 40_000) -> None:
        if not settings.vertex_project:
            raise ValueError("ARCHBUILDER_AI_VERTEX_PROJECT is not set")
        self._settings = settings
        self.model = settings.embedding_model
        self.dimension = settings.embedding_dimension
        self._batch_texts = batch_texts
        self._batch_chars = batch_chars
        self._client: Client | None = None
        self._lock = threading.Lock()

    def _genai(self) -> Client:
        with self._lock:
            if self._client is None:
                from archbuilder.ai.gemini_provider import vertex_client

                self._client = vertex_client(self._settings, self._settings.embedding_timeout_s)
            return self._client

    def embed(self, texts: Sequence[str], *, query: bool) -> Embeddings:
        """One vector per text, in order; ``query``: the text is a question, else a passage."""
        from google.genai import errors, types

        config = types.EmbedContentConfig(
            task_type="RETRIEVAL_QUERY" if query else "RETRIEVAL_DOCUMENT",
            output_dimensionality=self.dimension,
            auto_truncate=True,
        )
        vectors: list[list[float]] = []
        tokens = requests = 0
        for batch in self._batches(texts):
            contents: list[types.PartUnion] = list(batch)
            try:
                response = self._genai().models.embed_content(
                    model=self.model, contents=contents, config=config
                )
            except errors.APIError as exc:
                raise _api_error(self.provider, exc) from exc
            except Exception as exc:
                name = type(exc).__name__
                if "Timeout" in name:
                    raise ProviderTimeout(provider=self.provider) from exc
                if name in {"ConnectError", "ReadError", "RemoteProtocolError", "WriteError", "NetworkError"}:
                    raise ProviderUnavailable(provider=self.provider, reason="connection") from exc
                raise
            requests += 1
            found = response.embeddings or []
            if len(found) != len(batch):
                raise ProviderError(provider=self.provider, reason="embedding count")
            counted = 0
            for embedding in found:
                values = [float(v) for v in embedding.values or []]
                if len(values) != self.dimension:
                    raise ProviderError(provider=self.provider, reason="embedding dimension")
                vectors.append(values)
                stats = embedding.statistics
                counted += int(stats.token_count or 0) if stats is not None else 0
            usage = response.usage_metadata
            if not counted and usage is not None:
                counted = int(usage.prompt_token_count or 0)
            tokens += counted
        return Embeddings(vectors=vectors, input_tokens=tokens, requests=requests)

    def _batches(self, texts: Sequence[str]) -> Iterator[Sequence[str]]:
        start = 0
        while start < len(texts):
            end, chars = start, 0
            while end < len(texts) and end - start < self._batch_texts:
                chars += len(texts[end])
                if end > start and chars > self._batch_chars:
                    break
                end += 1
            yield texts[start:end]
            start = end


def _api_error(provider: str, exc: Any) -> ProviderError:
    code = int(getattr(exc, "code", 0) or 0)
    if code == 429:
        return RateLimited(provider=provider)
    if code in (408, 504):
        return ProviderTimeout(provider=provider)
    if code >= 500:
        return ProviderUnavailable(provider=provider, status=code)
    return ProviderError(provider=provider, status=code)


@lru_cache(maxsize=1)
def default_embedder() -> VertexEmbedder:
    """The process-wide embedder of the AI settings (one google-genai client)."""
    return VertexEmbedder(get_ai_settings())
