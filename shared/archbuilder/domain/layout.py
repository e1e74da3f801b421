"""The layout the Revit add-in builds (ARCHITECTURE.md §4), and the layout records around it.

The payload field names are the public contract. The bounds in ``Field`` are what the
add-in accepts: a payload that fails them is never stored or sent.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from archbuilder.domain.brief import Brief, RoomType
from archbuilder.domain.design_review import VersionDesignReview
from archbuilder.domain.timestamps import Timestamp


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Point(_Payload):
    x: float
    y: float


class Point3(_Payload):
    x: float
    y: float
    z: float = 0


class Level(_Payload):
    name: str
    elevation_mm: float
    height_mm: float = Field(ge=1000, le=5000)


class Wall(_Payload):
    id: str
    start: Point3
    end: Point3
    thickness_mm: float = Field(gt=0, le=1000)
    height_mm: float = Field(ge=1000, le=5000)
    wall_type_name: str
    level_name: str
    is_exterior: bool

    def length_mm(self) -> float:
        return float(((self.end.x - self.start.x) ** 2 + (self.end.y - self.start.y) ** 2) ** 0.5)


OPENING_FAMILY = "Opening"  # a door of this family is a cased opening: no leaf, no swing


class Door(_Payload):
    id: str
    host_wall_id: str
    position_ratio: float = Field(ge=0, le=1)
    width_mm: float = Field(ge=600, le=2000)
    height_mm: float = Field(ge=1800, le=2500)
    family_name: str = "Single-Flush"
    type_name: str
    # Handing (docs/architecture.md, "Door handing"): with both false the hinge is at the end of
    # the opening nearer the wall's start and the leaf swings to the left of start -> end.
    flip_hand: bool = False
    flip_facing: bool = False
    # The room the leaf swings into, or "exterior"; None only in payloads older than this field.
    opens_into: str | None = None
    connects: list[str] = Field(min_length=1, max_length=2)

    @property
    def is_opening(self) -> bool:
        """A cased opening without a leaf (an open kitchen's link to the living room)."""
        return self.family_name == OPENING_FAMILY


class Window(_Payload):
    id: str
    host_wall_id: str
    position_ratio: float = Field(ge=0, le=1)
    width_mm: float = Field(ge=600, le=3000)
    height_mm: float = Field(ge=600, le=3000)
    sill_height_mm: float = Field(ge=0, le=3000)
    family_name: str = "Fixed"
    type_name: str
    room_id: str


class Room(_Payload):
    # The one exception to "the bounds in Field are what the add-in accepts": any positive
    # area parses, so a compliance check of a sent layout reports a small room as a finding
    # instead of refusing the request. The add-in accepts ADDIN_AREA_M2; ``validate_layout``
    # enforces it on every payload that is stored or sent.
    ADDIN_AREA_M2: ClassVar[tuple[float, float]] = (1.0, 1000.0)

    id: str
    name: str
    number: str
    type: RoomType
    level_name: str
    boundary: list[Point] = Field(min_length=3)
    area_m2: float = Field(gt=0, le=1000)


class LayoutPayload(_Payload):
    schema_version: Literal["1.0"] = "1.0"
    units: Literal["mm"] = "mm"
    levels: list[Level]
    walls: list[Wall]
    doors: list[Door]
    windows: list[Window]
    rooms: list[Room]


class PlanResult(BaseModel):
    """What a planner returns: the payload and what it can say about it."""

    payload: LayoutPayload
    metadata: dict[str, Any] = Field(default_factory=dict)


class LayoutStatus(StrEnum):
    generating = "generating"
    generated = "generated"
    requires_review = "requires_review"
    approved = "approved"
    rejected = "rejected"
    needs_revision = "needs_revision"
    failed = "failed"


class LayoutPublic(BaseModel):
    id: str
    project_id: str
    status: LayoutStatus
    latest_version: int | None
    brief: Brief
    job_id: str
    created_at: Timestamp
    updated_at: Timestamp
    approved_version: int | None = None
    versions: list[LayoutVersionSummary] = Field(default_factory=list)


class LayoutVersionSummary(BaseModel):
    version: int
    created_at: Timestamp
    source: str
    room_count: int
    gross_area_m2: float


class VariantSummary(BaseModel):
    """One ranked variant of a version (rank 1 is the version's own payload)."""

    rank: int
    score: float | None = None
    room_count: int
    compliance: dict[str, Any] | None = None
    # Advice, not code findings; None in versions stored before it was kept.
    design_review: VersionDesignReview | None = None


class LayoutVersionPublic(BaseModel):
    layout_id: str
    project_id: str
    version: int
    created_at: Timestamp
    source: str
    payload: LayoutPayload
    metadata: dict[str, Any]
    compliance: dict[str, Any] | None = None  # summary of the report of the version's payload
    # The design review of the version's payload (advice, not code findings; messages in the
    # reader's language). None in versions stored before it was kept.
    design_review: VersionDesignReview | None = None
    variants: list[VariantSummary] = Field(default_factory=list)
    variant: int = 1  # which variant ``payload`` is
    parent_version: int | None = None  # the version a correction or revision started from
    created_by: str | None = None  # the actor of a correction ("api_key:key_…")
    checksum: str | None = None  # SHA-256 of the payload JSON, so the add-in can tell what it built

    def payload_checksum(self) -> str:
        return payload_checksum(self.payload)


def payload_checksum(payload: LayoutPayload) -> str:
    """SHA-256 of the payload as exported (``format=json``)."""
    return hashlib.sha256(payload.model_dump_json().encode()).hexdigest()


LayoutPublic.model_rebuild()
