"""Billing fixtures: a fake Stripe server and the environment that points the SDK at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from archbuilder.billing.fake_stripe import FakeStripe
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials, make_tenant

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def stripe_env(fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    """STRIPE_* set for the fake server (before the runtime's billing gateway is first built)."""
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_unit")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    return fake_stripe


@pytest.fixture
def tenant(runtime: Runtime) -> TenantCredentials:
    """Billing tests start from the free plan (the shared fixture uses professional)."""
    return make_tenant(runtime, plan="free")
