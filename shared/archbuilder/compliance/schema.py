"""The rule schema (building-codes.md §4.1): one rule = what is measured, where, against what, and why.

Rule files are validated against these models when they are loaded; a rule that does not
fit fails loudly (see ``loader``). Values stay in the unit the source states; the engine
reads them through ``Rule.limit`` in its own units (mm, m², m³, ratio, count).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from archbuilder.compliance.units import UNITS, Quantity, quantity_of, to_engine
from archbuilder.domain.brief import BuildingType, RoomType
from archbuilder.domain.common import REGION_PATTERN


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scope(StrEnum):
    """What one evaluation of a rule looks at."""

    space = "space"
    door = "door"
    stair = "stair"
    dwelling = "dwelling"
    storey = "storey"
    building = "building"


class Metric(StrEnum):
    net_area = "net_area"
    narrow_side = "narrow_side"
    clear_width = "clear_width"
    clear_height = "clear_height"
    volume = "volume"
    window_count = "window_count"
    glazing_ratio = "glazing_ratio"
    window_sill = "window_sill"
    largest_window_area = "largest_window_area"
    rescue_window_count = "rescue_window_count"
    opens_onto = "opens_onto"
    door_clear_width = "door_clear_width"
    door_height = "door_height"
    stair_width = "stair_width"
    riser = "riser"
    tread = "tread"
    step_formula = "step_formula"
    headroom = "headroom"
    room_count = "room_count"
    dwelling_area = "dwelling_area"
    largest_room_area = "largest_room_area"
    largest_room_volume = "largest_room_volume"
    travel_distance = "travel_distance"
    floor_height = "floor_height"
    exit_count = "exit_count"
    exit_width = "exit_width"
    widest_exit = "widest_exit"
    exit_travel_distance = "exit_travel_distance"
    lift_present = "lift_present"


# metric → (scope, quantity)
METRICS: dict[Metric, tuple[Scope, Quantity]] = {
    Metric.net_area: (Scope.space, Quantity.area),
    Metric.narrow_side: (Scope.space, Quantity.length),
    Metric.clear_width: (Scope.space, Quantity.length),
    Metric.clear_height: (Scope.space, Quantity.length),
    Metric.volume: (Scope.space, Quantity.volume),
    Metric.window_count: (Scope.space, Quantity.items),
    Metric.glazing_ratio: (Scope.space, Quantity.ratio),
    Metric.window_sill: (Scope.space, Quantity.length),
    Metric.largest_window_area: (Scope.space, Quantity.area),
    Metric.rescue_window_count: (Scope.space, Quantity.items),
    Metric.opens_onto: (Scope.space, Quantity.items),
    Metric.door_clear_width: (Scope.door, Quantity.length),
    Metric.door_height: (Scope.door, Quantity.length),
    Metric.stair_width: (Scope.stair, Quantity.length),
    Metric.riser: (Scope.stair, Quantity.length),
    Metric.tread: (Scope.stair, Quantity.length),
    Metric.step_formula: (Scope.stair, Quantity.length),
    Metric.headroom: (Scope.stair, Quantity.length),
    Metric.room_count: (Scope.dwelling, Quantity.items),
    Metric.dwelling_area: (Scope.dwelling, Quantity.area),
    Metric.largest_room_area: (Scope.dwelling, Quantity.area),
    Metric.largest_room_volume: (Scope.dwelling, Quantity.volume),
    Metric.travel_distance: (Scope.dwelling, Quantity.length),
    Metric.floor_height: (Scope.storey, Quantity.length),
    Metric.exit_count: (Scope.storey, Quantity.items),
    Metric.exit_width: (Scope.storey, Quantity.length),
    Metric.widest_exit: (Scope.storey, Quantity.length),
    Metric.exit_travel_distance: (Scope.storey, Quantity.length),
    Metric.lift_present: (Scope.building, Quantity.items),
}

# Context variables a condition may test. Building facts come from ``BuildingContext``;
# the others are computed by the engine for the dwelling or storey being checked.
ContextVar = Literal[
    "floors_above_ground",
    "dwelling_units",
    "building_height_m",
    "sprinklers",
    "has_lift",
    "occupant_load",
    "dwelling_rooms",
    "dwelling_has_wc",
]


# What a citation says about its own article, in the reader's language
# (``note_<key>`` in platform/messages/compliance.yaml): "m.28 (paragraph unverified)".
ArticleNote = Literal[
    "unverified",
    "article_unverified",
    "paragraph_unverified",
    "clause_unverified",
    "row_unverified",
    "subsection_unverified",
    "number_unverified",
    "sum_of_minima",
    "former",
]


class Source(_Strict):
    document: str = Field(min_length=3)
    short: str = Field(min_length=2)
    article: str = ""  # as the source numbers it; empty only with a note (article_unverified)
    note: ArticleNote | None = None
    edition: str | None = None
    url: str | None = None
    status: Literal["verified", "unverified", "derived"]

    @model_validator(mode="after")
    def _article_or_note(self) -> Source:
        if not self.article.strip() and self.note is None:
            raise ValueError("give the article, or a note saying why there is none")
        return self


class Condition(_Strict):
    var: ContextVar
    op: Literal["==", "!=", ">", ">=", "<", "<="]
    value: float | bool

    def holds(self, actual: float | bool) -> bool:
        a, b = float(actual), float(self.value)
        return {
            "==": a == b,
            "!=": a != b,
            ">": a > b,
            ">=": a >= b,
            "<": a < b,
            "<=": a <= b,
        }[self.op]

    def text(self) -> str:
        value = str(self.value).lower() if isinstance(self.value, bool) else f"{self.value:g}"
        return f"{self.var} {self.op} {value}"


DoorKind = Literal["any", "entrance", "building_entrance", "internal"]


class AppliesTo(_Strict):
    building_use: list[BuildingType] = Field(default_factory=lambda: list(BuildingType), min_length=1)
    space_types: list[RoomType] = Field(default_factory=list)
    door_kind: DoorKind = "any"
    conditions: list[Condition] = Field(default_factory=list)  # all must hold
    exempt_if: list[Condition] = Field(default_factory=list)  # all hold → not applicable


class Step(_Strict):
    up_to: float | None = None  # inclusive upper bound of the key; None = the rest
    value: float


class Table(_Strict):
    """A stepped limit, e.g. exits by occupant load: ≤500 → 2, ≤1000 → 3, more → 4."""

    key: Literal["occupant_load"]
    steps: list[Step] = Field(min_length=1)

    def lookup(self, key: float) -> float:
        for step in self.steps:
            if step.up_to is None or key <= step.up_to:
                return step.value
        return self.steps[-1].value


class OccupantLoad(_Strict):
    """Occupants = floor area ÷ area per person (BYKHY m.32, IBC T1004.5)."""

    area_per_person: float = Field(gt=0)
    unit: Literal["m2", "ft2"] = "m2"
    source: str | None = None  # where the factor comes from when not the rule's own source

    @property
    def area_per_person_m2(self) -> float:
        return to_engine(self.area_per_person, self.unit)


Comparator = Literal[">=", "<=", "between"]
Severity = Literal["error", "warning", "info"]


class Rule(_Strict):
    id: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9.]+)+$", max_length=64)
    region: str = Field(pattern=REGION_PATTERN)
    jurisdiction: Literal["national", "state", "regional", "municipal", "standard", "model"]
    source: Source
    valid_from: date | None = None
    valid_to: date | None = None
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    metric: Metric
    metric_args: dict[str, float] = Field(default_factory=dict)
    args_unit: str | None = None  # unit of length metric_args; default: the rule's unit, or m
    neighbours: list[RoomType] = Field(default_factory=list)  # opens_onto: the rooms counted
    comparator: Comparator
    value: float | list[float] | Table
    unit: str
    per_occupant: float | None = Field(default=None, gt=0)  # rule unit per occupant, raises the limit
    occupant_load: OccupantLoad | None = None
    alternatives: list[str] = Field(default_factory=list)  # pass if any of these passes
    overrides: list[str] = Field(default_factory=list)  # rules of the parent region this one replaces
    severity: Severity = "error"
    message_key: str
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}; known: {', '.join(UNITS)}")
        scope, quantity = METRICS[self.metric]
        if quantity_of(self.unit) is not quantity:
            raise ValueError(f"metric {self.metric} measures {quantity}, but unit {self.unit!r} is not one")
        if self.comparator == "between":
            if not (isinstance(self.value, list) and len(self.value) == 2 and self.value[0] < self.value[1]):
                raise ValueError("comparator 'between' needs value [min, max] with min < max")
        elif isinstance(self.value, list):
            raise ValueError(f"comparator {self.comparator!r} needs one number or a table, not a list")
        if isinstance(self.value, Table) and self.occupant_load is None:
            raise ValueError("a table keyed on occupant_load needs occupant_load")
        if self.per_occupant is not None and self.occupant_load is None:
            raise ValueError("per_occupant needs occupant_load")
        if scope is Scope.space and not self.applies_to.space_types:
            raise ValueError(f"metric {self.metric} applies to spaces: give applies_to.space_types")
        if self.metric is Metric.rescue_window_count and not {"min_width", "min_height"} <= set(
            self.metric_args
        ):
            raise ValueError("rescue_window_count needs metric_args min_width and min_height")
        if (self.metric is Metric.opens_onto) != bool(self.neighbours):
            raise ValueError("neighbours goes with metric opens_onto, and opens_onto needs neighbours")
        if self.args_unit is not None and (
            self.args_unit not in UNITS or quantity_of(self.args_unit) is not Quantity.length
        ):
            raise ValueError(f"args_unit {self.args_unit!r} is not a length unit")
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from is after valid_to")
        country = self.id.split("-", 1)[0]
        if country != self.region.split("-", 1)[0]:
            raise ValueError(f"rule id starts with {country} but region is {self.region}")
        return self

    # -- values in engine units ------------------------------------------------

    @property
    def scope(self) -> Scope:
        return METRICS[self.metric][0]

    @property
    def quantity(self) -> Quantity:
        return METRICS[self.metric][1]

    def engine(self, value: float) -> float:
        return to_engine(value, self.unit)

    def limits(self, occupant_load: float | None = None) -> tuple[float, float | None]:
        """(lower-or-only limit, upper limit for 'between') in engine units."""
        if isinstance(self.value, list):
            return self.engine(self.value[0]), self.engine(self.value[1])
        if isinstance(self.value, Table):
            assert occupant_load is not None
            base = self.engine(self.value.lookup(occupant_load))
        else:
            base = self.engine(self.value)
        if self.per_occupant is not None and occupant_load is not None:
            base = max(base, self.engine(self.per_occupant) * occupant_load)
        return base, None

    def arg_mm(self, name: str) -> float:
        """A length argument of ``metric_args`` in mm."""
        unit = self.args_unit or (self.unit if quantity_of(self.unit) is Quantity.length else "m")
        return to_engine(self.metric_args[name], unit)

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


class RuleFile(_Strict):
    """``rules/<COUNTRY>.yaml``: the rules of a country and its subdivisions."""

    country: Literal["TR", "DE", "FR", "ES", "US"]
    version: str = Field(min_length=1)
    sources: dict[str, dict[str, str]] = Field(default_factory=dict)  # YAML anchors the rules share
    rules: list[Rule] = Field(min_length=1)
