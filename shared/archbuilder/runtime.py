"""The composition root: which adapter serves each port, chosen once per process by settings.

Services never choose an adapter; they receive a ``Runtime``. With no Google Cloud project
configured every port gets its embedded default (SQLite, a folder, in-process CloudEvents,
environment secrets, the built-in planner).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from archbuilder.platform.credential_cache import CredentialCache
from archbuilder.platform.logging import configure_logging
from archbuilder.platform.settings import Settings, get_settings
from archbuilder.ports import BlobStore, Claims, DocumentStore, EventBus, LayoutPlanner, Secrets


@dataclass
class Runtime:
    settings: Settings
    store: DocumentStore
    blobs: BlobStore  # artifacts: exports, ingested models
    uploads: BlobStore  # the regional uploads bucket: writes trigger cad_ingest
    bus: EventBus
    secrets: Secrets
    planner: LayoutPlanner
    claims: Claims  # people's sign-in and their tenant/role custom claims
    # API key → (key, tenant) for a few seconds; forgotten when ``store`` writes either
    # (``with_credential_cache``). A runtime assembled by hand keeps nothing.
    credentials: CredentialCache = field(default_factory=CredentialCache)


_runtime: Runtime | None = None
_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The process-wide runtime, built on first use (thread-safe)."""
    global _runtime
    if _runtime is None:
        with _lock:
            if _runtime is None:
                _runtime = build_runtime(get_settings())
    return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """Replace the process-wide runtime (the dev server and tests use this)."""
    global _runtime
    with _lock:
        _runtime = runtime


def build_runtime(settings: Settings) -> Runtime:
    """The runtime for ``settings``, its store counted per request and event (``store_reads``,
    ``store_writes`` on the access and event lines, ``platform/store_counts.py``)."""
    from archbuilder.platform.store_counts import CountingDocumentStore

    configure_logging(settings.log_level, settings.gcp_project)
    if settings.uses_google_cloud:
        from archbuilder.adapters.gcp.runtime import build_gcp_runtime

        runtime = with_credential_cache(build_gcp_runtime(settings))
    else:
        runtime = build_local_runtime(settings)
    runtime.store = CountingDocumentStore(runtime.store)
    return runtime


def build_local_runtime(settings: Settings) -> Runtime:
    """Embedded defaults under ``settings.data_dir``, with every event function subscribed."""
    from archbuilder.adapters.local.env_secrets import EnvironmentSecrets
    from archbuilder.adapters.local.file_blobs import FinalizedObject, FolderBlobStore
    from archbuilder.adapters.local.inprocess_bus import InProcessEventBus
    from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore
    from archbuilder.manifest import load_manifest, storage_trigger_key

    data_dir = settings.data_dir
    store = SqliteDocumentStore(data_dir / "documents.sqlite3", busy_timeout_s=settings.sqlite_busy_timeout_s)
    bus = InProcessEventBus(
        store,
        max_attempts=settings.event_max_attempts,
        retry_base_s=settings.event_retry_base_s,
        # While planning children are busy, two more threads keep the other events moving.
        workers=max(2, settings.planner_processes + 2),
    )
    for key, spec in load_manifest().event_subscriptions():
        bus.subscribe(key, _lazy(spec), name=f"{spec.name}-push")

    def notify(obj: FinalizedObject) -> None:
        bus.emit(storage_trigger_key(obj.bucket), obj.cloud_event())

    runtime = Runtime(
        settings=settings,
        store=store,
        blobs=FolderBlobStore(data_dir / "buckets" / "artifacts", bucket="artifacts"),
        uploads=FolderBlobStore(
            data_dir / "buckets" / "uploads",
            bucket="uploads",
            on_finalized=notify,
            signing_key=_signing_key(settings),
        ),
        bus=bus,
        secrets=EnvironmentSecrets(),
        planner=_local_planner(settings),
        claims=_local_claims(settings, store),
    )
    return with_credential_cache(runtime)


def _local_planner(settings: Settings) -> LayoutPlanner:
    """The built-in planner, in ``settings.planner_processes`` child processes when above 0."""
    from archbuilder.layout.planner import SpinePlanner

    if settings.planner_processes == 0:
        return SpinePlanner()
    from archbuilder.adapters.local.process_planner import ProcessPoolPlanner

    return ProcessPoolPlanner(SpinePlanner(), settings.planner_processes)


def with_credential_cache(runtime: Runtime) -> Runtime:
    """``runtime`` with a per-instance cache of API key lookups (``api_key_cache_ttl_s``) and its
    store wrapped so that every write through it to a key or a tenant forgets their entries."""
    runtime.credentials = CredentialCache(runtime.settings.api_key_cache_ttl_s)
    runtime.store = runtime.credentials.watching(runtime.store)
    return runtime


def _local_claims(settings: Settings, store: DocumentStore) -> Claims:
    """Firebase Auth when a Firebase project is configured (people sign in with it even on
    the embedded store), else locally signed tokens with claims in the store."""
    if settings.firebase_project:
        from archbuilder.adapters.gcp.firebase_auth import FirebaseClaims

        return FirebaseClaims(settings.firebase_project)
    from archbuilder.adapters.local.local_claims import LocalClaims

    return LocalClaims(store, _signing_key(settings))


def _signing_key(settings: Settings) -> bytes:
    """The key for local upload URLs: from settings, else one kept in the data folder."""
    if settings.url_signing_key:
        return settings.url_signing_key.encode()
    path = settings.data_dir / "url-signing.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(32))
    return path.read_bytes()


def _lazy(spec: object):  # type: ignore[no-untyped-def]
    """Import the handler at first delivery, so that building a runtime imports no function."""
    from cloudevents.http import CloudEvent

    from archbuilder.manifest import FunctionSpec

    assert isinstance(spec, FunctionSpec)

    def deliver(event: CloudEvent) -> object:
        return spec.load()(event)

    return deliver
