"""Running a layout job: brief → planner → validation → stored version and exports.

Idempotent under redelivery. The job document is the state machine:

- a finished job is acknowledged and left alone;
- a job running under a live lease belongs to another delivery, which Pub/Sub redelivers
  itself if that instance dies, so this one is acknowledged;
- otherwise the job is (re)started: the version is written with create-if-absent, so a
  resume after a crash never makes a second version;
- a planner refusal (the brief cannot fit) fails the job at once with its reason;
- any other error puts the job back to ``queued`` and re-raises, so the event is
  retried; after ``job_max_attempts`` starts the job fails with a reason.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from archbuilder.domain.brief import Brief
from archbuilder.domain.common import Language
from archbuilder.domain.job import Job, JobError, JobStatus
from archbuilder.domain.layout import LayoutStatus, LayoutVersionPublic
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.errors import ArchBuilderError, Unprocessable
from archbuilder.platform.logging import bound, get_logger, log_fields
from archbuilder.ports import Transaction
from archbuilder.repositories import TenantPaths, dump
from archbuilder.runtime import Runtime
from archbuilder.services.layouts import CONTENT_TYPES, LayoutRequest, artifact_name, render_artifact
from archbuilder.services.webhooks import emit

_log = get_logger("archbuilder.layout_jobs")


def run_layout_job(runtime: Runtime, request: LayoutRequest) -> JobStatus | None:
    """Do (or resume, or skip) one layout job. Returns the job's status afterwards."""
    paths = TenantPaths(request.tenant_id)
    job_path = paths.job(request.job_id)
    with bound(tenant_id=request.tenant_id, job_id=request.job_id):
        job = _claim(runtime, job_path)
        if job is None:
            return _current_status(runtime, job_path)
        started = time.perf_counter()
        try:
            status = _execute(runtime, paths, job, request)
        except Unprocessable as refusal:
            _fail(runtime, paths, job, JobError(code=refusal.code, params=refusal.params))
            return JobStatus.failed
        except Exception as exc:
            _release(runtime, job_path, exc)
            raise
        _log.info(
            "layout job finished",
            extra=log_fields(
                metric="job_finished",
                kind="layout",
                status=status.value,
                duration_ms=round((time.perf_counter() - started) * 1000),
            ),
        )
        return status


def expire_layout_job(runtime: Runtime, request: LayoutRequest) -> None:
    """Fail a job whose request event arrived after the worker's max event age."""
    paths = TenantPaths(request.tenant_id)
    snapshot = runtime.store.get(paths.job(request.job_id))
    if snapshot is None:
        return
    job = Job.model_validate(snapshot.data)
    if not job.status.finished:
        _fail(runtime, paths, job, JobError(code="JOB_EXPIRED", params={"job_id": job.id}))


def _current_status(runtime: Runtime, job_path: str) -> JobStatus | None:
    snapshot = runtime.store.get(job_path)
    return JobStatus(snapshot.data["status"]) if snapshot else None


def _claim(runtime: Runtime, job_path: str) -> Job | None:
    """Take the job for this delivery, or return None when there is nothing to do."""
    settings = runtime.settings
    moment = now()

    def claim(txn: Transaction) -> tuple[Job | None, str]:
        snapshot = txn.get(job_path)
        if snapshot is None:
            return None, "missing"
        job = Job.model_validate(snapshot.data)
        if job.status.finished:
            return None, "finished"
        if job.status is JobStatus.running and job.lease_expires_at and job.lease_expires_at > moment:
            return None, "leased"
        if job.attempts >= settings.job_max_attempts:
            failed = job.model_copy(
                update={
                    "status": JobStatus.failed,
                    "stage": "failed",
                    "error": JobError(
                        code="JOB_ATTEMPTS_EXHAUSTED", params={"attempts": job.attempts, "job_id": job.id}
                    ),
                    "updated_at": moment,
                    "lease_expires_at": None,
                }
            )
            txn.set(job_path, dump(failed))
            return None, "exhausted"
        claimed = job.model_copy(
            update={
                "status": JobStatus.running,
                "stage": "planning",
                "progress": 10,
                "attempts": job.attempts + 1,
                "lease_expires_at": moment + timedelta(seconds=settings.job_lease_s),
                "updated_at": moment,
            }
        )
        txn.set(job_path, dump(claimed))
        return claimed, "claimed"

    job, outcome = runtime.store.transaction(claim)
    if job is None:
        _log.info("layout job skipped", extra=log_fields(reason=outcome))
        if outcome == "exhausted":
            _mark_layout_failed_from_job(runtime, job_path)
    return job


def _execute(runtime: Runtime, paths: TenantPaths, job: Job, request: LayoutRequest) -> JobStatus:
    store = runtime.store
    layout_path = paths.layout(request.project_id, request.layout_id)
    layout_doc = store.get(layout_path)
    if layout_doc is None:
        # The project or layout was deleted after the brief was accepted.
        _fail(
            runtime,
            paths,
            job,
            JobError(code="NOT_FOUND", params={"resource": "layout", "id": request.layout_id}),
        )
        return JobStatus.failed
    brief = Brief.model_validate(layout_doc.data["brief"])

    version_path = paths.version(request.project_id, request.layout_id, request.version)
    if store.get(version_path) is None:
        revision: dict[str, Any] = {}
        if request.parent_version is not None:
            brief, revision = _revised_brief(runtime, paths, job, request, brief)
        _plan_and_store(runtime, paths, job, request, brief, version_path, revision)
    stored = LayoutVersionPublic.model_validate(store.get(version_path).data)  # type: ignore[union-attr]
    # The Revit payload only: DXF, IFC and SVG are rendered on their first export (a sixth of a
    # job's CPU was the DXF, rendered for every version whether anyone exported it or not).
    name = artifact_name(paths, request.project_id, request.layout_id, request.version, "json")
    runtime.blobs.put(name, render_artifact(stored.payload, "json"), content_type=CONTENT_TYPES["json"])
    _succeed(runtime, paths, job, request)
    return JobStatus.succeeded


def _revised_brief(
    runtime: Runtime, paths: TenantPaths, job: Job, request: LayoutRequest, layout_brief: Brief
) -> tuple[Brief, dict[str, Any]]:
    """The parent version's brief with the architect's feedback applied, and what to record of it.

    The parent's brief is the one stored with the nearest revision up its chain of parents
    (a correction keeps its parent's brief), else the layout's. The seed changes with every
    version, so a revision differs even when no edit was understood. A brief the edits make
    impossible fails the job with the planner's code.
    """
    from archbuilder.ai.tasks import apply_feedback
    from archbuilder.layout.programme import check_programme_fits

    parent, current_areas = _parent_brief(runtime, paths, request, layout_brief)
    language = parent.language.value if parent.language else Language.en.value
    metadata: dict[str, Any] = {"feedback": request.feedback}
    if request.feedback:
        try:
            revised = apply_feedback(
                parent,
                request.feedback,
                tenant_id=request.tenant_id,
                runtime=runtime,
                language=language,
                current_areas=current_areas,
                correlation_id=job.id,
            )
        except ArchBuilderError as exc:
            if exc.code == "AI_BUDGET_EXHAUSTED":  # no redelivery will change that this month
                raise Unprocessable(code=exc.code, **exc.params) from exc
            raise
        parent = revised.brief
        metadata |= {
            "edits": [edit.summary() for edit in revised.edits],
            "not_applied": [edit.summary() for edit in revised.not_applied],
            "not_understood": revised.not_understood,
            "assumptions": revised.assumptions,
            "confidence": revised.confidence,
            "provider": revised.provider,
            "model": revised.model,
            "prompt_version": revised.usage.prompt_version,
        }
    seed = (layout_brief.options.seed + request.version) % (_MAX_SEED + 1)
    brief = parent.model_copy(update={"options": parent.options.model_copy(update={"seed": seed})})
    check_programme_fits(brief)
    return brief, metadata


def _parent_brief(
    runtime: Runtime, paths: TenantPaths, request: LayoutRequest, layout_brief: Brief
) -> tuple[Brief, dict[str, float]]:
    """The brief the parent version was planned from, and its rooms' areas (name or type → m²)."""
    current_areas: dict[str, float] = {}
    number: int | None = request.parent_version
    for _ in range(_MAX_PARENT_HOPS):
        if number is None:
            break
        snapshot = runtime.store.get(paths.version(request.project_id, request.layout_id, number))
        if snapshot is None:
            break
        if not current_areas:
            current_areas = _room_areas(snapshot.data.get("payload") or {})
        stored = (snapshot.data.get("metadata") or {}).get("brief")
        if stored:
            return Brief.model_validate(stored), current_areas
        number = snapshot.data.get("parent_version")
    return layout_brief, current_areas


def _room_areas(payload: dict[str, Any]) -> dict[str, float]:
    """Each room type's mean area, and each room's area by name, in a version's payload."""
    by_type: dict[str, list[float]] = {}
    areas: dict[str, float] = {}
    for room in payload.get("rooms", []):
        by_type.setdefault(str(room["type"]), []).append(float(room["area_m2"]))
        areas[str(room["name"])] = float(room["area_m2"])
    areas |= {room_type: sum(values) / len(values) for room_type, values in by_type.items()}
    return areas


_MAX_PARENT_HOPS = 100
_MAX_SEED = 2**31 - 1  # BriefOptions.seed


def _plan_and_store(
    runtime: Runtime,
    paths: TenantPaths,
    job: Job,
    request: LayoutRequest,
    brief: Brief,
    version_path: str,
    revision: dict[str, Any],
) -> None:
    """Plan every variant, then validate, check and store them as one version (best first)."""
    from archbuilder.services.versions import build_version

    started = time.perf_counter()
    variants = runtime.planner.plan_variants(brief)
    _progress(runtime, paths.job(job.id), 60, "checking_compliance")
    best = variants[0]
    build_version(
        runtime,
        paths,
        brief=brief,
        variants=variants,
        project_id=request.project_id,
        layout_id=request.layout_id,
        version=request.version,
        source=runtime.planner.name,
        parent_version=request.parent_version,
        metadata={
            **best.metadata,
            "planner": best.metadata.get("planner", runtime.planner.name),
            "seed": brief.options.seed,
            "feedback": request.feedback,
            "pipeline_ms": round((time.perf_counter() - started) * 1000, 1),
            # A revision keeps the brief it was planned from (the next revision starts there).
            **({"brief": brief.model_dump(mode="json"), "revision": revision} if revision else {}),
        },
    )


def _progress(runtime: Runtime, job_path: str, progress: int, stage: str) -> None:
    runtime.store.update(
        job_path, {"progress": progress, "stage": stage, "updated_at": format_timestamp(now())}
    )


def _succeed(runtime: Runtime, paths: TenantPaths, job: Job, request: LayoutRequest) -> None:
    from archbuilder.services.reviews import version_ready

    # The layout is queued for review first: a crash between the two steps is redelivered and
    # resumes here, and queueing the same version again changes nothing.
    version_ready(runtime, request.tenant_id, request.project_id, request.layout_id, request.version)
    runtime.store.update(
        paths.job(job.id),
        {
            "status": JobStatus.succeeded.value,
            "progress": 100,
            "stage": "done",
            "result": {"layout_id": request.layout_id, "version": request.version},
            "error": None,
            "lease_expires_at": None,
            "updated_at": format_timestamp(now()),
        },
    )
    emit(
        runtime,
        request.tenant_id,
        "job.succeeded",
        {
            "job_id": job.id,
            "kind": "layout",
            "project_id": request.project_id,
            "layout_id": request.layout_id,
            "version": request.version,
        },
    )


def _fail(runtime: Runtime, paths: TenantPaths, job: Job, error: JobError) -> None:
    moment = format_timestamp(now())
    # Counted with the successes by the job_outcomes log-based metric (generation success rate).
    _log.warning(
        "layout job failed",
        extra=log_fields(metric="job_finished", kind="layout", status="failed", code=error.code),
    )

    def fail(txn: Transaction) -> None:
        layout_path = paths.layout(job.project_id, job.layout_id or "")
        layout = txn.get(layout_path)
        txn.update(
            paths.job(job.id),
            {
                "status": JobStatus.failed.value,
                "stage": "failed",
                "error": error.model_dump(mode="json"),
                "lease_expires_at": None,
                "updated_at": moment,
            },
        )
        if layout is not None:
            txn.update(layout_path, {"status": LayoutStatus.failed.value, "updated_at": moment})

    runtime.store.transaction(fail)
    emit(
        runtime,
        paths.tenant_id,
        "job.failed",
        {
            "job_id": job.id,
            "kind": "layout",
            "project_id": job.project_id,
            "layout_id": job.layout_id,
            "error": {"code": error.code},
        },
    )


def _release(runtime: Runtime, job_path: str, exc: Exception) -> None:
    """Give the job back after an unexpected error, so that the redelivery can take it."""
    _log.exception("layout job attempt failed", extra=log_fields(error=repr(exc)[:500]))
    runtime.store.update(
        job_path,
        {
            "status": JobStatus.queued.value,
            "stage": "retrying",
            "lease_expires_at": None,
            "updated_at": format_timestamp(now()),
        },
    )


def _mark_layout_failed_from_job(runtime: Runtime, job_path: str) -> None:
    snapshot = runtime.store.get(job_path)
    if snapshot is None:
        return
    job = Job.model_validate(snapshot.data)
    tenant_id = job_path.split("/")[1]
    layout_path = TenantPaths(tenant_id).layout(job.project_id, job.layout_id or "")
    if runtime.store.get(layout_path) is not None:
        runtime.store.update(
            layout_path, {"status": LayoutStatus.failed.value, "updated_at": format_timestamp(now())}
        )
