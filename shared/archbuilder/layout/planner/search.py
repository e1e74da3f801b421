"""The search: share-outs of every frame scored quickly, the best of them scored fully
(entrance, door tree, windows), best first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from archbuilder.domain.brief import AdjacencyKind
from archbuilder.layout.planner.circulation import Circulation, circulation
from archbuilder.layout.planner.frames import Frame, Slot
from archbuilder.layout.planner.geometry import Rect
from archbuilder.layout.planner.job import Job
from archbuilder.layout.planner.scoring import quick_score
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


@dataclass
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
    for frame in frames:
        seen: set[tuple[tuple[str, ...], ...]] = set()
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
            quick += _shaped(job, frame, groups, len(quick))
    quick.sort(key=lambda c: (c.score, c.order))
    scored: list[Candidate] = []
    for cand in quick:
        if len(scored) >= FULLY_SCORED:
            break
        result = circulation(job, cand.cells, cand.extras)
        if result is None:
            continue
        cand.plan, penalty = result
        cand.parts["circulation"] = penalty
        scored.append(cand)
    scored.sort(key=lambda c: (c.score, c.order))
    return scored


def _shaped(job: Job, frame: Frame, groups: list[list[PlannedRoom]], first: int) -> list[Candidate]:
    """Candidates for one share-out: the frame fitted to the groups, else the frame as it is."""
    out: list[Candidate] = []
    tuned = tuned_frame(job, frame, groups)
    for shape in (frame,) if tuned is None else (tuned, frame):
        for flip in (False, True):
            laid = layout_cells(job, shape, groups, flip)
            if laid is None:
                continue
            for cells, extras in (laid, *trimmed_spines(job, shape, *laid)):
                parts = quick_score(job, cells, extras)
                if parts is not None:
                    out.append(Candidate(shape, cells, extras, parts, first + len(out)))
        if out:
            return out
    return out
