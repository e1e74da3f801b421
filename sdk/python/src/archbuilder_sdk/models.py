"""Typed views of what the API returns (pydantic v2).

Only the fields the v1 contract promises are declared; anything else the server adds is kept
(``model.model_extra``) rather than refused, so a newer server does not break an older client.
Nested structures that are large or still evolving (the Revit layout payload, planner metadata,
a model's walls) stay ``dict[str, Any]``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CadModel",
    "ComplianceReport",
    "ComplianceSummary",
    "ExportResult",
    "Finding",
    "Job",
    "JobError",
    "Layout",
    "LayoutAccepted",
    "LayoutVersion",
    "ModelSpace",
    "Page",
    "Project",
    "UploadCreated",
    "RegulationUploadCreated",
    "VersionSummary",
]

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


class _Resource(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Project(_Resource):
    id: str
    name: str
    code_region: str
    language: str
    units: Literal["metric", "imperial"]
    description: str | None = None
    created_at: datetime
    updated_at: datetime


class JobError(_Resource):
    code: str
    message: str


class Job(_Resource):
    """Long work (a layout, a CAD ingestion). ``result`` holds what it made: for a layout
    ``{"layout_id", "version"}``, for an upload ``{"model_id"}``, for a regulation upload
    ``{"document_id", "passages"}``."""

    id: str
    kind: str
    status: JobStatus
    progress: int
    stage: str
    message: str
    result: dict[str, Any] | None = None
    error: JobError | None = None
    attempts: int
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class LayoutAccepted(_Resource):
    """The 202 answer to a brief: follow ``job_id`` (:meth:`Client.wait_for_job`)."""

    job_id: str
    layout_id: str
    status: str
    assumptions: list[str] = Field(default_factory=list)
    quota_warnings: list[str] = Field(default_factory=list)


class VersionSummary(_Resource):
    version: int
    created_at: datetime
    source: str
    room_count: int


class Layout(_Resource):
    id: str
    project_id: str
    status: str
    latest_version: int | None = None
    brief: dict[str, Any]
    job_id: str
    created_at: datetime
    updated_at: datetime
    approved_version: int | None = None
    versions: list[VersionSummary] = Field(default_factory=list)


class LayoutVersion(_Resource):
    """One version of a layout. ``payload`` is the Revit layout payload (levels, walls, doors,
    windows, rooms; ARCHITECTURE.md §4), ``compliance`` the summary of its compliance report."""

    layout_id: str
    project_id: str
    version: int
    created_at: datetime
    source: str
    payload: dict[str, Any]
    metadata: dict[str, Any] = Field(default_factory=dict)
    compliance: dict[str, Any] | None = None
    design_review: dict[str, Any] | None = None
    variants: list[dict[str, Any]] = Field(default_factory=list)
    variant: int = 1
    parent_version: int | None = None
    created_by: str | None = None
    checksum: str | None = None


class UploadCreated(_Resource):
    """Where to send a CAD file: ``method`` (PUT) to ``upload_url`` with exactly ``headers``."""

    upload_id: str
    upload_url: str
    method: str = "PUT"
    headers: dict[str, str] = Field(default_factory=dict)
    expires_at: datetime
    model_id: str
    job_id: str


class RegulationUploadCreated(_Resource):
    """Where to send a regulation document: ``method`` (PUT) to ``upload_url`` with exactly
    ``headers``; the job (``regulation_ingest``) ends with ``result`` ``{"document_id", "passages"}``."""

    upload_id: str
    upload_url: str
    method: str = "PUT"
    headers: dict[str, str] = Field(default_factory=dict)
    expires_at: datetime
    job_id: str


class ModelSpace(_Resource):
    id: str
    name: str
    type: str | None = None
    level: str
    area_m2: float | None = None
    boundary: list[dict[str, float]] = Field(default_factory=list)


class CadModel(_Resource):
    """A building model ingested from an uploaded DWG, DXF or IFC file. The geometry lists are
    filled once ``status`` is ``ready``."""

    id: str
    status: Literal["awaiting_upload", "processing", "ready", "failed"]
    progress: int
    error: JobError | None = None
    format: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    levels: list[dict[str, Any]] = Field(default_factory=list)
    spaces: list[ModelSpace] = Field(default_factory=list)
    walls: list[dict[str, Any]] = Field(default_factory=list)
    doors: list[dict[str, Any]] = Field(default_factory=list)
    windows: list[dict[str, Any]] = Field(default_factory=list)
    stats: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    compliance: dict[str, Any] | None = None


class ComplianceSummary(_Resource):
    errors: int
    warnings: int
    passed: int
    not_applicable: int
    cannot_check: int
    pass_rate: float | None = None


class Finding(_Resource):
    rule_id: str
    status: Literal["pass", "fail", "not_applicable", "cannot_check"]
    severity: Literal["error", "warning", "info"]
    space_id: str | None = None
    element_id: str | None = None
    metric: str
    measured: float | None = None
    limit: float | list[float] | None = None
    unit: str | None = None
    citation: dict[str, Any] | None = None
    message: str
    message_key: str
    subject: dict[str, Any] = Field(default_factory=dict)
    reason: dict[str, Any] | None = None


class ComplianceReport(_Resource):
    region: str
    rules_version: str
    language: str
    building_type: str | None = None
    summary: ComplianceSummary
    findings: list[Finding]
    by_space: dict[str, list[int]] = Field(default_factory=dict)
    by_rule: dict[str, list[int]] = Field(default_factory=dict)
    spaces: dict[str, str] = Field(default_factory=dict)


T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_page_token`` back for the next (``None``: the last page)."""

    items: list[T]
    next_page_token: str | None = None


class ExportResult(BaseModel):
    """An export written to ``path``. ``checksum`` is the layout payload's SHA-256
    (``X-Layout-Checksum``): the same for every format of one version, not the file's hash."""

    path: Path
    format: str
    content_type: str
    size_bytes: int
    version: int
    variant: int
    checksum: str | None = None
