"""One settings object: explicit argument, then environment (``ARCHBUILDER_*``), then default."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    local = "local"
    test = "test"
    prod = "prod"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARCHBUILDER_", env_file=".env", extra="ignore")

    env: Environment = Environment.local
    data_dir: Path = Path(".archbuilder")
    # With no Google project every port uses its embedded default.
    gcp_project: str | None = None
    # Firebase project whose ID tokens people sign in with (Authorization: Bearer …).
    firebase_project: str | None = None
    data_region: str = "eu"
    default_language: str = "en"
    log_level: str = "INFO"
    # Event delivery: how often a failing handler is retried before its event is dead-lettered.
    event_max_attempts: int = Field(default=5, ge=1, le=100)
    event_retry_base_s: float = Field(default=0.2, ge=0, le=60)
    # Jobs stuck in `running` for longer than this are taken over by a redelivery.
    job_lease_s: float = Field(default=300, gt=0)
    # The embedded store waits this long for another writer's lock, then answers 503.
    sqlite_busy_timeout_s: float = Field(default=10, gt=0, le=120)
    job_max_attempts: int = Field(default=3, ge=1, le=20)
    # The embedded default plans briefs in this many child processes
    # (adapters/local/process_planner.py), off the API's interpreter lock; 0 plans in the event
    # worker's own thread. `archbuilder serve` uses one per core unless this is set. In the cloud
    # each layout_worker instance plans one brief in its own process and ignores this.
    planner_processes: int = Field(default=0, ge=0, le=64)
    idempotency_ttl_s: int = Field(default=24 * 3600, gt=0)
    # How long an instance keeps what an API key resolved to (key, tenant). Changes made through
    # this instance apply at once; another instance's (or a console edit) within this bound.
    # 0 reads both on every request.
    api_key_cache_ttl_s: float = Field(default=30, ge=0, le=300)
    # Signs local upload/download URLs. Must be set outside local/test.
    url_signing_key: str | None = None
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    # How many addresses trusted proxies append to X-Forwarded-For after the client's: Google's
    # external HTTPS load balancer appends "<client>, <its own>", so the client is the second
    # from the right (1; the Terraform sets it for the deployed functions). 0, the default (the
    # dev server, no proxy in front), ignores the header: the socket's peer is the client.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)
    # CAD uploads: size limit per file, how long an upload URL lives, and the limits of the
    # child process that parses one file.
    # Retention in days, enforced by the maintenance function.
    retention_jobs_days: int = Field(default=90, ge=1)
    retention_webhook_deliveries_days: int = Field(default=30, ge=1)
    retention_audit_days: int = Field(default=400, ge=30)
    retention_dead_letters_days: int = Field(default=30, ge=1)
    # Outbound webhooks may target private and loopback addresses (local development, tests).
    webhooks_allow_private: bool = False
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    upload_url_ttl_s: int = Field(default=900, ge=60, le=7 * 24 * 3600)
    # 20–50 MB plans need minutes (docs/cad.md); the cad_ingest function has 540 s.
    parse_timeout_s: float = Field(default=300, gt=0)
    parse_memory_mb: int = Field(default=2048, ge=128)
    # The private OCR service on Cloud Run (regulations/ocr_service.py; docs/regulations.md,
    # "Where OCR runs"): a PDF with no text layer is sent there instead of to a local Tesseract,
    # with a Google ID token for this URL. https, except a loopback http URL (the tests, a
    # container on this machine), which is called without a token. None: OCR runs here.
    ocr_url: str | None = None

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_prod(self) -> Settings:
        if self.env is Environment.prod and not self.url_signing_key:
            raise ValueError("ARCHBUILDER_URL_SIGNING_KEY is required when ARCHBUILDER_ENV=prod")
        if self.ocr_url and urlsplit(self.ocr_url).scheme != "https" and not is_loopback(self.ocr_url):
            raise ValueError("ARCHBUILDER_OCR_URL must be https (http only on a loopback address)")
        return self

    @property
    def uses_google_cloud(self) -> bool:
        return self.gcp_project is not None


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (``localhost``, 127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
