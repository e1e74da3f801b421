"""The payload of a candidate: walls from the cells, room outlines (the cells minus the walls,
with shapely, so they are exact where a side is part exterior, part interior), then doors
(``doors.DoorPlacer``) and windows (``windows.WindowPlacer``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import Polygon, box
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from archbuilder.domain.brief import Brief
from archbuilder.domain.layout import Door, LayoutPayload, Level, Point, Point3, Room, Wall, Window
from archbuilder.layout.planner.circulation import pieces
from archbuilder.layout.planner.doors import DoorPlacer
from archbuilder.layout.planner.geometry import EPS, Rect, Run, Site, clean_ring, shared_run
from archbuilder.layout.planner.job import Job
from archbuilder.layout.planner.notes import note
from archbuilder.layout.planner.search import Candidate
from archbuilder.layout.planner.windows import BuildFailed, WindowPlacer

LEVEL_NAME = "Level 1"


def _wall_type(thickness: float) -> str:
    return f"Generic - {thickness:g}mm"


def _interior_runs(site: Site, rects: list[Rect], open_runs: list[Run]) -> list[Run]:
    """Cell sides not on the exterior centreline, merged into maximal straight runs, less the
    ``open_runs`` (between two pieces of one room)."""
    pieces: dict[tuple[bool, float], list[tuple[float, float]]] = defaultdict(list)
    for rect in rects:
        for horizontal, coord, lo, hi, _ in rect.sides():
            covered = sorted((a, b) for _, a, b in site.exterior_cover(horizontal, coord, lo, hi))
            cursor = lo
            for a, b in [*covered, (hi, hi)]:
                if a - cursor > EPS:
                    pieces[(horizontal, round(coord, 1))].append((cursor, a))
                cursor = max(cursor, b)
    runs: list[Run] = []
    for (horizontal, coord), spans in sorted(pieces.items()):
        spans.sort()
        lo, hi = spans[0]
        for a, b in spans[1:]:
            if a <= hi + EPS:
                hi = max(hi, b)
            else:
                runs.append(Run(horizontal, coord, lo, hi))
                lo, hi = a, b
        runs.append(Run(horizontal, coord, lo, hi))
    for gap in open_runs:
        runs = [piece for run in runs for piece in _less(run, gap)]
    return runs


def _less(run: Run, gap: Run) -> list[Run]:
    """The run without the part it shares with ``gap``."""
    if run.horizontal != gap.horizontal or abs(run.coord - gap.coord) > EPS:
        return [run]
    if gap.hi <= run.lo + EPS or gap.lo >= run.hi - EPS:
        return [run]
    spans = [(run.lo, gap.lo), (gap.hi, run.hi)]
    return [Run(run.horizontal, run.coord, a, b) for a, b in spans if b - a > EPS]


def _net_outline(shape: Any, inner: Polygon, walls: Any) -> Polygon | None:
    net = shape.intersection(inner).difference(walls)
    if not isinstance(net, Polygon) or net.is_empty:
        return None
    points = clean_ring(list(orient(net, 1.0).exterior.coords))
    outline = orient(Polygon(points), 1.0)
    return outline if outline.is_valid and len(points) >= 3 else None


@dataclass
class Builder(DoorPlacer, WindowPlacer):
    """One candidate's payload: walls and room outlines here, doors and windows from the mixins."""

    job: Job
    brief: Brief
    cand: Candidate
    walls: list[Wall] = field(default_factory=list)
    doors: list[Door] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    occupied: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    interior: list[tuple[Run, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    room_area: dict[str, float] = field(default_factory=dict)
    outlines: dict[str, Polygon] = field(default_factory=dict)

    def build(self) -> tuple[LayoutPayload, list[dict[str, Any]]]:
        plan = self.cand.plan
        assert plan is not None
        self.warnings += plan.warnings
        self._walls()
        rooms, areas = self._rooms()
        self.add_doors(plan, self.cand.cells)
        self.add_windows(self.cand.cells, self.cand.extras)
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
        # A room of several pieces (the hall and its stub, a room and its niche) is one room: the
        # pieces' own sides are walls, the joints between them are not.
        cells, extras = self.cand.cells, self.cand.extras
        opened = []
        for key, rects in extras.items():
            room_pieces = [cells[key], *rects]
            for i, a in enumerate(room_pieces):
                opened += [run for b in room_pieces[i + 1 :] if (run := shared_run(a, b)) is not None]
        every = [rect for _, rect in pieces(cells, extras)]
        for run in _interior_runs(site, every, opened):
            if run.length >= 100:
                self.interior.append(
                    (run, self._wall(run.point(run.lo), run.point(run.hi), site.t_int, False))
                )

    def _rooms(self) -> tuple[list[Room], list[dict[str, Any]]]:
        site = self.job.site
        inner = site.inner
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
            rects = [self.cand.cells[planned.key], *self.cand.extras.get(planned.key, [])]
            shape = unary_union([box(*r) for r in rects])
            outline = _net_outline(shape, inner, walls)
            if outline is None:
                raise BuildFailed(
                    "room_no_single_outline", f"room {planned.key} has no single outline", room=planned.name
                )
            area = round(outline.area / 1e6, 2)
            self.room_area[planned.key] = area
            self.outlines[planned.key] = outline
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
                    note(
                        "under_minimum",
                        self.job.language,
                        room=planned.name,
                        area=float(area),
                        minimum=float(planned.min_area_m2),
                    )
                )
        return rooms, areas
