"""The search: share-outs of every frame scored quickly, the best of them scored fully
(entrance, door tree, windows), best first.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass

from archbuilder.domain.brief import AdjacencyKind
from archbuilder.layout.planner.circulation import Circulation, circulation
from archbuilder.layout.planner.frames import Frame, Slot
from archbuilder.layout.planner.geometry import Rect
from archbuilder.layout.planner.job import Job
from archbuilder.layout.planner.scoring import SCORE_STEPS, area_score
from archbuilder.layout.planner.shareout import (
    WING_FIRST_ORDERS,
    group_rooms,
    layout_cells,
    trimmed_spines,
    tuned_frame,
    wing_first_groups,
)
from archbuilder.layout.programme import PlannedRoom

ROOM_ORDERS_PER_FRAME = 8
FULLY_SCORED = 40
TOGETHER_ORDERS = 4  # room orders shared out a second time with must partners kept together


@dataclass(slots=True)
class Candidate:
    frame: Frame
    cells: dict[str, Rect]
    extras: dict[str, list[Rect]]  # further pieces of some rooms (see shareout.layout_cells)
    parts: dict[str, float]
    order: int
    plan: Circulation | None = None

    @property
    def score(self) -> float:
        return sum(self.parts.values())


def candidates(job: Job, frames: list[Frame], together: bool = False) -> list[Candidate]:
    """The share-outs of every frame, the best FULLY_SCORED of them with their circulation.
    ``together``: also share out keeping must partners in one slot (the second search)."""
    rng = random.Random(job.seed)  # noqa: S311 - a seeded, repeatable search order, not a secret
    base = sorted(job.others, key=lambda r: (-r.target_area_m2, int(r.key[1:])))
    orders = [base]
    extra = ROOM_ORDERS_PER_FRAME if any(w.kind == AdjacencyKind.must for w in job.wishes) else 0
    for _ in range(ROOM_ORDERS_PER_FRAME - 1 + extra):
        order = list(base)
        rng.shuffle(order)
        orders.append(order)
    quick: list[Candidate] = []
    wing_fits: dict[tuple[tuple[Slot, ...], float], list[list[list[PlannedRoom]]]] = {}
    fitted: dict[tuple[Frame, GroupKey], list[Layout]] = {}
    for frame in frames:
        seen: set[GroupKey] = set()
        shares = [group_rooms(job, frame, order) for order in orders]
        if together and extra:  # must wishes: also share out keeping the partners in one slot
            shares += [group_rooms(job, frame, order, together=True) for order in orders[:TOGETHER_ORDERS]]
        shares += wing_first_groups(job, frame, orders[:WING_FIRST_ORDERS], wing_fits)
        for groups in shares:
            if groups is None:
                continue
            key = tuple(tuple(sorted(r.key for r in g)) for g in groups)
            if key in seen:
                continue
            seen.add(key)
            quick += _shaped(job, frame, groups, key, len(quick), fitted)
    # The candidates best first by (quick score, order), as sorting them would give, but each
    # scored further (``SCORE_STEPS``) only when it comes up: until then the score of the steps
    # taken, a lower bound of its quick score, keeps its place. ``order`` is its index in quick.
    heap = [(cand.score, index) for index, cand in enumerate(quick)]
    heapq.heapify(heap)
    steps = [0] * len(quick)
    scored: list[Candidate] = []
    while heap and len(scored) < FULLY_SCORED:
        _, index = heapq.heappop(heap)
        cand = quick[index]
        if steps[index] < len(SCORE_STEPS):
            SCORE_STEPS[steps[index]](job, cand.cells, cand.extras, cand.parts)
            steps[index] += 1
            heapq.heappush(heap, (cand.score, index))
            continue
        result = circulation(job, cand.cells, cand.extras)
        if result is None:
            continue
        cand.plan, penalty = result
        cand.parts["circulation"] = penalty
        scored.append(cand)
    scored.sort(key=lambda c: (c.score, c.order))
    return scored


Layout = tuple[dict[str, Rect], dict[str, list[Rect]], dict[str, float]]  # cells, extras, area score
GroupKey = tuple[tuple[str, ...], ...]  # a share-out's room keys, per slot


def _shaped(
    job: Job,
    frame: Frame,
    groups: list[list[PlannedRoom]],
    group_key: GroupKey,
    first: int,
    fitted: dict[tuple[Frame, GroupKey], list[Layout]],
) -> list[Candidate]:
    """Candidates for one share-out: the frame fitted to the groups, else the frame as it is.

    ``fitted``: the layouts of each fitted frame and share-out laid out so far in this search;
    share-outs of different frames often fit to the same frame. The cells depend on the rooms
    of each slot, not on their order in the group (``group_key``)."""
    tuned = tuned_frame(job, frame, groups)
    if tuned is not None:
        layouts = fitted.get((tuned, group_key))
        if layouts is None:
            layouts = fitted[(tuned, group_key)] = _layouts(job, tuned, groups)
        if layouts:  # the parts are copied: a candidate's are scored further
            return [Candidate(tuned, c, e, dict(p), first + i) for i, (c, e, p) in enumerate(layouts)]
    return [Candidate(frame, c, e, p, first + i) for i, (c, e, p) in enumerate(_layouts(job, frame, groups))]


def _layouts(job: Job, shape: Frame, groups: list[list[PlannedRoom]]) -> list[Layout]:
    """The share-out's layouts on one frame, in both orders along the slots, with the hall
    trimmed at its far ends, and their area scores (scored further in candidates() if they may
    rank); none that breaks a hard minimum."""
    out: list[Layout] = []
    for flip in (False, True):
        laid = layout_cells(job, shape, groups, flip)
        if laid is None:
            continue
        for cells, extras in (laid, *trimmed_spines(job, shape, *laid)):
            parts = area_score(job, cells, extras)
            if parts is not None:
                out.append((cells, extras, parts))
    return out
