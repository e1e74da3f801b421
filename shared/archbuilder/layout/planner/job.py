"""The brief as the search sees it: the site, the rooms, the spine room, the entrance and the
adjacency wishes resolved to room keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

from archbuilder.domain.brief import AdjacencyKind, Brief, RoomType, Side
from archbuilder.layout.planner.geometry import Site
from archbuilder.layout.programme import (
    MIN_ROOM_AREA_M2,
    PlannedRoom,
    default_room_name,
    expand_programme,
    needs_added_corridor,
    region_minimums,
    rooms_matching,
)
from archbuilder.layout.room_minimums import RoomMinimum


@dataclass
class Job:
    """Everything the search needs about the brief."""

    site: Site
    rooms: dict[str, PlannedRoom]
    spine_key: str | None
    entrance_side: Side | None
    entrance_point: tuple[float, float] | None
    seed: int
    minimums: dict[RoomType, RoomMinimum] = field(default_factory=dict)
    wishes: tuple[Wish, ...] = ()
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


@dataclass(frozen=True)
class Wish:
    """An adjacency wish resolved to room keys."""

    a: str
    b: str
    kind: AdjacencyKind
    keys_a: tuple[str, ...]
    keys_b: tuple[str, ...]


def build_job(brief: Brief, with_spine: bool) -> tuple[Job, list[str]]:
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
        Wish(
            a=w.a,
            b=w.b,
            kind=w.kind,
            keys_a=tuple(r.key for r in rooms_matching(rooms, w.a)),
            keys_b=tuple(r.key for r in rooms_matching(rooms, w.b)),
        )
        for w in brief.adjacency
    )
    entrance = brief.entrance
    job = Job(
        site=Site.build(brief),
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
