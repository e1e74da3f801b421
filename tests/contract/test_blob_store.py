"""One contract for the BlobStore port: a folder, and Cloud Storage (fake-gcs-server), including
upload URLs and the ``finalized`` CloudEvents a write triggers."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from cloudevents.http import CloudEvent

from archbuilder.platform.errors import BadRequest, Conflict
from archbuilder.platform.events import STORAGE_FINALIZED, storage_finalized_event, unwrap_storage
from archbuilder.ports import BlobStore, SignedUrl
from tests.contract.conftest import GCS_NOTIFICATIONS_TOPIC, NOTIFYING_BUCKET, PROJECT, eventually


class Blobs:
    """A store on the notifying bucket, the finalized events it caused, and how a client uploads."""

    def __init__(self, store: BlobStore, events: list[CloudEvent], prefix: str) -> None:
        self.store = store
        self.events = events
        self.prefix = prefix

    def upload(self, signed: SignedUrl, data: bytes) -> None:
        raise NotImplementedError

    def download(self, signed: SignedUrl) -> bytes:
        raise NotImplementedError


class FolderBlobs(Blobs):
    def download(self, signed: SignedUrl) -> bytes:
        from archbuilder.adapters.local.file_blobs import FolderBlobStore

        assert isinstance(self.store, FolderBlobStore) and signed.url.startswith("/v1/downloads/")
        return self.store.read_signed_download(signed.url.rsplit("/", 1)[1])[1]

    def upload(self, signed: SignedUrl, data: bytes) -> None:
        from archbuilder.adapters.local.file_blobs import FolderBlobStore

        assert isinstance(self.store, FolderBlobStore) and signed.url.startswith("/v1/uploads/")
        # What the dev server's upload route does with the PUT.
        self.store.accept_signed_upload(signed.url.rsplit("/", 1)[1], data, signed.headers["Content-Type"])


class GcsBlobs(Blobs):
    def download(self, signed: SignedUrl) -> bytes:
        response = requests.get(signed.url, headers=signed.headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.content

    def upload(self, signed: SignedUrl, data: bytes) -> None:
        response = requests.put(signed.url, data=data, headers=signed.headers, timeout=10)
        assert response.status_code == 200, response.text


def _test_signer() -> Any:
    """Service-account credentials with a key made for this run (never a real account)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from google.oauth2 import service_account

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "client_email": "uploads-signer@demo-archbuilder.iam.gserviceaccount.com",
        "private_key": pem,
        "private_key_id": "test",
        "token_uri": "http://127.0.0.1:9/token",
        "project_id": PROJECT,
    }
    return service_account.Credentials.from_service_account_info(info)


_gcs_events: list[CloudEvent] = []


@pytest.fixture(scope="session")
def gcs_notifications(gcs_emulator: Any) -> Iterator[list[CloudEvent]]:
    """Finalize notifications of the notifying bucket, pushed as Storage CloudEvents."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from archbuilder.adapters.gcp.pusher import Pusher, PushRoute
    from tests.contract.test_event_bus import Receiver

    client = storage.Client(project=PROJECT, credentials=AnonymousCredentials())
    client.create_bucket(NOTIFYING_BUCKET)
    receiver = Receiver()
    receiver.handlers["cad-ingest"] = _gcs_events.append
    route = PushRoute(
        topic=GCS_NOTIFICATIONS_TOPIC,
        subscription="cad-ingest-push",
        endpoint=f"{receiver.base}/cad-ingest",
        kind="storage",
        ordered=False,
    )
    pusher = Pusher(PROJECT, [route]).start()
    yield _gcs_events
    pusher.stop()
    receiver.close()


@pytest.fixture(params=["folder", "gcs"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Blobs:
    prefix = f"p{uuid.uuid4().hex[:8]}/"
    if request.param == "folder":
        from archbuilder.adapters.local.file_blobs import FinalizedObject, FolderBlobStore

        events: list[CloudEvent] = []

        def notify(obj: FinalizedObject) -> None:  # as the embedded runtime wires it
            events.append(
                storage_finalized_event(
                    bucket=obj.bucket,
                    name=obj.name,
                    generation=obj.generation,
                    size=obj.size,
                    content_type=obj.content_type,
                    md5_base64=obj.md5_base64,
                    created_at=datetime.now(UTC),
                )
            )

        store = FolderBlobStore(tmp_path / "bucket", bucket=NOTIFYING_BUCKET, on_finalized=notify)
        return FolderBlobs(store, events, prefix)
    events_all = request.getfixturevalue("gcs_notifications")
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from archbuilder.adapters.gcp.gcs_blobs import GcsBlobStore

    emulator = request.getfixturevalue("gcs_emulator")
    client = storage.Client(project=PROJECT, credentials=AnonymousCredentials())
    store = GcsBlobStore(
        client,
        NOTIFYING_BUCKET,
        signer=_test_signer(),
        signed_url_endpoint=emulator.env["STORAGE_EMULATOR_HOST"],
    )
    return GcsBlobs(store, events_all, prefix)


def _mine(blobs: Blobs) -> list[CloudEvent]:
    return [e for e in list(blobs.events) if e.data["name"].startswith(blobs.prefix)]


def test_put_get_list_delete(blobs: Blobs) -> None:
    store, p = blobs.store, blobs.prefix
    assert store.get(f"{p}a.txt") is None
    g1 = store.put(f"{p}a.txt", b"one", content_type="text/plain")
    store.put(f"{p}sub/b.bin", b"\x00\x01")
    store.put("other/c.txt", b"x")
    assert g1 > 0
    assert store.get(f"{p}a.txt") == b"one"
    assert store.list(p) == [f"{p}a.txt", f"{p}sub/b.bin"]
    assert store.list(f"{p}sub/") == [f"{p}sub/b.bin"]
    store.delete(f"{p}a.txt")
    store.delete(f"{p}a.txt")
    assert store.get(f"{p}a.txt") is None


def test_generation_preconditions_never_clobber(blobs: Blobs) -> None:
    store, name = blobs.store, f"{blobs.prefix}model.dxf"
    g1 = store.put(name, b"v1", if_generation_match=0)
    with pytest.raises(Conflict):
        store.put(name, b"v2", if_generation_match=0)  # only if absent
    g2 = store.put(name, b"v2", if_generation_match=g1)
    assert g2 > g1
    with pytest.raises(Conflict):
        store.put(name, b"v3", if_generation_match=g1)  # a stale retry
    assert store.get(name) == b"v2"


def test_invalid_object_names_are_refused(blobs: Blobs) -> None:
    for bad in ("", "/abs", "a//b", "a/../b", "./a"):
        with pytest.raises(BadRequest):
            blobs.store.put(bad, b"x")


def test_signed_upload_url_accepts_the_promised_object(blobs: Blobs) -> None:
    data = b"0\nSECTION\n2\nENTITIES\n0\nENDSEC\n0\nEOF\n"
    name = f"{blobs.prefix}uploads/u1.dxf"
    signed = blobs.store.signed_upload_url(
        name,
        content_type="application/dxf",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        expires_in_s=900,
    )
    assert signed.headers["Content-Type"] == "application/dxf"
    assert 890 < (signed.expires_at - datetime.now(UTC)).total_seconds() <= 900
    blobs.upload(signed, data)
    assert blobs.store.get(name) == data


def test_signed_download_url_reads_the_object(blobs: Blobs) -> None:
    name = f"{blobs.prefix}exports/plan.dxf"
    blobs.store.put(name, b"exported")
    signed = blobs.store.signed_download_url(name, expires_in_s=300)
    assert 290 < (signed.expires_at - datetime.now(UTC)).total_seconds() <= 300
    assert blobs.download(signed) == b"exported"


def test_a_write_sends_one_finalized_event(blobs: Blobs) -> None:
    name = f"{blobs.prefix}uploads/u2.dxf"
    generation = blobs.store.put(name, b"hello", content_type="application/dxf")
    assert eventually(lambda: len(_mine(blobs)) == 1)
    (event,) = _mine(blobs)
    assert event["type"] == STORAGE_FINALIZED
    assert event["source"] == f"//storage.googleapis.com/projects/_/buckets/{NOTIFYING_BUCKET}"
    assert event["subject"] == f"objects/{name}"
    obj = unwrap_storage(event)
    assert (obj.bucket, obj.name, obj.generation, obj.size) == (NOTIFYING_BUCKET, name, generation, 5)
    assert obj.content_type == "application/dxf"


def test_gcs_upload_url_is_v4_signed_with_its_constraints(gcs_emulator: Any) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from archbuilder.adapters.gcp.gcs_blobs import GcsBlobStore

    store = GcsBlobStore(
        storage.Client(project=PROJECT, credentials=AnonymousCredentials()),
        NOTIFYING_BUCKET,
        signer=_test_signer(),
    )
    signed = store.signed_upload_url(
        "a/b.ifc", content_type="application/x-step", size_bytes=1234, sha256="ab" * 32, expires_in_s=600
    )
    url = urlparse(signed.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == f"/{NOTIFYING_BUCKET}/a/b.ifc"
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256" and query["X-Goog-Expires"] == "600"
    assert query["X-Goog-Credential"].startswith("uploads-signer@demo-archbuilder.iam.gserviceaccount.com/")
    assert set(query["X-Goog-SignedHeaders"].split(";")) == {
        "content-type",
        "host",
        "x-goog-content-length-range",
        "x-goog-if-generation-match",
        "x-goog-meta-sha256",
    }
    assert signed.headers["x-goog-content-length-range"] == "1234,1234"
    assert signed.headers["x-goog-if-generation-match"] == "0"
