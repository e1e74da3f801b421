"""CAD uploads: a signed URL to PUT the file to, and the models ingested from it."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

from archbuilder.billing.quotas import check_quota, consume_in, release_in
from archbuilder.billing.usage_ledger import UsageKind, new_usage_record
from archbuilder.cad.notices import notice_text
from archbuilder.domain.building import BuildingModel
from archbuilder.domain.ids import new_id
from archbuilder.domain.job import Job, JobError, JobErrorPublic, JobStatus
from archbuilder.domain.permissions import require
from archbuilder.domain.project import Project
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.domain.upload import (
    ModelPublic,
    ModelRecord,
    ModelSpacePublic,
    ModelStatus,
    Upload,
    UploadCreate,
    UploadCreated,
    UploadStatus,
    safe_file_name,
)
from archbuilder.platform.errors import ArchBuilderError, Conflict, NotFound
from archbuilder.platform.i18n import translate
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import BlobStore, DocumentStore, Transaction
from archbuilder.repositories import TenantPaths, dump, load
from archbuilder.runtime import Runtime
from archbuilder.services.identity import Principal
from archbuilder.services.webhooks import emit

# How long after its signed URL expires an upload still waits for its file: a PUT that started
# in time may finish later (GCS checks the signature when the request starts). Then the
# maintenance tick expires it (``expire_upload``).
UPLOAD_GRACE = timedelta(hours=1)
UPLOAD_EXPIRED = "UPLOAD_EXPIRED"
_log = get_logger("archbuilder.uploads")


def object_name(paths: TenantPaths, project_id: str, upload_id: str, filename: str) -> str:
    return f"{paths.blob_prefix(project_id)}/uploads/{upload_id}/{safe_file_name(filename)}"


def model_artifact(paths: TenantPaths, project_id: str, model_id: str, what: str) -> str:
    return f"{paths.blob_prefix(project_id)}/models/{model_id}/{what}.json"


def create_upload(
    store: DocumentStore,
    uploads: BlobStore,
    principal: Principal,
    project_id: str,
    request: UploadCreate,
    *,
    max_upload_bytes: int,
    url_ttl_s: int,
) -> UploadCreated:
    """Record an upload (with its model and job) and sign a URL for the file."""
    require(principal, "models:write")
    if request.size_bytes > max_upload_bytes:
        raise ArchBuilderError(
            code="UPLOAD_TOO_LARGE", status=413, size_bytes=request.size_bytes, limit_bytes=max_upload_bytes
        )
    paths = TenantPaths(principal.tenant_id)
    project = load(store, paths.project(project_id), Project, resource="project", resource_id=project_id)
    size_mb = max(1, math.ceil(request.size_bytes / (1024 * 1024)))
    check_quota(store, principal.tenant_id, "cad_file_mb", size_mb)
    check_quota(store, principal.tenant_id, "cad_uploads")
    moment = now()
    upload_id, model_id, job_id = new_id("upl"), new_id("mdl"), new_id("job")
    name = object_name(paths, project_id, upload_id, request.filename)
    signed = uploads.signed_upload_url(
        name,
        content_type=request.content_type,
        size_bytes=request.size_bytes,
        sha256=request.sha256,
        expires_in_s=url_ttl_s,
    )
    upload = Upload(
        id=upload_id,
        project_id=project_id,
        filename=request.filename,
        object_name=name,
        size_bytes=request.size_bytes,
        content_type=request.content_type,
        sha256=request.sha256,
        building_type=request.building_type,
        model_id=model_id,
        job_id=job_id,
        created_at=moment,
        expires_at=moment + timedelta(seconds=url_ttl_s),
    )
    model = ModelRecord(
        id=model_id,
        project_id=project_id,
        upload_id=upload_id,
        job_id=job_id,
        created_at=moment,
        updated_at=moment,
    )
    job = Job(
        id=job_id,
        kind="cad_ingest",
        project_id=project_id,
        language=project.language.value,
        stage="awaiting_upload",
        result={"model_id": model_id},
        created_at=moment,
        updated_at=moment,
    )

    # Counted once per upload (the record id is derived from the upload id); given back by
    # ``expire_upload`` if the file never comes.
    usage = new_usage_record(principal.tenant_id, "cad_upload", size_mb, source=upload_id)

    def write(txn: Transaction) -> None:
        """The upload, its model and job, and its ledger record in one commit: an upload that
        lost the race for the last unit (402 here) leaves nothing behind."""
        consume_in(txn, usage)  # reads, then writes: before the other writes
        txn.create(paths.upload(project_id, upload_id), dump(upload))
        txn.create(paths.model(project_id, model_id), dump(model))
        txn.create(paths.job(job_id), dump(job))

    store.transaction(write)
    return UploadCreated(
        upload_id=upload_id,
        upload_url=signed.url,
        headers=signed.headers,
        expires_at=signed.expires_at,
        model_id=model_id,
        job_id=job_id,
    )


def expire_upload(runtime: Runtime, tenant_id: str, job: Job, moment: datetime) -> bool:
    """Expire the upload of ``job`` (a ``cad_ingest`` job still waiting for its file) once its
    signed URL and ``UPLOAD_GRACE`` have passed: the job and the model fail with
    ``UPLOAD_EXPIRED``, the upload is ``expired`` (``cad_ingest`` refuses a file that comes
    later) and its quota units are given back, all in one commit. True when it expired now.

    An upload whose file is in the bucket (its finalize event not handled yet) is left alone.
    Run again (a second tick, a retry), it finds the upload expired and does nothing.
    """
    paths = TenantPaths(tenant_id)
    model_id = (job.result or {}).get("model_id")
    if not isinstance(model_id, str):
        return False
    model_doc = runtime.store.get(paths.model(job.project_id, model_id))
    if model_doc is None:
        return False
    upload_path = paths.upload(job.project_id, str(model_doc.data["upload_id"]))
    upload_doc = runtime.store.get(upload_path)
    upload = Upload.model_validate(upload_doc.data) if upload_doc is not None else None
    if upload is None or not _due(upload, moment):
        return False
    if runtime.uploads.list(upload.object_name.rsplit("/", 1)[0] + "/"):
        _log.info("upload past its URL has its file: left to cad_ingest", extra=log_fields(job_id=job.id))
        return False
    model_path, job_path = paths.model(job.project_id, upload.model_id), paths.job(upload.job_id)
    error = JobError(code="UPLOAD_EXPIRED", params={"name": upload.filename}).model_dump(mode="json")
    stamp = format_timestamp(moment)

    def expire(txn: Transaction) -> tuple[bool, bool]:
        """(expired now, quota given back)."""
        current, model, job_now = txn.get(upload_path), txn.get(model_path), txn.get(job_path)
        if current is None or model is None or job_now is None:
            return False, False
        if not _due(Upload.model_validate(current.data), moment):
            return False, False  # its file came meanwhile (or another tick expired it)
        refunded = release_in(txn, tenant_id, UsageKind.cad_upload, source=upload.id, reason=UPLOAD_EXPIRED)
        txn.update(upload_path, {"status": UploadStatus.expired.value, "expired_at": stamp})
        txn.update(
            model_path,
            {"status": ModelStatus.failed.value, "error": error, "progress": 0, "updated_at": stamp},
        )
        txn.update(
            job_path,
            {"status": JobStatus.failed.value, "stage": "failed", "error": error, "updated_at": stamp},
        )
        return True, refunded

    expired, refunded = runtime.store.transaction(expire)
    if not expired:
        return False
    _log.warning(
        "upload expired without its file",
        extra=log_fields(metric="job_finished", kind="cad_ingest", status="failed", code=UPLOAD_EXPIRED,
                         job_id=upload.job_id, upload_id=upload.id, quota_returned=refunded),
    )  # fmt: skip
    data = {"project_id": job.project_id, "model_id": upload.model_id, "job_id": upload.job_id}
    emit(runtime, tenant_id, "model.failed", {**data, "error": {"code": UPLOAD_EXPIRED}})
    emit(runtime, tenant_id, "job.failed", {**data, "kind": "cad_ingest", "error": {"code": UPLOAD_EXPIRED}})
    return True


def _due(upload: Upload, moment: datetime) -> bool:
    """Whether an upload still waiting for its file is past its URL and the grace period."""
    return upload.status is UploadStatus.awaiting_upload and upload.expires_at + UPLOAD_GRACE <= moment


def get_model(
    store: DocumentStore,
    blobs: BlobStore,
    principal: Principal,
    project_id: str,
    model_id: str,
    language: str,
) -> ModelPublic:
    """An ingested model with its spaces, elements, warnings and compliance summary."""
    require(principal, "models:read")
    paths = TenantPaths(principal.tenant_id)
    record = load(
        store, paths.model(project_id, model_id), ModelRecord, resource="model", resource_id=model_id
    )
    error = None
    if record.error is not None:
        code = str(record.error.get("code", "INTERNAL"))
        error = JobErrorPublic(code=code, message=translate(code, language, record.error.get("params") or {}))
    public = ModelPublic(
        id=record.id,
        status=record.status,
        progress=record.progress,
        error=error,
        format=record.format,
        schema=record.schema_name,
        stats=record.stats,
        warnings=[notice_text(item, language) for item in record.notices]
        if record.notices
        else record.warnings,
        compliance=record.compliance,
    )
    if record.status is not ModelStatus.ready:
        return public
    raw = blobs.get(model_artifact(paths, project_id, model_id, "model"))
    if raw is None:
        raise NotFound(resource="model", id=model_id)
    model = json.loads(raw)
    levels = {lv["id"]: lv["name"] for lv in model.get("levels", [])}
    public.levels = model.get("levels", [])
    public.spaces = [
        ModelSpacePublic(
            id=s["id"],
            name=s["name"],
            type=s.get("type"),
            level=levels.get(s["level_id"], s["level_id"]),
            area_m2=s.get("area_m2", s.get("declared_area_m2")),
            boundary=s.get("boundary", []),
        )
        for s in model.get("spaces", [])
    ]
    public.walls = model.get("walls", [])
    public.doors = model.get("doors", [])
    public.windows = model.get("windows", [])
    return public


def load_building_model(
    store: DocumentStore, blobs: BlobStore, principal: Principal, project_id: str, model_id: str
) -> BuildingModel:
    """The stored building model of a ready upload, read as the caller (tenant-scoped)."""
    require_ready_model(store, principal, project_id, model_id)
    raw = blobs.get(model_artifact(TenantPaths(principal.tenant_id), project_id, model_id, "model"))
    if raw is None:
        raise NotFound(resource="model", id=model_id)
    return BuildingModel.model_validate_json(raw)


def require_ready_model(store: DocumentStore, principal: Principal, project_id: str, model_id: str) -> None:
    """``models:read`` on a model of the caller's tenant that has been ingested (404 for another
    tenant's or a missing one, MODEL_NOT_READY while it is being ingested)."""
    require(principal, "models:read")
    path = TenantPaths(principal.tenant_id).model(project_id, model_id)
    record = load(store, path, ModelRecord, resource="model", resource_id=model_id)
    if record.status is not ModelStatus.ready:
        raise Conflict(code="MODEL_NOT_READY", status_now=record.status.value)
