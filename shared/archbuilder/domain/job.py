"""Jobs: long work the client follows with GET /v1/jobs/{id}."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from archbuilder.domain.timestamps import Timestamp


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


class JobError(BaseModel):
    code: str
    params: dict[str, Any] = Field(default_factory=dict)


class Job(BaseModel):
    """A job as stored. The error keeps its code and params; the message is translated on read."""

    id: str
    kind: str
    status: JobStatus = JobStatus.queued
    progress: int = Field(default=0, ge=0, le=100)
    stage: str = "queued"
    project_id: str
    layout_id: str | None = None
    version: int | None = None
    # The language of its project when the job was made: what GET /v1/jobs/{id} answers in
    # (unless Accept-Language asks for another) without reading the project. None on older jobs.
    language: str | None = None
    result: dict[str, Any] | None = None
    error: JobError | None = None
    attempts: int = 0
    lease_expires_at: Timestamp | None = None
    created_at: Timestamp
    updated_at: Timestamp


class JobErrorPublic(BaseModel):
    code: str
    message: str


class JobPublic(BaseModel):
    id: str
    kind: str
    status: JobStatus
    progress: int
    stage: str
    message: str
    result: dict[str, Any] | None
    error: JobErrorPublic | None
    attempts: int
    created_at: Timestamp
    updated_at: Timestamp
