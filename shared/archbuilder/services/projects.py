"""Projects of a tenant."""

from __future__ import annotations

from archbuilder.domain.common import Language
from archbuilder.domain.ids import new_id
from archbuilder.domain.permissions import require
from archbuilder.domain.project import Project, ProjectCreate, ProjectList, ProjectUpdate
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.paging import page
from archbuilder.ports import BlobStore, DocumentStore, Transaction
from archbuilder.repositories import TenantPaths, dump, load
from archbuilder.services.identity import Principal


def create_project(store: DocumentStore, principal: Principal, request: ProjectCreate) -> Project:
    """A new project; region and language default to the tenant's."""
    require(principal, "projects:write")
    moment = now()
    project = Project(
        id=new_id("prj"),
        name=request.name,
        code_region=request.code_region or principal.code_region,
        language=request.language or Language(principal.language),
        units=request.units,
        description=request.description,
        created_at=moment,
        updated_at=moment,
    )
    store.create(TenantPaths(principal.tenant_id).project(project.id), dump(project))
    return project


def get_project(store: DocumentStore, principal: Principal, project_id: str) -> Project:
    require(principal, "projects:read")
    path = TenantPaths(principal.tenant_id).project(project_id)
    return load(store, path, Project, resource="project", resource_id=project_id)


def list_projects(
    store: DocumentStore, principal: Principal, *, page_size: int, page_token: str | None
) -> ProjectList:
    require(principal, "projects:read")
    rows, token = page(
        store,
        TenantPaths(principal.tenant_id).projects(),
        order_field="created_at",
        direction="desc",
        page_size=page_size,
        page_token=page_token,
    )
    return ProjectList(items=[Project.model_validate(r.data) for r in rows], next_page_token=token)


def update_project(
    store: DocumentStore, principal: Principal, project_id: str, request: ProjectUpdate
) -> Project:
    require(principal, "projects:write")
    path = TenantPaths(principal.tenant_id).project(project_id)
    # null leaves a field as it is, except the description, which null clears.
    changes = {
        k: v
        for k, v in request.model_dump(mode="json", exclude_unset=True).items()
        if v is not None or k == "description"
    }

    def apply(txn: Transaction) -> Project | None:
        snapshot = txn.get(path)
        if snapshot is None:
            return None
        merged = {**snapshot.data, **changes, "updated_at": format_timestamp(now())}
        project = Project.model_validate(merged)
        txn.set(path, dump(project))
        return project

    project = store.transaction(apply)
    if project is None:
        get_project(store, principal, project_id)  # raises the translated NotFound
    assert project is not None
    return project


def delete_project(store: DocumentStore, blobs: BlobStore, principal: Principal, project_id: str) -> None:
    """Delete a project with its layouts, versions and stored files."""
    require(principal, "projects:delete")
    paths = TenantPaths(principal.tenant_id)
    # Only there or not (404): a key scoped to projects:delete need not read projects too.
    load(store, paths.project(project_id), Project, resource="project", resource_id=project_id)
    for name in blobs.list(paths.blob_prefix(project_id) + "/"):
        blobs.delete(name)
    store.delete(paths.project(project_id), recursive=True)
