"""Ingesting an uploaded CAD file: bytes in the uploads bucket → checked building model.

Triggered by the bucket's ``object.finalized`` event. Idempotent per object generation:
the model document records the generation it was built from, so a redelivered event
for the same generation does nothing. The file is checked before it is parsed (size and
SHA-256 against what the client declared, format sniffed from the content and checked
against the extension) and parsed in a child process with time and memory limits, so a
hostile file fails its own job and nothing else.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from archbuilder.billing.usage_ledger import publish_usage
from archbuilder.cad.notices import notice, set_notices
from archbuilder.domain.brief import BuildingType
from archbuilder.domain.building import BuildingModel
from archbuilder.domain.job import Job, JobError, JobStatus
from archbuilder.domain.project import Project
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.domain.upload import ModelRecord, ModelStatus, Upload, UploadStatus, check_declared
from archbuilder.platform.errors import ArchBuilderError, BusUnavailable
from archbuilder.platform.events import StorageObject
from archbuilder.platform.logging import bound, get_logger, log_fields
from archbuilder.ports import Transaction
from archbuilder.repositories import TenantPaths
from archbuilder.runtime import Runtime
from archbuilder.services.layouts import compliance_summary
from archbuilder.services.uploads import model_artifact
from archbuilder.services.webhooks import emit

_OBJECT_NAME = re.compile(
    r"^tenants/(?P<tenant>[A-Za-z0-9_-]{1,64})/projects/(?P<project>[A-Za-z0-9_-]{1,64})"
    r"/uploads/(?P<upload>[A-Za-z0-9_-]{1,64})/[^/]+$"
)
_log = get_logger("archbuilder.cad_ingest")


@dataclass(frozen=True)
class _Target:
    paths: TenantPaths
    project_id: str
    upload_id: str


def ingest_object(runtime: Runtime, obj: StorageObject) -> ModelStatus | None:
    """Turn one uploaded object into a stored model and report. Returns the model's status."""
    match = _OBJECT_NAME.match(obj.name)
    if match is None:
        _log.warning("object outside the upload layout ignored", extra=log_fields(object=obj.name[:300]))
        return None
    target = _Target(TenantPaths(match["tenant"]), match["project"], match["upload"])
    with bound(tenant_id=match["tenant"]):
        claimed = _claim(runtime, target, obj)
        if claimed is None:
            return None
        upload, record = claimed
        _meter_upload(runtime, match["tenant"])
        with bound(job_id=upload.job_id):
            try:
                project_doc = runtime.store.get(target.paths.project(target.project_id))
                project = Project.model_validate(project_doc.data) if project_doc else None
                model = _build_model(runtime, target, upload, obj, project)
            except ArchBuilderError as refusal:
                if refusal.status >= 500:
                    _release(runtime, target, upload, refusal)
                    raise
                _finish(runtime, target, upload, failed=JobError(code=refusal.code, params=refusal.params))
                return ModelStatus.failed
            except Exception as exc:
                _release(runtime, target, upload, exc)
                raise
            _store(runtime, target, upload, model, obj.generation, project.language if project else "en")
            return ModelStatus.ready


def _meter_upload(runtime: Runtime, tenant_id: str) -> None:
    """The file came, so the upload's ledger record (written when the upload was asked for, and
    given back only if the file never comes) is owed: ask the billing worker to send it. A
    second delivery asks again, which sends nothing twice; with the bus down, the record waits
    for the tenant's next usage event."""
    try:
        publish_usage(runtime.bus, tenant_id)
    except BusUnavailable:
        _log.warning("usage event not published: the bus is unavailable")


def _claim(runtime: Runtime, target: _Target, obj: StorageObject) -> tuple[Upload, ModelRecord] | None:
    """Mark the model as processing for this generation, or return None if there is nothing to do."""
    upload_path = target.paths.upload(target.project_id, target.upload_id)
    moment = now()
    lease = timedelta(seconds=runtime.settings.job_lease_s)

    def claim(txn: Transaction) -> tuple[Upload, ModelRecord] | str:
        upload_doc = txn.get(upload_path)
        if upload_doc is None:
            return "unknown upload"
        upload = Upload.model_validate(upload_doc.data)
        if upload.status is UploadStatus.expired:
            return "upload expired"  # its job failed and its quota went back: a late file is not read
        model_path = target.paths.model(target.project_id, upload.model_id)
        job_path = target.paths.job(upload.job_id)
        model_doc, job_doc = txn.get(model_path), txn.get(job_path)
        if model_doc is None or job_doc is None:
            return "model or job deleted"
        record = ModelRecord.model_validate(model_doc.data)
        job = Job.model_validate(job_doc.data)
        if record.generation == obj.generation and record.status in (ModelStatus.ready, ModelStatus.failed):
            return "generation already ingested"
        if (
            record.status is ModelStatus.processing
            and job.lease_expires_at is not None
            and job.lease_expires_at > moment
        ):
            return "being ingested"
        if job.attempts >= runtime.settings.job_max_attempts:
            return "attempts exhausted"
        txn.update(upload_path, {"status": UploadStatus.received.value})
        txn.update(
            model_path,
            {
                "status": ModelStatus.processing.value,
                "progress": 10,
                "generation": obj.generation,
                "error": None,
                "updated_at": format_timestamp(moment),
            },
        )
        txn.update(
            job_path,
            {
                "status": JobStatus.running.value,
                "stage": "validating_file",
                "progress": 10,
                "attempts": job.attempts + 1,
                "lease_expires_at": format_timestamp(moment + lease),
                "updated_at": format_timestamp(moment),
            },
        )
        return upload, record

    outcome = runtime.store.transaction(claim)
    if outcome == "upload expired":
        _log.warning(
            "file arrived after its upload expired: refused and deleted",
            extra=log_fields(reason=outcome, upload_id=target.upload_id, generation=obj.generation),
        )
        runtime.uploads.delete(obj.name)
        return None
    if isinstance(outcome, str):
        _log.info("ingest skipped", extra=log_fields(reason=outcome, generation=obj.generation))
        if outcome == "attempts exhausted":
            upload_doc = runtime.store.get(upload_path)
            if upload_doc is not None:
                upload = Upload.model_validate(upload_doc.data)
                _finish(
                    runtime,
                    target,
                    upload,
                    failed=JobError(
                        code="JOB_ATTEMPTS_EXHAUSTED",
                        params={"attempts": runtime.settings.job_max_attempts, "job_id": upload.job_id},
                    ),
                )
        return None
    return outcome


def _progress(runtime: Runtime, target: _Target, upload: Upload, progress: int, stage: str) -> None:
    stamp = format_timestamp(now())
    runtime.store.update(
        target.paths.job(upload.job_id), {"progress": progress, "stage": stage, "updated_at": stamp}
    )
    runtime.store.update(
        target.paths.model(target.project_id, upload.model_id), {"progress": progress, "updated_at": stamp}
    )


def _build_model(
    runtime: Runtime, target: _Target, upload: Upload, obj: StorageObject, project: Project | None
) -> BuildingModel:
    from archbuilder.cad.entrances import mark_outline_entrances
    from archbuilder.cad.sandbox import parse_in_sandbox
    from archbuilder.cad.sniff import sniff
    from archbuilder.compliance import classify_space

    data = runtime.uploads.get(obj.name)
    if data is None:
        raise ArchBuilderError(code="UPLOAD_OBJECT_MISSING", status=404, name=upload.filename)
    check_declared(data, size_bytes=upload.size_bytes, sha256=upload.sha256)
    sniffed = sniff(data, upload.filename)
    _progress(runtime, target, upload, 25, "parsing")
    settings = runtime.settings
    with tempfile.TemporaryDirectory(prefix="ingest-") as folder:
        path = Path(folder) / f"upload.{sniffed.format}"
        path.write_bytes(data)
        model = parse_in_sandbox(
            str(path), sniffed.format, timeout_s=settings.parse_timeout_s, memory_mb=settings.parse_memory_mb
        )
    # Doors on the outline lead in, when the file did not say which doors are external.
    model = mark_outline_entrances(model)
    notices = list(model.notices)
    use = upload.building_type
    if use is None:
        use = BuildingType.apartment
        notices.append(notice("building_use_assumed"))
    spaces = [
        s if s.type is not None else s.model_copy(update={"type": classify_space(s.name)})
        for s in model.spaces
    ]
    context = model.context.model_copy(
        update={
            "region": model.context.region or (project.code_region if project else None),
            "use": use.value,
        }
    )
    return set_notices(model.model_copy(update={"spaces": spaces, "context": context}), notices)


def _store(
    runtime: Runtime, target: _Target, upload: Upload, model: BuildingModel, generation: int, language: str
) -> None:
    from archbuilder.analysis.analyse import analyse
    from archbuilder.compliance import check_model
    from archbuilder.domain.model_facts import ModelFacts

    _progress(runtime, target, upload, 70, "checking_compliance")
    # What the reader saw beyond the model goes into the analysis, not into the stored model.
    facts = model.facts or ModelFacts(file_bytes=upload.size_bytes)
    model = model.model_copy(update={"facts": None})
    report = check_model(model, region=model.context.region or "TR", language=language)
    report_json = report.model_dump(mode="json")
    analysis = analyse(model, facts, upload.model_id)
    model_json = model.model_dump(mode="json", exclude={"facts"})
    for space in model_json["spaces"]:
        space["area_m2"] = _area_m2(space["boundary"]) or space.get("declared_area_m2")
    blobs = runtime.blobs
    blobs.put(
        model_artifact(target.paths, target.project_id, upload.model_id, "model"),
        _json_bytes(model_json),
        content_type="application/json",
    )
    blobs.put(
        model_artifact(target.paths, target.project_id, upload.model_id, "compliance"),
        _json_bytes(report_json),
        content_type="application/json",
    )
    blobs.put(
        model_artifact(target.paths, target.project_id, upload.model_id, "analysis"),
        _json_bytes(analysis.model_dump(mode="json")),
        content_type="application/json",
    )
    stats = {
        "levels": len(model.levels),
        "spaces": len(model.spaces),
        "classified_spaces": sum(1 for s in model.spaces if s.type is not None),
        "walls": len(model.walls),
        "doors": len(model.doors),
        "windows": len(model.windows),
        "stairs": len(model.stairs),
    }
    _finish(
        runtime,
        target,
        upload,
        ready={
            "format": model.source.format,
            "schema_name": model.source.schema_name,
            "stats": stats,
            "warnings": model.warnings[:200],
            "notices": [item.model_dump(mode="json") for item in model.notices[:200]],
            "compliance": compliance_summary(report),
            "generation": generation,
        },
    )


def _finish(
    runtime: Runtime,
    target: _Target,
    upload: Upload,
    *,
    ready: dict[str, Any] | None = None,
    failed: JobError | None = None,
) -> None:
    stamp = format_timestamp(now())
    model_path = target.paths.model(target.project_id, upload.model_id)
    job_path = target.paths.job(upload.job_id)
    if failed is not None:
        _log.warning(
            "ingest failed",
            extra=log_fields(metric="job_finished", kind="cad_ingest", status="failed", code=failed.code),
        )
        model_fields: dict[str, Any] = {
            "status": ModelStatus.failed.value,
            "error": failed.model_dump(mode="json"),
            "updated_at": stamp,
        }
        job_fields: dict[str, Any] = {
            "status": JobStatus.failed.value,
            "stage": "failed",
            "error": failed.model_dump(mode="json"),
        }
    else:
        _log.info(
            "ingest done", extra=log_fields(metric="job_finished", kind="cad_ingest", status="succeeded")
        )
        model_fields = {
            **(ready or {}),
            "status": ModelStatus.ready.value,
            "progress": 100,
            "updated_at": stamp,
        }
        job_fields = {"status": JobStatus.succeeded.value, "stage": "done", "progress": 100}

    def finish(txn: Transaction) -> None:
        txn.update(model_path, model_fields)
        txn.update(job_path, {**job_fields, "lease_expires_at": None, "updated_at": stamp})

    runtime.store.transaction(finish)
    data: dict[str, Any] = {
        "project_id": target.project_id,
        "model_id": upload.model_id,
        "job_id": upload.job_id,
    }
    tenant_id = target.paths.tenant_id
    if failed is not None:
        emit(runtime, tenant_id, "model.failed", {**data, "error": {"code": failed.code}})
        emit(runtime, tenant_id, "job.failed", {**data, "kind": "cad_ingest", "error": {"code": failed.code}})
    else:
        emit(runtime, tenant_id, "model.ready", data)
        emit(runtime, tenant_id, "job.succeeded", {**data, "kind": "cad_ingest"})


def _release(runtime: Runtime, target: _Target, upload: Upload, exc: Exception) -> None:
    """Give the model back after an unexpected error so that the redelivered event retries it."""
    _log.exception("ingest attempt failed", extra=log_fields(error=repr(exc)[:500]))
    stamp = format_timestamp(now())

    def release(txn: Transaction) -> None:
        txn.update(
            target.paths.model(target.project_id, upload.model_id),
            {"status": ModelStatus.processing.value, "generation": None, "updated_at": stamp},
        )
        txn.update(
            target.paths.job(upload.job_id),
            {
                "status": JobStatus.queued.value,
                "stage": "retrying",
                "lease_expires_at": None,
                "updated_at": stamp,
            },
        )

    runtime.store.transaction(release)


def _area_m2(boundary: list[dict[str, float]]) -> float | None:
    if len(boundary) < 3:
        return None
    from shapely.geometry import Polygon

    return round(float(Polygon([(p["x"], p["y"]) for p in boundary]).area) / 1e6, 2)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
