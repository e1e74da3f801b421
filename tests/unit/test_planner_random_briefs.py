"""Briefs nobody wrote by hand: random footprints (rectangles, L, U), programmes, entrances,
party walls, open kitchens and en-suites. Every one is planned into layouts the independent
validator accepts, or refused with a stable code; none crashes, and every layout can be drawn."""

from __future__ import annotations

import random
from typing import Any

import pytest

from archbuilder.cad.dxf_export import layout_to_dxf
from archbuilder.cad.svg_export import layout_to_svg
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import Language
from archbuilder.layout.planner import SpinePlanner
from archbuilder.layout.validation import validate_layout, validate_rules
from archbuilder.platform.errors import Unprocessable

REGIONS = ["TR", "DE", "FR", "ES", "US", "TR-34", "DE-BY", "FR-13", "ES-CT", "US-CA"]
STABLE_CODES = {
    "PROGRAMME_DOES_NOT_FIT",
    "PROGRAMME_TOO_LARGE",
    "ROOM_DIMENSION_DOES_NOT_FIT",
    "ADJACENCY_IMPOSSIBLE",
}


def footprint(rng: random.Random) -> tuple[dict[str, Any], int]:
    w, d = rng.randrange(6000, 18000, 100), rng.randrange(6000, 14000, 100)
    shape = rng.choice(["rect", "rect", "L", "U"])
    if shape == "rect":
        return {"width_mm": w, "depth_mm": d}, w
    b = rng.randrange(int(d * 0.45), int(d * 0.6), 100)
    if shape == "L":
        a = rng.randrange(int(w * 0.45), int(w * 0.65), 100)
        points = [(0, 0), (w, 0), (w, b), (a, b), (a, d), (0, d)]
    else:
        a = rng.randrange(int(w * 0.3), int(w * 0.38), 100)
        points = [(0, 0), (w, 0), (w, d), (w - a, d), (w - a, b), (a, b), (a, d), (0, d)]
    return {"polygon": [{"x": x, "y": y} for x, y in points]}, w


def random_brief(rng: random.Random) -> dict[str, Any]:
    fp, width = footprint(rng)
    beds = rng.randint(0, 3)
    rooms: list[dict[str, Any]] = [{"type": "living_room"}, {"type": "kitchen"}, {"type": "bathroom"}]
    if beds:
        rooms.append({"type": "bedroom", "count": beds})
    if rng.random() < 0.7:
        rooms.append({"type": "hall"})
    if rng.random() < 0.5:
        rooms.append({"type": "wc", "target_area_m2": rng.choice([1.5, 2.0, 2.5])})
    if rng.random() < 0.3:
        rooms.append({"type": "storage", "target_area_m2": rng.choice([1.0, 2.0, 3.0])})
    if beds and rng.random() < 0.3:
        rooms.append({"type": "bathroom", "en_suite": True})
    brief: dict[str, Any] = {
        "building_type": rng.choice(["apartment", "house"]),
        "footprint": fp,
        "rooms": rooms,
        "open_kitchen": rng.random() < 0.3,
        "north_deg": rng.choice([0, 90, 180, 37]),
        "options": {"variants": rng.choice([1, 2]), "seed": rng.randint(0, 99)},
    }
    if rng.random() < 0.25:
        brief["party_walls"] = rng.choice([["east"], ["west"], ["east", "west"]])
    if rng.random() < 0.2:
        brief["entrance"] = {"point": {"x": rng.randrange(1500, width - 1500, 100), "y": 0}}
    else:
        free = [s for s in ("south", "north", "east", "west") if s not in brief.get("party_walls", [])]
        brief["entrance"] = {"side": rng.choice(free)}
    return brief


@pytest.mark.parametrize("seed", range(24))
def test_a_random_brief_is_planned_validly_or_refused_with_a_stable_code(seed: int) -> None:
    rng = random.Random(seed)
    raw = random_brief(rng)
    brief = Brief.model_validate(raw).resolved(rng.choice(REGIONS), Language.en)
    assert brief.footprint is not None and brief.region is not None
    try:
        variants = SpinePlanner().plan_variants(brief)
    except Unprocessable as refused:
        assert refused.code in STABLE_CODES, raw
        return
    for result in variants:
        problems = validate_layout(result.payload, brief.footprint.points())
        problems += validate_rules(result.payload, brief.region, brief.building_type)
        assert problems == [], (raw, problems)
        assert layout_to_svg(result.payload).startswith("<svg")
        assert layout_to_dxf(result.payload)
