"""Travel distance through doors: from the farthest point of each room to a target door.

Rooms are nodes' containers: the walk inside a room is ``RoomPaths.distance`` (straight
or around corners), between rooms it goes through door openings. Dijkstra over the doors,
starting from the target doors (a unit entrance, the exits of a storey).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from archbuilder.compliance.geometry import XY, RoomPaths


@dataclass(frozen=True)
class DoorLink:
    id: str
    position: XY
    space_ids: tuple[str, ...]


@dataclass(frozen=True)
class RoomDistance:
    space_id: str
    distance_mm: float  # inf when the room is not reachable through doors
    start: XY | None  # the point the longest walk starts from


def travel_distances(
    rooms: Mapping[str, RoomPaths], doors: Iterable[DoorLink], targets: set[str]
) -> dict[str, RoomDistance]:
    """For every room: the longest of the shortest walks from a point of it to a target door."""
    links = [d for d in doors if any(s in rooms for s in d.space_ids)]
    by_space: dict[str, list[tuple[DoorLink, XY]]] = {sid: [] for sid in rooms}
    for door in links:
        for sid in door.space_ids:
            if sid in rooms:
                by_space[sid].append((door, rooms[sid].entry_point(door.position)))
    best: dict[str, float] = {d.id: 0.0 for d in links if d.id in targets}
    heap = [(0.0, door_id) for door_id in best]
    heapq.heapify(heap)
    by_id = {d.id: d for d in links}
    while heap:
        dist, door_id = heapq.heappop(heap)
        if dist > best.get(door_id, math.inf):
            continue
        door = by_id[door_id]
        for sid in door.space_ids:
            if sid not in rooms:
                continue
            here = rooms[sid].entry_point(door.position)
            for other, there in by_space[sid]:
                if other.id == door_id:
                    continue
                candidate = dist + rooms[sid].distance(here, there)
                if candidate < best.get(other.id, math.inf):
                    best[other.id] = candidate
                    heapq.heappush(heap, (candidate, other.id))
    result: dict[str, RoomDistance] = {}
    for sid, paths in rooms.items():
        worst, worst_at = -1.0, None
        for sample in paths.samples():
            reach = min(
                (best.get(d.id, math.inf) + paths.distance(sample, p) for d, p in by_space[sid]),
                default=math.inf,
            )
            if reach > worst:
                worst, worst_at = reach, sample
        result[sid] = RoomDistance(sid, worst if worst >= 0 else math.inf, worst_at)
    return result
