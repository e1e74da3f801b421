"""The layout lifecycle's transactions on the Firestore emulator, through the real app and worker.

Briefs, revisions and human corrections each commit in one transaction (the job, the layout, the
decision, the idempotency record and the ledger record together; a correction's number reserved on
the layout). Until now those ran on the embedded store only. Firestore's transactions are not
SQLite's: they lock what they read, a commit that loses is aborted and the transaction function
runs again, and only documents (no queries) are read in them. Here the runtime's document store is
the Firestore adapter on the emulator (with the declared indexes enforced; blobs stay a local
folder, events a capturing bus): real HTTP requests go to the real app, and the captured
CloudEvents are delivered to the real ``functions/layout_worker`` entry point.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.platform.settings import Settings
from archbuilder.ports import DocumentStore, Query
from archbuilder.runtime import Runtime, set_runtime, with_credential_cache
from tests.conftest import TenantCredentials, make_tenant
from tests.contract.conftest import PROJECT
from tests.faults.conftest import CapturingBus, deliver, function_client
from tests.functional.test_api_layouts import BRIEF

# Past the emulator's lock timeout, which two colliding transactions wait out (30 s in
# tests/faults/test_quota_contention.py's account, about 2 s measured on emulator 1.19.9); the
# functions' 10 s could answer STORE_UNAVAILABLE.
RPC_DEADLINE_S = 90.0
SIGNING_KEY = b"layout-transactions-signing-key"
FREE_LAYOUTS = 10


@dataclass
class Emulated:
    """A runtime whose document store is the Firestore adapter on the emulator, and its app."""

    runtime: Runtime
    client: FlaskClient
    bus: CapturingBus

    @property
    def store(self) -> DocumentStore:
        return self.runtime.store


@pytest.fixture
def emulated(settings: Settings, firestore_emulator: object) -> Iterator[Emulated]:
    """The functions' runtime as ``build_runtime`` assembles it (credential cache, counted store),
    on a fresh named database of the emulator; set process-wide for the app and the worker."""
    from google.cloud import firestore

    from archbuilder.adapters.gcp.firestore_store import FirestoreDocumentStore
    from archbuilder.adapters.gcp.indexes import IndexCatalog
    from archbuilder.adapters.gcp.runtime import INDEXES_PATH
    from archbuilder.adapters.local.env_secrets import EnvironmentSecrets
    from archbuilder.adapters.local.file_blobs import FolderBlobStore
    from archbuilder.adapters.local.local_claims import LocalClaims
    from archbuilder.devserver import create_app
    from archbuilder.layout.planner import SpinePlanner
    from archbuilder.platform.store_counts import CountingDocumentStore

    # A fresh named database per test: the emulator creates it on first use.
    fs_client = firestore.Client(project=PROJECT, database=f"layouts-{uuid.uuid4().hex[:12]}")
    # Strict indexes, as `make run-emulated` has them: a query Firestore would refuse fails here too.
    store = FirestoreDocumentStore(
        fs_client, indexes=IndexCatalog.load(INDEXES_PATH), rpc_deadline_s=RPC_DEADLINE_S
    )
    bus = CapturingBus()
    buckets = settings.data_dir / "buckets"
    runtime = with_credential_cache(
        Runtime(
            settings=settings,
            store=store,
            blobs=FolderBlobStore(buckets / "artifacts", bucket="artifacts"),
            uploads=FolderBlobStore(
                buckets / "uploads", bucket="uploads", on_finalized=bus.finalized, signing_key=SIGNING_KEY
            ),
            bus=bus,
            secrets=EnvironmentSecrets(),
            planner=SpinePlanner(),
            claims=LocalClaims(store, SIGNING_KEY),
        )
    )
    runtime.store = CountingDocumentStore(runtime.store)
    set_runtime(runtime)
    try:
        yield Emulated(runtime, create_app().test_client(), bus)
    finally:
        set_runtime(None)
        fs_client.close()  # type: ignore[no-untyped-call]


# -- helpers: the public interface ---------------------------------------------------------


def post(
    env: Emulated, path: str, tenant: TenantCredentials, body: dict[str, Any], *, key: str | None = None
) -> tuple[int, Any]:
    """``POST path`` with the tenant's API key (and an ``Idempotency-Key``): (status, JSON body)."""
    headers = tenant.headers | ({"Idempotency-Key": key} if key else {})
    answer = env.client.post(path, json=body, headers=headers)
    return answer.status_code, json.loads(answer.data)


def get(env: Emulated, path: str, tenant: TenantCredentials) -> Any:
    answer = env.client.get(path, headers=tenant.headers)
    body = json.loads(answer.data)
    assert answer.status_code == 200, (path, body)
    return body


def new_project(env: Emulated, tenant: TenantCredentials) -> str:
    status, body = post(env, "/v1/projects", tenant, {"name": "Firestore"})
    assert status == 201, body
    return str(body["id"])


def submit(env: Emulated, tenant: TenantCredentials, project: str, *, key: str | None = None) -> Any:
    """A brief accepted (202): its answer."""
    status, body = post(env, f"/v1/projects/{project}/layouts", tenant, BRIEF, key=key)
    assert status == 202, body
    return body


def revise(
    env: Emulated, tenant: TenantCredentials, base: str, feedback: str, *, key: str | None = None
) -> tuple[int, Any]:
    return post(env, f"{base}/revise", tenant, {"feedback": feedback}, key=key)


def correct(env: Emulated, tenant: TenantCredentials, base: str, version: int, name: str) -> tuple[int, Any]:
    """A human correction of ``version``: its kitchen renamed (``POST …/review`` with corrections)."""
    payload = get(env, f"{base}/versions/{version}", tenant)["payload"]
    kitchen = next(r for r in payload["rooms"] if r["type"] == "kitchen")
    return post(
        env,
        f"{base}/review",
        tenant,
        {"version": version, "corrections": [{"op": "rename_room", "room_id": kitchen["id"], "name": name}]},
    )


def run_layout_jobs(env: Emulated) -> list[str]:
    """Deliver every captured ``layout-requests`` event to the real layout_worker entry point, in
    order; the job ids delivered. Every other event captured (usage, webhooks) is dropped."""
    worker = function_client("layout_worker")
    delivered = []
    for captured in env.bus.take():
        if captured.function == "layout_worker":
            attributes = captured.event.data["message"]["attributes"]
            assert deliver(worker, captured.event) == 200, attributes
            delivered.append(str(attributes["job_id"]))
    return delivered


def generated_layout(env: Emulated, tenant: TenantCredentials, project: str) -> tuple[str, str]:
    """A layout planned from BRIEF, its first version made by the worker: (its URL, the brief's job)."""
    accepted = submit(env, tenant, project)
    assert run_layout_jobs(env) == [accepted["job_id"]]
    base = f"/v1/projects/{project}/layouts/{accepted['layout_id']}"
    assert get(env, base, tenant)["latest_version"] == 1
    return base, str(accepted["job_id"])


def version_numbers(env: Emulated, tenant: TenantCredentials, base: str) -> list[int]:
    """The layout's versions as ``GET …/layouts/{id}`` lists them (one per stored document)."""
    return [v["version"] for v in get(env, base, tenant)["versions"]]


def usage(env: Emulated, tenant: TenantCredentials) -> tuple[int, int]:
    """This month's (layouts, ledger records) as ``GET /v1/usage`` counts them."""
    totals = get(env, "/v1/usage", tenant)["totals"]
    return totals["layouts"], totals["records"]


def ledger_sources(env: Emulated, tenant: TenantCredentials) -> list[str]:
    """What each ledger record pays for (a job id), as stored."""
    rows = env.store.query(Query(f"tenants/{tenant.tenant_id}/usage_ledger"))
    return sorted(r.data["source"] for r in rows)


def job_ids(env: Emulated, tenant: TenantCredentials) -> list[str]:
    return sorted(j.id for j in env.store.query(Query(f"tenants/{tenant.tenant_id}/jobs")))


# -- the lifecycle ---------------------------------------------------------------------------


def test_a_brief_and_its_replay_are_one_job_counted_once(emulated: Emulated) -> None:
    env = emulated
    tenant = make_tenant(env.runtime)
    project = new_project(env, tenant)

    first = submit(env, tenant, project, key="brief-1")
    again = submit(env, tenant, project, key="brief-1")
    assert (again["job_id"], again["layout_id"]) == (first["job_id"], first["layout_id"])
    job_id, layout_id = first["job_id"], first["layout_id"]
    # The replay wrote nothing: one job, one layout (each transaction read its key first).
    assert job_ids(env, tenant) == [job_id]
    layouts = env.store.query(Query(f"tenants/{tenant.tenant_id}/projects/{project}/layouts"))
    assert [r.id for r in layouts] == [layout_id]

    # The replay published the still-queued job again: the worker runs it once.
    delivered = run_layout_jobs(env)
    assert set(delivered) == {job_id}, delivered
    job = get(env, f"/v1/jobs/{job_id}", tenant)
    assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    base = f"/v1/projects/{project}/layouts/{layout_id}"
    assert version_numbers(env, tenant, base) == [1]
    v1 = get(env, f"{base}/versions/1", tenant)
    assert v1["version"] == 1 and v1["parent_version"] is None
    assert get(env, base, tenant)["latest_version"] == 1

    assert usage(env, tenant) == (1, 1)
    assert ledger_sources(env, tenant) == [job_id]


def test_a_revision_and_its_replay_are_one_job_making_version_2(emulated: Emulated) -> None:
    env = emulated
    tenant = make_tenant(env.runtime)
    base, brief_job = generated_layout(env, tenant, new_project(env, tenant))

    status, first = revise(env, tenant, base, "make the kitchen bigger", key="revise-1")
    assert status == 202, first
    assert first["new_version"] == 2 and first["layout"]["status"] == "generating"
    status, again = revise(env, tenant, base, "make the kitchen bigger", key="revise-1")
    assert status == 202, again
    assert (again["job_id"], again["new_version"]) == (first["job_id"], 2)
    job_id = first["job_id"]
    assert job_ids(env, tenant) == sorted([brief_job, job_id])  # the replay made no job

    delivered = run_layout_jobs(env)
    assert set(delivered) == {job_id}, delivered
    job = get(env, f"/v1/jobs/{job_id}", tenant)
    assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    v2 = get(env, f"{base}/versions/2", tenant)
    assert v2["parent_version"] == 1 and v2["metadata"]["feedback"] == "make the kitchen bigger"
    assert version_numbers(env, tenant, base) == [1, 2]
    assert get(env, base, tenant)["latest_version"] == 2

    decisions = get(env, f"{base}/decisions", tenant)["items"]
    assert [(d["decision"], d["version"], d["new_version"]) for d in decisions] == [
        ("revision_requested", 1, 2)
    ]
    assert usage(env, tenant) == (2, 2)
    assert ledger_sources(env, tenant) == sorted([brief_job, job_id])


def test_a_correction_and_the_revisions_around_it_never_share_a_version_number(
    emulated: Emulated,
) -> None:
    """Revision → 2, correction → 3 (reserved on the layout in its own transaction), revision → 4:
    each version a document of its own, made by whom it says."""
    env = emulated
    tenant = make_tenant(env.runtime)  # professional: the review workflow, for corrections
    base, _ = generated_layout(env, tenant, new_project(env, tenant))
    status, revised = revise(env, tenant, base, "make the kitchen bigger", key="revise-2")
    assert status == 202 and revised["new_version"] == 2, revised
    assert run_layout_jobs(env) == [revised["job_id"]]

    status, corrected = correct(env, tenant, base, 2, "Açık Mutfak")
    assert status == 201, corrected
    assert corrected["new_version"] == 3, corrected
    v3 = get(env, f"{base}/versions/3", tenant)
    assert (v3["source"], v3["parent_version"]) == ("correction", 2)
    assert "Açık Mutfak" in [r["name"] for r in v3["payload"]["rooms"]]

    status, later = revise(env, tenant, base, "yatak odaları girişten uzak olsun", key="revise-3")
    assert status == 202, later
    assert later["new_version"] == 4, later
    assert run_layout_jobs(env) == [later["job_id"]]
    assert get(env, f"/v1/jobs/{later['job_id']}", tenant)["status"] == "succeeded"

    # Four documents, four numbers: a job that found its number taken would have "succeeded" on
    # the correction's version (create-if-absent) and left three.
    assert version_numbers(env, tenant, base) == [1, 2, 3, 4]
    v4 = get(env, f"{base}/versions/4", tenant)
    assert v4["parent_version"] == 3 and v4["source"] != "correction"
    assert v4["metadata"]["feedback"] == "yatak odaları girişten uzak olsun"
    assert get(env, f"{base}/versions/3", tenant)["source"] == "correction"  # not overwritten
    assert get(env, base, tenant)["latest_version"] == 4

    decisions = get(env, f"{base}/decisions", tenant)["items"]
    assert [(d["decision"], d["new_version"]) for d in decisions] == [
        ("revision_requested", 2),
        ("corrected", 3),
        ("revision_requested", 4),
    ]
    # Corrections are not planned: three layouts counted (the brief and two revisions).
    assert usage(env, tenant) == (3, 3)


def test_a_correction_during_a_revision_takes_the_number_after_the_revisions(
    emulated: Emulated,
) -> None:
    """The revision's job is queued for version 2 when the correction comes: the correction reads
    the job in its transaction and takes 3; the job then stores 2, and the next revision takes 4."""
    env = emulated
    tenant = make_tenant(env.runtime)
    base, _ = generated_layout(env, tenant, new_project(env, tenant))
    status, revised = revise(env, tenant, base, "make the kitchen bigger")
    assert status == 202 and revised["new_version"] == 2, revised

    status, corrected = correct(env, tenant, base, 1, "Mutfak")
    assert status == 201, corrected
    assert corrected["new_version"] == 3, corrected

    assert run_layout_jobs(env) == [revised["job_id"]]
    assert get(env, f"/v1/jobs/{revised['job_id']}", tenant)["status"] == "succeeded"
    v2, v3 = (get(env, f"{base}/versions/{n}", tenant) for n in (2, 3))
    assert v2["source"] != "correction" and v2["parent_version"] == 1
    assert v2["metadata"]["feedback"] == "make the kitchen bigger"
    assert (v3["source"], v3["parent_version"]) == ("correction", 1)

    status, later = revise(env, tenant, base, "yatak odaları girişten uzak olsun")
    assert status == 202 and later["new_version"] == 4, later
    assert run_layout_jobs(env) == [later["job_id"]]
    assert version_numbers(env, tenant, base) == [1, 2, 3, 4]
    assert get(env, base, tenant)["latest_version"] == 4


@pytest.mark.slow
def test_two_revisions_for_the_last_unit_one_is_accepted_the_other_leaves_nothing(
    emulated: Emulated,
) -> None:
    """A free tenant with 9 of its 10 layouts used revises two layouts at once: exactly one is
    accepted, and the refused one leaves no job, decision, ledger record or idempotency record.

    Both requests' transactions read, then write, the tenant's rate-limit bucket and the month's
    counters, so they collide: the emulator aborts one after its lock timeout ("Transaction lock
    timeout", about 2 s a collision on emulator 1.19.9; 30 s on the versions
    tests/faults/test_quota_contention.py describes) and the adapter runs it again. Hence
    ``slow`` and the generous ``RPC_DEADLINE_S``."""
    env = emulated
    tenant = make_tenant(env.runtime, plan="free")
    project = new_project(env, tenant)
    bases = [generated_layout(env, tenant, project)[0] for _ in range(2)]
    for _ in range(FREE_LAYOUTS - 3):  # 9 used: the two layouts and seven briefs left queued
        submit(env, tenant, project)
    env.bus.take()
    assert usage(env, tenant) == (FREE_LAYOUTS - 1, FREE_LAYOUTS - 1)
    jobs_before = job_ids(env, tenant)
    before = {base: get(env, base, tenant) for base in bases}
    start = threading.Barrier(2)

    def send(base: str) -> tuple[str, int, Any]:
        start.wait(timeout=30)
        return (base, *revise(env, tenant, base, "make the kitchen bigger", key=f"last-{base[-20:]}"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(send, bases))
    assert sorted(status for _, status, _ in answers) == [202, 402], answers
    (won, _, accepted), (lost, _, refused) = sorted(answers, key=lambda a: a[1])
    assert accepted["new_version"] == 2
    assert refused["error"]["code"] == "PLAN_LIMIT_REACHED", refused

    # One job more, the accepted one's; counted once; the ledger pays for every job and no other.
    assert job_ids(env, tenant) == sorted([*jobs_before, accepted["job_id"]])
    assert usage(env, tenant) == (FREE_LAYOUTS, FREE_LAYOUTS)
    assert ledger_sources(env, tenant) == job_ids(env, tenant)
    # The refused revision left its layout as it was: no decision, its first job, generated.
    lost_layout = get(env, lost, tenant)
    assert get(env, f"{lost}/decisions", tenant)["items"] == []
    assert (lost_layout["status"], lost_layout["job_id"]) == ("generated", before[lost]["job_id"])
    assert get(env, won, tenant)["job_id"] == accepted["job_id"]
    # ...and no idempotency record: sent again with its key, it is refused again, not replayed.
    status, retried = revise(env, tenant, lost, "make the kitchen bigger", key=f"last-{lost[-20:]}")
    assert (status, retried["error"]["code"]) == (402, "PLAN_LIMIT_REACHED"), retried

    assert run_layout_jobs(env) == [accepted["job_id"]]  # only the accepted revision was published
    assert version_numbers(env, tenant, won) == [1, 2]
    assert version_numbers(env, tenant, lost) == [1]
