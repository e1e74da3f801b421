"""Emulators for the contract suites: started once per test session (per xdist worker), stopped after.

A missing emulator binary fails the tests that need it with what to install. Developers
who know they lack one may set ``ARCHBUILDER_SKIP_EMULATORS=1`` to skip instead; CI never does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest
from tools import emulators
from tools.emulators import Emulator, EmulatorFailed, EmulatorMissing

PROJECT = "demo-archbuilder"  # a demo- project: the Firebase CLI needs no login for it
SKIP_ENV = "ARCHBUILDER_SKIP_EMULATORS"


def _start(factory: Callable[[], Emulator]) -> Emulator:
    try:
        return factory()
    except (EmulatorMissing, EmulatorFailed) as exc:
        if os.environ.get(SKIP_ENV) == "1" and not os.environ.get("CI"):
            pytest.skip(f"{exc} ({SKIP_ENV}=1)")
        pytest.fail(f"emulator unavailable: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[Emulator]:
    emulator = _start(emulators.start_firestore)
    os.environ.update(emulator.env)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[Emulator]:
    emulator = _start(lambda: emulators.start_pubsub(PROJECT))
    os.environ.update(emulator.env)
    yield emulator
    emulator.stop()


GCS_NOTIFICATIONS_TOPIC = "gcs-notifications"
NOTIFYING_BUCKET = "contract-uploads"


@pytest.fixture(scope="session")
def gcs_emulator(pubsub_emulator: Emulator) -> Iterator[Emulator]:
    """fake-gcs-server publishing finalize notifications for one bucket to the Pub/Sub emulator."""
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    publisher.create_topic(name=publisher.topic_path(PROJECT, GCS_NOTIFICATIONS_TOPIC))
    emulator = _start(
        lambda: emulators.start_fake_gcs(
            pubsub=pubsub_emulator, project=PROJECT, topic=GCS_NOTIFICATIONS_TOPIC, bucket=NOTIFYING_BUCKET
        )
    )
    os.environ.update(emulator.env)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def auth_emulator() -> Iterator[Emulator]:
    emulator = _start(lambda: emulators.start_auth(PROJECT))
    os.environ.update(emulator.env)
    yield emulator
    emulator.stop()


def eventually(check: Callable[[], bool], timeout: float = 20.0, interval: float = 0.05) -> bool:
    """Poll ``check`` until it holds or ``timeout`` passes (asynchronous delivery)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
