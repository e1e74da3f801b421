"""Windows: how much glazing a room needs and placing it on the room's exterior walls.

``WindowPlacer`` is the window-placing part of ``build.Builder``.
"""

from __future__ import annotations

import math
from typing import Any

from archbuilder.domain.brief import Brief
from archbuilder.domain.common import builds_imperial
from archbuilder.domain.layout import Window
from archbuilder.layout.planner.circulation import facade_runs
from archbuilder.layout.planner.geometry import EPS, Edge, Rect, net_size
from archbuilder.layout.planner.job import Job
from archbuilder.layout.planner.notes import note
from archbuilder.layout.planner.room_types import LARGE_WINDOW
from archbuilder.layout.programme import PlannedRoom
from archbuilder.layout.room_groups import HABITABLE, WET
from archbuilder.layout.type_names import opening_type_name
from archbuilder.platform.errors import Reason

WINDOW_MARGIN_MM = 150.0
HABITABLE_WINDOW_H_MM = 1400.0
MAX_WINDOW_W_MM = 2400.0
WET_WINDOW_MM2 = 600.0 * 600.0


class BuildFailed(Exception):
    """A candidate's payload could not be built (raised by build, doors and windows); the
    planner counts the ``reason`` (``code`` in ``messages/reasons.yaml``, ``text`` in English)
    and moves on to the next candidate."""

    def __init__(self, code: str, text: str, **params: Any) -> None:
        super().__init__(text)
        self.reason = Reason(code, text, params)


def window_required(job: Job, room: PlannedRoom) -> bool:
    """The region asks for a window: habitable rooms, and wet rooms where vents are not allowed."""
    rule = job.minimums.get(room.type)
    if rule is None:
        return False
    return rule.needs_window or not rule.interior_allowed


def glazing_need_mm2(job: Job, room: PlannedRoom, rect: Rect, area_m2: float | None = None) -> float | None:
    """Window area (mm²) the room should get; None for rooms without windows."""
    if room.type in HABITABLE:
        rule = job.minimums.get(room.type)
        ratio = rule.glazing_ratio if rule is not None and rule.glazing_ratio else 0.0
        if area_m2 is None:
            w, h = net_size(job.site, rect)
            area_m2 = w * h / 1e6
        # 2 % over the ratio: the rule compares rough openings, we size the catalogue window.
        return max(ratio * 1.02 * area_m2 * 1e6, 600.0 * HABITABLE_WINDOW_H_MM)
    if room.type in WET:
        return WET_WINDOW_MM2
    return None


def wall_length(start: tuple[float, float], end: tuple[float, float]) -> float:
    return math.hypot(end[0] - start[0], end[1] - start[1])


def wall_offset(start: tuple[float, float], end: tuple[float, float], along: float) -> float:
    """Distance from the wall start of the point at coordinate ``along`` on the wall's axis."""
    horizontal = abs(end[1] - start[1]) < EPS
    origin = start[0] if horizontal else start[1]
    return abs(along - origin)


def _along(edge: Edge, offset: float) -> float:
    horizontal = edge.run.horizontal
    origin, target = (edge.start[0], edge.end[0]) if horizontal else (edge.start[1], edge.end[1])
    return origin + math.copysign(offset, target - origin)


class WindowPlacer:
    """Windows for the rooms of a built layout (mixed into ``build.Builder``)."""

    job: Job
    brief: Brief
    windows: list[Window]
    occupied: dict[str, list[tuple[float, float]]]
    room_area: dict[str, float]
    warnings: list[str]
    assumptions: list[str]

    def add_windows(self, cells: dict[str, Rect], extras: dict[str, list[Rect]]) -> None:
        for key in sorted(cells, key=lambda k: int(k[1:])):
            room = self.job.rooms[key]
            rects = [cells[key], *extras.get(key, [])]
            need = glazing_need_mm2(self.job, room, cells[key], self.room_area.get(key))
            if need is None:
                continue
            placed = 0.0
            while placed < need and self._window(key, room, rects, need - placed):
                placed = sum(n.width_mm * n.height_mm for n in self.windows if n.room_id == key)
            if placed >= need:
                if room.type in LARGE_WINDOW:
                    self._second_facade(key, room, rects)
                continue
            if window_required(self.job, room):
                if self.job.party_walls:
                    sides = sorted(side.value for side in self.job.party_walls)
                    raise BuildFailed(
                        "glazing_party_walls",
                        f"{room.name}: the facades that are not party walls ({', '.join(sides)}) leave"
                        " it too little exterior wall for its windows",
                        room=room.name,
                        sides=sides,
                    )
                raise BuildFailed(
                    "glazing_walls_too_short",
                    f"{room.name}: exterior walls too short for its glazing",
                    room=room.name,
                )
            if room.type in WET and placed == 0:
                self.assumptions.append(note("interior_wet_room", self.job.language, room=room.name))
            elif placed == 0:
                self.warnings.append(note("no_window_wall", self.job.language, room=room.name))

    def _second_facade(self, key: str, room: PlannedRoom, rects: list[Rect]) -> None:
        """A corner living room gets a window on each of its facades (light from two sides)."""
        lit = {n.host_wall_id for n in self.windows if n.room_id == key}
        facades = {f"W{edge.index + 1}" for rect in rects for edge, _ in facade_runs(self.job, rect)}
        for wall_id in sorted(facades - lit):
            self._window(key, room, rects, 1200.0 * HABITABLE_WINDOW_H_MM, only=wall_id)

    def _window(
        self, key: str, room: PlannedRoom, rects: list[Rect], missing_mm2: float, only: str | None = None
    ) -> bool:
        """One window on the longest free exterior span (of wall ``only``, when given), sized
        towards the missing glazing."""
        site = self.job.site
        if room.type in HABITABLE:
            wanted = 1800.0 if room.type in LARGE_WINDOW else 1200.0
            height, sill = HABITABLE_WINDOW_H_MM, 900.0
            wanted = min(MAX_WINDOW_W_MM, max(wanted, math.ceil(missing_mm2 / height / 50) * 50))
        else:
            wanted, height, sill = 600.0, 600.0, 1500.0
        best: tuple[float, Edge, float, float] | None = None
        runs = [edge_run for rect in rects for edge_run in facade_runs(self.job, rect)]
        for edge, run in runs:
            lo, hi = site.clear_span(run, along_exterior=True)
            wall_id = f"W{edge.index + 1}"
            if only is not None and wall_id != only:
                continue
            for a, b in self._free(wall_id, edge, lo, hi):
                usable = b - a - 2 * WINDOW_MARGIN_MM
                if best is None or usable > best[0]:
                    best = (usable, edge, a, b)
        if best is None or best[0] < 600:
            return False
        usable, edge, a, b = best
        width = min(wanted, math.floor(usable / 50) * 50)
        start, end = edge.start, edge.end
        offset = wall_offset(start, end, (a + b) / 2)
        wall_id = f"W{edge.index + 1}"
        self.occupied[wall_id].append((offset - width / 2, offset + width / 2))
        self.windows.append(
            Window(
                id=f"N{len(self.windows) + 1}",
                host_wall_id=wall_id,
                position_ratio=round(offset / wall_length(start, end), 6),
                width_mm=width,
                height_mm=height,
                sill_height_mm=sill,
                type_name=opening_type_name(width, height, imperial=builds_imperial(self.brief.region)),
                room_id=key,
            )
        )
        return True

    def _free(self, wall_id: str, edge: Edge, lo: float, hi: float) -> list[tuple[float, float]]:
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
