"""The planner benchmark: ``python -m bench.planner`` (``make bench-planner``).

Runs every brief under ``bench/briefs/*.yaml`` through ``plan_variants`` and prints, per suite
and overall: the share of feasible briefs with a valid layout, infeasible briefs refused with
an expected code, solve time per variant (p50 / p95 / max), mean area error and adjacency-wish
satisfaction. Validity = ``validate_layout`` + ``validate_rules`` + the checks below, which
measure the region minimums again without the planner's or the validator's geometry code.
The baseline, measured in the same run, is validating the same payloads. ``--seeds N`` plans
every brief with its own seed and N - 1 others (the search's room orders follow the seed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from shapely.geometry import Polygon

from archbuilder.domain.brief import Brief
from archbuilder.domain.common import Language
from archbuilder.domain.layout import LayoutPayload
from archbuilder.layout.design_review import measure
from archbuilder.layout.planner import SpinePlanner
from archbuilder.layout.programme import expand_programme
from archbuilder.layout.room_minimums import room_minimums
from archbuilder.layout.validation import validate_layout, validate_rules
from archbuilder.platform.errors import Unprocessable

BRIEFS = Path(__file__).with_name("briefs")
CIRCULATION = {"hall", "corridor"}


@dataclass
class Design:
    """The design-review measures over every variant (``layout.design_review.measure``)."""

    variants: int = 0
    bedrooms: int = 0
    bedrooms_through: int = 0  # reached only through another room
    wet: int = 0
    wet_through: int = 0  # neither from the hall nor en-suite
    clashes: int = 0  # door swing clashes (swing over swing, doorway or wall)
    from_hall: int = 0  # doors from the hall into a room
    into_room: int = 0  # … whose leaf swings into the room
    habitable: int = 0
    over_aspect: int = 0  # habitable rooms longer than 2.5 : 1
    service: int = 0  # WCs, bathrooms, stores, laundries, plant rooms
    strips: int = 0  # … longer than 3 : 1
    shares: list[float] = field(default_factory=list)  # corridor share of the net area, %
    wet_rooms: int = 0  # where a plan has two or more
    wet_grouped: int = 0
    party_openings: int = 0  # windows or entrances on a party wall

    def add(self, other: Design) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    def measure(self, brief: Brief, payload: LayoutPayload) -> None:
        m = measure(payload, brief.building_type, brief.north_deg, brief.party_walls)
        types = {r.id: r.type.value for r in payload.rooms}
        self.variants += 1
        self.bedrooms += sum(1 for t in types.values() if t == "bedroom")
        self.bedrooms_through += sum(1 for r in m.through_room if types[r] == "bedroom")
        self.wet += sum(1 for t in types.values() if t in ("bathroom", "wc"))
        self.wet_through += sum(1 for r in m.through_room if types[r] in ("bathroom", "wc"))
        self.clashes += len(m.swing_clashes)
        self.from_hall += m.doors_from_circulation
        self.into_room += m.swinging_into_room
        self.habitable += len(m.aspects)
        self.over_aspect += sum(1 for a in m.aspects.values() if a > 2.5)
        self.service += len(m.service_aspects)
        self.strips += len(m.strips)
        if m.corridor_share_pct is not None and m.has_circulation:
            self.shares.append(m.corridor_share_pct)
        if m.wet_rooms > 1:
            self.wet_rooms += m.wet_rooms
            self.wet_grouped += m.wet_grouped
        self.party_openings += len(m.party_wall_openings)


@dataclass
class Suite:
    name: str
    feasible: int = 0
    valid: int = 0
    infeasible: int = 0
    refused: int = 0
    per_variant_s: list[float] = field(default_factory=list)
    validate_s: list[float] = field(default_factory=list)
    area_errors: list[float] = field(default_factory=list)
    wishes: int = 0
    wishes_met: int = 0
    with_hall: int = 0  # valid layouts whose programme has a hall or corridor
    entered_by_hall: int = 0  # … whose entrance door opens into it
    design: Design = field(default_factory=Design)
    failures: list[str] = field(default_factory=list)

    def add(self, other: Suite) -> None:
        for name in (
            "feasible", "valid", "infeasible", "refused", "wishes", "wishes_met", "with_hall", "entered_by_hall"
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.per_variant_s += other.per_variant_s
        self.validate_s += other.validate_s
        self.area_errors += other.area_errors
        self.design.add(other.design)
        self.failures += other.failures


def suite_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of one suite file (``bench/briefs/<suite>.yaml``)."""
    cases: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return cases


def case_brief(case: dict[str, Any]) -> Brief:
    """A case's brief resolved as a project would resolve it (its region, English names)."""
    raw = case["brief"]
    return Brief.model_validate(raw).resolved(raw.get("region", "TR"), Language.en)


def independent_problems(brief: Brief, payload: LayoutPayload) -> list[str]:
    """Room count, minimum area and narrow side, measured with plain arithmetic."""
    assert brief.region is not None
    problems = []
    planned = expand_programme(brief)
    rules = room_minimums(brief.region, brief.building_type)
    if len([r for r in payload.rooms if r.id in {p.key for p in planned}]) != len(planned):
        problems.append("a requested room is missing")
    for room in payload.rooms:
        xs = [p.x for p in room.boundary]
        ys = [p.y for p in room.boundary]
        area = _shoelace(xs, ys) / 1e6
        rule = rules[room.type]
        if area < (rule.area_m2 or 0.0) - 1e-6:
            problems.append(f"{room.name}: {area:.2f} m² under {rule.area_m2} m²")
        if rule.narrow_side_mm and not _square_fits(room.boundary, rule.narrow_side_mm - 1):
            problems.append(f"{room.name}: no {rule.narrow_side_mm:g} mm square fits")
    return problems


def _shoelace(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    return abs(sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n))) / 2


def _square_fits(boundary: Any, side: float) -> bool:
    """Try each vertex-aligned square corner (rectilinear rooms have their squares there)."""
    shape = Polygon([(p.x, p.y) for p in boundary])
    xs = sorted({p.x for p in boundary})
    ys = sorted({p.y for p in boundary})
    for x in xs:
        for y in ys:
            for dx in (0, -side):
                for dy in (0, -side):
                    square = Polygon(
                        [
                            (x + dx, y + dy),
                            (x + dx + side, y + dy),
                            (x + dx + side, y + dy + side),
                            (x + dx, y + dy + side),
                        ]
                    )
                    if shape.buffer(0.5).contains(square):
                        return True
    return False


def run_case(planner: SpinePlanner, case: dict[str, Any], suite: Suite) -> None:
    brief = case_brief(case)
    assert brief.footprint is not None and brief.region is not None
    started = time.perf_counter()
    try:
        variants = planner.plan_variants(brief)
    except Unprocessable as refused:
        if case["expect"] == "refused":
            suite.infeasible += 1
            ok = refused.code in case.get("codes", [refused.code])
            suite.refused += ok
            if not ok:
                suite.failures.append(
                    f"{case['name']}: refused with {refused.code}, expected {case['codes']}"
                )
        else:
            suite.feasible += 1
            suite.failures.append(f"{case['name']}: refused {refused.code} {refused.params}")
        return
    elapsed = time.perf_counter() - started
    if case["expect"] == "refused":
        suite.infeasible += 1
        suite.failures.append(f"{case['name']}: planned, but should be refused")
        return
    suite.feasible += 1
    suite.per_variant_s.append(elapsed / len(variants))
    problems: list[str] = []
    for result in variants:
        checked = time.perf_counter()
        problems += validate_layout(result.payload, brief.footprint.points())
        problems += validate_rules(result.payload, brief.region, brief.building_type)
        suite.validate_s.append(time.perf_counter() - checked)
        problems += independent_problems(brief, result.payload)
        suite.design.measure(brief, result.payload)
    if problems:
        suite.failures.append(f"{case['name']}: {problems[0]}")
        return
    suite.valid += 1
    payload = variants[0].payload
    types = {room.id: room.type for room in payload.rooms}
    if any(t in CIRCULATION for t in types.values()):
        suite.with_hall += 1
        entrances = [d for d in payload.doors if len(d.connects) == 1]
        suite.entered_by_hall += any(types.get(d.connects[0]) in CIRCULATION for d in entrances)
    best = variants[0].metadata
    suite.area_errors += [abs(r["area_error_pct"]) for r in best["rooms"] if r["type"] not in CIRCULATION]
    for wish in best["adjacency"]:
        if wish["kind"] != "must":
            suite.wishes += 1
            suite.wishes_met += wish["met"]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    –  "


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "     –"
    ordered = sorted(values)
    return f"{1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]:6.0f}"


def row(suite: Suite) -> str:
    area = f"{statistics.fmean(suite.area_errors):5.1f} %" if suite.area_errors else "   –   "
    validate = statistics.fmean(suite.validate_s) if suite.validate_s else 0.0
    ratio = f"{statistics.fmean(suite.per_variant_s) / validate:5.1f}x" if validate else "   – "
    return (
        f"| {suite.name:11s} | {suite.valid:2d}/{suite.feasible:<2d} {_pct(suite.valid, suite.feasible)} "
        f"| {suite.refused:2d}/{suite.infeasible:<2d} {_pct(suite.refused, suite.infeasible)} "
        f"| {_ms(suite.per_variant_s, 0.5)} | {_ms(suite.per_variant_s, 0.95)} | {_ms(suite.per_variant_s, 1.0)} "
        f"| {area} | {suite.wishes_met:2d}/{suite.wishes:<2d} {_pct(suite.wishes_met, suite.wishes)} "
        f"| {1000 * validate:6.1f} | {ratio} "
        f"| {suite.entered_by_hall:2d}/{suite.with_hall:<2d} {_pct(suite.entered_by_hall, suite.with_hall)} |"
    )


def design_row(suite: Suite) -> str:
    d = suite.design
    shares = sorted(d.shares)
    within = sum(1 for s in shares if 8.0 <= s <= 12.0)
    share = (
        f"{statistics.median(shares):4.1f} % ({_pct(within, len(shares)).strip()} in 8–12)" if shares else "–"
    )
    return (
        f"| {suite.name:11s} | {suite.entered_by_hall:2d}/{suite.with_hall:<2d} "
        f"| {d.bedrooms_through:2d}/{d.bedrooms:<3d} | {d.wet_through:2d}/{d.wet:<3d} | {d.clashes:3d} "
        f"| {_pct(d.into_room, d.from_hall)} | {d.over_aspect:2d}/{d.habitable:<3d} "
        f"| {d.strips:2d}/{d.service:<3d} | {share} "
        f"| {_pct(d.wet_grouped, d.wet_rooms)} | {d.party_openings:2d} |"
    )


SEED_STEP = 101  # between the seeds --seeds adds to a case's own


def seeded(case: dict[str, Any], seeds: int) -> list[dict[str, Any]]:
    """The case with its own seed, and ``seeds - 1`` copies with other seeds (``--seeds``): the
    search's room orders are shuffled by the seed, so one seed can hide what another shows."""
    own = int(case["brief"].get("options", {}).get("seed", 0))
    out = [case]
    for k in range(1, seeds):
        seed = own + k * SEED_STEP
        brief = {**case["brief"], "options": {**case["brief"].get("options", {}), "seed": seed}}
        out.append({**case, "name": f"{case['name']} (seed {seed})", "brief": brief})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.planner", description=__doc__)
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        choices=range(1, 11),
        metavar="N",
        help="plan every brief with its own seed and N - 1 others (1-10; default 1)",
    )
    seeds = parser.parse_args().seeds
    planner = SpinePlanner()
    overall = Suite("overall")
    suites: list[Suite] = []
    print(f"planner {planner.name}: {sum(1 for _ in BRIEFS.glob('*.yaml'))} suites from {BRIEFS.name}/")
    if seeds > 1:
        print(
            f"every brief planned with {seeds} seeds: its own and {seeds - 1} others, each counted as a case"
        )
    print(
        "| suite       | valid (feasible) | refused (infeasible) | p50 ms | p95 ms | max ms "
        "| area err | prefer/avoid met | validate ms | plan/validate | entered by the hall |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path in sorted(BRIEFS.glob("*.yaml")):
        suite = Suite(path.stem)
        for case in suite_cases(path):
            for copy in seeded(case, seeds):
                run_case(planner, copy, suite)
        print(row(suite))
        overall.add(suite)
        suites.append(suite)
    print(row(overall))
    print()
    print(
        "| suite       | entered by the hall | bedrooms through a room | baths/WCs through a room | swing clashes "
        "| swing into room | aspect > 2.5 | WC/bath/store > 3:1 | corridor share (median) | wet rooms grouped "
        "| party-wall openings |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for suite in suites:
        print(design_row(suite))
    print(design_row(overall))
    print(
        "solve time = plan_variants wall time / variants returned; area error = mean |actual - target| / target "
        "over rooms with a target (halls and corridors excluded); baseline = validate_layout + validate_rules "
        "on the same payload; entered by the hall = the entrance door opens into the hall or corridor, "
        "of the layouts whose programme has one; the second table measures every variant with "
        "layout.design_review (bedrooms, bathrooms and WCs reached neither from the hall nor as an "
        "en-suite; swing clashes: a leaf over another leaf, over the floor in front of a doorway or "
        "through a wall; swing into room: doors from the hall whose leaf opens into the room)"
    )
    for failure in overall.failures:
        print(f"  FAIL {failure}")
    return 1 if overall.failures else 0


if __name__ == "__main__":
    sys.exit(main())
