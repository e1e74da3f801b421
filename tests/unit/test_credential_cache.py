"""The per-instance cache of API key lookups: expiry, forgetting on writes, and the race where
a revocation commits while a request is still reading the old key."""

from __future__ import annotations

from pathlib import Path

from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore
from archbuilder.platform.credential_cache import CredentialCache
from archbuilder.ports import Transaction

KEY, TENANT = "api_keys/abc", "tenants/tnt_1"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_for_the_ttl_only() -> None:
    clock = Clock()
    cache = CredentialCache(30, clock=clock)
    cache.put(KEY, "resolved", depends_on=(KEY, TENANT), since=cache.generation())
    clock.now += 29.9
    assert cache.get(KEY) == "resolved"
    clock.now += 0.2
    assert cache.get(KEY) is None and len(cache) == 0


def test_a_ttl_of_zero_keeps_nothing() -> None:
    cache = CredentialCache(0)
    cache.put(KEY, "resolved", depends_on=(KEY,), since=cache.generation())
    assert cache.get(KEY) is None


def test_a_lookup_that_overlapped_a_write_is_not_kept() -> None:
    cache = CredentialCache(30)
    since = cache.generation()  # a request starts reading the key …
    cache.forget(KEY)  # … a revocation commits meanwhile …
    cache.put(KEY, "stale", depends_on=(KEY, TENANT), since=since)  # … its answer is dropped
    assert cache.get(KEY) is None


def test_writes_through_the_watched_store_forget_what_depends_on_them(tmp_path: Path) -> None:
    cache = CredentialCache(30)
    store = cache.watching(SqliteDocumentStore(tmp_path / "documents.sqlite3"))
    store.create(KEY, {"tenant_id": "tnt_1"})
    store.create(TENANT, {"status": "active"})

    def keep() -> None:
        cache.put(KEY, "resolved", depends_on=(KEY, TENANT), since=cache.generation())

    keep()
    store.create(f"{TENANT}/jobs/job_1", {"status": "queued"})  # below the tenant: not it
    store.set("rate_limits/tnt_1", {"tokens": 1})
    store.update(KEY, {"last_used_at": "2026-01-01T00:00:00Z"})  # bookkeeping only
    assert cache.get(KEY) == "resolved"

    store.update(TENANT, {"plan": "enterprise"})
    assert cache.get(KEY) is None
    keep()

    def revoke(txn: Transaction) -> None:
        txn.update(KEY, {"revoked_at": "2026-01-01T00:00:00Z"})

    store.transaction(revoke)
    assert cache.get(KEY) is None
    keep()
    store.delete(TENANT, recursive=True)  # erasure
    assert cache.get(KEY) is None


def test_the_cache_is_bounded() -> None:
    cache = CredentialCache(30, max_entries=3)
    for n in range(5):
        cache.put(f"api_keys/{n}", n, depends_on=(f"api_keys/{n}",), since=cache.generation())
    assert len(cache) == 3 and cache.get("api_keys/0") is None and cache.get("api_keys/4") == 4
