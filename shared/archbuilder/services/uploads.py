"""CAD uploads: a signed URL to PUT the file to, and the models ingested from it."""

from __future__ import annotations

import json
import math
from datetime import timedelta

from archbuilder.billing.quotas import check_quota, consume_quota
from archbuilder.billing.usage_ledger import new_usage_record
from archbuilder.cad.notices import notice_text
from archbuilder.domain.building import BuildingModel
from archbuilder.domain.ids import new_id
from archbuilder.domain.job import Job, JobErrorPublic
from archbuilder.domain.permissions import require
from archbuilder.domain.project import Project
from archbuilder.domain.timestamps import now
from archbuilder.domain.upload import (
    ModelPublic,
    ModelRecord,
    ModelSpacePublic,
    ModelStatus,
    Upload,
    UploadCreate,
    UploadCreated,
    safe_file_name,
)
from archbuilder.platform.errors import ArchBuilderError, Conflict, NotFound
from archbuilder.platform.i18n import translate
from archbuilder.ports import BlobStore, DocumentStore, Transaction
from archbuilder.repositories import TenantPaths, dump, load
from archbuilder.services.identity import Principal


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

    def write(txn: Transaction) -> None:
        txn.create(paths.upload(project_id, upload_id), dump(upload))
        txn.create(paths.model(project_id, model_id), dump(model))
        txn.create(paths.job(job_id), dump(job))

    store.transaction(write)
    consume_quota(store, new_usage_record(principal.tenant_id, "cad_upload", size_mb, source=upload_id))
    return UploadCreated(
        upload_id=upload_id,
        upload_url=signed.url,
        headers=signed.headers,
        expires_at=signed.expires_at,
        model_id=model_id,
        job_id=job_id,
    )


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
