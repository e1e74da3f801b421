"""How rooms are reached: door sizes, where a door fits, the entrance door and a cheapest-path
door tree over the cell adjacency from the entrance room, so rooms are reached through the
hall or living spaces rather than through bedrooms.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass

from archbuilder.domain.brief import Side
from archbuilder.layout.planner.geometry import Edge, Rect, Run, Site, shared_run
from archbuilder.layout.planner.job import Job
from archbuilder.layout.planner.room_types import (
    CIRCULATION,
    ENTRANCE_ROOM_PENALTY,
    PRIVATE,
    PRIVATE_ENTRY_COST,
    THROUGH_COST,
)

DOOR_WIDTH_MM = 900.0
ENTRANCE_WIDTH_MM = 1000.0
DOOR_OVERLAP_MARGIN_MM = 150.0  # shared centreline run >= door + 2 x this
DOOR_CLEAR_MARGIN_MM = 100.0  # and the opening stays this far from the wall faces at its ends


@dataclass
class Circulation:
    entrance_key: str
    entrance_edge: Edge
    entrance_centre: float
    parents: dict[str, tuple[str, Run]]
    warnings: list[str]


def door_capable(site: Site, run: Run, width: float, along_exterior: bool) -> bool:
    if run.length < width + 2 * DOOR_OVERLAP_MARGIN_MM and not along_exterior:
        return False
    lo, hi = site.clear_span(run, along_exterior)
    return hi - lo >= width + 2 * DOOR_CLEAR_MARGIN_MM


def exterior_runs(site: Site, rect: Rect) -> list[tuple[Edge, Run]]:
    runs = []
    for horizontal, coord, lo, hi, _ in rect.sides():
        for edge, a, b in site.exterior_cover(horizontal, coord, lo, hi):
            runs.append((edge, Run(horizontal, coord, a, b)))
    return runs


def _entrance(job: Job, cells: dict[str, Rect]) -> tuple[str, Edge, float, float] | None:
    """Best (room key, exterior edge, door centre along it, penalty) for the entrance door."""
    site = job.site
    best: tuple[float, str, Edge, float] | None = None
    facing_coords = [e.run.coord for e in site.edges if e.facing == job.entrance_side]
    extreme = (min if job.entrance_side in (Side.south, Side.west) else max)(facing_coords or [0.0])
    for key, rect in cells.items():
        room = job.rooms[key]
        for edge, run in exterior_runs(site, rect):
            if not door_capable(site, run, ENTRANCE_WIDTH_MM, along_exterior=True):
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


def circulation(job: Job, cells: dict[str, Rect]) -> tuple[Circulation, float] | None:
    """Entrance and a cheapest-path door tree; None when some room cannot get a door."""
    entrance = _entrance(job, cells)
    if entrance is None:
        return None
    root, edge, centre, penalty = entrance
    links: dict[str, list[tuple[str, Run]]] = defaultdict(list)
    keys = sorted(cells, key=lambda k: int(k[1:]))
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            run = shared_run(cells[a], cells[b])
            if run is not None and door_capable(job.site, run, DOOR_WIDTH_MM, along_exterior=False):
                links[a].append((b, run))
                links[b].append((a, run))
    dist = {root: 0.0}
    parents: dict[str, tuple[str, Run]] = {}
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
    return Circulation(root, edge, centre, parents, warnings), penalty
