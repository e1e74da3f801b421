"""``api_projects``: the tenant's projects."""

from __future__ import annotations

from archbuilder.api.common import new_api
from archbuilder.domain.project import PageQuery, Project, ProjectCreate, ProjectList, ProjectUpdate
from archbuilder.platform.http import Reply, RequestContext
from archbuilder.runtime import get_runtime
from archbuilder.services import projects

API = new_api("api_projects")


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
