"""Uploads whose file never comes: the maintenance tick expires them once their signed URL and
the grace period have passed, gives a CAD upload's quota back once, and a file that comes after
that is refused (its finalize event changes nothing and the object is deleted).

Through the public interfaces: the upload is made over HTTP, the tick is the ``maintenance``
function's CloudEvent entry point and the late file's finalize event is pushed to the real
``cad_ingest`` entry point. The tick reads the clock, so the test ages the upload instead, as
``tests/functional/test_maintenance.py`` ages a job's lease: its documents are written back as
if it had been made two hours ago (``aged``). The boundary itself is checked with ``at``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from archbuilder.services.maintenance import run_maintenance
from archbuilder.services.uploads import UPLOAD_GRACE
from tests.conftest import SHARED_DATA, TenantCredentials
from tests.faults.conftest import CapturingBus, deliver, function_client
from tests.faults.test_worker_killed import bus_tick

DXF = SHARED_DATA / "dxf" / "barcelona_plan_R2013.dxf"
LANGUAGES = ("tr", "en", "de", "fr", "es")


def start_cad_upload(
    client: FlaskClient, tenant: TenantCredentials, data: bytes
) -> tuple[str, dict[str, Any]]:
    project = client.post("/v1/projects", json={"name": "Never sent"}, headers=tenant.headers).json["id"]
    started = client.post(
        f"/v1/projects/{project}/uploads",
        json={
            "filename": DXF.name,
            "size_bytes": len(data),
            "content_type": "application/octet-stream",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        headers=tenant.headers,
    )
    assert started.status_code == 201, started.json
    return project, started.json


def aged(runtime: Runtime, upload_path: str, job_path: str, *, ago: timedelta) -> datetime:
    """Write the upload and its job back as if made ``ago`` earlier (the URL's lifetime kept);
    the upload's new ``expires_at``."""
    upload = runtime.store.get(upload_path)
    assert upload is not None
    created = datetime.fromisoformat(upload.data["created_at"])
    lifetime = datetime.fromisoformat(upload.data["expires_at"]) - created
    made = created - ago
    runtime.store.update(
        upload_path, {"created_at": format_timestamp(made), "expires_at": format_timestamp(made + lifetime)}
    )
    runtime.store.update(
        job_path, {"created_at": format_timestamp(made), "updated_at": format_timestamp(made)}
    )
    return made + lifetime


def put(client: FlaskClient, started: dict[str, Any], data: bytes) -> int:
    path = started["upload_url"].split("://", 1)[-1].split("/", 1)[1]
    return client.put("/" + path, data=data, headers=started["headers"]).status_code


def usage(client: FlaskClient, tenant: TenantCredentials) -> tuple[int, int]:
    totals = client.get("/v1/usage", headers=tenant.headers).json["totals"]
    return totals["cad_uploads"], totals["cad_megabytes"]


def test_a_cad_upload_never_sent_expires_gives_its_quota_back_once_and_refuses_a_late_file(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, bus: CapturingBus
) -> None:
    data = DXF.read_bytes()
    assert usage(client, tenant) == (0, 0)
    project, started = start_cad_upload(client, tenant, data)
    assert usage(client, tenant)[0] == 1  # charged when the URL is handed out
    root = f"tenants/{tenant.tenant_id}"
    upload_path = f"{root}/projects/{project}/uploads/{started['upload_id']}"
    job_path = f"{root}/jobs/{started['job_id']}"
    model_url = f"/v1/projects/{project}/models/{started['model_id']}"

    bus_tick(bus)  # within the URL's lifetime: nothing to do
    assert client.get(f"/v1/jobs/{started['job_id']}", headers=tenant.headers).json["status"] == "queued"

    aged(runtime, upload_path, job_path, ago=UPLOAD_GRACE + timedelta(hours=1))
    bus_tick(bus)
    job = client.get(
        f"/v1/jobs/{started['job_id']}", headers={**tenant.headers, "Accept-Language": "en"}
    ).json
    assert (job["status"], job["stage"], job["error"]["code"]) == ("failed", "failed", "UPLOAD_EXPIRED")
    assert job["error"]["message"] == (
        f"The file {DXF.name} did not arrive before its upload link expired; start a new upload. "
        "The upload was not counted against your quota."
    )
    messages = {
        language: client.get(
            f"/v1/jobs/{started['job_id']}", headers={**tenant.headers, "Accept-Language": language}
        ).json["error"]["message"]
        for language in LANGUAGES
    }
    assert len(set(messages.values())) == len(LANGUAGES) and all(DXF.name in m for m in messages.values())
    model = client.get(model_url, headers=tenant.headers).json
    assert (model["status"], model["error"]["code"]) == ("failed", "UPLOAD_EXPIRED")
    upload = runtime.store.get(upload_path)
    assert upload is not None and upload.data["status"] == "expired"
    assert usage(client, tenant) == (0, 0)
    (record,) = runtime.store.query(Query(f"{root}/usage_ledger"))
    assert record.data["release_reason"] == "UPLOAD_EXPIRED" and record.data["meter_status"] == "skipped"

    # A second tick finds it expired: nothing is given back twice, nothing else changes.
    counters = runtime.store.query(Query(f"{root}/usage"))
    before = (runtime.store.get(job_path), runtime.store.get(upload_path), counters)
    bus_tick(bus)
    assert (
        runtime.store.get(job_path),
        runtime.store.get(upload_path),
        runtime.store.query(Query(f"{root}/usage")),
    ) == before

    # The file comes after all (the URL itself is still good here): its finalize event reaches
    # cad_ingest, whose claim refuses the expired upload; the object does not stay.
    assert put(client, started, data) == 200
    finalized = [c for c in bus.take() if c.function == "cad_ingest"]
    assert len(finalized) == 1
    assert deliver(function_client("cad_ingest"), finalized[0].event) == 200
    job = client.get(f"/v1/jobs/{started['job_id']}", headers=tenant.headers).json
    assert (job["status"], job["error"]["code"], job["attempts"]) == ("failed", "UPLOAD_EXPIRED", 0)
    model = client.get(model_url, headers=tenant.headers).json
    assert (model["status"], model["error"]["code"]) == ("failed", "UPLOAD_EXPIRED")
    assert runtime.store.get(upload_path).data["status"] == "expired"  # type: ignore[union-attr]
    assert runtime.uploads.list(f"{root}/projects/{project}/uploads/") == []
    assert usage(client, tenant) == (0, 0)


def test_an_upload_expires_only_after_its_url_and_the_grace_period(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, bus: CapturingBus
) -> None:
    _, started = start_cad_upload(client, tenant, DXF.read_bytes())
    deadline = datetime.fromisoformat(started["expires_at"]) + UPLOAD_GRACE
    # The URL signed and the upload recorded a moment apart: a second either side of the deadline.
    assert run_maintenance(runtime, at=deadline - timedelta(seconds=1)).uploads_expired == 0
    assert usage(client, tenant)[0] == 1
    assert run_maintenance(runtime, at=deadline + timedelta(seconds=1)).uploads_expired == 1
    assert run_maintenance(runtime, at=deadline + timedelta(seconds=2)).uploads_expired == 0
    assert usage(client, tenant) == (0, 0)


def test_an_upload_whose_file_is_in_the_bucket_is_left_to_ingest(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, bus: CapturingBus
) -> None:
    """Its finalize event is late (a backlog), not its file: expiring it would lose the file."""
    data = DXF.read_bytes()
    project, started = start_cad_upload(client, tenant, data)
    assert put(client, started, data) == 200
    later = datetime.fromisoformat(started["expires_at"]) + UPLOAD_GRACE + timedelta(minutes=5)
    assert run_maintenance(runtime, at=later).uploads_expired == 0
    (finalized,) = [c for c in bus.take() if c.function == "cad_ingest"]
    assert deliver(function_client("cad_ingest"), finalized.event) == 200
    model = client.get(f"/v1/projects/{project}/models/{started['model_id']}", headers=tenant.headers).json
    assert model["status"] == "ready"
    assert usage(client, tenant)[0] == 1


def test_a_regulation_upload_never_sent_expires_and_refuses_a_late_file(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, bus: CapturingBus
) -> None:
    text = "Madde 1 - Bu yönetmelik ofis binalarına uygulanır. Madde 2 - Koridor genişliği 1,20 m olur.\n".encode()
    started = client.post(
        "/v1/regulations/uploads",
        json={
            "filename": "ofis.txt",
            "size_bytes": len(text),
            "sha256": hashlib.sha256(text).hexdigest(),
            "region": "TR",
            "language": "tr",
            "title": "Ofis yönetmeliği (expiry)",
        },
        headers=tenant.headers,
    )
    assert started.status_code == 201, started.json
    root = f"tenants/{tenant.tenant_id}"
    upload_path = f"{root}/regulation_uploads/{started.json['upload_id']}"
    job_path = f"{root}/jobs/{started.json['job_id']}"
    aged(runtime, upload_path, job_path, ago=UPLOAD_GRACE + timedelta(hours=1))
    bus_tick(bus)
    job = client.get(
        f"/v1/jobs/{started.json['job_id']}", headers={**tenant.headers, "Accept-Language": "de"}
    ).json
    assert (job["status"], job["error"]["code"]) == ("failed", "UPLOAD_EXPIRED")
    assert job["error"]["message"].startswith("Die Datei ofis.txt ist nicht eingetroffen")
    assert runtime.store.get(upload_path).data["status"] == "expired"  # type: ignore[union-attr]

    assert put(client, started.json, text) == 200
    finalized = [c for c in bus.take() if c.function == "cad_ingest"]
    assert len(finalized) == 1
    assert deliver(function_client("cad_ingest"), finalized[0].event) == 200
    job = client.get(f"/v1/jobs/{started.json['job_id']}", headers=tenant.headers).json
    assert (job["status"], job["error"]["code"], job["attempts"]) == ("failed", "UPLOAD_EXPIRED", 0)
    assert runtime.store.get(upload_path).data["status"] == "expired"  # type: ignore[union-attr]
    assert client.get("/v1/regulations/documents", headers=tenant.headers).json["items"] == []
    assert runtime.uploads.list(f"{root}/regulations/uploads/") == []
    assert now() < datetime.fromisoformat(started.json["expires_at"])  # the URL itself was still good
