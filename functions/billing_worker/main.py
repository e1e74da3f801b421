"""Cloud Function `billing_worker` (Pub/Sub `billing-events`): keeps each tenant's plan true to Stripe."""

import functions_framework
from cloudevents.http import CloudEvent

from archbuilder.billing.gateway import billing_for
from archbuilder.billing.stripe_events import apply_stripe_event
from archbuilder.billing.webhook import BillingEventMessage
from archbuilder.platform.event_function import handle_pubsub_event
from archbuilder.runtime import get_runtime


def _apply(message: BillingEventMessage) -> str:
    runtime = get_runtime()
    settings, gateway = billing_for(runtime)
    return apply_stripe_event(runtime.store, gateway, message, grace_days=settings.billing_grace_days)


@functions_framework.cloud_event
def billing_worker(event: CloudEvent) -> None:
    handle_pubsub_event(event, BillingEventMessage, _apply, function="billing_worker")
