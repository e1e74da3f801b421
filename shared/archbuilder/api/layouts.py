"""``api_layouts``: briefs in (202 + job), layouts, versions, exports and job progress."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from archbuilder.api.common import REPORT_HTML_HEADERS, authenticate, job_language, new_api
from archbuilder.compliance import ComplianceReport
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import StrictModel
from archbuilder.domain.design_review import DesignReviewReport
from archbuilder.domain.job import Job, JobPublic
from archbuilder.domain.layout import LayoutPayload, LayoutPublic, LayoutVersionPublic
from archbuilder.domain.layout_diff import LayoutDiff, diff_payloads
from archbuilder.domain.project import PageQuery
from archbuilder.platform.http import Reply, RequestContext
from archbuilder.regulations.library import optional_library
from archbuilder.runtime import get_runtime
from archbuilder.services import design_reviews, layouts, reviews
from archbuilder.services.layouts import LayoutAccepted, LayoutList
from archbuilder.services.regulations import link_report

API = new_api("api_layouts")


class VersionQuery(StrictModel):
    variant: int = Field(default=1, ge=1, le=5)


class ExportQuery(StrictModel):
    # Documented as the closed set; any other value is 422 UNSUPPORTED_EXPORT_FORMAT (naming
    # the supported ones), not a generic validation error.
    format: str = Field(
        default="json", max_length=20, json_schema_extra={"enum": list(layouts.EXPORT_FORMATS)}
    )
    variant: int = Field(default=1, ge=1, le=5)


class ComplianceQuery(StrictModel):
    format: Literal["json", "html"] = "json"
    variant: int = Field(default=1, ge=1, le=5)


class DesignReviewQuery(StrictModel):
    format: Literal["json", "html"] = "json"
    variant: int = Field(default=1, ge=1, le=5)


@API.route(
    "POST",
    "/v1/projects/<project_id>/layouts",
    summary="Submit a brief; answers 202 with the job that generates the layout",
    body=Brief,
    response=LayoutAccepted,
    status=202,
    errors=(403, 404, 409, 422),
)
def submit_layout(ctx: RequestContext, project_id: str) -> Reply:
    runtime = get_runtime()
    accepted = layouts.submit_layout(
        runtime.store, runtime.bus, ctx.principal, project_id, ctx.body, idempotency_key=ctx.idempotency_key
    )
    headers = {"Location": f"/v1/jobs/{accepted.job_id}"}
    if accepted.quota_warnings:
        headers["X-Quota-Warning"] = ", ".join(accepted.quota_warnings)
    return Reply(body=accepted, status=202, headers=headers)


@API.route(
    "GET",
    "/v1/projects/<project_id>/layouts",
    summary="List a project's layouts",
    query=PageQuery,
    response=LayoutList,
    errors=(404,),
)
def list_layouts(ctx: RequestContext, project_id: str) -> LayoutList:
    return layouts.list_layouts(
        get_runtime().store,
        ctx.principal,
        project_id,
        page_size=ctx.query.page_size,
        page_token=ctx.query.page_token,
    )


@API.route(
    "GET",
    "/v1/projects/<project_id>/layouts/<layout_id>",
    summary="A layout with its versions",
    response=LayoutPublic,
    errors=(404,),
)
def get_layout(ctx: RequestContext, project_id: str, layout_id: str) -> LayoutPublic:
    return layouts.get_layout(get_runtime().store, ctx.principal, project_id, layout_id)


@API.route(
    "GET",
    "/v1/projects/<project_id>/layouts/<layout_id>/versions/<int:version>",
    summary=(
        "One version: the Revit layout payload, planner metadata, compliance summary, design review "
        "(in the reader's language), variants"
    ),
    query=VersionQuery,
    response=LayoutVersionPublic,
    errors=(404,),
)
def get_version(ctx: RequestContext, project_id: str, layout_id: str, version: int) -> LayoutVersionPublic:
    runtime = get_runtime()
    return design_reviews.read_version(
        runtime.store,
        runtime.blobs,
        ctx.principal,
        project_id,
        layout_id,
        version,
        variant=ctx.query.variant,
        language=ctx.language,
    )


@API.route(
    "GET",
    "/v1/projects/<project_id>/layouts/<layout_id>/versions/<int:version>/compliance",
    summary=(
        "The compliance report of a version: format=json, or html for a printable page "
        "(the html ends with the version's design review, a section of its own)"
    ),
    query=ComplianceQuery,
    response=ComplianceReport,
    errors=(403, 404, 422),
    content_types=("application/json", "text/html"),
)
def get_compliance(ctx: RequestContext, project_id: str, layout_id: str, version: int) -> Reply:
    runtime = get_runtime()
    store, blobs, variant = runtime.store, runtime.blobs, ctx.query.variant
    loaded = layouts.layout_and_version(store, blobs, ctx.principal, project_id, layout_id, version, variant)
    report, _ = layouts.version_compliance(
        store,
        blobs,
        ctx.principal,
        project_id,
        layout_id,
        version,
        variant=variant,
        language=ctx.language,
        loaded=loaded,
    )
    library = optional_library(runtime)  # each finding with its article's passage, if in a library
    if library is not None:
        report = link_report(library, ctx.principal.tenant_id, report)
    if ctx.query.format == "html":
        from archbuilder.compliance import render_report_html

        # The version's design review follows the code findings as a section of its own.
        review = design_reviews.review_report(*loaded, variant, ctx.language)
        return Reply(
            body=render_report_html(report, ctx.language, after=design_reviews.design_review_section(review)),
            content_type="text/html; charset=utf-8",
            headers=dict(REPORT_HTML_HEADERS),
        )
    return Reply(body=report)


@API.route(
    "GET",
    "/v1/projects/<project_id>/layouts/<layout_id>/versions/<int:version>/design-review",
    summary=(
        "The design review of a version (advice an architect gives, not building-code findings): "
        "format=json, or html for a printable page"
    ),
    query=DesignReviewQuery,
    response=DesignReviewReport,
    errors=(403, 404, 422),
    content_types=("application/json", "text/html"),
)
def get_design_review(ctx: RequestContext, project_id: str, layout_id: str, version: int) -> Reply:
    runtime = get_runtime()
    review = design_reviews.version_design_review(
        runtime.store,
        runtime.blobs,
        ctx.principal,
        project_id,
        layout_id,
        version,
        variant=ctx.query.variant,
        language=ctx.language,
    )
    if ctx.query.format == "html":
        return Reply(
            body=design_reviews.design_review_html(review),
            content_type="text/html; charset=utf-8",
            headers=REPORT_HTML_HEADERS | {"Content-Language": review.language},
        )
    return Reply(body=review, headers={"Content-Language": review.language})


@API.route(
    "GET",
    "/v1/projects/<project_id>/layouts/<layout_id>/versions/<int:version>/export",
    summary="Export a version: format=json (the Revit payload), dxf, svg or ifc",
    query=ExportQuery,
    response=LayoutPayload,  # format=json; the other formats are files
    errors=(404, 422),
    content_types=("application/json", "application/dxf", "image/svg+xml", "application/x-step"),
)
def export_version(ctx: RequestContext, project_id: str, layout_id: str, version: int) -> Reply:
    runtime = get_runtime()
    content, content_type, filename, checksum = layouts.export_version(
        runtime.store,
        runtime.blobs,
        ctx.principal,
        project_id,
        layout_id,
        version,
        ctx.query.format,
        variant=ctx.query.variant,
        language=ctx.language,
    )
    return Reply(
        body=content,
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Layout-Version": str(version),
            "X-Layout-Variant": str(ctx.query.variant),
            "X-Layout-Checksum": f"sha256:{checksum}",
        },
    )


@API.route("GET", "/v1/jobs/<job_id>", summary="Progress of a job", response=JobPublic, errors=(403, 404))
def get_job(ctx: RequestContext, job_id: str) -> JobPublic:
    job = layouts.read_job(get_runtime().store, ctx.principal, job_id)
    _speak_the_jobs_language(ctx, job)
    return layouts.job_public(job, ctx.language)


def _speak_the_jobs_language(ctx: RequestContext, job: Job) -> None:
    """Answer in the language of the job's project unless the caller asked for one: read from
    the job itself (``common.resource_language`` leaves job routes to this)."""
    if ctx.requested_language is None:
        ctx.language = job_language(ctx.principal, job) or ctx.language


@API.route(
    "GET",
    "/v1/jobs/<job_id>/events",
    summary=(
        "Server-Sent Events: one `progress` event per change of a job, until it finishes "
        "(`error` when the caller's credentials stop being valid)"
    ),
    errors=(403, 404),
    content_types=("text/event-stream",),
)
def job_events(ctx: RequestContext, job_id: str) -> Reply:
    runtime = get_runtime()
    # Read once now, so that an unknown job is a 404 before the stream starts.
    _speak_the_jobs_language(ctx, layouts.read_job(runtime.store, ctx.principal, job_id))
    # The request object itself: Flask's ``request`` proxy is gone once the stream runs.
    request = getattr(ctx.request, "_get_current_object", lambda: ctx.request)()
    stream = layouts.job_event_stream(
        runtime.store,
        ctx.principal,
        job_id,
        ctx.language,
        # The same credentials, checked again while the stream runs (revoked, removed).
        reauthenticate=lambda: authenticate(request),
    )
    return Reply(
        body=stream,
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# -- review (issue 11) ---------------------------------------------------------------


class QueueQuery(StrictModel):
    status: Literal["pending", "assigned", "done"] = "pending"
    assignee: str | None = Field(default=None, max_length=200)


class AssignRequest(StrictModel):
    assignee: str | None = Field(default=None, max_length=200)


class DecisionList(BaseModel):
    items: list[reviews.DecisionRecord]


@API.route(
    "POST",
    "/v1/projects/<project_id>/layouts/<layout_id>/review",
    summary="Approve, reject or ask for revision of a version; corrections make a new, re-checked version",
    body=reviews.ReviewRequest,
    response=reviews.ReviewOutcome,
    other_statuses=(201,),  # corrections made a new version
    errors=(403, 404, 409, 422),
)
def review_layout(ctx: RequestContext, project_id: str, layout_id: str) -> Reply:
    outcome = reviews.review_layout(get_runtime(), ctx.principal, project_id, layout_id, ctx.body)
    return Reply(body=outcome, status=201 if outcome.new_version else 200)


@API.route(
    "POST",
    "/v1/projects/<project_id>/layouts/<layout_id>/revise",
    summary="Plan the layout again with the architect's feedback, as the next version (202 + job)",
    body=reviews.ReviseRequest,
    response=reviews.ReviewOutcome,
    status=202,
    errors=(403, 404, 409, 422),
)
def revise_layout(ctx: RequestContext, project_id: str, layout_id: str) -> Reply:
    outcome = reviews.revise_layout(
        get_runtime(), ctx.principal, project_id, layout_id, ctx.body, idempotency_key=ctx.idempotency_key
    )
    return Reply(body=outcome, status=202)


@API.route(
    "GET",
    "/v1/projects/<project_id>/layouts/<layout_id>/decisions",
    summary="Every review decision on a layout: who, when, why",
    response=DecisionList,
    errors=(404,),
)
def decision_history(ctx: RequestContext, project_id: str, layout_id: str) -> DecisionList:
    return DecisionList(items=reviews.decision_history(get_runtime(), ctx.principal, project_id, layout_id))


@API.route(
    "GET",
    "/v1/projects/<project_id>/layouts/<layout_id>/versions/<int:version>/diff/<int:other>",
    summary="Rooms, walls and openings added, removed or changed between two versions",
    response=LayoutDiff,
    errors=(404,),
)
def diff_versions(
    ctx: RequestContext, project_id: str, layout_id: str, version: int, other: int
) -> LayoutDiff:
    runtime = get_runtime()
    a = layouts.get_version(runtime.store, runtime.blobs, ctx.principal, project_id, layout_id, version)
    b = layouts.get_version(runtime.store, runtime.blobs, ctx.principal, project_id, layout_id, other)
    return diff_payloads(a.payload, b.payload, from_version=version, to_version=other)


@API.route(
    "GET",
    "/v1/review-policy",
    summary="The tenant's review policy",
    response=reviews.ReviewPolicy,
    errors=(403,),
)
def get_review_policy(ctx: RequestContext) -> reviews.ReviewPolicy:
    return reviews.get_review_policy(get_runtime(), ctx.principal)


@API.route(
    "PUT",
    "/v1/review-policy",
    summary="Set the review policy (auto-approval is off by default; never for error findings)",
    body=reviews.ReviewPolicy,
    response=reviews.ReviewPolicy,
    errors=(403, 422),
)
def set_review_policy(ctx: RequestContext) -> reviews.ReviewPolicy:
    return reviews.set_review_policy(get_runtime(), ctx.principal, ctx.body)


@API.route(
    "GET",
    "/v1/reviews",
    summary="The review queue, highest priority first",
    query=QueueQuery,
    response=reviews.ReviewQueue,
    errors=(403,),
)
def review_queue(ctx: RequestContext) -> reviews.ReviewQueue:
    return reviews.review_queue(
        get_runtime(), ctx.principal, status=ctx.query.status, assignee=ctx.query.assignee
    )


@API.route(
    "POST",
    "/v1/reviews/<layout_id>/assign",
    summary="Assign a pending review (to the caller by default)",
    body=AssignRequest,
    response=reviews.ReviewEntry,
    errors=(403, 404, 409),
)
def assign_review(ctx: RequestContext, layout_id: str) -> reviews.ReviewEntry:
    return reviews.assign_review(get_runtime(), ctx.principal, layout_id, ctx.body.assignee)


# -- brief from text (issue 6) ----------------------------------------------------------
from archbuilder.ai.briefs import BriefParsed, BriefParseRequest, parse_brief_text  # noqa: E402


@API.route(
    "POST",
    "/v1/briefs:parse",
    summary="Read a brief written in plain language (tr, en, de, fr, es) into a structured brief",
    body=BriefParseRequest,
    response=BriefParsed,
    errors=(403, 422, 429, 503),
)
def parse_brief(ctx: RequestContext) -> BriefParsed:
    return parse_brief_text(ctx.principal, ctx.body, get_runtime(), correlation_id=ctx.correlation_id)
