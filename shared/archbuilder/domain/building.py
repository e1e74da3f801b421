"""The building model: one description of a building that compliance checks work on.

Both sources produce it: a generated layout (``compliance`` converts the Revit payload)
and an uploaded drawing (``cad`` readers for DXF, DWG and IFC). Lengths are millimetres
in the model's own plan coordinates, areas square metres. What a source does not know
stays ``None`` so that a rule can answer "cannot check" instead of guessing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from archbuilder.domain.brief import RoomType
from archbuilder.domain.model_facts import ModelFacts


class ModelPoint(BaseModel):
    x: float
    y: float


class SourceInfo(BaseModel):
    """Where the model came from."""

    format: Literal["layout", "dxf", "dwg", "ifc"]
    schema_name: str | None = None  # IFC2X3, IFC4, AC1032 …
    application: str | None = None  # the authoring tool, when the file says
    original_units: str | None = None  # units declared by the file, before conversion to mm
    layout_ref: dict[str, str | int] | None = None  # project_id, layout_id, version for layouts


class BuildingContext(BaseModel):
    """Facts about the whole building that decide which rules apply."""

    region: str | None = None  # building-code region: TR, DE-BY …
    use: Literal["apartment", "house", "office"] | None = None
    floors_above_ground: int | None = Field(default=None, ge=0)
    dwelling_units: int | None = Field(default=None, ge=0)
    building_height_m: float | None = Field(default=None, ge=0)
    sprinklers: bool | None = None
    has_lift: bool | None = None


class ModelLevel(BaseModel):
    id: str
    name: str
    elevation_mm: float = 0
    height_mm: float | None = None


class ModelSpace(BaseModel):
    """A room or other space. ``type`` is None when it could not be classified."""

    id: str
    name: str
    type: RoomType | None = None
    level_id: str
    boundary: list[ModelPoint] = Field(default_factory=list)  # net outline, counter-clockwise
    declared_area_m2: float | None = None  # as the source states it (IFC quantity, room label)
    clear_height_mm: float | None = None
    dwelling_id: str | None = None  # spaces of one dwelling unit share this
    source_ref: str | None = None  # IFC GlobalId, DXF handle, payload room id


class ModelWall(BaseModel):
    id: str
    level_id: str
    start: ModelPoint  # centreline
    end: ModelPoint
    thickness_mm: float | None = None
    height_mm: float | None = None
    is_exterior: bool | None = None
    source_ref: str | None = None


class ModelDoor(BaseModel):
    id: str
    level_id: str
    wall_id: str | None = None
    position: ModelPoint | None = None  # centre of the opening on the plan
    clear_width_mm: float | None = None
    height_mm: float | None = None
    space_ids: list[str] = Field(default_factory=list, max_length=2)  # one for an exterior door
    is_entrance: bool = False
    source_ref: str | None = None


class ModelWindow(BaseModel):
    id: str
    level_id: str
    wall_id: str | None = None
    position: ModelPoint | None = None
    width_mm: float | None = None
    height_mm: float | None = None
    sill_height_mm: float | None = None
    space_id: str | None = None
    source_ref: str | None = None


class ModelStair(BaseModel):
    id: str
    level_id: str
    riser_mm: float | None = None
    tread_mm: float | None = None
    clear_width_mm: float | None = None
    headroom_mm: float | None = None
    source_ref: str | None = None


class ModelNotice(BaseModel):
    """Something a reader skipped or doubted: a key of ``platform/messages/cad.yaml`` and the
    values its sentence needs, worded in the reader's language when the model is read."""

    code: str
    params: dict[str, str | int | float] = Field(default_factory=dict)


class BuildingModel(BaseModel):
    schema_version: Literal["1.0"] = "1.0"
    source: SourceInfo
    context: BuildingContext = Field(default_factory=BuildingContext)
    levels: list[ModelLevel] = Field(default_factory=list)
    spaces: list[ModelSpace] = Field(default_factory=list)
    walls: list[ModelWall] = Field(default_factory=list)
    doors: list[ModelDoor] = Field(default_factory=list)
    windows: list[ModelWindow] = Field(default_factory=list)
    stairs: list[ModelStair] = Field(default_factory=list)
    # What the reader skipped or doubted: ``notices`` as codes, ``warnings`` the same in English
    # (cad.notices.set_notices keeps the two together).
    warnings: list[str] = Field(default_factory=list)
    notices: list[ModelNotice] = Field(default_factory=list)
    # What the reader saw of the file beyond this model, for the model analysis; taken off the
    # model when it is stored (cad_ingest), never part of the model the API serves.
    facts: ModelFacts | None = None
