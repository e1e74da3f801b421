"""Frames: ways to split the centreline polygon into slots (rectangles cut into rooms).

The polygon is decomposed into rectangles (zones); the largest is the main zone, the others are
wings, each one slot cut into strips that all touch the zone it hangs from. In the main zone a
circulation spine runs along one axis; the bands on either side of it, and optionally a cap
across one end, are slots. Without a spine the main zone is one row of rooms or two.
"""

from __future__ import annotations

from dataclasses import dataclass

from archbuilder.domain.brief import Brief, BuildingType
from archbuilder.layout.planner.geometry import EPS, Rect, Site, decompose, other, shared_run, snap
from archbuilder.layout.planner.job import Job
from archbuilder.layout.programme import MIN_ROOM_AREA_M2
from archbuilder.platform.errors import Unprocessable

SPINE_NET_MM = {BuildingType.apartment: 1200.0, BuildingType.house: 1200.0, BuildingType.office: 1500.0}
MIN_BAND_MM = 1800.0  # thinnest band (centreline) worth cutting into rooms
CAP_DEPTHS_MM = (3600.0, 4800.0)
SPINE_FRACTIONS = (0.3, 0.4, 0.5, 0.6, 0.7)


@dataclass(frozen=True)
class Slot:
    """A rectangle cut into rooms along ``axis``."""

    rect: Rect
    axis: str


@dataclass(frozen=True)
class _SpineCut:
    """How a spine frame was cut from the main zone, so its depths can be moved later."""

    main: Rect
    u: str  # the spine's long axis
    v_lo: float  # the spine's extent across u
    v_hi: float
    cap: str | None  # "lo" or "hi": the end of the main zone the cap takes, if any
    cap_depth: float
    min_len: float  # shortest spine that still reaches its minimum area


@dataclass(frozen=True)
class Frame:
    spine: Rect | None
    slots: tuple[Slot, ...]
    cut: _SpineCut | None = None


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
                code="PROGRAMME_DOES_NOT_FIT", reason="the footprint could not be split into zones"
            )
    return slots


def _frames(site: Site, spine_net: float | None, spine_min_len: float) -> list[Frame]:
    zones = decompose(site.centre)
    main = max(zones, key=lambda r: (r.area, -r.y0, -r.x0))
    wings = tuple(_wing_slots(zones, main))
    if spine_net is None:
        return [Frame(None, (*slots, *wings)) for slots in _spineless_splits(main)]
    frames: list[Frame] = []
    for u in ("x", "y"):
        for v_lo, v_hi in _spine_positions(site, main, other(u), spine_net):
            for cap, depth in _spine_lengths(main, u, spine_min_len):
                cut = _SpineCut(main, u, v_lo, v_hi, cap, depth, spine_min_len)
                frames.append(spine_frame(cut, wings))
    return frames


def spine_frame(cut: _SpineCut, wings: tuple[Slot, ...]) -> Frame:
    """Bands either side of the spine, then the cap, then the wings (the slot order is fixed)."""
    main, u = cut.main, cut.u
    u_lo, u_hi = main.lo(u), main.hi(u)
    cap: list[Slot] = []
    if cut.cap == "hi":
        u_hi -= cut.cap_depth
        cap.append(Slot(main.with_span(u, u_hi, main.hi(u)), other(u)))
    elif cut.cap == "lo":
        u_lo += cut.cap_depth
        cap.append(Slot(main.with_span(u, main.lo(u), u_lo), other(u)))
    spine = main.with_span(u, u_lo, u_hi).with_span(other(u), cut.v_lo, cut.v_hi)
    return Frame(spine, (*_band_slots(main, spine, u), *cap, *wings), cut)


def _spineless_splits(main: Rect) -> list[tuple[Slot, ...]]:
    """The main zone as one row of rooms, or two rows side by side, along either axis."""
    splits: list[tuple[Slot, ...]] = []
    for u in ("x", "y"):
        v = other(u)
        splits.append((Slot(main, u),))
        lo, hi = main.lo(v), main.hi(v)
        for f in SPINE_FRACTIONS:
            cut = snap(lo + (hi - lo) * f)
            if cut - lo >= MIN_BAND_MM and hi - cut >= MIN_BAND_MM:
                splits.append((Slot(main.with_span(v, lo, cut), u), Slot(main.with_span(v, cut, hi), u)))
    return splits


def _spine_positions(site: Site, main: Rect, v: str, spine_net: float) -> list[tuple[float, float]]:
    lo, hi = main.lo(v), main.hi(v)
    flush = spine_net + max(site.t_ext, site.t_int) / 2 + site.t_int / 2
    middle = spine_net + site.t_int
    positions = {(lo, snap(lo + flush)), (snap(hi - flush), hi)}
    room = hi - lo - middle
    for f in SPINE_FRACTIONS:
        start = snap(lo + room * f)
        if start - lo >= MIN_BAND_MM and hi - (start + middle) >= MIN_BAND_MM:
            positions.add((start, start + middle))
    return sorted(p for p in positions if p[1] - p[0] < hi - lo - EPS or p == (lo, hi))


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


def frames_for(job: Job, brief: Brief) -> list[Frame]:
    spine = job.rooms[job.spine_key] if job.spine_key else None
    if spine is None:
        return _frames(job.site, None, 0.0)
    # 20 mm over the minimum width: snapping to the grid must not push it under.
    spine_net = max(SPINE_NET_MM[brief.building_type], spine.min_width_mm) + 20
    # The spine must be long enough to reach its minimum area (and never under 5 m²).
    min_len = max(spine.min_area_m2, MIN_ROOM_AREA_M2) * 1.05e6 / spine_net + 300
    return _frames(job.site, spine_net, min_len)
