"""What an API key resolved to, kept for a few seconds per instance, forgotten on writes.

Authenticating a key costs two document reads (the key, its tenant) on every request. The
``CredentialCache`` keeps the answer for ``ttl_s`` seconds, keyed by the key's document path
(the SHA-256 of the key, never the key). Each entry names the documents it was read from; the
runtime's store is wrapped in ``watching(store)``, so a write through this instance to one of
them (revoking or rotating the key, suspending the tenant, changing its plan, erasing it)
forgets the entry at once. Another instance's write, or an edit in the Firestore console,
reaches this instance when the entry expires: at most ``ttl_s`` later.

Only successful lookups are kept: an unknown, revoked or expired key costs its read every time.
A lookup that overlapped a forgetting write is not kept either (``generation``/``put(since=)``),
so a revocation committed while a request was reading the old key cannot be undone by it.
Entries are shared by a function's request threads, under one lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from archbuilder.ports import DocumentStore, Query, Snapshot, Transaction

T = TypeVar("T")
# Documents an entry may depend on: top-level documents of these collections.
WATCHED_COLLECTIONS = frozenset({"api_keys", "tenants"})
# Bookkeeping no entry depends on: an update of these fields only forgets nothing (the sampled
# ``last_used_at`` of a key, which authentication itself writes and keeps in its entry).
QUIET_FIELDS = frozenset({"last_used_at"})


@dataclass(frozen=True)
class _Entry:
    value: Any
    depends_on: frozenset[str]
    expires_at: float  # time.monotonic()


class CredentialCache:
    """Thread-safe, size-bounded, short-lived; ``ttl_s`` 0 keeps nothing."""

    def __init__(
        self, ttl_s: float = 0.0, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._by_document: dict[str, set[str]] = {}
        self._generation = 0

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def generation(self) -> int:
        """Read before looking a credential up; hand it to ``put`` as ``since``."""
        with self._lock:
            return self._generation

    def get(self, key: str) -> Any | None:
        """The value kept for ``key``, or None when there is none or it has expired."""
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires_at <= self._clock():
                self._drop(key)
                return None
            return entry.value

    def put(self, key: str, value: Any, *, depends_on: Iterable[str], since: int) -> None:
        """Keep ``value`` read from the documents ``depends_on``, unless one of the watched
        documents was written after ``since`` (the generation read before the lookup)."""
        if not self.enabled:
            return
        with self._lock:
            if self._generation != since:
                return
            if key not in self._entries and len(self._entries) >= self._max_entries:
                self._evict()
            self._drop(key)
            entry = _Entry(value, frozenset(depends_on), self._clock() + self.ttl_s)
            self._entries[key] = entry
            for path in entry.depends_on:
                self._by_document.setdefault(path, set()).add(key)

    def forget(self, path: str) -> None:
        """Forget every entry read from the document ``path`` (it was written or deleted)."""
        with self._lock:
            self._generation += 1
            for key in list(self._by_document.get(path, ())):
                self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._by_document.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def watching(self, store: DocumentStore) -> DocumentStore:
        """``store``, forgetting the entries of each watched document written through it."""
        return _ForgettingDocumentStore(store, self)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for path in entry.depends_on:
            keys = self._by_document.get(path)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_document[path]

    def _evict(self) -> None:
        """Make room: expired entries first, else the oldest (dicts keep insertion order)."""
        moment = self._clock()
        for key in [k for k, e in self._entries.items() if e.expires_at <= moment]:
            self._drop(key)
        while len(self._entries) >= self._max_entries:
            self._drop(next(iter(self._entries)))


def _watched(path: str) -> str | None:
    """``path`` when it names a document an entry may depend on: a top-level document of a
    watched collection (``tenants/t``, ``api_keys/h``; a tenant's own subcollections are not)."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] in WATCHED_COLLECTIONS:
        return "/".join(parts)
    return None


class _RecordingTransaction:
    def __init__(self, inner: Transaction, written: set[str]) -> None:
        self._inner = inner
        self._written = written

    def get(self, path: str) -> Snapshot | None:
        return self._inner.get(path)

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        self._written.add(path)
        self._inner.create(path, data)

    def set(self, path: str, data: Mapping[str, Any]) -> None:
        self._written.add(path)
        self._inner.set(path, data)

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        if not set(fields) <= QUIET_FIELDS:
            self._written.add(path)
        self._inner.update(path, fields)

    def delete(self, path: str) -> None:
        self._written.add(path)
        self._inner.delete(path)


class _ForgettingDocumentStore:
    """A ``DocumentStore`` that tells the cache, after each write, which document changed."""

    def __init__(self, inner: DocumentStore, cache: CredentialCache) -> None:
        self.inner = inner
        self._cache = cache

    def _written(self, path: str) -> None:
        document = _watched(path)
        if document is not None:
            self._cache.forget(document)

    def get(self, path: str) -> Snapshot | None:
        return self.inner.get(path)

    def create(self, path: str, data: Mapping[str, Any]) -> None:
        try:
            self.inner.create(path, data)
        finally:
            self._written(path)

    def set(self, path: str, data: Mapping[str, Any]) -> None:
        try:
            self.inner.set(path, data)
        finally:
            self._written(path)

    def update(self, path: str, fields: Mapping[str, Any]) -> None:
        try:
            self.inner.update(path, fields)
        finally:
            if not set(fields) <= QUIET_FIELDS:
                self._written(path)

    def delete(self, path: str, *, recursive: bool = False) -> None:
        try:
            self.inner.delete(path, recursive=recursive)
        finally:
            self._written(path)

    def query(self, query: Query) -> list[Snapshot]:
        return self.inner.query(query)

    def transaction(self, fn: Callable[[Transaction], T], *, max_attempts: int = 5) -> T:
        written: set[str] = set()

        def recorded(txn: Transaction) -> T:
            return fn(_RecordingTransaction(txn, written))

        try:
            return self.inner.transaction(recorded, max_attempts=max_attempts)
        finally:
            # After the commit (or its failure): a lookup that read before it is not kept.
            for path in written:
                self._written(path)

    def __getattr__(self, name: str) -> Any:
        # What an adapter offers beyond the port (closing, its path) stays reachable.
        return getattr(self.inner, name)
