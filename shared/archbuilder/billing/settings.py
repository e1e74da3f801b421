"""Billing settings: Stripe credentials and endpoints, the grace period, return URLs.

Read from the environment (``STRIPE_API_KEY``, ``STRIPE_WEBHOOK_SECRET``, ``STRIPE_API_BASE``,
``BILLING_*``) and ``.env``; the two secrets are taken from the Secrets port first
(``stripe-api-key``, ``stripe-webhook-secret``: Secret Manager in the cloud,
``ARCHBUILDER_SECRET_STRIPE_*`` locally).
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from archbuilder.domain.plans import Currency
from archbuilder.platform.errors import SecretMissing
from archbuilder.ports import Secrets

# The Stripe API version every request and every webhook endpoint uses. Pinned, so that an SDK
# upgrade cannot change the shapes we read; a unit test says when the SDK's default moves.
STRIPE_API_VERSION = "2026-10-28.endive"


class BillingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    # Where the SDK sends API calls: unset for Stripe, the fake server's address in tests.
    stripe_api_base: str | None = None
    stripe_api_version: str = STRIPE_API_VERSION
    stripe_max_network_retries: int = Field(default=2, ge=0, le=5)
    # How old a webhook signature may be (Stripe's default tolerance).
    stripe_webhook_tolerance_s: int = Field(default=300, ge=1)
    # After a failed payment the tenant keeps writing this long, then becomes read-only.
    billing_grace_days: float = Field(default=7, ge=0)
    billing_default_currency: Currency = Currency.EUR
    billing_success_url: str = "https://app.archbuilder.cloud/billing/done?session_id={CHECKOUT_SESSION_ID}"
    billing_cancel_url: str = "https://app.archbuilder.cloud/billing"
    billing_portal_return_url: str = "https://app.archbuilder.cloud/billing"
    # stripe_events/{id} documents expire after this (Stripe retries a webhook for 3 days).
    billing_event_ttl_days: int = Field(default=30, ge=3)

    @property
    def api_key(self) -> str | None:
        return self.stripe_api_key.get_secret_value() if self.stripe_api_key else None

    @property
    def webhook_secret(self) -> str | None:
        return self.stripe_webhook_secret.get_secret_value() if self.stripe_webhook_secret else None


def load_billing_settings(secrets: Secrets | None = None) -> BillingSettings:
    """Settings from the environment, with the Stripe secrets from ``secrets`` when it has them."""
    settings = BillingSettings()
    if secrets is None:
        return settings
    found: dict[str, SecretStr] = {}
    for field, name in (
        ("stripe_api_key", "stripe-api-key"),
        ("stripe_webhook_secret", "stripe-webhook-secret"),
    ):
        try:
            found[field] = SecretStr(secrets.get(name))
        except SecretMissing:
            continue
    return settings.model_copy(update=found) if found else settings
