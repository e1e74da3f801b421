"""One contract for the DocumentStore port, run on SQLite and on the Firestore emulator."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from archbuilder.platform.errors import AlreadyExists, BadRequest, InternalError, NotFound
from archbuilder.ports import DocumentStore, Filter, Query, Transaction


@pytest.fixture(params=["sqlite", "firestore"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    if request.param == "sqlite":
        from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore

        yield SqliteDocumentStore(tmp_path / "docs.sqlite3")
        return
    request.getfixturevalue("firestore_emulator")
    from google.cloud import firestore

    from archbuilder.adapters.gcp.firestore_store import FirestoreDocumentStore

    # A fresh named database per test: the emulator creates it on first use.
    client = firestore.Client(project="demo-archbuilder", database=f"contract-{uuid.uuid4().hex[:12]}")
    yield FirestoreDocumentStore(client)
    client.close()


def test_set_get_update_delete(store: DocumentStore) -> None:
    store.set("projects/p1", {"name": "A", "meta": {"floors": 2}, "tags": ["x"], "ok": True, "n": None})
    store.update("projects/p1", {"name": "B", "meta.units": 4})
    snap = store.get("projects/p1")
    assert snap is not None and snap.id == "p1" and snap.path == "projects/p1"
    assert snap.data == {"name": "B", "meta": {"floors": 2, "units": 4}, "tags": ["x"], "ok": True, "n": None}
    store.set("projects/p1", {"replaced": 1})
    assert store.get("projects/p1").data == {"replaced": 1}  # type: ignore[union-attr]
    store.delete("projects/p1")
    assert store.get("projects/p1") is None
    store.delete("projects/p1")  # deleting what is gone is fine


def test_values_round_trip_unchanged(store: DocumentStore) -> None:
    data = {
        "polygon": [[0, 0], [1200.5, 0], [1200.5, 900]],
        "nested": {"deep": [{"a": [1, [2, 3]]}]},
        "text": "Moda Apartmanı ✓",
        "big": 2**53,
        "ratio": 0.25,
        "empty_list": [],
        "empty_map": {},
        "expires_at": "2030-01-01T00:00:00.000000Z",
    }
    store.set("t/x/items/i1", data)
    assert store.get("t/x/items/i1").data == data  # type: ignore[union-attr]
    rows = store.query(Query("t/x/items"))
    assert [r.data for r in rows] == [data]


def test_create_if_absent(store: DocumentStore) -> None:
    store.create("events/e1", {"n": 1})
    with pytest.raises(AlreadyExists):
        store.create("events/e1", {"n": 2})
    assert store.get("events/e1").data == {"n": 1}  # type: ignore[union-attr]


def test_create_race_has_exactly_one_winner(store: DocumentStore) -> None:
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def claim(i: int) -> None:
        barrier.wait()
        try:
            store.create("idempotency/key-1", {"winner": i})
            result = "won"
        except AlreadyExists:
            result = "lost"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "lost", "lost", "won"]


def test_update_of_missing_document_fails(store: DocumentStore) -> None:
    with pytest.raises(NotFound):
        store.update("projects/nope", {"a": 1})
    assert store.get("projects/nope") is None


def test_paths_must_name_documents(store: DocumentStore) -> None:
    for bad in ("projects", "a/b/c", "a//b", ""):
        with pytest.raises(BadRequest):
            store.get(bad)


def _seed(store: DocumentStore) -> None:
    for i in range(10):
        store.set(
            f"t/x/items/i{i}", {"n": i, "even": i % 2 == 0, "tags": ["a"] if i < 3 else ["b"], "k": "v"}
        )
    store.set("t/y/items/other", {"n": 100, "even": True, "tags": ["a"]})


def test_query_filters_order_and_limit(store: DocumentStore) -> None:
    _seed(store)
    rows = store.query(Query("t/x/items", where=[Filter("n", ">=", 2)], order_by=[("n", "desc")], limit=3))
    assert [r.data["n"] for r in rows] == [9, 8, 7]
    assert [r.path for r in rows][0] == "t/x/items/i9"
    assert [r.id for r in store.query(Query("t/x/items", where=[Filter("n", "in", [1, 5])]))] == ["i1", "i5"]
    assert store.query(Query("t/x/items", where=[Filter("n", "in", [])])) == []
    tagged = store.query(Query("t/x/items", where=[Filter("tags", "array_contains", "a")]))
    assert [r.data["n"] for r in tagged] == [0, 1, 2]
    evens = store.query(Query("t/x/items", where=[Filter("even", "==", True), Filter("k", "==", "v")]))
    assert [r.id for r in evens] == ["i0", "i2", "i4", "i6", "i8"]
    ranged = store.query(Query("t/x/items", where=[Filter("n", ">", 3), Filter("n", "<", 6)]))
    assert [r.id for r in ranged] == ["i4", "i5"]
    assert [r.id for r in store.query(Query("t/x/items", where=[Filter("n", "!=", 0)]))][:2] == ["i1", "i2"]
    assert len(store.query(Query("t/x/items", limit=3))) == 3
    # A collection is only its own documents, never those of a sibling or a parent.
    assert len(store.query(Query("t/x/items"))) == 10


def test_keyset_pagination_visits_every_document_once(store: DocumentStore) -> None:
    for i in range(23):
        store.set(f"c/d{i:02d}", {"rank": i % 5, "created_at": f"2026-01-01T00:00:{i % 7:02d}.000000Z"})
    for direction in ("asc", "desc"):
        seen: list[str] = []
        cursor = None
        while True:
            rows = store.query(Query("c", order_by=[("rank", direction)], limit=4, start_after=cursor))
            if not rows:
                break
            seen += [r.id for r in rows]
            cursor = [rows[-1].data["rank"], rows[-1].id]
        assert len(seen) == 23 and sorted(seen) == sorted(f"d{i:02d}" for i in range(23))
        ranks = [int(s[1:]) % 5 for s in seen]
        assert ranks == sorted(ranks, reverse=direction == "desc")
        # Ties on the order value break by id, in the same direction.
        ties = [s for s in seen if int(s[1:]) % 5 == 0]
        assert ties == sorted(ties, reverse=direction == "desc")


def test_recursive_delete_removes_the_subtree_only(store: DocumentStore) -> None:
    store.set("tenants/t1/projects/p1", {"a": 1})
    store.set("tenants/t1/projects/p1/layouts/l1", {"a": 1})
    store.set("tenants/t1/projects/p1/layouts/l1/versions/1", {"a": 1})
    store.set("tenants/t1/projects/p10", {"a": 1})
    store.delete("tenants/t1/projects/p1", recursive=True)
    assert store.get("tenants/t1/projects/p1") is None
    assert store.get("tenants/t1/projects/p1/layouts/l1/versions/1") is None
    assert store.get("tenants/t1/projects/p10") is not None


def test_transactions_serialise_concurrent_increments(store: DocumentStore) -> None:
    store.set("counters/c", {"n": 0})

    def add(txn: Transaction) -> int:
        snap = txn.get("counters/c")
        assert snap is not None
        txn.update("counters/c", {"n": snap.data["n"] + 1})
        return int(snap.data["n"])

    def increment() -> None:
        for _ in range(3):
            store.transaction(add, max_attempts=100)

    threads = [threading.Thread(target=increment) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("counters/c").data["n"] == 9  # type: ignore[union-attr]


def test_transaction_returns_the_function_result_and_creates_once(store: DocumentStore) -> None:
    def claim(txn: Transaction) -> bool:
        if txn.get("jobs/j1") is not None:
            return False
        txn.create("jobs/j1", {"status": "running"})
        return True

    assert store.transaction(claim) is True
    assert store.transaction(claim) is False


def test_failed_transaction_writes_nothing(store: DocumentStore) -> None:
    store.set("a/1", {"v": 1})

    def write(txn: Transaction) -> None:
        txn.set("a/2", {"v": 2})
        txn.create("a/1", {"v": 3})  # exists: the whole commit must fail

    with pytest.raises(AlreadyExists):
        store.transaction(write)
    assert store.get("a/2") is None
    assert store.get("a/1").data == {"v": 1}  # type: ignore[union-attr]


def test_an_error_in_the_function_aborts_the_transaction(store: DocumentStore) -> None:
    def fail(txn: Transaction) -> None:
        txn.get("a/1")
        txn.set("a/1", {"v": 1})
        raise NotFound(resource="thing", id="x")

    with pytest.raises(NotFound):
        store.transaction(fail)
    assert store.get("a/1") is None


def test_reads_come_before_writes(store: DocumentStore) -> None:
    def bad(txn: Transaction) -> None:
        txn.set("a/1", {"v": 1})
        txn.get("a/2")

    with pytest.raises(BadRequest):
        store.transaction(bad)
    assert store.get("a/1") is None


def test_firestore_refuses_a_query_without_its_declared_index(firestore_emulator: object) -> None:
    """In the cloud such a query fails; the adapter fails it the same way on the emulator."""
    from google.cloud import firestore

    from archbuilder.adapters.gcp.firestore_store import FirestoreDocumentStore
    from archbuilder.adapters.gcp.indexes import CompositeIndex, IndexCatalog, IndexField

    declared = IndexCatalog(
        (CompositeIndex("items", (IndexField("k", "ASCENDING"), IndexField("n", "DESCENDING"))),)
    )
    client = firestore.Client(project="demo-archbuilder", database=f"contract-{uuid.uuid4().hex[:12]}")
    store = FirestoreDocumentStore(client, indexes=declared)
    store.set("t/x/items/a", {"k": "v", "n": 1, "m": 2})
    ok = Query("t/x/items", where=[Filter("k", "==", "v")], order_by=[("n", "desc")])
    assert [r.id for r in store.query(ok)] == ["a"]
    with pytest.raises(InternalError) as raised:
        store.query(Query("t/x/items", where=[Filter("k", "==", "v")], order_by=[("m", "asc")]))
    assert raised.value.code == "FIRESTORE_INDEX_MISSING"
