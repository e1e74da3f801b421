"""Backups and restores of one region's data: every document and both buckets.

``archbuilder admin backup --to DEST`` and ``archbuilder admin restore --from SRC``
(``recovery_cli.py``). What a backup is depends on the runtime:

- **Embedded default**: DEST is a folder. The SQLite store is copied with SQLite's online
  backup API (one consistent snapshot while the server keeps writing), then the bucket
  folders.
- **Google Cloud**: DEST is ``gs://bucket/prefix``. Firestore's managed export
  (``exportDocuments``, as ``gcloud firestore export``) writes ``DEST/firestore``; the objects
  of the uploads and artifacts buckets are copied server side to ``DEST/objects/<bucket>/``.
- **Firestore emulator** (``FIRESTORE_EMULATOR_HOST``): DEST is a folder; the emulator's own
  export endpoint writes the same export format there, the objects are downloaded beside it.

Documents first, objects after: every document of the snapshot finds the objects it names.
Each backup has ``manifest.json`` and two inventories, ``documents.sha256`` and
``objects.sha256`` (one ``<sha256> <path>`` line each), which ``restore`` checks the restored
data against. A restore puts the objects back first and the documents after, so that the
Storage events the restored uploads raise find no upload document yet and change nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.regulations.library import EMBEDDED_FILE

if TYPE_CHECKING:
    from archbuilder.runtime import Runtime

FORMAT = 1
MANIFEST = "manifest.json"
DOCUMENTS_INVENTORY = "documents.sha256"
OBJECTS_INVENTORY = "objects.sha256"
SQLITE_FILE = "documents.sqlite3"
BUCKETS = ("artifacts", "uploads")  # the logical names, as Runtime.blobs and Runtime.uploads
EXPORT_NAME = "firestore"  # DEST/firestore/: the Firestore export (managed or the emulator's)

Kind = Literal["embedded", "firestore", "firestore-emulator"]


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Inventory:
    """Every document (or object) by path, with the SHA-256 of its content."""

    hashes: dict[str, str] = field(default_factory=dict)

    def lines(self) -> str:
        return "".join(f"{digest} {path}\n" for path, digest in sorted(self.hashes.items()))

    @classmethod
    def parse(cls, text: str) -> Inventory:
        hashes = {}
        for line in text.splitlines():
            if line.strip():
                digest, path = line.split(" ", 1)
                hashes[path] = digest
        return cls(hashes)

    def by_collection(self) -> dict[str, int]:
        """Document count per collection group (``tenants/*/projects`` → ``projects``)."""
        return dict(sorted(Counter(path.split("/")[-2] for path in self.hashes).items()))

    def compare(self, live: Inventory) -> Comparison:
        missing = sorted(set(self.hashes) - set(live.hashes))
        changed = sorted(p for p in self.hashes if p in live.hashes and live.hashes[p] != self.hashes[p])
        extra = sorted(set(live.hashes) - set(self.hashes))
        return Comparison(missing=missing, changed=changed, extra=extra)


@dataclass(frozen=True)
class Comparison:
    """The live data against a backup's inventory. ``extra``: newer than the backup (an import
    into a live database leaves them); ``missing`` and ``changed`` mean the restore failed."""

    missing: list[str]
    changed: list[str]
    extra: list[str]

    @property
    def identical(self) -> bool:
        return not (self.missing or self.changed or self.extra)

    @property
    def restored(self) -> bool:
        return not (self.missing or self.changed)

    def summary(self) -> str:
        def some(paths: list[str]) -> str:
            return ", ".join(paths[:5]) + (" …" if len(paths) > 5 else "")

        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} missing ({some(self.missing)})")
        if self.changed:
            parts.append(f"{len(self.changed)} changed ({some(self.changed)})")
        if self.extra:
            parts.append(f"{len(self.extra)} not in the backup ({some(self.extra)})")
        return "; ".join(parts) or "identical"


@dataclass(frozen=True)
class BackupReport:
    location: str
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RestoreReport:
    location: str
    manifest: dict[str, Any]
    documents: Comparison
    objects: Comparison
    objects_written: int
    duration_s: float


# -- what a runtime is ------------------------------------------------------------------


def _kind(runtime: Runtime) -> Kind:
    if not runtime.settings.uses_google_cloud:
        return "embedded"
    return "firestore-emulator" if os.environ.get("FIRESTORE_EMULATOR_HOST") else "firestore"


def _database(runtime: Runtime) -> str:
    from archbuilder.adapters.gcp.runtime import GcpSettings

    gcp = GcpSettings()
    return gcp.resolve(gcp.firestore_database, runtime.settings)


def _bucket_names(runtime: Runtime) -> dict[str, str]:
    """Logical bucket name → the real one (``bucket`` of the blob store adapters)."""
    return {
        "artifacts": str(getattr(runtime.blobs, "bucket", "artifacts")),
        "uploads": str(getattr(runtime.uploads, "bucket", "uploads")),
    }


def _stores(runtime: Runtime) -> dict[str, Any]:
    return {"artifacts": runtime.blobs, "uploads": runtime.uploads}


# -- inventories of the live data -------------------------------------------------------


def _canonical(value: Any) -> Any:
    """JSON-comparable content: Firestore timestamps as ISO text, bytes as hex."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def content_hash(data: Any) -> str:
    """The SHA-256 of a document's content, independent of key order and adapter."""
    text = json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def sqlite_documents(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every document of an embedded store file, as (path, data)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for collection, doc_id, data in connection.execute(
            "SELECT collection, id, data FROM documents ORDER BY collection, id"
        ):
            yield f"{collection}/{doc_id}", json.loads(data)
    finally:
        connection.close()


def firestore_documents(client: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every document of a Firestore database as stored (hidden fields included): one
    all-descendants query per top-level collection, not one call per document."""
    seen: set[str] = set()
    for collection in client.collections():
        for snapshot in collection.recursive().stream():
            path = snapshot.reference.path
            if snapshot.exists and path not in seen:
                seen.add(path)
                yield path, snapshot.to_dict() or {}


def document_inventory(runtime: Runtime) -> Inventory:
    """The live documents of the runtime's store."""
    if _kind(runtime) == "embedded":
        documents = sqlite_documents(runtime.settings.data_dir / SQLITE_FILE)
    else:
        documents = firestore_documents(runtime.store.client)  # type: ignore[attr-defined]
    return Inventory({path: content_hash(data) for path, data in documents})


def object_inventory(runtime: Runtime) -> Inventory:
    """The live objects of both buckets, as ``<bucket>/<name>``."""
    hashes = {}
    for logical, store in _stores(runtime).items():
        for name in store.list(""):
            data = store.get(name)
            if data is not None:
                hashes[f"{logical}/{name}"] = hashlib.sha256(data).hexdigest()
    return Inventory(hashes)


# -- backup -----------------------------------------------------------------------------


def backup(runtime: Runtime, destination: str) -> BackupReport:
    """Back up every document and object of ``runtime`` to ``destination`` (a new or empty
    folder; ``gs://bucket/prefix`` on Google Cloud)."""
    started = time.monotonic()
    kind = _kind(runtime)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "kind": kind,
        "created_at": format_timestamp(now()),
        "data_region": runtime.settings.data_region,
    }
    if kind == "firestore":
        if not destination.startswith("gs://"):
            raise BackupError("a Firestore backup goes to Cloud Storage: --to gs://<bucket>/<prefix>")
        return _backup_to_cloud_storage(runtime, destination.rstrip("/"), manifest, started)
    folder = Path(destination).resolve()
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "embedded":
        documents = _copy_sqlite(runtime.settings.data_dir / SQLITE_FILE, folder / SQLITE_FILE)
        manifest["regulations"] = _copy_regulations(runtime.settings.data_dir / EMBEDDED_FILE, folder)
    else:
        database = _database(runtime)
        _emulator_export(runtime, database, folder)
        manifest["database"] = database
        manifest["firestore_export"] = f"{EXPORT_NAME}/{EXPORT_NAME}.overall_export_metadata"
        # The inventory is read after the export: writes in between show as differences.
        documents = document_inventory(runtime)
    objects = _download_objects(runtime, folder / "objects")
    manifest |= _counts(documents, objects) | {"duration_s": round(time.monotonic() - started, 3)}
    (folder / DOCUMENTS_INVENTORY).write_text(documents.lines())
    (folder / OBJECTS_INVENTORY).write_text(objects.lines())
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return BackupReport(str(folder), manifest)


def _counts(documents: Inventory, objects: Inventory) -> dict[str, Any]:
    per_bucket = Counter(path.split("/", 1)[0] for path in objects.hashes)
    return {
        "documents": {"count": len(documents.hashes), "by_collection": documents.by_collection()},
        "objects": {bucket: per_bucket.get(bucket, 0) for bucket in BUCKETS},
    }


def _copy_sqlite(source: Path, target: Path) -> Inventory:
    """A consistent copy of a live SQLite store (the online backup API), and its inventory."""
    if not source.exists():
        raise BackupError(f"no document store at {source}")
    _sqlite_backup(source, target)
    return Inventory({path: content_hash(data) for path, data in sqlite_documents(target)})


def _copy_regulations(source: Path, folder: Path) -> dict[str, int]:
    """The embedded regulation index beside the documents (the online backup API, as for the
    store), and how many documents and passages it holds; nothing when there is no index."""
    if not source.exists():
        return {"documents": 0, "passages": 0}
    target = folder / EMBEDDED_FILE
    _sqlite_backup(source, target)
    copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        documents = copy.execute("SELECT count(*) FROM documents").fetchone()[0]
        passages = copy.execute("SELECT count(*) FROM passages").fetchone()[0]
    finally:
        copy.close()
    return {"documents": int(documents), "passages": int(passages)}


def _sqlite_backup(source: Path, target: Path) -> None:
    """``source`` copied page by page into ``target`` with SQLite's online backup API, in one
    step: a single read transaction, so one point in time, while the source stays in use."""
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    writer = sqlite3.connect(target, timeout=30)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


def _download_objects(runtime: Runtime, folder: Path) -> Inventory:
    hashes = {}
    for logical, store in _stores(runtime).items():
        for name in store.list(""):
            data = store.get(name)
            if data is None:
                continue  # deleted since it was listed
            target = folder / logical / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            hashes[f"{logical}/{name}"] = hashlib.sha256(data).hexdigest()
    return Inventory(hashes)


def _emulator_export(runtime: Runtime, database: str, folder: Path) -> None:
    """The emulator's export (the managed export's format) of ``database`` into ``folder``."""
    project = runtime.settings.gcp_project
    body = json.dumps(
        {
            "database": f"projects/{project}/databases/{database}",
            "export_directory": str(folder),
            "export_name": EXPORT_NAME,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the emulator on loopback, from the environment
        f"http://{os.environ['FIRESTORE_EMULATOR_HOST']}/emulator/v1/projects/{project}:export",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=300) as answer:  # noqa: S310
        if answer.status != 200:
            raise BackupError(f"the Firestore emulator refused the export: {answer.status}")


def _backup_to_cloud_storage(
    runtime: Runtime, destination: str, manifest: dict[str, Any], started: float
) -> BackupReport:
    """Managed export plus server-side object copies into ``gs://bucket/prefix``."""
    from google.cloud import firestore_admin_v1

    database = _database(runtime)
    project = runtime.settings.gcp_project
    admin = firestore_admin_v1.FirestoreAdminClient()
    operation = admin.export_documents(
        request={
            "name": f"projects/{project}/databases/{database}",
            "output_uri_prefix": f"{destination}/{EXPORT_NAME}",
        }
    )
    operation.result(timeout=6 * 3600)  # type: ignore[no-untyped-call]
    documents = document_inventory(runtime)
    client, target_bucket, prefix = _gcs_target(runtime, destination)
    hashes = {}
    for logical, bucket in _bucket_names(runtime).items():
        source = client.bucket(bucket)
        for blob in client.list_blobs(bucket):
            source.copy_blob(blob, target_bucket, f"{prefix}objects/{logical}/{blob.name}")
            hashes[f"{logical}/{blob.name}"] = hashlib.sha256(blob.download_as_bytes()).hexdigest()
    objects = Inventory(hashes)
    manifest |= {
        "database": database,
        "firestore_export": f"{EXPORT_NAME}/{EXPORT_NAME}.overall_export_metadata",
    }
    manifest |= _counts(documents, objects) | {"duration_s": round(time.monotonic() - started, 3)}
    target_bucket.blob(f"{prefix}{DOCUMENTS_INVENTORY}").upload_from_string(documents.lines())
    target_bucket.blob(f"{prefix}{OBJECTS_INVENTORY}").upload_from_string(objects.lines())
    target_bucket.blob(f"{prefix}{MANIFEST}").upload_from_string(json.dumps(manifest, indent=2))
    return BackupReport(destination, manifest)


def _gcs_target(runtime: Runtime, uri: str) -> tuple[Any, Any, str]:
    from google.cloud import storage  # type: ignore[attr-defined]

    bucket, _, prefix = uri.removeprefix("gs://").partition("/")
    client = storage.Client(project=runtime.settings.gcp_project)
    return client, client.bucket(bucket), f"{prefix}/" if prefix else ""


# -- restore ----------------------------------------------------------------------------


def read_manifest(source: str) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(_read_text(source, MANIFEST))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: not a backup of this format (manifest format {manifest.get('format')})")
    return manifest


def _read_text(source: str, name: str) -> str:
    if source.startswith("gs://"):
        from google.cloud import storage  # type: ignore[attr-defined]

        bucket, _, prefix = source.rstrip("/").removeprefix("gs://").partition("/")
        blob = storage.Client().bucket(bucket).blob(f"{prefix}/{name}" if prefix else name)
        return str(blob.download_as_text())
    path = Path(source) / name
    if not path.exists():
        raise BackupError(f"{source} is not a backup: no {name}")
    return path.read_text()


def restore(runtime: Runtime, source: str, *, database: str | None = None) -> RestoreReport:
    """Bring back the documents and objects of the backup in ``source``, objects first, and
    check the result against the backup's inventories.

    Embedded: the store and the buckets become exactly the backup's (refused while a dev
    server uses the data folder). Google Cloud: ``importDocuments`` overwrites the documents
    the export holds and leaves newer ones (``database`` imports into another database, a
    scratch one to inspect first); objects that differ or are missing are copied back.
    Firestore emulator: it imports only when it starts (``--import-data``), so here the
    documents are checked, not written.
    """
    started = time.monotonic()
    kind = _kind(runtime)
    manifest = read_manifest(source)
    backup_kind = manifest["kind"]
    if (backup_kind == "embedded") != (kind == "embedded"):
        raise BackupError(f"a {backup_kind} backup cannot be restored into a {kind} store")
    documents = Inventory.parse(_read_text(source, DOCUMENTS_INVENTORY))
    objects = Inventory.parse(_read_text(source, OBJECTS_INVENTORY))
    if kind == "embedded":
        written = _restore_embedded(runtime, Path(source).resolve(), objects)
    elif kind == "firestore-emulator":
        # Checked before any object is written: nothing changes when the import is missing.
        live = document_inventory(runtime)
        if documents.hashes and not live.hashes:
            export = Path(source).resolve() / manifest["firestore_export"]
            raise BackupError(
                "the Firestore emulator imports only when it starts: start it with "
                f"--import-data={export} (python -m tools.run_emulated --firestore-import {export}), "
                "then run this restore again for the objects"
            )
        written = _upload_objects(runtime, Path(source).resolve(), objects)
    else:
        written = _restore_cloud(runtime, source.rstrip("/"), manifest, objects, database)
    return RestoreReport(
        location=source,
        manifest=manifest,
        documents=documents.compare(document_inventory(runtime)),
        objects=objects.compare(object_inventory(runtime)),
        objects_written=written,
        duration_s=round(time.monotonic() - started, 3),
    )


def servers_using(data_dir: Path) -> list[int]:
    """Ports of the running dev servers whose data folder is ``data_dir``."""
    from archbuilder.devserver import discovery_dir, read_discovery_file, running_server

    ports = []
    for path in sorted(discovery_dir().glob("server-*.json")):
        info = read_discovery_file(path)
        if info is not None and Path(info.data_dir) == data_dir.resolve() and running_server(info.port):
            ports.append(info.port)
    return ports


def _restore_embedded(runtime: Runtime, source: Path, objects: Inventory) -> int:
    data_dir = runtime.settings.data_dir.resolve()
    ports = servers_using(data_dir)
    if ports:
        raise BackupError(
            f"the dev server on port {ports[0]} uses {data_dir}: stop it before restoring into it"
        )
    # Check the copy before touching anything.
    backed_up = source / SQLITE_FILE
    if not backed_up.exists():
        raise BackupError(f"{source} has no {SQLITE_FILE}")
    for path, digest in objects.hashes.items():
        file = source / "objects" / path
        if not file.exists() or hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            raise BackupError(f"{file} is missing or damaged: not restoring from this backup")
    # Objects first: each bucket folder is built beside the live one, then swapped in.
    buckets = data_dir / "buckets"
    buckets.mkdir(parents=True, exist_ok=True)
    for logical in BUCKETS:
        staging = Path(tempfile.mkdtemp(prefix=f".restore-{logical}-", dir=buckets))
        copied = source / "objects" / logical
        if copied.exists():
            shutil.copytree(copied, staging, dirs_exist_ok=True)
        live = buckets / logical
        if live.exists():
            retired = live.with_name(f".retired-{logical}-{os.getpid()}")
            live.rename(retired)
            staging.rename(live)
            shutil.rmtree(retired)
        else:
            staging.rename(live)
    # Then the documents (and the regulation index, when the backup has one): SQLite's backup
    # API writes the copy's pages into the live file.
    files = [SQLITE_FILE] + ([EMBEDDED_FILE] if (source / EMBEDDED_FILE).exists() else [])
    for name in files:
        _sqlite_backup(source / name, data_dir / name)
    return len(objects.hashes)


def _upload_objects(runtime: Runtime, source: Path, objects: Inventory) -> int:
    """Put back every object missing or different in the live buckets (through the port)."""
    stores = _stores(runtime)
    live = object_inventory(runtime)
    written = 0
    for path, digest in sorted(objects.hashes.items()):
        if live.hashes.get(path) == digest:
            continue
        logical, name = path.split("/", 1)
        data = (source / "objects" / path).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise BackupError(f"{source / 'objects' / path} is damaged")
        stores[logical].put(name, data)
        written += 1
    return written


def _restore_cloud(
    runtime: Runtime, source: str, manifest: dict[str, Any], objects: Inventory, database: str | None
) -> int:
    from google.cloud import firestore_admin_v1

    if not source.startswith("gs://"):
        raise BackupError("a Firestore backup is restored from Cloud Storage: --from gs://<bucket>/<prefix>")
    client, backup_bucket, prefix = _gcs_target(runtime, source)
    live = object_inventory(runtime)
    written = 0
    for logical, bucket in _bucket_names(runtime).items():
        target = client.bucket(bucket)
        for path, digest in sorted(objects.hashes.items()):
            if not path.startswith(f"{logical}/") or live.hashes.get(path) == digest:
                continue
            name = path.split("/", 1)[1]
            backup_bucket.copy_blob(backup_bucket.blob(f"{prefix}objects/{path}"), target, name)
            written += 1
    project = runtime.settings.gcp_project
    admin = firestore_admin_v1.FirestoreAdminClient()
    operation = admin.import_documents(
        request={
            "name": f"projects/{project}/databases/{database or _database(runtime)}",
            "input_uri_prefix": f"{source}/{EXPORT_NAME}",
        }
    )
    operation.result(timeout=6 * 3600)  # type: ignore[no-untyped-call]
    return written
