"""Cloud Function `privacy_worker` (Pub/Sub `privacy-jobs`): writes a tenant's data export."""

import functions_framework
from cloudevents.http import CloudEvent

from archbuilder.platform.event_function import handle_pubsub_event
from archbuilder.runtime import get_runtime
from archbuilder.services.privacy import PrivacyRequest, run_export


@functions_framework.cloud_event
def privacy_worker(event: CloudEvent) -> None:
    handle_pubsub_event(
        event, PrivacyRequest, lambda request: run_export(get_runtime(), request), function="privacy_worker"
    )
