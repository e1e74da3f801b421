"""Human review of AI layouts: the queue, decisions, corrections and revisions.

Nothing the planner makes is meant to be built before an architect approves it, and
nothing is overwritten: a correction or a revision makes a new version whose parent is
the reviewed one. The queue holds one entry per layout at ``tenants/{t}/reviews/{layout}``;
every decision is appended to ``…/layouts/{l}/decisions/{id}``. The queue, decisions and
the review policy are the plan feature ``review_workflow``; a revision plans again, so it
counts against the ``layouts`` quota like a new layout.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from archbuilder.billing.quotas import consume_in, plan_has, require_feature
from archbuilder.billing.usage_ledger import new_usage_record
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import StrictModel
from archbuilder.domain.corrections import Correction, apply_corrections
from archbuilder.domain.ids import checked_id, new_id, time_ordered_id
from archbuilder.domain.job import Job
from archbuilder.domain.layout import LayoutPublic, LayoutStatus, LayoutVersionPublic, PlanResult
from archbuilder.domain.permissions import require
from archbuilder.domain.review_outcomes import review_outcome
from archbuilder.domain.timestamps import Timestamp, format_timestamp, now
from archbuilder.platform.errors import Conflict, NotFound
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import DocumentStore, Filter, Query, Transaction
from archbuilder.repositories import TenantPaths, dump, load
from archbuilder.runtime import Runtime
from archbuilder.services.idempotency import Idempotency
from archbuilder.services.identity import Principal
from archbuilder.services.layouts import (
    LayoutRequest,
    _version_summaries,
    publish_committed,
    republish_if_queued,
)
from archbuilder.services.versions import build_version, check_payload, has_error_findings
from archbuilder.services.webhooks import EventType, emit

_log = get_logger("archbuilder.reviews")

MAX_ACTIVE_REVIEWS_PER_REVIEWER = 5
DEADLINES = {"high": timedelta(hours=24), "normal": timedelta(hours=72), "low": timedelta(days=7)}


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"
    needs_revision = "needs_revision"


class ReviewRequest(StrictModel):
    decision: Decision | None = None  # None with corrections: only a new version is made
    version: int | None = Field(default=None, ge=1)  # default: the latest
    comments: str | None = Field(default=None, max_length=4000)
    corrections: list[Correction] = Field(default_factory=list, max_length=100)


class ReviseRequest(StrictModel):
    feedback: str = Field(min_length=1, max_length=4000)
    version: int | None = Field(default=None, ge=1)


class ReviewEntry(BaseModel):
    """A layout in the review queue."""

    id: str  # the layout id
    project_id: str
    layout_id: str
    version: int
    status: Literal["pending", "assigned", "done"]
    priority: Literal["high", "normal", "low"]
    deadline: Timestamp
    assignee: str | None = None
    created_at: Timestamp
    updated_at: Timestamp


class ReviewQueue(BaseModel):
    items: list[ReviewEntry]


class DecisionRecord(BaseModel):
    id: str
    version: int
    decision: str  # approve | reject | needs_revision | corrected | revision_requested
    comments: str | None
    actor: str
    time: Timestamp
    new_version: int | None = None


class ReviewOutcome(BaseModel):
    layout: LayoutPublic
    decision: DecisionRecord
    new_version: int | None = None
    job_id: str | None = None


def _layout(runtime: Runtime, paths: TenantPaths, project_id: str, layout_id: str) -> LayoutPublic:
    return load(
        runtime.store,
        paths.layout(project_id, layout_id),
        LayoutPublic,
        resource="layout",
        resource_id=layout_id,
    )


def _layout_as_read(runtime: Runtime, paths: TenantPaths, project_id: str, layout_id: str) -> LayoutPublic:
    """The layout as ``GET …/layouts/{id}`` answers it, its versions listed: what a review or a
    revision answers with (the stored document keeps ``versions`` empty)."""
    layout = _layout(runtime, paths, project_id, layout_id)
    layout.versions = _version_summaries(runtime.store, paths.versions(project_id, layout_id))
    return layout


def _actor(principal: Principal) -> str:
    return principal.actor


def priority_of(record: LayoutVersionPublic) -> Literal["high", "normal", "low"]:
    """High when the version has error findings, normal with warnings or a large plan, else low."""
    summary = (record.compliance or {}).get("summary") or {}
    if summary.get("errors"):
        return "high"
    if summary.get("warnings") or len(record.payload.rooms) >= 8:
        return "normal"
    return "low"


def version_ready(
    runtime: Runtime, tenant_id: str, project_id: str, layout_id: str, version: int
) -> LayoutStatus:
    """After a version is stored: queue it for review, or approve it when the tenant's policy
    allows (never with error findings, never from a fallback provider). Without the plan's
    review workflow the version is simply ``generated``: nobody could review it."""
    paths = TenantPaths(tenant_id)
    record = load(
        runtime.store,
        paths.version(project_id, layout_id, version),
        LayoutVersionPublic,
        resource="version",
        resource_id=str(version),
    )
    tenant = runtime.store.get(paths.root)
    if tenant is None:
        # Erased while the job ran: there is no plan to ask and nothing left to mark or queue.
        return LayoutStatus.generated
    reviewed = plan_has(tenant.data, "review_workflow")
    policy = tenant.data.get("review_policy") or {}
    auto = (
        reviewed
        and bool(policy.get("auto_approve"))
        and not has_error_findings(record)
        and not record.metadata.get("provider_fallback")
    )
    if not reviewed:
        status = LayoutStatus.generated  # nobody on this plan could review it: not queued
    else:
        status = LayoutStatus.approved if auto else LayoutStatus.requires_review
    moment = now()
    priority = priority_of(record)

    def write(txn: Transaction) -> None:
        layout_path = paths.layout(project_id, layout_id)
        layout = txn.get(layout_path)
        if layout is None:
            return
        latest = max(layout.data.get("latest_version") or 0, version)
        fields: dict[str, Any] = {
            "status": status.value,
            "latest_version": latest,
            "updated_at": format_timestamp(moment),
        }
        if auto:
            fields["approved_version"] = version
        txn.update(layout_path, fields)
        if not reviewed:
            return
        entry = ReviewEntry(
            id=layout_id,
            project_id=project_id,
            layout_id=layout_id,
            version=version,
            status="done" if auto else "pending",
            priority=priority,
            deadline=moment + DEADLINES[priority],
            created_at=moment,
            updated_at=moment,
        )
        txn.set(f"{paths.root}/reviews/{layout_id}", dump(entry))

    runtime.store.transaction(write)
    if not reviewed:
        return status
    event: EventType = "layout.approved" if auto else "layout.requires_review"
    emit(
        runtime,
        tenant_id,
        event,
        {"project_id": project_id, "layout_id": layout_id, "version": version, "priority": priority},
    )
    return status


def review_layout(
    runtime: Runtime, principal: Principal, project_id: str, layout_id: str, request: ReviewRequest
) -> ReviewOutcome:
    """Record a decision on a version; corrections first make (and check) a new version."""
    require(principal, "layouts:review")
    require_feature(runtime.store, principal.tenant_id, "review_workflow")
    paths = TenantPaths(principal.tenant_id)
    layout = _layout(runtime, paths, project_id, layout_id)
    version = request.version or layout.latest_version
    if version is None:
        raise Conflict(code="LAYOUT_NOT_READY")
    record = load(
        runtime.store,
        paths.version(project_id, layout_id, version),
        LayoutVersionPublic,
        resource="version",
        resource_id=str(version),
    )
    new_version: int | None = None
    if request.corrections:
        new_version = _corrected_version(runtime, paths, layout, record, request, principal)
        decision_name = "corrected" if request.decision is None else request.decision.value
        status = LayoutStatus.requires_review if request.decision is None else _status(request.decision)
    elif request.decision is None:
        raise Conflict(code="REVIEW_EMPTY")
    else:
        decision_name = request.decision.value
        status = _status(request.decision)
    moment = now()
    decision = DecisionRecord(
        id=time_ordered_id(moment),
        version=new_version or version,
        decision=decision_name,
        comments=request.comments,
        actor=_actor(principal),
        time=moment,
        new_version=new_version,
    )

    def write(txn: Transaction) -> None:
        current = txn.get(paths.layout(project_id, layout_id))
        queue = txn.get(f"{paths.root}/reviews/{layout_id}")
        if current is None:
            raise NotFound(resource="layout", id=layout_id)
        fields: dict[str, Any] = {"status": status.value, "updated_at": format_timestamp(moment)}
        if new_version is not None:
            fields["latest_version"] = max(current.data.get("latest_version") or 0, new_version)
        if status is LayoutStatus.approved:
            fields["approved_version"] = new_version or version
        txn.update(paths.layout(project_id, layout_id), fields)
        txn.create(f"{paths.layout(project_id, layout_id)}/decisions/{decision.id}", dump(decision))
        if queue is not None:
            done = status is not LayoutStatus.requires_review
            txn.update(
                queue.path,
                {
                    "status": "done" if done else queue.data["status"],
                    "version": new_version or version,
                    "updated_at": format_timestamp(moment),
                },
            )

    runtime.store.transaction(write)
    _log.info(
        "layout reviewed",
        extra=log_fields(
            metric="review_decided",
            decision=decision_name,
            outcome=review_outcome(decision_name, new_version),
        ),
    )
    if status is LayoutStatus.approved:
        emit(
            runtime,
            principal.tenant_id,
            "layout.approved",
            {"project_id": project_id, "layout_id": layout_id, "version": new_version or version},
        )
    elif new_version is not None:
        emit(
            runtime,
            principal.tenant_id,
            "layout.requires_review",
            {"project_id": project_id, "layout_id": layout_id, "version": new_version},
        )
    updated = _layout_as_read(runtime, paths, project_id, layout_id)
    return ReviewOutcome(layout=updated, decision=decision, new_version=new_version)


def _status(decision: Decision) -> LayoutStatus:
    return {
        Decision.approve: LayoutStatus.approved,
        Decision.reject: LayoutStatus.rejected,
        Decision.needs_revision: LayoutStatus.needs_revision,
    }[decision]


def brief_of(record: LayoutVersionPublic, layout: LayoutPublic) -> Brief:
    """The brief a version was made from: its own (revisions edit it), else the layout's."""
    stored = record.metadata.get("brief")
    return Brief.model_validate(stored) if stored else layout.brief


def _corrected_version(
    runtime: Runtime,
    paths: TenantPaths,
    layout: LayoutPublic,
    record: LayoutVersionPublic,
    request: ReviewRequest,
    principal: Principal,
) -> int:
    corrected = apply_corrections(record.payload, request.corrections)
    brief = brief_of(record, layout)
    # Refused (422 LAYOUT_INVALID) before a number is reserved, so that a refused correction
    # leaves no gap; build_version checks again (a few ms, for every source alike).
    check_payload(corrected, brief)
    layout_path = paths.layout(layout.project_id, layout.id)

    def reserve(txn: Transaction) -> int:
        """The correction's number, kept on the layout (``reserved_version``) in the same commit:
        a revision or another correction that reads the layout after takes the next one."""
        current = txn.get(layout_path)
        if current is None:
            raise NotFound(resource="layout", id=layout.id)
        under_way = _job_under_way(txn, paths, current.data.get("status"), current.data.get("job_id"))
        number = _next_version(txn, paths, layout.project_id, layout.id, current.data, under_way)
        txn.update(layout_path, {"reserved_version": number})
        return number

    number = runtime.store.transaction(reserve)
    build_version(
        runtime,
        paths,
        brief=brief,
        variants=[PlanResult(payload=corrected, metadata={})],
        project_id=layout.project_id,
        layout_id=layout.id,
        version=number,
        source="correction",
        metadata={"corrections": [c.model_dump(mode="json") for c in request.corrections]},
        parent_version=record.version,
        created_by=_actor(principal),
    )
    return number


def _job_under_way(
    reader: DocumentStore | Transaction, paths: TenantPaths, status: str | None, job_id: str | None
) -> Job | None:
    """The job of a layout (its ``status`` and ``job_id``) while it still generates a version
    (its first, or a revision's), else None."""
    if status != LayoutStatus.generating.value or not job_id:
        return None
    snapshot = reader.get(paths.job(job_id))
    job = Job.model_validate(snapshot.data) if snapshot is not None else None
    return job if job is not None and not job.status.finished else None


def _next_version(
    reader: DocumentStore | Transaction,
    paths: TenantPaths,
    project_id: str,
    layout_id: str,
    layout: dict[str, Any],
    under_way: Job | None,
) -> int:
    """The number a new version of the layout (its stored fields) takes: after its latest, after
    the last one reserved for a correction (``reserved_version``), after the one a job
    ``under_way`` will store, and past any version already stored."""
    taken = [layout.get("latest_version") or 0, layout.get("reserved_version") or 0]
    number = max(*taken, (under_way.version or 0) if under_way is not None else 0) + 1
    while reader.get(paths.version(project_id, layout_id, number)) is not None:
        number += 1
    return number


def revise_layout(
    runtime: Runtime,
    principal: Principal,
    project_id: str,
    layout_id: str,
    request: ReviseRequest,
    *,
    idempotency_key: str | None = None,
) -> ReviewOutcome:
    """Start a job that plans the layout again with the architect's feedback, as the next version.

    It counts against the ``layouts`` quota like a new layout (402 ``PLAN_LIMIT_REACHED``), and
    waits for a revision already under way (409 ``LAYOUT_GENERATING``). The job, its decision,
    the layout's new state and the ledger record are one commit, as for a brief
    (``services/layouts.submit_layout``): a revision refused here leaves nothing behind. With an
    ``Idempotency-Key`` the same request answers the same job and is counted once.
    """
    require(principal, "layouts:write")
    paths = TenantPaths(principal.tenant_id)
    idempotency = None
    if idempotency_key is not None:
        route = f"/v1/projects/{project_id}/layouts/{layout_id}/revise"
        idempotency = Idempotency.of(principal.tenant_id, route, idempotency_key, request, _RevisionAccepted)
        replay = idempotency.replay(runtime.store.get(idempotency.path))
        if replay is not None:
            return _revision_replayed(runtime, principal, project_id, layout_id, replay)
    # The layout, its job under way, the quota and the new version's number are read in the
    # transaction only (it runs again on contention), never checked before it: nothing before
    # it costs anything (the feedback is read by the job), so an early check would only repeat it.
    layout_path = paths.layout(project_id, layout_id)
    project = runtime.store.get(paths.project(project_id))
    language = project.data.get("language") if project is not None else None  # the job polls in it
    moment = now()
    job_id = new_id("job")
    # Counted once per accepted revision (the record id is derived from the job id).
    usage = new_usage_record(principal.tenant_id, "layout", 1, source=job_id)

    def write(txn: Transaction) -> tuple[_RevisionAccepted, bool, bool]:
        """(the answer, replayed, counted). Reads first (the key, the layout, its job, the
        versions, then the quota's), then writes: a revision that lost the race for the last unit
        (402 in ``consume_in``) or for the layout (409) writes nothing."""
        if idempotency is not None:
            # Checked again: a concurrent request with the same key may have won meanwhile.
            previous = idempotency.replay(txn.get(idempotency.path))
            if previous is not None:
                return previous, True, False
        layout = txn.get(layout_path)
        if layout is None:
            raise NotFound(resource="layout", id=layout_id)
        latest: int | None = layout.data.get("latest_version")
        parent = request.version or latest
        if parent is None:
            raise Conflict(code="LAYOUT_NOT_READY")
        if _job_under_way(txn, paths, layout.data.get("status"), layout.data.get("job_id")) is not None:
            raise Conflict(code="LAYOUT_GENERATING")
        # Allocated here, not before the transaction: a correction committed meanwhile took one.
        number = _next_version(txn, paths, project_id, layout_id, layout.data, None)
        _, counted = consume_in(txn, usage)
        job = Job(
            id=job_id,
            kind="layout",
            project_id=project_id,
            layout_id=layout_id,
            version=number,
            language=language,
            created_at=moment,
            updated_at=moment,
        )
        decision = DecisionRecord(
            id=time_ordered_id(moment),
            version=parent,
            decision="revision_requested",
            comments=request.feedback,
            actor=_actor(principal),
            time=moment,
            new_version=number,
        )
        accepted = _RevisionAccepted(job_id=job.id, new_version=number, decision=decision)
        if idempotency is not None:
            txn.create(
                idempotency.path, idempotency.record(accepted, moment, runtime.settings.idempotency_ttl_s)
            )
        txn.create(paths.job(job.id), dump(job))
        txn.create(f"{layout_path}/decisions/{decision.id}", dump(decision))
        txn.update(
            layout_path,
            {
                "status": LayoutStatus.generating.value,
                "job_id": job.id,
                "updated_at": format_timestamp(moment),
            },
        )
        return accepted, False, counted

    result, replayed, counted = runtime.store.transaction(write)
    if replayed:
        return _revision_replayed(runtime, principal, project_id, layout_id, result)
    publish_committed(
        runtime.bus, _revision_request(principal, project_id, layout_id, result), counted=counted
    )
    return _revision_outcome(runtime, paths, project_id, layout_id, result)


class _RevisionAccepted(BaseModel):
    """What an accepted revision answers besides the layout (which is read at answer time)."""

    job_id: str
    new_version: int
    decision: DecisionRecord


def _revision_replayed(
    runtime: Runtime, principal: Principal, project_id: str, layout_id: str, accepted: _RevisionAccepted
) -> ReviewOutcome:
    """The answer to a replayed revision: nothing is written or counted; its job is published
    again only if it never started (``services/layouts.republish_if_queued``)."""
    republish_if_queued(
        runtime.store, runtime.bus, _revision_request(principal, project_id, layout_id, accepted)
    )
    return _revision_outcome(runtime, TenantPaths(principal.tenant_id), project_id, layout_id, accepted)


def _revision_outcome(
    runtime: Runtime, paths: TenantPaths, project_id: str, layout_id: str, accepted: _RevisionAccepted
) -> ReviewOutcome:
    return ReviewOutcome(
        layout=_layout_as_read(runtime, paths, project_id, layout_id),
        decision=accepted.decision,
        new_version=accepted.new_version,
        job_id=accepted.job_id,
    )


def _revision_request(
    principal: Principal, project_id: str, layout_id: str, accepted: _RevisionAccepted
) -> LayoutRequest:
    return LayoutRequest(
        tenant_id=principal.tenant_id,
        project_id=project_id,
        layout_id=layout_id,
        job_id=accepted.job_id,
        version=accepted.new_version,
        parent_version=accepted.decision.version,
        feedback=accepted.decision.comments,
    )


def review_queue(runtime: Runtime, principal: Principal, *, status: str, assignee: str | None) -> ReviewQueue:
    """The queue: highest priority first, then the earliest deadline."""
    require(principal, "layouts:read")
    require_feature(runtime.store, principal.tenant_id, "review_workflow")
    where = [Filter("status", "==", status)]
    if assignee:
        where.append(Filter("assignee", "==", assignee))
    rows = runtime.store.query(
        Query(
            f"{TenantPaths(principal.tenant_id).root}/reviews",
            where=where,
            order_by=[("deadline", "asc")],
            limit=500,
        )
    )
    rank = {"high": 0, "normal": 1, "low": 2}
    entries = sorted(
        (ReviewEntry.model_validate(r.data) for r in rows), key=lambda e: (rank[e.priority], e.deadline)
    )
    return ReviewQueue(items=entries)


def assign_review(
    runtime: Runtime, principal: Principal, layout_id: str, assignee: str | None
) -> ReviewEntry:
    """Assign a pending review (to the caller by default), within the per-reviewer cap."""
    require(principal, "layouts:review")
    require_feature(runtime.store, principal.tenant_id, "review_workflow")
    paths = TenantPaths(principal.tenant_id)
    path = f"{paths.root}/reviews/{checked_id(layout_id, 'review')}"
    reviewer = assignee or _actor(principal)
    active = runtime.store.query(
        Query(
            f"{paths.root}/reviews",
            where=[Filter("assignee", "==", reviewer), Filter("status", "==", "assigned")],
        )
    )
    if len(active) >= MAX_ACTIVE_REVIEWS_PER_REVIEWER:
        raise Conflict(code="REVIEWER_AT_CAPACITY", limit=MAX_ACTIVE_REVIEWS_PER_REVIEWER)

    def write(txn: Transaction) -> ReviewEntry:
        snapshot = txn.get(path)
        if snapshot is None:
            raise NotFound(resource="review", id=layout_id)
        entry = ReviewEntry.model_validate(snapshot.data)
        if entry.status == "done":
            raise Conflict(code="REVIEW_ALREADY_DONE")
        entry = entry.model_copy(update={"status": "assigned", "assignee": reviewer, "updated_at": now()})
        txn.set(path, dump(entry))
        return entry

    return runtime.store.transaction(write)


def decision_history(
    runtime: Runtime, principal: Principal, project_id: str, layout_id: str
) -> list[DecisionRecord]:
    require(principal, "layouts:read")
    paths = TenantPaths(principal.tenant_id)
    _layout(runtime, paths, project_id, layout_id)
    rows = runtime.store.query(
        Query(f"{paths.layout(project_id, layout_id)}/decisions", order_by=[("time", "asc")])
    )
    return [DecisionRecord.model_validate(r.data) for r in rows]


class ReviewPolicy(StrictModel):
    """A tenant's review policy. Auto-approval never applies to a version with error findings
    or one made by a fallback provider."""

    auto_approve: bool = False


def get_review_policy(runtime: Runtime, principal: Principal) -> ReviewPolicy:
    require(principal, "layouts:read")
    require_feature(runtime.store, principal.tenant_id, "review_workflow")
    tenant = runtime.store.get(TenantPaths(principal.tenant_id).root)
    return ReviewPolicy.model_validate((tenant.data.get("review_policy") if tenant else None) or {})


def set_review_policy(runtime: Runtime, principal: Principal, policy: ReviewPolicy) -> ReviewPolicy:
    require(principal, "review_policy:manage")
    require_feature(runtime.store, principal.tenant_id, "review_workflow")
    runtime.store.update(TenantPaths(principal.tenant_id).root, {"review_policy": policy.model_dump()})
    return policy
