"""Regulation documents through the CAD upload flow, end to end in-process: POST
/v1/regulations/uploads, PUT to the signed URL, the uploads bucket's finalize CloudEvent to
``cad_ingest``, the sandboxed parse, the job, and the document in the library."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from cloudevents.conversion import to_binary
from flask.testing import FlaskClient
from functions_framework import create_app

from archbuilder.adapters.local.file_blobs import FinalizedObject
from archbuilder.domain.timestamps import now
from archbuilder.manifest import storage_trigger_key
from archbuilder.platform.events import storage_finalized_event
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from archbuilder.services.regulation_uploads import UPLOAD_LIMITS
from tests.conftest import REPO_ROOT, TenantCredentials, drain
from tests.functional.test_uploads import put

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "regulations"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
TURKISH = (FIXTURES / "tr_imar.txt").read_bytes()
ENGLISH = (FIXTURES / "en_residential.txt").read_text(encoding="utf-8")


def start(
    client: FlaskClient,
    tenant: TenantCredentials,
    name: str,
    data: bytes,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    body = {
        "filename": name,
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "region": "TR",
        "language": "tr",
        "title": "Ofis yönetmeliği (fixture)",
    } | fields
    return client.post("/v1/regulations/uploads", json=body, headers=tenant.headers | (headers or {}))


def upload(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, name: str, data: bytes, **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start an upload, PUT the file, let the finalize event run; the upload and its job."""
    started = start(client, tenant, name, data, **fields)
    assert started.status_code == 201, started.json
    assert put(client, started.json["upload_url"], data, started.json["headers"]).status_code == 200
    drain(runtime)
    job = client.get(f"/v1/jobs/{started.json['job_id']}", headers=tenant.headers)
    assert job.status_code == 200, job.json
    return started.json, job.json


def record(runtime: Runtime, tenant: TenantCredentials, upload_id: str) -> dict[str, Any]:
    found = runtime.store.get(f"tenants/{tenant.tenant_id}/regulation_uploads/{upload_id}")
    assert found is not None
    return dict(found.data)


def documents(client: FlaskClient, tenant: TenantCredentials) -> list[dict[str, Any]]:
    listed = client.get("/v1/regulations/documents", headers=tenant.headers)
    assert listed.status_code == 200
    return list(listed.json["items"])


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    for line in text.splitlines():
        pdf.multi_cell(0, 6, line or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_a_text_upload_is_indexed_searchable_and_its_file_not_kept(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    started = start(client, tenant, "imar.txt", TURKISH, short="OFİS", edition="fixture-2")
    assert started.status_code == 201, started.json
    assert set(started.json) >= {"upload_id", "upload_url", "headers", "expires_at", "job_id"}
    pending = client.get(f"/v1/jobs/{started.json['job_id']}", headers=tenant.headers).json
    assert (pending["kind"], pending["stage"], pending["status"]) == (
        "regulation_ingest",
        "awaiting_upload",
        "queued",
    )
    assert pending["message"] == "Dosyanın yüklenmesi bekleniyor"  # the caller's language, tr
    url, headers = started.json["upload_url"], started.json["headers"]
    assert put(client, url, TURKISH[:-5] + b"xxxxx", headers).status_code == 400  # not the declared file
    assert put(client, url, TURKISH, headers).status_code == 200
    drain(runtime)

    job = client.get(f"/v1/jobs/{started.json['job_id']}", headers=tenant.headers).json
    assert (job["status"], job["stage"], job["attempts"]) == ("succeeded", "done", 1), job
    document_id, passages = job["result"]["document_id"], job["result"]["passages"]
    assert passages > 5
    listed = documents(client, tenant)
    assert [(d["id"], d["scope"], d["short"], d["edition"], d["format"]) for d in listed] == [
        (document_id, "tenant", "OFİS", "fixture-2", "text")
    ]
    found = client.get(
        "/v1/regulations/search", query_string={"q": "yatak odaları", "region": "TR"}, headers=tenant.headers
    ).json
    assert found["results"][0]["document_id"] == document_id
    assert found["results"][0]["citation"] == "Madde 29 (1)"
    # The library keeps the passages, not the file.
    stored = record(runtime, tenant, started.json["upload_id"])
    assert stored["status"] == "indexed" and stored["document_id"] == document_id
    assert runtime.uploads.get(stored["object_name"]) is None
    assert stored["object_name"].startswith(f"tenants/{tenant.tenant_id}/regulations/uploads/")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("residential.docx", docx_bytes(ENGLISH)),
        ("residential.pdf", pdf_bytes(ENGLISH)),
        ("bauordnung.html", (FIXTURES / "de_bauordnung.html").read_bytes()),
    ],
)
def test_docx_pdf_and_html_uploads_are_indexed(
    name: str, content: bytes, client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    german = name.endswith(".html")
    region, language = ("DE", "de") if german else ("US", "en")
    started, job = upload(
        client, runtime, tenant, name, content, region=region, language=language, title=name
    )
    assert job["status"] == "succeeded", job
    query, citation = (
        ("Raumhöhe Aufenthaltsraum", "§ 47 Abs. 1") if german else ("stairways width", "Section R311.7.1")
    )
    found = client.get(
        "/v1/regulations/search", query_string={"q": query, "region": region}, headers=tenant.headers
    ).json
    best = found["results"][0]
    assert (best["document_id"], best["citation"]) == (job["result"]["document_id"], citation)
    if name.endswith(".pdf"):
        assert best["page"] == 1


def test_a_finalize_event_delivered_twice_or_late_gives_one_document(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    started = start(client, tenant, "imar.txt", TURKISH)
    assert started.status_code == 201
    stored = record(runtime, tenant, started.json["upload_id"])
    name = stored["object_name"]
    # The write sends one finalize event; the same event again at once (Eventarc delivers at
    # least once) races it on the bus's workers, and an older generation's arrives out of order.
    generation = runtime.uploads.put(name, TURKISH)
    twice = FinalizedObject("uploads", name, generation, len(TURKISH), "application/octet-stream", "")
    runtime.bus.emit(storage_trigger_key("uploads"), twice.cloud_event())
    stale = FinalizedObject("uploads", name, generation - 1, len(TURKISH), "application/octet-stream", "")
    runtime.bus.emit(storage_trigger_key("uploads"), stale.cloud_event())
    drain(runtime)
    job = client.get(f"/v1/jobs/{started.json['job_id']}", headers=tenant.headers).json
    assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    assert [d["id"] for d in documents(client, tenant)] == [job["result"]["document_id"]]

    # Delivered once more to the function itself, after the fact: nothing changes.
    worker = create_app(
        target="cad_ingest",
        source=str(REPO_ROOT / "functions/cad_ingest/main.py"),
        signature_type="cloudevent",
    ).test_client()
    before = (record(runtime, tenant, started.json["upload_id"]), job)
    event = storage_finalized_event(
        bucket="uploads",
        name=name,
        generation=generation,
        size=len(TURKISH),
        content_type="application/octet-stream",
        md5_base64="",
        created_at=now(),
    )
    headers, body = to_binary(event)
    assert worker.post("/", headers=headers, data=body).status_code == 200
    after = client.get(f"/v1/jobs/{started.json['job_id']}", headers=tenant.headers).json
    assert (record(runtime, tenant, started.json["upload_id"]), after) == before
    assert len(documents(client, tenant)) == 1


def test_an_attempt_that_died_after_indexing_is_not_indexed_twice(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    started, job = upload(client, runtime, tenant, "imar.txt", TURKISH)
    document_id = job["result"]["document_id"]
    # What a crash between indexing and finishing leaves: the upload taken, the lease run out.
    path = f"tenants/{tenant.tenant_id}/regulation_uploads/{started['upload_id']}"
    runtime.store.update(path, {"status": "processing", "generation": None})
    runtime.store.update(
        f"tenants/{tenant.tenant_id}/jobs/{started['job_id']}",
        {"status": "running", "stage": "reading_document", "result": None, "lease_expires_at": None},
    )
    runtime.uploads.put(record(runtime, tenant, started["upload_id"])["object_name"], TURKISH)  # redelivered
    drain(runtime)
    again = client.get(f"/v1/jobs/{started['job_id']}", headers=tenant.headers).json
    assert again["status"] == "succeeded" and again["result"]["document_id"] == document_id
    assert [d["id"] for d in documents(client, tenant)] == [document_id]


def test_content_that_does_not_match_its_extension_fails_the_job_in_the_callers_language(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    started, job = upload(client, runtime, tenant, "yonetmelik.pdf", TURKISH)
    assert (job["status"], job["stage"], job["attempts"]) == ("failed", "failed", 1), job
    assert job["error"]["code"] == "REGULATION_FORMAT_MISMATCH"
    assert job["error"]["message"] == "Dosyanın içeriği (text) uzantısıyla (.pdf) uyuşmuyor."
    german = client.get(
        f"/v1/jobs/{started['job_id']}", headers=tenant.headers | {"Accept-Language": "de"}
    ).json
    assert german["error"]["message"] == "Der Inhalt der Datei (text) passt nicht zu ihrer Endung (.pdf)."
    stored = record(runtime, tenant, started["upload_id"])
    assert stored["status"] == "failed" and stored["error"]["code"] == "REGULATION_FORMAT_MISMATCH"
    assert runtime.uploads.get(stored["object_name"]) is None  # refused for good: not kept either
    assert documents(client, tenant) == []


def test_a_caller_speaking_another_language_reads_its_job_in_it(
    client: FlaskClient, runtime: Runtime, other_tenant: TenantCredentials
) -> None:
    """The job speaks the language of the caller who started it (a German tenant asking in Turkish)."""
    started = start(client, other_tenant, "regeln.pdf", b"nur Text", headers={"Accept-Language": "tr"})
    assert started.status_code == 201, started.json
    assert put(client, started.json["upload_url"], b"nur Text", started.json["headers"]).status_code == 200
    drain(runtime)
    job = client.get(f"/v1/jobs/{started.json['job_id']}", headers=other_tenant.headers).json
    assert job["error"]["code"] == "REGULATION_FORMAT_MISMATCH"
    assert "uzantısıyla" in job["error"]["message"]


def test_a_file_over_the_limit_or_of_another_kind_is_refused_before_any_url(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    assert UPLOAD_LIMITS.max_bytes == 64 * 1024 * 1024  # larger than the body route's 12 MiB
    too_big = start(client, tenant, "scan.pdf", b"", size_bytes=UPLOAD_LIMITS.max_bytes + 1, sha256="0" * 64)
    assert too_big.status_code == 413, too_big.json
    assert too_big.json["error"]["code"] == "REGULATION_TOO_LARGE" and "upload_url" not in too_big.json
    assert "sınır" in too_big.json["error"]["message"]
    drawing = start(client, tenant, "plan.dwg", b"x" * 10)
    assert drawing.status_code == 422 and drawing.json["error"]["code"] == "REGULATION_FORMAT_UNSUPPORTED"
    for field, value in (("region", "Narnia"), ("language", "xx"), ("title", "")):
        refused = start(client, tenant, "a.txt", b"x" * 10, **{field: value})
        assert refused.status_code == 422, (field, refused.json)
    # Nothing was recorded for any of them.
    assert runtime.store.query(Query(f"tenants/{tenant.tenant_id}/regulation_uploads")) == []
    assert runtime.store.query(Query(f"tenants/{tenant.tenant_id}/jobs")) == []
    # Twelve MiB and more, which the body route refuses, is fine here.
    big = start(client, tenant, "scan.pdf", b"", size_bytes=20 * 1024 * 1024, sha256="0" * 64)
    assert big.status_code == 201, big.json


def test_bytes_other_than_declared_fail_the_job_with_a_code(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    started = start(client, tenant, "imar.txt", TURKISH)
    assert started.status_code == 201
    name = record(runtime, tenant, started.json["upload_id"])["object_name"]
    # A bucket that took other bytes of the same size (the local URL itself refuses them).
    runtime.uploads.put(name, TURKISH.replace("Amaç".encode(), "Amaş".encode()))
    drain(runtime)
    job = client.get(f"/v1/jobs/{started.json['job_id']}", headers=tenant.headers).json
    assert (job["status"], job["error"]["code"]) == ("failed", "UPLOAD_CHECKSUM_MISMATCH"), job
    assert "SHA-256" in job["error"]["message"]
    assert documents(client, tenant) == []


def test_another_tenant_cannot_read_the_upload_job_or_its_document(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    started, job = upload(client, runtime, tenant, "imar.txt", TURKISH)
    assert job["status"] == "succeeded"
    assert client.get(f"/v1/jobs/{started['job_id']}", headers=other_tenant.headers).status_code == 404
    document = f"/v1/regulations/documents/{job['result']['document_id']}"
    assert client.get(document, headers=other_tenant.headers).status_code == 404
    assert documents(client, other_tenant) == []


def test_an_object_outside_both_layouts_is_ignored_with_a_warning(
    runtime: Runtime, tenant: TenantCredentials, caplog: pytest.LogCaptureFixture
) -> None:
    for name in (
        f"tenants/{tenant.tenant_id}/regulations/uploads/upl_x/deeper/a.txt",
        f"tenants/{tenant.tenant_id}/notes/a.txt",
    ):
        runtime.uploads.put(name, b"MADDE 1 - a")
    drain(runtime)
    ignored = [r for r in caplog.records if r.getMessage() == "object outside the upload layout ignored"]
    assert len(ignored) == 2
    assert runtime.store.query(Query(f"tenants/{tenant.tenant_id}/jobs")) == []
