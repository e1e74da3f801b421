"""Cloud Function `billing_usage_worker` (Pub/Sub `usage-events`): ledger records → Stripe meter events.

The usage half of the billing worker; one function per topic, as each has its own trigger.
"""

import functions_framework
from cloudevents.http import CloudEvent
from pydantic import BaseModel

from archbuilder.billing.gateway import billing_for
from archbuilder.billing.meter import MeterRun, send_pending_usage
from archbuilder.platform.event_function import handle_pubsub_event
from archbuilder.runtime import get_runtime


class UsageMessage(BaseModel):
    tenant_id: str


def _send(message: UsageMessage) -> MeterRun:
    runtime = get_runtime()
    _, gateway = billing_for(runtime)
    return send_pending_usage(runtime.store, gateway, message.tenant_id)


@functions_framework.cloud_event
def billing_usage_worker(event: CloudEvent) -> None:
    handle_pubsub_event(event, UsageMessage, _send, function="billing_usage_worker")
