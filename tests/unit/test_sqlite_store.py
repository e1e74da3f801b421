"""The SQLite document store keeps the semantics the Firestore adapter will have."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore
from archbuilder.platform.errors import AlreadyExists, BadRequest, Contention, NotFound
from archbuilder.ports import Filter, Query


@pytest.fixture
def store(tmp_path: Path) -> SqliteDocumentStore:
    return SqliteDocumentStore(tmp_path / "docs.sqlite3")


def test_set_get_update_delete(store: SqliteDocumentStore) -> None:
    store.set("projects/p1", {"name": "A", "meta": {"floors": 2}})
    store.update("projects/p1", {"name": "B", "meta.units": 4})
    snap = store.get("projects/p1")
    assert snap is not None and snap.id == "p1"
    assert snap.data == {"name": "B", "meta": {"floors": 2, "units": 4}}
    store.delete("projects/p1")
    assert store.get("projects/p1") is None


def test_create_if_absent(store: SqliteDocumentStore) -> None:
    store.create("events/e1", {"n": 1})
    with pytest.raises(AlreadyExists):
        store.create("events/e1", {"n": 2})
    assert store.get("events/e1").data == {"n": 1}  # type: ignore[union-attr]


def test_update_of_missing_document_fails(store: SqliteDocumentStore) -> None:
    with pytest.raises(NotFound):
        store.update("projects/nope", {"a": 1})


def test_paths_must_name_documents(store: SqliteDocumentStore) -> None:
    for bad in ("projects", "a/b/c", "a//b", ""):
        with pytest.raises(BadRequest):
            store.get(bad)


def test_query_filters_order_and_limit(store: SqliteDocumentStore) -> None:
    for i in range(10):
        store.set(f"t/x/items/i{i}", {"n": i, "even": i % 2 == 0, "tags": ["a"] if i < 3 else ["b"]})
    store.set("t/y/items/other", {"n": 100, "even": True, "tags": []})
    rows = store.query(
        Query("t/x/items", where=[Filter("even", "==", True), Filter("n", ">=", 2)], order_by=[("n", "desc")])
    )
    assert [r.data["n"] for r in rows] == [8, 6, 4, 2]
    assert [r.id for r in store.query(Query("t/x/items", where=[Filter("n", "in", [1, 5])]))] == ["i1", "i5"]
    tagged = store.query(Query("t/x/items", where=[Filter("tags", "array_contains", "a")]))
    assert sorted(r.data["n"] for r in tagged) == [0, 1, 2]
    assert len(store.query(Query("t/x/items", limit=3))) == 3


def test_keyset_pagination_visits_every_document_once(store: SqliteDocumentStore) -> None:
    for i in range(25):
        store.set(f"c/d{i:02d}", {"rank": i % 5})
    seen: list[str] = []
    cursor = None
    while True:
        rows = store.query(Query("c", order_by=[("rank", "asc")], limit=4, start_after=cursor))
        if not rows:
            break
        seen += [r.id for r in rows]
        cursor = [rows[-1].data["rank"], rows[-1].id]
    assert sorted(seen) == sorted(f"d{i:02d}" for i in range(25))
    assert len(seen) == 25


def test_recursive_delete_removes_the_subtree_only(store: SqliteDocumentStore) -> None:
    store.set("tenants/t1/projects/p1", {})
    store.set("tenants/t1/projects/p1/layouts/l1", {})
    store.set("tenants/t1/projects/p1/layouts/l1/versions/1", {})
    store.set("tenants/t1/projects/p10", {})
    store.delete("tenants/t1/projects/p1", recursive=True)
    assert store.get("tenants/t1/projects/p1/layouts/l1/versions/1") is None
    assert store.get("tenants/t1/projects/p10") is not None


def test_transactions_serialise_concurrent_increments(store: SqliteDocumentStore) -> None:
    store.set("counters/c", {"n": 0})

    def increment() -> None:
        for _ in range(20):

            def add(txn):  # type: ignore[no-untyped-def]
                snap = txn.get("counters/c")
                txn.update("counters/c", {"n": snap.data["n"] + 1})

            store.transaction(add, max_attempts=200)

    threads = [threading.Thread(target=increment) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("counters/c").data["n"] == 80  # type: ignore[union-attr]


def test_a_transaction_that_keeps_losing_raises_contention(store: SqliteDocumentStore) -> None:
    store.set("counters/c", {"n": 0})

    def interfered(txn):  # type: ignore[no-untyped-def]
        txn.get("counters/c")
        store.update("counters/c", {"n": 1})  # another writer between read and commit
        txn.set("counters/c", {"n": 99})

    with pytest.raises(Contention):
        store.transaction(interfered, max_attempts=3)
    assert store.get("counters/c").data == {"n": 1}  # type: ignore[union-attr]


def test_failed_transaction_writes_nothing(store: SqliteDocumentStore) -> None:
    store.set("a/1", {"v": 1})

    def write(txn):  # type: ignore[no-untyped-def]
        txn.set("a/2", {"v": 2})
        txn.create("a/1", {"v": 3})  # exists: the whole commit must fail

    with pytest.raises(AlreadyExists):
        store.transaction(write)
    assert store.get("a/2") is None
