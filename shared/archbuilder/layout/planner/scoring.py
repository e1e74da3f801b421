"""Scoring a layout's cells: area error, proportions, adjacency wishes, wet-room grouping,
daylight and window capacity (lower is better).
"""

from __future__ import annotations

from typing import NamedTuple

from archbuilder.domain.brief import AdjacencyKind, RoomType, Side
from archbuilder.layout.planner.circulation import door_capable, door_width, facade_runs
from archbuilder.layout.planner.geometry import Rect, Run, net_size, shared_run, touches
from archbuilder.layout.planner.job import Job, Wish
from archbuilder.layout.planner.room_types import PREFERRED_WIDTH_MM
from archbuilder.layout.planner.shareout import MAX_ASPECT, net_area
from archbuilder.layout.planner.windows import (
    HABITABLE_WINDOW_H_MM,
    WINDOW_MARGIN_MM,
    glazing_need_mm2,
    window_required,
)
from archbuilder.layout.programme import MIN_ROOM_AREA_M2, PlannedRoom
from archbuilder.layout.room_groups import CIRCULATION, HABITABLE, PRIVATE, WET

AREA_WEIGHT = 4.0
MAX_GROWTH = 1.5  # the most a footprint larger than the programme spreads over its rooms


class CellFacts(NamedTuple):
    """What scoring a room's cell needs of it alone (memoised per room key and cell)."""

    area: float  # net width x net depth, m²
    net: float  # net area (``net_area``: no negative sides), m²
    refused: bool  # narrower than the room's narrow side allows
    floor: float  # the room's least area with the margin _room_penalty keeps
    shape: float  # proportions penalty


def _cell_facts(job: Job, room: PlannedRoom, rect: Rect) -> CellFacts:
    memo = job.memo.cells.get(room.key)
    if memo is None:
        memo = job.memo.cells[room.key] = {}
    facts = memo.get(rect)
    if facts is None:
        w, h = net_size(job.site, rect)
        short = min(w, h)
        refused = short < room.min_width_mm + 10
        # The cell estimate is within ~1 % of the final outline: keep a margin over the minimums.
        floor = max(room.min_area_m2, MIN_ROOM_AREA_M2) * 1.01 + 0.05
        shape = 0.0 if refused else _shape_penalty(job, room, w, h)
        facts = CellFacts(w * h / 1e6, net_area(job.site, rect), refused, floor, shape)
        memo[rect] = facts
    return facts


def _room_penalty(
    job: Job, room: PlannedRoom, facts: CellFacts, scale: float, more: float = 0.0
) -> tuple[float, float] | None:
    """(area error, proportions) of one cell (and ``more`` m² in further pieces); None when the
    cell breaks a hard minimum."""
    area = facts.area + more
    if area < facts.floor or facts.refused:
        return None
    # Area error against the brief's target (AREA_WEIGHT: it outranks a longer walk). When the
    # footprint is larger than the programme, every room grows by the same share (up to
    # MAX_GROWTH): one huge bedroom next to rooms at their targets is not what anyone draws.
    if room.key == job.spine_key:
        area_penalty = AREA_WEIGHT * max(0.0, area / room.target_area_m2 - 1.25)
    elif scale > 1.0 and area > room.target_area_m2:
        expected = room.target_area_m2 * min(scale, MAX_GROWTH)
        area_penalty = AREA_WEIGHT * abs(area / expected - 1.0)
    else:
        area_penalty = AREA_WEIGHT * abs(area / room.target_area_m2 - 1.0)
    return area_penalty, facts.shape


def _shape_penalty(job: Job, room: PlannedRoom, w: float, h: float) -> float:
    """Proportions of a cell of net w x h: narrower than preferred, too long for the room."""
    short, long_ = min(w, h), max(w, h)
    shape = 0.0
    preferred = max(PREFERRED_WIDTH_MM[room.type], room.min_width_mm)
    if short < preferred:
        shape += 3.0 * (preferred - short) / preferred
    if room.type not in CIRCULATION and long_ / short > 2.0:
        shape += 0.5 * (long_ / short - 2.0)  # no bowling-alley bedrooms
    # An open kitchen is one space with the living room it must touch (design_review judges
    # them together): a galley along the living room is no bowling alley.
    open_kitchen = job.open_kitchen and room.type == RoomType.kitchen
    if room.type in HABITABLE and not open_kitchen and long_ / short > MAX_ASPECT:
        shape += 4.0 * (long_ / short - MAX_ASPECT)  # an architect's limit for a room to live in
    elif room.type not in HABITABLE | CIRCULATION and long_ / short > MAX_SERVICE_ASPECT:
        shape += 3.0 * (long_ / short - MAX_SERVICE_ASPECT)  # a WC or store, not a corridor
    return shape


MAX_SERVICE_ASPECT = 3.0
MAX_CORRIDOR_SHARE_PCT = 12.0  # hall and corridors: aim at 8-12 % of the net area
CORRIDOR_SHARE_WEIGHT = 0.5  # per percentage point over
ACCESS_PENALTY = 15.0  # per bedroom or bathroom not reached from the hall (or its en-suite bedroom)


def area_score(job: Job, cells: dict[str, Rect], extras: dict[str, list[Rect]]) -> dict[str, float] | None:
    """The first parts of the score (``SCORE_STEPS``): area error and proportions; None when a cell breaks
    a hard minimum."""
    rooms, spine = job.rooms, job.spine_key
    facts = [_cell_facts(job, rooms[k], rect) for k, rect in cells.items()]
    more, capacity = _net_areas(job, cells, extras, facts)
    scale = capacity / sum([rooms[k].target_area_m2 for k in cells if k != spine])
    parts = {"area": 0.0, "proportions": 0.0}
    for key, cell in zip(cells, facts, strict=True):
        penalty = _room_penalty(job, rooms[key], cell, scale, more.get(key, 0.0))
        if penalty is None:
            return None
        parts["area"] += penalty[0]
        parts["proportions"] += penalty[1]
    return parts


def add_layout_bounds(
    job: Job, cells: dict[str, Rect], extras: dict[str, list[Rect]], parts: dict[str, float]
) -> None:
    """The other parts that cost little, with lower bounds for access and adjacency (rooms that
    do not even touch the hall, wishes no touching pair can meet), no windows yet."""
    if job.spine_key is not None and job.spine_key in cells:
        more, capacity = _net_areas(job, cells, extras)
        hall_area = net_area(job.site, cells[job.spine_key]) + more.get(job.spine_key, 0.0)
        share = 100.0 * hall_area / (capacity + hall_area)
        parts["corridor_share"] = CORRIDOR_SHARE_WEIGHT * max(0.0, share - MAX_CORRIDOR_SHARE_PCT)
    parts["access"] = ACCESS_PENALTY * _apart_private_rooms(job, cells, extras)
    parts["adjacency"] = _adjacency_bound(job, cells)
    parts["wet_grouping"] = _wet_penalty(job, cells)
    parts["daylight"] = _daylight_penalty(job, cells)
    parts["kitchen"] = _kitchen_penalty(job, cells)


def complete_score(
    job: Job, cells: dict[str, Rect], extras: dict[str, list[Rect]], parts: dict[str, float]
) -> None:
    """Access and adjacency exact (their places in the dict, so the order the score sums the
    parts in, stay), then the windows."""
    parts["access"] = ACCESS_PENALTY * len(unreached_private_rooms(job, cells, extras))
    parts["adjacency"] = _adjacency_penalty(job, cells)
    parts["windows"] = window_penalty(job, cells, extras)


# The search scores its many candidates in steps, ``area_score`` then ``SCORE_STEPS``: area error,
# proportions, access from the hall, corridor share, adjacency, wet grouping, daylight, the
# kitchen beside the living room and the windows, none of which needs the door tree. No part is
# negative and a step only adds parts or raises them to their exact values, so the sum of the
# parts after each step is a lower bound of the final sum (floating-point sums of non-negative
# terms only grow when a term is added or raised): the next step is taken only for the
# candidates that may still rank.
SCORE_STEPS = (add_layout_bounds, complete_score)


def _net_areas(
    job: Job, cells: dict[str, Rect], extras: dict[str, list[Rect]], facts: list[CellFacts] | None = None
) -> tuple[dict[str, float], float]:
    """Net area (m²) of each room's further pieces, and of the rooms other than the spine
    (``facts``: the cells' ``CellFacts``, in their order, when the caller has them)."""
    site, rooms, spine = job.site, job.rooms, job.spine_key
    if facts is None:
        facts = [_cell_facts(job, rooms[k], rect) for k, rect in cells.items()]
    more = {key: sum([net_area(site, r) for r in rects]) for key, rects in extras.items()}
    capacity = sum([f.net + more.get(k, 0.0) for k, f in zip(cells, facts, strict=True) if k != spine])
    return more, capacity


def touching_run(job: Job, cells: dict[str, Rect], a: str, b: str, door: bool) -> Run | None:
    run = shared_run(cells[a], cells[b])
    width = door_width(job, a, b)
    if run is None or (door and not door_capable(job.site, run, width, along_exterior=False)):
        return None
    return run


def wish_met(job: Job, cells: dict[str, Rect], wish: Wish) -> bool:
    """must/prefer: some pair shares a wall a door fits in; avoid: no pair shares a wall."""
    door = wish.kind != AdjacencyKind.avoid
    touching = any(
        touching_run(job, cells, a, b, door) is not None for a in wish.keys_a for b in wish.keys_b if a != b
    )
    return touching != (wish.kind == AdjacencyKind.avoid)


WISH_WEIGHT = {
    AdjacencyKind.must: 25.0,
    AdjacencyKind.prefer: 1.5,
    AdjacencyKind.avoid: 1.5,
    AdjacencyKind.en_suite: 25.0,
}


def unreached_private_rooms(job: Job, cells: dict[str, Rect], extras: dict[str, list[Rect]]) -> list[str]:
    """Bedrooms, bathrooms and WCs that cannot get a door from the hall (an en-suite: from its
    bedroom). Empty when there is no hall: then rooms open into each other by necessity."""
    if job.spine_key is None or job.spine_key not in cells:
        return []
    hall = [cells[job.spine_key], *extras.get(job.spine_key, [])]
    out = []
    for key, rect in cells.items():
        room = job.rooms[key]
        if room.type not in PRIVATE:
            continue
        bedroom = job.en_suites.get(key)
        if bedroom is not None:
            reached = touching_run(job, cells, key, bedroom, door=True) is not None
        else:
            width = door_width(job, key)
            reached = any(_door_run(job, rect, piece, width) is not None for piece in hall)
        if not reached:
            out.append(key)
    return out


def _door_run(job: Job, a: Rect, b: Rect, width: float) -> Run | None:
    run = shared_run(a, b)
    if run is None or not door_capable(job.site, run, width, along_exterior=False):
        return None
    return run


def _apart_private_rooms(job: Job, cells: dict[str, Rect], extras: dict[str, list[Rect]]) -> int:
    """How many of ``unreached_private_rooms`` do not even touch the hall (an en-suite: its
    bedroom): a lower bound of their number."""
    if job.spine_key is None or job.spine_key not in cells:
        return 0
    hall = [cells[job.spine_key], *extras.get(job.spine_key, [])]
    apart = 0
    for key, rect in cells.items():
        if job.rooms[key].type not in PRIVATE:
            continue
        bedroom = job.en_suites.get(key)
        if bedroom is not None:
            apart += not touches(rect, cells[bedroom])
        else:
            apart += not any(touches(rect, piece) for piece in hall)
    return apart


def _adjacency_bound(job: Job, cells: dict[str, Rect]) -> float:
    """``_adjacency_penalty`` of the wishes unmet whatever the doors: no pair touches (must,
    prefer) or a pair does (avoid); a lower bound of it."""
    total = 0.0
    for wish in job.wishes:
        pairs = [(cells[a], cells[b]) for a in wish.keys_a for b in wish.keys_b if a != b]
        touching = any(touches(ra, rb) for ra, rb in pairs)
        if touching == (wish.kind == AdjacencyKind.avoid):
            total += WISH_WEIGHT[wish.kind]
    return total


def _adjacency_penalty(job: Job, cells: dict[str, Rect]) -> float:
    return sum(WISH_WEIGHT[w.kind] for w in job.wishes if not wish_met(job, cells, w))


def _wet_penalty(job: Job, cells: dict[str, Rect]) -> float:
    """Wet rooms next to another wet room share a shaft: 1 per wet room standing alone."""
    wet = [k for k in cells if job.rooms[k].type in WET]
    if len(wet) < 2:
        return 0.0
    alone = sum(1 for a in wet if not any(b != a and touches(cells[a], cells[b]) for b in wet))
    return 1.0 * alone


KITCHEN_APART = 3.0  # a kitchen that touches neither the living nor the dining room


def _kitchen_penalty(job: Job, cells: dict[str, Rect]) -> float:
    """The kitchen beside the living or dining room, where meals are carried (unless a wish of
    the brief already says where the kitchen goes)."""
    if any(job.rooms[k].type == RoomType.kitchen for w in job.wishes for k in (*w.keys_a, *w.keys_b)):
        return 0.0
    kitchens = [k for k in cells if job.rooms[k].type == RoomType.kitchen]
    day = [k for k in cells if job.rooms[k].type in (RoomType.living_room, RoomType.dining_room)]
    if not kitchens or not day:
        return 0.0
    beside = any(touches(cells[k], cells[d]) for k in kitchens for d in day)
    return 0.0 if beside else KITCHEN_APART


def _daylight_penalty(job: Job, cells: dict[str, Rect]) -> float:
    """Living rooms want a window facing between south-east and west (true bearings)."""
    penalty = 0.0
    for key, rect in cells.items():
        if job.rooms[key].type != RoomType.living_room:
            continue
        if not _sunlit(job, rect):
            penalty += 0.5
    return penalty


def _sunlit(job: Job, rect: Rect) -> bool:
    """A facade of the cell, long enough for a living room's window, faces between south-east
    and west (memoised per cell)."""
    lit = job.memo.living_lit.get(rect)
    if lit is None:
        bearings = [
            (FACING_DEG[edge.facing] + job.north_deg) % 360
            for edge, run in facade_runs(job, rect)
            if run.length >= 1500
        ]
        lit = job.memo.living_lit[rect] = any(120 <= b <= 270 for b in bearings)
    return lit


# Outward normal of a facade as a bearing when north_deg is 0 (y up = north).
FACING_DEG = {Side.north: 0.0, Side.east: 90.0, Side.south: 180.0, Side.west: 270.0}


def window_penalty(job: Job, cells: dict[str, Rect], extras: dict[str, list[Rect]]) -> float:
    """Rooms whose exterior walls are too short for the glazing they need (or want)."""
    penalty = 0.0
    for key, rect in cells.items():
        room = job.rooms[key]
        rects = [rect, *extras.get(key, [])]
        need = glazing_need_mm2(job, room, rect, sum(net_area(job.site, r) for r in rects))
        if need is None:
            continue
        capacity = sum(
            max(0.0, run.length - job.site.t_ext - 2 * WINDOW_MARGIN_MM) * HABITABLE_WINDOW_H_MM
            for r in rects
            for _, run in facade_runs(job, r)
        )
        if capacity < need:
            penalty += 50.0 if window_required(job, room) else 1.0
    return penalty
