"""Cloud Function `maintenance` (Pub/Sub `maintenance`, published by Cloud Scheduler every minute)."""

import functions_framework
from cloudevents.http import CloudEvent
from pydantic import BaseModel

from archbuilder.platform.event_function import handle_pubsub_event
from archbuilder.runtime import get_runtime
from archbuilder.services.maintenance import run_maintenance


class Tick(BaseModel):
    """The scheduler's message; its content does not matter."""


@functions_framework.cloud_event
def maintenance(event: CloudEvent) -> None:
    handle_pubsub_event(event, Tick, lambda _: run_maintenance(get_runtime()), function="maintenance")
