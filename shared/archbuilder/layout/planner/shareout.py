"""Sharing the rooms out over a frame's slots and cutting each slot into cells.

Rooms go to slots greedily for a few room orders, and wings first with the room sets whose
targets best match their area; ``tuned_frame`` then moves the spine and the cap so every
main-zone slot gives its rooms the same share of their targets. A slot is cut in proportion to
the target areas, never below a room's minimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import NamedTuple

from archbuilder.domain.brief import AdjacencyKind, RoomType
from archbuilder.layout.planner.circulation import reaches_entrance
from archbuilder.layout.planner.frames import MIN_BAND_MM, Frame, Slot, _SpineCut, spine_frame
from archbuilder.layout.planner.geometry import (
    EPS,
    Rect,
    Run,
    Site,
    insets,
    inside,
    net_size,
    other,
    shared_run,
    snap,
)
from archbuilder.layout.planner.job import Job
from archbuilder.layout.planner.room_types import PREFERRED_WIDTH_MM, SLOT_RANK
from archbuilder.layout.planner.windows import window_required
from archbuilder.layout.programme import MIN_ROOM_AREA_M2, PlannedRoom
from archbuilder.layout.room_groups import HABITABLE


def _water_fill(
    total: float, minimums: list[float], weights: list[float], maximums: list[float] | None = None
) -> list[float] | None:
    """Split ``total`` in proportion to weights, each share at least its minimum and, where the
    rest can take what is over, at most its maximum."""
    if sum(minimums) > total:
        return None
    n = len(weights)
    caps = maximums if maximums is not None else [float("inf")] * n
    bound: dict[int, float] = {}  # shares fixed at a minimum or a maximum
    while True:
        free = [i for i in range(n) if i not in bound]
        free_weight = sum([weights[i] for i in free])
        free_total = total - sum(bound.values())
        if not free or free_weight <= 0:
            if free and free_total > EPS:  # zero weights take what is left, evenly
                return [bound.get(i, free_total / len(free)) for i in range(n)]
            if abs(free_total) > EPS:
                return _water_fill(total, minimums, weights) if maximums is not None else None
            return [bound.get(i, 0.0) for i in range(n)]
        shares = [bound.get(i, free_total * weights[i] / free_weight) for i in range(n)]
        short = [i for i in free if shares[i] < minimums[i]]
        if short:
            bound.update({i: minimums[i] for i in short})
            continue
        over = [i for i in free if shares[i] > caps[i]]
        if not over:
            return shares
        bound.update({i: max(caps[i], minimums[i]) for i in over})


INF = float("inf")
CARVABLE = frozenset({RoomType.wc, RoomType.storage, RoomType.technical, RoomType.laundry, RoomType.bathroom})
MAX_ASPECT = 2.5  # the longest a room to live in should be, over its narrow side
CUT_ASPECT = 2.45  # what a cut aims at, so that snapping to the grid stays under MAX_ASPECT
CARVE_SPARE_MM = 900.0  # net depth a carved room must leave behind to be worth it
CARVE_ASPECT = 2.5  # deepest a carved room is over its width, where its slot allows


@dataclass(frozen=True, slots=True)
class _Carve:
    """A small room cut to its own size at the hall side of its column; the rest of the column
    (towards the facade) goes to the room beside it as a second piece."""

    length: float  # net length of the column along the slot
    depth: float  # net depth the small room keeps
    neighbour: int  # index of the room that takes the rest


def _carves(job: Job, rooms: list[PlannedRoom], depth: float) -> dict[int, _Carve]:
    site = job.site
    out: dict[int, _Carve] = {}
    taken: set[int] = set()
    for i, room in enumerate(rooms):
        if room.type not in CARVABLE or window_required(job, room):
            continue
        # As wide as preferred, and wider for a large one: at most CARVE_ASPECT deep over wide.
        square = (room.target_area_m2 * 1e6 / CARVE_ASPECT) ** 0.5
        length = max(PREFERRED_WIDTH_MM[room.type], room.min_width_mm + 20, snap(square))
        need = max(room.target_area_m2 * 1e6 / length, room.min_width_mm + 20)
        need = max(need, max(room.min_area_m2, MIN_ROOM_AREA_M2) * 1.015e6 / length + 10)
        if depth - need - site.t_int < CARVE_SPARE_MM:
            continue
        beside = [j for j in (i - 1, i + 1) if 0 <= j < len(rooms) and rooms[j].type not in CARVABLE]
        beside = [j for j in beside if j not in taken]
        if not beside:
            continue
        j = max(beside, key=lambda k: (rooms[k].type in HABITABLE, rooms[k].target_area_m2, -k))
        taken.add(j)
        out[i] = _Carve(length, need, j)
    return out


def _cut_slot(
    job: Job, slot: Slot, rooms: list[PlannedRoom], inner: str | None
) -> tuple[list[Rect], list[tuple[str, Rect]]] | None:
    """Cut a slot into one cell per room, areas in proportion to targets, none under its minimum.

    ``inner`` is the side of the slot's depth ("lo" or "hi") along the hall: small rooms there
    are carved to their own size (see ``_Carve``) instead of taking the whole depth.
    """
    site = job.site
    axis, rect = slot.axis, slot.rect
    net_w, net_h = net_size(site, rect)
    depth = net_h if axis == "x" else net_w
    total = (net_w if axis == "x" else net_h) - (len(rooms) - 1) * site.t_int
    if depth <= 0 or total <= 0:
        return None
    if len(rooms) == 1:  # the whole slot: _water_fill refuses it only under the room's minimum
        return None if _min_length(site, rooms[0], depth) > total else ([rect], [])
    minimums = [_min_length(site, r, depth) for r in rooms]
    weights = [r.target_area_m2 for r in rooms]
    habitable = [r.type in HABITABLE for r in rooms]
    # Rooms to live in stay within MAX_ASPECT where the slot allows it: not narrower than
    # depth / CUT_ASPECT, not longer than depth * CUT_ASPECT (the other rooms take the rest).
    longest, narrowest = depth * CUT_ASPECT, depth / CUT_ASPECT
    maximums = [longest if h else INF for h in habitable]
    proportioned = [max(m, narrowest) if h else m for m, h in zip(minimums, habitable, strict=True)]
    if sum(proportioned) <= total:
        minimums = proportioned
    carves = _carves(job, rooms, depth) if inner is not None else {}
    for i, carve in carves.items():
        minimums[i], weights[i] = carve.length, 0.0
        spare = carve.length * (depth - carve.depth - site.t_int) / 1e6
        weights[carve.neighbour] = max(weights[carve.neighbour] - spare, 0.25 * weights[carve.neighbour])
    lengths = _water_fill(total, minimums, weights, maximums)
    if lengths is None:
        return None
    south, north, west, east = insets(site, rect)
    along_x = axis == "x"
    x0, y0, x1, y1 = rect
    start, end = (x0, x1) if along_x else (y0, y1)
    cells = []
    pos, lo = start + (west if along_x else south), start
    last = len(lengths) - 1
    for i, length in enumerate(lengths):
        pos += length
        hi = end if i == last else snap(pos + site.t_int / 2)
        cells.append(Rect(lo, y0, hi, y1) if along_x else Rect(x0, lo, x1, hi))  # rect.with_span
        pos += site.t_int
        lo = hi
    extras: list[tuple[str, Rect]] = []
    across = other(axis)
    for i, carve in carves.items():
        cell = cells[i]
        low_inset = south if across == "y" else west
        high_inset = north if across == "y" else east
        if inner == "lo":
            cut = snap(cell.lo(across) + low_inset + carve.depth + site.t_int / 2)
            cells[i], rest = (
                cell.with_span(across, cell.lo(across), cut),
                cell.with_span(across, cut, cell.hi(across)),
            )
        else:
            cut = snap(cell.hi(across) - high_inset - carve.depth - site.t_int / 2)
            cells[i], rest = (
                cell.with_span(across, cut, cell.hi(across)),
                cell.with_span(across, cell.lo(across), cut),
            )
        extras.append((rooms[carve.neighbour].key, rest))
    return cells, extras


def _inner_side(slot: Slot, hall: list[Rect]) -> str | None:
    """The side of the slot's depth that runs along the hall, if one does."""
    across = other(slot.axis)
    for piece in hall:
        run = shared_run(slot.rect, piece)
        if run is not None and run.horizontal == (slot.axis == "x"):
            return "lo" if abs(run.coord - slot.rect.lo(across)) < EPS else "hi"
    return None


class _Fill(NamedTuple):
    """A slot seen as net length x net depth around its rooms, for moving its depth."""

    length: float  # net length left for rooms once their n - 1 walls are taken
    depth: float  # net depth
    depth_inset: float  # centreline depth - net depth (half the walls on its long sides)
    target: float  # summed target area (m²) of its rooms, in mm²

    @classmethod
    def of(cls, site: Site, slot: Slot, rooms: list[PlannedRoom]) -> _Fill:
        w, h = net_size(site, slot.rect)
        length, depth = (w, h) if slot.axis == "x" else (h, w)
        return cls(
            length=length - (len(rooms) - 1) * site.t_int,
            depth=depth,
            depth_inset=slot.rect.size(other(slot.axis)) - depth,
            target=sum(r.target_area_m2 for r in rooms) * 1e6,
        )


def tuned_frame(job: Job, frame: Frame, groups: list[list[PlannedRoom]]) -> Frame | None:
    """The frame with its cap depth and spine position moved so that every main-zone slot
    gives its rooms the same share of their targets.

    A band shares its depth among all its rooms, so a band with spare area inflates every room
    in it while the other band squeezes its own: fitting the slots to the groups the share-out
    gave them removes most of that error. Wall insets are taken from the untuned slots, so
    the fit is closed-form (the search runs it for every share-out); the cells cut from the
    tuned frame are scored like any other. Wings keep their size: the footprint fixes it.
    In a frame with a foyer stub only the spine moves (the pieces of the split band share one
    depth, so they are one band for the fit); its cap keeps its depth.
    """
    cut = frame.cut
    if cut is None:
        return None
    if frame.stub is not None:
        return _tuned_stub_frame(job, frame, groups)
    site, main, u = job.site, cut.main, cut.u
    v = other(u)
    bands = sum(1 for s in frame.slots if s.axis == u and inside(s.rect, main))
    fills = [_Fill.of(site, s, g) for s, g in zip(frame.slots[: bands + bool(cut.cap)], groups, strict=False)]
    if cut.cap and len(fills) > bands:
        cap = fills[bands]
        # The bands the cap shortens (a cap over one band leaves the other its whole length).
        shortened = [i for i, s in enumerate(frame.slots[:bands]) if s.rect.size(u) < main.size(u) - EPS]
        band_fills = [fills[i] for i in shortened]
        # A band's usable length is b.length + (c0 - c) for cap depth c (c0: the untuned one).
        # Equal ratios: a * (c - cap.depth_inset) = (p - c * q) / total, linear in c.
        full = main.size(u)
        a = cap.length / cap.target
        total = sum(b.target for b in band_fills)
        p = sum(b.depth * (b.length + cut.cap_depth) for b in band_fills)
        q = sum(b.depth for b in band_fills)
        depth = (p / total + a * cap.depth_inset) / (a + q / total)
        widest = max(r.min_width_mm for r in groups[bands])
        depth = min(max(snap(depth), MIN_BAND_MM, widest + site.t_ext), full - cut.min_len)
        fills = [
            f._replace(length=f.length - (depth - cut.cap_depth)) if i in shortened else f
            for i, f in enumerate(fills[:bands])
        ] + [cap]
        cut = cut._replace(cap_depth=depth)
    if bands == 2:
        start = _spine_start(site, main, v, cut.v_hi - cut.v_lo, (fills[0], groups[0]), (fills[1], groups[1]))
        if start is not None:
            cut = cut._replace(v_lo=start, v_hi=start + cut.v_hi - cut.v_lo)
    if cut == frame.cut:
        return None
    return _fitted_frame(job, cut, frame.slots[len(fills) :])


def _fitted_frame(job: Job, cut: _SpineCut, wings: tuple[Slot, ...]) -> Frame:
    """``spine_frame`` memoised per cut and wings: share-outs of different frames often fit to
    the same cut."""
    key = (cut, wings)
    frame = job.memo.frames.get(key)
    if frame is None:
        frame = job.memo.frames[key] = spine_frame(cut, wings)
    return frame


def _spine_start(
    site: Site,
    main: Rect,
    v: str,
    width: float,
    low: tuple[_Fill, list[PlannedRoom]],
    high: tuple[_Fill, list[PlannedRoom]],
) -> float | None:
    """Where the spine starts across v so both bands give their rooms the same share of their
    targets (clamped to the rooms' narrow sides); None when no position satisfies both."""
    (lo_band, lo_rooms), (hi_band, hi_rooms) = low, high
    # Equal ratios: alpha * (s - lo - lo_band.depth_inset) = beta * (hi - s - w - hi_band.depth_inset)
    alpha, beta = lo_band.length / lo_band.target, hi_band.length / hi_band.target
    lo, hi = main.lo(v) + lo_band.depth_inset, main.hi(v) - width - hi_band.depth_inset
    start = snap((alpha * lo + beta * hi) / (alpha + beta))
    least = main.lo(v) + max(MIN_BAND_MM, max(r.min_width_mm for r in lo_rooms) + site.t_ext)
    most = main.hi(v) - width - max(MIN_BAND_MM, max(r.min_width_mm for r in hi_rooms) + site.t_ext)
    if least > most:
        return None
    return min(max(start, least), most)


def _tuned_stub_frame(job: Job, frame: Frame, groups: list[list[PlannedRoom]]) -> Frame | None:
    """The spine of a frame with a foyer stub moved across v (see ``tuned_frame``)."""
    cut = frame.cut
    assert cut is not None
    site, main, u = job.site, cut.main, cut.u
    v = other(u)
    count = sum(1 for s in frame.slots if s.axis == u and inside(s.rect, main))
    sides: dict[bool, list[tuple[_Fill, list[PlannedRoom]]]] = {True: [], False: []}
    for slot, rooms in zip(frame.slots[:count], groups, strict=False):
        sides[abs(slot.rect.lo(v) - main.lo(v)) < EPS].append((_Fill.of(site, slot, rooms), rooms))
    if not sides[True] or not sides[False]:
        return None

    def band(pairs: list[tuple[_Fill, list[PlannedRoom]]]) -> tuple[_Fill, list[PlannedRoom]]:
        first = pairs[0][0]
        fill = first._replace(length=sum(f.length for f, _ in pairs), target=sum(f.target for f, _ in pairs))
        return fill, [r for _, rooms in pairs for r in rooms]

    width = cut.v_hi - cut.v_lo
    start = _spine_start(site, main, v, width, band(sides[True]), band(sides[False]))
    if start is None or start == cut.v_lo:
        return None
    tuned = cut._replace(v_lo=start, v_hi=start + width)
    return _fitted_frame(job, tuned, frame.slots[count + bool(cut.cap) :])


@dataclass(frozen=True, slots=True)
class _Daylight:
    """Where a slot meets a free facade (not a party wall): along its length, at its ends."""

    along: bool  # every room cut from the slot gets a piece of facade
    lo: bool  # the first room does
    hi: bool  # the last room does

    @classmethod
    def of(cls, job: Job, slot: Slot) -> _Daylight:
        axis, rect = slot.axis, slot.rect
        along = lo = hi = False
        # facade_runs(job, rect), without making (and keeping) the runs of every slot searched
        for horizontal, coord, side_lo, side_hi, _ in rect.sides():
            for edge, a, b in job.site.exterior_cover(horizontal, coord, side_lo, side_hi):
                if edge.facing in job.party_walls or b - a < WINDOW_RUN_MM:
                    continue
                if horizontal == (axis == "x"):
                    along = True
                elif abs(coord - rect.lo(axis)) < EPS:
                    lo = True
                elif abs(coord - rect.hi(axis)) < EPS:
                    hi = True
        return cls(along, lo, hi)

    @property
    def places(self) -> float:
        """How many rooms of the slot can have a window."""
        return float("inf") if self.along else float(self.lo + self.hi)


def _daylight(job: Job, slot: Slot) -> _Daylight:
    """``_Daylight.of`` memoised per slot."""
    light = job.memo.daylight.get(slot)
    if light is None:
        light = job.memo.daylight[slot] = _Daylight.of(job, slot)
    return light


WINDOW_RUN_MM = 1200.0  # the shortest piece of facade worth a window


def group_rooms(
    job: Job, frame: Frame, order: list[PlannedRoom], together: bool = False
) -> list[list[PlannedRoom]] | None:
    """Greedy share-out: each room goes to the slot with the most area still free that has
    length left for the room's minimum. ``together``: a room goes to the slot of a room it
    must touch (an open kitchen's living room, an en-suite's bedroom) when that slot fits it."""
    partners = _must_partners(job) if together else {}
    site, slots = job.site, frame.slots
    facts = _slot_facts(job, slots)
    capacity, length, places = facts.capacity, facts.length, facts.places
    total_target = sum(r.target_area_m2 for r in order)
    scale = sum(capacity) / total_target if total_target else 1.0
    load = [0.0] * len(slots)
    used = [-site.t_int] * len(slots)  # n rooms in a slot need n - 1 walls
    groups: list[list[PlannedRoom]] = [[] for _ in slots]
    empty_groups = len(slots)
    # A room that must have a window goes where one of the slot's facade places is still free
    # (a band of a terrace meets the street only at its end), when any slot has one.
    lit = [0] * len(slots)
    for placed, room in enumerate(order):
        need = facts.need(site, room)
        fits = [i for i, n in need if used[i] + n <= length[i]]
        windowed = window_required(job, room)
        if windowed:
            fits = [i for i in fits if lit[i] < places[i]] or fits
        if partners:
            beside = [i for i in fits if any(r.key in partners.get(room.key, ()) for r in groups[i])]
            fits = beside or fits
        empty = [i for i in fits if not groups[i]]
        # Leave no slot empty: once the rooms left only just cover the empty slots, fill those.
        pool = empty if len(order) - placed <= empty_groups else fits
        if not pool:
            return None
        best = (
            pool[0]
            if len(pool) == 1
            else max(pool, key=lambda i: (capacity[i] - scale * (load[i] + room.target_area_m2), -i))
        )
        empty_groups -= not groups[best]
        groups[best].append(room)
        lit[best] += windowed
        load[best] += room.target_area_m2
        used[best] += facts.needs[room.key][best]
    if empty_groups:
        return None
    return groups


@dataclass(slots=True)
class SlotFacts:
    """What the greedy share-out asks of a frame's slots, for every room order (memoised per
    slots, see ``_slot_facts``)."""

    capacity: list[float]  # net area, m²
    depth: list[float]  # net depth
    length: list[float]  # net length
    places: list[float]  # rooms that can have a window (_Daylight.places)
    needs: dict[str, list[float]] = field(default_factory=dict)  # room key -> length + wall, per slot
    deep: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # (slot, need) deep enough

    def need(self, site: Site, room: PlannedRoom) -> list[tuple[int, float]]:
        """(slot index, net length with a wall the room needs there) for the slots deep enough
        for the room's narrow side."""
        deep = self.deep.get(room.key)
        if deep is None:
            needs = [_min_length(site, room, d) + site.t_int for d in self.depth]
            self.needs[room.key] = needs
            deep = [(i, n) for i, n in enumerate(needs) if self.depth[i] >= room.min_width_mm]
            self.deep[room.key] = deep
        return deep


def _slot_facts(job: Job, slots: tuple[Slot, ...]) -> SlotFacts:
    """A frame's ``SlotFacts``, memoised per slots: every room order shares out over the same
    frame."""
    facts = job.memo.slot_facts.get(slots)
    if facts is None:
        site = job.site
        facts = SlotFacts(
            [net_area(site, s.rect) for s in slots],
            [_slot_depth(site, s) for s in slots],
            [_slot_length(site, s) for s in slots],
            [_daylight(job, s).places for s in slots],
        )
        job.memo.slot_facts[slots] = facts
    return facts


def _must_partners(job: Job) -> dict[str, set[str]]:
    """Room key -> the keys it must touch (must and en-suite wishes)."""
    out: dict[str, set[str]] = {}
    for wish in job.wishes:
        if wish.kind not in (AdjacencyKind.must, AdjacencyKind.en_suite):
            continue
        for a in wish.keys_a:
            for b in wish.keys_b:
                if a != b:
                    out.setdefault(a, set()).add(b)
                    out.setdefault(b, set()).add(a)
    return out


def _min_length(site: Site, room: PlannedRoom, depth: float) -> float:
    """Shortest net length along a slot of this net depth that gives the room its minimum."""
    # 1.5 % and 10 mm headroom absorb snapping and the exterior-share estimate of the wall insets
    # (measured: no candidate of the bench fails a minimum with it; 3 % put every room whose
    # target is its minimum, WCs and stores, 4-5 % over target).
    by_area = max(room.min_area_m2, MIN_ROOM_AREA_M2) * 1.015e6 / depth + 10
    return max(by_area, room.min_width_mm + 20)


def _slot_length(site: Site, slot: Slot) -> float:
    w, h = net_size(site, slot.rect)
    return w if slot.axis == "x" else h


def net_area(site: Site, rect: Rect) -> float:
    w, h = net_size(site, rect)
    return max(w, 0.0) * max(h, 0.0) / 1e6


def _slot_depth(site: Site, slot: Slot) -> float:
    w, h = net_size(site, slot.rect)
    return h if slot.axis == "x" else w


def _order_in_slot(job: Job, slot: Slot, rooms: list[PlannedRoom], flip: bool) -> list[PlannedRoom]:
    """Public rooms at the end nearer the entrance, wet rooms next to each other."""
    keys = tuple(sorted(r.key for r in rooms))
    chained = job.memo.slot_ranks.get(keys)  # the ranking depends on the rooms alone
    if chained is None:
        chained = _chain_partners(job, sorted(rooms, key=lambda r: (SLOT_RANK[r.type], int(r.key[1:]))))
        job.memo.slot_ranks[keys] = chained
    ranked = list(chained)
    ref = job.entrance_ref
    i = 0 if slot.axis == "x" else 1
    near_low = abs(ref[i] - slot.rect.lo(slot.axis)) <= abs(ref[i] - slot.rect.hi(slot.axis))
    if near_low == flip:
        ranked.reverse()
    return _windows_to_ends(job, slot, ranked)


def _windows_to_ends(job: Job, slot: Slot, ranked: list[PlannedRoom]) -> list[PlannedRoom]:
    """In a slot that meets a free facade only at its ends, the rooms that must have a window
    take those ends (the others keep their order between them)."""
    light = _daylight(job, slot)
    if light.along or not (light.lo or light.hi):
        return ranked
    windowed = [r for r in ranked if window_required(job, r)]
    if not windowed or len(windowed) > light.lo + light.hi:
        return ranked
    rest = [r for r in ranked if r not in windowed]
    if light.lo and light.hi and len(windowed) == 2:
        return [windowed[0], *rest, windowed[1]]
    room = windowed[0]
    if light.lo and light.hi:  # one room: the end it was nearer
        return [room, *rest] if ranked.index(room) < len(ranked) / 2 else [*rest, room]
    return [room, *rest] if light.lo else [*rest, room]


def _chain_partners(job: Job, ranked: list[PlannedRoom]) -> list[PlannedRoom]:
    """Move the second room of each must/prefer wish right after the first, when both are here."""
    order = list(ranked)
    for wish in sorted(job.wishes, key=lambda w: w.kind != AdjacencyKind.must):
        if wish.kind == AdjacencyKind.avoid:
            continue
        keys = [r.key for r in order]
        pairs = [(a, b) for a in wish.keys_a for b in wish.keys_b if a != b and a in keys and b in keys]
        if not pairs or any(abs(keys.index(a) - keys.index(b)) == 1 for a, b in pairs):
            continue
        a, b = pairs[0]
        moved = order.pop(keys.index(b))
        order.insert([r.key for r in order].index(a) + 1, moved)
    return order


Extras = dict[str, list[Rect]]  # second (and further) pieces of a room: the hall's stub, niches


def layout_cells(
    job: Job, frame: Frame, groups: list[list[PlannedRoom]], flip: bool
) -> tuple[dict[str, Rect], Extras] | None:
    """Each room's cell, and the extra pieces some rooms get (the hall's foyer stub, the rest of
    a small room's column)."""
    cells: dict[str, Rect] = {}
    extras: Extras = {}
    if frame.spine is not None and job.spine_key is not None:
        cells[job.spine_key] = frame.spine
        if frame.stub is not None:
            extras[job.spine_key] = [frame.stub]
    inners = job.memo.inner_sides.get(frame)
    if inners is None:
        hall = frame.circulation
        inners = job.memo.inner_sides[frame] = tuple(_inner_side(slot, hall) for slot in frame.slots)
    for slot, group, inner in zip(frame.slots, groups, inners, strict=True):
        cut = _slot_cut(job, slot, group, flip, inner)
        if cut is None:
            return None
        keys, rects, rests = cut
        cells.update(zip(keys, rects, strict=True))
        for key, rest in rests:
            extras.setdefault(key, []).append(rest)
    return cells, extras


SlotCut = tuple[tuple[str, ...], tuple[Rect, ...], tuple[tuple[str, Rect], ...]]  # keys, cells, pieces


def _slot_cut(
    job: Job, slot: Slot, group: list[PlannedRoom], flip: bool, inner: str | None
) -> SlotCut | None:
    """The slot's rooms in order and cut (``_order_in_slot``, ``_cut_slot``): their keys, their
    cells and the further pieces, memoised: frames share slots (wings, bands), and room orders
    share groups. The order in a slot depends on the rooms, not on the order they were shared
    out in; a room alone in its slot is the same in either order (``flip``)."""
    alone = len(group) == 1
    memo_key = (slot, tuple(sorted(r.key for r in group)), flip and not alone, inner)
    if memo_key in job.memo.slot_cuts:
        return job.memo.slot_cuts[memo_key]
    ordered = group if alone else _order_in_slot(job, slot, group, flip)
    cut = _cut_slot(job, slot, ordered, inner)
    out: SlotCut | None = None
    if cut is not None:
        rects, rests = cut
        out = tuple(r.key for r in ordered), tuple(rects), tuple(rests)
    job.memo.slot_cuts[memo_key] = out
    return out


WING_FIRST_ORDERS = 2  # room orders used to share the rest out after the wings are filled
WING_FITS = 3  # best-fitting room sets tried in the first wing
WING_SET_MAX = 4  # most rooms one wing gets in a wing-first share-out


def wing_first_groups(
    job: Job,
    frame: Frame,
    orders: list[list[PlannedRoom]],
    cache: dict[tuple[tuple[Slot, ...], float], list[list[list[PlannedRoom]]]],
) -> list[list[list[PlannedRoom]] | None]:
    """Share-outs that first give each wing the rooms whose targets best match its area.

    A wing's size is fixed by the footprint and the greedy share-out rarely hands it rooms
    that fill it: the rest of the main zone then pays (its slots are fitted afterwards, see
    ``tuned_frame``). The rooms left over go to the main-zone slots greedily, as usual.
    """
    if frame.cut is None:
        return []
    main = frame.cut.main
    inner = tuple(s for s in frame.slots if inside(s.rect, main))
    wings = frame.slots[len(inner) :]
    if not wings:
        return []
    # Every room gets the same share of its target when the frame is evenly used.
    ratio = sum(net_area(job.site, s.rect) for s in frame.slots) / sum(r.target_area_m2 for r in job.others)
    key = (wings, round(ratio, 2))
    if key not in cache:
        cache[key] = _wing_sets(job, list(wings), ratio)
    out: list[list[list[PlannedRoom]] | None] = []
    for wing_groups in cache[key]:
        taken = {r.key for g in wing_groups for r in g}
        for order in orders:
            rest = [r for r in order if r.key not in taken]
            groups = group_rooms(job, Frame(frame.spine, inner, frame.cut), rest) if rest else None
            out.append(None if groups is None else [*groups, *wing_groups])
    return out


def _wing_sets(job: Job, wings: list[Slot], ratio: float) -> list[list[list[PlannedRoom]]]:
    """Up to WING_FITS choices of rooms for the wings (best fit first, wings filled in turn)."""
    site = job.site
    rooms = sorted(job.others, key=lambda r: int(r.key[1:]))
    choices: list[list[list[PlannedRoom]]] = [[]]
    for n, wing in enumerate(wings):
        widened: list[list[list[PlannedRoom]]] = []
        for chosen in choices:
            used = {r.key for g in chosen for r in g}
            fits = _fitting_sets(site, wing, [r for r in rooms if r.key not in used], ratio)
            keep = WING_FITS if n == 0 else 1
            widened += [[*chosen, list(s)] for s in fits[:keep]]
        choices = widened
    return choices


def _fitting_sets(
    site: Site, wing: Slot, rooms: list[PlannedRoom], ratio: float
) -> list[tuple[PlannedRoom, ...]]:
    """Room sets that fit the wing, best match of area to targets first."""
    depth, length = _slot_depth(site, wing), _slot_length(site, wing)
    fitting = [r for r in rooms if depth >= r.min_width_mm]
    scored: list[tuple[float, tuple[int, ...], tuple[PlannedRoom, ...]]] = []
    for size in range(1, min(WING_SET_MAX, len(rooms) - 1) + 1):
        for rset in combinations(fitting, size):
            need = sum(_min_length(site, r, depth) for r in rset) + (size - 1) * site.t_int
            if need > length:
                continue
            usable = (length - (size - 1) * site.t_int) * depth / 1e6
            target = sum(r.target_area_m2 for r in rset)
            scored.append((abs(usable / (target * ratio) - 1), tuple(int(r.key[1:]) for r in rset), rset))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [t[2] for t in scored]


def trimmed_spines(
    job: Job, frame: Frame, cells: dict[str, Rect], extras: Extras
) -> list[tuple[dict[str, Rect], Extras]]:
    """The layout with the hall stopping at the door of the room at its far end.

    A spine runs the whole length of its bands; past the last rooms' doors it is floor nobody
    uses. For each end of the spine away from the front door, the room at that end on one side
    takes the spine's end (its cell widens across the spine) and is entered from the hall's
    end; the room opposite must keep enough hall along it for its door.
    """
    spine_key = job.spine_key
    if frame.spine is None or frame.cut is None or spine_key is None:
        return []
    spine, u = cells[spine_key], frame.cut.u
    v = other(u)
    out: list[tuple[dict[str, Rect], Extras]] = []
    ends = _ends_away_from_door(job, spine, u)
    if not ends:
        return out
    # The run each room shares with the spine (None-ness does not depend on the argument order).
    runs = {k: shared_run(spine, r) for k, r in cells.items() if k != spine_key}
    for end, tip in ends:
        if any(_across_end(run, u, tip) for run in runs.values()):
            continue  # a room (a cap, a wing) is entered across the end
        side_cells = {
            k: cells[k] for k, run in runs.items() if run is not None and _ends_at(cells[k], u, tip)
        }
        for key, rect in side_cells.items():
            room = job.rooms[key]
            if room.type in CARVABLE or key in extras:
                continue
            start = rect.hi(u) if end == "lo" else rect.lo(u)
            trimmed = (
                spine.with_span(u, spine.lo(u), start)
                if end == "hi"
                else spine.with_span(u, start, spine.hi(u))
            )
            opposite = [r for k, r in side_cells.items() if k != key]
            if any(_hall_along(trimmed, r, u) < DOOR_ROOM_MM for r in opposite):
                continue
            low, high = min(rect.lo(v), spine.lo(v)), max(rect.hi(v), spine.hi(v))
            widened = rect.with_span(v, low, high)
            new_cells = {**cells, spine_key: trimmed, key: widened}
            out.append((new_cells, extras))
    return out


DOOR_ROOM_MM = 1400.0  # hall along a room's side that its door needs (leaf, frame, returns)


def _ends_away_from_door(job: Job, spine: Rect, u: str) -> tuple[tuple[str, float], ...]:
    """(end, coordinate along u) of the spine's ends whose face cannot take the front door
    (memoised per spine: the layouts of a frame share it)."""
    key = (spine, u)
    ends = job.memo.spine_ends.get(key)
    if ends is None:
        ends = ()
        for end in ("lo", "hi"):
            tip = spine.lo(u) if end == "lo" else spine.hi(u)
            face = spine.with_span(u, tip - 1, tip) if end == "hi" else spine.with_span(u, tip, tip + 1)
            if not reaches_entrance(job, [face]):
                ends += ((end, tip),)
        job.memo.spine_ends[key] = ends
    return ends


def _across_end(run: Run | None, u: str, tip: float) -> bool:
    """A room entered across the spine's end (a cap, a wing), by the run it shares with it."""
    return run is not None and run.horizontal == (u == "y") and abs(run.coord - tip) < EPS


def _ends_at(rect: Rect, u: str, tip: float) -> bool:
    return abs(rect.lo(u) - tip) < EPS or abs(rect.hi(u) - tip) < EPS


def _hall_along(hall: Rect, rect: Rect, u: str) -> float:
    return min(hall.hi(u), rect.hi(u)) - max(hall.lo(u), rect.lo(u))
