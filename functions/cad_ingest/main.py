"""Cloud Function `cad_ingest` (Storage `object.finalized` on the uploads bucket, as a CloudEvent)."""

import functions_framework
from cloudevents.http import CloudEvent

from archbuilder.platform.event_function import handle_storage_event
from archbuilder.runtime import get_runtime
from archbuilder.services.cad_ingest import ingest_object


@functions_framework.cloud_event
def cad_ingest(event: CloudEvent) -> None:
    handle_storage_event(event, lambda obj: ingest_object(get_runtime(), obj), function="cad_ingest")
