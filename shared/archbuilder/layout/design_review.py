"""What an architect checks on a plan that no building-code article covers.

``measure(payload, …)`` reads the payload alone (door ``connects`` and handing, room outlines,
windows on their walls) and returns plain numbers: the planner ranks its variants by them,
the bench reports them, and ``design_review`` turns them into checks with a status
(good / advice / problem), the measured value and one line of advice in the caller's
language. None of this is a building-code finding: the compliance report holds those.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import shapely
from pydantic import BaseModel
from shapely import STRtree
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import Polygon
from shapely.ops import unary_union

from archbuilder.domain.brief import BuildingType, RoomType, Side
from archbuilder.domain.layout import Door, LayoutPayload, Room, Wall
from archbuilder.layout.door_geometry import DoorGeometry, door_geometry
from archbuilder.layout.room_groups import CIRCULATION, HABITABLE, WET
from archbuilder.platform.i18n import DEFAULT_LANGUAGE, catalogue, decimal_text

SANITARY = frozenset({RoomType.bathroom, RoomType.wc})

ASPECT_ADVICE = 2.0  # habitable rooms: prefer at most 2 : 1
ASPECT_PROBLEM = 2.5  # and never more than 2.5 : 1
SERVICE_ASPECT_PROBLEM = 3.0  # a WC, bathroom or store longer than this is a corridor
CORRIDOR_SHARE_PCT = (8.0, 12.0)  # the aim for hall + corridor share of the net area
CORRIDOR_SHARE_PROBLEM_PCT = 18.0
SUN_BEARINGS = (120.0, 270.0)  # a living room wants a window facing south-east to west
# Bearing of each side's outward normal when north_deg is 0 (y grows to the north).
SIDE_BEARING = {Side.north: 0.0, Side.east: 90.0, Side.south: 180.0, Side.west: 270.0}

Status = Literal["good", "advice", "problem", "not_applicable"]


@dataclass
class Measures:
    """The plain numbers behind the design review of one payload."""

    has_circulation: bool = False
    entrance_room: str | None = None
    entrance_into_hall: bool | None = None  # None: the layout has no hall or corridor
    private_rooms: int = 0  # bedrooms, bathrooms and WCs
    through_room: list[str] = field(default_factory=list)  # private rooms reached through another room
    en_suites: list[str] = field(default_factory=list)  # bathrooms opening only into a bedroom
    swing_clashes: list[tuple[str, str]] = field(default_factory=list)  # (door, door or "wall")
    doors_from_circulation: int = 0
    swinging_into_room: int = 0
    aspects: dict[str, float] = field(default_factory=dict)  # habitable room id -> long / short
    service_aspects: dict[str, float] = field(default_factory=dict)  # the other rooms (not halls)
    corridor_share_pct: float | None = None
    wet_rooms: int = 0
    wet_grouped: int = 0  # wet rooms sharing a wall with another wet room
    living_sunlit: bool | None = None
    party_wall_openings: list[str] = field(default_factory=list)  # windows or doors on a party wall
    kitchen_beside_living: bool | None = None

    @property
    def worst_aspect(self) -> float:
        return max(self.aspects.values(), default=1.0)

    @property
    def strips(self) -> list[str]:
        """Service rooms (WC, bathroom, store …) so long and thin they are corridors."""
        return sorted(r for r, a in self.service_aspects.items() if a > SERVICE_ASPECT_PROBLEM)

    @property
    def swing_into_room_pct(self) -> float | None:
        if not self.doors_from_circulation:
            return None
        return 100.0 * self.swinging_into_room / self.doors_from_circulation


def measure(
    payload: LayoutPayload,
    building_type: BuildingType = BuildingType.apartment,
    north_deg: float = 0.0,
    party_walls: Iterable[Side] = (),
    *,
    swings: bool = True,
    facades: bool = True,
    outlines: dict[str, Polygon] | None = None,
) -> Measures:
    """Every measure of the review, from the payload (and the brief's orientation and party walls).

    ``swings=False``: the doors' handing is not known (an uploaded model), no swing measures;
    ``facades=False``: nor is north or the party walls, no sunlight or party-wall measures;
    ``outlines``: the rooms' outlines as polygons already made (then not read from the payload)."""
    rooms = {r.id: r for r in payload.rooms}
    shapes = outlines or {r.id: Polygon([(p.x, p.y) for p in r.boundary]) for r in payload.rooms}
    walls = {w.id: w for w in payload.walls}
    entry_types = CIRCULATION | (
        {RoomType.reception} if building_type == BuildingType.office else frozenset()
    )
    out = Measures(has_circulation=any(r.type in entry_types for r in payload.rooms))

    neighbours: dict[str, set[str]] = {r: set() for r in rooms}
    for door in payload.doors:
        if len(door.connects) == 2:
            a, b = door.connects
            neighbours.setdefault(a, set()).add(b)
            neighbours.setdefault(b, set()).add(a)
        elif door.connects and out.entrance_room is None:
            out.entrance_room = door.connects[0]
    if out.has_circulation and out.entrance_room in rooms:
        out.entrance_into_hall = rooms[out.entrance_room].type in entry_types

    _access(out, rooms, neighbours, entry_types)
    if swings:
        _doors(out, payload.doors, walls, rooms, shapes)
    out.aspects = {r.id: _aspect(shapes[r.id]) for r in payload.rooms if r.type in HABITABLE}
    _open_spaces(out, payload, shapes)
    out.service_aspects = {
        r.id: _aspect(shapes[r.id]) for r in payload.rooms if r.type not in HABITABLE | CIRCULATION
    }
    total = sum(r.area_m2 for r in payload.rooms)
    if total > 0:
        share = sum(r.area_m2 for r in payload.rooms if r.type in CIRCULATION)
        out.corridor_share_pct = round(100.0 * share / total, 1)
    _wet(out, payload, shapes)
    if facades:
        _facades(out, payload, walls, shapes, north_deg, set(party_walls))
    kitchens = [r.id for r in payload.rooms if r.type == RoomType.kitchen]
    living = [r.id for r in payload.rooms if r.type in (RoomType.living_room, RoomType.dining_room)]
    if kitchens and living:
        out.kitchen_beside_living = any(neighbours.get(k, set()) & set(living) for k in kitchens) or bool(
            _sharing_wall(shapes, kitchens, living, _interior_thickness(payload))
        )
    return out


def _access(
    out: Measures,
    rooms: dict[str, Room],
    neighbours: dict[str, set[str]],
    entry_types: frozenset[RoomType],
) -> None:
    """Bedrooms from the hall; bathrooms from the hall or only from a bedroom (en-suite)."""
    for room in rooms.values():
        if room.type not in (RoomType.bedroom, *SANITARY):
            continue
        out.private_rooms += 1
        if not out.has_circulation:
            continue
        near = [rooms[n].type for n in neighbours.get(room.id, set()) if n in rooms]
        if any(t in entry_types for t in near):
            continue
        if room.type in SANITARY and near and all(t == RoomType.bedroom for t in near):
            out.en_suites.append(room.id)
            continue
        out.through_room.append(room.id)
    if out.entrance_room not in rooms:
        return
    # Every other room: reachable from the front door without walking through a bedroom,
    # bathroom or WC (a kitchen behind the bathroom, a living room behind a bedroom).
    private = {rid for rid, r in rooms.items() if r.type in (RoomType.bedroom, *SANITARY)}
    reached, queue = {out.entrance_room}, [out.entrance_room]
    while queue:
        current = queue.pop()
        if current in private and current != out.entrance_room:
            continue
        for nxt in neighbours.get(current, set()) - reached:
            reached.add(nxt)
            queue.append(nxt)
    out.through_room += sorted(rid for rid in rooms if rid not in reached and rid not in private)


def _doors(
    out: Measures,
    doors: Sequence[Door],
    walls: dict[str, Wall],
    rooms: dict[str, Room],
    shapes: dict[str, Polygon],
) -> None:
    """Swings that overlap, cross a doorway or leave their room; doors from the hall into rooms."""
    placed: list[tuple[Door, DoorGeometry, str | None]] = []
    for door in doors:
        wall = walls.get(door.host_wall_id)
        if wall is None or door.is_opening:  # a cased opening has no leaf to clash
            continue
        geometry = door_geometry(door, wall)
        into = door.opens_into or _room_at(shapes, geometry.probe(wall.thickness_mm / 2 + 300))
        placed.append((door, geometry, into))
        if len(door.connects) == 2:
            kinds = [rooms[c].type in CIRCULATION for c in door.connects if c in rooms]
            if len(kinds) == 2 and kinds.count(True) == 1:
                out.doors_from_circulation += 1
                target = next(c for c in door.connects if rooms[c].type not in CIRCULATION)
                out.swinging_into_room += into == target
    for i, (door, geometry, into) in enumerate(placed):
        room = shapes.get(into or "")
        if room is not None and geometry.leaves(room):
            out.swing_clashes.append((door.id, "wall"))
        for other, other_geometry, _ in placed[i + 1 :]:
            if geometry.clashes_with(other_geometry):
                out.swing_clashes.append((door.id, other.id))


def _room_at(shapes: dict[str, Polygon], point: tuple[float, float]) -> str | None:
    probe = ShapelyPoint(point)
    return next((rid for rid, shape in shapes.items() if shape.covers(probe)), None)


def _aspect(shape: Polygon) -> float:
    """Long side over short side of the smallest rectangle around the room."""
    rect = shape.minimum_rotated_rectangle
    if not isinstance(rect, Polygon):
        return math.inf
    coords = list(rect.exterior.coords)
    a, b = math.dist(coords[0], coords[1]), math.dist(coords[1], coords[2])
    return round(max(a, b) / min(a, b), 2) if min(a, b) > 0 else math.inf


def _interior_thickness(payload: LayoutPayload) -> float:
    return max((w.thickness_mm for w in payload.walls if not w.is_exterior), default=100.0)


def _open_spaces(out: Measures, payload: LayoutPayload, shapes: dict[str, Polygon]) -> None:
    """An open kitchen and the room it opens into (a cased opening, no leaf) are lived in as one
    space: a galley along the living room is a kitchen wall, not a corridor. Each of the two
    is judged by the better of its own proportions and those of the space they make."""
    reach = _interior_thickness(payload) / 2 + 15
    for door in payload.doors:
        if not door.is_opening or len(door.connects) != 2:
            continue
        a, b = door.connects
        if a not in out.aspects or b not in out.aspects:
            continue
        space = unary_union(
            [shapes[a].buffer(reach, join_style="mitre"), shapes[b].buffer(reach, join_style="mitre")]
        )
        if not isinstance(space, Polygon):
            continue
        together = _aspect(space)
        for room in (a, b):
            out.aspects[room] = min(out.aspects[room], together)


def _sharing_wall(
    shapes: dict[str, Polygon], rooms: list[str], others: list[str], thickness: float
) -> set[str]:
    """The ``rooms`` on either side of one wall from one of ``others`` (not themselves), along
    at least 300 mm of it. Each outline grown once, pairs from a spatial index: a model's storey
    may have thousands of rooms."""
    reach = thickness / 2 + 15
    grown = dict(
        zip(
            rooms + others,
            shapely.buffer([shapes[r] for r in rooms + others], reach, join_style="mitre"),
            strict=True,
        )
    )
    tree = STRtree([grown[b] for b in others])
    found: set[str] = set()
    for i, j in zip(*tree.query([grown[a] for a in rooms], predicate="intersects"), strict=True):
        a, b = rooms[int(i)], others[int(j)]
        if a != b and a not in found and grown[a].intersection(grown[b]).area / (2 * reach) >= 300:
            found.add(a)
    return found


def _wet(out: Measures, payload: LayoutPayload, shapes: dict[str, Polygon]) -> None:
    wet = [r.id for r in payload.rooms if r.type in WET]
    out.wet_rooms = len(wet)
    if len(wet) < 2:
        return
    out.wet_grouped = len(_sharing_wall(shapes, wet, wet, _interior_thickness(payload)))


def _outward_bearing(wall: Wall, inside: tuple[float, float], north_deg: float) -> float:
    """Compass bearing of the wall's outward normal (away from ``inside``)."""
    dx, dy = wall.end.x - wall.start.x, wall.end.y - wall.start.y
    nx, ny = -dy, dx
    mx, my = (wall.start.x + wall.end.x) / 2, (wall.start.y + wall.end.y) / 2
    if (inside[0] - mx) * nx + (inside[1] - my) * ny > 0:
        nx, ny = -nx, -ny
    return (math.degrees(math.atan2(nx, ny)) + north_deg) % 360


def _facades(
    out: Measures,
    payload: LayoutPayload,
    walls: dict[str, Wall],
    shapes: dict[str, Polygon],
    north_deg: float,
    party_walls: set[Side],
) -> None:
    """Living-room sun and openings on party walls."""
    if not payload.rooms:
        return
    centre = unary_union(list(shapes.values())).centroid
    middle = (centre.x, centre.y)
    party = {w.id for w in payload.walls if w.is_exterior and _faces(w, middle, party_walls)}
    out.party_wall_openings = [n.id for n in payload.windows if n.host_wall_id in party]
    out.party_wall_openings += [
        d.id for d in payload.doors if len(d.connects) == 1 and d.host_wall_id in party
    ]
    living = [r for r in payload.rooms if r.type == RoomType.living_room]
    if not living:
        return
    out.living_sunlit = False
    for window in payload.windows:
        wall = walls.get(window.host_wall_id)
        room = next((r for r in living if r.id == window.room_id), None)
        if wall is None or room is None:
            continue
        c = shapes[room.id].centroid
        bearing = _outward_bearing(wall, (c.x, c.y), north_deg)
        if SUN_BEARINGS[0] <= bearing <= SUN_BEARINGS[1]:
            out.living_sunlit = True


def _faces(wall: Wall, middle: tuple[float, float], sides: set[Side]) -> bool:
    """An exterior wall whose outward normal faces one of ``sides`` (in plan axes, ±45°)."""
    if not sides:
        return False
    bearing = _outward_bearing(wall, middle, 0.0)
    return any(abs((bearing - SIDE_BEARING[s] + 180) % 360 - 180) < 45 for s in sides)


# --------------------------------------------------------------------------- the review


class ReviewCheck(BaseModel):
    id: str
    status: Status
    value: float | None = None
    unit: str | None = None
    target: str | None = None
    rooms: list[str] = []
    message_key: str  # the message's key in platform/messages/design_review.yaml
    message: str = ""  # the advice in the review's language


class DesignReview(BaseModel):
    """Design quality next to code compliance: advice, not building-code findings."""

    checks: list[ReviewCheck]
    summary: dict[str, int]


def design_review(
    payload: LayoutPayload,
    language: str,
    building_type: BuildingType = BuildingType.apartment,
    north_deg: float = 0.0,
    party_walls: Iterable[Side] = (),
) -> DesignReview:
    """The review of one layout in ``language`` (tr, en, de, fr, es)."""
    names = {r.id: r.name for r in payload.rooms}
    rendered = [
        c.model_copy(update={"message": check_message(c.message_key, language, c.rooms, c.value, names)})
        for c in review_checks(payload, building_type, north_deg, party_walls)
    ]
    return DesignReview(checks=rendered, summary=summary_of(rendered))


def review_checks(
    payload: LayoutPayload,
    building_type: BuildingType = BuildingType.apartment,
    north_deg: float = 0.0,
    party_walls: Iterable[Side] = (),
) -> list[ReviewCheck]:
    """The checks of the review without their words (``message_key`` says which they are)."""
    m = measure(payload, building_type, north_deg, party_walls)
    return checks_of(m, {r.id: r.name for r in payload.rooms}, party_walls)


def checks_of(m: Measures, names: dict[str, str], party_walls: Iterable[Side] = ()) -> list[ReviewCheck]:
    """The checks of the review from its measures."""
    return [
        _entrance_check(m, names),
        _access_check(m, names),
        _clash_check(m),
        _swing_check(m),
        _aspect_check(m, names),
        _corridor_check(m),
        _wet_check(m),
        _sun_check(m),
        _kitchen_check(m),
        _party_check(m, party_walls),
    ]


def summary_of(checks: Iterable[Any]) -> dict[str, int]:
    """How many checks are good, advice and problem."""
    statuses = [c.status for c in checks]
    return {s: statuses.count(s) for s in ("good", "advice", "problem")}


def _check(id_: str, status: Status, **kw: Any) -> ReviewCheck:
    """A check whose message is the catalogue entry ``<id>.<status>``."""
    return ReviewCheck(id=id_, status=status, message_key=f"{id_}.{status}", **kw)


def _entrance_check(m: Measures, names: dict[str, str]) -> ReviewCheck:
    rooms = [m.entrance_room] if m.entrance_room else []
    if m.entrance_into_hall is None:
        return _check("entrance_into_hall", "not_applicable", rooms=rooms)
    status: Status = "good" if m.entrance_into_hall else "problem"
    return _check("entrance_into_hall", status, value=float(m.entrance_into_hall), rooms=rooms)


def _access_check(m: Measures, names: dict[str, str]) -> ReviewCheck:
    if not m.has_circulation or not m.private_rooms:
        return _check("private_access", "not_applicable")
    status: Status = "problem" if m.through_room else "good"
    return _check("private_access", status, value=len(m.through_room), unit="rooms", rooms=m.through_room)


def _clash_check(m: Measures) -> ReviewCheck:
    doors = sorted({d for pair in m.swing_clashes for d in pair if d != "wall"})
    status: Status = "problem" if m.swing_clashes else "good"
    return _check("door_swings", status, value=len(m.swing_clashes), unit="clashes", rooms=doors)


def _swing_check(m: Measures) -> ReviewCheck:
    pct = m.swing_into_room_pct
    if pct is None:
        return _check("swing_into_room", "not_applicable")
    status: Status = "good" if pct >= 90 else "advice"
    return _check("swing_into_room", status, value=round(pct, 1), unit="%", target="≥ 90 %")


def _aspect_check(m: Measures, names: dict[str, str]) -> ReviewCheck:
    if not m.aspects and not m.strips:
        return _check("proportions", "not_applicable")
    worst = m.worst_aspect
    long_rooms = [r for r, a in m.aspects.items() if a > ASPECT_ADVICE]
    status: Status = "problem" if worst > ASPECT_PROBLEM else "advice" if worst > ASPECT_ADVICE else "good"
    if m.strips and status != "problem":
        strip = max(m.service_aspects[r] for r in m.strips)
        check = _check(
            "proportions_strip", "advice", value=strip, unit=": 1", target="≤ 3 : 1", rooms=m.strips
        )
        return check.model_copy(update={"id": "proportions"})
    return _check("proportions", status, value=worst, unit=": 1", target="≤ 2 : 1", rooms=long_rooms)


def _corridor_check(m: Measures) -> ReviewCheck:
    share = m.corridor_share_pct
    if share is None or not m.has_circulation:
        return _check("corridor_share", "not_applicable")
    lo, hi = CORRIDOR_SHARE_PCT
    status: Status = (
        "good" if lo <= share <= hi else "problem" if share > CORRIDOR_SHARE_PROBLEM_PCT else "advice"
    )
    key = "corridor_share_low" if share < lo else "corridor_share"
    check = _check(key, status, value=share, unit="%", target=f"{lo:g}–{hi:g} %")
    return check.model_copy(update={"id": "corridor_share"})


def _wet_check(m: Measures) -> ReviewCheck:
    if m.wet_rooms < 2:
        return _check("wet_grouping", "not_applicable")
    status: Status = "good" if m.wet_grouped == m.wet_rooms else "advice"
    check = _check("wet_grouping", status, value=m.wet_grouped, unit=f"/ {m.wet_rooms}")
    if m.wet_grouped == 0:  # "only 0 of the wet rooms" reads badly: say none does
        return check.model_copy(update={"message_key": "wet_grouping_none.advice"})
    return check


def _sun_check(m: Measures) -> ReviewCheck:
    if m.living_sunlit is None:
        return _check("living_daylight", "not_applicable")
    return _check("living_daylight", "good" if m.living_sunlit else "advice")


def _kitchen_check(m: Measures) -> ReviewCheck:
    if m.kitchen_beside_living is None:
        return _check("kitchen_living", "not_applicable")
    return _check("kitchen_living", "good" if m.kitchen_beside_living else "advice")


def _party_check(m: Measures, party_walls: Iterable[Side]) -> ReviewCheck:
    if not list(party_walls):
        return _check("party_walls", "not_applicable")
    status: Status = "problem" if m.party_wall_openings else "good"
    return _check(
        "party_walls", status, value=len(m.party_wall_openings), unit="openings", rooms=m.party_wall_openings
    )


def check_message(
    key: str, language: str, rooms: Sequence[str], value: float | None, names: dict[str, str]
) -> str:
    """A check's message in ``language``: the catalogue entry ``key`` with the rooms' names and
    the measured value written as the reader writes numbers."""
    entry = catalogue("design_review").get(key, {})
    template = entry.get(language) or entry.get(DEFAULT_LANGUAGE) or key
    listed = ", ".join(names.get(r, r) for r in rooms)
    return template.format(rooms=listed, value="" if value is None else decimal_text(value, language))
