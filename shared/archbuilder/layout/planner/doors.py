"""Doors: the entrance door and the doors of the circulation tree and of must-wishes.

``DoorPlacer`` is the door-placing part of ``build.Builder``; door widths and clearances are in
``circulation``, which decides where doors fit.
"""

from __future__ import annotations

from archbuilder.domain.brief import AdjacencyKind
from archbuilder.domain.layout import Door
from archbuilder.layout.planner.circulation import DOOR_WIDTH_MM, ENTRANCE_WIDTH_MM, Circulation
from archbuilder.layout.planner.geometry import EPS, Rect, Run
from archbuilder.layout.planner.job import Job
from archbuilder.layout.planner.scoring import touching_run
from archbuilder.layout.planner.windows import BuildFailed, wall_length, wall_offset

DOOR_HEIGHT_MM = 2100.0
DOOR_TYPE = "0915 x 2134mm"
ENTRANCE_DOOR_TYPE = "1015 x 2134mm"


class DoorPlacer:
    """Doors for a built layout (mixed into ``build.Builder``)."""

    job: Job
    doors: list[Door]
    occupied: dict[str, list[tuple[float, float]]]
    interior: list[tuple[Run, str]]

    def _host(self, run: Run) -> tuple[str, Run]:
        for wall_run, wall_id in self.interior:
            if (
                wall_run.horizontal == run.horizontal
                and abs(wall_run.coord - run.coord) < EPS
                and wall_run.lo - EPS <= run.lo
                and run.hi <= wall_run.hi + EPS
            ):
                return wall_id, wall_run
        raise BuildFailed("a door has no wall to sit in")

    def add_doors(self, plan: Circulation, cells: dict[str, Rect]) -> None:
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
        self._wish_doors(plan, cells)

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
        offset = wall_offset(start, end, along)
        self.occupied[wall_id].append((offset - width / 2, offset + width / 2))
        self.doors.append(
            Door(
                id=f"D{len(self.doors) + 1}",
                host_wall_id=wall_id,
                position_ratio=round(offset / wall_length(start, end), 6),
                width_mm=width,
                height_mm=DOOR_HEIGHT_MM,
                type_name=ENTRANCE_DOOR_TYPE if len(connects) == 1 else DOOR_TYPE,
                connects=connects,
            )
        )
