"""A thread's SQLite connection (document store, regulation index) is closed when the thread ends, without waiting for the GC.

Since Python 3.11 a ``sqlite3.Connection`` is in a reference cycle with its statement cache,
so one that is not closed lives until the cyclic GC runs; the dev server's thread per HTTP
connection then piled up connections of dead threads (docs/operations.md, "Soak").
"""

from __future__ import annotations

import gc
import os
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from archbuilder.adapters.local.sqlite_regulations import SqliteRegulationLibrary
from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore
from archbuilder.regulations.library import SearchFilter


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Only reference counting: what the test sees does not depend on when the GC runs."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _in_thread(store: SqliteDocumentStore, work: str) -> sqlite3.Connection:
    """Run ``work`` (a read, a write, an aborted transaction) on a new thread; its connection."""
    used: list[sqlite3.Connection] = []

    def run() -> None:
        if work == "write":
            store.set("projects/p1", {"name": "A"})
        elif work == "open transaction":
            store._connection().execute("BEGIN IMMEDIATE")  # noqa: SLF001 - left open on purpose
        else:
            store.get("projects/p1")
        used.append(store._connection())  # noqa: SLF001 - the connection under test

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return used[0]


def _closed(conn: sqlite3.Connection) -> bool:
    # ``in_transaction`` checks that the connection is open, not which thread asks
    # (``execute`` from this thread would fail either way: check_same_thread).
    try:
        _ = conn.in_transaction
    except sqlite3.ProgrammingError:
        return True
    return False


@pytest.mark.usefixtures("no_gc")
@pytest.mark.parametrize("work", ["read", "write", "open transaction"])
def test_connection_closed_when_its_thread_ends(tmp_path: Path, work: str) -> None:
    store = SqliteDocumentStore(tmp_path / "docs.sqlite3")
    conn = _in_thread(store, work)
    assert _closed(conn)
    # The store goes on; a transaction the thread left open was rolled back (no lock held).
    store.set("projects/p2", {"name": "B"})
    assert store.get("projects/p2") is not None


@pytest.mark.usefixtures("no_gc")
def test_many_short_threads_leave_no_open_connection(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "docs.sqlite3")
    connections = [_in_thread(store, "write" if n % 2 else "read") for n in range(50)]
    assert [conn for conn in connections if not _closed(conn)] == []
    # The main thread's connection is its own and stays open.
    snapshot = store.get("projects/p1")
    assert snapshot is not None and snapshot.data == {"name": "A"}


def _handles_on(path: Path) -> int:
    """How many of this process's file descriptors are open on ``path`` (or its -wal, -shm)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(str(path)):
                count += 1
        except OSError:
            continue  # closed meanwhile (listdir's own descriptor)
    return count


@pytest.mark.usefixtures("no_gc")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_the_regulation_index_closes_a_thread_connection_when_the_thread_ends(tmp_path: Path) -> None:
    path = tmp_path / "regulations.sqlite3"
    library = SqliteRegulationLibrary(path)
    before = _handles_on(path)
    for _ in range(30):
        thread = threading.Thread(target=library.search, args=(["merdiven"], SearchFilter(tenant_id="t1")))
        thread.start()
        thread.join()
    # Each connection holds the file, its -wal and -shm: 30 left open would be 60 or more.
    assert _handles_on(path) <= before + 2
