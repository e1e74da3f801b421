"""The brief: what the architect asks for (ARCHITECTURE.md §4).

Field names are the public contract; the Revit add-in is written against them.
Lengths are millimetres, areas square metres.
"""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import Field, field_validator, model_validator

from archbuilder.domain.common import Language, RegionCode, StrictModel, invalid

MAX_FOOTPRINT_SIDE_MM = 200_000
MAX_POLYGON_POINTS = 200


class BuildingType(StrEnum):
    apartment = "apartment"
    house = "house"
    office = "office"


class RoomType(StrEnum):
    living_room = "living_room"
    dining_room = "dining_room"
    kitchen = "kitchen"
    bedroom = "bedroom"
    bathroom = "bathroom"
    wc = "wc"
    hall = "hall"
    corridor = "corridor"
    storage = "storage"
    laundry = "laundry"
    office = "office"
    meeting_room = "meeting_room"
    reception = "reception"
    technical = "technical"


class Side(StrEnum):
    north = "north"
    east = "east"
    south = "south"
    west = "west"


class AdjacencyKind(StrEnum):
    must = "must"
    prefer = "prefer"
    avoid = "avoid"
    en_suite = "en_suite"  # a (bathroom) opens only into b (a bedroom)


class Point2D(StrictModel):
    x: float = Field(ge=-MAX_FOOTPRINT_SIDE_MM, le=MAX_FOOTPRINT_SIDE_MM)
    y: float = Field(ge=-MAX_FOOTPRINT_SIDE_MM, le=MAX_FOOTPRINT_SIDE_MM)


class Footprint(StrictModel):
    """Either ``width_mm`` × ``depth_mm`` (from the origin) or a rectilinear ``polygon``."""

    width_mm: float | None = Field(default=None, ge=3000, le=MAX_FOOTPRINT_SIDE_MM)
    depth_mm: float | None = Field(default=None, ge=3000, le=MAX_FOOTPRINT_SIDE_MM)
    polygon: list[Point2D] | None = Field(default=None, max_length=MAX_POLYGON_POINTS + 1)

    @model_validator(mode="after")
    def _one_shape(self) -> Footprint:
        has_rect = self.width_mm is not None or self.depth_mm is not None
        if has_rect and self.polygon is not None:
            raise invalid("footprint_shape_both")
        if self.polygon is None:
            if self.width_mm is None or self.depth_mm is None:
                raise invalid("footprint_size_incomplete")
            return self
        self.polygon = _checked_rectilinear(self.polygon)
        return self

    def points(self) -> list[tuple[float, float]]:
        """The outline as counter-clockwise (x, y) tuples, without the closing point."""
        if self.polygon is None:
            assert self.width_mm is not None and self.depth_mm is not None
            w, d = self.width_mm, self.depth_mm
            return [(0.0, 0.0), (w, 0.0), (w, d), (0.0, d)]
        return [(p.x, p.y) for p in self.polygon]

    def area_m2(self) -> float:
        from shapely.geometry import Polygon  # imported here: shapely costs ~90 ms of cold start

        return float(Polygon(self.points()).area) / 1e6


def _checked_rectilinear(points: list[Point2D]) -> list[Point2D]:
    pts = list(points)
    if len(pts) >= 2 and pts[0].x == pts[-1].x and pts[0].y == pts[-1].y:
        pts = pts[:-1]
    # Drop repeated points and points in the middle of a straight run.
    cleaned: list[Point2D] = []
    for p in pts:
        if cleaned and cleaned[-1].x == p.x and cleaned[-1].y == p.y:
            continue
        cleaned.append(p)
    if len(cleaned) < 4:
        raise invalid("polygon_distinct_corners", corners=4)
    for i, a in enumerate(cleaned):
        b = cleaned[(i + 1) % len(cleaned)]
        if a.x != b.x and a.y != b.y:
            raise invalid("polygon_not_rectilinear", edge=i)
    simplified = [
        p for i, p in enumerate(cleaned) if not _collinear(cleaned[i - 1], p, cleaned[(i + 1) % len(cleaned)])
    ]
    if len(simplified) < 4:
        raise invalid("polygon_corners", corners=4)
    from shapely.geometry import Polygon  # imported here: shapely costs ~90 ms of cold start

    shape = Polygon([(p.x, p.y) for p in simplified])
    if not shape.is_valid or shape.area <= 0:
        raise invalid("polygon_not_simple")
    if not shape.exterior.is_ccw:
        simplified.reverse()
    minx, miny, maxx, maxy = shape.bounds
    if min(maxx - minx, maxy - miny) < 3000:
        raise invalid("footprint_too_narrow", min_mm=3000)
    return simplified


def _collinear(a: Point2D, b: Point2D, c: Point2D) -> bool:
    return (a.x == b.x == c.x) or (a.y == b.y == c.y)


class Entrance(StrictModel):
    side: Side | None = None
    point: Point2D | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Entrance:
        if (self.side is None) == (self.point is None):
            raise invalid("entrance_side_or_point")
        return self


class RoomRequest(StrictModel):
    type: RoomType
    count: int = Field(default=1, ge=1, le=30)
    name: str | None = Field(default=None, min_length=1, max_length=60)
    target_area_m2: float | None = Field(default=None, gt=0, le=1000)
    min_area_m2: float | None = Field(default=None, gt=0, le=1000)
    # A bathroom or WC that opens only into a bedroom (one per bedroom, in brief order).
    en_suite: bool = False

    @model_validator(mode="after")
    def _min_below_target(self) -> RoomRequest:
        if self.en_suite and self.type not in (RoomType.bathroom, RoomType.wc):
            raise invalid("en_suite_type")
        if self.target_area_m2 and self.min_area_m2 and self.min_area_m2 > self.target_area_m2:
            raise invalid("min_area_above_target")
        return self


class Adjacency(StrictModel):
    a: str = Field(min_length=1, max_length=60)
    b: str = Field(min_length=1, max_length=60)
    kind: AdjacencyKind = AdjacencyKind.prefer


class BriefOptions(StrictModel):
    variants: int = Field(default=1, ge=1, le=5)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class Brief(StrictModel):
    """A brief as sent by the client. ``resolve`` fills the defaults from the project."""

    building_type: BuildingType = BuildingType.apartment
    region: RegionCode | None = None
    language: Language | None = None
    footprint: Footprint | None = None
    total_area_m2: float | None = Field(default=None, gt=10, le=20_000)
    level_height_mm: float = Field(default=2800, ge=2200, le=5000)
    exterior_wall_mm: float = Field(default=250, ge=100, le=800)
    interior_wall_mm: float = Field(default=100, ge=50, le=400)
    entrance: Entrance = Field(default_factory=lambda: Entrance(side=Side.south))
    north_deg: float = Field(default=0, ge=0, lt=360)
    rooms: list[RoomRequest] = Field(default_factory=list, max_length=40)
    adjacency: list[Adjacency] = Field(default_factory=list, max_length=100)
    # Sides shared with neighbours: no window and no entrance there (for a polygon footprint,
    # every edge whose outward normal faces that side).
    party_walls: list[Side] = Field(default_factory=list, max_length=4)
    # The kitchen opens into the living room without a door (a studio's kitchenette).
    open_kitchen: bool = False
    prompt: str | None = Field(default=None, max_length=4000)
    options: BriefOptions = Field(default_factory=BriefOptions)

    @field_validator("rooms")
    @classmethod
    def _room_count(cls, rooms: list[RoomRequest]) -> list[RoomRequest]:
        if sum(r.count for r in rooms) > 60:
            raise invalid("too_many_rooms", limit=60)
        return rooms

    @field_validator("party_walls")
    @classmethod
    def _distinct_sides(cls, sides: list[Side]) -> list[Side]:
        return sorted(set(sides), key=list(Side).index)

    @model_validator(mode="after")
    def _entrance_off_party_walls(self) -> Brief:
        side = self.entrance.side
        if side is None or side not in self.party_walls:
            return self
        if "entrance" not in self.model_fields_set:  # the default (south) moves to a free side
            free = [
                side
                for side in (Side.south, Side.north, Side.east, Side.west)
                if side not in self.party_walls
            ]
            if free:
                self.entrance = Entrance(side=free[0])
                return self
        raise invalid("entrance_on_party_wall", side=side.value)

    @model_validator(mode="after")
    def _enough_to_plan(self) -> Brief:
        # A prompt may supply the rooms and the area; without one the fields must.
        if self.prompt:
            return self
        if not self.rooms:
            raise invalid("brief_needs_rooms")
        if self.footprint is None and self.total_area_m2 is None:
            raise invalid("brief_needs_area")
        return self

    def ready_to_plan(self) -> bool:
        return bool(self.rooms) and (self.footprint is not None or self.total_area_m2 is not None)

    def resolved(self, region: str, language: Language | str) -> Brief:
        """A copy with region, language and footprint filled in.

        With only ``total_area_m2``, the footprint is a 4:3 rectangle of that gross area,
        rounded to 100 mm.
        """
        footprint = self.footprint
        if footprint is None:
            assert self.total_area_m2 is not None
            area_mm2 = self.total_area_m2 * 1e6
            width = math.sqrt(area_mm2 * 4 / 3)
            depth = area_mm2 / width
            footprint = Footprint(
                width_mm=max(3000.0, round(width / 100) * 100),
                depth_mm=max(3000.0, round(depth / 100) * 100),
            )
        return self.model_copy(
            update={
                "region": self.region or region,
                "language": self.language or Language(language),
                "footprint": footprint,
            }
        )
