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
from tests.conftest import TenantCredentials, make_tenant
from tests.contract.conftest import firestore_emulator  # noqa: F401 - the session fixture
from tests.faults.conftest import CapturingBus, deliver, function_client

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


def test_a_brief_refused_by_the_quota_leaves_no_job_behind(
    runtime: Runtime, client: FlaskClient, bus: CapturingBus
) -> None:
    """The job, the layout and the ledger record are one commit (``services/layouts``): a brief
    that lost the race for the last unit leaves no queued job that maintenance would run uncounted."""
    statuses, root = race_for_briefs(runtime, client)
    assert statuses[202] == FREE_LAYOUTS
    jobs = runtime.store.query(Query(f"{root}/jobs"))
    assert len(jobs) == FREE_LAYOUTS
    assert len(runtime.store.query(Query(f"{root}/projects/{jobs[0].data['project_id']}/layouts"))) == (
        FREE_LAYOUTS
    )
    # Every job kept is the source of exactly one ledger record, and no record pays for nothing.
    sources = sorted(r.data["source"] for r in runtime.store.query(Query(f"{root}/usage_ledger")))
    assert sources == sorted(j.id for j in jobs)


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
    # The emulator lets colliding transactions wait out its 30 s lock timeout (below): a
    # deadline past it, where the functions' 10 s would answer STORE_UNAVAILABLE.
    yield FirestoreDocumentStore(client, rpc_deadline_s=90.0)


@pytest.mark.slow
def test_the_quota_transaction_on_the_firestore_emulator(firestore_store: DocumentStore) -> None:
    """Three workers for the last two units. Small on purpose: the emulator resolves two
    transactions on one document by letting both wait for its 30 s lock timeout (production
    Firestore aborts one at once; firebase-tools issues 3969 and 6758), so each collision costs
    half a minute here. Hence ``slow``, run by ``make chaos``."""
    outcomes = race_for_the_quota(firestore_store, workers=3, records=4, used=FREE_LAYOUTS - 2)
    assert outcomes["counted"] == 2 and outcomes["gave up"] == 0, outcomes
    assert outcomes["PLAN_LIMIT_REACHED"] + outcomes["already counted"] == 3, outcomes


def generated_layouts(
    client: FlaskClient, bus: CapturingBus, tenant: TenantCredentials, count: int
) -> list[str]:
    """``count`` layouts of one project, each with its first version made (the layout worker's
    real entry point); their base URLs."""
    project = client.post("/v1/projects", json={"name": "Revisions"}, headers=tenant.headers).json["id"]
    bases = []
    for _ in range(count):
        accepted = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=tenant.headers)
        assert accepted.status_code == 202, accepted.json
        bases.append(f"/v1/projects/{project}/layouts/{accepted.json['layout_id']}")
    worker = function_client("layout_worker")
    for captured in bus.take():
        if captured.function == "layout_worker":
            assert deliver(worker, captured.event) == 200
    return bases


def test_concurrent_revisions_take_exactly_the_units_left_and_a_replay_takes_none(
    runtime: Runtime, client: FlaskClient, bus: CapturingBus
) -> None:
    """A free tenant with 8 of its 10 layouts used revises all 8 at once from 8 threads, each
    request sent twice at the same time with one Idempotency-Key (a client retrying). Exactly two
    revisions are accepted, each twin answers what its first answered, and a refused revision
    leaves no job, decision or changed layout behind (services/reviews: one commit)."""
    tenant = make_tenant(runtime, plan="free")
    bases = generated_layouts(client, bus, tenant, 8)
    root = f"tenants/{tenant.tenant_id}"
    before = {base: client.get(base, headers=tenant.headers).json for base in bases}
    assert {layout["status"] for layout in before.values()} == {"generated"}
    start = threading.Barrier(8)

    def revise(request: tuple[int, str]) -> tuple[str, int, str | None]:
        index, base = request
        if index < 8:
            start.wait(timeout=30)
        response = client.post(
            f"{base}/revise",
            json={"feedback": "bigger kitchen"},
            headers={**tenant.headers, "Idempotency-Key": f"revise-{base.rsplit('/', 1)[-1]}"},
        )
        job_id = (
            response.json.get("job_id") if response.status_code == 202 else response.json["error"]["code"]
        )
        return base, response.status_code, job_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        # Twins side by side: half the layouts' twins race each other from the barrier on.
        answers = list(pool.map(revise, enumerate(base for base in bases for _ in range(2))))
    by_layout: dict[str, set[tuple[int, str | None]]] = {}
    for base, status, outcome in answers:
        by_layout.setdefault(base, set()).add((status, outcome))
    assert all(len(outcomes) == 1 for outcomes in by_layout.values()), by_layout  # twins agree
    accepted = {base: next(iter(o))[1] for base, o in by_layout.items() if next(iter(o))[0] == 202}
    refused = {base: next(iter(o)) for base, o in by_layout.items() if next(iter(o))[0] != 202}
    assert len(accepted) == FREE_LAYOUTS - 8, by_layout
    assert set(refused.values()) == {(402, "PLAN_LIMIT_REACHED")}, by_layout

    # Counted once per accepted revision; the ledger pays for every job and nothing else.
    month = runtime.store.query(Query(f"{root}/usage"))[0]
    assert (month.data["layouts"], month.data["records"]) == (FREE_LAYOUTS, FREE_LAYOUTS)
    jobs = runtime.store.query(Query(f"{root}/jobs"))
    sources = sorted(r.data["source"] for r in runtime.store.query(Query(f"{root}/usage_ledger")))
    assert sources == sorted(j.id for j in jobs) and len(jobs) == FREE_LAYOUTS
    assert {j.id for j in jobs if j.data["version"] == 2} == set(accepted.values())
    for base in bases:
        path = f"tenants/{tenant.tenant_id}{base.removeprefix('/v1')}"
        decisions = [d.data["decision"] for d in runtime.store.query(Query(f"{path}/decisions"))]
        layout = runtime.store.get(path)
        assert layout is not None
        if base in accepted:
            assert decisions == ["revision_requested"] and layout.data["job_id"] == accepted[base]
        else:  # as it was: no decision, its first job, not generating
            assert decisions == [] and layout.data["job_id"] == before[base]["job_id"]
            assert layout.data["status"] == "generated"
    requests = [c for c in bus.take() if c.function == "layout_worker"]
    assert {c.event.data["message"]["attributes"]["job_id"] for c in requests} == set(accepted.values())

    # Sent again later, an accepted revision answers its job and counts nothing.
    base, job_id = next(iter(accepted.items()))
    again = client.post(
        f"{base}/revise",
        json={"feedback": "bigger kitchen"},
        headers={**tenant.headers, "Idempotency-Key": f"revise-{base.rsplit('/', 1)[-1]}"},
    )
    assert (again.status_code, again.json["job_id"]) == (202, job_id)
    assert client.get("/v1/usage", headers=tenant.headers).json["totals"]["layouts"] == FREE_LAYOUTS
    # The same key with another body is a conflict, not a second revision.
    other = client.post(
        f"{base}/revise",
        json={"feedback": "smaller hall"},
        headers={**tenant.headers, "Idempotency-Key": f"revise-{base.rsplit('/', 1)[-1]}"},
    )
    assert (other.status_code, other.json["error"]["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")

    # The accepted revisions run to their second version.
    worker = function_client("layout_worker")
    for captured in [*requests, *bus.take()]:  # with the replay's (its job had not started)
        if captured.function == "layout_worker":
            assert deliver(worker, captured.event) == 200
    for base, job_id in accepted.items():
        assert client.get(f"/v1/jobs/{job_id}", headers=tenant.headers).json["status"] == "succeeded"
        assert client.get(base, headers=tenant.headers).json["latest_version"] == 2
