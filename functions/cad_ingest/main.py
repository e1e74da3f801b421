"""Cloud Function `cad_ingest` (Storage `object.finalized` on the uploads bucket, as a CloudEvent).

The bucket holds CAD files (``tenants/{t}/projects/{p}/uploads/…``) and regulation documents
(``tenants/{t}/regulations/uploads/…``); each goes to its own ingest, by its object name. An
object in neither layout is logged and ignored (``services/cad_ingest.ingest_object``)."""

import functions_framework
from cloudevents.http import CloudEvent

from archbuilder.platform.event_function import handle_storage_event
from archbuilder.platform.events import StorageObject
from archbuilder.runtime import get_runtime
from archbuilder.services.cad_ingest import ingest_object
from archbuilder.services.regulation_uploads import ingest_upload, is_regulation_upload


def _ingest(obj: StorageObject) -> object:
    runtime = get_runtime()
    if is_regulation_upload(obj.name):
        return ingest_upload(runtime, obj)
    return ingest_object(runtime, obj)


@functions_framework.cloud_event
def cad_ingest(event: CloudEvent) -> None:
    handle_storage_event(event, _ingest, function="cad_ingest")
