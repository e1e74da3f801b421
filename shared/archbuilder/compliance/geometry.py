"""Plan geometry the metrics are built on: area, narrow side, clear width, paths inside a room.

Points are (x, y) in millimetres. Each function states its method, because regulations
name a quantity ("dar kenar", "clear width") without saying how to measure an odd shape.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

XY = tuple[float, float]
_RECTILINEAR_TOL = 1e-6
_GRID_SAMPLES = 24  # extra grid lines per axis for polygons with slanted edges


def polygon_of(points: Sequence[XY]) -> Polygon:
    shape = Polygon(points)
    return shape if shape.is_valid else shape.buffer(0)


def area_m2(points: Sequence[XY]) -> float:
    """Net area: the area of the outline (inner faces of the walls), in m²."""
    return float(polygon_of(points).area) / 1e6


def _principal_angle(points: Sequence[XY]) -> float:
    """Direction of the longest edge, in radians: the room's own axes."""
    best, angle = -1.0, 0.0
    for i, a in enumerate(points):
        b = points[(i + 1) % len(points)]
        length = math.hypot(b[0] - a[0], b[1] - a[1])
        if length > best:
            best, angle = length, math.atan2(b[1] - a[1], b[0] - a[0])
    return angle


def _in_own_axes(points: Sequence[XY]) -> Polygon:
    angle = _principal_angle(points)
    return affinity.rotate(polygon_of(points), -angle, origin=(0, 0), use_radians=True)


def _is_rectilinear(shape: Polygon) -> bool:
    coords = list(shape.exterior.coords)
    return all(
        abs(a[0] - b[0]) < _RECTILINEAR_TOL * max(1.0, abs(a[0])) * 1e3
        or abs(a[1] - b[1]) < _RECTILINEAR_TOL * max(1.0, abs(a[1])) * 1e3
        for a, b in zip(coords, coords[1:], strict=False)
    )


def largest_inscribed_rectangle(points: Sequence[XY]) -> tuple[float, float]:
    """(width, depth) in mm of the largest-area rectangle inside the outline, aligned with
    the room's longest edge.

    Exact for rectilinear rooms (the rectangle's sides lie on the grid of the outline's
    coordinates); for slanted edges the grid is refined with ``_GRID_SAMPLES`` lines per
    axis, which gives a lower bound within one grid step.
    """
    shape = _in_own_axes(points)
    if shape.is_empty or shape.area <= 0:
        return 0.0, 0.0
    xs = sorted({round(x, 3) for x, _ in shape.exterior.coords})
    ys = sorted({round(y, 3) for _, y in shape.exterior.coords})
    rectilinear = _is_rectilinear(shape)
    if not rectilinear:
        minx, miny, maxx, maxy = shape.bounds
        xs = sorted(set(xs) | {minx + (maxx - minx) * i / _GRID_SAMPLES for i in range(_GRID_SAMPLES + 1)})
        ys = sorted(set(ys) | {miny + (maxy - miny) * i / _GRID_SAMPLES for i in range(_GRID_SAMPLES + 1)})
    tolerant = shape.buffer(0.5)
    shapely.prepare(tolerant)
    inside = [
        [
            bool(
                tolerant.contains(Point((xs[i] + xs[i + 1]) / 2, (ys[j] + ys[j + 1]) / 2))
                if rectilinear
                else tolerant.covers(box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
            )
            for j in range(len(ys) - 1)
        ]
        for i in range(len(xs) - 1)
    ]
    best = (0.0, 0.0, 0.0)  # area, width, depth
    for i0 in range(len(xs) - 1):
        rows = [True] * (len(ys) - 1)
        for i1 in range(i0, len(xs) - 1):
            rows = [r and c for r, c in zip(rows, inside[i1], strict=True)]
            if not any(rows):
                break
            width = xs[i1 + 1] - xs[i0]
            run_start = None
            for j in range(len(rows) + 1):
                if j < len(rows) and rows[j]:
                    if run_start is None:
                        run_start = j
                    continue
                if run_start is not None:
                    depth = ys[j] - ys[run_start]
                    if width * depth > best[0]:
                        best = (width * depth, width, depth)
                    run_start = None
    return best[1], best[2]


def narrow_side_mm(points: Sequence[XY]) -> float:
    """ "Dar kenar": the shorter side of the largest inscribed rectangle (see above)."""
    width, depth = largest_inscribed_rectangle(points)
    return min(width, depth)


def _as_rectangle(shape: Polygon) -> tuple[float, float] | None:
    coords = list(shape.exterior.coords)[:-1]
    if len(coords) != 4 or abs(shape.area - shape.minimum_rotated_rectangle.area) > 1e-6 * shape.area:
        return None
    a, b, c = coords[0], coords[1], coords[2]
    return math.dist(a, b), math.dist(b, c)


def clear_width_mm(points: Sequence[XY], openings: Sequence[XY] = ()) -> float:
    """Clear width of a corridor along its whole length.

    The largest w such that a disc of diameter w can travel through the corridor: the
    morphological opening of the outline by that disc stays one piece and comes within
    w/2 of every opening (door) of the corridor; with no openings known it must still
    reach both ends of the corridor's long axis. For a rectangle this is its short side;
    for an L-shaped corridor it is the narrower arm.
    """
    shape = polygon_of(points)
    if shape.is_empty or shape.area <= 0:
        return 0.0  # a degenerate outline has no width (and GEOS refuses to buffer it)
    rect = _as_rectangle(shape)
    if rect is not None:
        return min(rect)
    own = _in_own_axes(points)
    angle = _principal_angle(points)
    hi = 2 * float(shapely.maximum_inscribed_circle(shape, 1.0).length) + 1.0

    def passes(width: float) -> bool:
        core = shape.buffer(-(width / 2 - 0.5), quad_segs=4)  # 0.5 mm: a gap exactly w wide passes
        if core.is_empty or core.geom_type != "Polygon":
            return False
        opened = core.buffer(width / 2, quad_segs=4)
        if openings:
            return all(opened.distance(Point(p)) <= width / 2 + 1.0 for p in openings)
        reached = affinity.rotate(opened, -angle, origin=(0, 0), use_radians=True)
        return bool(reached.bounds[2] - reached.bounds[0] >= own.bounds[2] - own.bounds[0] - width - 1.0)

    lo = 0.0
    if passes(hi):
        return hi
    while hi - lo > 1.0:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if passes(mid) else (lo, mid)
    return lo


class RoomPaths:
    """Shortest walking paths inside one room: straight when the line stays inside,
    otherwise around the room's corners (a visibility graph over its vertices)."""

    def __init__(self, points: Sequence[XY]) -> None:
        self.shape = polygon_of(points)
        self._walkable: BaseGeometry = self.shape.buffer(1.0)  # paths may run along the walls
        shapely.prepare(self._walkable)
        self.corners: list[XY] = [(float(x), float(y)) for x, y in list(self.shape.exterior.coords)[:-1]]
        self._corner_graph: dict[int, list[tuple[int, float]]] | None = None

    def sees(self, a: XY, b: XY) -> bool:
        return a == b or bool(self._walkable.covers(LineString([a, b])))

    def _graph(self) -> dict[int, list[tuple[int, float]]]:
        if self._corner_graph is None:
            graph: dict[int, list[tuple[int, float]]] = {i: [] for i in range(len(self.corners))}
            for i, a in enumerate(self.corners):
                for j in range(i + 1, len(self.corners)):
                    b = self.corners[j]
                    if self.sees(a, b):
                        d = math.dist(a, b)
                        graph[i].append((j, d))
                        graph[j].append((i, d))
            self._corner_graph = graph
        return self._corner_graph

    def distance(self, a: XY, b: XY) -> float:
        """Walking distance from a to b inside the room (inf when there is no way)."""
        if self.sees(a, b):
            return math.dist(a, b)
        graph = self._graph()
        start = [(math.dist(a, c), i) for i, c in enumerate(self.corners) if self.sees(a, c)]
        goal = {i: math.dist(c, b) for i, c in enumerate(self.corners) if self.sees(c, b)}
        best = math.inf
        done: set[int] = set()
        heap = list(start)
        heapq.heapify(heap)
        while heap:
            d, i = heapq.heappop(heap)
            if i in done or d >= best:
                continue
            done.add(i)
            if i in goal:
                best = min(best, d + goal[i])
            for j, w in graph[i]:
                if j not in done:
                    heapq.heappush(heap, (d + w, j))
        return best

    def entry_point(self, p: XY) -> XY:
        """Where a door at p (on the wall centreline) meets this room's outline."""
        nearest = self.shape.exterior.interpolate(self.shape.exterior.project(Point(p)))
        return float(nearest.x), float(nearest.y)

    def samples(self) -> list[XY]:
        """Points where the farthest walk in the room starts: the corners and the centre."""
        inner = self.shape.representative_point()
        return [*self.corners, (float(inner.x), float(inner.y))]
