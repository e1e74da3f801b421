"""Cloud Function `webhook_dispatcher` (Pub/Sub `webhook-deliveries`): sends one webhook delivery."""

import functions_framework
from cloudevents.http import CloudEvent

from archbuilder.platform.event_function import handle_pubsub_event
from archbuilder.runtime import get_runtime
from archbuilder.services.webhooks import DeliveryRequest, attempt


@functions_framework.cloud_event
def webhook_dispatcher(event: CloudEvent) -> None:
    # A failed send is recorded with its next attempt time (maintenance sends it), so the
    # event itself is acknowledged: Pub/Sub redelivery would not respect the backoff.
    handle_pubsub_event(
        event,
        DeliveryRequest,
        lambda request: attempt(get_runtime(), request.tenant_id, request.delivery_id),
        function="webhook_dispatcher",
    )
