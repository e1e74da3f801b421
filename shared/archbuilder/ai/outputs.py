"""What a model must answer for each task: the JSON schemas of structured outputs.

These are deliberately flatter than the public ``Brief`` (no footprint polygons, no
options), so that every provider can be held to them with strict schemas. Every field
is required (nullable where it may be absent): strict structured outputs demand it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from archbuilder.domain.brief import AdjacencyKind, BuildingType, RoomType, Side


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoomDraft(_Output):
    type: RoomType
    count: int = Field(ge=1, le=30)
    name: str | None
    target_area_m2: float | None


class BriefRoomDraft(RoomDraft):
    """A room read from a brief. ``en_suite``: a bathroom or WC that opens only into a bedroom
    (one per bedroom, in brief order); false for every other room."""

    en_suite: bool


class AdjacencyDraft(_Output):
    a: RoomType
    b: RoomType
    kind: AdjacencyKind


class BriefDraft(_Output):
    """A brief read from text. ``total_area_m2`` is gross, in m² (converted when the text used ft²)."""

    building_type: BuildingType
    total_area_m2: float | None
    rooms: list[BriefRoomDraft]
    adjacency: list[AdjacencyDraft]
    entrance_side: Side | None
    # The kitchen opens into the living room without a door.
    open_kitchen: bool
    # Sides shared with a neighbour (no window, no entrance there); empty unless the text says so.
    party_walls: list[Side] = Field(max_length=4)
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


class EditOp(StrEnum):
    scale_room_area = "scale_room_area"
    set_room_area = "set_room_area"
    add_room = "add_room"
    remove_room = "remove_room"
    adjacency = "adjacency"
    entrance_side = "entrance_side"
    open_kitchen = "open_kitchen"
    en_suite = "en_suite"


# The fields each edit needs; every other field is null.
EDIT_FIELDS: dict[EditOp, tuple[str, ...]] = {
    EditOp.scale_room_area: ("room", "factor"),
    EditOp.set_room_area: ("room", "area_m2"),
    EditOp.add_room: ("type", "count"),
    EditOp.remove_room: ("room",),  # count null: every room it names
    EditOp.adjacency: ("a", "b", "kind"),
    EditOp.entrance_side: ("side",),
    EditOp.open_kitchen: ("value",),  # true: no door between kitchen and living room
    EditOp.en_suite: ("room", "value"),  # room: a bathroom or WC; true: it opens only into a bedroom
}
_EDIT_FIELD_NAMES = ("room", "factor", "area_m2", "type", "count", "a", "b", "kind", "side", "value")


class BriefEdit(_Output):
    """One change to a brief, in the brief's terms (never geometry).

    One flat object rather than a union per ``op``: every provider's strict schema accepts
    it (no ``const``). ``room``, ``a`` and ``b`` name a room type (``kitchen``) or a room's
    name as the brief gives it. ``model_validator`` holds each op to its fields.
    """

    op: EditOp
    room: str | None = Field(max_length=60)
    factor: float | None = Field(ge=0.25, le=4)
    area_m2: float | None = Field(gt=0, le=1000)
    type: RoomType | None
    count: int | None = Field(ge=1, le=30)
    a: str | None = Field(max_length=60)
    b: str | None = Field(max_length=60)
    kind: AdjacencyKind | None
    side: Side | None
    value: bool | None

    @model_validator(mode="after")
    def _fields_of_op(self) -> BriefEdit:
        needed = EDIT_FIELDS[self.op]
        optional = {"count"} if self.op is EditOp.remove_room else set()
        for name in _EDIT_FIELD_NAMES:
            value = getattr(self, name)
            if name in needed and (value is None or value == ""):
                raise ValueError(f"{self.op.value} needs {name}")
            if name not in needed and name not in optional and value is not None:
                raise ValueError(f"{self.op.value} takes no {name}")
        return self

    def summary(self) -> dict[str, object]:
        """The edit without its null fields (for metadata and logs)."""
        return {k: v for k, v in self.model_dump(mode="json").items() if v is not None}


def brief_edit(op: EditOp, **fields: object) -> BriefEdit:
    """An edit with every field it does not name set to null."""
    empty: dict[str, object] = dict.fromkeys(_EDIT_FIELD_NAMES)
    return BriefEdit.model_validate({**empty, **fields, "op": op})


class RevisionDraft(_Output):
    """The edits an architect's feedback asks for, and the parts of it that gave no edit.

    ``not_understood``: the feedback's own words, verbatim. ``assumptions``: short
    sentences in the brief's language (an amount chosen for "bigger", for instance).
    """

    edits: list[BriefEdit] = Field(max_length=20)
    not_understood: list[str]
    assumptions: list[str]
    confidence: float = Field(ge=0, le=1)


class PhrasedRecommendation(_Output):
    """One recommendation of a model analysis in the reader's language: the same rank and the
    same findings as given, only the sentence is the model's."""

    rank: int
    finding_ids: list[str]
    text: str


class PhrasedRecommendations(_Output):
    """The ranked recommendations, one item per recommendation given, in the given order."""

    items: list[PhrasedRecommendation]


class PassagesAnswer(_Output):
    """An answer to a question from the library's passages only: prose in which every statement
    carries the citation of its passage in square brackets, as given (``[Madde 29 (1)]``)."""

    answer: str
