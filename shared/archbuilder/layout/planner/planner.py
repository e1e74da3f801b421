"""``SpinePlanner``: the best validated layouts for a resolved brief, or a refusal."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, NamedTuple

from archbuilder.domain.brief import AdjacencyKind, Brief
from archbuilder.domain.layout import LayoutPayload, PlanResult
from archbuilder.layout.design_review import ASPECT_PROBLEM, CORRIDOR_SHARE_PCT, Measures, measure
from archbuilder.layout.planner.build import Builder
from archbuilder.layout.planner.frames import frames_for
from archbuilder.layout.planner.geometry import Rect
from archbuilder.layout.planner.job import Job, Wish, build_job
from archbuilder.layout.planner.notes import note
from archbuilder.layout.planner.scoring import MAX_GROWTH, wish_met
from archbuilder.layout.planner.search import Candidate, candidates
from archbuilder.layout.planner.windows import BuildFailed
from archbuilder.layout.programme import check_programme_fits
from archbuilder.layout.room_groups import CIRCULATION
from archbuilder.layout.validation import rule_problems, validate_layout
from archbuilder.platform.errors import Reason, Unprocessable


class SpinePlanner:
    """Rooms on both sides of a circulation spine, wings cut into strips."""

    name = "spine-v2"

    def plan(self, brief: Brief) -> PlanResult:
        """The best validated layout for a resolved brief; raises Unprocessable when there is none."""
        return self._plan(brief, 1)[0]

    def plan_variants(self, brief: Brief) -> list[PlanResult]:
        """Up to ``brief.options.variants`` distinct validated layouts, best first."""
        return self._plan(brief, brief.options.variants)

    def _plan(self, brief: Brief, wanted: int) -> list[PlanResult]:
        started = time.perf_counter()
        check_programme_fits(brief)
        assert brief.footprint is not None and brief.region is not None
        footprint = brief.footprint.points()
        failures: dict[Reason, int] = defaultdict(int)
        found: list[_Found] = []
        flawed: list[_Found] = []  # valid, but with what an architect rejects (see _flawed)
        seen: set[frozenset[tuple[str, tuple[Rect, ...]]]] = set()
        must_unmet: dict[Wish, int] = defaultdict(int)
        # Spine layouts first, then (when that finds no clean layout) the wider spine search;
        # when no spine fits (thin or tight footprints), the hall becomes an ordinary room and
        # rooms are reached through each other.
        for with_spine, wider in ((True, False), (True, True), (False, False)):
            if found or (flawed and not wider):
                break
            job, assumptions = build_job(brief, with_spine)
            flawed_before = len(flawed)
            for cand in candidates(job, frames_for(job, brief, wider), together=wider):
                if (
                    len(found) >= wanted + RERANKED_EXTRA
                    or len(flawed) - flawed_before >= FLAWED_TRIES + wanted
                ):
                    break
                key = frozenset((k, (rect, *cand.extras.get(k, []))) for k, rect in cand.cells.items())
                if key in seen:
                    continue
                unmet = [
                    w for w in job.wishes if w.kind == AdjacencyKind.must and not wish_met(job, cand.cells, w)
                ]
                if unmet:
                    for wish in unmet:
                        must_unmet[wish] += 1
                    continue
                builder = Builder(job, brief, cand)
                try:
                    payload, areas = builder.build()
                except BuildFailed as exc:
                    failures[exc.reason] += 1
                    continue
                problem = _first_problem(payload, footprint, brief)
                if problem is not None:
                    failures[problem] += 1
                    continue
                seen.add(key)
                notes = list(assumptions) + builder.assumptions
                if not with_spine:
                    notes.append(_no_hall_note(payload, job))
                measures = _measures(payload, brief)
                cand.parts["design"] = design_penalty(measures)
                built = _Found(cand, job, builder, payload, areas, notes, measures)
                (flawed if _flawed(measures) else found).append(built)
        if not found and not flawed:
            raise _refusal(must_unmet, failures)
        # The same measures as the design review rank the variants an architect would pick first.
        # Flawed layouts are returned only when there is no clean one, the best scored first
        # (the score holds the design penalty, so fewer and lighter flaws first): a second
        # variant no architect would draw is worse than one variant and a warning that says so.
        found.sort(key=lambda f: (f.cand.score, f.cand.order))
        flawed.sort(key=lambda f: (f.cand.score, f.cand.order))
        found = (found or flawed)[:wanted]
        solve_ms = round((time.perf_counter() - started) * 1000, 1)
        results = []
        for rank, (cand, job, builder, payload, areas, notes, measures) in enumerate(found, start=1):
            warnings = list(builder.warnings)
            if measures.entrance_into_hall is False:
                warnings.append(note("entrance_not_into_hall", job.language))
            if len(found) < wanted:
                warnings.append(note("fewer_variants", job.language, found=len(found), wanted=wanted))
            enlarged = _enlarged(areas, job)
            if enlarged is not None:
                warnings.append(note("rooms_enlarged", job.language, **enlarged))
            warnings += _flaw_warnings(measures, payload, job)
            metadata = {
                "planner": self.name,
                "variant_rank": rank,
                "variants_found": len(found),
                "score": round(cand.score, 3),
                "score_parts": {k: round(v, 3) for k, v in sorted(cand.parts.items())},
                "solve_ms": solve_ms,
                "rooms": areas,
                "mean_area_error_pct": _mean_error(areas, job),
                "adjacency": [
                    {"a": w.a, "b": w.b, "kind": w.kind.value, "met": wish_met(job, cand.cells, w)}
                    for w in job.wishes
                ],
                "design": _design_summary(measures),
                "rules_applied": _rules_applied(job),
                "assumptions": notes,
                "warnings": warnings,
            }
            results.append(PlanResult(payload=payload, metadata=metadata))
        return results


RERANKED_EXTRA = 2  # validated layouts built beyond those asked for, to rank by the design measures
FLAWED_TRIES = 12  # flawed layouts built while looking for clean ones, before giving up


class _Found(NamedTuple):
    """A validated layout and what the planner knows of it."""

    cand: Candidate
    job: Job
    builder: Builder
    payload: LayoutPayload
    areas: list[dict[str, Any]]
    notes: list[str]
    measures: Measures


def _no_hall_note(payload: LayoutPayload, job: Job) -> str:
    """Why there is no hall and where the front door then opens (a studio, a tight footprint)."""
    entered = next((d.connects[0] for d in payload.doors if len(d.connects) == 1), None)
    name = next((r.name for r in payload.rooms if r.id == entered), "?")
    has_hall = any(r.type in CIRCULATION for r in job.rooms.values())
    return note("no_hall_footprint" if has_hall else "no_hall_programme", job.language, room=name)


def _flawed(m: Measures) -> bool:
    """What an architect rejects outright: a room reached through a bedroom or bathroom (or a
    bedroom or bathroom not from the hall), door leaves that clash, a habitable room over
    2.5 : 1, a window or door on a party wall. (A WC or store over 3 : 1 is only advice.)"""
    return bool(m.through_room or m.swing_clashes or m.party_wall_openings) or m.worst_aspect > ASPECT_PROBLEM


def _measures(payload: LayoutPayload, brief: Brief) -> Measures:
    return measure(payload, brief.building_type, brief.north_deg, brief.party_walls)


def design_penalty(m: Measures) -> float:
    """The design review as a score (lower is better): what an architect would reject first
    weighs most."""
    penalty = 10.0 * (m.entrance_into_hall is False)
    penalty += 15.0 * len(m.through_room) + 5.0 * len(m.swing_clashes) + 20.0 * len(m.party_wall_openings)
    penalty += 1.0 * (m.doors_from_circulation - m.swinging_into_room)
    penalty += 4.0 * max(0.0, m.worst_aspect - ASPECT_PROBLEM)
    if m.corridor_share_pct is not None and m.has_circulation:
        lo, hi = CORRIDOR_SHARE_PCT
        penalty += 0.2 * max(0.0, lo - m.corridor_share_pct, m.corridor_share_pct - hi)
    penalty += 0.4 * (m.wet_rooms - m.wet_grouped) if m.wet_rooms > 1 else 0.0
    penalty += 1.0 * (m.kitchen_beside_living is False)
    return penalty


def _design_summary(m: Measures) -> dict[str, Any]:
    return {
        "entrance_into_hall": m.entrance_into_hall,
        "through_room": m.through_room,
        "en_suites": m.en_suites,
        "swing_clashes": [list(pair) for pair in m.swing_clashes],
        "swing_into_room_pct": None if m.swing_into_room_pct is None else round(m.swing_into_room_pct, 1),
        "worst_aspect": m.worst_aspect,
        "corridor_share_pct": m.corridor_share_pct,
        "wet_grouped": [m.wet_grouped, m.wet_rooms],
        "living_sunlit": m.living_sunlit,
        "party_wall_openings": m.party_wall_openings,
        "kitchen_beside_living": m.kitchen_beside_living,
    }


def _first_problem(
    payload: LayoutPayload, footprint: list[tuple[float, float]], brief: Brief
) -> Reason | None:
    """Why a built candidate is not valid, or None: a fault of the payload itself (the planner's
    own, so its reader is told only that the checks failed), else the first region minimum
    it misses."""
    faults = validate_layout(payload, footprint)
    if faults:
        return Reason("layout_checks", faults[0])
    assert brief.region is not None
    problems = rule_problems(payload, brief.region, brief.building_type)
    return problems[0] if problems else None


def _refusal(must_unmet: dict[Wish, int], failures: dict[Reason, int]) -> Unprocessable:
    """The most telling reason no candidate survived (``messages/reasons.yaml``)."""
    if must_unmet and not failures:
        wish = max(must_unmet, key=lambda w: must_unmet[w])
        return Unprocessable(code="ADJACENCY_IMPOSSIBLE", a=wish.a, b=wish.b)
    if failures:
        reason = max(failures, key=lambda r: failures[r])
    else:
        reason = Reason(
            "no_split", "no split of the footprint gives every room its minimum area and narrow side"
        )
    return Unprocessable(code="PROGRAMME_DOES_NOT_FIT", **reason.as_params())


def _mean_error(areas: list[dict[str, Any]], job: Job) -> float:
    """Mean absolute area error (%) over rooms with a target; halls and corridors excluded."""
    errors = [abs(a["area_error_pct"]) for a in areas if job.rooms[a["id"]].type not in CIRCULATION]
    return round(sum(errors) / len(errors), 2) if errors else 0.0


def _flaw_warnings(m: Measures, payload: LayoutPayload, job: Job) -> list[str]:
    """What an architect rejects in a variant returned because no clean one was found
    (``_flawed``), said plainly: the search gives such a layout only when it has nothing better."""
    names = {r.id: r.name for r in payload.rooms}
    out = []
    if m.through_room:
        rooms = ", ".join(names.get(r, r) for r in m.through_room)
        out.append(note("flawed_through_room", job.language, rooms=rooms))
    if m.swing_clashes:
        doors = ", ".join(f"{a}/{b}" for a, b in m.swing_clashes)
        out.append(note("flawed_swing_clash", job.language, doors=doors))
    if m.party_wall_openings:
        out.append(note("flawed_party_wall", job.language, openings=", ".join(m.party_wall_openings)))
    if m.worst_aspect > ASPECT_PROBLEM:
        worst = max(m.aspects, key=lambda r: m.aspects[r])
        out.append(
            note("flawed_aspect", job.language, room=names.get(worst, worst), ratio=round(m.worst_aspect, 1))
        )
    return out


def _enlarged(areas: list[dict[str, Any]], job: Job) -> dict[str, Any] | None:
    """How much larger than asked the rooms are, when the footprint is so much larger than the
    programme that they grew past MAX_GROWTH on average (halls and corridors excluded): the
    brief is missing rooms or its targets are small for the footprint."""
    rooms = [a for a in areas if job.rooms[a["id"]].type not in CIRCULATION]
    target = sum(a["target_area_m2"] for a in rooms)
    area = sum(a["area_m2"] for a in rooms)
    if not rooms or target <= 0 or area / target <= MAX_GROWTH:
        return None
    return {"percent": round((area / target - 1) * 100), "area": round(area), "target": round(target)}


def _rules_applied(job: Job) -> list[dict[str, Any]]:
    present = {r.type for r in job.rooms.values()}
    out: dict[str, dict[str, Any]] = {}
    for room_type, rule in job.minimums.items():
        if room_type not in present:
            continue
        for ref in rule.rules:
            entry = out.setdefault(
                ref.id,
                {
                    "id": ref.id,
                    "citation": ref.citation,
                    "status": ref.status,
                    "limits": ref.limits,
                    "rooms": [],
                },
            )
            entry["rooms"].append(room_type.value)
    return list(out.values())
