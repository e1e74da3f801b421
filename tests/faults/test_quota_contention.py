"""Many workers on one tenant's quota at once: the quota is exact and no update is lost.

On the embedded store through the API (24 briefs from 8 threads for a free plan's 10 layouts a
month), and on the Firestore emulator through the quota service itself (the transaction the
API, the workers and the compliance route all go through), with a retried record mixed in.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient

from archbuilder.billing.quotas import consume_quota
from archbuilder.billing.usage_ledger import new_usage_record
from archbuilder.domain.common import CodeRegion, DataRegion, Language
from archbuilder.platform.errors import ArchBuilderError, Contention
from archbuilder.ports import DocumentStore, Query
from archbuilder.runtime import Runtime
from archbuilder.services.identity import create_tenant
from tests.conftest import make_tenant
from tests.contract.conftest import firestore_emulator  # noqa: F401 - the session fixture
from tests.faults.conftest import CapturingBus

BRIEF = {
    "building_type": "apartment",
    "footprint": {"width_mm": 10000, "depth_mm": 8000},
    "rooms": [{"type": "living_room"}, {"type": "kitchen"}, {"type": "bedroom"}, {"type": "bathroom"}],
}
FREE_LAYOUTS = 10


def race_for_briefs(runtime: Runtime, client: FlaskClient) -> tuple[Counter[int], str]:
    """24 briefs from 8 threads for a free tenant; the answers' statuses and the tenant's root."""
    tenant = make_tenant(runtime, plan="free")
    project = client.post("/v1/projects", json={"name": "Race"}, headers=tenant.headers).json["id"]
    start = threading.Barrier(8)

    def submit(n: int) -> int:
        if n < 8:
            start.wait(timeout=10)
        response = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=tenant.headers)
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = Counter(pool.map(submit, range(24)))
    return statuses, f"tenants/{tenant.tenant_id}"


def test_concurrent_briefs_take_exactly_the_free_quota(
    runtime: Runtime, client: FlaskClient, bus: CapturingBus
) -> None:
    statuses, root = race_for_briefs(runtime, client)
    assert statuses == {202: FREE_LAYOUTS, 402: 24 - FREE_LAYOUTS}, statuses
    assert len(runtime.store.query(Query(f"{root}/usage_ledger"))) == FREE_LAYOUTS
    (month,) = runtime.store.query(Query(f"{root}/usage"))
    assert (month.data["layouts"], month.data["records"]) == (FREE_LAYOUTS, FREE_LAYOUTS)
    # Exactly one request published per accepted brief (the refused ones publish nothing).
    assert len([c for c in bus.take() if c.function == "layout_worker"]) == FREE_LAYOUTS


@pytest.mark.xfail(
    reason="services/layouts.submit_layout writes the job and the layout before consume_quota "
    "refuses a brief that lost the race for the last unit: a queued job nobody counted is left, "
    "which maintenance requeues after 10 minutes (reported; layouts.py is another engineer's)",
    strict=False,
)
def test_a_brief_refused_by_the_quota_leaves_no_job_behind(
    runtime: Runtime, client: FlaskClient, bus: CapturingBus
) -> None:
    statuses, root = race_for_briefs(runtime, client)
    assert statuses[202] == FREE_LAYOUTS
    assert len(runtime.store.query(Query(f"{root}/jobs"))) == FREE_LAYOUTS


def race_for_the_quota(
    store: DocumentStore, workers: int = 8, records: int = 16, used: int = 0
) -> Counter[str]:
    """``records`` layout records (one of them sent twice, as a retried job would) from
    ``workers`` threads for a free tenant that has ``used`` layouts already; what each
    consume answered."""
    tenant, _ = create_tenant(
        store,
        name="Contention",
        data_region=DataRegion.eu,
        code_region=CodeRegion.DE,
        language=Language.de,
        plan="free",
    )
    for n in range(used):
        consume_quota(store, new_usage_record(tenant.id, "layout", 1, source=f"earlier_{n}"))
    sources = [f"job_{n}" for n in range(records)] + ["job_0"]
    start = threading.Barrier(workers)

    def consume(source: str) -> str:
        record = new_usage_record(tenant.id, "layout", 1, source=source)
        for _ in range(20):  # a transaction that keeps losing is redelivered, as Pub/Sub would
            try:
                return "counted" if consume_quota(store, record) else "already counted"
            except Contention:
                continue
            except ArchBuilderError as exc:
                return exc.code
        return "gave up"

    def first_wait(index_source: tuple[int, str]) -> str:
        index, source = index_source
        if index < workers:
            start.wait(timeout=30)
        return consume(source)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = Counter(pool.map(first_wait, enumerate(sources)))
    root = f"tenants/{tenant.id}"
    ledger = store.query(Query(f"{root}/usage_ledger"))
    month = store.query(Query(f"{root}/usage"))
    assert len(ledger) == FREE_LAYOUTS, outcomes
    assert month[0].data["layouts"] == FREE_LAYOUTS and month[0].data["records"] == FREE_LAYOUTS
    return outcomes


def test_the_quota_transaction_on_the_embedded_store(runtime: Runtime) -> None:
    outcomes = race_for_the_quota(runtime.store)
    assert outcomes["counted"] == FREE_LAYOUTS and outcomes["gave up"] == 0, outcomes
    assert outcomes["PLAN_LIMIT_REACHED"] + outcomes["already counted"] == 17 - FREE_LAYOUTS


@pytest.fixture
def firestore_store(firestore_emulator: object) -> Iterator[DocumentStore]:  # noqa: F811
    import uuid

    from google.cloud import firestore

    from archbuilder.adapters.gcp.firestore_store import FirestoreDocumentStore

    client = firestore.Client(project="demo-archbuilder", database=f"faults-{uuid.uuid4().hex[:12]}")
    yield FirestoreDocumentStore(client)


@pytest.mark.slow
def test_the_quota_transaction_on_the_firestore_emulator(firestore_store: DocumentStore) -> None:
    """Three workers for the last two units. Small on purpose: the emulator resolves two
    transactions on one document by letting both wait for its 30 s lock timeout (production
    Firestore aborts one at once; firebase-tools issues 3969 and 6758), so each collision costs
    half a minute here. Hence ``slow``, run by ``make chaos``."""
    outcomes = race_for_the_quota(firestore_store, workers=3, records=4, used=FREE_LAYOUTS - 2)
    assert outcomes["counted"] == 2 and outcomes["gave up"] == 0, outcomes
    assert outcomes["PLAN_LIMIT_REACHED"] + outcomes["already counted"] == 3, outcomes
