"""Entrance doors of a drawing that does not say which doors are external.

A DXF or DWG has no such property (and an IFC file may not give one): a door is taken as an
entrance when it stands on the building's outline, where one side of it is outside and the
other leads in. The outline of a level is its walls drawn as bands of their thickness, with
the gaps of doors and windows (up to ``OPENING_MAX_MM``) closed and the rooms inside filled in.
Pieces smaller than ``MIN_OUTLINE_M2`` (free-standing walls, a pavilion's screens) are no
building: a door there is not marked.

A door's position is the middle of its opening (a swing arc read from a DXF, an IFC opening)
or the middle of its symbol, half a leaf into the room (a DXF door block): it is on the outline
when it lies within half the thickest wall plus half a leaf of the outline's face (a leaf is
the door's width, at most ``MAX_LEAF_MM``: a wider door has two).
"""

from __future__ import annotations

from collections import defaultdict

from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.ops import unary_union

from archbuilder.domain.building import BuildingModel, ModelDoor, ModelWall

OPENING_MAX_MM = 2000.0
MIN_OUTLINE_M2 = 20.0
DEFAULT_WALL_MM = 100.0  # a wall drawn as one line
MAX_WALL_MM = 600.0  # thicker "walls" are usually hatching or a misread pair
DEFAULT_DOOR_MM = 900.0
MAX_LEAF_MM = 1000.0
TOLERANCE_MM = 50.0


def mark_outline_entrances(model: BuildingModel) -> BuildingModel:
    """``model`` with its doors on the outline marked ``is_entrance``; unchanged when a door is
    marked already (the file said which) or a level has no outline."""
    if not model.doors or any(d.is_entrance for d in model.doors):
        return model
    walls_by_level: dict[str, list[ModelWall]] = defaultdict(list)
    for wall in model.walls:
        walls_by_level[wall.level_id].append(wall)
    outlines = {level: _outline(walls) for level, walls in walls_by_level.items()}
    thickest = {
        level: min(max((w.thickness_mm or DEFAULT_WALL_MM) for w in walls), MAX_WALL_MM)
        for level, walls in walls_by_level.items()
    }
    doors: list[ModelDoor] = []
    for door in model.doors:
        outline = outlines.get(door.level_id)
        on_outline = (
            outline is not None
            and door.position is not None
            and len(door.space_ids) <= 1
            and _near_face(outline, door, thickest[door.level_id])
        )
        doors.append(door.model_copy(update={"is_entrance": True}) if on_outline else door)
    return model.model_copy(update={"doors": doors})


def _outline(walls: list[ModelWall]) -> Polygon | MultiPolygon | None:
    """The filled outline of a level's walls: the pieces of at least ``MIN_OUTLINE_M2``."""
    bands = [
        LineString([(w.start.x, w.start.y), (w.end.x, w.end.y)]).buffer(
            min(w.thickness_mm or DEFAULT_WALL_MM, MAX_WALL_MM) / 2, cap_style="square"
        )
        for w in walls
        if (w.start.x, w.start.y) != (w.end.x, w.end.y)
    ]
    if not bands:
        return None
    reach = OPENING_MAX_MM / 2
    closed = unary_union(bands).buffer(reach, join_style="mitre").buffer(-reach, join_style="mitre")
    pieces = closed.geoms if isinstance(closed, MultiPolygon) else [closed]
    filled = [
        Polygon(p.exterior)
        for p in pieces
        if isinstance(p, Polygon) and not p.is_empty and Polygon(p.exterior).area >= MIN_OUTLINE_M2 * 1e6
    ]
    if not filled:
        return None
    merged = unary_union(filled)
    return merged if isinstance(merged, Polygon | MultiPolygon) else None


def _near_face(outline: Polygon | MultiPolygon, door: ModelDoor, thickest_mm: float) -> bool:
    assert door.position is not None
    leaf = min(door.clear_width_mm or DEFAULT_DOOR_MM, MAX_LEAF_MM)
    reach = thickest_mm / 2 + leaf / 2 + TOLERANCE_MM
    return bool(outline.boundary.distance(Point(door.position.x, door.position.y)) <= reach)
