"""Frames: ways to split the centreline polygon into slots (rectangles cut into rooms).

The polygon is decomposed into rectangles (zones); the largest is the main zone, the others are
wings, each one slot cut into strips that all touch the zone it hangs from. In the main zone a
circulation spine runs along one axis; the bands on either side of it, and optionally a cap
across one end, are slots. In the wider search a cap may also cover only the spine and one band
(the hall ends at the door of the room across its end) while the other band runs the whole
length: a small flat's bedroom over its hall and bathroom beside a full-depth living room.
When the spine runs along the entrance facade, a foyer stub crosses the band in front of it to
the front door (a T or, at a band end, an L), splitting that band in two. Frames whose
circulation cannot take the front door where the brief asks are dropped when any frame can.
Without a spine the main zone is one row of rooms or two.
"""

from __future__ import annotations

from typing import NamedTuple

from archbuilder.domain.brief import AdjacencyKind, Brief, BuildingType
from archbuilder.layout.planner.circulation import reaches_entrance
from archbuilder.layout.planner.geometry import EPS, Rect, Site, decompose, other, shared_run, snap
from archbuilder.layout.planner.job import Job
from archbuilder.layout.programme import MIN_ROOM_AREA_M2, PlannedRoom
from archbuilder.platform.errors import Reason, Unprocessable

SPINE_NET_MM = {BuildingType.apartment: 1200.0, BuildingType.house: 1200.0, BuildingType.office: 1500.0}
MIN_BAND_MM = 1800.0  # thinnest band (centreline) worth cutting into rooms
CAP_DEPTHS_MM = (3000.0, 3600.0, 4800.0)
SPINE_FRACTIONS = (0.3, 0.4, 0.5, 0.6, 0.7)
STUB_FRACTIONS = (0.0, 0.5, 1.0)  # foyer stub along the front band: either end or the middle
BAND_MARGIN_MM = 100.0  # over a band's needed net depth, for snapping and wall estimates
MIN_PIECE_MM = 2200.0  # shortest piece of a band cut by a stub that is worth a room


class Slot(NamedTuple):
    """A rectangle cut into rooms along ``axis`` (a NamedTuple: the search keys its memos by
    slots, and a tuple hashes and compares faster than a dataclass)."""

    rect: Rect
    axis: str


class _SpineCut(NamedTuple):
    """How a spine frame was cut from the main zone, so its depths can be moved later (a
    NamedTuple: the search moves a cut for every share-out, and keys a memo by the frames)."""

    main: Rect
    u: str  # the spine's long axis
    v_lo: float  # the spine's extent across u
    v_hi: float
    cap: str | None  # "lo" or "hi": the end of the main zone the cap takes, if any
    cap_depth: float
    min_len: float  # shortest spine that still reaches its minimum area
    cap_side: str | None = None  # "lo"/"hi": the cap covers the spine and only that side's band
    stub_at: float | None = None  # where along u a foyer stub leaves the spine, if any
    stub_low: bool = True  # the stub crosses the band on the spine's low side (else the high one)


class Frame(NamedTuple):
    """A way to split the main zone and the wings into slots (a NamedTuple, like its parts)."""

    spine: Rect | None
    slots: tuple[Slot, ...]
    cut: _SpineCut | None = None
    stub: Rect | None = None  # part of the circulation room: spine + stub is one T or L room

    @property
    def circulation(self) -> list[Rect]:
        return [r for r in (self.spine, self.stub) if r is not None]


def _wing_slots(zones: list[Rect], main: Rect) -> list[Slot]:
    """Each wing is cut into strips that all touch the zone it hangs from."""
    slots: list[Slot] = []
    placed = [main]
    pending = [z for z in zones if z != main]
    while pending:
        for wing in pending:
            run = next((r for p in placed if (r := shared_run(wing, p)) is not None), None)
            if run is not None:
                slots.append(Slot(wing, "x" if run.horizontal else "y"))
                placed.append(wing)
                pending.remove(wing)
                break
        else:  # a zone touching nothing: the decomposition is broken
            raise Unprocessable(
                code="PROGRAMME_DOES_NOT_FIT",
                **Reason(
                    "footprint_not_split_into_zones", "the footprint could not be split into zones"
                ).as_params(),
            )
    return slots


LONG_STRIP_MM = 5000.0  # wings deeper than this may also be cut into rooms side by side


def _long_strips(wing: Slot) -> bool:
    """Strips across this wing would run longer than LONG_STRIP_MM."""
    return wing.rect.size(other(wing.axis)) > LONG_STRIP_MM


def _frames(job: Job, spine_net: float | None, spine_min_len: float, wider: bool) -> list[Frame]:
    site = job.site
    zones = decompose(site.centre)
    main = max(zones, key=lambda r: (r.area, -r.y0, -r.x0))
    strips = tuple(_wing_slots(zones, main))
    # A wing's rooms side by side along it (the first reached from the main zone, the next
    # through it: a dining room beyond the living room) when strips would be too long.
    rows = tuple(Slot(s.rect, other(s.axis)) if _long_strips(s) else s for s in strips)
    wing_cuts = [strips, rows] if rows != strips else [strips]
    if spine_net is None:
        depths = sorted({r.min_width_mm + site.t_int + 200 for r in job.rooms.values()})
        return [
            Frame(None, (*slots, *wings)) for slots in _spineless_splits(main, depths) for wings in wing_cuts
        ]
    frames: list[Frame] = []
    for u in ("x", "y"):
        v = other(u)
        ref = job.entrance_ref[0 if v == "x" else 1]
        needs = _band_needs(job, main.size(u)) if wider else []
        for v_lo, v_hi in _spine_positions(site, main, v, spine_net, ref, needs):
            for cap, depth in _spine_lengths(main, u, spine_min_len):
                cut = _SpineCut(main, u, v_lo, v_hi, cap, depth, spine_min_len)
                stubs = _stubs(job, cut)
                for wings in wing_cuts:
                    frames.append(spine_frame(cut, wings))
                    frames += [spine_frame(stub, wings) for stub in stubs]
            if wider:
                for cut in _side_caps(job, main, u, v_lo, v_hi, spine_min_len):
                    frames += [spine_frame(cut, wings) for wings in wing_cuts]
    # The front door opens into the circulation: keep the frames that allow it, when any does.
    entered = [f for f in frames if reaches_entrance(job, f.circulation)]
    return entered or frames


def _side_caps(job: Job, main: Rect, u: str, v_lo: float, v_hi: float, min_len: float) -> list[_SpineCut]:
    """Caps over the spine and one band, as deep as the widest room that may take them needs
    (or the usual cap depths), at either end; the other band keeps the zone's whole length.
    Only caps whose band on the capped side can hold a room, and whose spine still reaches
    the front door, are kept."""
    site, v = job.site, other(u)
    walls = max(site.t_ext, site.t_int) / 2 + site.t_int / 2 + BAND_MARGIN_MM
    depths = {snap(max(r.min_width_mm for r in job.others) + walls), *CAP_DEPTHS_MM}
    out: list[_SpineCut] = []
    for side, band in (("lo", v_lo - main.lo(v)), ("hi", main.hi(v) - v_hi)):
        if band < MIN_BAND_MM or (main.hi(v) - v_hi if side == "lo" else v_lo - main.lo(v)) < MIN_BAND_MM:
            continue
        # As deep as asked, or as deep as the spine's minimum length leaves.
        for depth in sorted({min(d, snap(main.size(u) - min_len)) for d in depths}):
            if depth < MIN_BAND_MM:
                continue
            for end in ("hi", "lo"):
                cut = _SpineCut(main, u, v_lo, v_hi, end, depth, min_len, cap_side=side)
                spine = spine_frame(cut, ()).spine
                if spine is not None and reaches_entrance(job, [spine]):
                    out.append(cut)
    return out


def _stubs(job: Job, cut: _SpineCut) -> list[_SpineCut]:
    """The cut with a foyer stub across a band whose outer side takes the front door."""
    main, u, v = cut.main, cut.u, other(cut.u)
    width = cut.v_hi - cut.v_lo
    spine = spine_frame(cut, ()).spine
    assert spine is not None
    out: list[_SpineCut] = []
    spine_entered = reaches_entrance(job, [spine])
    for low, band in ((True, (main.lo(v), cut.v_lo)), (False, (cut.v_hi, main.hi(v)))):
        if band[1] - band[0] < MIN_BAND_MM:
            continue
        outer = spine.with_span(v, band[0], band[0] + 1) if low else spine.with_span(v, band[1] - 1, band[1])
        # The stub meets the front door on the band's facade, or (when the spine cannot take
        # it) at a band end on the end facade: an L from a door near a corner.
        if not reaches_entrance(job, [outer]) and spine_entered:
            continue
        lo, hi = spine.lo(u), spine.hi(u) - width
        ref = job.entrance_ref[0 if u == "x" else 1]
        starts = {snap(lo + (hi - lo) * f) for f in STUB_FRACTIONS} | {snap(ref - width / 2)}
        for start in sorted(starts):
            start = min(max(start, lo), hi)
            # A piece left beside the stub must hold a room, else the stub goes to the band end.
            if 0 < start - lo < MIN_PIECE_MM:
                start = lo
            if 0 < hi - start < MIN_PIECE_MM:
                start = hi
            stub = cut._replace(stub_at=start, stub_low=low)
            foyer = _front_and_stub(main, spine, u, stub)[1]  # spine_frame(stub, ()).stub
            if stub not in out and reaches_entrance(job, [foyer]):
                out.append(stub)
    return out


def spine_frame(cut: _SpineCut, wings: tuple[Slot, ...]) -> Frame:
    """Bands either side of the spine, then the cap, then the wings (the slot order is fixed)."""
    main, u = cut.main, cut.u
    v = other(u)
    u_lo, u_hi = main.lo(u), main.hi(u)
    cap: list[Rect] = []
    if cut.cap == "hi":
        u_hi -= cut.cap_depth
        cap.append(main.with_span(u, u_hi, main.hi(u)))
    elif cut.cap == "lo":
        u_lo += cut.cap_depth
        cap.append(main.with_span(u, main.lo(u), u_lo))
    spine = main.with_span(u, u_lo, u_hi).with_span(v, cut.v_lo, cut.v_hi)
    bands = _band_slots(main, spine, u)
    if cut.cap_side is not None and cap:
        # The cap covers the spine and the band on cap_side; the other band runs full length.
        cap = [
            cap[0].with_span(v, main.lo(v), cut.v_hi)
            if cut.cap_side == "lo"
            else cap[0].with_span(v, cut.v_lo, main.hi(v))
        ]
        far = (
            main.with_span(v, cut.v_hi, main.hi(v))
            if cut.cap_side == "lo"
            else main.with_span(v, main.lo(v), cut.v_lo)
        )
        bands = [Slot(far, u) if abs(s.rect.lo(v) - far.lo(v)) < EPS else s for s in bands]
    stub = None
    if cut.stub_at is not None:
        bands, stub = _split_by_stub(main, spine, u, bands, cut)
    return Frame(spine, (*bands, *(Slot(r, v) for r in cap), *wings), cut, stub)


def _split_by_stub(
    main: Rect, spine: Rect, u: str, bands: list[Slot], cut: _SpineCut
) -> tuple[list[Slot], Rect]:
    """The front band less the stub: up to two slots beside it."""
    v = other(u)
    front, stub = _front_and_stub(main, spine, u, cut)
    front_lo, front_hi = front.lo(v), front.hi(v)
    pieces = [
        Slot(front.with_span(u, a, b), u)
        for a, b in ((front.lo(u), stub.lo(u)), (stub.hi(u), front.hi(u)))
        if b - a > EPS
    ]
    rest = [s for s in bands if abs(s.rect.lo(v) - front_lo) > EPS or abs(s.rect.hi(v) - front_hi) > EPS]
    # Keep the order of the bands: the low band's slots first.
    return (pieces + rest if cut.stub_low else rest + pieces), stub


def _front_and_stub(main: Rect, spine: Rect, u: str, cut: _SpineCut) -> tuple[Rect, Rect]:
    """The band a cut's foyer stub crosses (beside the spine, along its length) and the stub."""
    v = other(u)
    assert cut.stub_at is not None
    front_lo, front_hi = (main.lo(v), spine.lo(v)) if cut.stub_low else (spine.hi(v), main.hi(v))
    front = spine.with_span(v, front_lo, front_hi)
    return front, front.with_span(u, cut.stub_at, cut.stub_at + (cut.v_hi - cut.v_lo))


def _spineless_splits(main: Rect, depths: list[float]) -> list[tuple[Slot, ...]]:
    """The main zone as one row of rooms, or two rows side by side, along either axis: cut at
    fractions of the zone and at the depths that just hold a row of the programme's rooms (a
    studio's row of hall, bathroom and kitchenette beside the living room)."""
    splits: list[tuple[Slot, ...]] = []
    for u in ("x", "y"):
        v = other(u)
        splits.append((Slot(main, u),))
        lo, hi = main.lo(v), main.hi(v)
        cuts = {snap(lo + (hi - lo) * f) for f in SPINE_FRACTIONS}
        cuts |= {snap(lo + d) for d in depths} | {snap(hi - d) for d in depths}
        for cut in sorted(cuts):
            if cut - lo >= MIN_BAND_MM and hi - cut >= MIN_BAND_MM:
                splits.append((Slot(main.with_span(v, lo, cut), u), Slot(main.with_span(v, cut, hi), u)))
    return splits


def _spine_positions(
    site: Site, main: Rect, v: str, spine_net: float, entrance: float, needs: list[float]
) -> list[tuple[float, float]]:
    """Where the spine may run across v: flush with either side, at fractions, centred on the
    entrance (so a spine towards the front door meets it), and leaving a band on either side
    just as deep as one of ``needs`` (net, see ``_band_needs``)."""
    lo, hi = main.lo(v), main.hi(v)
    flush = spine_net + max(site.t_ext, site.t_int) / 2 + site.t_int / 2
    middle = spine_net + site.t_int
    positions = {(lo, snap(lo + flush)), (snap(hi - flush), hi)}
    room = hi - lo - middle
    starts = [snap(lo + room * f) for f in SPINE_FRACTIONS] + [snap(entrance - middle / 2)]
    for need in needs:
        band = need + BAND_MARGIN_MM + max(site.t_ext, site.t_int) / 2 + site.t_int / 2
        starts += [snap(lo + band), snap(hi - band - middle)]
    for start in starts:
        if start - lo >= MIN_BAND_MM and hi - (start + middle) >= MIN_BAND_MM:
            positions.add((start, start + middle))
    return sorted(p for p in positions if p[1] - p[0] < hi - lo - EPS or p == (lo, hi))


def _band_needs(job: Job, length: float) -> list[float]:
    """Net band depths a small plan may hinge on: the widest room's narrow side (a small flat's
    living room), and the depth that holds a room and the room it must touch side by side at
    their minimum areas along a band of this centreline length (an open kitchen and its
    living room)."""
    if not job.others:
        return []
    needs = {max(r.min_width_mm for r in job.others)}
    net = length - job.site.t_ext - job.site.t_int  # two rooms end to end between facades
    for wish in job.wishes:
        if wish.kind not in (AdjacencyKind.must, AdjacencyKind.en_suite):
            continue
        for a in wish.keys_a:
            for b in wish.keys_b:
                depth = _pair_depth((job.rooms[a], job.rooms[b]), net)
                if depth is not None:
                    needs.add(depth)
    return sorted(needs)


PAIR_STEP_MM = 50.0
MAX_PAIR_DEPTH_MM = 6000.0


def _pair_depth(pair: tuple[PlannedRoom, PlannedRoom], net: float) -> float | None:
    """The shallowest net depth at which both rooms fit end to end along ``net`` at their
    minimum areas and narrow sides (None when none up to MAX_PAIR_DEPTH_MM does)."""
    depth = max(r.min_width_mm for r in pair)
    while depth <= MAX_PAIR_DEPTH_MM:
        lengths = [max(max(r.min_area_m2, MIN_ROOM_AREA_M2) * 1.03e6 / depth, r.min_width_mm) for r in pair]
        if sum(lengths) + 2 * BAND_MARGIN_MM <= net:
            return depth
        depth += PAIR_STEP_MM
    return None


def _spine_lengths(main: Rect, u: str, min_len: float) -> list[tuple[str | None, float]]:
    """(cap end, cap depth): no cap, or a cap across either end of the main zone."""
    out: list[tuple[str | None, float]] = [(None, 0.0)]
    for depth in CAP_DEPTHS_MM:
        if main.size(u) - depth < min_len:
            continue
        out += [("hi", depth), ("lo", depth)]
    return out


def _band_slots(main: Rect, spine: Rect, u: str) -> list[Slot]:
    v = other(u)
    slots = []
    band = main.with_span(u, spine.lo(u), spine.hi(u))
    if spine.lo(v) - main.lo(v) > EPS:
        slots.append(Slot(band.with_span(v, main.lo(v), spine.lo(v)), u))
    if main.hi(v) - spine.hi(v) > EPS:
        slots.append(Slot(band.with_span(v, spine.hi(v), main.hi(v)), u))
    return slots


def frames_for(job: Job, brief: Brief, wider: bool = False) -> list[Frame]:
    """The frames to search. ``wider``: also the spine positions that leave a band just deep
    enough for what a small plan hinges on (``_band_needs``); the planner searches those only
    when the first search found no clean layout."""
    spine = job.rooms[job.spine_key] if job.spine_key else None
    if spine is None:
        return _frames(job, None, 0.0, wider)
    # 20 mm over the minimum width: snapping to the grid must not push it under.
    spine_net = max(SPINE_NET_MM[brief.building_type], spine.min_width_mm) + 20
    # The spine must be long enough to reach its minimum area (and never under 5 m²).
    min_len = max(spine.min_area_m2, MIN_ROOM_AREA_M2) * 1.05e6 / spine_net + 300
    return _frames(job, spine_net, min_len, wider)
