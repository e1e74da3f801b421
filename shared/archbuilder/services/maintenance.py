"""Periodic upkeep, run by the ``maintenance`` function (Cloud Scheduler → Pub/Sub).

- Webhook deliveries whose next attempt is due are sent.
- Layout jobs that never started (queued longer than ``STALE_AFTER``) or whose worker died
  (running past its lease) are handed to the workers again; the worker is idempotent. A
  revision goes with its parent version and feedback (read from its decision record).
- Uploads (CAD and regulation documents) whose file never came are expired once their signed
  URL and ``UPLOAD_GRACE`` have passed: the job fails with ``UPLOAD_EXPIRED`` and a CAD
  upload's quota is given back (``services/uploads.expire_upload``).
- Idempotency records past their ``expires_at`` are deleted (Firestore's TTL policy does the
  same in the cloud; this keeps the embedded store tidy).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from archbuilder.domain.job import Job, JobStatus
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import Filter, Query
from archbuilder.repositories import TenantPaths
from archbuilder.runtime import Runtime
from archbuilder.services import webhooks
from archbuilder.services.layouts import LayoutRequest, publish_layout_request
from archbuilder.services.uploads import UPLOAD_GRACE, expire_upload

STALE_AFTER = timedelta(minutes=10)
_log = get_logger("archbuilder.maintenance")


class MaintenanceReport(BaseModel):
    tenants: int = 0
    webhook_attempts: int = 0
    jobs_requeued: int = 0
    uploads_expired: int = 0
    idempotency_deleted: int = 0
    expired_by_retention: int = 0


def run_maintenance(runtime: Runtime, *, at: datetime | None = None) -> MaintenanceReport:
    moment = at or now()
    report = MaintenanceReport()
    for tenant in runtime.store.query(Query("tenants")):
        report.tenants += 1
        report.webhook_attempts += webhooks.send_due(runtime, tenant.id, at=moment)
        active = _active_jobs(runtime, tenant.id)
        report.jobs_requeued += _requeue_stale_jobs(runtime, tenant.id, active, moment)
        report.uploads_expired += _expire_uploads(runtime, tenant.id, active, moment)
        report.expired_by_retention += _apply_retention(runtime, tenant.id, moment)
    expired = runtime.store.query(
        Query("idempotency", where=[Filter("expires_at", "<", format_timestamp(moment))], limit=500)
    )
    for row in expired:
        runtime.store.delete(row.path)
    report.idempotency_deleted = len(expired)
    cutoff = format_timestamp(moment - timedelta(days=runtime.settings.retention_dead_letters_days))
    for row in runtime.store.query(
        Query("dead_letters", where=[Filter("dead_lettered_at", "<", cutoff)], limit=500)
    ):
        runtime.store.delete(row.path)
        report.expired_by_retention += 1
    _log.info("maintenance done", extra=log_fields(**report.model_dump()))
    return report


def _apply_retention(runtime: Runtime, tenant_id: str, moment: datetime) -> int:
    """Delete finished jobs, webhook deliveries and audit entries older than their retention."""
    settings = runtime.settings
    root = TenantPaths(tenant_id).root
    rules: tuple[tuple[str, str, int, list[Filter]], ...] = (
        (
            f"{root}/jobs",
            "updated_at",
            settings.retention_jobs_days,
            [
                Filter(
                    "status",
                    "in",
                    [JobStatus.succeeded.value, JobStatus.failed.value, JobStatus.cancelled.value],
                )
            ],
        ),
        (f"{root}/webhook_deliveries", "created_at", settings.retention_webhook_deliveries_days, []),
        (f"{root}/audit", "time", settings.retention_audit_days, []),
    )
    deleted = 0
    for collection, field, days, extra in rules:
        cutoff = format_timestamp(moment - timedelta(days=days))
        rows = runtime.store.query(Query(collection, where=[*extra, Filter(field, "<", cutoff)], limit=500))
        for row in rows:
            runtime.store.delete(row.path)
        deleted += len(rows)
    return deleted


def _active_jobs(runtime: Runtime, tenant_id: str) -> list[Job]:
    rows = runtime.store.query(
        Query(
            TenantPaths(tenant_id).jobs(),
            where=[Filter("status", "in", [JobStatus.queued.value, JobStatus.running.value])],
        )
    )
    return [Job.model_validate(row.data) for row in rows]


def _requeue_stale_jobs(runtime: Runtime, tenant_id: str, jobs: list[Job], moment: datetime) -> int:
    count = 0
    for job in jobs:
        if job.kind != "layout" or job.layout_id is None or job.version is None:
            continue
        stale = (job.status is JobStatus.queued and moment - job.updated_at > STALE_AFTER) or (
            job.status is JobStatus.running
            and job.lease_expires_at is not None
            and job.lease_expires_at < moment
        )
        if stale:
            parent_version, feedback = _revision_of(runtime, tenant_id, job)
            publish_layout_request(
                runtime.bus,
                LayoutRequest(
                    tenant_id=tenant_id,
                    project_id=job.project_id,
                    layout_id=job.layout_id,
                    job_id=job.id,
                    version=job.version,
                    parent_version=parent_version,
                    feedback=feedback,
                ),
            )
            count += 1
    return count


def _revision_of(runtime: Runtime, tenant_id: str, job: Job) -> tuple[int | None, str | None]:
    """The parent version and feedback of a revision job (its ``revision_requested`` decision);
    (None, None) for a first version."""
    if job.layout_id is None or job.version is None or job.version == 1:
        return None, None
    layout_path = TenantPaths(tenant_id).layout(job.project_id, job.layout_id)
    rows = runtime.store.query(
        Query(f"{layout_path}/decisions", where=[Filter("new_version", "==", job.version)])
    )
    for row in rows:
        if row.data.get("decision") == "revision_requested":
            return int(row.data["version"]), row.data.get("comments")
    return None, None


_UPLOAD_KINDS = ("cad_ingest", "regulation_ingest")


def _expire_uploads(runtime: Runtime, tenant_id: str, jobs: list[Job], moment: datetime) -> int:
    """Expire the uploads whose file never came (see ``services/uploads.expire_upload``)."""
    count = 0
    for job in jobs:
        # An upload expires after its job was made (its URL is signed then): a cheap first sieve.
        waiting = (
            job.kind in _UPLOAD_KINDS and job.status is JobStatus.queued and job.stage == "awaiting_upload"
        )
        if not waiting or job.created_at + UPLOAD_GRACE > moment:
            continue
        if job.kind == "cad_ingest":
            count += expire_upload(runtime, tenant_id, job, moment)
        else:
            from archbuilder.services import regulation_uploads  # the regulation library: only when needed

            count += regulation_uploads.expire_upload(runtime, tenant_id, job, moment)
    return count
