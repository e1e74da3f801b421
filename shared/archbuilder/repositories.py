"""Tenant-scoped access to the document store.

Every path is built from the tenant taken from the caller's credential, and every id
from the request is checked before it becomes a path segment, so a guessed id of
another tenant's project can only ever name a document in the caller's own subtree.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from archbuilder.domain.ids import checked_id
from archbuilder.platform.errors import NotFound
from archbuilder.ports import DocumentStore

M = TypeVar("M", bound=BaseModel)


class TenantPaths:
    """Document and collection paths inside one tenant (ARCHITECTURE.md §3)."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = checked_id(tenant_id, "tenant")
        self.root = f"tenants/{self.tenant_id}"

    def projects(self) -> str:
        return f"{self.root}/projects"

    def project(self, project_id: str) -> str:
        return f"{self.projects()}/{checked_id(project_id, 'project')}"

    def layouts(self, project_id: str) -> str:
        return f"{self.project(project_id)}/layouts"

    def layout(self, project_id: str, layout_id: str) -> str:
        return f"{self.layouts(project_id)}/{checked_id(layout_id, 'layout')}"

    def versions(self, project_id: str, layout_id: str) -> str:
        return f"{self.layout(project_id, layout_id)}/versions"

    def version(self, project_id: str, layout_id: str, version: int) -> str:
        if version < 1:
            raise NotFound(resource="version", id=str(version))
        return f"{self.versions(project_id, layout_id)}/{version}"

    def upload(self, project_id: str, upload_id: str) -> str:
        return f"{self.project(project_id)}/uploads/{checked_id(upload_id, 'upload')}"

    def model(self, project_id: str, model_id: str) -> str:
        return f"{self.project(project_id)}/models/{checked_id(model_id, 'model')}"

    def jobs(self) -> str:
        return f"{self.root}/jobs"

    def job(self, job_id: str) -> str:
        return f"{self.jobs()}/{checked_id(job_id, 'job')}"

    def blob_prefix(self, project_id: str) -> str:
        return f"{self.root}/projects/{checked_id(project_id, 'project')}"


def load(store: DocumentStore, path: str, model: type[M], *, resource: str, resource_id: str) -> M:
    """Read a document into ``model``; ``NotFound`` (naming the resource) if absent."""
    snapshot = store.get(path)
    if snapshot is None:
        raise NotFound(resource=resource, id=resource_id)
    return model.model_validate(snapshot.data)


def dump(model: BaseModel) -> dict[str, object]:
    """A model as stored: JSON-compatible, timestamps as fixed-width strings."""
    return model.model_dump(mode="json")
