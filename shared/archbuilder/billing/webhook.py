"""``stripe_webhook``: verify, record once, hand off to ``billing-events``, answer fast.

The signature is checked on the raw body with the webhook secret; without a secret the
endpoint refuses (503 ``BILLING_NOT_CONFIGURED``) instead of trusting unsigned events. A
signature that does not match, or whose time is more than the tolerance before or after now,
is 400 ``WEBHOOK_SIGNATURE_INVALID``. A signed body that is not a Stripe event as we read it
(not a JSON object, ``NaN``, an id that is not a string, a ``created`` that is not a whole
number or lies ahead of the clock) is 400 ``WEBHOOK_PAYLOAD_INVALID``. The
event id is written with create-if-absent to ``stripe_events/{id}``; a replay of an event
already handed off is acknowledged and ignored. Only ids and the event type travel on: the
worker re-reads everything else from Stripe.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archbuilder.billing.errors import BillingNotConfigured
from archbuilder.billing.settings import BillingSettings
from archbuilder.billing.subscription import subscription_id_of_invoice
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.errors import AlreadyExists, BadRequest
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import DocumentStore, EventBus

BILLING_EVENTS_TOPIC = "billing-events"
HANDLED_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
    }
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_log = get_logger("archbuilder.billing.webhook")


class BillingEventMessage(BaseModel):
    """What ``billing-events`` carries: enough to find the tenant, nothing to trust as state."""

    event_id: str
    type: str
    created: int
    api_version: str | None = None
    livemode: bool = False
    customer_id: str | None = None
    subscription_id: str | None = None
    tenant_id: str | None = None  # client_reference_id or metadata.tenant_id, set by us at checkout


@dataclass(frozen=True)
class WebhookReceipt:
    event_id: str
    duplicate: bool
    handled: bool


def event_path(event_id: str) -> str:
    # Stripe ids are safe document ids; anything else is hashed rather than trusted as a path.
    safe = event_id if _SAFE_ID.match(event_id) else "h_" + hashlib.sha256(event_id.encode()).hexdigest()[:40]
    return f"stripe_events/{safe}"


class _Read(BaseModel):
    """Strict about the fields we read (a string is a string, a number a whole number), and
    blind to every other field: Stripe adds fields without notice."""

    model_config = ConfigDict(strict=True, extra="ignore")


class _Expanded(_Read):
    id: str


_Ref = str | _Expanded | None  # an id, or the object it names when expanded


class _EventData(_Read):
    object: dict[str, Any]


class _StripeEvent(_Read):
    id: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=255)
    created: int = Field(ge=0)
    api_version: str | None = None
    livemode: bool = False
    data: _EventData


class _Object(_Read):
    """What we read of any object: its kind, id, customer and metadata."""

    object: str | None = None
    id: str | None = None
    customer: _Ref = None
    metadata: dict[str, str] | None = None


class _CheckoutSession(_Object):
    subscription: _Ref = None
    client_reference_id: str | None = None


class _SubscriptionDetails(_Read):
    metadata: dict[str, str] | None = None
    subscription: _Ref = None


class _Parent(_Read):
    subscription_details: _SubscriptionDetails | None = None
    subscription_item_details: _SubscriptionDetails | None = None


class _InvoiceLine(_Read):
    subscription: _Ref = None
    parent: _Parent | None = None


class _InvoiceLines(_Read):
    data: list[_InvoiceLine] = Field(default_factory=list)


class _Invoice(_Object):
    subscription: _Ref = None
    subscription_details: _SubscriptionDetails | None = None
    parent: _Parent | None = None
    lines: _InvoiceLines | None = None


_OBJECTS: dict[str, type[_Object]] = {"checkout.session": _CheckoutSession, "invoice": _Invoice}


def message_of(event: Any) -> BillingEventMessage:
    """The hand-off message for a verified Stripe event (any API version); pydantic's
    ``ValidationError`` when ``event`` is not shaped as we read it."""
    envelope = _StripeEvent.model_validate(event)
    kind = envelope.data.object.get("object")
    model = _OBJECTS.get(kind, _Object) if isinstance(kind, str) else _Object
    # Validated, then read as plain data: every field below has the type it was checked for.
    obj: dict[str, Any] = model.model_validate(envelope.data.object).model_dump(exclude_none=True)
    metadata = obj.get("metadata") or {}
    tenant = metadata.get("tenant_id")
    subscription: str | None = None
    if kind == "subscription":
        subscription = obj.get("id")
    elif kind == "checkout.session":
        subscription = _id(obj.get("subscription"))
        tenant = obj.get("client_reference_id") or tenant
    elif kind == "invoice":
        subscription = subscription_id_of_invoice(obj)
        details = (
            obj.get("subscription_details") or (obj.get("parent") or {}).get("subscription_details") or {}
        )
        tenant = (details.get("metadata") or {}).get("tenant_id") or tenant
    return BillingEventMessage(
        event_id=envelope.id,
        type=envelope.type,
        created=envelope.created,
        api_version=envelope.api_version,
        livemode=envelope.livemode,
        customer_id=_id(obj.get("customer")),
        subscription_id=subscription,
        tenant_id=str(tenant) if tenant else None,
    )


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python reads them, Stripe never sends them


def receive_webhook(
    store: DocumentStore,
    bus: EventBus,
    settings: BillingSettings,
    payload: bytes,
    signature: str | None,
) -> WebhookReceipt:
    """Verify and record one webhook delivery; see the module docstring."""
    secret = settings.webhook_secret
    if not secret:
        raise BillingNotConfigured()
    from archbuilder.billing.stripe_gateway import verify_webhook

    tolerance_s = settings.stripe_webhook_tolerance_s
    try:
        verify_webhook(payload, signature, secret, tolerance_s=tolerance_s)
    except ValueError as exc:
        raise BadRequest(code="WEBHOOK_SIGNATURE_INVALID") from exc
    # Signed by Stripe, yet read as untrusted: whatever is not an event as we read it is a 400
    # with a stable code, never an exception (pydantic's ValidationError is a ValueError).
    try:
        message = message_of(json.loads(payload, parse_constant=_no_constant))
    except ValueError as exc:
        raise BadRequest(code="WEBHOOK_PAYLOAD_INVALID") from exc
    if message.created > time.time() + tolerance_s:
        raise BadRequest(code="WEBHOOK_PAYLOAD_INVALID")
    handled = message.type in HANDLED_EVENT_TYPES
    path = event_path(message.event_id)
    received = now()
    record = {
        "type": message.type,
        "created": message.created,
        "api_version": message.api_version,
        "livemode": message.livemode,
        "handled": handled,
        "received_at": format_timestamp(received),
        "expires_at": format_timestamp(received + timedelta(days=settings.billing_event_ttl_days)),
        "published_at": None,
        "processed_at": None,
    }
    try:
        store.create(path, record)
        duplicate = False
    except AlreadyExists:
        existing = store.get(path)
        if existing is None or existing.data.get("published_at") or not handled:
            return WebhookReceipt(message.event_id, duplicate=True, handled=handled)
        # Recorded but never handed off (a crash in between): hand it off now.
        duplicate = True
    if handled:
        bus.publish(
            BILLING_EVENTS_TOPIC,
            message.model_dump(),
            attributes={"stripe_event_id": message.event_id, "event_type": message.type},
            ordering_key=message.customer_id or message.tenant_id,
        )
        store.update(path, {"published_at": format_timestamp(now())})
    else:
        _log.info("stripe event not handled", extra=log_fields(event_type=message.type))
    return WebhookReceipt(message.event_id, duplicate=duplicate, handled=handled)


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None
