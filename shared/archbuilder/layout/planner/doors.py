"""Doors: the entrance door and the doors of the circulation tree and of must-wishes, each
placed, handed and turned so that its leaf swings into the room it leads to.

A door from the hall swings into the room (the entrance door into the hall), hinged near the
corner of that room with a short return, so the open leaf lies along the side wall. Positions
and hands are tried in that order of preference; the first whose swing stays inside its room
and clears every door placed before (their swings and the floor in front of their doorways)
is taken. The handing follows the convention of ``layout.door_geometry`` (docs/architecture.md,
"Door handing"), which the SVG, DXF and IFC writers draw.

``DoorPlacer`` is the door-placing part of ``build.Builder``; door widths and clearances are in
``circulation``, which decides where doors fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import Polygon

from archbuilder.domain.brief import AdjacencyKind, Brief
from archbuilder.domain.common import builds_imperial
from archbuilder.domain.layout import OPENING_FAMILY, Door, Wall
from archbuilder.layout.door_geometry import DoorGeometry, door_geometry
from archbuilder.layout.planner.circulation import (
    DOOR_CLEAR_MARGIN_MM,
    DOOR_WIDTH_MM,
    ENTRANCE_WIDTH_MM,
    Circulation,
    door_width,
    open_kitchen_of,
)
from archbuilder.layout.planner.geometry import EPS, Rect, Run
from archbuilder.layout.planner.job import Job
from archbuilder.layout.planner.room_types import THROUGH_COST
from archbuilder.layout.planner.scoring import touching_run
from archbuilder.layout.planner.windows import BuildFailed, wall_length, wall_offset
from archbuilder.layout.type_names import opening_type_name

DOOR_HEIGHT_MM = 2100.0
DOOR_RETURN_MM = 120.0  # wall between the hinge and the corner of the room the leaf opens into
OPENING_MAX_WIDTH_MM = 2000.0  # the add-in's widest door


def door_type_name(width: float, height: float, *, imperial: bool = False) -> str:
    """The Revit type name of a door of this size (the name says what the door is), in feet and
    inches in an imperial region (``layout.type_names``)."""
    return opening_type_name(width, height, imperial=imperial)


@dataclass(frozen=True)
class _Option:
    """One way to put a door in a wall: its centre (as a coordinate along the wall's axis) and
    whether the hinge is at the low-coordinate end of the opening."""

    centre: float
    hinge_low: bool


class DoorPlacer:
    """Doors for a built layout (mixed into ``build.Builder``)."""

    job: Job
    brief: Brief
    doors: list[Door]
    walls: list[Wall]
    occupied: dict[str, list[tuple[float, float]]]
    interior: list[tuple[Run, str]]
    outlines: dict[str, Polygon]
    warnings: list[str]

    def _host(self, run: Run) -> tuple[str, Run]:
        for wall_run, wall_id in self.interior:
            if (
                wall_run.horizontal == run.horizontal
                and abs(wall_run.coord - run.coord) < EPS
                and wall_run.lo - EPS <= run.lo
                and run.hi <= wall_run.hi + EPS
            ):
                return wall_id, wall_run
        raise BuildFailed("door_no_wall", "a door has no wall to sit in")

    def add_doors(self, plan: Circulation, cells: dict[str, Rect]) -> None:
        self._swings: list[DoorGeometry] = []
        self._grown: dict[str, Polygon] = {}  # room key -> its outline grown by 1 mm (see _door)
        edge = plan.entrance_edge
        centre = plan.entrance_centre
        options = [_Option(centre, True), _Option(centre, False)]
        self._place(f"W{edge.index + 1}", options, ENTRANCE_WIDTH_MM, [plan.entrance_key], plan.entrance_key)
        for child in sorted(plan.parents, key=lambda k: int(k[1:])):
            parent, run = plan.parents[child]
            self._interior_door(run, [parent, child], child, cells)
        self._wish_doors(plan, cells)

    def _interior_door(self, run: Run, connects: list[str], into: str, cells: dict[str, Rect]) -> None:
        wall_id, _ = self._host(run)
        if open_kitchen_of(self.job, *connects) is not None:
            self._opening(wall_id, run, connects)
            return
        width = door_width(self.job, *connects)
        self._place(wall_id, self._options(run, width, cells[into]), width, connects, into)

    def _opening(self, wall_id: str, run: Run, connects: list[str]) -> None:
        """An open kitchen's link to the living room: a cased opening as wide as the wall allows
        (up to the add-in's 2 m), centred on the shared wall, without a leaf."""
        lo, hi = self.job.site.clear_span(run, along_exterior=False)
        width = min(OPENING_MAX_WIDTH_MM, hi - lo - 2 * DOOR_CLEAR_MARGIN_MM)
        width = max(DOOR_WIDTH_MM, float(int(width / 50) * 50))
        wall = next(w for w in self.walls if w.id == wall_id)
        start, end = (wall.start.x, wall.start.y), (wall.end.x, wall.end.y)
        offset = wall_offset(start, end, (lo + hi) / 2)
        self.occupied[wall_id].append((offset - width / 2, offset + width / 2))
        self.doors.append(
            Door(
                id=f"D{len(self.doors) + 1}",
                host_wall_id=wall_id,
                position_ratio=round(offset / wall_length(start, end), 6),
                width_mm=width,
                height_mm=DOOR_HEIGHT_MM,
                family_name=OPENING_FAMILY,
                type_name=f"{self._type_name(width)} opening",
                connects=connects,
            )
        )

    def _type_name(self, width: float) -> str:
        return door_type_name(width, DOOR_HEIGHT_MM, imperial=builds_imperial(self.brief.region))

    def _options(self, run: Run, width: float, target: Rect) -> list[_Option]:
        """Near a corner of the room the door opens into first (hinge on that side), then the
        other end, then the middle of the shared wall with either hand."""
        lo, hi = self.job.site.clear_span(run, along_exterior=False)
        axis = "x" if run.horizontal else "y"
        ends = [
            (target.lo(axis) >= run.lo - EPS, _Option(lo + DOOR_RETURN_MM + width / 2, True)),
            (target.hi(axis) <= run.hi + EPS, _Option(hi - DOOR_RETURN_MM - width / 2, False)),
        ]
        corners = [o for corner, o in ends if corner] + [o for corner, o in ends if not corner]
        middle = (lo + hi) / 2
        options = [*corners, _Option(middle, True), _Option(middle, False)]
        half = width / 2 + DOOR_CLEAR_MARGIN_MM
        return [o for o in options if lo + half - EPS <= o.centre <= hi - half + EPS]

    def _place(
        self, wall_id: str, options: list[_Option], width: float, connects: list[str], into: str
    ) -> None:
        """The first option whose swing stays in its room and clears the doors placed so far."""
        wall = next(w for w in self.walls if w.id == wall_id)
        outline = self.outlines[into]
        chosen: tuple[Door, DoorGeometry] | None = None
        for option in options:
            door = self._door(wall, option, width, connects, into, outline)
            geometry = door_geometry(door, wall)
            if chosen is None:
                chosen = (door, geometry)
            if self._clear(geometry, outline, wall_id, door):
                chosen = (door, geometry)
                break
        if chosen is None:
            raise self._no_space(connects)
        door, geometry = chosen
        offset = door.position_ratio * wall.length_mm()
        self.occupied[wall_id].append((offset - width / 2, offset + width / 2))
        self.doors.append(door)
        self._swings.append(geometry)

    def _no_space(self, connects: list[str]) -> BuildFailed:
        """No option of a door fits: between two rooms, or the front door into one."""
        text = f"no room for a door between {' and '.join(connects)}"
        names = [self.job.rooms[key].name if key in self.job.rooms else key for key in connects]
        if len(names) == 2:
            return BuildFailed("door_no_space", text, room_a=names[0], room_b=names[1])
        return BuildFailed("entrance_no_space", text, room=names[0])

    def _door(
        self, wall: Wall, option: _Option, width: float, connects: list[str], into: str, outline: Polygon
    ) -> Door:
        start, end = (wall.start.x, wall.start.y), (wall.end.x, wall.end.y)
        offset = wall_offset(start, end, option.centre)
        # The wall runs start -> end; the hinge end nearer the start is flip_hand = False.
        increasing = (end[0] - start[0]) + (end[1] - start[1]) > 0
        flip_hand = option.hinge_low != increasing
        length = wall_length(start, end)
        ux, uy = (end[0] - start[0]) / length, (end[1] - start[1]) / length
        along = (start[0] + ux * offset, start[1] + uy * offset)
        probe = ShapelyPoint(
            along[0] - uy * (wall.thickness_mm / 2 + 50), along[1] + ux * (wall.thickness_mm / 2 + 50)
        )
        # The leaf swings to the left of start -> end unless flip_facing.
        grown = self._grown.get(into)
        if grown is None:
            grown = self._grown[into] = outline.buffer(1.0)
        flip_facing = not grown.contains(probe)
        return Door(
            id=f"D{len(self.doors) + 1}",
            host_wall_id=wall.id,
            position_ratio=round(offset / length, 6),
            width_mm=width,
            height_mm=DOOR_HEIGHT_MM,
            type_name=self._type_name(width),
            flip_hand=flip_hand,
            flip_facing=flip_facing,
            opens_into=into,
            connects=connects,
        )

    def _clear(self, geometry: DoorGeometry, outline: Polygon, wall_id: str, door: Door) -> bool:
        # The openings on the wall first: the swing checks (shapely) cost far more.
        wall = next(w for w in self.walls if w.id == wall_id)
        offset = door.position_ratio * wall.length_mm()
        for a, b in self.occupied[wall_id]:
            if (
                offset + door.width_mm / 2 + 2 * DOOR_CLEAR_MARGIN_MM > a
                and b > offset - door.width_mm / 2 - 2 * DOOR_CLEAR_MARGIN_MM
            ):
                return False
        if geometry.leaves(outline):
            return False
        return not any(geometry.clashes_with(other) for other in self._swings)

    def _wish_doors(self, plan: Circulation, cells: dict[str, Rect]) -> None:
        """A must-wish is a door between the two rooms: add one where the tree has none."""
        linked = {frozenset((child, parent)) for child, (parent, _) in plan.parents.items()}
        for wish in self.job.wishes:
            if wish.kind != AdjacencyKind.must:
                continue
            pairs = [(a, b) for a in wish.keys_a for b in wish.keys_b if a != b]
            if any(frozenset(p) in linked for p in pairs):
                continue
            for a, b in pairs:
                run = touching_run(self.job, cells, a, b, door=True)
                if run is None:
                    continue
                # The leaf swings into the more private of the two rooms.
                into = a if THROUGH_COST[self.job.rooms[a].type] > THROUGH_COST[self.job.rooms[b].type] else b
                self._interior_door(run, [a, b], into, cells)
                linked.add(frozenset((a, b)))
                break
