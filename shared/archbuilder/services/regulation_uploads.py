"""Regulation documents through the CAD upload flow: a signed URL to PUT the file to, then the
uploads bucket's ``object.finalized`` event (delivered to ``cad_ingest``, which hands objects
under ``tenants/{t}/regulations/uploads/`` to :func:`ingest_upload`) reads the file in the
parsing sandbox and adds it to the tenant's library, as ``POST /v1/regulations/documents``
does with a file in the body, under a larger size limit (:data:`UPLOAD_LIMITS`).

Idempotent: the upload is claimed in a transaction with a lease (one delivery works on it at
a time), an upload whose document was added is never read again, and the document's id is
fixed when the upload is created, so an attempt that died after indexing finds its document
instead of adding a second one. The uploaded object is deleted once the upload is finished
(indexed, or refused for good): the library keeps passages, not files.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, field_validator

from archbuilder.domain.common import Language, RegionCode, StrictModel
from archbuilder.domain.ids import checked_id, new_id
from archbuilder.domain.job import Job, JobError, JobStatus
from archbuilder.domain.permissions import require
from archbuilder.domain.timestamps import Timestamp, format_timestamp, now
from archbuilder.domain.upload import check_declared, safe_file_name
from archbuilder.platform.errors import ArchBuilderError, Unprocessable
from archbuilder.platform.logging import bound, get_logger, log_fields
from archbuilder.ports import BlobStore, DocumentStore, Filter, Query, Transaction
from archbuilder.regulations.library import library_for
from archbuilder.regulations.sandbox import Limits
from archbuilder.repositories import TenantPaths, dump
from archbuilder.runtime import Runtime
from archbuilder.services.identity import Principal
from archbuilder.services.regulations import WRITE, add_document
from archbuilder.services.uploads import UPLOAD_EXPIRED, UPLOAD_GRACE
from archbuilder.services.webhooks import emit

if TYPE_CHECKING:  # annotations only: cloudevents stays off api_regulations' cold start
    from archbuilder.platform.events import StorageObject

KIND = "regulation_ingest"
# A file through the signed URL never crosses a request body, so it may be larger than one in
# POST /v1/regulations/documents (12 MiB): scanned PDFs are big. The parse runs in cad_ingest
# (4 GiB, 540 s), so the sandbox gets more memory and time than in api_regulations (1 GiB,
# 120 s), and OCR ends before the function's own timeout.
UPLOAD_LIMITS = Limits(
    max_bytes=64 * 1024 * 1024, timeout_s=240.0, memory_mb=2048, max_ocr_pages=300, ocr_timeout_s=480.0
)
# The extensions the library reads (regulations/extract.py sniffs the content against them).
EXTENSIONS = (".txt", ".text", ".md", ".html", ".htm", ".docx", ".pdf")
_OBJECT_NAME = re.compile(
    r"^tenants/(?P<tenant>[A-Za-z0-9_-]{1,64})/regulations/uploads/(?P<upload>[A-Za-z0-9_-]{1,64})/[^/]+$"
)
_log = get_logger("archbuilder.regulation_uploads")


class RegulationUploadCreate(StrictModel):
    filename: str = Field(min_length=1, max_length=200, description=".txt, .html, .docx or .pdf")
    size_bytes: int = Field(gt=0, description="the file's exact size; the limit is 64 MiB")
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="the file's SHA-256, hex")
    content_type: str = Field(default="application/octet-stream", max_length=100)
    region: RegionCode
    language: Language
    title: str = Field(min_length=1, max_length=300)
    short: str | None = Field(default=None, max_length=60, description='what rules cite it as: "PAİY", "MBO"')
    edition: str | None = Field(default=None, max_length=100)

    @field_validator("sha256")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class RegulationUploadCreated(BaseModel):
    upload_id: str
    upload_url: str
    method: str = "PUT"
    headers: dict[str, str]
    expires_at: Timestamp
    job_id: str


class RegulationUploadStatus(StrEnum):
    awaiting_upload = "awaiting_upload"
    processing = "processing"
    indexed = "indexed"
    failed = "failed"
    expired = "expired"  # the signed URL ran out without the file (``expire_upload``)


class RegulationUpload(BaseModel):
    """An upload as stored at ``tenants/{t}/regulation_uploads/{u}``."""

    id: str
    filename: str
    object_name: str
    size_bytes: int
    content_type: str
    sha256: str
    region: str
    language: str
    title: str
    short: str | None = None
    edition: str | None = None
    job_id: str
    document_id: str  # chosen at creation: a retried ingest finds the document it added
    status: RegulationUploadStatus = RegulationUploadStatus.awaiting_upload
    generation: int | None = None
    error: dict[str, Any] | None = None  # {code, params}
    created_at: Timestamp
    expires_at: Timestamp
    updated_at: Timestamp


def upload_path(paths: TenantPaths, upload_id: str) -> str:
    return f"{paths.root}/regulation_uploads/{checked_id(upload_id, 'upload')}"


def object_name(paths: TenantPaths, upload_id: str, filename: str) -> str:
    return f"{paths.root}/regulations/uploads/{upload_id}/{safe_file_name(filename)}"


def is_regulation_upload(name: str) -> bool:
    """Whether an object of the uploads bucket is a regulation upload (else: a CAD file's)."""
    return _OBJECT_NAME.match(name) is not None


def create_upload(
    store: DocumentStore,
    uploads: BlobStore,
    principal: Principal,
    request: RegulationUploadCreate,
    *,
    language: str,
    url_ttl_s: int,
    max_bytes: int = UPLOAD_LIMITS.max_bytes,
) -> RegulationUploadCreated:
    """Record an upload and its job (``language``: what the job answers in) and sign a URL for
    the file. 413 REGULATION_TOO_LARGE and 422 REGULATION_FORMAT_UNSUPPORTED before signing."""
    require(principal, WRITE)
    if request.size_bytes > max_bytes:
        raise ArchBuilderError(
            code="REGULATION_TOO_LARGE", status=413, size_bytes=request.size_bytes, limit_bytes=max_bytes
        )
    if not request.filename.lower().endswith(EXTENSIONS):
        raise Unprocessable(code="REGULATION_FORMAT_UNSUPPORTED")
    paths = TenantPaths(principal.tenant_id)
    moment = now()
    upload_id, job_id = new_id("upl"), new_id("job")
    name = object_name(paths, upload_id, request.filename)
    signed = uploads.signed_upload_url(
        name,
        content_type=request.content_type,
        size_bytes=request.size_bytes,
        sha256=request.sha256,
        expires_in_s=url_ttl_s,
    )
    upload = RegulationUpload(
        id=upload_id,
        filename=request.filename,
        object_name=name,
        size_bytes=request.size_bytes,
        content_type=request.content_type,
        sha256=request.sha256,
        region=request.region,
        language=request.language.value,
        title=request.title,
        short=request.short or None,
        edition=request.edition or None,
        job_id=job_id,
        document_id=new_id("reg"),
        created_at=moment,
        expires_at=moment + timedelta(seconds=url_ttl_s),
        updated_at=moment,
    )
    job = Job(
        id=job_id,
        kind=KIND,
        project_id="-",  # a job of the tenant's library, not of a project
        language=language,
        stage="awaiting_upload",
        created_at=moment,
        updated_at=moment,
    )

    def write(txn: Transaction) -> None:
        txn.create(upload_path(paths, upload_id), dump(upload))
        txn.create(paths.job(job_id), dump(job))

    store.transaction(write)
    return RegulationUploadCreated(
        upload_id=upload_id,
        upload_url=signed.url,
        headers=signed.headers,
        expires_at=signed.expires_at,
        job_id=job_id,
    )


def expire_upload(runtime: Runtime, tenant_id: str, job: Job, moment: datetime) -> bool:
    """Expire the upload of ``job`` (a ``regulation_ingest`` job still waiting for its file) once
    its signed URL and ``UPLOAD_GRACE`` have passed: the job fails with ``UPLOAD_EXPIRED`` and
    the upload is ``expired`` (a file that comes later is refused), in one commit. True when it
    expired now; an upload whose file is in the bucket is left to the finalize event."""
    paths = TenantPaths(tenant_id)
    rows = runtime.store.query(
        Query(f"{paths.root}/regulation_uploads", where=[Filter("job_id", "==", job.id)], limit=1)
    )
    upload = RegulationUpload.model_validate(rows[0].data) if rows else None
    if upload is None or not _due(upload, moment):
        return False
    if runtime.uploads.list(upload.object_name.rsplit("/", 1)[0] + "/"):
        _log.info("upload past its URL has its file: left to ingest", extra=log_fields(job_id=job.id))
        return False
    path, job_path = upload_path(paths, upload.id), paths.job(upload.job_id)
    error = JobError(code="UPLOAD_EXPIRED", params={"name": upload.filename}).model_dump(mode="json")
    stamp = format_timestamp(moment)

    def expire(txn: Transaction) -> bool:
        current, job_now = txn.get(path), txn.get(job_path)
        if (
            current is None
            or job_now is None
            or not _due(RegulationUpload.model_validate(current.data), moment)
        ):
            return False  # its file came meanwhile (or another tick expired it)
        txn.update(
            path, {"status": RegulationUploadStatus.expired.value, "error": error, "updated_at": stamp}
        )
        txn.update(
            job_path,
            {"status": JobStatus.failed.value, "stage": "failed", "error": error, "updated_at": stamp},
        )
        return True

    if not runtime.store.transaction(expire):
        return False
    _log.warning(
        "regulation upload expired without its file",
        extra=log_fields(metric="job_finished", kind=KIND, status="failed", code=UPLOAD_EXPIRED,
                         job_id=upload.job_id, upload_id=upload.id),
    )  # fmt: skip
    emit(runtime, tenant_id, "job.failed", {"job_id": upload.job_id, "kind": KIND, "upload_id": upload.id,
                                            "error": {"code": UPLOAD_EXPIRED}})  # fmt: skip
    return True


def _due(upload: RegulationUpload, moment: datetime) -> bool:
    """Whether an upload still waiting for its file is past its URL and the grace period."""
    return (
        upload.status is RegulationUploadStatus.awaiting_upload and upload.expires_at + UPLOAD_GRACE <= moment
    )


# -- the finalize event -----------------------------------------------------------------


def ingest_upload(runtime: Runtime, obj: StorageObject) -> RegulationUploadStatus | None:
    """Add one uploaded regulation file to its tenant's library. Returns the upload's status,
    or None when there was nothing to do (unknown object, duplicate or stale delivery).

    A coded refusal (4xx: format, size, checksum, pages …) fails the job with its code; any
    other error gives the upload back and raises, so that the event is delivered again."""
    match = _OBJECT_NAME.match(obj.name)
    if match is None:
        _log.warning(
            "object outside the regulation upload layout ignored", extra=log_fields(object=obj.name[:300])
        )
        return None
    paths = TenantPaths(match["tenant"])
    with bound(tenant_id=paths.tenant_id):
        upload = _claim(runtime, paths, match["upload"], obj)
        if upload is None:
            return None
        with bound(job_id=upload.job_id):
            try:
                result = _index(runtime, paths, upload, obj)
            except ArchBuilderError as refusal:
                if refusal.status >= 500:
                    _release(runtime, paths, upload, refusal)
                    raise
                _finish(runtime, paths, upload, failed=JobError(code=refusal.code, params=refusal.params))
                return RegulationUploadStatus.failed
            except Exception as exc:
                _release(runtime, paths, upload, exc)
                raise
            _finish(runtime, paths, upload, result=result)
            return RegulationUploadStatus.indexed


def _lease_s(runtime: Runtime) -> float:
    """Long enough for the slowest parse (a scan's OCR): a live attempt is never taken over."""
    return max(runtime.settings.job_lease_s, UPLOAD_LIMITS.timeout_s + UPLOAD_LIMITS.ocr_timeout_s + 60)


def _claim(
    runtime: Runtime, paths: TenantPaths, upload_id: str, obj: StorageObject
) -> RegulationUpload | None:
    """Mark the upload as processing for this generation, or None if there is nothing to do."""
    path = upload_path(paths, upload_id)
    moment = now()
    lease = timedelta(seconds=_lease_s(runtime))

    def claim(txn: Transaction) -> RegulationUpload | str:
        doc = txn.get(path)
        if doc is None:
            return "unknown upload"
        upload = RegulationUpload.model_validate(doc.data)
        job_doc = txn.get(paths.job(upload.job_id))
        if job_doc is None:
            return "job deleted"
        job = Job.model_validate(job_doc.data)
        if upload.status is RegulationUploadStatus.expired:
            return "upload expired"  # its job failed: a late file is not read
        if upload.status is RegulationUploadStatus.indexed:
            return "already indexed"  # one upload, one document, whatever generation comes next
        if upload.status is RegulationUploadStatus.failed and upload.generation == obj.generation:
            return "generation already refused"
        if (
            upload.status is RegulationUploadStatus.processing
            and job.lease_expires_at is not None
            and job.lease_expires_at > moment
        ):
            return "being ingested"
        if job.attempts >= runtime.settings.job_max_attempts:
            return "attempts exhausted"
        stamp = format_timestamp(moment)
        txn.update(
            path,
            {
                "status": RegulationUploadStatus.processing.value,
                "generation": obj.generation,
                "error": None,
                "updated_at": stamp,
            },
        )
        txn.update(
            paths.job(upload.job_id),
            {
                "status": JobStatus.running.value,
                "stage": "validating_file",
                "progress": 10,
                "attempts": job.attempts + 1,
                "error": None,
                "lease_expires_at": format_timestamp(moment + lease),
                "updated_at": stamp,
            },
        )
        return upload

    outcome = runtime.store.transaction(claim)
    if outcome == "upload expired":
        _log.warning(
            "file arrived after its regulation upload expired: refused and deleted",
            extra=log_fields(reason=outcome, upload_id=upload_id, generation=obj.generation),
        )
        runtime.uploads.delete(obj.name)
        return None
    if isinstance(outcome, str):
        _log.info("regulation ingest skipped", extra=log_fields(reason=outcome, generation=obj.generation))
        if outcome == "attempts exhausted":
            doc = runtime.store.get(path)
            if doc is not None:
                upload = RegulationUpload.model_validate(doc.data)
                error = JobError(
                    code="JOB_ATTEMPTS_EXHAUSTED",
                    params={"attempts": runtime.settings.job_max_attempts, "job_id": upload.job_id},
                )
                _finish(runtime, paths, upload, failed=error)
        return None
    return outcome


def _index(
    runtime: Runtime, paths: TenantPaths, upload: RegulationUpload, obj: StorageObject
) -> dict[str, Any]:
    """The checked file into the library: the job's result."""
    library = library_for(runtime)
    found = library.document(paths.tenant_id, upload.document_id)
    if found is not None and found[1] == paths.tenant_id:
        # An earlier attempt indexed it and died before saying so.
        return {"document_id": found[0].id, "passages": found[0].passages}
    data = runtime.uploads.get(obj.name)
    if data is None:
        raise ArchBuilderError(code="UPLOAD_OBJECT_MISSING", status=404, name=upload.filename)
    check_declared(data, size_bytes=upload.size_bytes, sha256=upload.sha256)
    _stage(runtime, paths, upload, 25, "reading_document")
    document = add_document(
        library,
        paths.tenant_id,
        filename=upload.filename,
        data=data,
        region=upload.region,
        language=upload.language,
        title=upload.title,
        short=upload.short,
        edition=upload.edition,
        limits=UPLOAD_LIMITS,
        document_id=upload.document_id,
        ocr_url=runtime.settings.ocr_url,
    )
    return {"document_id": document.id, "passages": document.passages}


def _stage(runtime: Runtime, paths: TenantPaths, upload: RegulationUpload, progress: int, stage: str) -> None:
    runtime.store.update(
        paths.job(upload.job_id),
        {"progress": progress, "stage": stage, "updated_at": format_timestamp(now())},
    )


def _finish(
    runtime: Runtime,
    paths: TenantPaths,
    upload: RegulationUpload,
    *,
    result: dict[str, Any] | None = None,
    failed: JobError | None = None,
) -> None:
    """The upload indexed (``result``) or refused for good (``failed``), and its object deleted."""
    stamp = format_timestamp(now())
    if failed is not None:
        _log.warning(
            "regulation ingest failed",
            extra=log_fields(metric="job_finished", kind=KIND, status="failed", code=failed.code),
        )
        error = failed.model_dump(mode="json")
        upload_fields: dict[str, Any] = {"status": RegulationUploadStatus.failed.value, "error": error}
        job_fields: dict[str, Any] = {"status": JobStatus.failed.value, "stage": "failed", "error": error}
    else:
        _log.info(
            "regulation ingest done", extra=log_fields(metric="job_finished", kind=KIND, status="succeeded")
        )
        upload_fields = {"status": RegulationUploadStatus.indexed.value}
        job_fields = {"status": JobStatus.succeeded.value, "stage": "done", "progress": 100, "result": result}

    def finish(txn: Transaction) -> None:
        txn.update(upload_path(paths, upload.id), {**upload_fields, "updated_at": stamp})
        txn.update(paths.job(upload.job_id), {**job_fields, "lease_expires_at": None, "updated_at": stamp})

    runtime.store.transaction(finish)
    # The library keeps the passages, not the file (as for a document sent in the body).
    runtime.uploads.delete(upload.object_name)
    data: dict[str, Any] = {"job_id": upload.job_id, "kind": KIND, "upload_id": upload.id}
    if failed is not None:
        emit(runtime, paths.tenant_id, "job.failed", {**data, "error": {"code": failed.code}})
    else:
        emit(runtime, paths.tenant_id, "job.succeeded", {**data, **(result or {})})


def _release(runtime: Runtime, paths: TenantPaths, upload: RegulationUpload, exc: Exception) -> None:
    """Give the upload back after an unexpected error so that the redelivered event retries it."""
    _log.exception("regulation ingest attempt failed", extra=log_fields(error=repr(exc)[:500]))
    stamp = format_timestamp(now())

    def release(txn: Transaction) -> None:
        txn.update(
            upload_path(paths, upload.id),
            {"status": RegulationUploadStatus.processing.value, "generation": None, "updated_at": stamp},
        )
        txn.update(
            paths.job(upload.job_id),
            {
                "status": JobStatus.queued.value,
                "stage": "retrying",
                "lease_expires_at": None,
                "updated_at": stamp,
            },
        )

    runtime.store.transaction(release)
