"""Projects: a building the architect works on, with its code region and language."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from archbuilder.domain.common import Language, RegionCode, StrictModel
from archbuilder.domain.timestamps import Timestamp


class Units(StrEnum):
    metric = "metric"
    imperial = "imperial"


class ProjectCreate(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    code_region: RegionCode | None = None
    language: Language | None = None
    units: Units = Units.metric
    description: str | None = Field(default=None, max_length=2000)


class ProjectUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    code_region: RegionCode | None = None
    language: Language | None = None
    units: Units | None = None
    description: str | None = Field(default=None, max_length=2000)


class Project(BaseModel):
    id: str
    name: str
    code_region: RegionCode
    language: Language
    units: Units
    description: str | None = None
    created_at: Timestamp
    updated_at: Timestamp


class ProjectList(BaseModel):
    items: list[Project]
    next_page_token: str | None = None


class PageQuery(StrictModel):
    page_size: int = Field(default=50, ge=1, le=200)
    page_token: str | None = Field(default=None, max_length=500)
