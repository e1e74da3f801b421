"""Accepting briefs, and reading layouts, versions, exports and jobs."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, Field

from archbuilder.billing.quotas import check_quota, consume_in, require_feature
from archbuilder.billing.usage_ledger import new_usage_record, publish_usage
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import Language
from archbuilder.domain.ids import new_id
from archbuilder.domain.job import Job, JobErrorPublic, JobPublic, JobStatus
from archbuilder.domain.layout import (
    LayoutPayload,
    LayoutPublic,
    LayoutStatus,
    LayoutVersionPublic,
    LayoutVersionSummary,
    payload_checksum,
)
from archbuilder.domain.permissions import require
from archbuilder.domain.project import Project, Units
from archbuilder.domain.timestamps import now
from archbuilder.layout.programme import check_programme_fits
from archbuilder.platform.errors import (
    ArchBuilderError,
    BusUnavailable,
    NotFound,
    Unauthenticated,
    Unprocessable,
)
from archbuilder.platform.i18n import DEFAULT_LANGUAGE, translate, translate_stage
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.platform.paging import page
from archbuilder.ports import BlobStore, DocumentStore, EventBus, Query, Transaction
from archbuilder.repositories import TenantPaths, dump, load
from archbuilder.runtime import get_runtime
from archbuilder.services.idempotency import Idempotency
from archbuilder.services.identity import Principal

LAYOUT_REQUESTS_TOPIC = "layout-requests"
EXPORT_FORMATS = ("json", "dxf", "svg", "ifc")
_log = get_logger("archbuilder.layouts")


class LayoutAccepted(BaseModel):
    """The 202 answer to a brief."""

    job_id: str
    layout_id: str
    status: str
    assumptions: list[str] = Field(default_factory=list)  # what was assumed reading the prompt
    # Soft quota warnings from 80 % of a monthly quota, e.g. "layouts=85%" (also a header).
    quota_warnings: list[str] = Field(default_factory=list)


class LayoutRequest(BaseModel):
    """The message on ``layout-requests``: enough to find the job, nothing more."""

    tenant_id: str
    project_id: str
    layout_id: str
    job_id: str
    version: int
    parent_version: int | None = None  # set for a revision: the version the feedback is about
    feedback: str | None = None  # the architect's words for a revision


class LayoutList(BaseModel):
    items: list[LayoutPublic]
    next_page_token: str | None = None


def artifact_name(paths: TenantPaths, project_id: str, layout_id: str, version: int, fmt: str) -> str:
    return f"{paths.blob_prefix(project_id)}/layouts/{layout_id}/versions/{version}/layout.{fmt}"


def submit_layout(
    store: DocumentStore,
    bus: EventBus,
    principal: Principal,
    project_id: str,
    brief: Brief,
    *,
    idempotency_key: str | None,
) -> LayoutAccepted:
    """Store the brief as a new layout with a queued job, then publish the job.

    The brief is resolved against the project (region, language, footprint) and checked
    for fit before anything is written. With an ``Idempotency-Key`` the same request
    answers the same ids; the same key with another body is a conflict. The key is looked up
    first, against the request as sent (``request_hash``): a replay answers the stored 202
    without reading the prompt again, so a model that would read it differently on the retry
    (or an AI response cache that has expired) changes nothing and costs nothing.
    """
    require(principal, "layouts:write")
    paths = TenantPaths(principal.tenant_id)
    idempotency = None
    if idempotency_key is not None:
        idempotency = Idempotency.of(
            principal.tenant_id, f"/v1/projects/{project_id}/layouts", idempotency_key, brief, LayoutAccepted
        )
        replay = idempotency.replay(store.get(idempotency.path))
        if replay is not None:
            republish_if_queued(store, bus, _first_version_request(principal, project_id, replay))
            return replay
    project = load(store, paths.project(project_id), Project, resource="project", resource_id=project_id)
    # The early 402 (charged below), before a prompt costs an AI call the tenant cannot use.
    check_quota(store, principal.tenant_id, "layouts")
    assumptions: list[str] = []
    if brief.prompt:
        from archbuilder.ai.tasks import brief_from_prompt

        brief, assumptions = brief_from_prompt(
            brief,
            tenant_id=principal.tenant_id,
            runtime=get_runtime(),
            region=project.code_region,
            language=project.language,
        )
    if not brief.ready_to_plan():
        raise Unprocessable(code="BRIEF_INCOMPLETE")
    resolved = brief.resolved(project.code_region, Language(project.language))
    assert resolved.region is not None
    require_feature(store, principal.tenant_id, "regions", resolved.region)
    check_programme_fits(resolved)

    moment = now()
    job = Job(
        id=new_id("job"),
        kind="layout",
        project_id=project.id,
        layout_id=new_id("lay"),
        version=1,
        language=project.language.value,
        stage="queued",
        created_at=moment,
        updated_at=moment,
    )
    assert job.layout_id is not None
    layout = LayoutPublic(
        id=job.layout_id,
        project_id=project.id,
        status=LayoutStatus.generating,
        latest_version=None,
        brief=resolved,
        job_id=job.id,
        created_at=moment,
        updated_at=moment,
    )
    # Counted once per accepted job (the record id is derived from the job id).
    usage = new_usage_record(principal.tenant_id, "layout", 1, source=job.id)
    ttl_s = get_runtime().settings.idempotency_ttl_s

    def write(txn: Transaction) -> tuple[LayoutAccepted, bool, bool]:
        """The job, its layout and its ledger record in one commit: a brief that lost the race
        for the last unit (402 here) leaves nothing behind, and an accepted one is counted."""
        if idempotency is not None:
            # Checked again: a concurrent request with the same key may have won meanwhile.
            previous = idempotency.replay(txn.get(idempotency.path), legacy_hash=_legacy_hash(brief))
            if previous is not None:
                return previous, True, False
        checks, counted = consume_in(txn, usage)  # reads, then writes: before the other writes
        accepted = LayoutAccepted(
            job_id=job.id,
            layout_id=layout.id,
            status=job.status.value,
            assumptions=assumptions,
            quota_warnings=[w for check in checks for w in check.headers().values()],
        )
        if idempotency is not None:
            txn.create(idempotency.path, idempotency.record(accepted, moment, ttl_s))
        txn.create(paths.job(job.id), dump(job))
        txn.create(paths.layout(project.id, layout.id), dump(layout.model_copy(update={"versions": []})))
        return accepted, False, counted

    result, replayed, counted = store.transaction(write)
    message = _first_version_request(principal, project.id, result)
    if replayed:
        republish_if_queued(store, bus, message)
    else:
        publish_committed(bus, message, counted=counted)
    return result


def _legacy_hash(parsed: Brief) -> str:
    """The hash a brief's idempotency record written before requests were hashed as sent holds
    (no ``hash_of``): of the parsed brief."""
    return hashlib.sha256(json.dumps(parsed.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def _first_version_request(principal: Principal, project_id: str, accepted: LayoutAccepted) -> LayoutRequest:
    return LayoutRequest(
        tenant_id=principal.tenant_id,
        project_id=project_id,
        layout_id=accepted.layout_id,
        job_id=accepted.job_id,
        version=1,
    )


def publish_committed(bus: EventBus, message: LayoutRequest, *, counted: bool = False) -> None:
    """Publish a layout job the request has committed (a brief's, a revision's) and, when its
    ledger record is new (``counted``), ask for that to be metered.

    The job and its record are stored whatever the bus does now, so a ``BusUnavailable`` is
    logged and the request still answers 202 with its job, first time or replayed: the job stays
    queued and maintenance publishes it again once stale (``services/maintenance.STALE_AFTER``);
    the record stays ``pending`` and goes to Stripe with the tenant's next usage event. A 503
    would make a client without an Idempotency-Key send the work again and pay twice, and tell one
    retrying with its key that work it was charged for failed.
    """
    try:
        publish_layout_request(bus, message)
        if counted:
            publish_usage(bus, message.tenant_id)
    except BusUnavailable:
        _log.warning(
            "layout job not published: the bus is unavailable; maintenance will requeue it",
            extra=log_fields(job_id=message.job_id, layout_id=message.layout_id),
        )


def republish_if_queued(store: DocumentStore, bus: EventBus, message: LayoutRequest) -> None:
    """For a replayed request (nothing written or counted): publish its job again, as after the
    first commit, only if it never started (the worker is idempotent)."""
    job = store.get(TenantPaths(message.tenant_id).job(message.job_id))
    if job is not None and job.data.get("status") == JobStatus.queued.value:
        publish_committed(bus, message)


def publish_layout_request(bus: EventBus, message: LayoutRequest) -> None:
    """Hand a layout job to the workers (ordered per layout)."""
    bus.publish(
        LAYOUT_REQUESTS_TOPIC,
        message.model_dump(),
        attributes={"tenant_id": message.tenant_id, "job_id": message.job_id, "schema_version": "1"},
        ordering_key=message.layout_id,
    )
    _log.info("layout job published", extra=log_fields(job_id=message.job_id, layout_id=message.layout_id))


def _version_summaries(store: DocumentStore, collection: str) -> list[LayoutVersionSummary]:
    rows = store.query(Query(collection=collection, order_by=[("version", "asc")]))
    summaries = []
    for row in rows:
        payload = row.data["payload"]
        summaries.append(
            LayoutVersionSummary(
                version=row.data["version"],
                created_at=row.data["created_at"],
                source=row.data["source"],
                room_count=len(payload["rooms"]),
                gross_area_m2=round(sum(r["area_m2"] for r in payload["rooms"]), 2),
            )
        )
    return summaries


def get_layout(store: DocumentStore, principal: Principal, project_id: str, layout_id: str) -> LayoutPublic:
    require(principal, "layouts:read")
    paths = TenantPaths(principal.tenant_id)
    layout = load(
        store, paths.layout(project_id, layout_id), LayoutPublic, resource="layout", resource_id=layout_id
    )
    layout.versions = _version_summaries(store, paths.versions(project_id, layout_id))
    return layout


def list_layouts(
    store: DocumentStore, principal: Principal, project_id: str, *, page_size: int, page_token: str | None
) -> LayoutList:
    require(principal, "layouts:read")
    paths = TenantPaths(principal.tenant_id)
    load(store, paths.project(project_id), Project, resource="project", resource_id=project_id)
    rows, token = page(
        store,
        paths.layouts(project_id),
        order_field="created_at",
        direction="desc",
        page_size=page_size,
        page_token=page_token,
    )
    return LayoutList(items=[LayoutPublic.model_validate(r.data) for r in rows], next_page_token=token)


def get_version(
    store: DocumentStore,
    blobs: BlobStore,
    principal: Principal,
    project_id: str,
    layout_id: str,
    version: int,
    *,
    variant: int = 1,
) -> LayoutVersionPublic:
    """One version; with ``variant`` > 1 its payload is that ranked variant's."""
    return layout_and_version(store, blobs, principal, project_id, layout_id, version, variant)[1]


def layout_and_version(
    store: DocumentStore,
    blobs: BlobStore,
    principal: Principal,
    project_id: str,
    layout_id: str,
    version: int,
    variant: int,
) -> tuple[LayoutPublic, LayoutVersionPublic]:
    """The layout and one version of it (``layouts:read``); with ``variant`` > 1 the version's
    payload, compliance summary and design review are that ranked variant's."""
    require(principal, "layouts:read")
    paths = TenantPaths(principal.tenant_id)
    # The layout is read first so that a missing layout and a missing version answer differently.
    layout = load(
        store, paths.layout(project_id, layout_id), LayoutPublic, resource="layout", resource_id=layout_id
    )
    record = load(
        store,
        paths.version(project_id, layout_id, version),
        LayoutVersionPublic,
        resource="version",
        resource_id=str(version),
    )
    if variant == 1:
        return layout, record
    if not 1 <= variant <= len(record.variants):
        raise NotFound(resource="variant", id=str(variant))
    raw = blobs.get(f"{_version_folder(paths, project_id, layout_id, version)}/variants/{variant}.json")
    if raw is None:
        raise NotFound(resource="variant", id=str(variant))
    return layout, record.model_copy(
        update={
            "payload": LayoutPayload.model_validate_json(raw),
            "compliance": record.variants[variant - 1].compliance,
            "design_review": record.variants[variant - 1].design_review,
            "variant": variant,
        }
    )


def _version_folder(paths: TenantPaths, project_id: str, layout_id: str, version: int) -> str:
    return artifact_name(paths, project_id, layout_id, version, "json").rsplit("/", 1)[0]


CONTENT_TYPES = {
    "json": "application/json",
    "dxf": "application/dxf",
    "svg": "image/svg+xml",
    "ifc": "application/x-step",
}


def export_version(
    store: DocumentStore,
    blobs: BlobStore,
    principal: Principal,
    project_id: str,
    layout_id: str,
    version: int,
    fmt: str,
    *,
    variant: int = 1,
    language: str = DEFAULT_LANGUAGE,
) -> tuple[bytes, str, str, str]:
    """The version in ``fmt``: (content, content type, file name, payload checksum).

    Rendered on the first export, then kept (the SVG, whose words are in ``language``, and the
    DXF, whose areas are written as ``language`` writes numbers, once per language).
    The checksum is the SHA-256 of the JSON payload, so the add-in can tell which version it
    built whatever the format."""
    if fmt not in EXPORT_FORMATS:
        raise Unprocessable(code="UNSUPPORTED_EXPORT_FORMAT", format=fmt[:20], supported=list(EXPORT_FORMATS))
    if fmt == "ifc":
        require_feature(store, principal.tenant_id, "ifc_export")
    record = get_version(store, blobs, principal, project_id, layout_id, version, variant=variant)
    suffix = "" if variant == 1 else f"-variant{variant}"
    filename = f"{layout_id}-v{version}{suffix}.{fmt}"
    checksum = payload_checksum(record.payload)
    if fmt == "json":
        return record.payload.model_dump_json().encode(), CONTENT_TYPES[fmt], filename, checksum
    paths = TenantPaths(principal.tenant_id)
    name = (
        artifact_name(paths, project_id, layout_id, version, fmt)
        if variant == 1
        else f"{_version_folder(paths, project_id, layout_id, version)}/variants/{variant}.{fmt}"
    )
    if fmt == "svg" or (fmt == "dxf" and language != DEFAULT_LANGUAGE):
        name = f"{name.removesuffix(f'.{fmt}')}.{language}.{fmt}"
    project = load(store, paths.project(project_id), Project, resource="project", resource_id=project_id)
    if fmt in ("dxf", "ifc") and project.units is Units.imperial:  # metric keeps the job's name
        name = f"{name.removesuffix(f'.{fmt}')}.imperial.{fmt}"
    stored = blobs.get(name)
    if stored is None:
        stored = render_artifact(
            record.payload, fmt, project_name=layout_id, record=record, language=language,
            units=project.units, file_name=filename, organisation=_organisation(store, principal.tenant_id),
        )  # fmt: skip
        blobs.put(name, stored, content_type=CONTENT_TYPES[fmt])
    return stored, CONTENT_TYPES[fmt], filename, checksum


def _organisation(store: DocumentStore, tenant_id: str) -> str:
    """What an export names as its author: the tenant's name (its id if it has none)."""
    snapshot = store.get(f"tenants/{tenant_id}")
    name = snapshot.data.get("name") if snapshot is not None else None
    return str(name) if name else tenant_id


def render_artifact(
    payload: LayoutPayload,
    fmt: str,
    *,
    project_name: str = "ArchBuilder layout",
    record: LayoutVersionPublic | None = None,
    language: str = DEFAULT_LANGUAGE,
    units: Units = Units.metric,
    file_name: str = "layout.ifc",
    organisation: str = "",
) -> bytes:
    """Render an export file for a payload (with ``record``, IFC carries its version facts;
    the SVG's words and the DXF's numbers are in ``language``; DXF and IFC follow the project's
    ``units``; the IFC header names ``file_name`` and the tenant as ``organisation``)."""
    if fmt == "dxf":
        from archbuilder.cad.dxf_export import layout_to_dxf

        return layout_to_dxf(payload, units=units, language=language)
    if fmt == "svg":
        from archbuilder.cad.svg_export import layout_to_svg

        return layout_to_svg(payload, language).encode("utf-8")
    if fmt == "ifc":
        # Built in a child process: ifcopenshell keeps the native memory of every file it built.
        from archbuilder.cad.ifc_export_child import layout_to_ifc_in_child

        options: dict[str, Any] = {
            "project_name": project_name,
            "units": units,
            "file_name": file_name,
            "organisation": organisation,
        }
        if record is not None:
            brief = record.metadata.get("brief")
            options |= {
                "brief": brief,
                "compliance": record.compliance,
                "version": record.version,
                "checksum": payload_checksum(payload),
                "planner": record.source,
                "region": (brief or {}).get("region"),
            }
        return layout_to_ifc_in_child(payload, **options)
    if fmt == "json":
        return payload.model_dump_json().encode()
    raise Unprocessable(code="UNSUPPORTED_EXPORT_FORMAT", format=fmt, supported=list(EXPORT_FORMATS))


def version_compliance(
    store: DocumentStore,
    blobs: BlobStore,
    principal: Principal,
    project_id: str,
    layout_id: str,
    version: int,
    *,
    variant: int,
    language: str,
    loaded: tuple[LayoutPublic, LayoutVersionPublic] | None = None,
) -> tuple[Any, str]:
    """The compliance report of a version (variant) in ``language``, and the code region;
    ``loaded`` is the layout and version when the caller has read them already."""
    from archbuilder.compliance import check_model, layout_to_model

    layout, record = loaded or layout_and_version(
        store, blobs, principal, project_id, layout_id, version, variant
    )
    brief = layout.brief
    assert brief.region is not None
    if language == brief.language:
        # The report stored when the version was made: the audit record, with its rules version.
        folder = _version_folder(TenantPaths(principal.tenant_id), project_id, layout_id, version)
        stored = blobs.get(f"{folder}/compliance-{variant}.json")
        if stored is not None:
            from archbuilder.compliance import ComplianceReport

            return ComplianceReport.model_validate_json(stored), brief.region
    # In another language the report is made again: checking is fast and deterministic.
    report = check_model(layout_to_model(record.payload, brief), region=brief.region, language=language)
    return report, brief.region


def compliance_summary(report: BaseModel) -> dict[str, Any]:
    """What a version or model keeps of its compliance report: region, rules version, counts."""
    data = report.model_dump(mode="json")
    return {
        "region": data.get("region"),
        "rules_version": data.get("rules_version"),
        "summary": data.get("summary"),
    }


def get_job(store: DocumentStore, principal: Principal, job_id: str, language: str) -> JobPublic:
    return job_public(read_job(store, principal, job_id), language)


def read_job(store: DocumentStore, principal: Principal, job_id: str) -> Job:
    """One job of the caller's tenant, as stored (``jobs:read``)."""
    require(principal, "jobs:read")
    job = load(store, TenantPaths(principal.tenant_id).job(job_id), Job, resource="job", resource_id=job_id)
    if job.kind == "privacy_export":
        # Its result is a link to everything the tenant holds: as much as asking for it.
        require(principal, "privacy:export")
    return job


def job_public(job: Job, language: str) -> JobPublic:
    """A job as the client sees it, with stage and error messages in ``language``."""
    error = None
    if job.error is not None:
        error = JobErrorPublic(
            code=job.error.code, message=translate(job.error.code, language, job.error.params)
        )
    return JobPublic(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        stage=job.stage,
        message=translate_stage(job.stage, language),
        result=job.result,
        error=error,
        attempts=job.attempts,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


def job_event_stream(
    store: DocumentStore,
    principal: Principal,
    job_id: str,
    language: str,
    *,
    reauthenticate: Callable[[], Principal] | None = None,
    poll_s: float = 0.2,
    recheck_s: float = 2.0,
    max_s: float = 600,
) -> Iterator[str]:
    """SSE lines for each change of the job (status, progress, stage), ending when it finishes.

    A stream outlives the request's own authentication, so ``reauthenticate`` (the caller's
    credentials checked again) runs before every event after the first and at least every
    ``recheck_s`` seconds; the job is then read as the caller is now. A revoked key, a removed
    member or a lost permission ends the stream with an ``error`` event
    (``{"error": {code, message}}``) and nothing more about the job.
    """
    tenant_id = principal.tenant_id
    last: tuple[str, int, str] | None = None
    deadline = time.monotonic() + max_s
    checked = time.monotonic()  # the request was authenticated just now
    try:
        while time.monotonic() < deadline:
            job = get_job(store, principal, job_id, language)
            state = (job.status.value, job.progress, job.stage)
            due = (last is not None and state != last) or time.monotonic() - checked >= recheck_s
            if reauthenticate is not None and due:
                principal = reauthenticate()
                checked = time.monotonic()
                if principal.tenant_id != tenant_id:
                    raise Unauthenticated()
                job = get_job(store, principal, job_id, language)
                state = (job.status.value, job.progress, job.stage)
            if state != last:
                last = state
                yield f"event: progress\ndata: {job.model_dump_json()}\n\n"
            if job.status.finished:
                yield "event: end\ndata: {}\n\n"
                return
            time.sleep(poll_s)
    except ArchBuilderError as exc:
        message = translate(exc.code, language, exc.params, exc.status)
        yield f"event: error\ndata: {json.dumps({'error': {'code': exc.code, 'message': message}})}\n\n"
        return
    yield "event: timeout\ndata: {}\n\n"
