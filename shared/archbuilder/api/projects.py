"""``api_projects``: the tenant's projects."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from archbuilder.adapters.local.file_blobs import FolderBlobStore
from archbuilder.analysis.report import ModelAnalysis
from archbuilder.api.common import REPORT_HTML_HEADERS, new_api, project_language
from archbuilder.domain.common import StrictModel
from archbuilder.domain.project import PageQuery, Project, ProjectCreate, ProjectList, ProjectUpdate
from archbuilder.domain.upload import ModelPublic, UploadCreate, UploadCreated
from archbuilder.platform.errors import NotFound
from archbuilder.platform.http import Reply, RequestContext, read_body
from archbuilder.runtime import get_runtime
from archbuilder.services import model_analyses, projects, uploads

API = new_api("api_projects")


class UploadReceived(BaseModel):
    status: Literal["received"]


@API.route(
    "POST",
    "/v1/projects",
    summary="Create a project",
    body=ProjectCreate,
    response=Project,
    status=201,
    errors=(403, 422),
)
def create_project(ctx: RequestContext) -> Project:
    return projects.create_project(get_runtime().store, ctx.principal, ctx.body)


@API.route(
    "GET", "/v1/projects", summary="List projects, newest first", query=PageQuery, response=ProjectList
)
def list_projects(ctx: RequestContext) -> ProjectList:
    return projects.list_projects(
        get_runtime().store, ctx.principal, page_size=ctx.query.page_size, page_token=ctx.query.page_token
    )


@API.route("GET", "/v1/projects/<project_id>", summary="Get a project", response=Project, errors=(404,))
def get_project(ctx: RequestContext, project_id: str) -> Project:
    return projects.get_project(get_runtime().store, ctx.principal, project_id)


@API.route(
    "PATCH",
    "/v1/projects/<project_id>",
    summary="Change a project",
    body=ProjectUpdate,
    response=Project,
    errors=(403, 404, 422),
)
def update_project(ctx: RequestContext, project_id: str) -> Project:
    return projects.update_project(get_runtime().store, ctx.principal, project_id, ctx.body)


@API.route(
    "DELETE",
    "/v1/projects/<project_id>",
    summary="Delete a project with its layouts and files",
    status=204,
    errors=(403, 404),
)
def delete_project(ctx: RequestContext, project_id: str) -> Reply:
    runtime = get_runtime()
    projects.delete_project(runtime.store, runtime.blobs, ctx.principal, project_id)
    return Reply(status=204)


@API.route(
    "POST",
    "/v1/projects/<project_id>/uploads",
    summary="Start a CAD upload (DWG, DXF, IFC): returns the URL to PUT the file to",
    body=UploadCreate,
    response=UploadCreated,
    status=201,
    errors=(403, 404, 413, 422),
)
def create_upload(ctx: RequestContext, project_id: str) -> Reply:
    runtime = get_runtime()
    settings = runtime.settings
    created = uploads.create_upload(
        runtime.store,
        runtime.uploads,
        ctx.principal,
        project_id,
        ctx.body,
        max_upload_bytes=settings.max_upload_bytes,
        url_ttl_s=settings.upload_url_ttl_s,
    )
    if created.upload_url.startswith("/"):
        # The local bucket's URL is a path on this server.
        created.upload_url = ctx.request.host_url.rstrip("/") + created.upload_url
    return Reply(body=created, status=201)


@API.route(
    "PUT",
    "/v1/uploads/<token>",
    summary="Local stand-in for a signed Cloud Storage upload URL (embedded default only)",
    auth=False,
    response=UploadReceived,
    errors=(400, 403, 404, 409, 413),
)
def put_upload(ctx: RequestContext, token: str) -> UploadReceived:
    runtime = get_runtime()
    bucket = runtime.uploads
    if not isinstance(bucket, FolderBlobStore):
        raise NotFound(code="ROUTE_NOT_FOUND", method="PUT", path="/v1/uploads/…")
    # A chunked upload is read in full, never past the limit.
    data = read_body(ctx.request, runtime.settings.max_upload_bytes, too_large="UPLOAD_TOO_LARGE")
    bucket.accept_signed_upload(token, data, ctx.request.headers.get("Content-Type", ""))
    return UploadReceived(status="received")


@API.route(
    "GET",
    "/v1/projects/<project_id>/models/<model_id>",
    summary="An ingested model: levels, spaces, walls, openings, warnings and its compliance summary",
    response=ModelPublic,
    errors=(404,),
)
def get_model(ctx: RequestContext, project_id: str, model_id: str) -> ModelPublic:
    runtime = get_runtime()
    return uploads.get_model(runtime.store, runtime.blobs, ctx.principal, project_id, model_id, ctx.language)


class AnalysisQuery(StrictModel):
    format: Literal["json", "html", "bcf"] = "json"


@API.route(
    "GET",
    "/v1/projects/<project_id>/models/<model_id>/analysis",
    summary="The analysis of an ingested model: health, performance, area schedule and what to fix first "
    "(format=html for a report, format=bcf for BCF 2.1 issues to open in Revit, Solibri or BIMcollab)",
    query=AnalysisQuery,
    response=ModelAnalysis,
    errors=(403, 404, 409),
    content_types=("application/json", "text/html", "application/zip"),
)
def get_model_analysis(ctx: RequestContext, project_id: str, model_id: str) -> ModelAnalysis | Reply:
    from archbuilder.analysis.wording import worded

    language = ctx.language_for(project_language(ctx.principal, project_id))
    ctx.language = language
    runtime = get_runtime()
    analysis = model_analyses.load_analysis(runtime.store, runtime.blobs, ctx.principal, project_id, model_id)
    if ctx.query.format == "html":
        from archbuilder.analysis.html_report import analysis_html

        advice = model_analyses.phrased_advice(runtime, ctx.principal, analysis, language)
        return Reply(
            body=analysis_html(analysis, language, compliance_href=analysis.compliance_url, advice=advice),
            content_type="text/html; charset=utf-8",
            headers=dict(REPORT_HTML_HEADERS),
        )
    if ctx.query.format == "bcf":
        from archbuilder.analysis.bcf_export import analysis_bcf

        model = uploads.load_building_model(runtime.store, runtime.blobs, ctx.principal, project_id, model_id)
        return Reply(
            body=analysis_bcf(analysis, model, language, project_name=project_id),
            content_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{model_id}-analysis.bcf"'},
        )
    return worded(
        analysis, language, model_analyses.phrased_advice(runtime, ctx.principal, analysis, language)
    )
