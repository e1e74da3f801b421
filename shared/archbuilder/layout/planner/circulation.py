"""How rooms are reached: door sizes, where a door fits, the entrance door and a cheapest-path
door tree over the cell adjacency from the entrance room, so rooms are reached through the
hall or living spaces rather than through bedrooms.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass

from archbuilder.domain.brief import RoomType, Side
from archbuilder.layout.planner.geometry import Edge, Rect, Run, Site, exterior_runs, shared_run
from archbuilder.layout.planner.job import Job
from archbuilder.layout.planner.notes import note, side_name
from archbuilder.layout.planner.room_types import ENTRANCE_ROOM_PENALTY, PRIVATE_ENTRY_COST, THROUGH_COST
from archbuilder.layout.room_groups import CIRCULATION, PRIVATE

DOOR_WIDTH_MM = 900.0
SMALL_DOOR_WIDTH_MM = 800.0  # WCs, bathrooms, stores and plant rooms
SMALL_DOOR_ROOMS = frozenset(
    {RoomType.wc, RoomType.bathroom, RoomType.storage, RoomType.technical, RoomType.laundry}
)
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


def door_width(job: Job, *keys: str) -> float:
    """The leaf width of a door into these rooms: 800 mm into a small service room, else 900."""
    small = any(job.rooms[k].type in SMALL_DOOR_ROOMS for k in keys)
    return SMALL_DOOR_WIDTH_MM if small else DOOR_WIDTH_MM


def door_capable(site: Site, run: Run, width: float, along_exterior: bool) -> bool:
    if run.length < width + 2 * DOOR_OVERLAP_MARGIN_MM and not along_exterior:
        return False
    lo, hi = site.clear_span(run, along_exterior)
    return hi - lo >= width + 2 * DOOR_CLEAR_MARGIN_MM


def facade_runs(job: Job, rect: Rect) -> tuple[tuple[Edge, Run], ...]:
    """Exterior runs that may take a window or a door: not on a party wall (memoised per rect)."""
    if not job.party_walls:
        return exterior_runs(job.site, rect)
    runs = job.memo.facades.get(rect)
    if runs is None:
        runs = tuple((e, r) for e, r in exterior_runs(job.site, rect) if e.facing not in job.party_walls)
        job.memo.facades[rect] = runs
    return runs


THROUGH_PRIVATE_PENALTY = 15.0  # per room reached through a bedroom or bathroom
ENTRANCE_REACH_MM = 300.0  # how far the door centre may sit from an entrance point along the facade


def _entrance_centres(site: Site, run: Run) -> tuple[float, float]:
    """The range of an exterior run the entrance door's centre may take (empty when hi < lo)."""
    lo, hi = site.clear_span(run, along_exterior=True)
    margin = DOOR_CLEAR_MARGIN_MM + ENTRANCE_WIDTH_MM / 2
    return lo + margin, hi - margin


def entrance_span(job: Job, run: Run) -> tuple[float, float] | None:
    """Where along an exterior run the entrance door's centre may go, or None if it does not fit
    there. The run must lie on the entrance side, or pass the entrance point."""
    site = job.site
    lo, hi = _entrance_centres(site, run)
    if hi < lo:
        return None
    if job.entrance_point is None:
        return lo, hi
    px, py = job.entrance_point
    along, across = (px, py) if run.horizontal else (py, px)
    if abs(across - run.coord) > site.t_ext or not lo - ENTRANCE_REACH_MM <= along <= hi + ENTRANCE_REACH_MM:
        return None
    centre = min(max(along, lo), hi)
    return centre, centre


def reaches_entrance(job: Job, rects: list[Rect]) -> bool:
    """Whether these rectangles (a circulation's pieces) can take the entrance door where asked."""
    return any(_takes_entrance(job, rect) for rect in rects)


def _takes_entrance(job: Job, rect: Rect) -> bool:
    """Whether this rectangle can take the entrance door where asked (memoised per rect)."""
    takes = job.memo.entrances.get(rect)
    if takes is None:
        takes = any(
            entrance_span(job, run) is not None
            for edge, run in facade_runs(job, rect)
            if job.entrance_point is not None or edge.facing == job.entrance_side
        )
        job.memo.entrances[rect] = takes
    return takes


Piece = tuple[str, Rect]  # a room key and one rectangle of that room (the hall may have two)


def pieces(cells: dict[str, Rect], extras: dict[str, list[Rect]] | None) -> list[Piece]:
    """Every room's cell and its further pieces (the hall's foyer stub, niches), by room key."""
    return list(cells.items()) + [(key, rect) for key, rects in (extras or {}).items() for rect in rects]


def _entrance(job: Job, parts: list[Piece]) -> tuple[str, Edge, float, float] | None:
    """Best (room key, exterior edge, door centre along it, penalty) for the entrance door.

    When the hall can take the front door where the brief asks, only the hall is considered:
    the front door opens into the hall, never into the living room beside it.
    """
    site = job.site
    if job.spine_key is not None:
        hall = [rect for key, rect in parts if key == job.spine_key]
        if reaches_entrance(job, hall):
            parts = [(key, rect) for key, rect in parts if key == job.spine_key]
    best: tuple[float, str, Edge, float] | None = None
    facing_coords = [e.run.coord for e in site.edges if e.facing == job.entrance_side]
    extreme = (min if job.entrance_side in (Side.south, Side.west) else max)(facing_coords or [0.0])
    for key, rect in parts:
        room = job.rooms[key]
        for edge, run in facade_runs(job, rect):
            if not door_capable(site, run, ENTRANCE_WIDTH_MM, along_exterior=True):
                continue
            lo, hi = _entrance_centres(site, run)
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


def circulation(
    job: Job, cells: dict[str, Rect], extras: dict[str, list[Rect]] | None = None
) -> tuple[Circulation, float] | None:
    """Entrance and a cheapest-path door tree; None when some room cannot get a door.

    An en-suite bathroom is linked to its bedroom only; every other room may be reached from
    any neighbour, at the cost of walking through the rooms on the way (THROUGH_COST).
    """
    parts = pieces(cells, extras)
    entrance = _entrance(job, parts)
    if entrance is None:
        return None
    root, edge, centre, penalty = entrance
    links: dict[str, list[tuple[str, Run]]] = defaultdict(list)
    for i, (a, rect_a) in enumerate(parts):
        for b, rect_b in parts[i + 1 :]:
            if a == b or not _may_link(job, a, b):
                continue
            run = shared_run(rect_a, rect_b)
            if run is not None and door_capable(job.site, run, door_width(job, a, b), along_exterior=False):
                links[a].append((b, run))
                links[b].append((a, run))
    for key in links:
        links[key].sort(key=lambda link: (int(link[0][1:]), -link[1].length))
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
            private = job.rooms[nxt].type in PRIVATE and nxt not in job.en_suites
            nd = d + 1.0 + through + (0.0 if from_circulation or not private else PRIVATE_ENTRY_COST)
            if nd < dist.get(nxt, math.inf):
                dist[nxt] = nd
                parents[nxt] = (key, run)
                heapq.heappush(heap, (nd, int(nxt[1:]), nxt))
    if len(done) < len(cells):
        return None
    penalty += 0.1 * sum(dist.values())
    # Walking through a bedroom or a bathroom to reach another room (en-suites aside).
    through_private = [
        c for c, (p, _) in parents.items() if job.rooms[p].type in PRIVATE and c not in job.en_suites
    ]
    penalty += THROUGH_PRIVATE_PENALTY * len(through_private)
    warnings = []
    if job.entrance_side is not None and edge.facing != job.entrance_side:
        side = side_name(job.entrance_side.value, job.language)
        warnings.append(note("entrance_side_missed", job.language, side=side))
    return Circulation(root, edge, centre, parents, warnings), penalty


def _may_link(job: Job, a: str, b: str) -> bool:
    """An en-suite opens only into its bedroom; an open kitchen only into the living (or dining)
    room."""
    for wet, other in ((a, b), (b, a)):
        if wet in job.en_suites and job.en_suites[wet] != other:
            return False
    if job.open_kitchen and _kitchen_in(job, a, b):
        return open_kitchen_of(job, a, b) is not None
    return True


OPEN_TO = frozenset({RoomType.living_room, RoomType.dining_room})


def _kitchen_in(job: Job, a: str, b: str) -> bool:
    """One of a and b is the kitchen, and the programme has a room it could open into."""
    return RoomType.kitchen in (job.rooms[a].type, job.rooms[b].type) and any(
        r.type in OPEN_TO for r in job.rooms.values()
    )


def open_kitchen_of(job: Job, a: str, b: str) -> str | None:
    """The kitchen, when a and b are a kitchen open to the living or dining room."""
    if not job.open_kitchen:
        return None
    types = {job.rooms[a].type: a, job.rooms[b].type: b}
    if RoomType.kitchen in types and OPEN_TO & types.keys():
        return types[RoomType.kitchen]
    return None
