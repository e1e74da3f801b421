"""The brief as the search sees it: the site, the rooms, the spine room, the entrance and the
adjacency wishes resolved to room keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from archbuilder.domain.brief import AdjacencyKind, Brief, RoomType, Side
from archbuilder.layout.planner.geometry import Edge, Rect, Run, Site
from archbuilder.layout.planner.notes import note
from archbuilder.layout.programme import (
    DEFAULT_AREA_M2,
    DEFAULT_MIN_AREA_M2,
    MIN_ROOM_AREA_M2,
    PlannedRoom,
    default_room_name,
    expand_programme,
    needs_added_corridor,
    region_minimums,
    rooms_matching,
)
from archbuilder.layout.room_minimums import RoomMinimum

if TYPE_CHECKING:
    from archbuilder.layout.planner.frames import Frame, Slot, _SpineCut
    from archbuilder.layout.planner.scoring import CellFacts
    from archbuilder.layout.planner.shareout import SlotCut, SlotFacts, _Daylight


@dataclass
class Memo:
    """The search's memos (see ``Job.memo``). Each holds what a pure function of the job gives
    for its key; the function that fills it says more."""

    facades: dict[Rect, tuple[tuple[Edge, Run], ...]] = field(default_factory=dict)  # facade_runs
    entrances: dict[Rect, bool] = field(default_factory=dict)  # a rect takes the front door
    daylight: dict[Slot, _Daylight] = field(default_factory=dict)  # shareout._daylight
    slot_facts: dict[tuple[Slot, ...], SlotFacts] = field(default_factory=dict)  # a frame's slots
    slot_ranks: dict[tuple[str, ...], list[PlannedRoom]] = field(default_factory=dict)  # rooms' order
    frames: dict[tuple[_SpineCut, tuple[Slot, ...]], Frame] = field(default_factory=dict)  # fitted
    inner_sides: dict[Frame, tuple[str | None, ...]] = field(default_factory=dict)  # per slot
    spine_ends: dict[tuple[Rect, str], tuple[tuple[str, float], ...]] = field(default_factory=dict)
    slot_cuts: dict[tuple[Slot, tuple[str, ...], bool, str | None], SlotCut | None] = field(
        default_factory=dict
    )  # shareout._slot_cut: slot, its rooms' keys (sorted), flip, inner side
    cells: dict[str, dict[Rect, CellFacts]] = field(default_factory=dict)  # room key -> cell -> facts
    living_lit: dict[Rect, bool] = field(default_factory=dict)  # scoring._sunlit


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
    en_suites: dict[str, str] = field(default_factory=dict)  # en-suite key -> its bedroom's key
    party_walls: frozenset[Side] = frozenset()
    open_kitchen: bool = False
    language: str | None = None  # the brief's: what the planner says is said in it
    # Memos of the search: pure functions of this job (its site, rooms and party walls) that
    # the search asks for again and again across frames and room orders. They are keyed by
    # rectangles, slots and room keys only, and die with the job (one per plan).
    memo: Memo = field(default_factory=Memo, repr=False, compare=False)

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
        note(
            "raised_to_minimum",
            _language(brief),
            room=r.name or default_room_name(r.type, brief.language),
            minimum=MIN_ROOM_AREA_M2,
        )
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
            target_area_m2=DEFAULT_AREA_M2[RoomType.corridor],
            min_area_m2=DEFAULT_MIN_AREA_M2[RoomType.corridor],
            min_width_mm=max(1200.0, (corridor_min.narrow_side_mm or 0.0) if corridor_min else 0.0),
        )
        rooms.append(corridor)
        spine_key = corridor.key
        assumptions.append(note("added_corridor", _language(brief), room=corridor.name))
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
    if brief.open_kitchen:
        wishes += _open_kitchen_wish(rooms)
    en_suites, notes = _en_suites(rooms, wishes, _language(brief))
    assumptions += notes
    job = Job(
        site=Site.build(brief),
        rooms={r.key: r for r in rooms},
        spine_key=spine_key if with_spine else None,
        entrance_side=entrance.side,
        entrance_point=(entrance.point.x, entrance.point.y) if entrance.point else None,
        seed=brief.options.seed,
        minimums=region_minimums(brief),
        wishes=tuple(w for w in wishes if w.kind != AdjacencyKind.en_suite),
        north_deg=brief.north_deg,
        en_suites=en_suites,
        party_walls=frozenset(brief.party_walls),
        open_kitchen=brief.open_kitchen,
        language=_language(brief),
    )
    return job, assumptions


def _language(brief: Brief) -> str | None:
    return brief.language.value if brief.language else None


def _open_kitchen_wish(rooms: list[PlannedRoom]) -> tuple[Wish, ...]:
    """An open kitchen must touch the living room (else the dining room) along an opening."""
    kitchens = tuple(r.key for r in rooms if r.type == RoomType.kitchen)
    for kind in (RoomType.living_room, RoomType.dining_room):
        day = tuple(r.key for r in rooms if r.type == kind)
        if kitchens and day:
            return (Wish("kitchen", kind.value, AdjacencyKind.must, kitchens, day),)
    return ()


def _en_suites(
    rooms: list[PlannedRoom], wishes: tuple[Wish, ...], language: str | None
) -> tuple[dict[str, str], list[str]]:
    """Pair each en-suite bathroom or WC with a bedroom: first the ones an ``en_suite`` wish
    names, then the flagged ones with the bedrooms left, in brief order."""
    bedrooms = [r.key for r in rooms if r.type == RoomType.bedroom]
    pairs: dict[str, str] = {}
    for wish in wishes:
        if wish.kind != AdjacencyKind.en_suite:
            continue
        wet = [k for k in wish.keys_a if k not in pairs]
        beds = [k for k in wish.keys_b if k in bedrooms and k not in pairs.values()]
        if wet and beds:
            pairs[wet[0]] = beds[0]
    free = [b for b in bedrooms if b not in pairs.values()]
    notes = []
    for room in rooms:
        if room.en_suite and room.key not in pairs:
            if free:
                pairs[room.key] = free.pop(0)
            else:
                notes.append(note("en_suite_without_bedroom", language, room=room.name))
    return pairs, notes
