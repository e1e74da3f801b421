"""The Billing port on the Stripe SDK (``StripeClient``, pinned API version).

The only module, with ``webhook``, that imports ``stripe``.
"""

from __future__ import annotations

import time
from typing import Any

import stripe

from archbuilder.billing.errors import StripeUnavailable
from archbuilder.billing.gateway import HostedLink
from archbuilder.billing.settings import BillingSettings
from archbuilder.platform.logging import get_logger, log_fields

_log = get_logger("archbuilder.billing.stripe")


def _client(api_key: str, settings: BillingSettings) -> stripe.StripeClient:
    base = settings.stripe_api_base
    return stripe.StripeClient(
        api_key,
        stripe_version=settings.stripe_api_version,
        # Every surface we call goes to the same place (the fake server in tests).
        base_addresses={"api": base, "meter_events": base} if base else None,
        max_network_retries=settings.stripe_max_network_retries,
    )


class StripeGateway:
    live = True

    def __init__(self, settings: BillingSettings) -> None:
        if settings.api_key is None:
            raise ValueError("StripeGateway needs STRIPE_API_KEY")
        self._stripe = _client(settings.api_key, settings)

    def create_customer(self, *, tenant_id: str, name: str, idempotency_key: str) -> str:
        with _translated("create customer"):
            customer = self._stripe.v1.customers.create(
                params={"name": name, "metadata": {"tenant_id": tenant_id}},
                options={"idempotency_key": idempotency_key},
            )
        return str(customer.id)

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
        with _translated("create checkout session"):
            session = self._stripe.v1.checkout.sessions.create(
                params={
                    "mode": "subscription",
                    "customer": customer_id,
                    "client_reference_id": tenant_id,
                    "line_items": [{"price": price_id, "quantity": 1}],
                    "subscription_data": {"metadata": {"tenant_id": tenant_id}},
                    "metadata": {"tenant_id": tenant_id},
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                },
                options={"idempotency_key": idempotency_key},
            )
        return HostedLink(str(session.id), str(session.url))

    def create_portal_session(self, *, customer_id: str, return_url: str) -> HostedLink:
        with _translated("create portal session"):
            session = self._stripe.v1.billing_portal.sessions.create(
                params={"customer": customer_id, "return_url": return_url}
            )
        return HostedLink(str(session.id), str(session.url))

    def list_subscriptions(self, customer_id: str) -> list[dict[str, Any]]:
        with _translated("list subscriptions"):
            page = self._stripe.v1.subscriptions.list(
                params={
                    "customer": customer_id,
                    "status": "all",
                    "limit": 100,
                    "expand": ["data.latest_invoice"],
                }
            )
            return [sub.to_dict() for sub in page.auto_paging_iter()]

    def send_meter_event(
        self, *, event_name: str, identifier: str, customer_id: str, value: int, timestamp: int
    ) -> None:
        try:
            self._stripe.v1.billing.meter_events.create(
                params={
                    "event_name": event_name,
                    "identifier": identifier,
                    "payload": {"stripe_customer_id": customer_id, "value": str(value)},
                    "timestamp": timestamp,
                },
                # The same key on SDK retries; Stripe also deduplicates on the identifier.
                options={"idempotency_key": f"meter-{identifier}"},
            )
        except stripe.InvalidRequestError as exc:
            if _is_duplicate_identifier(exc):
                return  # Stripe already counted this record: exactly what we want
            raise _unavailable("send meter event", exc) from exc
        except stripe.StripeError as exc:
            raise _unavailable("send meter event", exc) from exc


def _is_duplicate_identifier(exc: stripe.InvalidRequestError) -> bool:
    message = str(exc.user_message or "").lower()
    return exc.code in ("meter_event_duplicate_identifier", "resource_already_exists") or (
        "identifier" in message and "already" in message
    )


class _translated:
    """Turn SDK errors into ``StripeUnavailable`` (502) without leaking their text to clients."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, stripe.StripeError):
            raise _unavailable(self.action, exc) from exc


def _unavailable(action: str, exc: stripe.StripeError) -> StripeUnavailable:
    _log.warning(
        "stripe call failed",
        extra=log_fields(
            action=action, http_status=exc.http_status, stripe_code=exc.code, error=type(exc).__name__
        ),
    )
    return StripeUnavailable(action=action)


def verify_webhook(payload: bytes, signature: str | None, secret: str, *, tolerance_s: int) -> None:
    """Return when ``signature`` (``Stripe-Signature``) proves that Stripe signed ``payload``
    within ``tolerance_s`` of now, before or after; ``ValueError`` otherwise. Checked on the
    raw bytes, before anything reads them.

    The stripe library checks the HMAC and refuses a timestamp older than the tolerance; one
    ahead of the clock it lets pass, and such a signature would stay valid for as long as it
    is ahead plus the tolerance, so that side is refused here.
    """
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance_s)
    except stripe.SignatureVerificationError as exc:
        raise ValueError("signature") from exc
    except UnicodeDecodeError as exc:  # the HMAC is over the text: bytes that are none cannot be checked
        raise ValueError("payload") from exc
    assert signature is not None  # verify_header refuses a missing header
    if _signed_at(signature) > time.time() + tolerance_s:
        raise ValueError("signed in the future")


def _signed_at(header: str) -> int:
    """The ``t=`` of a header the stripe library has verified, read as the library reads it."""
    items = [item.split("=", 2) for item in header.split(",")]
    return int([item[1] for item in items if item[0] == "t"][0])
