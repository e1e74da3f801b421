"""GDPR / KVKK: export everything a tenant owns, or erase it everywhere.

The tenant's documents are found by walking ``TENANT_TREE``, the one list of collections
kept under ``tenants/{t}`` (a test fails when a service writes a collection missing here),
so the walk works on every DocumentStore adapter. Files are every object under
``tenants/{t}/`` in the artifacts and uploads buckets.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Field

from archbuilder.domain.common import StrictModel
from archbuilder.domain.ids import new_id
from archbuilder.domain.job import Job, JobStatus
from archbuilder.domain.permissions import require
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.errors import BadRequest, PermissionDenied
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import Filter, Query, Snapshot
from archbuilder.regulations.library import optional_library
from archbuilder.repositories import TenantPaths, dump
from archbuilder.runtime import Runtime
from archbuilder.services.identity import Principal

PRIVACY_TOPIC = "privacy-jobs"
EXPORT_LINK_TTL_S = 24 * 3600
# Every collection kept under tenants/{t}, with the collections below each of its documents.
TENANT_TREE: dict[str, Any] = {
    "projects": {
        "layouts": {"versions": {}, "decisions": {}},
        "models": {},
        "uploads": {},
    },
    "jobs": {},
    "audit": {},
    "reviews": {},
    "webhooks": {},
    "webhook_deliveries": {},
    "usage": {},
    "usage_ledger": {},
    "subscription_changes": {},
    "members": {},
    "invitations": {},
    "regulation_uploads": {},
}
# Fields that are credentials, not data: left out of the export (an archive is a file that
# travels; a webhook's signing secret in it would let anyone forge deliveries). API keys and
# invitation tokens are stored only as hashes, as document ids: the archive names those
# documents by key id and invitation id instead.
NOT_EXPORTED = frozenset({"secret"})
_log = get_logger("archbuilder.privacy")


class EraseRequest(StrictModel):
    # The tenant's name, typed again: erasure cannot be undone.
    confirm: str = Field(min_length=1, max_length=200)


class PrivacyJobAccepted(BaseModel):
    job_id: str
    status: str


class PrivacyRequest(BaseModel):
    """The message on ``privacy-jobs``."""

    tenant_id: str
    job_id: str
    kind: str  # privacy_export


def walk(runtime: Runtime, root: str, tree: dict[str, Any] | None = None) -> Iterator[Snapshot]:
    """Every document below ``root`` along ``tree`` (depth first)."""
    for collection, below in (tree if tree is not None else TENANT_TREE).items():
        for snapshot in runtime.store.query(Query(f"{root}/{collection}")):
            yield snapshot
            if below:
                yield from walk(runtime, snapshot.path, below)


def _exported(data: dict[str, Any]) -> dict[str, Any]:
    """A document as the archive holds it: without ``NOT_EXPORTED`` fields, at any depth."""
    return {
        key: _exported(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if key not in NOT_EXPORTED
    }


def request_export(runtime: Runtime, principal: Principal) -> PrivacyJobAccepted:
    """Start a job that writes one archive of the tenant's documents and files."""
    require(principal, "privacy:export")
    moment = now()
    job = Job(id=new_id("job"), kind="privacy_export", project_id="-", created_at=moment, updated_at=moment)
    runtime.store.create(TenantPaths(principal.tenant_id).job(job.id), dump(job))
    runtime.bus.publish(
        PRIVACY_TOPIC,
        PrivacyRequest(tenant_id=principal.tenant_id, job_id=job.id, kind=job.kind).model_dump(),
        attributes={"tenant_id": principal.tenant_id},
    )
    return PrivacyJobAccepted(job_id=job.id, status=job.status.value)


def run_export(runtime: Runtime, request: PrivacyRequest) -> None:
    """Write ``exports/{job}.zip`` (documents as JSON, files as they are) and a signed link."""
    paths = TenantPaths(request.tenant_id)
    job_path = paths.job(request.job_id)
    job_doc = runtime.store.get(job_path)
    if job_doc is None or JobStatus(job_doc.data["status"]).finished:
        return
    runtime.store.update(job_path, {"status": JobStatus.running.value, "stage": "exporting", "progress": 10})
    buffer = io.BytesIO()
    documents = 0
    files = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        tenant = runtime.store.get(paths.root)
        if tenant is not None:
            archive.writestr(
                "documents/tenant.json", json.dumps(_exported(tenant.data), ensure_ascii=False, indent=1)
            )
        keys = runtime.store.query(Query("api_keys", where=[Filter("tenant_id", "==", request.tenant_id)]))
        for key in keys:
            archive.writestr(
                f"documents/api_keys/{key.data['key_id']}.json", json.dumps(_exported(key.data), indent=1)
            )
        for snapshot in walk(runtime, paths.root):
            relative = snapshot.path[len(paths.root) + 1 :]
            if relative.startswith("invitations/"):
                # Stored under the token's hash, exported under the invitation's id.
                relative = f"invitations/{snapshot.data.get('id') or f'invitation-{documents}'}"
            archive.writestr(
                f"documents/{relative}.json",
                json.dumps(_exported(snapshot.data), ensure_ascii=False, indent=1),
            )
            documents += 1
        for document_id, record in _regulation_documents(runtime, request.tenant_id):
            archive.writestr(
                f"documents/regulation_documents/{document_id}.json",
                json.dumps(record, ensure_ascii=False, indent=1),
            )
            documents += 1
        for bucket_name, bucket in (("artifacts", runtime.blobs), ("uploads", runtime.uploads)):
            for name in bucket.list(paths.root + "/"):
                if name.startswith(f"{paths.root}/exports/"):
                    continue
                data = bucket.get(name)
                if data is not None:
                    archive.writestr(f"files/{bucket_name}/{name[len(paths.root) + 1 :]}", data)
                    files += 1
    name = f"{paths.root}/exports/{request.job_id}.zip"
    runtime.blobs.put(name, buffer.getvalue(), content_type="application/zip")
    link = runtime.blobs.signed_download_url(name, expires_in_s=EXPORT_LINK_TTL_S)
    runtime.store.update(
        job_path,
        {
            "status": JobStatus.succeeded.value,
            "stage": "done",
            "progress": 100,
            "result": {
                "download_url": link.url,
                "expires_at": format_timestamp(link.expires_at),
                "documents": documents,
                "files": files,
            },
            "updated_at": format_timestamp(now()),
        },
    )
    _log.info("privacy export written", extra=log_fields(documents=documents, files=files))


def _regulation_documents(runtime: Runtime, tenant_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The tenant's own regulation documents (not the global library), each with its passages."""
    library = optional_library(runtime)
    if library is None:
        return
    for document in library.documents(tenant_id, include_global=False):
        passages = library.passages(tenant_id, document.id)
        yield (
            document.id,
            {
                "document": document.model_dump(mode="json"),
                "passages": [p.model_dump(mode="json") for p in passages],
            },
        )


def erase_tenant(runtime: Runtime, principal: Principal, request: EraseRequest) -> dict[str, int]:
    """Delete every document and object of the tenant; only an audit tombstone remains."""
    require(principal, "privacy:erase")
    paths = TenantPaths(principal.tenant_id)
    tenant = runtime.store.get(paths.root)
    if tenant is None:
        raise PermissionDenied(role=principal.role, action="privacy:erase")
    if request.confirm != tenant.data.get("name"):
        raise BadRequest(code="ERASE_NOT_CONFIRMED")
    counts = {"documents": 0, "files": 0, "api_keys": 0}
    for bucket in (runtime.blobs, runtime.uploads):
        for name in bucket.list(paths.root + "/"):
            bucket.delete(name)
            counts["files"] += 1
    for snapshot in list(walk(runtime, paths.root)):
        runtime.store.delete(snapshot.path)
        counts["documents"] += 1
    library = optional_library(runtime)
    if library is not None:
        for document in library.documents(principal.tenant_id, include_global=False):
            if library.remove(principal.tenant_id, document.id):
                counts["documents"] += 1
    for key in runtime.store.query(Query("api_keys", where=[Filter("tenant_id", "==", principal.tenant_id)])):
        runtime.store.delete(key.path)
        counts["api_keys"] += 1
    for bucket_doc in runtime.store.query(Query("rate_limits")):
        if bucket_doc.id == principal.tenant_id or bucket_doc.id.startswith(principal.tenant_id + "~"):
            runtime.store.delete(bucket_doc.path)
    runtime.store.delete(paths.root, recursive=True)
    # The tombstone says that, when and by whom; nothing personal.
    runtime.store.set(
        f"erasures/{principal.tenant_id}",
        {
            "tenant_id": principal.tenant_id,
            "erased_at": format_timestamp(now()),
            "actor": principal.actor,
            **counts,
        },
    )
    _log.warning("tenant erased", extra=log_fields(**counts))
    return counts
