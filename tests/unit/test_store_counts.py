"""Store operations counted per request or event (``platform/store_counts.py``), each thread its own."""

from __future__ import annotations

import threading
from pathlib import Path

from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore
from archbuilder.platform.store_counts import CountingDocumentStore, counting
from archbuilder.ports import Query, Transaction


def test_reads_writes_and_transactions_are_counted_in_the_open_tally() -> None:
    store = CountingDocumentStore(SqliteDocumentStore(":memory:"))
    store.set("things/a", {"n": 1})  # outside any tally: not counted, not an error
    with counting() as counts:
        store.create("things/b", {"n": 2})
        store.get("things/a")
        assert len(store.query(Query(collection="things"))) == 2

        def bump(txn: Transaction) -> None:
            snapshot = txn.get("things/a")
            assert snapshot is not None
            txn.update("things/a", {"n": snapshot.data["n"] + 1})

        store.transaction(bump)
        store.delete("things/b")
    assert (counts.reads, counts.writes, counts.transactions) == (1 + 2 + 1, 1 + 1 + 1, 1)
    assert counts.fields() == {"store_reads": 4, "store_writes": 3, "store_transactions": 1}


def test_each_thread_counts_only_its_own_operations(tmp_path: Path) -> None:
    store = CountingDocumentStore(SqliteDocumentStore(tmp_path / "documents.sqlite3"))
    store.set("things/a", {"n": 1})
    seen: dict[int, int] = {}

    def request(reads: int) -> None:
        with counting() as counts:
            for _ in range(reads):
                store.get("things/a")
        seen[reads] = counts.reads

    threads = [threading.Thread(target=request, args=(n,)) for n in (1, 5, 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {1: 1, 5: 5, 20: 20}
