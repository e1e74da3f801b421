"""The composition root: which adapter serves each port, chosen once per process by settings.

Services never choose an adapter; they receive a ``Runtime``. With no Google Cloud project
configured every port gets its embedded default (SQLite, a folder, in-process CloudEvents,
environment secrets, the built-in planner).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from archbuilder.platform.errors import ArchBuilderError
from archbuilder.platform.logging import configure_logging
from archbuilder.platform.settings import Settings, get_settings
from archbuilder.ports import BlobStore, DocumentStore, EventBus, LayoutPlanner, Secrets


@dataclass
class Runtime:
    settings: Settings
    store: DocumentStore
    blobs: BlobStore
    bus: EventBus
    secrets: Secrets
    planner: LayoutPlanner


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
    configure_logging(settings.log_level, settings.gcp_project)
    if settings.uses_google_cloud:
        raise ArchBuilderError(
            code="CLOUD_ADAPTERS_NOT_AVAILABLE",
            reason="the Google Cloud adapters are not part of this build; unset ARCHBUILDER_GCP_PROJECT",
        )
    return build_local_runtime(settings)


def build_local_runtime(settings: Settings) -> Runtime:
    """Embedded defaults under ``settings.data_dir``, with every event function subscribed."""
    from archbuilder.adapters.local.env_secrets import EnvironmentSecrets
    from archbuilder.adapters.local.file_blobs import FolderBlobStore
    from archbuilder.adapters.local.inprocess_bus import InProcessEventBus
    from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore
    from archbuilder.layout.spine_planner import SpinePlanner
    from archbuilder.manifest import load_manifest

    data_dir = settings.data_dir
    store = SqliteDocumentStore(data_dir / "documents.sqlite3")
    bus = InProcessEventBus(
        store, max_attempts=settings.event_max_attempts, retry_base_s=settings.event_retry_base_s
    )
    for spec in load_manifest().topic_subscribers():
        bus.subscribe(spec.trigger.topic, _lazy(spec), name=f"{spec.name}-push")  # type: ignore[union-attr]
    return Runtime(
        settings=settings,
        store=store,
        blobs=FolderBlobStore(data_dir / "blobs"),
        bus=bus,
        secrets=EnvironmentSecrets(),
        planner=SpinePlanner(),
    )


def _lazy(spec: object):  # type: ignore[no-untyped-def]
    """Import the handler at first delivery, so that building a runtime imports no function."""
    from cloudevents.http import CloudEvent

    from archbuilder.manifest import FunctionSpec

    assert isinstance(spec, FunctionSpec)

    def deliver(event: CloudEvent) -> object:
        return spec.load()(event)

    return deliver
