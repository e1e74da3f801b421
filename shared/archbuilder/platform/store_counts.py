"""How many document-store operations one request or event costs, for its log line.

The runtime wraps its store in ``CountingDocumentStore``; ``counting()`` opens a tally for
the current request or event (a ``contextvars`` value, so each request thread counts its own
and nothing is locked). Reads count documents as Firestore bills them: one per ``get``, one
per document a query returns (at least one per query). Writes count each create, set,
update and delete, inside transactions too; a transaction the store retries counts again.
Work done outside a tally (the start-up, a stream after its access line) is not counted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from archbuilder.ports import DocumentStore, Query, Snapshot, Transaction

T = TypeVar("T")


@dataclass
class StoreCounts:
    reads: int = 0
    writes: int = 0
    transactions: int = 0

    def fields(self) -> dict[str, int]:
        """The log fields: ``store_reads``, ``store_writes``, ``store_transactions``."""
        return {
            "store_reads": self.reads,
            "store_writes": self.writes,
            "store_transactions": self.transactions,
        }


_tally: ContextVar[StoreCounts | None] = ContextVar("archbuilder_store_counts", default=None)


@contextlib.contextmanager
def counting() -> Iterator[StoreCounts]:
    """Count the store operations of the block (a request, an event) in a fresh tally."""
    counts = StoreCounts()
    token = _tally.set(counts)
    try:
        yield counts
    finally:
        _tally.reset(token)


def _add(reads: int = 0, writes: int = 0, transactions: int = 0) -> None:
    counts = _tally.get()
    if counts is not None:
        counts.reads += reads
        counts.writes += writes
        counts.transactions += transactions


class _CountingTransaction:
    def __init__(self, inner: Transaction) -> None:
        self._inner = inner

    def get(self, path: str) -> Snapshot | None:
        _add(reads=1)
        return self._inner.get(path)

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        _add(writes=1)
        self._inner.create(path, data)

    def set(self, path: str, data: Mapping[str, Any]) -> None:
        _add(writes=1)
        self._inner.set(path, data)

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        _add(writes=1)
        self._inner.update(path, fields)

    def delete(self, path: str) -> None:
        _add(writes=1)
        self._inner.delete(path)


class CountingDocumentStore:
    """A ``DocumentStore`` that adds each operation to the current tally, then delegates."""

    def __init__(self, inner: DocumentStore) -> None:
        self.inner = inner

    def get(self, path: str) -> Snapshot | None:
        _add(reads=1)
        return self.inner.get(path)

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        _add(writes=1)
        self.inner.create(path, data)

    def set(self, path: str, data: Mapping[str, Any]) -> None:
        _add(writes=1)
        self.inner.set(path, data)

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        _add(writes=1)
        self.inner.update(path, fields)

    def delete(self, path: str, *, recursive: bool = False) -> None:
        _add(writes=1)
        self.inner.delete(path, recursive=recursive)

    def query(self, query: Query) -> list[Snapshot]:
        found = self.inner.query(query)
        _add(reads=max(1, len(found)))
        return found

    def transaction(self, fn: Callable[[Transaction], T], *, max_attempts: int = 5) -> T:
        def counted(txn: Transaction) -> T:
            _add(transactions=1)
            return fn(_CountingTransaction(txn))

        return self.inner.transaction(counted, max_attempts=max_attempts)

    def __getattr__(self, name: str) -> Any:
        # What an adapter offers beyond the port (closing, its path) stays reachable.
        return getattr(self.inner, name)
