"""The Billing port: what we ask of Stripe, and the adapter chosen for a runtime.

``StripeGateway`` (``stripe_gateway``) sends calls through the Stripe SDK, to Stripe or to
the address in ``STRIPE_API_BASE``. With no API key, ``RecordingGateway`` writes each call
to ``stripe_requests/{id}`` instead of sending it, so local runs and most tests need no
Stripe account.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from archbuilder.billing.settings import BillingSettings, load_billing_settings
from archbuilder.domain.ids import new_id
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.ports import DocumentStore

if TYPE_CHECKING:
    from archbuilder.runtime import Runtime


@dataclass(frozen=True)
class HostedLink:
    """A Stripe-hosted page to send the customer to (Checkout, the customer portal)."""

    id: str
    url: str


class BillingGateway(Protocol):
    @property
    def live(self) -> bool:
        """True when calls reach a Stripe API (Stripe itself or a fake), False when only recorded."""

    def create_customer(self, *, tenant_id: str, name: str, idempotency_key: str) -> str: ...

    def create_checkout_session(
        self,
        *,
        customer_id: str,
        tenant_id: str,
        price_id: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> HostedLink: ...

    def create_portal_session(self, *, customer_id: str, return_url: str) -> HostedLink: ...

    def list_subscriptions(self, customer_id: str) -> list[dict[str, Any]]:
        """Every subscription of the customer (any status), ``latest_invoice`` expanded."""

    def send_meter_event(
        self, *, event_name: str, identifier: str, customer_id: str, value: int, timestamp: int
    ) -> None:
        """Report usage; a repeat of an ``identifier`` Stripe already has is not an error."""


class RecordingGateway:
    """Records every call in ``stripe_requests`` and answers with local stand-ins."""

    live = False

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    def _record(self, method: str, path: str, params: dict[str, Any]) -> str:
        request_id = new_id("req")
        self._store.set(
            f"stripe_requests/{request_id}",
            {"method": method, "path": path, "params": params, "recorded_at": format_timestamp(now())},
        )
        return request_id

    def create_customer(self, *, tenant_id: str, name: str, idempotency_key: str) -> str:
        self._record("POST", "/v1/customers", {"name": name, "metadata": {"tenant_id": tenant_id}})
        return "cus_local_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:14]

    def create_checkout_session(
        self,
        *,
        customer_id: str,
        tenant_id: str,
        price_id: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> HostedLink:
        params = {"customer": customer_id, "client_reference_id": tenant_id, "price": price_id}
        request_id = self._record("POST", "/v1/checkout/sessions", params)
        return HostedLink(f"cs_local_{request_id}", f"https://checkout.stripe.invalid/{request_id}")

    def create_portal_session(self, *, customer_id: str, return_url: str) -> HostedLink:
        request_id = self._record("POST", "/v1/billing_portal/sessions", {"customer": customer_id})
        return HostedLink(f"bps_local_{request_id}", f"https://billing.stripe.invalid/{request_id}")

    def list_subscriptions(self, customer_id: str) -> list[dict[str, Any]]:
        self._record("GET", "/v1/subscriptions", {"customer": customer_id, "status": "all"})
        return []

    def send_meter_event(
        self, *, event_name: str, identifier: str, customer_id: str, value: int, timestamp: int
    ) -> None:
        params = {"event_name": event_name, "identifier": identifier, "value": value, "timestamp": timestamp}
        self._record("POST", "/v1/billing/meter_events", params | {"customer": customer_id})


def build_gateway(settings: BillingSettings, store: DocumentStore) -> BillingGateway:
    """The adapter for ``settings``: the SDK when an API key is set, else the recorder."""
    if settings.api_key is None:
        return RecordingGateway(store)
    from archbuilder.billing.stripe_gateway import StripeGateway

    return StripeGateway(settings)


_cache_lock = threading.Lock()
_cached: tuple[Runtime, BillingSettings, BillingGateway] | None = None


def billing_for(runtime: Runtime) -> tuple[BillingSettings, BillingGateway]:
    """Settings and gateway for ``runtime``, built once per runtime (the SDK client is reused)."""
    global _cached
    with _cache_lock:
        if _cached is None or _cached[0] is not runtime:
            settings = load_billing_settings(runtime.secrets)
            _cached = (runtime, settings, build_gateway(settings, runtime.store))
        return _cached[1], _cached[2]


def fingerprint(value: Any) -> str:
    """A short stable digest of a JSON value (for idempotency keys)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:24]
