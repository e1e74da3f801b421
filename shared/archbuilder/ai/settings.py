"""Settings of the AI layer (``ARCHBUILDER_AI_*``), separate from the platform's settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AiSettings(BaseSettings):
    """Model ids, endpoints, timeouts and cache lifetime. Keys never live here: see ``Secrets``."""

    model_config = SettingsConfigDict(env_prefix="ARCHBUILDER_AI_", env_file=".env", extra="ignore")

    # Off switch: with it false every task is answered by the built-in provider.
    enabled: bool = True

    # OpenAI (Responses API). The key comes from the Secrets port, name ``openai_secret``.
    openai_enabled: bool = True
    openai_secret: str = "openai-api-key"  # noqa: S105 - the secret's name in Secret Manager, not a key
    openai_base_url: str | None = None  # None: the SDK's default endpoint
    openai_timeout_s: float = Field(default=20.0, gt=0, le=300)
    openai_model_light: str = "gpt-4.1-mini"
    openai_model_standard: str = "gpt-4.1-mini"
    openai_model_heavy: str = "gpt-4.1"

    # Gemini on Vertex AI (google-genai). No project: the provider is not configured.
    vertex_project: str | None = None
    vertex_location: str = "global"  # "global", or a region such as "europe-west4"
    vertex_base_url: str | None = None  # None: the SDK derives it from the location
    vertex_api_version: str = "v1"
    # Only tests set this: a static bearer token instead of the service account's credentials.
    vertex_access_token: str | None = None
    gemini_timeout_s: float = Field(default=20.0, gt=0, le=300)
    gemini_model_light: str = "gemini-2.5-flash-lite"
    gemini_model_standard: str = "gemini-2.5-flash"
    gemini_model_heavy: str = "gemini-2.5-pro"
    # Embeddings of the regulation library on Google Cloud (Vertex AI, the project above).
    # The dimension is that of the vector indexes in firestore.indexes.json: change both.
    embedding_model: str = "text-embedding-005"
    embedding_dimension: int = Field(default=768, ge=1, le=2048)
    embedding_timeout_s: float = Field(default=30.0, gt=0, le=300)

    max_output_tokens: int = Field(default=2048, ge=64, le=32_768)
    cache_ttl_s: int = Field(default=7 * 24 * 3600, ge=0)
    # Overrides the plan's monthly AI budget for every tenant (USD); None: the plan decides.
    monthly_budget_usd: float | None = Field(default=None, ge=0)

    def model_for(self, provider: str, tier: str) -> str:
        """The model id of ``provider`` for a routing tier (light, standard, heavy)."""
        if provider == "builtin":
            return "builtin-v1"
        value = getattr(self, f"{provider}_model_{tier}", None)
        if not isinstance(value, str):
            raise ValueError(f"no model for {provider} at tier {tier}")
        return value


@lru_cache(maxsize=1)
def get_ai_settings() -> AiSettings:
    """The process-wide AI settings, read once."""
    return AiSettings()
