"""The design review of an uploaded model, storey by storey (docs/analysis.md, "Design review").

The layout's review (``layout/design_review.py``) measures a payload: rooms with outlines and
types, doors with the rooms they ``connect``. Each storey of the model is put in that shape
here: its spaces with an outline (typed from their names at ingestion), its doors with the
spaces on either side (the IFC's space boundaries, else found from the door's position: a
point a little beyond each face of its wall, in which space), and the measures are the
layout's own. What a model does not say is reported as not assessable with the reason, never
guessed: door handing (swings), north (sunlight), party walls, an entrance on an upper storey,
the doors of a storey whose doors connect no spaces. A check the model adds: every habitable
room has a window (IFC boundary, else the space beside the window's wall).

Stored without words (check ids, statuses, values, the spaces' names); ``wording.worded``
writes the sentences when read, from ``platform/messages/design_review.yaml``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from shapely import STRtree
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import Polygon

from archbuilder.analysis.plan import Plan
from archbuilder.analysis.report import ReviewItem, ReviewStatus, StoreyReview
from archbuilder.domain.brief import BuildingType, RoomType
from archbuilder.domain.building import ModelDoor, ModelLevel, ModelPoint, ModelSpace, ModelWall, ModelWindow
from archbuilder.domain.layout import Door, LayoutPayload, Point3, Room, Wall
from archbuilder.layout.design_review import checks_of, measure
from archbuilder.layout.room_groups import CIRCULATION, HABITABLE, PRIVATE

PROBE_MM = 250.0  # beyond a wall's face, where a door or window probe looks for a space
DEFAULT_WALL_MM = 100.0  # a wall without thickness
MAX_WALL_MM = 600.0  # thicker "walls" are hatching or a misread pair (as cad/entrances.py)
NEAR_MM = 400.0  # a door without a wall: the spaces this close to its position
STATUSES: tuple[ReviewStatus, ...] = ("good", "advice", "problem", "not_applicable", "not_assessable")
# What the model never says: the checks that need it, and why they cannot be judged.
_UNKNOWN = {
    "door_swings": "door_handing_unknown",
    "swing_into_room": "door_handing_unknown",
    "living_daylight": "north_unknown",
    "party_walls": "party_walls_unknown",
}
# The checks in the order of the report (the layout's, then the model's own).
CHECKS = (
    "entrance_into_hall",
    "private_access",
    "door_swings",
    "swing_into_room",
    "proportions",
    "corridor_share",
    "wet_grouping",
    "living_daylight",
    "room_daylight",
    "kitchen_living",
    "party_walls",
)


def design_review(plan: Plan) -> list[StoreyReview]:
    """Every storey's review, in the model's storey order."""
    model = plan.model
    office = model.context.use == "office"
    building_type = BuildingType.office if office else BuildingType.apartment
    storeys = [_Storey(plan, level) for level in model.levels]
    # The building is entered on its lowest storey with an entrance door into a typed space:
    # a door on the outline of an upper storey opens onto a balcony or a terrace.
    entered = [s for s in storeys if s.entrances]
    ground = min(entered, key=lambda s: s.level.elevation_mm) if entered else None
    return [s.review(building_type, entered=s is ground) for s in storeys]


class _Storey:
    """One storey put in the layout payload's shape: its spaces with an outline, its doors
    with the spaces they connect."""

    def __init__(self, plan: Plan, level: ModelLevel) -> None:
        model = plan.model
        self.level = level
        self.on_level = [s for s in model.spaces if s.level_id == level.id]
        self.shapes = {s.id: shape for s in self.on_level if (shape := _outline(plan, s)) is not None}
        self.spaces = [s for s in self.on_level if s.id in self.shapes]
        self.typed = [s for s in self.spaces if s.type is not None]
        self.windows = [w for w in model.windows if w.level_id == level.id]
        self.walls = {w.id: w for w in model.walls if w.level_id == level.id}
        self.entrances: list[tuple[ModelDoor, list[str]]] = []
        self.inside: list[tuple[ModelDoor, list[str]]] = []
        if not self.typed:
            return
        self.locate = _Locator(self.spaces, self.shapes, self.walls)
        kinds = {s.id: s.type for s in self.spaces}
        for door in model.doors:
            connects = _connects(door, self.locate) if door.level_id == level.id else []
            if len(connects) == 2:
                self.inside.append((door, connects))
            elif connects and door.is_entrance and kinds[connects[0]] is not None:
                self.entrances.append((door, connects))
        # Entrance doors into a hall first: a house entered through its hall, with a terrace
        # door from the living room, is entered through its hall.
        self.entrances.sort(key=lambda dc: kinds[dc[1][0]] not in CIRCULATION)

    def review(self, building_type: BuildingType, entered: bool) -> StoreyReview:
        level = self.level
        if not self.typed:
            reason = "no_typed_spaces" if self.on_level else "no_spaces"
            none = [ReviewItem(id=c, status="not_assessable", reason=reason) for c in CHECKS]
            return StoreyReview(level=level.name, reason=reason, checks=none, summary=_summary(none))
        entrances = self.entrances if entered else []
        payload = LayoutPayload.model_construct(
            levels=[],
            walls=_walls(self.walls.values()),
            doors=[_door(d, c) for d, c in entrances + self.inside],
            windows=[],
            rooms=[_room(s, s.type, self.shapes[s.id]) for s in self.typed if s.type is not None],
        )
        names = {s.id: s.name for s in self.spaces}
        outlines = {s.id: self.shapes[s.id] for s in self.typed}
        m = measure(payload, building_type, swings=False, facades=False, outlines=outlines)
        links: dict[str, set[str]] = {}
        for _, (a, b) in self.inside:
            links.setdefault(a, set()).add(b)
            links.setdefault(b, set()).add(a)
        private = {s.id for s in self.spaces if s.type in PRIVATE}
        reached = _reached([c[0] for _, c in entrances], links, private)
        items: list[ReviewItem] = []
        for check in checks_of(m, names):
            item = ReviewItem(
                id=check.id,
                status=check.status,
                value=check.value,
                unit=check.unit,
                target=check.target,
                rooms=[names.get(r, r) for r in check.rooms],
                message_key=check.message_key,
            )
            if check.id in _UNKNOWN:
                item = _not_assessable(check.id, _UNKNOWN[check.id])
            elif check.id == "entrance_into_hall" and not entrances:
                item = _not_assessable(check.id, "no_entrance_door")
            elif check.id == "private_access" and check.status != "not_applicable":
                if self.inside:
                    # A room another entrance reaches (a second dwelling's hall) is not behind a room.
                    through = [r for r in m.through_room if r in private or r not in reached]
                    item = _access(through, set(links), names)
                else:
                    item = _not_assessable(check.id, "no_doors_between_spaces")
            elif check.id == "corridor_share" and check.status != "not_applicable":
                untyped = [s.name for s in self.spaces if s.type is None]
                if untyped:
                    item = _not_assessable(check.id, "unclassified_spaces", untyped)
            items.append(item)
            if check.id == "living_daylight":
                items.append(_daylight(self.windows, self.spaces, self.locate))
        return StoreyReview(level=level.name, spaces=len(self.typed), checks=items, summary=_summary(items))


def _reached(starts: list[str], links: dict[str, set[str]], private: set[str]) -> set[str]:
    """The spaces reached from any of ``starts`` without walking through a private room."""
    reached, queue = set(starts), list(starts)
    while queue:
        current = queue.pop()
        if current in private and current not in starts:
            continue
        for nxt in links.get(current, set()) - reached:
            reached.add(nxt)
            queue.append(nxt)
    return reached


def _access(through: list[str], neighbours: set[str], names: dict[str, str]) -> ReviewItem:
    """Rooms reached through another room; a room with no door to another space in the model
    (an open plan drawn without openings, a door the model lacks) is left out, and named."""
    judged = [r for r in through if r in neighbours]
    unjudged = [names[r] for r in through if r not in neighbours]
    if judged:
        rooms = [names[r] for r in judged]
        return ReviewItem(
            id="private_access",
            status="problem",
            value=len(judged),
            unit="rooms",
            rooms=rooms,
            message_key="private_access.problem",
            unjudged=unjudged,
        )
    return ReviewItem(
        id="private_access", status="good", message_key="private_access.good", unjudged=unjudged
    )


def _daylight(windows: list[ModelWindow], spaces: list[ModelSpace], locate: _Locator) -> ReviewItem:
    """Every habitable room has a window: the space the IFC bounds with it, else the one space
    beside its wall (a window with spaces on both sides is inside glazing)."""
    lit: set[str] = set()
    for window in windows:
        if window.space_id is not None:
            lit.add(window.space_id)
        else:
            found = locate.sides(window.wall_id, window.position)
            if len(found) == 1:
                lit.add(found[0])
    if not lit:
        return _not_assessable("room_daylight", "no_windows")
    habitable = [s for s in spaces if s.type in HABITABLE]
    if not habitable:
        return ReviewItem(
            id="room_daylight", status="not_applicable", message_key="room_daylight.not_applicable"
        )
    dark = [s.name for s in habitable if s.id not in lit]
    if dark:
        return ReviewItem(
            id="room_daylight",
            status="problem",
            value=len(dark),
            unit="rooms",
            rooms=dark,
            message_key="room_daylight.problem",
        )
    return ReviewItem(id="room_daylight", status="good", message_key="room_daylight.good")


def _not_assessable(check: str, reason: str, rooms: Sequence[str] = ()) -> ReviewItem:
    return ReviewItem(id=check, status="not_assessable", reason=reason, rooms=list(rooms))


def _summary(items: list[ReviewItem]) -> dict[str, int]:
    statuses = [i.status for i in items]
    return {s: statuses.count(s) for s in STATUSES}


def _outline(plan: Plan, space: ModelSpace) -> Polygon | None:
    shape = plan.shape(space)
    return shape if shape is not None and shape.is_valid and shape.area > 0 else None


class _Locator:
    """The spaces of one storey on either side of a door or window."""

    def __init__(
        self, spaces: list[ModelSpace], shapes: dict[str, Polygon], walls: dict[str, ModelWall]
    ) -> None:
        self.ids = [s.id for s in spaces]
        self.outlines = [shapes[s] for s in self.ids]
        self.tree = STRtree(self.outlines)
        self.walls = walls
        self.known = set(self.ids)

    def sides(self, wall_id: str | None, position: ModelPoint | None) -> list[str]:
        """The spaces a little beyond each face of the wall at ``position`` (one or two), or,
        without the wall, the (at most two) spaces within NEAR_MM of it."""
        if position is None:
            return []
        wall = self.walls.get(wall_id or "")
        if wall is None:
            point = ShapelyPoint(position.x, position.y)
            near: list[int] = self.tree.query(point, predicate="dwithin", distance=NEAR_MM).tolist()
            ranked = sorted(near, key=lambda i: self.outlines[i].distance(point))
            return [self.ids[i] for i in ranked[:2]]
        dx, dy = wall.end.x - wall.start.x, wall.end.y - wall.start.y
        length = math.hypot(dx, dy)
        if length == 0:
            return []
        reach = min(wall.thickness_mm or DEFAULT_WALL_MM, MAX_WALL_MM) / 2 + PROBE_MM
        nx, ny = -dy / length * reach, dx / length * reach
        found: list[str] = []
        for px, py in ((position.x + nx, position.y + ny), (position.x - nx, position.y - ny)):
            hits = self.tree.query(ShapelyPoint(px, py), predicate="intersects").tolist()
            if hits and self.ids[hits[0]] not in found:
                found.append(self.ids[hits[0]])
        return found


def _connects(door: ModelDoor, locate: _Locator) -> list[str]:
    """The spaces a door connects: the IFC's two, else those found beside its wall (the IFC's
    one first)."""
    known = [s for s in door.space_ids if s in locate.known]
    if len(known) == 2:
        return known
    for sid in locate.sides(door.wall_id, door.position):
        if sid not in known:
            known.append(sid)
    return known[:2]


def _room(space: ModelSpace, kind: RoomType, shape: Polygon) -> Room:
    # Built without validation (a model's space may lie outside the add-in's bounds) and
    # without its boundary: measure is given the outlines as polygons.
    return Room.model_construct(
        id=space.id,
        name=space.name,
        number="",
        type=kind,
        level_name="",
        boundary=[],
        area_m2=shape.area / 1e6,
    )


def _walls(walls: Iterable[ModelWall]) -> list[Wall]:
    """The storey's walls as the measures without swings and facades read them: their thickness
    only (the wall a room shares with another), one wall per thickness."""
    kinds: dict[tuple[float, bool], ModelWall] = {}
    for wall in walls:
        kinds.setdefault(
            (min(wall.thickness_mm or DEFAULT_WALL_MM, MAX_WALL_MM), bool(wall.is_exterior)), wall
        )
    return [_wall(w) for w in kinds.values()]


def _wall(wall: ModelWall) -> Wall:
    return Wall.model_construct(
        id=wall.id,
        start=Point3.model_construct(x=wall.start.x, y=wall.start.y, z=0.0),
        end=Point3.model_construct(x=wall.end.x, y=wall.end.y, z=0.0),
        thickness_mm=min(wall.thickness_mm or DEFAULT_WALL_MM, MAX_WALL_MM),
        height_mm=wall.height_mm or 0.0,
        wall_type_name="",
        level_name="",
        is_exterior=bool(wall.is_exterior),
    )


def _door(door: ModelDoor, connects: list[str]) -> Door:
    # Only what the measures without swings read: the rooms it connects, not a cased opening.
    return Door.model_construct(
        id=door.id,
        host_wall_id=door.wall_id or "",
        position_ratio=0.5,
        width_mm=door.clear_width_mm or 0.0,
        height_mm=door.height_mm or 0.0,
        family_name="Single-Flush",
        type_name="",
        connects=connects,
    )
