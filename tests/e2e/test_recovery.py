"""Backups that restore, and the debug bundle, through the real CLI and the real server.

- Embedded: data written through the API (tenants, a project, a planned layout version, a CAD
  upload), ``archbuilder admin backup`` while the server runs, the data folder wiped,
  ``archbuilder admin restore``, a new server: every document, object and API answer identical.
- Emulated: the same data through ``tools.run_emulated`` (every function on the Firestore,
  Pub/Sub and fake-gcs emulators); the backup is the Firestore emulator's own export (the
  managed export's format) plus the objects. The whole emulated system is then stopped (its
  emulators keep nothing) and a new Firestore emulator starts from the export (the emulator
  imports only at start), the restore puts the objects back, and a server on the new
  emulators answers as before.
- A debug bundle holds the job, its versions and its log lines, and no key, secret, e-mail
  address or whole Stripe id, seeded on purpose where the bundle reads.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import REPO_ROOT, SHARED_DATA
from tests.e2e.dev_server import admin_cli, create_tenant, dev_server, free_port
from tests.e2e.test_walkthrough import README_BRIEF

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BIN = Path(sys.executable).parent
DXF = SHARED_DATA / "dxf" / "barcelona_plan_R2013.dxf"


def _wait(url: str, key: dict[str, str], done: tuple[str, ...], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = requests.get(url, headers=key, timeout=10).json()
        if body["status"] in done:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def _write_through_the_api(base: str, env: dict[str, str], *, regulations: bool = False) -> dict[str, Any]:
    """Two tenants, a project, a planned layout, a CAD upload (and, with ``regulations``, a
    document in the tenant's regulation library); returns what to read back."""
    owner = create_tenant(env, "Yedek Mimarlık", "--plan", "professional", "--code-region", "TR")
    create_tenant(env, "Second tenant")
    key = {"X-API-Key": owner["api_key"]}
    project = requests.post(
        f"{base}/v1/projects",
        json={"name": "Moda Apartmanı", "code_region": "TR", "language": "tr", "units": "metric"},
        headers=key,
        timeout=30,
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    accepted = requests.post(
        f"{base}/v1/projects/{project_id}/layouts",
        json=README_BRIEF,
        headers=key | {"Idempotency-Key": "backup-1"},
        timeout=30,
    )
    assert accepted.status_code == 202, accepted.text
    job_id, layout_id = accepted.json()["job_id"], accepted.json()["layout_id"]
    job = _wait(f"{base}/v1/jobs/{job_id}", key, ("succeeded", "failed"))
    assert job["status"] == "succeeded", job
    data = DXF.read_bytes()
    started = requests.post(
        f"{base}/v1/projects/{project_id}/uploads",
        json={
            "filename": DXF.name,
            "size_bytes": len(data),
            "content_type": "application/octet-stream",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        headers=key,
        timeout=30,
    )
    assert started.status_code == 201, started.text
    upload = started.json()
    put = requests.put(upload["upload_url"], data=data, headers=upload["headers"], timeout=60)
    assert put.status_code == 200, put.text
    model_url = f"{base}/v1/projects/{project_id}/models/{upload['model_id']}"
    _wait(model_url, key, ("ready", "failed"))
    _wait(f"{base}/v1/jobs/{upload['job_id']}", key, ("succeeded", "failed"))
    library_urls = []
    if regulations:
        text = (REPO_ROOT / "tests" / "fixtures" / "regulations" / "tr_imar.txt").read_bytes()
        added = requests.post(
            f"{base}/v1/regulations/documents",
            json={
                "filename": "imar.txt",
                "content_base64": base64.b64encode(text).decode(),
                "region": "TR",
                "language": "tr",
                "title": "Ofis imar notları",
                "short": "PAİY",
            },
            headers=key,
            timeout=60,
        )
        assert added.status_code == 201, added.text
        library_urls = [
            f"/v1/regulations/documents/{added.json()['id']}",
            "/v1/regulations/search?q=yatak+odaları&region=TR",
        ]
    return {
        "key": key,
        "urls": [
            *library_urls,
            f"/v1/projects/{project_id}",
            f"/v1/projects/{project_id}/layouts",
            f"/v1/projects/{project_id}/layouts/{layout_id}",
            f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1",
            f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1/export?format=json",
            f"/v1/jobs/{job_id}",
            f"/v1/jobs/{upload['job_id']}",
            model_url.removeprefix(base),
        ],
        "dxf": f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1/export?format=dxf",
    }


def _read_back(base: str, written: dict[str, Any]) -> dict[str, Any]:
    """The walkthrough's reads: every answer by URL (200 expected)."""
    answers = {}
    for url in written["urls"]:
        answer = requests.get(f"{base}{url}", headers=written["key"], timeout=30)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:500])
        answers[url] = answer.json()
    dxf = requests.get(f"{base}{written['dxf']}", headers=written["key"], timeout=30)
    assert dxf.status_code == 200 and dxf.content.lstrip().startswith(b"0")
    return answers


def _settled(read: Callable[[], dict[str, Any]], timeout: float = 30) -> dict[str, Any]:
    """What ``read`` returns once two reads a second apart agree (the workers have finished
    what the last request started: usage records, webhook deliveries)."""
    deadline = time.monotonic() + timeout
    last = read()
    while True:
        time.sleep(1)
        current = read()
        if current == last:
            return current
        assert time.monotonic() < deadline, "the data kept changing"
        last = current


def _folder_objects(data_dir: Path) -> dict[str, str]:
    buckets = data_dir / "buckets"
    return {
        path.relative_to(buckets).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(buckets.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def _sqlite_documents(data_dir: Path) -> dict[str, Any]:
    from archbuilder.services.backups import sqlite_documents

    return dict(sqlite_documents(data_dir / "documents.sqlite3"))


# -- the embedded default ---------------------------------------------------------------


def test_embedded_backup_restores_a_wiped_data_folder(tmp_path: Path) -> None:
    data_dir, backup_dir = tmp_path / "data", tmp_path / "backup"
    data_dir.mkdir()
    with dev_server(data_dir) as (base, env):
        written = _write_through_the_api(base, env, regulations=True)
        documents = _settled(lambda: _sqlite_documents(data_dir))
        objects = _folder_objects(data_dir)
        made = json.loads(admin_cli(env, "backup", "--to", str(backup_dir), "--json").stdout)
        assert made["kind"] == "embedded" and made["documents"]["count"] == len(documents)
        assert made["objects"]["uploads"] == 1 and made["objects"]["artifacts"] >= 2
        assert made["regulations"]["documents"] == 1 and made["regulations"]["passages"] > 3
        # The server still serves and nothing changed while the copy was made.
        assert _sqlite_documents(data_dir) == documents
        before = _read_back(base, written)
        # A restore into a folder a server is using is refused.
        refused = admin_cli(env, "restore", "--from", str(backup_dir), check=False)
        assert refused.returncode == 2 and "stop it before restoring" in refused.stderr
    assert {"projects", "layouts", "versions", "jobs", "uploads", "models", "api_keys"} <= set(
        made["documents"]["by_collection"]
    )

    # The disaster: the data folder is gone.
    shutil.rmtree(data_dir)
    data_dir.mkdir()
    restored = json.loads(admin_cli(env, "restore", "--from", str(backup_dir), "--json").stdout)
    assert restored["documents"] == "identical" and restored["objects"] == "identical", restored
    sys.stderr.write(
        f"backup {made['duration_s']} s, restore {restored['duration_s']} s: {made['documents']['count']} documents, {made['objects']}\n"
    )
    assert _sqlite_documents(data_dir) == documents  # document by document
    assert _folder_objects(data_dir) == objects
    with dev_server(data_dir) as (base, _):
        assert _read_back(base, written) == before


# -- the Firestore emulator -------------------------------------------------------------


def _firestore_documents(host: str, project: str, database: str) -> dict[str, Any]:
    from google.cloud import firestore

    from archbuilder.services.backups import _canonical, firestore_documents

    saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = host
    try:
        client = firestore.Client(project=project, database=database)
        return {path: _canonical(data) for path, data in firestore_documents(client)}
    finally:
        if saved is None:
            os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = saved


@contextlib.contextmanager
def _server_on(env: dict[str, str], log: Path) -> Iterator[str]:
    """``archbuilder serve`` on the Google adapters of ``env``."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "archbuilder"), "serve"],
            cwd=REPO_ROOT,
            env=env | {"PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{base}/v1/health", timeout=2).status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_emulated_backup_restores_into_new_emulators(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tools import emulators

    from tests.e2e.test_walkthrough import _emulated

    backup_dir = tmp_path_factory.mktemp("emulated-backup") / "backup"
    with contextlib.contextmanager(_emulated)(tmp_path_factory) as server:
        env = server.env
        written = _write_through_the_api(server.base, env)
        project = env["ARCHBUILDER_GCP_PROJECT"]
        old_host = env["FIRESTORE_EMULATOR_HOST"]
        database = "archbuilder-eu"  # ARCHBUILDER_FIRESTORE_DATABASE's default, in data region eu
        documents = _settled(lambda: _firestore_documents(old_host, project, database))
        made = json.loads(admin_cli(env, "backup", "--to", str(backup_dir), "--json").stdout)
        assert made["database"] == database
        assert _firestore_documents(old_host, project, database) == documents
        before = _read_back(server.base, written)
        assert made["kind"] == "firestore-emulator" and made["documents"]["count"] == len(documents)
        assert made["objects"]["uploads"] == 1 and made["objects"]["artifacts"] >= 2
    # run_emulated has stopped: its emulators (in memory) and everything in them are gone.

    export = backup_dir / made["firestore_export"]
    started: list[emulators.Emulator] = []
    try:
        started.append(pubsub := emulators.start_pubsub(project))
        started.append(firestore := emulators.start_firestore(import_data=export))
        started.append(gcs := emulators.start_fake_gcs())
        keep = ("ARCHBUILDER_SIGNING_KEY_FILE", "ARCHBUILDER_SIGNED_URL_ENDPOINT", "ARCHBUILDER_BASE_URL")
        new_env = {k: v for k, v in env.items() if k not in keep}
        new_env |= (
            pubsub.env | firestore.env | gcs.env | {"ARCHBUILDER_DATA_DIR": str(backup_dir.parent / "d")}
        )
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        os.environ["STORAGE_EMULATOR_HOST"] = gcs.env["STORAGE_EMULATOR_HOST"]
        try:
            client = storage.Client(project=project, credentials=AnonymousCredentials())
            for bucket in ("uploads", "artifacts"):
                client.create_bucket(bucket)
        finally:
            os.environ.pop("STORAGE_EMULATOR_HOST", None)

        restored = json.loads(admin_cli(new_env, "restore", "--from", str(backup_dir), "--json").stdout)
        assert restored["documents"] == "identical" and restored["objects"] == "identical", restored
        sys.stderr.write(
            f"backup {made['duration_s']} s, restore {restored['duration_s']} s: {made['documents']['count']} documents, {made['objects']}\n"
        )
        assert restored["objects_written"] == made["objects"]["uploads"] + made["objects"]["artifacts"]
        assert _firestore_documents(firestore.env["FIRESTORE_EMULATOR_HOST"], project, database) == documents
        with _server_on(new_env, backup_dir.parent / "server.log") as base:
            assert _read_back(base, written) == before
    finally:
        for emulator in reversed(started):
            emulator.stop()


def test_emulated_restore_says_how_to_import(tmp_path: Path) -> None:
    """Restoring documents into an empty Firestore emulator cannot be done after its start:
    the command says how, instead of reporting a restore."""
    from tools import emulators

    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "manifest.json").write_text(
        json.dumps(
            {"format": 1, "kind": "firestore-emulator", "created_at": "x", "firestore_export": "f/f.m"}
        )
    )
    (backup / "documents.sha256").write_text("0" * 64 + " tenants/t1\n")
    (backup / "objects.sha256").write_text("")
    firestore = emulators.start_firestore()
    gcs = emulators.start_fake_gcs()
    try:
        env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
        env |= firestore.env | gcs.env | {"ARCHBUILDER_GCP_PROJECT": "demo-restore", "NO_GCE_CHECK": "True"}
        env |= {"ARCHBUILDER_SECRETS_BACKEND": "env", "PUBSUB_EMULATOR_HOST": "127.0.0.1:9"}
        env |= {"ARCHBUILDER_DATA_DIR": str(tmp_path / "d")}
        refused = admin_cli(env, "restore", "--from", str(backup), check=False)
        assert refused.returncode == 2, refused.stderr
        assert f"--import-data={backup / 'f/f.m'}" in refused.stderr
    finally:
        gcs.stop()
        firestore.stop()


# -- the debug bundle -------------------------------------------------------------------


def test_debug_bundle_holds_the_job_and_nothing_secret(tmp_path: Path) -> None:
    from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    email = "ayse.yilmaz@example.com"
    stripe_customer = "cus_Q1w2e3r4t5y6u7"
    with dev_server(data_dir, ARCHBUILDER_WEBHOOKS_ALLOW_PRIVATE="true") as (base, env):
        tenant = create_tenant(env, "Ayşe Yılmaz Mimarlık", "--plan", "professional")
        api_key = tenant["api_key"]
        key = {"X-API-Key": api_key}
        hook = requests.post(
            f"{base}/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "events": ["job.succeeded"]},
            headers=key,
            timeout=30,
        )
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]
        project = requests.post(
            f"{base}/v1/projects",
            json={"name": f"Villa for {email}", "code_region": "TR", "language": "en", "units": "metric"},
            headers=key,
            timeout=30,
        )
        assert project.status_code == 201, project.text
        project = project.json()
        brief = dict(
            README_BRIEF, rooms=[dict(README_BRIEF["rooms"][0], name=api_key), *README_BRIEF["rooms"][1:]]
        )
        brief["rooms"][1] = {"type": "kitchen", "name": secret[:60]}
        accepted = requests.post(
            f"{base}/v1/projects/{project['id']}/layouts",
            json=brief,
            headers=key | {"X-Correlation-ID": "support-case-7"},
            timeout=30,
        )
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["job_id"]
        assert _wait(f"{base}/v1/jobs/{job_id}", key, ("succeeded", "failed"))["status"] == "succeeded"
        # Last (the API reads it strictly): the Stripe state we keep, with a customer id and a billing e-mail.
        SqliteDocumentStore(data_dir / "documents.sqlite3").update(
            f"tenants/{tenant['tenant_id']}",
            {"subscription": {"customer_id": stripe_customer, "status": "active", "billing_email": email}},
        )
        out = tmp_path / "bundle.zip"
        done = admin_cli(
            env, "debug-bundle", "--tenant", tenant["tenant_id"], "--job", job_id, "--out", str(out)
        )
        assert "versions [1]" in done.stdout, done.stdout
        missing = admin_cli(
            env, "debug-bundle", "--tenant", tenant["tenant_id"], "--job", "job_nope", check=False
        )
        assert missing.returncode == 1 and "no job job_nope" in missing.stderr

    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        text = "\n".join(archive.read(name).decode() for name in names)
        job = json.loads(archive.read(f"documents/tenants/{tenant['tenant_id']}/jobs/{job_id}.json"))
        logs = [json.loads(line) for line in archive.read("logs.jsonl").decode().splitlines()]
    assert job["id"] == job_id and job["status"] == "succeeded"
    assert any(name.endswith("/versions/1.json") for name in names)
    version = next(json.loads(text_of) for text_of in _entries(out, "/versions/1.json"))
    assert version["payload"]["walls"] and len(version["payload"]["rooms"]) == 7
    assert any(line.get("job_id") == job_id for line in logs)
    assert any(
        line.get("correlation_id") == "support-case-7" and line.get("message") == "request" for line in logs
    )
    assert any(name.startswith("documents/") and "/webhooks/" in name for name in names)
    # Seeded on purpose, gone from every file of the archive.
    for seeded in (api_key, secret, secret[:60], email, "@example.com", stripe_customer, "Ayşe Yılmaz"):
        assert seeded not in text, seeded
    assert "cus_Q1w2…" in text  # the prefix stays, to tell support which customer it is


def _entries(archive_path: Path, suffix: str) -> list[str]:
    with zipfile.ZipFile(archive_path) as archive:
        return [archive.read(name).decode() for name in archive.namelist() if name.endswith(suffix)]
