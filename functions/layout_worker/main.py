"""Cloud Function `layout_worker` (Pub/Sub `layout-requests`, delivered as a CloudEvent)."""

import functions_framework
from cloudevents.http import CloudEvent

from archbuilder.platform.event_function import handle_pubsub_event
from archbuilder.runtime import get_runtime
from archbuilder.services.layout_jobs import expire_layout_job, run_layout_job
from archbuilder.services.layouts import LayoutRequest


@functions_framework.cloud_event
def layout_worker(event: CloudEvent) -> None:
    handle_pubsub_event(
        event,
        LayoutRequest,
        lambda request: run_layout_job(get_runtime(), request),
        function="layout_worker",
        on_expired=lambda request: expire_layout_job(get_runtime(), request),
    )
