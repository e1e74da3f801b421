"""Every Pub/Sub and Storage event delivered twice, out of order and partly at the same time:
one version, one model, one usage record per unit of work and one Stripe meter event per record.

A layout brief and a DXF upload go through the API; every event that follows (layout-requests,
the uploads bucket's finalize notification, usage-events, webhook deliveries, whatever a handler
publishes in turn) is kept, doubled, shuffled and pushed to the real function entry points by
four threads at once, round after round until no handler publishes anything new.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.billing.fake_stripe import FakeStripe
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from tests.conftest import SHARED_DATA, TenantCredentials
from tests.faults.conftest import Captured, CapturingBus, deliver, function_client

DXF = SHARED_DATA / "dxf" / "barcelona_plan_R2013.dxf"
BRIEF = {
    "building_type": "apartment",
    "footprint": {"width_mm": 12000, "depth_mm": 9000},
    "entrance": {"side": "south"},
    "rooms": [
        {"type": "living_room"},
        {"type": "kitchen"},
        {"type": "bedroom", "count": 2},
        {"type": "bathroom"},
    ],
}
MAX_ROUNDS = 6


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        monkeypatch.setenv("STRIPE_API_KEY", "sk_test_faults")
        monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_faults")
        monkeypatch.setenv("STRIPE_API_BASE", server.url)
        yield server


def deliver_twice_out_of_order(bus: CapturingBus, seed: int) -> list[str]:
    """Push every kept event twice, shuffled, four at a time, until nothing new is published."""
    shuffle = random.Random(seed)
    clients: dict[str, FlaskClient] = {}
    delivered: list[str] = []
    for _ in range(MAX_ROUNDS):
        events = bus.take()
        if not events:
            return delivered
        pushes: list[Captured] = [*events, *events]
        shuffle.shuffle(pushes)
        for captured in pushes:
            clients.setdefault(captured.function, function_client(captured.function))

        def push(captured: Captured) -> tuple[str, int]:
            return captured.function, deliver(clients[captured.function], captured.event)

        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(push, pushes))
        assert [a for a in answers if a[1] != 200] == [], answers
        delivered += [function for function, _ in answers]
    raise AssertionError(f"handlers still publishing after {MAX_ROUNDS} rounds")


def upload_dxf(client: FlaskClient, tenant: TenantCredentials, project: str) -> dict[str, Any]:
    """Ask for an upload of the shared DXF and PUT the file to its URL; the upload's answer."""
    data = DXF.read_bytes()
    upload: dict[str, Any] = client.post(
        f"/v1/projects/{project}/uploads",
        json={
            "filename": DXF.name,
            "size_bytes": len(data),
            "content_type": "application/octet-stream",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        headers=tenant.headers,
    ).json
    path = upload["upload_url"].split("://", 1)[-1].split("/", 1)[1]
    assert client.put("/" + path, data=data, headers=upload["headers"]).status_code == 200
    return upload


@pytest.mark.parametrize("seed", [1, 2])
def test_each_event_twice_and_out_of_order_does_each_thing_once(
    runtime: Runtime,
    tenant: TenantCredentials,
    client: FlaskClient,
    bus: CapturingBus,
    stripe: FakeStripe,
    seed: int,
) -> None:
    runtime.store.update(f"tenants/{tenant.tenant_id}", {"stripe_customer_id": "cus_faults"})
    project = client.post("/v1/projects", json={"name": "Twice"}, headers=tenant.headers).json["id"]
    accepted = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=tenant.headers)
    assert accepted.status_code == 202, accepted.json
    upload = upload_dxf(client, tenant, project)

    delivered = deliver_twice_out_of_order(bus, seed)
    assert {"layout_worker", "cad_ingest", "billing_usage_worker"} <= set(delivered)

    root = f"tenants/{tenant.tenant_id}"
    layout = f"{root}/projects/{project}/layouts/{accepted.json['layout_id']}"
    assert [v.id for v in runtime.store.query(Query(f"{layout}/versions"))] == ["1"]
    job = client.get(f"/v1/jobs/{accepted.json['job_id']}", headers=tenant.headers).json
    assert (job["status"], job["attempts"]) == ("succeeded", 1)

    models = runtime.store.query(Query(f"{root}/projects/{project}/models"))
    assert [(m.id, m.data["status"]) for m in models] == [(upload["model_id"], "ready")]
    ingest = client.get(f"/v1/jobs/{upload['job_id']}", headers=tenant.headers).json
    assert (ingest["status"], ingest["attempts"]) == ("succeeded", 1)

    records = runtime.store.query(Query(f"{root}/usage_ledger"))
    assert sorted(r.data["kind"] for r in records) == ["cad_upload", "layout"]
    assert {r.data["meter_status"] for r in records} == {"sent"}
    (counters,) = runtime.store.query(Query(f"{root}/usage"))
    assert (counters.data["layouts"], counters.data["cad_uploads"], counters.data["records"]) == (1, 1, 2)
    # One meter event per record, and Stripe asked once per record (not only deduplicated there).
    assert sorted(stripe.meter_events) == sorted(r.id for r in records)
    assert stripe.meter_receipts == len(records)


def test_a_tenant_that_only_uploads_is_metered_once_the_file_has_come(
    runtime: Runtime,
    tenant: TenantCredentials,
    client: FlaskClient,
    bus: CapturingBus,
    stripe: FakeStripe,
) -> None:
    # No brief and no check to carry the upload's record to Stripe: the file's arrival does.
    runtime.store.update(f"tenants/{tenant.tenant_id}", {"stripe_customer_id": "cus_uploads"})
    project = client.post("/v1/projects", json={"name": "Uploads"}, headers=tenant.headers).json["id"]
    upload_dxf(client, tenant, project)

    delivered = deliver_twice_out_of_order(bus, seed=3)
    assert {"cad_ingest", "billing_usage_worker"} <= set(delivered)
    (record,) = runtime.store.query(Query(f"tenants/{tenant.tenant_id}/usage_ledger"))
    assert (record.data["kind"], record.data["meter_status"]) == ("cad_upload", "sent")
    assert sorted(stripe.meter_events) == [record.id] and stripe.meter_receipts == 1
