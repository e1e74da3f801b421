"""spine-v2: a constructive floor planner.

It works on the exterior-wall centreline polygon (the footprint offset inwards by half the
exterior wall) and splits it into rectangular cells, one per room:

1. The polygon is decomposed into rectangles (zones); the largest is the main zone, the
   others are wings.
2. In the main zone a circulation spine (the brief's hall or corridor) runs along one axis;
   the bands on either side of it, and optionally a cap across one end, are slots.
   Each wing is one slot, cut into strips that all touch the zone it hangs from.
3. Rooms are shared out over the slots (greedily for a few seeded room orders, and wings
   first with the room sets whose targets best match their area), then the spine position
   and cap depth are moved so every slot of the main zone gives its rooms the same share of
   their targets, and each slot is cut in proportion to the target areas (never below a
   room's minimum). Every frame (spine axis, position, cap) and share-out is scored on area
   error, proportions, the entrance and how rooms are reached; the best one that passes
   ``validate_layout`` and ``validate_rules`` is returned.
4. Doors follow a cheapest-path tree over the cell adjacency from the entrance room, so
   rooms are reached through the hall or living spaces rather than through bedrooms.

Walls, doors and windows are derived from the cells; room outlines are the cells minus
the walls (shapely), so they are exact where a side is part exterior, part interior.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import combinations
from typing import Any, NamedTuple

from shapely.geometry import Polygon, box
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from archbuilder.domain.brief import AdjacencyKind, Brief, BuildingType, RoomType, Side
from archbuilder.domain.layout import (
    Door,
    LayoutPayload,
    Level,
    PlanResult,
    Point,
    Point3,
    Room,
    Wall,
    Window,
)
from archbuilder.layout.programme import (
    MIN_ROOM_AREA_M2,
    PlannedRoom,
    check_programme_fits,
    default_room_name,
    expand_programme,
    needs_added_corridor,
    region_minimums,
    rooms_matching,
)
from archbuilder.layout.room_minimums import RoomMinimum
from archbuilder.layout.validation import validate_layout, validate_rules
from archbuilder.platform.errors import Unprocessable

EPS = 0.5  # mm: coordinates closer than this are the same
GRID_MM = 10.0  # cut positions snap to this grid
LEVEL_NAME = "Level 1"

DOOR_WIDTH_MM = 900.0
ENTRANCE_WIDTH_MM = 1000.0
DOOR_HEIGHT_MM = 2100.0
DOOR_TYPE = "0915 x 2134mm"
ENTRANCE_DOOR_TYPE = "1015 x 2134mm"
DOOR_OVERLAP_MARGIN_MM = 150.0  # shared centreline run >= door + 2 x this
DOOR_CLEAR_MARGIN_MM = 100.0  # and the opening stays this far from the wall faces at its ends
WINDOW_MARGIN_MM = 150.0

SPINE_NET_MM = {BuildingType.apartment: 1200.0, BuildingType.house: 1200.0, BuildingType.office: 1500.0}
MIN_BAND_MM = 1800.0  # thinnest band (centreline) worth cutting into rooms
CAP_DEPTHS_MM = (3600.0, 4800.0)
SPINE_FRACTIONS = (0.3, 0.4, 0.5, 0.6, 0.7)
ROOM_ORDERS_PER_FRAME = 8
FULLY_SCORED = 40

HABITABLE = frozenset(
    {
        RoomType.living_room,
        RoomType.bedroom,
        RoomType.kitchen,
        RoomType.dining_room,
        RoomType.office,
        RoomType.meeting_room,
        RoomType.reception,
    }
)
WET = frozenset({RoomType.bathroom, RoomType.wc, RoomType.laundry})
CIRCULATION = frozenset({RoomType.hall, RoomType.corridor})
PRIVATE = frozenset({RoomType.bedroom, RoomType.bathroom, RoomType.wc})
PRIVATE_ENTRY_COST = 12.0  # entering a bedroom or bathroom from a room rather than the hall
LARGE_WINDOW = frozenset({RoomType.living_room, RoomType.meeting_room, RoomType.reception})

# Net width below which a room is penalised (the hard minimum is PlannedRoom.min_width_mm).
PREFERRED_WIDTH_MM: dict[RoomType, float] = {
    RoomType.living_room: 3600.0,
    RoomType.dining_room: 2800.0,
    RoomType.kitchen: 2200.0,
    RoomType.bedroom: 2800.0,
    RoomType.bathroom: 1700.0,
    RoomType.wc: 1200.0,
    RoomType.hall: 1200.0,
    RoomType.corridor: 1200.0,
    RoomType.storage: 1200.0,
    RoomType.laundry: 1500.0,
    RoomType.office: 2600.0,
    RoomType.meeting_room: 3000.0,
    RoomType.reception: 3000.0,
    RoomType.technical: 1500.0,
}
# Cost of walking through a room to reach another: private rooms are dead ends.
THROUGH_COST: dict[RoomType, float] = {
    RoomType.hall: 0.0,
    RoomType.corridor: 0.0,
    RoomType.living_room: 1.0,
    RoomType.dining_room: 1.0,
    RoomType.reception: 1.0,
    RoomType.kitchen: 2.0,
    RoomType.office: 4.0,
    RoomType.meeting_room: 4.0,
    RoomType.storage: 6.0,
    RoomType.laundry: 6.0,
    RoomType.technical: 6.0,
    RoomType.bedroom: 20.0,
    RoomType.bathroom: 30.0,
    RoomType.wc: 30.0,
}
# Order of rooms along a slot, from the entrance end: public rooms first, wet rooms together.
SLOT_RANK: dict[RoomType, int] = {
    t: i
    for i, t in enumerate(
        [
            RoomType.reception,
            RoomType.living_room,
            RoomType.dining_room,
            RoomType.kitchen,
            RoomType.laundry,
            RoomType.wc,
            RoomType.bathroom,
            RoomType.storage,
            RoomType.technical,
            RoomType.meeting_room,
            RoomType.office,
            RoomType.bedroom,
            RoomType.hall,
            RoomType.corridor,
        ]
    )
}
ENTRANCE_ROOM_PENALTY: dict[RoomType, float] = {
    RoomType.hall: 0.0,
    RoomType.corridor: 0.0,
    RoomType.reception: 0.3,
    RoomType.living_room: 0.6,
    RoomType.dining_room: 1.0,
    RoomType.kitchen: 1.5,
    RoomType.office: 1.5,
    RoomType.meeting_room: 1.5,
    RoomType.storage: 3.0,
    RoomType.laundry: 3.0,
    RoomType.technical: 3.0,
    RoomType.bedroom: 4.0,
    RoomType.bathroom: 5.0,
    RoomType.wc: 5.0,
}


# --------------------------------------------------------------------------- geometry


class Rect(NamedTuple):
    """An axis-aligned rectangle (a NamedTuple: hashed and compared fast in the search)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def area(self) -> float:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    def lo(self, axis: str) -> float:
        return self.x0 if axis == "x" else self.y0

    def hi(self, axis: str) -> float:
        return self.x1 if axis == "x" else self.y1

    def size(self, axis: str) -> float:
        return self.hi(axis) - self.lo(axis)

    def with_span(self, axis: str, lo: float, hi: float) -> Rect:
        if axis == "x":
            return Rect(lo, self.y0, hi, self.y1)
        return Rect(self.x0, lo, self.x1, hi)

    def sides(self) -> list[tuple[bool, float, float, float, Side]]:
        """(horizontal, coord, lo, hi, facing) for the four sides."""
        return [
            (True, self.y0, self.x0, self.x1, Side.south),
            (True, self.y1, self.x0, self.x1, Side.north),
            (False, self.x0, self.y0, self.y1, Side.west),
            (False, self.x1, self.y0, self.y1, Side.east),
        ]


def _other(axis: str) -> str:
    return "y" if axis == "x" else "x"


def _snap(value: float) -> float:
    return round(value / GRID_MM) * GRID_MM


@dataclass(frozen=True)
class _Run:
    """A straight piece of wall centreline: horizontal (y = coord) or vertical (x = coord)."""

    horizontal: bool
    coord: float
    lo: float
    hi: float

    @property
    def length(self) -> float:
        return self.hi - self.lo

    def point(self, along: float) -> tuple[float, float]:
        return (along, self.coord) if self.horizontal else (self.coord, along)


@dataclass(frozen=True)
class _Edge:
    """One edge of the centreline polygon: one exterior wall."""

    index: int
    run: _Run
    facing: Side
    start: tuple[float, float]
    end: tuple[float, float]


def _line_key(horizontal: bool, coord: float) -> tuple[bool, float]:
    return horizontal, round(coord, 1)


@dataclass
class _Site:
    """The footprint and its exterior-wall centreline polygon."""

    footprint: Polygon
    centre: Polygon
    edges: list[_Edge]
    t_ext: float
    t_int: float
    by_line: dict[tuple[bool, float], list[_Edge]] = field(default_factory=dict)
    vertices: set[tuple[float, float]] = field(default_factory=set)
    inset_cache: dict[Rect, dict[Side, float]] = field(default_factory=dict)
    net_cache: dict[Rect, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def build(cls, brief: Brief) -> _Site:
        assert brief.footprint is not None
        footprint = Polygon(brief.footprint.points())
        shrunk = footprint.buffer(-brief.exterior_wall_mm / 2, join_style="mitre")
        if not isinstance(shrunk, Polygon) or shrunk.is_empty:
            raise Unprocessable(
                code="PROGRAMME_DOES_NOT_FIT", reason="the footprint is too narrow for its walls"
            )
        centre = orient(Polygon(_clean_ring(list(shrunk.exterior.coords))), 1.0)
        edges = _edges(centre)
        site = cls(footprint, centre, edges, brief.exterior_wall_mm, brief.interior_wall_mm)
        for edge in edges:
            site.by_line.setdefault(_line_key(edge.run.horizontal, edge.run.coord), []).append(edge)
            site.vertices.add(edge.start)
        return site

    def exterior_cover(
        self, horizontal: bool, coord: float, lo: float, hi: float
    ) -> list[tuple[_Edge, float, float]]:
        """Pieces of [lo, hi] on this line that lie on the exterior centreline."""
        pieces = []
        for edge in self.by_line.get(_line_key(horizontal, coord), []):
            a, b = max(lo, edge.run.lo), min(hi, edge.run.hi)
            if b - a > EPS:
                pieces.append((edge, a, b))
        return pieces

    def on_ring(self, point: tuple[float, float]) -> bool:
        x, y = point
        for key in ((True, round(y, 1)), (False, round(x, 1))):
            for edge in self.by_line.get(key, []):
                along = x if key[0] else y
                if edge.run.lo - EPS <= along <= edge.run.hi + EPS:
                    return True
        return False

    def end_half(self, point: tuple[float, float], along_exterior: bool) -> float:
        """Half thickness of the wall that ends a run at ``point``."""
        if along_exterior:
            return self.t_ext / 2 if _rounded(point) in self.vertices else self.t_int / 2
        return self.t_ext / 2 if self.on_ring(point) else self.t_int / 2

    def clear_span(self, run: _Run, along_exterior: bool) -> tuple[float, float]:
        """The part of a run between the faces of the walls at its ends."""
        lo = run.lo + self.end_half(run.point(run.lo), along_exterior)
        hi = run.hi - self.end_half(run.point(run.hi), along_exterior)
        return lo, hi


def _rounded(point: tuple[float, float]) -> tuple[float, float]:
    return round(point[0], 1), round(point[1], 1)


def _clean_ring(coords: list[tuple[float, ...]]) -> list[tuple[float, float]]:
    """Round to 0.1 mm and drop repeated and collinear points."""
    points = [_rounded((c[0], c[1])) for c in coords[:-1]]
    out: list[tuple[float, float]] = []
    for p in points:
        if not out or out[-1] != p:
            out.append(p)
    changed = True
    while changed and len(out) > 3:
        changed = False
        for i, p in enumerate(out):
            a, b = out[i - 1], out[(i + 1) % len(out)]
            if (a[0] == p[0] == b[0]) or (a[1] == p[1] == b[1]):
                del out[i]
                changed = True
                break
    return out


def _edges(centre: Polygon) -> list[_Edge]:
    """Edges of the CCW centreline ring, starting at the south-west-most vertex."""
    pts = [(float(x), float(y)) for x, y in centre.exterior.coords[:-1]]
    first = min(range(len(pts)), key=lambda i: (pts[i][1], pts[i][0]))
    pts = pts[first:] + pts[:first]
    edges = []
    for i, start in enumerate(pts):
        end = pts[(i + 1) % len(pts)]
        dx, dy = end[0] - start[0], end[1] - start[1]
        horizontal = abs(dy) < EPS
        if horizontal:
            run = _Run(True, start[1], min(start[0], end[0]), max(start[0], end[0]))
            facing = Side.south if dx > 0 else Side.north
        else:
            run = _Run(False, start[0], min(start[1], end[1]), max(start[1], end[1]))
            facing = Side.east if dy > 0 else Side.west
        edges.append(_Edge(i, run, facing, start, end))
    return edges


def _decompose(poly: Polygon) -> list[Rect]:
    """Rectangles covering the rectilinear polygon, as few and as large as slabs allow."""
    options = [_slabs(poly, "x"), _slabs(poly, "y")]
    return min(options, key=lambda rects: (-max(r.area for r in rects), len(rects)))


def _slabs(poly: Polygon, axis: str) -> list[Rect]:
    i = 0 if axis == "x" else 1
    cuts = sorted({round(c[i], 1) for c in poly.exterior.coords})
    minx, miny, maxx, maxy = poly.bounds
    rects: list[Rect] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        strip = box(a, miny - 1, b, maxy + 1) if axis == "x" else box(minx - 1, a, maxx + 1, b)
        piece = poly.intersection(strip)
        for part in getattr(piece, "geoms", [piece]):
            if isinstance(part, Polygon) and part.area > 1.0:
                rects.append(Rect(*(round(v, 1) for v in part.bounds)))
    return _merge_slabs(rects, axis)


def _merge_slabs(rects: list[Rect], axis: str) -> list[Rect]:
    """Join neighbouring slabs that have the same extent across the axis."""
    across = _other(axis)
    merged: list[Rect] = []
    for rect in sorted(rects, key=lambda r: (r.lo(across), r.lo(axis))):
        last = merged[-1] if merged else None
        if (
            last is not None
            and abs(last.lo(across) - rect.lo(across)) < EPS
            and abs(last.hi(across) - rect.hi(across)) < EPS
            and abs(last.hi(axis) - rect.lo(axis)) < EPS
        ):
            merged[-1] = last.with_span(axis, last.lo(axis), rect.hi(axis))
        else:
            merged.append(rect)
    return merged


def _shared_run(a: Rect, b: Rect) -> _Run | None:
    """The centreline run two touching cells share, if any."""
    for horizontal, (a_lo, a_hi), (b_lo, b_hi), (a_o0, a_o1), (b_o0, b_o1) in (
        (False, (a.x0, a.x1), (b.x0, b.x1), (a.y0, a.y1), (b.y0, b.y1)),
        (True, (a.y0, a.y1), (b.y0, b.y1), (a.x0, a.x1), (b.x0, b.x1)),
    ):
        for coord_a, coord_b in ((a_hi, b_lo), (a_lo, b_hi)):
            if abs(coord_a - coord_b) < EPS:
                lo, hi = max(a_o0, b_o0), min(a_o1, b_o1)
                if hi - lo > EPS:
                    return _Run(horizontal, coord_a, lo, hi)
    return None


# --------------------------------------------------------------------------- frames


@dataclass(frozen=True)
class _Slot:
    """A rectangle cut into rooms along ``axis``."""

    rect: Rect
    axis: str


@dataclass(frozen=True)
class _SpineCut:
    """How a spine frame was cut from the main zone, so its depths can be moved later."""

    main: Rect
    u: str  # the spine's long axis
    v_lo: float  # the spine's extent across u
    v_hi: float
    cap: str | None  # "lo" or "hi": the end of the main zone the cap takes, if any
    cap_depth: float
    min_len: float  # shortest spine that still reaches its minimum area


@dataclass(frozen=True)
class _Frame:
    spine: Rect | None
    slots: tuple[_Slot, ...]
    cut: _SpineCut | None = None


def _wing_slots(zones: list[Rect], main: Rect) -> list[_Slot]:
    """Each wing is cut into strips that all touch the zone it hangs from."""
    slots: list[_Slot] = []
    placed = [main]
    pending = [z for z in zones if z != main]
    while pending:
        for wing in pending:
            run = next((r for p in placed if (r := _shared_run(wing, p)) is not None), None)
            if run is not None:
                slots.append(_Slot(wing, "x" if run.horizontal else "y"))
                placed.append(wing)
                pending.remove(wing)
                break
        else:  # a zone touching nothing: the decomposition is broken
            raise Unprocessable(
                code="PROGRAMME_DOES_NOT_FIT", reason="the footprint could not be split into zones"
            )
    return slots


def _frames(site: _Site, spine_net: float | None, spine_min_len: float) -> list[_Frame]:
    zones = _decompose(site.centre)
    main = max(zones, key=lambda r: (r.area, -r.y0, -r.x0))
    wings = tuple(_wing_slots(zones, main))
    if spine_net is None:
        return [_Frame(None, (*slots, *wings)) for slots in _spineless_splits(main)]
    frames: list[_Frame] = []
    for u in ("x", "y"):
        for v_lo, v_hi in _spine_positions(site, main, _other(u), spine_net):
            for cap, depth in _spine_lengths(main, u, spine_min_len):
                cut = _SpineCut(main, u, v_lo, v_hi, cap, depth, spine_min_len)
                frames.append(_spine_frame(cut, wings))
    return frames


def _spine_frame(cut: _SpineCut, wings: tuple[_Slot, ...]) -> _Frame:
    """Bands either side of the spine, then the cap, then the wings (the slot order is fixed)."""
    main, u = cut.main, cut.u
    u_lo, u_hi = main.lo(u), main.hi(u)
    cap: list[_Slot] = []
    if cut.cap == "hi":
        u_hi -= cut.cap_depth
        cap.append(_Slot(main.with_span(u, u_hi, main.hi(u)), _other(u)))
    elif cut.cap == "lo":
        u_lo += cut.cap_depth
        cap.append(_Slot(main.with_span(u, main.lo(u), u_lo), _other(u)))
    spine = main.with_span(u, u_lo, u_hi).with_span(_other(u), cut.v_lo, cut.v_hi)
    return _Frame(spine, (*_band_slots(main, spine, u), *cap, *wings), cut)


def _spineless_splits(main: Rect) -> list[tuple[_Slot, ...]]:
    """The main zone as one row of rooms, or two rows side by side, along either axis."""
    splits: list[tuple[_Slot, ...]] = []
    for u in ("x", "y"):
        v = _other(u)
        splits.append((_Slot(main, u),))
        lo, hi = main.lo(v), main.hi(v)
        for f in SPINE_FRACTIONS:
            cut = _snap(lo + (hi - lo) * f)
            if cut - lo >= MIN_BAND_MM and hi - cut >= MIN_BAND_MM:
                splits.append((_Slot(main.with_span(v, lo, cut), u), _Slot(main.with_span(v, cut, hi), u)))
    return splits


def _spine_positions(site: _Site, main: Rect, v: str, spine_net: float) -> list[tuple[float, float]]:
    lo, hi = main.lo(v), main.hi(v)
    flush = spine_net + max(site.t_ext, site.t_int) / 2 + site.t_int / 2
    middle = spine_net + site.t_int
    positions = {(lo, _snap(lo + flush)), (_snap(hi - flush), hi)}
    room = hi - lo - middle
    for f in SPINE_FRACTIONS:
        start = _snap(lo + room * f)
        if start - lo >= MIN_BAND_MM and hi - (start + middle) >= MIN_BAND_MM:
            positions.add((start, start + middle))
    return sorted(p for p in positions if p[1] - p[0] < hi - lo - EPS or p == (lo, hi))


def _spine_lengths(main: Rect, u: str, min_len: float) -> list[tuple[str | None, float]]:
    """(cap end, cap depth): no cap, or a cap across either end of the main zone."""
    out: list[tuple[str | None, float]] = [(None, 0.0)]
    for depth in CAP_DEPTHS_MM:
        if main.size(u) - depth < min_len:
            continue
        out += [("hi", depth), ("lo", depth)]
    return out


def _band_slots(main: Rect, spine: Rect, u: str) -> list[_Slot]:
    v = _other(u)
    slots = []
    band = main.with_span(u, spine.lo(u), spine.hi(u))
    if spine.lo(v) - main.lo(v) > EPS:
        slots.append(_Slot(band.with_span(v, main.lo(v), spine.lo(v)), u))
    if main.hi(v) - spine.hi(v) > EPS:
        slots.append(_Slot(band.with_span(v, spine.hi(v), main.hi(v)), u))
    return slots


# --------------------------------------------------------------------------- sizing


@dataclass
class _Job:
    """Everything the search needs about the brief."""

    site: _Site
    rooms: dict[str, PlannedRoom]
    spine_key: str | None
    entrance_side: Side | None
    entrance_point: tuple[float, float] | None
    seed: int
    minimums: dict[RoomType, RoomMinimum] = field(default_factory=dict)
    wishes: tuple[_Wish, ...] = ()
    north_deg: float = 0.0

    @property
    def others(self) -> list[PlannedRoom]:
        return [r for r in self.rooms.values() if r.key != self.spine_key]

    @cached_property
    def entrance_ref(self) -> tuple[float, float]:
        """Where the entrance is wanted: the given point or the middle of the entrance side."""
        if self.entrance_point is not None:
            return self.entrance_point
        x0, y0, x1, y1 = self.site.centre.bounds
        assert self.entrance_side is not None
        return {
            Side.south: ((x0 + x1) / 2, y0),
            Side.north: ((x0 + x1) / 2, y1),
            Side.west: (x0, (y0 + y1) / 2),
            Side.east: (x1, (y0 + y1) / 2),
        }[self.entrance_side]


def _insets(site: _Site, rect: Rect) -> dict[Side, float]:
    """Half wall thickness eaten from each side of a cell (exterior share weighted)."""
    cached = site.inset_cache.get(rect)
    if cached is not None:
        return cached
    out = {}
    for horizontal, coord, lo, hi, facing in rect.sides():
        covered = sum(b - a for _, a, b in site.exterior_cover(horizontal, coord, lo, hi))
        share = covered / (hi - lo) if hi > lo else 0.0
        out[facing] = share * site.t_ext / 2 + (1 - share) * site.t_int / 2
    site.inset_cache[rect] = out
    return out


def _net_size(site: _Site, rect: Rect) -> tuple[float, float]:
    """Net width and depth of a cell: the centreline rectangle less half its walls."""
    size = site.net_cache.get(rect)
    if size is None:
        ins = _insets(site, rect)
        size = (
            rect.x1 - rect.x0 - ins[Side.west] - ins[Side.east],
            rect.y1 - rect.y0 - ins[Side.south] - ins[Side.north],
        )
        site.net_cache[rect] = size
    return size


def _water_fill(total: float, minimums: list[float], weights: list[float]) -> list[float] | None:
    """Split ``total`` in proportion to weights, giving each share at least its minimum."""
    if sum(minimums) > total:
        return None
    fixed = [False] * len(weights)
    while True:
        free_weight = sum(w for w, f in zip(weights, fixed, strict=True) if not f)
        free_total = total - sum(m for m, f in zip(minimums, fixed, strict=True) if f)
        shares = [
            minimums[i] if fixed[i] else free_total * weights[i] / free_weight for i in range(len(weights))
        ]
        short = [i for i, s in enumerate(shares) if not fixed[i] and s < minimums[i]]
        if not short:
            return shares
        for i in short:
            fixed[i] = True


def _cut_slot(site: _Site, slot: _Slot, rooms: list[PlannedRoom]) -> list[Rect] | None:
    """Cut a slot into one cell per room, areas in proportion to targets, none under its minimum."""
    axis, rect = slot.axis, slot.rect
    net_w, net_h = _net_size(site, rect)
    depth = net_h if axis == "x" else net_w
    total = (net_w if axis == "x" else net_h) - (len(rooms) - 1) * site.t_int
    if depth <= 0 or total <= 0:
        return None
    minimums = [_min_length(site, r, depth) for r in rooms]
    lengths = _water_fill(total, minimums, [r.target_area_m2 for r in rooms])
    if lengths is None:
        return None
    if len(rooms) == 1:
        return [rect]
    ins = _insets(site, rect)
    first = ins[Side.west] if axis == "x" else ins[Side.south]
    cells = []
    pos, lo = rect.lo(axis) + first, rect.lo(axis)
    for i, length in enumerate(lengths):
        pos += length
        hi = rect.hi(axis) if i == len(lengths) - 1 else _snap(pos + site.t_int / 2)
        cells.append(rect.with_span(axis, lo, hi))
        pos += site.t_int
        lo = hi
    return cells


@dataclass(frozen=True)
class _Fill:
    """A slot seen as net length x net depth around its rooms, for moving its depth."""

    length: float  # net length left for rooms once their n - 1 walls are taken
    depth: float  # net depth
    depth_inset: float  # centreline depth - net depth (half the walls on its long sides)
    target: float  # summed target area (m²) of its rooms, in mm²

    @classmethod
    def of(cls, site: _Site, slot: _Slot, rooms: list[PlannedRoom]) -> _Fill:
        w, h = _net_size(site, slot.rect)
        length, depth = (w, h) if slot.axis == "x" else (h, w)
        return cls(
            length=length - (len(rooms) - 1) * site.t_int,
            depth=depth,
            depth_inset=slot.rect.size(_other(slot.axis)) - depth,
            target=sum(r.target_area_m2 for r in rooms) * 1e6,
        )


def _tuned_frame(job: _Job, frame: _Frame, groups: list[list[PlannedRoom]]) -> _Frame | None:
    """The frame with its cap depth and spine position moved so that every main-zone slot
    gives its rooms the same share of their targets.

    A band shares its depth among all its rooms, so a band with spare area inflates every room
    in it while the other band squeezes its own: fitting the slots to the groups the share-out
    gave them removes most of that error. Wall insets are taken from the untuned slots, so
    the fit is closed-form (the search runs it for every share-out); the cells cut from the
    tuned frame are scored like any other. Wings keep their size: the footprint fixes it.
    """
    cut = frame.cut
    if cut is None:
        return None
    site, main, u = job.site, cut.main, cut.u
    v = _other(u)
    bands = sum(1 for s in frame.slots if s.axis == u and _inside(s.rect, main))
    fills = [_Fill.of(site, s, g) for s, g in zip(frame.slots[: bands + bool(cut.cap)], groups, strict=False)]
    if cut.cap:
        cap, band_fills = fills[bands], fills[:bands]
        # A band's usable length is b.length + (c0 - c) for cap depth c (c0: the untuned one).
        # Equal ratios: a * (c - cap.depth_inset) = (p - c * q) / total, linear in c.
        full = main.size(u)
        a = cap.length / cap.target
        total = sum(b.target for b in band_fills)
        p = sum(b.depth * (b.length + cut.cap_depth) for b in band_fills)
        q = sum(b.depth for b in band_fills)
        depth = (p / total + a * cap.depth_inset) / (a + q / total)
        widest = max(r.min_width_mm for r in groups[bands])
        depth = min(max(_snap(depth), MIN_BAND_MM, widest + site.t_ext), full - cut.min_len)
        fills = [replace(f, length=f.length - (depth - cut.cap_depth)) for f in band_fills] + [cap]
        cut = replace(cut, cap_depth=depth)
    if bands == 2:
        lo_band, hi_band = fills[0], fills[1]
        # Equal ratios: alpha * (s - lo - lo_band.depth_inset) = beta * (hi - s - w - hi_band.depth_inset)
        width = cut.v_hi - cut.v_lo
        alpha, beta = lo_band.length / lo_band.target, hi_band.length / hi_band.target
        lo, hi = main.lo(v) + lo_band.depth_inset, main.hi(v) - width - hi_band.depth_inset
        start = _snap((alpha * lo + beta * hi) / (alpha + beta))
        low = main.lo(v) + max(MIN_BAND_MM, max(r.min_width_mm for r in groups[0]) + site.t_ext)
        high = main.hi(v) - width - max(MIN_BAND_MM, max(r.min_width_mm for r in groups[1]) + site.t_ext)
        if low <= high:
            start = min(max(start, low), high)
            cut = replace(cut, v_lo=start, v_hi=start + width)
    if cut == frame.cut:
        return None
    return _spine_frame(cut, frame.slots[len(fills) :])


def _inside(rect: Rect, zone: Rect) -> bool:
    return (
        zone.x0 - EPS <= rect.x0
        and rect.x1 <= zone.x1 + EPS
        and zone.y0 - EPS <= rect.y0
        and rect.y1 <= zone.y1 + EPS
    )


# --------------------------------------------------------------------------- scoring


@dataclass
class _Candidate:
    frame: _Frame
    cells: dict[str, Rect]
    parts: dict[str, float]
    order: int
    plan: _Circulation | None = None

    @property
    def score(self) -> float:
        return sum(self.parts.values())


@dataclass
class _Circulation:
    entrance_key: str
    entrance_edge: _Edge
    entrance_centre: float
    parents: dict[str, tuple[str, _Run]]
    warnings: list[str]


def _group_rooms(job: _Job, frame: _Frame, order: list[PlannedRoom]) -> list[list[PlannedRoom]] | None:
    """Greedy share-out: each room goes to the slot with the most area still free that has
    length left for the room's minimum."""
    site, slots = job.site, frame.slots
    capacity = [_area(site, s.rect) for s in slots]
    depth = [_slot_depth(site, s) for s in slots]
    length = [_slot_length(site, s) for s in slots]
    total_target = sum(r.target_area_m2 for r in order)
    scale = sum(capacity) / total_target if total_target else 1.0
    load = [0.0] * len(slots)
    used = [-site.t_int] * len(slots)  # n rooms in a slot need n - 1 walls
    groups: list[list[PlannedRoom]] = [[] for _ in slots]
    for placed, room in enumerate(order):
        need = [_min_length(site, room, depth[i]) + site.t_int for i in range(len(slots))]
        fits = [
            i for i in range(len(slots)) if depth[i] >= room.min_width_mm and used[i] + need[i] <= length[i]
        ]
        empty = [i for i in fits if not groups[i]]
        # Leave no slot empty: once the rooms left only just cover the empty slots, fill those.
        pool = empty if len(order) - placed <= sum(1 for g in groups if not g) else fits
        if not pool:
            return None
        best = max(pool, key=lambda i: (capacity[i] - scale * (load[i] + room.target_area_m2), -i))
        groups[best].append(room)
        load[best] += room.target_area_m2
        used[best] += need[best]
    if any(not g for g in groups):
        return None
    return groups


def _min_length(site: _Site, room: PlannedRoom, depth: float) -> float:
    """Shortest net length along a slot of this net depth that gives the room its minimum."""
    # 1.5 % and 10 mm headroom absorb snapping and the exterior-share estimate of the wall insets
    # (measured: no candidate of the bench fails a minimum with it; 3 % put every room whose
    # target is its minimum, WCs and stores, 4-5 % over target).
    by_area = max(room.min_area_m2, MIN_ROOM_AREA_M2) * 1.015e6 / depth + 10
    return max(by_area, room.min_width_mm + 20)


def _slot_length(site: _Site, slot: _Slot) -> float:
    w, h = _net_size(site, slot.rect)
    return w if slot.axis == "x" else h


def _area(site: _Site, rect: Rect) -> float:
    w, h = _net_size(site, rect)
    return max(w, 0.0) * max(h, 0.0) / 1e6


def _slot_depth(site: _Site, slot: _Slot) -> float:
    w, h = _net_size(site, slot.rect)
    return h if slot.axis == "x" else w


def _order_in_slot(job: _Job, slot: _Slot, rooms: list[PlannedRoom], flip: bool) -> list[PlannedRoom]:
    """Public rooms at the end nearer the entrance, wet rooms next to each other."""
    ranked = sorted(rooms, key=lambda r: (SLOT_RANK[r.type], int(r.key[1:])))
    ranked = _chain_partners(job, ranked)
    ref = job.entrance_ref
    i = 0 if slot.axis == "x" else 1
    near_low = abs(ref[i] - slot.rect.lo(slot.axis)) <= abs(ref[i] - slot.rect.hi(slot.axis))
    if near_low == flip:
        ranked.reverse()
    return ranked


def _chain_partners(job: _Job, ranked: list[PlannedRoom]) -> list[PlannedRoom]:
    """Move the second room of each must/prefer wish right after the first, when both are here."""
    order = list(ranked)
    for wish in sorted(job.wishes, key=lambda w: w.kind != AdjacencyKind.must):
        if wish.kind == AdjacencyKind.avoid:
            continue
        keys = [r.key for r in order]
        pairs = [(a, b) for a in wish.keys_a for b in wish.keys_b if a != b and a in keys and b in keys]
        if not pairs or any(abs(keys.index(a) - keys.index(b)) == 1 for a, b in pairs):
            continue
        a, b = pairs[0]
        moved = order.pop(keys.index(b))
        order.insert([r.key for r in order].index(a) + 1, moved)
    return order


AREA_WEIGHT = 4.0


def _room_penalty(job: _Job, room: PlannedRoom, rect: Rect, scale: float) -> tuple[float, float] | None:
    """(area error, proportions) of one cell; None when the cell breaks a hard minimum."""
    w, h = _net_size(job.site, rect)
    short, long_ = min(w, h), max(w, h)
    area = w * h / 1e6
    # The cell estimate is within ~1 % of the final outline: keep a margin over the minimums.
    if area < max(room.min_area_m2, MIN_ROOM_AREA_M2) * 1.01 + 0.05 or short < room.min_width_mm + 10:
        return None
    # Area error against the brief's target (AREA_WEIGHT: it outranks a longer walk).
    if room.key == job.spine_key:
        area_penalty = AREA_WEIGHT * max(0.0, area / room.target_area_m2 - 1.25)
    else:
        area_penalty = AREA_WEIGHT * abs(area / room.target_area_m2 - 1.0)
    shape = 0.0
    preferred = max(PREFERRED_WIDTH_MM[room.type], room.min_width_mm)
    if short < preferred:
        shape += 3.0 * (preferred - short) / preferred
    if room.type not in CIRCULATION and long_ / short > 2.0:
        shape += 0.5 * (long_ / short - 2.0)  # no bowling-alley bedrooms
    return area_penalty, shape


def _layout_cells(
    job: _Job, frame: _Frame, groups: list[list[PlannedRoom]], flip: bool
) -> dict[str, Rect] | None:
    cells: dict[str, Rect] = {}
    if frame.spine is not None and job.spine_key is not None:
        cells[job.spine_key] = frame.spine
    for slot, group in zip(frame.slots, groups, strict=True):
        ordered = _order_in_slot(job, slot, group, flip)
        rects = _cut_slot(job.site, slot, ordered)
        if rects is None:
            return None
        cells.update({r.key: rect for r, rect in zip(ordered, rects, strict=True)})
    return cells


def _quick_score(job: _Job, cells: dict[str, Rect]) -> dict[str, float] | None:
    """Score parts that need no circulation: area error, proportions, adjacency, wet grouping."""
    others = [k for k in cells if k != job.spine_key]
    capacity = sum(_area(job.site, cells[k]) for k in others)
    scale = capacity / sum(job.rooms[k].target_area_m2 for k in others)
    parts = {"area": 0.0, "proportions": 0.0}
    for key, rect in cells.items():
        penalty = _room_penalty(job, job.rooms[key], rect, scale)
        if penalty is None:
            return None
        parts["area"] += penalty[0]
        parts["proportions"] += penalty[1]
    parts["adjacency"] = _adjacency_penalty(job, cells)
    parts["wet_grouping"] = _wet_penalty(job, cells)
    parts["daylight"] = _daylight_penalty(job, cells)
    return parts


@dataclass(frozen=True)
class _Wish:
    """An adjacency wish resolved to room keys."""

    a: str
    b: str
    kind: AdjacencyKind
    keys_a: tuple[str, ...]
    keys_b: tuple[str, ...]


def _touching(job: _Job, cells: dict[str, Rect], a: str, b: str, door: bool) -> _Run | None:
    run = _shared_run(cells[a], cells[b])
    if run is None or (door and not _door_capable(job.site, run, DOOR_WIDTH_MM, along_exterior=False)):
        return None
    return run


def wish_met(job: _Job, cells: dict[str, Rect], wish: _Wish) -> bool:
    """must/prefer: some pair shares a wall a door fits in; avoid: no pair shares a wall."""
    door = wish.kind != AdjacencyKind.avoid
    touching = any(
        _touching(job, cells, a, b, door) is not None for a in wish.keys_a for b in wish.keys_b if a != b
    )
    return touching != (wish.kind == AdjacencyKind.avoid)


WISH_WEIGHT = {AdjacencyKind.must: 25.0, AdjacencyKind.prefer: 1.5, AdjacencyKind.avoid: 1.5}


def _adjacency_penalty(job: _Job, cells: dict[str, Rect]) -> float:
    return sum(WISH_WEIGHT[w.kind] for w in job.wishes if not wish_met(job, cells, w))


def _wet_penalty(job: _Job, cells: dict[str, Rect]) -> float:
    """Wet rooms next to another wet room share a shaft: 0.4 per wet room standing alone."""
    wet = [k for k in cells if job.rooms[k].type in WET]
    if len(wet) < 2:
        return 0.0
    alone = sum(1 for a in wet if not any(b != a and _shared_run(cells[a], cells[b]) for b in wet))
    return 0.4 * alone


def _daylight_penalty(job: _Job, cells: dict[str, Rect]) -> float:
    """Living rooms want a window facing between south-east and west (true bearings)."""
    penalty = 0.0
    for key, rect in cells.items():
        if job.rooms[key].type != RoomType.living_room:
            continue
        bearings = [
            (FACING_DEG[edge.facing] + job.north_deg) % 360
            for edge, run in _exterior_runs(job.site, rect)
            if run.length >= 1500
        ]
        if not any(120 <= b <= 270 for b in bearings):
            penalty += 0.5
    return penalty


# Outward normal of a facade as a bearing when north_deg is 0 (y up = north).
FACING_DEG = {Side.north: 0.0, Side.east: 90.0, Side.south: 180.0, Side.west: 270.0}


def _door_capable(site: _Site, run: _Run, width: float, along_exterior: bool) -> bool:
    if run.length < width + 2 * DOOR_OVERLAP_MARGIN_MM and not along_exterior:
        return False
    lo, hi = site.clear_span(run, along_exterior)
    return hi - lo >= width + 2 * DOOR_CLEAR_MARGIN_MM


def _exterior_runs(site: _Site, rect: Rect) -> list[tuple[_Edge, _Run]]:
    runs = []
    for horizontal, coord, lo, hi, _ in rect.sides():
        for edge, a, b in site.exterior_cover(horizontal, coord, lo, hi):
            runs.append((edge, _Run(horizontal, coord, a, b)))
    return runs


def _entrance(job: _Job, cells: dict[str, Rect]) -> tuple[str, _Edge, float, float] | None:
    """Best (room key, exterior edge, door centre along it, penalty) for the entrance door."""
    site = job.site
    best: tuple[float, str, _Edge, float] | None = None
    facing_coords = [e.run.coord for e in site.edges if e.facing == job.entrance_side]
    extreme = (min if job.entrance_side in (Side.south, Side.west) else max)(facing_coords or [0.0])
    for key, rect in cells.items():
        room = job.rooms[key]
        for edge, run in _exterior_runs(site, rect):
            if not _door_capable(site, run, ENTRANCE_WIDTH_MM, along_exterior=True):
                continue
            lo, hi = site.clear_span(run, along_exterior=True)
            lo, hi = (
                lo + DOOR_CLEAR_MARGIN_MM + ENTRANCE_WIDTH_MM / 2,
                hi - DOOR_CLEAR_MARGIN_MM - ENTRANCE_WIDTH_MM / 2,
            )
            penalty = ENTRANCE_ROOM_PENALTY[room.type]
            if job.entrance_point is not None:
                px, py = job.entrance_point
                along = px if run.horizontal else py
                centre = min(max(along, lo), hi)
                cx, cy = run.point(centre)
                penalty += math.hypot(cx - px, cy - py) / 1000 * 0.5
            else:
                if edge.facing != job.entrance_side:
                    penalty += 8.0
                else:
                    penalty += abs(edge.run.coord - extreme) / 1000 * 0.3
                # Circulation gets the door in the middle; elsewhere it keeps to one end for the window.
                centre = (lo + hi) / 2 if room.type in CIRCULATION else lo
            if best is None or (penalty, key) < (best[0], best[1]):
                best = (penalty, key, edge, centre)
    if best is None:
        return None
    return best[1], best[2], best[3], best[0]


def _circulation(job: _Job, cells: dict[str, Rect]) -> tuple[_Circulation, float] | None:
    """Entrance and a cheapest-path door tree; None when some room cannot get a door."""
    entrance = _entrance(job, cells)
    if entrance is None:
        return None
    root, edge, centre, penalty = entrance
    links: dict[str, list[tuple[str, _Run]]] = defaultdict(list)
    keys = sorted(cells, key=lambda k: int(k[1:]))
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            run = _shared_run(cells[a], cells[b])
            if run is not None and _door_capable(job.site, run, DOOR_WIDTH_MM, along_exterior=False):
                links[a].append((b, run))
                links[b].append((a, run))
    dist = {root: 0.0}
    parents: dict[str, tuple[str, _Run]] = {}
    heap = [(0.0, int(root[1:]), root)]
    done: set[str] = set()
    while heap:
        d, _, key = heapq.heappop(heap)
        if key in done:
            continue
        done.add(key)
        through = 0.0 if key == root else THROUGH_COST[job.rooms[key].type]
        from_circulation = job.rooms[key].type in CIRCULATION
        for nxt, run in links[key]:
            private = job.rooms[nxt].type in PRIVATE
            nd = d + 1.0 + through + (0.0 if from_circulation or not private else PRIVATE_ENTRY_COST)
            if nd < dist.get(nxt, math.inf):
                dist[nxt] = nd
                parents[nxt] = (key, run)
                heapq.heappush(heap, (nd, int(nxt[1:]), nxt))
    if len(done) < len(cells):
        return None
    penalty += 0.1 * sum(dist.values())
    warnings = []
    if job.entrance_side is not None and edge.facing != job.entrance_side:
        warnings.append(f"the entrance could not be placed on the {job.entrance_side.value} side")
    return _Circulation(root, edge, centre, parents, warnings), penalty


def _window_penalty(job: _Job, cells: dict[str, Rect]) -> float:
    """Rooms whose exterior walls are too short for the glazing they need (or want)."""
    penalty = 0.0
    for key, rect in cells.items():
        room = job.rooms[key]
        need = _glazing_need_mm2(job, room, rect)
        if need is None:
            continue
        capacity = sum(
            max(0.0, run.length - job.site.t_ext - 2 * WINDOW_MARGIN_MM) * HABITABLE_WINDOW_H_MM
            for _, run in _exterior_runs(job.site, rect)
        )
        if capacity < need:
            penalty += 50.0 if _window_required(job, room) else 1.0
    return penalty


# --------------------------------------------------------------------------- search


def _candidates(job: _Job, frames: list[_Frame]) -> list[_Candidate]:
    rng = random.Random(job.seed)
    base = sorted(job.others, key=lambda r: (-r.target_area_m2, int(r.key[1:])))
    orders = [base]
    extra = ROOM_ORDERS_PER_FRAME if any(w.kind == AdjacencyKind.must for w in job.wishes) else 0
    for _ in range(ROOM_ORDERS_PER_FRAME - 1 + extra):
        order = list(base)
        rng.shuffle(order)
        orders.append(order)
    quick: list[_Candidate] = []
    wing_fits: dict[tuple[tuple[_Slot, ...], float], list[list[list[PlannedRoom]]]] = {}
    for frame in frames:
        seen: set[tuple[tuple[str, ...], ...]] = set()
        shares = [_group_rooms(job, frame, order) for order in orders]
        shares += _wing_first_groups(job, frame, orders[:WING_FIRST_ORDERS], wing_fits)
        for groups in shares:
            if groups is None:
                continue
            key = tuple(tuple(sorted(r.key for r in g)) for g in groups)
            if key in seen:
                continue
            seen.add(key)
            quick += _shaped(job, frame, groups, len(quick))
    quick.sort(key=lambda c: (c.score, c.order))
    scored: list[_Candidate] = []
    for cand in quick:
        if len(scored) >= FULLY_SCORED:
            break
        result = _circulation(job, cand.cells)
        if result is None:
            continue
        cand.plan, penalty = result
        cand.parts["circulation"] = penalty
        cand.parts["windows"] = _window_penalty(job, cand.cells)
        scored.append(cand)
    scored.sort(key=lambda c: (c.score, c.order))
    return scored


def _shaped(job: _Job, frame: _Frame, groups: list[list[PlannedRoom]], first: int) -> list[_Candidate]:
    """Candidates for one share-out: the frame fitted to the groups, else the frame as it is."""
    out: list[_Candidate] = []
    tuned = _tuned_frame(job, frame, groups)
    for shape in (frame,) if tuned is None else (tuned, frame):
        for flip in (False, True):
            cells = _layout_cells(job, shape, groups, flip)
            parts = None if cells is None else _quick_score(job, cells)
            if cells is not None and parts is not None:
                out.append(_Candidate(shape, cells, parts, first + len(out)))
        if out:
            return out
    return out


WING_FIRST_ORDERS = 2  # room orders used to share the rest out after the wings are filled
WING_FITS = 3  # best-fitting room sets tried in the first wing
WING_SET_MAX = 4  # most rooms one wing gets in a wing-first share-out


def _wing_first_groups(
    job: _Job,
    frame: _Frame,
    orders: list[list[PlannedRoom]],
    cache: dict[tuple[tuple[_Slot, ...], float], list[list[list[PlannedRoom]]]],
) -> list[list[list[PlannedRoom]] | None]:
    """Share-outs that first give each wing the rooms whose targets best match its area.

    A wing's size is fixed by the footprint and the greedy share-out rarely hands it rooms
    that fill it: the rest of the main zone then pays (its slots are fitted afterwards, see
    ``_tuned_frame``). The rooms left over go to the main-zone slots greedily, as usual.
    """
    if frame.cut is None:
        return []
    main = frame.cut.main
    inner = tuple(s for s in frame.slots if _inside(s.rect, main))
    wings = frame.slots[len(inner) :]
    if not wings:
        return []
    # Every room gets the same share of its target when the frame is evenly used.
    ratio = sum(_area(job.site, s.rect) for s in frame.slots) / sum(r.target_area_m2 for r in job.others)
    key = (wings, round(ratio, 2))
    if key not in cache:
        cache[key] = _wing_sets(job, list(wings), ratio)
    out: list[list[list[PlannedRoom]] | None] = []
    for wing_groups in cache[key]:
        taken = {r.key for g in wing_groups for r in g}
        for order in orders:
            rest = [r for r in order if r.key not in taken]
            groups = _group_rooms(job, _Frame(frame.spine, inner, frame.cut), rest) if rest else None
            out.append(None if groups is None else [*groups, *wing_groups])
    return out


def _wing_sets(job: _Job, wings: list[_Slot], ratio: float) -> list[list[list[PlannedRoom]]]:
    """Up to WING_FITS choices of rooms for the wings (best fit first, wings filled in turn)."""
    site = job.site
    rooms = sorted(job.others, key=lambda r: int(r.key[1:]))
    choices: list[list[list[PlannedRoom]]] = [[]]
    for n, wing in enumerate(wings):
        widened: list[list[list[PlannedRoom]]] = []
        for chosen in choices:
            used = {r.key for g in chosen for r in g}
            fits = _fitting_sets(site, wing, [r for r in rooms if r.key not in used], ratio)
            keep = WING_FITS if n == 0 else 1
            widened += [[*chosen, list(s)] for s in fits[:keep]]
        choices = widened
    return choices


def _fitting_sets(
    site: _Site, wing: _Slot, rooms: list[PlannedRoom], ratio: float
) -> list[tuple[PlannedRoom, ...]]:
    """Room sets that fit the wing, best match of area to targets first."""
    depth, length = _slot_depth(site, wing), _slot_length(site, wing)
    fitting = [r for r in rooms if depth >= r.min_width_mm]
    scored: list[tuple[float, tuple[int, ...], tuple[PlannedRoom, ...]]] = []
    for size in range(1, min(WING_SET_MAX, len(rooms) - 1) + 1):
        for rset in combinations(fitting, size):
            need = sum(_min_length(site, r, depth) for r in rset) + (size - 1) * site.t_int
            if need > length:
                continue
            usable = (length - (size - 1) * site.t_int) * depth / 1e6
            target = sum(r.target_area_m2 for r in rset)
            scored.append((abs(usable / (target * ratio) - 1), tuple(int(r.key[1:]) for r in rset), rset))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [t[2] for t in scored]


# --------------------------------------------------------------------------- payload


def _wall_type(thickness: float) -> str:
    return f"Generic - {thickness:g}mm"


def _interior_runs(site: _Site, cells: dict[str, Rect]) -> list[_Run]:
    """Cell sides not on the exterior centreline, merged into maximal straight runs."""
    pieces: dict[tuple[bool, float], list[tuple[float, float]]] = defaultdict(list)
    for rect in cells.values():
        for horizontal, coord, lo, hi, _ in rect.sides():
            covered = sorted((a, b) for _, a, b in site.exterior_cover(horizontal, coord, lo, hi))
            cursor = lo
            for a, b in [*covered, (hi, hi)]:
                if a - cursor > EPS:
                    pieces[(horizontal, round(coord, 1))].append((cursor, a))
                cursor = max(cursor, b)
    runs: list[_Run] = []
    for (horizontal, coord), spans in sorted(pieces.items()):
        spans.sort()
        lo, hi = spans[0]
        for a, b in spans[1:]:
            if a <= hi + EPS:
                hi = max(hi, b)
            else:
                runs.append(_Run(horizontal, coord, lo, hi))
                lo, hi = a, b
        runs.append(_Run(horizontal, coord, lo, hi))
    return runs


def _net_outline(site: _Site, rect: Rect, inner: Polygon, walls: Any) -> Polygon | None:
    net = box(rect.x0, rect.y0, rect.x1, rect.y1).intersection(inner).difference(walls)
    if not isinstance(net, Polygon) or net.is_empty:
        return None
    points = _clean_ring(list(orient(net, 1.0).exterior.coords))
    outline = orient(Polygon(points), 1.0)
    return outline if outline.is_valid and len(points) >= 3 else None


@dataclass
class _Builder:
    job: _Job
    brief: Brief
    cand: _Candidate
    walls: list[Wall] = field(default_factory=list)
    doors: list[Door] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    occupied: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    interior: list[tuple[_Run, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    room_area: dict[str, float] = field(default_factory=dict)

    def build(self) -> tuple[LayoutPayload, list[dict[str, Any]]]:
        assert self.cand.plan is not None
        self.warnings += self.cand.plan.warnings
        self._walls()
        rooms, areas = self._rooms()
        self._doors()
        self._windows()
        level = Level(name=LEVEL_NAME, elevation_mm=0, height_mm=self.brief.level_height_mm)
        payload = LayoutPayload(
            levels=[level], walls=self.walls, doors=self.doors, windows=self.windows, rooms=rooms
        )
        return payload, areas

    def _wall(
        self, start: tuple[float, float], end: tuple[float, float], thickness: float, exterior: bool
    ) -> str:
        wall_id = f"W{len(self.walls) + 1}"
        self.walls.append(
            Wall(
                id=wall_id,
                start=Point3(x=start[0], y=start[1]),
                end=Point3(x=end[0], y=end[1]),
                thickness_mm=thickness,
                height_mm=self.brief.level_height_mm,
                wall_type_name=_wall_type(thickness),
                level_name=LEVEL_NAME,
                is_exterior=exterior,
            )
        )
        return wall_id

    def _walls(self) -> None:
        site = self.job.site
        for edge in site.edges:
            self._wall(edge.start, edge.end, site.t_ext, exterior=True)
        for run in _interior_runs(site, self.cand.cells):
            if run.length >= 100:
                self.interior.append(
                    (run, self._wall(run.point(run.lo), run.point(run.hi), site.t_int, False))
                )

    def _rooms(self) -> tuple[list[Room], list[dict[str, Any]]]:
        site = self.job.site
        inner = site.footprint.buffer(-site.t_ext, join_style="mitre")
        half = site.t_int / 2
        bands = [
            box(r.lo, r.coord - half, r.hi, r.coord + half)
            if r.horizontal
            else box(r.coord - half, r.lo, r.coord + half, r.hi)
            for r, _ in self.interior
        ]
        walls = unary_union(bands) if bands else Polygon()
        rooms, areas = [], []
        for n, planned in enumerate(sorted(self.job.rooms.values(), key=lambda r: int(r.key[1:]))):
            outline = _net_outline(site, self.cand.cells[planned.key], inner, walls)
            if outline is None:
                raise _BuildFailed(f"room {planned.key} has no single outline")
            area = round(outline.area / 1e6, 2)
            self.room_area[planned.key] = area
            rooms.append(
                Room(
                    id=planned.key,
                    name=planned.name,
                    number=str(101 + n),
                    type=planned.type,
                    level_name=LEVEL_NAME,
                    boundary=[Point(x=x, y=y) for x, y in list(outline.exterior.coords)[:-1]],
                    area_m2=area,
                )
            )
            error = (area - planned.target_area_m2) / planned.target_area_m2 * 100
            areas.append(
                {
                    "id": planned.key,
                    "type": planned.type.value,
                    "name": planned.name,
                    "target_area_m2": planned.target_area_m2,
                    "area_m2": area,
                    "area_error_pct": round(error, 1),
                }
            )
            if area < planned.min_area_m2:
                self.warnings.append(
                    f"{planned.name} is {area:g} m², under its minimum {planned.min_area_m2:g} m²"
                )
        return rooms, areas

    def _host(self, run: _Run) -> tuple[str, _Run]:
        for wall_run, wall_id in self.interior:
            if (
                wall_run.horizontal == run.horizontal
                and abs(wall_run.coord - run.coord) < EPS
                and wall_run.lo - EPS <= run.lo
                and run.hi <= wall_run.hi + EPS
            ):
                return wall_id, wall_run
        raise _BuildFailed("a door has no wall to sit in")

    def _doors(self) -> None:
        plan = self.cand.plan
        assert plan is not None
        edge = plan.entrance_edge
        self._add_door(
            f"W{edge.index + 1}",
            edge.start,
            edge.end,
            plan.entrance_centre,
            ENTRANCE_WIDTH_MM,
            [plan.entrance_key],
        )
        for child in sorted(plan.parents, key=lambda k: int(k[1:])):
            parent, run = plan.parents[child]
            wall_id, wall_run = self._host(run)
            lo, hi = self.job.site.clear_span(run, along_exterior=False)
            self._add_door(
                wall_id,
                wall_run.point(wall_run.lo),
                wall_run.point(wall_run.hi),
                (lo + hi) / 2,
                DOOR_WIDTH_MM,
                [parent, child],
            )
        self._wish_doors(plan)

    def _wish_doors(self, plan: _Circulation) -> None:
        """A must-wish is a door between the two rooms: add one where the tree has none."""
        linked = {frozenset((child, parent)) for child, (parent, _) in plan.parents.items()}
        cells = self.cand.cells
        for wish in self.job.wishes:
            if wish.kind != AdjacencyKind.must:
                continue
            pairs = [(a, b) for a in wish.keys_a for b in wish.keys_b if a != b]
            if any(frozenset(p) in linked for p in pairs):
                continue
            for a, b in pairs:
                run = _touching(self.job, cells, a, b, door=True)
                if run is None:
                    continue
                wall_id, wall_run = self._host(run)
                lo, hi = self.job.site.clear_span(run, along_exterior=False)
                self._add_door(
                    wall_id,
                    wall_run.point(wall_run.lo),
                    wall_run.point(wall_run.hi),
                    (lo + hi) / 2,
                    DOOR_WIDTH_MM,
                    [a, b],
                )
                linked.add(frozenset((a, b)))
                break

    def _add_door(
        self,
        wall_id: str,
        start: tuple[float, float],
        end: tuple[float, float],
        along: float,
        width: float,
        connects: list[str],
    ) -> None:
        offset = _offset(start, end, along)
        self.occupied[wall_id].append((offset - width / 2, offset + width / 2))
        self.doors.append(
            Door(
                id=f"D{len(self.doors) + 1}",
                host_wall_id=wall_id,
                position_ratio=round(offset / _length(start, end), 6),
                width_mm=width,
                height_mm=DOOR_HEIGHT_MM,
                type_name=ENTRANCE_DOOR_TYPE if len(connects) == 1 else DOOR_TYPE,
                connects=connects,
            )
        )

    def _windows(self) -> None:
        for key in sorted(self.cand.cells, key=lambda k: int(k[1:])):
            room = self.job.rooms[key]
            need = _glazing_need_mm2(self.job, room, self.cand.cells[key], self.room_area.get(key))
            if need is None:
                continue
            placed = 0.0
            while placed < need and self._window(key, room, need - placed):
                placed = sum(n.width_mm * n.height_mm for n in self.windows if n.room_id == key)
            if placed >= need:
                continue
            if _window_required(self.job, room):
                raise _BuildFailed(f"{room.name}: exterior walls too short for its glazing")
            if room.type in WET and placed == 0:
                self.assumptions.append(f"{room.name} is an interior room with mechanical extract")
            elif placed == 0:
                self.warnings.append(f"{room.name} has no exterior wall long enough for a window")

    def _window(self, key: str, room: PlannedRoom, missing_mm2: float) -> bool:
        """One window on the longest free exterior span, sized towards the missing glazing."""
        site = self.job.site
        if room.type in HABITABLE:
            wanted = 1800.0 if room.type in LARGE_WINDOW else 1200.0
            height, sill = HABITABLE_WINDOW_H_MM, 900.0
            wanted = min(MAX_WINDOW_W_MM, max(wanted, math.ceil(missing_mm2 / height / 50) * 50))
        else:
            wanted, height, sill = 600.0, 600.0, 1500.0
        best: tuple[float, _Edge, float, float] | None = None
        for edge, run in _exterior_runs(site, self.cand.cells[key]):
            lo, hi = site.clear_span(run, along_exterior=True)
            wall_id = f"W{edge.index + 1}"
            for a, b in self._free(wall_id, edge, lo, hi):
                usable = b - a - 2 * WINDOW_MARGIN_MM
                if best is None or usable > best[0]:
                    best = (usable, edge, a, b)
        if best is None or best[0] < 600:
            return False
        usable, edge, a, b = best
        width = min(wanted, math.floor(usable / 50) * 50)
        start, end = edge.start, edge.end
        offset = _offset(start, end, (a + b) / 2)
        wall_id = f"W{edge.index + 1}"
        self.occupied[wall_id].append((offset - width / 2, offset + width / 2))
        self.windows.append(
            Window(
                id=f"N{len(self.windows) + 1}",
                host_wall_id=wall_id,
                position_ratio=round(offset / _length(start, end), 6),
                width_mm=width,
                height_mm=height,
                sill_height_mm=sill,
                type_name=f"{width:.0f} x {height:.0f}mm",
                room_id=key,
            )
        )
        return True

    def _free(self, wall_id: str, edge: _Edge, lo: float, hi: float) -> list[tuple[float, float]]:
        """Parts of [lo, hi] (along the edge's axis) not taken by openings, with a margin."""
        spans = []
        for a, b in self.occupied[wall_id]:
            # occupied spans are offsets from the wall start; turn them back into coordinates
            pa, pb = _along(edge, a), _along(edge, b)
            spans.append((min(pa, pb) - WINDOW_MARGIN_MM, max(pa, pb) + WINDOW_MARGIN_MM))
        free, cursor = [], lo
        for a, b in sorted(spans):
            if a > cursor:
                free.append((cursor, min(a, hi)))
            cursor = max(cursor, b)
        if hi > cursor:
            free.append((cursor, hi))
        return [(a, b) for a, b in free if b > a]


class _BuildFailed(Exception):
    pass


HABITABLE_WINDOW_H_MM = 1400.0
MAX_WINDOW_W_MM = 2400.0
WET_WINDOW_MM2 = 600.0 * 600.0


def _window_required(job: _Job, room: PlannedRoom) -> bool:
    """The region asks for a window: habitable rooms, and wet rooms where vents are not allowed."""
    rule = job.minimums.get(room.type)
    if rule is None:
        return False
    return rule.needs_window or not rule.interior_allowed


def _glazing_need_mm2(job: _Job, room: PlannedRoom, rect: Rect, area_m2: float | None = None) -> float | None:
    """Window area (mm²) the room should get; None for rooms without windows."""
    if room.type in HABITABLE:
        rule = job.minimums.get(room.type)
        ratio = rule.glazing_ratio if rule is not None and rule.glazing_ratio else 0.0
        if area_m2 is None:
            w, h = _net_size(job.site, rect)
            area_m2 = w * h / 1e6
        # 2 % over the ratio: the rule compares rough openings, we size the catalogue window.
        return max(ratio * 1.02 * area_m2 * 1e6, 600.0 * HABITABLE_WINDOW_H_MM)
    if room.type in WET:
        return WET_WINDOW_MM2
    return None


def _length(start: tuple[float, float], end: tuple[float, float]) -> float:
    return math.hypot(end[0] - start[0], end[1] - start[1])


def _offset(start: tuple[float, float], end: tuple[float, float], along: float) -> float:
    """Distance from the wall start of the point at coordinate ``along`` on the wall's axis."""
    horizontal = abs(end[1] - start[1]) < EPS
    origin = start[0] if horizontal else start[1]
    return abs(along - origin)


def _along(edge: _Edge, offset: float) -> float:
    horizontal = edge.run.horizontal
    origin, target = (edge.start[0], edge.end[0]) if horizontal else (edge.start[1], edge.end[1])
    return origin + math.copysign(offset, target - origin)


# --------------------------------------------------------------------------- planner


class SpinePlanner:
    """Rooms on both sides of a circulation spine, wings cut into strips."""

    name = "spine-v2"

    def plan(self, brief: Brief) -> PlanResult:
        """The best validated layout for a resolved brief; raises Unprocessable when there is none."""
        return self._plan(brief, 1)[0]

    def plan_variants(self, brief: Brief) -> list[PlanResult]:
        """Up to ``brief.options.variants`` distinct validated layouts, best first."""
        return self._plan(brief, brief.options.variants)

    def _plan(self, brief: Brief, wanted: int) -> list[PlanResult]:
        started = time.perf_counter()
        check_programme_fits(brief)
        assert brief.footprint is not None and brief.region is not None
        footprint = brief.footprint.points()
        failures: dict[str, int] = defaultdict(int)
        found: list[tuple[_Candidate, _Job, _Builder, LayoutPayload, list[dict[str, Any]], list[str]]] = []
        seen: set[frozenset[tuple[str, Rect]]] = set()
        must_unmet: dict[_Wish, int] = defaultdict(int)
        # Spine layouts first; when none fits (thin or tight footprints), the hall becomes an
        # ordinary room and rooms are reached through each other.
        for with_spine in (True, False):
            if found:
                break
            job, assumptions = _job(brief, with_spine)
            for cand in _candidates(job, _frames_for(job, brief)):
                if len(found) >= wanted:
                    break
                key = frozenset(cand.cells.items())
                if key in seen:
                    continue
                unmet = [
                    w for w in job.wishes if w.kind == AdjacencyKind.must and not wish_met(job, cand.cells, w)
                ]
                if unmet:
                    for wish in unmet:
                        must_unmet[wish] += 1
                    continue
                builder = _Builder(job, brief, cand)
                try:
                    payload, areas = builder.build()
                except _BuildFailed as exc:
                    failures[str(exc)] += 1
                    continue
                problems = validate_layout(payload, footprint)
                problems += validate_rules(payload, brief.region, brief.building_type)
                if problems:
                    failures[problems[0]] += 1
                    continue
                seen.add(key)
                notes = list(assumptions) + builder.assumptions
                if not with_spine:
                    notes.append("the footprint leaves no room for a hall spine: rooms open into each other")
                found.append((cand, job, builder, payload, areas, notes))
        if not found:
            raise _refusal(must_unmet, failures)
        solve_ms = round((time.perf_counter() - started) * 1000, 1)
        results = []
        for rank, (cand, job, builder, payload, areas, notes) in enumerate(found, start=1):
            warnings = list(builder.warnings)
            if len(found) < wanted:
                warnings.append(f"only {len(found)} distinct valid variants exist, {wanted} were asked for")
            metadata = {
                "planner": self.name,
                "variant_rank": rank,
                "variants_found": len(found),
                "score": round(cand.score, 3),
                "score_parts": {k: round(v, 3) for k, v in sorted(cand.parts.items())},
                "solve_ms": solve_ms,
                "rooms": areas,
                "mean_area_error_pct": _mean_error(areas, job),
                "adjacency": [
                    {"a": w.a, "b": w.b, "kind": w.kind.value, "met": wish_met(job, cand.cells, w)}
                    for w in job.wishes
                ],
                "rules_applied": _rules_applied(job),
                "assumptions": notes,
                "warnings": warnings,
            }
            results.append(PlanResult(payload=payload, metadata=metadata))
        return results


def _refusal(must_unmet: dict[_Wish, int], failures: dict[str, int]) -> Unprocessable:
    """The most telling reason no candidate survived."""
    if must_unmet and not failures:
        wish = max(must_unmet, key=lambda w: must_unmet[w])
        return Unprocessable(code="ADJACENCY_IMPOSSIBLE", a=wish.a, b=wish.b)
    if failures:
        reason = max(failures, key=lambda r: failures[r])
    else:
        reason = "no split of the footprint gives every room its minimum area and narrow side"
    return Unprocessable(code="PROGRAMME_DOES_NOT_FIT", reason=reason)


def _mean_error(areas: list[dict[str, Any]], job: _Job) -> float:
    """Mean absolute area error (%) over rooms with a target; halls and corridors excluded."""
    errors = [abs(a["area_error_pct"]) for a in areas if job.rooms[a["id"]].type not in CIRCULATION]
    return round(sum(errors) / len(errors), 2) if errors else 0.0


def _rules_applied(job: _Job) -> list[dict[str, Any]]:
    present = {r.type for r in job.rooms.values()}
    out: dict[str, dict[str, Any]] = {}
    for room_type, rule in job.minimums.items():
        if room_type not in present:
            continue
        for ref in rule.rules:
            entry = out.setdefault(
                ref.id,
                {
                    "id": ref.id,
                    "citation": ref.citation,
                    "status": ref.status,
                    "limits": ref.limits,
                    "rooms": [],
                },
            )
            entry["rooms"].append(room_type.value)
    return list(out.values())


def _frames_for(job: _Job, brief: Brief) -> list[_Frame]:
    spine = job.rooms[job.spine_key] if job.spine_key else None
    if spine is None:
        return _frames(job.site, None, 0.0)
    # 20 mm over the minimum width: snapping to the grid must not push it under.
    spine_net = max(SPINE_NET_MM[brief.building_type], spine.min_width_mm) + 20
    # The spine must be long enough to reach its minimum area (and never under 5 m²).
    min_len = max(spine.min_area_m2, MIN_ROOM_AREA_M2) * 1.05e6 / spine_net + 300
    return _frames(job.site, spine_net, min_len)


def _job(brief: Brief, with_spine: bool) -> tuple[_Job, list[str]]:
    rooms = expand_programme(brief)
    assumptions = [
        f"{r.name or r.type.value}: areas under {MIN_ROOM_AREA_M2:g} m² raised to {MIN_ROOM_AREA_M2:g} m²"
        for r in brief.rooms
        if min(r.target_area_m2 or math.inf, r.min_area_m2 or math.inf) < MIN_ROOM_AREA_M2
    ]
    spine_key = next((r.key for r in rooms if r.type == RoomType.hall), None)
    spine_key = spine_key or next((r.key for r in rooms if r.type == RoomType.corridor), None)
    if with_spine and needs_added_corridor(rooms):
        corridor_min = region_minimums(brief).get(RoomType.corridor)
        corridor = PlannedRoom(
            key=f"R{len(rooms) + 1}",
            type=RoomType.corridor,
            name=default_room_name(RoomType.corridor, brief.language),
            target_area_m2=MIN_ROOM_AREA_M2,
            min_area_m2=MIN_ROOM_AREA_M2,
            min_width_mm=max(1200.0, (corridor_min.narrow_side_mm or 0.0) if corridor_min else 0.0),
        )
        rooms.append(corridor)
        spine_key = corridor.key
        assumptions.append(f"added a corridor ({corridor.key}) to reach the rooms: the brief has no hall")
    wishes = tuple(
        _Wish(
            a=w.a,
            b=w.b,
            kind=w.kind,
            keys_a=tuple(r.key for r in rooms_matching(rooms, w.a)),
            keys_b=tuple(r.key for r in rooms_matching(rooms, w.b)),
        )
        for w in brief.adjacency
    )
    entrance = brief.entrance
    job = _Job(
        site=_Site.build(brief),
        rooms={r.key: r for r in rooms},
        spine_key=spine_key if with_spine else None,
        entrance_side=entrance.side,
        entrance_point=(entrance.point.x, entrance.point.y) if entrance.point else None,
        seed=brief.options.seed,
        minimums=region_minimums(brief),
        wishes=wishes,
        north_deg=brief.north_deg,
    )
    return job, assumptions
