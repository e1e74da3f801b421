"""What a model must answer for each task: the JSON schemas of structured outputs.

These are deliberately flatter than the public ``Brief`` (no footprint polygons, no
options), so that every provider can be held to them with strict schemas. Every field
is required (nullable where it may be absent): strict structured outputs demand it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from archbuilder.domain.brief import AdjacencyKind, BuildingType, RoomType, Side


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoomDraft(_Output):
    type: RoomType
    count: int = Field(ge=1, le=30)
    name: str | None
    target_area_m2: float | None


class AdjacencyDraft(_Output):
    a: RoomType
    b: RoomType
    kind: AdjacencyKind


class BriefDraft(_Output):
    """A brief read from text. ``total_area_m2`` is gross, in m² (converted when the text used ft²)."""

    building_type: BuildingType
    total_area_m2: float | None
    rooms: list[RoomDraft]
    adjacency: list[AdjacencyDraft]
    entrance_side: Side | None
    confidence: float = Field(ge=0, le=1)
    assumptions: list[str]


class ProgrammeDraft(_Output):
    """Rooms with target areas and adjacency wishes for a building type, area and household."""

    rooms: list[RoomDraft]
    adjacency: list[AdjacencyDraft]
    confidence: float = Field(ge=0, le=1)
    assumptions: list[str]


class FindingExplanation(_Output):
    rule_id: str
    space_id: str | None
    explanation: str
    fix: str


class FindingsExplanation(_Output):
    """One explanation and one concrete fix per error finding, in the report's language."""

    summary: str
    items: list[FindingExplanation]
