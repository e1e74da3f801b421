"""Real IFC files through the upload path (issue 17): the model served marks its entrance doors,
read from the file or, when the file does not say, found on the outline by the ingestion step;
storey elevations come without float noise."""

from __future__ import annotations

from flask.testing import FlaskClient

from archbuilder.runtime import Runtime
from tests.conftest import SHARED_DATA, TenantCredentials
from tests.functional.test_ingest_shared_data import ingest


def test_served_models_mark_their_entrances(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    path = SHARED_DATA / "ifc" / "duplex_apartment_IFC2X3.ifc"
    _, duplex = ingest(client, runtime, tenant, path, path.name)
    assert duplex["status"] == "ready", duplex.get("error")
    assert sum(d["is_entrance"] for d in duplex["doors"]) == 4
    assert sorted(lv["elevation_mm"] for lv in duplex["levels"]) == [-1250.0, 0.0, 3100.0, 6000.0]

    # House.ifc says nothing about its doors: the ingestion step finds six on the outline.
    path = SHARED_DATA / "ifc" / "xbim_House_IFC2X3.ifc"
    _, house = ingest(client, runtime, tenant, path, path.name)
    assert house["status"] == "ready", house.get("error")
    assert sum(d["is_entrance"] for d in house["doors"]) == 6
