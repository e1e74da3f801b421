"""Uploads of CAD files and the building models ingested from them (ARCHITECTURE.md §4)."""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from archbuilder.domain.brief import BuildingType
from archbuilder.domain.building import ModelNotice
from archbuilder.domain.common import StrictModel, invalid
from archbuilder.domain.job import JobErrorPublic
from archbuilder.domain.timestamps import Timestamp
from archbuilder.platform.errors import Unprocessable

CAD_EXTENSIONS = (".dxf", ".dwg", ".ifc", ".ifczip", ".zip")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(filename: str) -> str:
    """A file name that is safe as the last segment of an object name.

    Keeps the extension, replaces everything outside ``[A-Za-z0-9._-]``, and never starts
    with a dot: ``../../Plan Ön.DWG`` → ``Plan_n.dwg``.
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    cleaned = _SAFE_NAME.sub("_", stem).strip("._") or "upload"
    return f"{cleaned[:100]}.{ext.lower()}" if ext else cleaned[:100]


def check_declared(data: bytes, *, size_bytes: int, sha256: str) -> None:
    """Refuse bytes that are not the file the client declared (size, then SHA-256)."""
    if len(data) != size_bytes:
        raise Unprocessable(code="UPLOAD_SIZE_MISMATCH", expected=size_bytes, received=len(data))
    if hashlib.sha256(data).hexdigest() != sha256.lower():
        raise Unprocessable(code="UPLOAD_CHECKSUM_MISMATCH")


class UploadCreate(StrictModel):
    filename: str = Field(min_length=1, max_length=255)
    size_bytes: int = Field(gt=0)
    content_type: str = Field(default="application/octet-stream", max_length=100)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    building_type: BuildingType | None = None

    @field_validator("filename")
    @classmethod
    def _known_extension(cls, value: str) -> str:
        if not value.lower().endswith(CAD_EXTENSIONS):
            raise invalid("file_extension", extensions=", ".join(CAD_EXTENSIONS))
        return value

    @field_validator("sha256")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class UploadCreated(BaseModel):
    upload_id: str
    upload_url: str
    method: str = "PUT"
    headers: dict[str, str]
    expires_at: Timestamp
    model_id: str
    job_id: str


class UploadStatus(StrEnum):
    awaiting_upload = "awaiting_upload"
    received = "received"
    expired = "expired"  # the signed URL ran out without the file: a late file is refused


class Upload(BaseModel):
    """An upload as stored."""

    id: str
    project_id: str
    filename: str
    object_name: str
    size_bytes: int
    content_type: str
    sha256: str
    building_type: BuildingType | None = None
    model_id: str
    job_id: str
    status: UploadStatus = UploadStatus.awaiting_upload
    created_at: Timestamp
    expires_at: Timestamp


class ModelStatus(StrEnum):
    awaiting_upload = "awaiting_upload"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class ModelRecord(BaseModel):
    """An ingested model as stored; the full model lives in the artifacts bucket."""

    id: str
    project_id: str
    upload_id: str
    job_id: str
    status: ModelStatus = ModelStatus.awaiting_upload
    progress: int = 0
    generation: int | None = None
    format: str | None = None
    schema_name: str | None = None
    stats: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)  # in English; models before notices: only these
    notices: list[ModelNotice] = Field(default_factory=list)  # the warnings as codes, worded when read
    compliance: dict[str, Any] | None = None
    error: dict[str, Any] | None = None  # {code, params}: translated when read
    created_at: Timestamp
    updated_at: Timestamp


class ModelSpacePublic(BaseModel):
    id: str
    name: str
    type: str | None
    level: str
    area_m2: float | None
    boundary: list[dict[str, float]]


class ModelPublic(BaseModel):
    id: str
    status: ModelStatus
    progress: int
    error: JobErrorPublic | None
    format: str | None
    schema_: str | None = Field(default=None, alias="schema", serialization_alias="schema")
    levels: list[dict[str, Any]] = Field(default_factory=list)
    spaces: list[ModelSpacePublic] = Field(default_factory=list)
    walls: list[dict[str, Any]] = Field(default_factory=list)
    doors: list[dict[str, Any]] = Field(default_factory=list)
    windows: list[dict[str, Any]] = Field(default_factory=list)
    stats: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)  # in the reader's language
    compliance: dict[str, Any] | None = None

    model_config = {"populate_by_name": True}
