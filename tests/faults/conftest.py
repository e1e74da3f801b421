"""What the fault cases share: a bus that keeps every event for the test to deliver (twice, out
of order, to a process it kills), the function entry points behind functions-framework, and a
worker process to SIGKILL.

Events are the real CloudEvents Eventarc pushes (``platform/events.py``), delivered to the real
``functions/*/main.py`` entry points; nothing of ours is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent
from flask.testing import FlaskClient
from functions_framework import create_app

from archbuilder.adapters.local.file_blobs import FinalizedObject, FolderBlobStore
from archbuilder.manifest import load_manifest, storage_trigger_key
from archbuilder.platform.events import pubsub_event
from archbuilder.platform.settings import Environment, Settings
from archbuilder.runtime import Runtime, set_runtime
from tests.conftest import REPO_ROOT

SIGNING_KEY = "faults-url-signing-key"
CHAOS_ENV = "ARCHBUILDER_CHAOS"  # set by `make chaos`: run the slow cases too


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow fault cases (minutes on the emulators) run under `make chaos` only."""
    if os.environ.get(CHAOS_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"a slow fault case: `make chaos` runs it ({CHAOS_ENV}=1)")
    for item in items:
        if "tests/faults/" in str(item.fspath) and item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shared test settings, with a fixed URL signing key (the capturing runtime rebuilds
    the uploads bucket and must sign as the API does)."""
    return Settings(
        env=Environment.test,
        data_dir=tmp_path / "data",
        event_retry_base_s=0.01,
        event_max_attempts=3,
        webhooks_allow_private=True,
        url_signing_key=SIGNING_KEY,
        _env_file=None,  # type: ignore[call-arg]
    )


@dataclass(frozen=True)
class Captured:
    """One event as Eventarc would push it, and the function it is pushed to."""

    function: str
    event: CloudEvent


class CapturingBus:
    """An EventBus that delivers nothing: it keeps each message (and each Storage notification)
    as the CloudEvent its subscriber would get, so that the test decides when, how often and in
    which order each one arrives."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Captured] = []
        self._routes = _event_routes()

    def publish(
        self,
        topic: str,
        data: Mapping[str, Any],
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        message_id = uuid.uuid4().hex
        for function in self._routes.get(topic, []):
            event = pubsub_event(
                project="demo",
                topic=topic,
                subscription=f"{function}-push",
                message_id=message_id,
                data=json.dumps(dict(data)).encode(),
                attributes=dict(attributes or {}),
                published_at=datetime.now(UTC),
                ordering_key=ordering_key,
            )
            with self._lock:
                self._events.append(Captured(function, event))
        return message_id

    def finalized(self, obj: FinalizedObject) -> None:
        event = obj.cloud_event()
        for function in self._routes.get(storage_trigger_key(obj.bucket), []):
            with self._lock:
                self._events.append(Captured(function, event))

    def take(self) -> list[Captured]:
        """Every event kept since the last call."""
        with self._lock:
            taken, self._events = self._events, []
        return taken


def _event_routes() -> dict[str, list[str]]:
    routes: dict[str, list[str]] = {}
    for key, spec in load_manifest().event_subscriptions():
        routes.setdefault(key, []).append(spec.name)
    return routes


@pytest.fixture
def bus(runtime: Runtime) -> Iterator[CapturingBus]:
    """The process-wide runtime with a capturing bus (the store and buckets stay the embedded
    ones; the uploads bucket notifies the capturing bus)."""
    capturing = CapturingBus()
    uploads = FolderBlobStore(
        runtime.settings.data_dir / "buckets" / "uploads",
        bucket="uploads",
        on_finalized=capturing.finalized,
        signing_key=SIGNING_KEY.encode(),
    )
    set_runtime(replace(runtime, bus=capturing, uploads=uploads))
    yield capturing
    set_runtime(runtime)


def function_client(function: str) -> FlaskClient:
    """The function's entry point (``functions/<name>/main.py``) behind functions-framework."""
    return create_app(
        target=function,
        source=str(REPO_ROOT / "functions" / function / "main.py"),
        signature_type="cloudevent",
    ).test_client()


def deliver(client: FlaskClient, event: CloudEvent) -> int:
    headers, body = to_binary(event)
    return client.post("/", headers=headers, data=body).status_code


def eventually(check: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WorkerProcess:
    """One function in its own process (functions-framework's server), like one instance."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        """SIGKILL the whole process group: no handler, no cleanup, as when an instance dies."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def worker_process(function: str, data_dir: Path, log_dir: Path, **env: str) -> Iterator[WorkerProcess]:
    """Serve ``function`` on a free loopback port in a new process group; killed on exit."""
    port = free_port()
    log = log_dir / f"{function}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "functions-framework"),
                f"--target={function}",
                f"--source={REPO_ROOT / 'functions' / function / 'main.py'}",
                "--signature-type=cloudevent",
                "--host=127.0.0.1",
                f"--port={port}",
            ],
            cwd=REPO_ROOT,
            env=os.environ
            | {
                "ARCHBUILDER_DATA_DIR": str(data_dir),
                "ARCHBUILDER_ENV": "test",
                "ARCHBUILDER_LOG_LEVEL": "INFO",
            }
            | env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process, f"http://127.0.0.1:{port}", log)
    try:

        def listening() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            except OSError:
                return False
            return True

        assert eventually(listening, timeout=30, interval=0.1), "worker did not listen in 30 s"
        yield worker
    finally:
        worker.kill()
