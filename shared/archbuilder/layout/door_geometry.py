"""Where a door of the payload is and which way it swings, from the payload alone.

The convention (docs/architecture.md, "Door handing"): walk along the host wall from its
``start`` to its ``end``. With ``flip_hand`` false the hinge is at the end of the opening
nearer the wall's start; with ``flip_facing`` false the leaf swings to the left of that
direction. The SVG, DXF and IFC writers draw the same door; the validator and the design
review measure it with this module, never with planner code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from shapely.geometry import Polygon

from archbuilder.domain.layout import Door, Wall

ARC_SEGMENTS = 12  # points along the quarter circle of a swing
# What an architect calls a clash: a leaf sweeping more than 0.01 m² of another leaf's floor,
# of the 300 mm in front of another doorway, or beyond its own room's walls.
PASSAGE_MM = 300.0
CLASH_MM2 = 10_000.0
WALL_TOLERANCE_MM = 20.0


@dataclass(frozen=True)
class DoorGeometry:
    """One door in plan: its opening across the wall and the quarter disc its leaf sweeps."""

    centre: tuple[float, float]  # the opening centre on the wall centreline
    direction: tuple[float, float]  # unit vector of the wall, start -> end
    swing_normal: tuple[float, float]  # unit vector across the wall, towards the swing side
    hinge: tuple[float, float]  # the hinge, on the wall face of the swing side
    latch: tuple[float, float]  # the closed leaf's free end, on the same face
    width: float
    thickness: float

    @property
    def opening(self) -> Polygon:
        """The doorway: opening width by wall thickness."""
        return self.passage(0.0)

    def passage(self, clear: float) -> Polygon:
        """The doorway and ``clear`` mm of floor in front of it on both sides (where people walk)."""
        (cx, cy), (ux, uy), (nx, ny) = self.centre, self.direction, self.swing_normal
        hw, ht = self.width / 2, self.thickness / 2 + clear
        return Polygon(
            [
                (cx - ux * hw - nx * ht, cy - uy * hw - ny * ht),
                (cx + ux * hw - nx * ht, cy + uy * hw - ny * ht),
                (cx + ux * hw + nx * ht, cy + uy * hw + ny * ht),
                (cx - ux * hw + nx * ht, cy - uy * hw + ny * ht),
            ]
        )

    @cached_property
    def swing(self) -> Polygon:
        """The quarter disc swept by the leaf, from closed (along the wall) to open at 90°."""
        hx, hy = self.hinge
        closed = math.atan2(self.latch[1] - hy, self.latch[0] - hx)
        opened = math.atan2(self.swing_normal[1], self.swing_normal[0])
        turn = (opened - closed + math.pi) % (2 * math.pi) - math.pi  # ±90°
        points = [(hx, hy)]
        for i in range(ARC_SEGMENTS + 1):
            angle = closed + turn * i / ARC_SEGMENTS
            points.append((hx + self.width * math.cos(angle), hy + self.width * math.sin(angle)))
        return Polygon(points)

    def clashes_with(self, other: DoorGeometry) -> bool:
        """Either leaf sweeps the other's floor or the floor in front of the other's doorway."""
        if self._apart_from(other):
            return False  # the shapely checks below are the dearest part of placing doors
        swing, other_swing = self.swing, other.swing
        return (
            swing.intersection(other_swing).area > CLASH_MM2
            or swing.intersection(other.passage(PASSAGE_MM)).area > CLASH_MM2
            or other_swing.intersection(self.passage(PASSAGE_MM)).area > CLASH_MM2
        )

    def _apart_from(self, other: DoorGeometry) -> bool:
        """Too far apart for a clash: a leaf sweeps a disc of its width round its hinge, a
        passage (the doorway and PASSAGE_MM in front of it) lies within half its diagonal of the
        opening centre, and neither leaf's disc meets the other door's."""
        return (
            _farther(self.hinge, other.hinge, self.width + other.width)
            and _farther(self.hinge, other.centre, self.width + other._passage_reach)
            and _farther(other.hinge, self.centre, other.width + self._passage_reach)
        )

    @property
    def _passage_reach(self) -> float:
        return math.hypot(self.width / 2, self.thickness / 2 + PASSAGE_MM)

    def leaves(self, room: Polygon) -> bool:
        """The leaf sweeps through the walls of ``room`` (the room it opens into)."""
        return self.swing.difference(room.buffer(WALL_TOLERANCE_MM)).area > CLASH_MM2

    def probe(self, distance: float) -> tuple[float, float]:
        """A point ``distance`` mm from the centreline at the opening centre, on the swing side."""
        return (
            self.centre[0] + self.swing_normal[0] * distance,
            self.centre[1] + self.swing_normal[1] * distance,
        )


def _farther(p: tuple[float, float], q: tuple[float, float], distance: float) -> bool:
    return math.hypot(p[0] - q[0], p[1] - q[1]) > distance + 1.0  # 1 mm over rounding


def door_geometry(door: Door, wall: Wall) -> DoorGeometry:
    """The door as the writers draw it (see the module docstring for the convention)."""
    dx, dy = wall.end.x - wall.start.x, wall.end.y - wall.start.y
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    left = (-uy, ux)
    side = -1.0 if door.flip_facing else 1.0
    nx, ny = left[0] * side, left[1] * side
    along = door.position_ratio * length
    cx, cy = wall.start.x + ux * along, wall.start.y + uy * along
    half_w, half_t = door.width_mm / 2, wall.thickness_mm / 2
    hinge_along, latch_along = (half_w, -half_w) if door.flip_hand else (-half_w, half_w)
    hinge = (cx + ux * hinge_along + nx * half_t, cy + uy * hinge_along + ny * half_t)
    latch = (cx + ux * latch_along + nx * half_t, cy + uy * latch_along + ny * half_t)
    return DoorGeometry(
        centre=(cx, cy),
        direction=(ux, uy),
        swing_normal=(nx, ny),
        hinge=hinge,
        latch=latch,
        width=door.width_mm,
        thickness=wall.thickness_mm,
    )
