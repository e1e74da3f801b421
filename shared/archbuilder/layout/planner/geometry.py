"""Geometry of the site: rectangles, wall-centreline runs, the footprint's centreline polygon.

``Site`` holds the footprint, its exterior-wall centreline polygon (the footprint offset inwards
by half the exterior wall) and its edges (one per exterior wall). Cells are axis-aligned
``Rect``s on that centreline; ``net_size`` is a cell less half its walls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from shapely.geometry import Polygon, box
from shapely.geometry.polygon import orient

from archbuilder.domain.brief import Brief, Side
from archbuilder.platform.errors import Reason, Unprocessable

EPS = 0.5  # mm: coordinates closer than this are the same
GRID_MM = 10.0  # cut positions snap to this grid


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


def other(axis: str) -> str:
    return "y" if axis == "x" else "x"


def snap(value: float) -> float:
    return round(value / GRID_MM) * GRID_MM


class Run(NamedTuple):
    """A straight piece of wall centreline: horizontal (y = coord) or vertical (x = coord).
    (A NamedTuple: the search makes many, and a tuple is made faster than a dataclass.)"""

    horizontal: bool
    coord: float
    lo: float
    hi: float

    @property
    def length(self) -> float:
        return self.hi - self.lo

    def point(self, along: float) -> tuple[float, float]:
        return (along, self.coord) if self.horizontal else (self.coord, along)


@dataclass(frozen=True, slots=True)
class Edge:
    """One edge of the centreline polygon: one exterior wall."""

    index: int
    run: Run
    facing: Side
    start: tuple[float, float]
    end: tuple[float, float]


def _line_key(horizontal: bool, coord: float) -> tuple[bool, float]:
    return horizontal, round(coord, 1)


@dataclass
class Site:
    """The footprint and its exterior-wall centreline polygon."""

    footprint: Polygon
    centre: Polygon
    edges: list[Edge]
    t_ext: float
    t_int: float
    by_line: dict[tuple[bool, float], list[Edge]] = field(default_factory=dict)
    vertices: set[tuple[float, float]] = field(default_factory=set)
    inset_cache: dict[Rect, tuple[float, float, float, float]] = field(default_factory=dict)
    net_cache: dict[Rect, tuple[float, float]] = field(default_factory=dict)
    runs_cache: dict[Rect, tuple[tuple[Edge, Run], ...]] = field(default_factory=dict)  # exterior runs
    # by_line per exact coordinate (rounding is slow): vertical lines, horizontal lines (by bool)
    lines_cache: tuple[dict[float, tuple[Edge, ...]], dict[float, tuple[Edge, ...]]] = field(
        default_factory=lambda: ({}, {})
    )

    @classmethod
    def build(cls, brief: Brief) -> Site:
        assert brief.footprint is not None
        footprint = Polygon(brief.footprint.points())
        shrunk = footprint.buffer(-brief.exterior_wall_mm / 2, join_style="mitre")
        if not isinstance(shrunk, Polygon) or shrunk.is_empty:
            raise Unprocessable(
                code="PROGRAMME_DOES_NOT_FIT",
                **Reason(
                    "footprint_too_narrow_for_walls", "the footprint is too narrow for its walls"
                ).as_params(),
            )
        centre = orient(Polygon(clean_ring(list(shrunk.exterior.coords))), 1.0)
        edges = _edges(centre)
        site = cls(footprint, centre, edges, brief.exterior_wall_mm, brief.interior_wall_mm)
        for edge in edges:
            site.by_line.setdefault(_line_key(edge.run.horizontal, edge.run.coord), []).append(edge)
            site.vertices.add(edge.start)
        return site

    @cached_property
    def inner(self) -> Polygon:
        """The footprint less its exterior walls: what the room outlines are cut from."""
        inner: Polygon = self.footprint.buffer(-self.t_ext, join_style="mitre")
        return inner

    def edges_on(self, horizontal: bool, coord: float) -> tuple[Edge, ...]:
        """The edges on the line through ``coord`` (``by_line``, memoised per coordinate)."""
        lines = self.lines_cache[horizontal]
        edges = lines.get(coord)
        if edges is None:
            edges = lines[coord] = tuple(self.by_line.get(_line_key(horizontal, coord), ()))
        return edges

    def exterior_cover(
        self, horizontal: bool, coord: float, lo: float, hi: float
    ) -> list[tuple[Edge, float, float]]:
        """Pieces of [lo, hi] on this line that lie on the exterior centreline."""
        pieces = []
        for edge in self.edges_on(horizontal, coord):
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

    def clear_span(self, run: Run, along_exterior: bool) -> tuple[float, float]:
        """The part of a run between the faces of the walls at its ends."""
        lo = run.lo + self.end_half(run.point(run.lo), along_exterior)
        hi = run.hi - self.end_half(run.point(run.hi), along_exterior)
        return lo, hi


def _rounded(point: tuple[float, float]) -> tuple[float, float]:
    return round(point[0], 1), round(point[1], 1)


def clean_ring(coords: list[tuple[float, ...]]) -> list[tuple[float, float]]:
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


def _edges(centre: Polygon) -> list[Edge]:
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
            run = Run(True, start[1], min(start[0], end[0]), max(start[0], end[0]))
            facing = Side.south if dx > 0 else Side.north
        else:
            run = Run(False, start[0], min(start[1], end[1]), max(start[1], end[1]))
            facing = Side.east if dy > 0 else Side.west
        edges.append(Edge(i, run, facing, start, end))
    return edges


def decompose(poly: Polygon) -> list[Rect]:
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
    across = other(axis)
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


def shared_run(a: Rect, b: Rect) -> Run | None:
    """The centreline run two touching cells share, if any."""
    # Unrolled (the search calls this for every pair of cells it scores): a vertical wall
    # (a's high x on b's low x, then a's low x on b's high x) first, then a horizontal one.
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    if abs(ax1 - bx0) < EPS or abs(ax0 - bx1) < EPS:
        lo, hi = max(ay0, by0), min(ay1, by1)
        if hi - lo > EPS:
            return Run(False, ax1 if abs(ax1 - bx0) < EPS else ax0, lo, hi)
    if abs(ay1 - by0) < EPS or abs(ay0 - by1) < EPS:
        lo, hi = max(ax0, bx0), min(ax1, bx1)
        if hi - lo > EPS:
            return Run(True, ay1 if abs(ay1 - by0) < EPS else ay0, lo, hi)
    return None


def touches(a: Rect, b: Rect) -> bool:
    """Whether two cells share a run."""
    return shared_run(a, b) is not None


def inside(rect: Rect, zone: Rect) -> bool:
    return (
        zone.x0 - EPS <= rect.x0
        and rect.x1 <= zone.x1 + EPS
        and zone.y0 - EPS <= rect.y0
        and rect.y1 <= zone.y1 + EPS
    )


def insets(site: Site, rect: Rect) -> tuple[float, float, float, float]:
    """Half wall thickness eaten from each side of a cell (exterior share weighted): south,
    north, west, east."""
    cached = site.inset_cache.get(rect)
    if cached is None:
        _wall_facts(site, rect)
        cached = site.inset_cache[rect]
    return cached


def net_size(site: Site, rect: Rect) -> tuple[float, float]:
    """Net width and depth of a cell: the centreline rectangle less half its walls."""
    size = site.net_cache.get(rect)
    if size is None:
        _wall_facts(site, rect)
        size = site.net_cache[rect]
    return size


def _wall_facts(site: Site, rect: Rect) -> None:
    """Fill the site's ``inset_cache`` and ``net_cache`` for a rect (plain tuples of floats: the
    search makes tens of thousands of them, which the garbage collector then leaves alone)."""
    t_ext, t_int = site.t_ext, site.t_int
    x0, y0, x1, y1 = rect
    vertical_lines, horizontal_lines = site.lines_cache
    half = []  # per side: south, north, west, east (rect.sides(), unrolled)
    for lines, coord, lo, hi in (
        (horizontal_lines, y0, x0, x1),
        (horizontal_lines, y1, x0, x1),
        (vertical_lines, x0, y0, y1),
        (vertical_lines, x1, y0, y1),
    ):
        covered = 0.0
        edges = lines.get(coord)  # site.edges_on and site.exterior_cover, inlined
        if edges is None:
            edges = site.edges_on(lines is horizontal_lines, coord)
        for edge in edges:
            a, b = max(lo, edge.run.lo), min(hi, edge.run.hi)
            if b - a > EPS:
                covered += b - a
        share = covered / (hi - lo) if hi > lo else 0.0
        half.append(share * t_ext / 2 + (1 - share) * t_int / 2)
    south, north, west, east = half
    site.inset_cache[rect] = (south, north, west, east)
    site.net_cache[rect] = (x1 - x0 - west - east, y1 - y0 - south - north)


def exterior_runs(site: Site, rect: Rect) -> tuple[tuple[Edge, Run], ...]:
    """The pieces of the rect's sides on the exterior centreline (cached per site: the search
    asks for the same rects many times)."""
    runs = site.runs_cache.get(rect)
    if runs is None:
        runs = tuple(
            (edge, Run(horizontal, coord, a, b))
            for horizontal, coord, lo, hi, _ in rect.sides()
            for edge, a, b in site.exterior_cover(horizontal, coord, lo, hi)
        )
        site.runs_cache[rect] = runs
    return runs
