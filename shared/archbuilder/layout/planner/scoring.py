"""Scoring a layout's cells: area error, proportions, adjacency wishes, wet-room grouping,
daylight and window capacity (lower is better).
"""

from __future__ import annotations

from archbuilder.domain.brief import AdjacencyKind, RoomType, Side
from archbuilder.layout.planner.circulation import door_capable, door_width, facade_runs
from archbuilder.layout.planner.geometry import Rect, Run, net_size, shared_run
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


def _room_penalty(
    job: Job, room: PlannedRoom, rect: Rect, scale: float, more: float = 0.0
) -> tuple[float, float] | None:
    """(area error, proportions) of one cell (and ``more`` m² in further pieces); None when the
    cell breaks a hard minimum."""
    w, h = net_size(job.site, rect)
    short, long_ = min(w, h), max(w, h)
    area = w * h / 1e6 + more
    # The cell estimate is within ~1 % of the final outline: keep a margin over the minimums.
    if area < max(room.min_area_m2, MIN_ROOM_AREA_M2) * 1.01 + 0.05 or short < room.min_width_mm + 10:
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
    return area_penalty, shape


MAX_SERVICE_ASPECT = 3.0
MAX_CORRIDOR_SHARE_PCT = 12.0  # hall and corridors: aim at 8-12 % of the net area
CORRIDOR_SHARE_WEIGHT = 0.5  # per percentage point over
ACCESS_PENALTY = 15.0  # per bedroom or bathroom not reached from the hall (or its en-suite bedroom)


def quick_score(job: Job, cells: dict[str, Rect], extras: dict[str, list[Rect]]) -> dict[str, float] | None:
    """Score parts that need no door tree: area error, proportions, access from the hall,
    corridor share, adjacency, wet grouping, daylight, the kitchen beside the living room."""
    more = {key: sum(net_area(job.site, r) for r in rects) for key, rects in extras.items()}
    others = [k for k in cells if k != job.spine_key]
    capacity = sum(net_area(job.site, cells[k]) + more.get(k, 0.0) for k in others)
    scale = capacity / sum(job.rooms[k].target_area_m2 for k in others)
    parts = {"area": 0.0, "proportions": 0.0}
    for key, rect in cells.items():
        penalty = _room_penalty(job, job.rooms[key], rect, scale, more.get(key, 0.0))
        if penalty is None:
            return None
        parts["area"] += penalty[0]
        parts["proportions"] += penalty[1]
    if job.spine_key is not None and job.spine_key in cells:
        hall_area = net_area(job.site, cells[job.spine_key]) + more.get(job.spine_key, 0.0)
        share = 100.0 * hall_area / (capacity + hall_area)
        parts["corridor_share"] = CORRIDOR_SHARE_WEIGHT * max(0.0, share - MAX_CORRIDOR_SHARE_PCT)
    parts["access"] = ACCESS_PENALTY * len(unreached_private_rooms(job, cells, extras))
    parts["adjacency"] = _adjacency_penalty(job, cells)
    parts["wet_grouping"] = _wet_penalty(job, cells)
    parts["daylight"] = _daylight_penalty(job, cells)
    parts["kitchen"] = _kitchen_penalty(job, cells)
    parts["windows"] = window_penalty(job, cells, extras)
    return parts


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


def _adjacency_penalty(job: Job, cells: dict[str, Rect]) -> float:
    return sum(WISH_WEIGHT[w.kind] for w in job.wishes if not wish_met(job, cells, w))


def _wet_penalty(job: Job, cells: dict[str, Rect]) -> float:
    """Wet rooms next to another wet room share a shaft: 1 per wet room standing alone."""
    wet = [k for k in cells if job.rooms[k].type in WET]
    if len(wet) < 2:
        return 0.0
    alone = sum(1 for a in wet if not any(b != a and shared_run(cells[a], cells[b]) for b in wet))
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
    beside = any(shared_run(cells[k], cells[d]) is not None for k in kitchens for d in day)
    return 0.0 if beside else KITCHEN_APART


def _daylight_penalty(job: Job, cells: dict[str, Rect]) -> float:
    """Living rooms want a window facing between south-east and west (true bearings)."""
    penalty = 0.0
    for key, rect in cells.items():
        if job.rooms[key].type != RoomType.living_room:
            continue
        bearings = [
            (FACING_DEG[edge.facing] + job.north_deg) % 360
            for edge, run in facade_runs(job, rect)
            if run.length >= 1500
        ]
        if not any(120 <= b <= 270 for b in bearings):
            penalty += 0.5
    return penalty


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
