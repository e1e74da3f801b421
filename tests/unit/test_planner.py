"""The spine planner places every room, validly, for rectangles and L/U footprints."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from shapely.geometry import LineString, Polygon

from archbuilder.domain.brief import Brief, RoomType
from archbuilder.domain.common import CodeRegion, Language
from archbuilder.domain.layout import LayoutPayload, PlanResult
from archbuilder.layout.planner import SpinePlanner
from archbuilder.layout.programme import (
    DEFAULT_AREA_M2,
    MIN_ROOM_AREA_M2,
    check_programme_fits,
    expand_programme,
    net_interior_area_m2,
)
from archbuilder.layout.validation import validate_layout
from archbuilder.platform.errors import Unprocessable

APARTMENT: list[dict[str, Any]] = [
    {"type": "living_room", "name": "Salon"},
    {"type": "kitchen"},
    {"type": "bedroom", "count": 2},
    {"type": "bathroom"},
    {"type": "wc"},
    {"type": "hall"},
]
OFFICE: list[dict[str, Any]] = [
    {"type": "office", "count": 2},
    {"type": "meeting_room"},
    {"type": "reception"},
    {"type": "wc"},
    {"type": "storage"},
]
L_SHAPE = [(0, 0), (12000, 0), (12000, 5000), (6000, 5000), (6000, 10000), (0, 10000)]
U_SHAPE = [
    (0, 0),
    (14000, 0),
    (14000, 10000),
    (10000, 10000),
    (10000, 5000),
    (4000, 5000),
    (4000, 10000),
    (0, 10000),
]
HABITABLE = {"living_room", "bedroom", "kitchen", "dining_room", "office", "meeting_room", "reception"}


def make_brief(
    footprint: dict[str, Any], rooms: list[dict[str, Any]], language: str = "tr", **fields: Any
) -> Brief:
    brief = Brief.model_validate({"footprint": footprint, "rooms": rooms, **fields})
    return brief.resolved(CodeRegion.TR, Language(language))


def polygon_footprint(points: list[tuple[int, int]]) -> dict[str, Any]:
    return {"polygon": [{"x": x, "y": y} for x, y in points]}


def plan(brief: Brief) -> PlanResult:
    return SpinePlanner().plan(brief)


def footprint_of(brief: Brief) -> list[tuple[float, float]]:
    assert brief.footprint is not None
    return brief.footprint.points()


def reachable_from_entrance(payload: LayoutPayload) -> set[str]:
    links: dict[str, set[str]] = {r.id: set() for r in payload.rooms}
    start = [d.connects[0] for d in payload.doors if len(d.connects) == 1]
    for door in payload.doors:
        if len(door.connects) == 2:
            a, b = door.connects
            links[a].add(b)
            links[b].add(a)
    seen, queue = set(start), deque(start)
    while queue:
        for nxt in links[queue.popleft()] - seen:
            seen.add(nxt)
            queue.append(nxt)
    return seen


def assert_sound(brief: Brief, result: PlanResult) -> None:
    """Checks made here rather than trusted to the validator."""
    payload = result.payload
    assert validate_layout(payload, footprint_of(brief)) == []
    expected = expand_programme(brief)
    by_id = {r.id: r for r in payload.rooms}
    for planned in expected:
        assert by_id[planned.key].type == planned.type
        assert by_id[planned.key].name == planned.name
    polygons = {r.id: Polygon([(p.x, p.y) for p in r.boundary]) for r in payload.rooms}
    ids = sorted(polygons)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            assert polygons[a].intersection(polygons[b]).area < 1.0, (a, b)
    outline = Polygon(footprint_of(brief))
    total = sum(p.area for p in polygons.values())
    assert 0.7 * outline.area < total < outline.area
    walls = {w.id: w for w in payload.walls}
    assert all(d.host_wall_id in walls for d in payload.doors)
    assert all(n.host_wall_id in walls for n in payload.windows)
    assert reachable_from_entrance(payload) == set(by_id)
    assert all(r.area_m2 >= MIN_ROOM_AREA_M2 for r in payload.rooms)


def entrance_wall_centre_y(result: PlanResult) -> tuple[float, float]:
    payload = result.payload
    entrances = [d for d in payload.doors if len(d.connects) == 1]
    assert len(entrances) == 1
    wall = next(w for w in payload.walls if w.id == entrances[0].host_wall_id)
    assert wall.is_exterior
    return wall.start.y, wall.end.y


def test_apartment_in_a_rectangle_places_every_room() -> None:
    brief = make_brief({"width_mm": 12000, "depth_mm": 9000}, APARTMENT)
    result = plan(brief)
    assert_sound(brief, result)
    names = [r.name for r in result.payload.rooms]
    assert names == ["Salon", "Mutfak", "Yatak Odası 1", "Yatak Odası 2", "Banyo", "WC", "Hol"]
    assert [r.number for r in result.payload.rooms] == ["101", "102", "103", "104", "105", "106", "107"]
    meta = result.metadata
    assert meta["planner"] == "spine-v2"
    assert meta["solve_ms"] > 0
    assert [m["id"] for m in meta["rooms"]] == [r.id for r in result.payload.rooms]
    assert {"assumptions", "warnings"} <= set(meta)


@pytest.mark.parametrize(("side", "wall_y"), [("south", 125.0), ("north", 8875.0)])
def test_entrance_door_is_on_the_requested_side(side: str, wall_y: float) -> None:
    brief = make_brief({"width_mm": 12000, "depth_mm": 9000}, APARTMENT, entrance={"side": side})
    result = plan(brief)
    assert_sound(brief, result)
    assert entrance_wall_centre_y(result) == (wall_y, wall_y)


def test_entrance_near_a_point() -> None:
    brief = make_brief(
        {"width_mm": 12000, "depth_mm": 9000}, APARTMENT, entrance={"point": {"x": 12000, "y": 4500}}
    )
    result = plan(brief)
    assert_sound(brief, result)
    door = next(d for d in result.payload.doors if len(d.connects) == 1)
    wall = next(w for w in result.payload.walls if w.id == door.host_wall_id)
    assert wall.start.x == wall.end.x == 11875.0  # the east wall


@pytest.mark.parametrize("shape", [L_SHAPE, U_SHAPE], ids=["L", "U"])
def test_polygon_footprints_give_valid_layouts(shape: list[tuple[int, int]]) -> None:
    brief = make_brief(polygon_footprint(shape), APARTMENT)
    result = plan(brief)
    assert_sound(brief, result)
    outline = Polygon(shape)
    for room in result.payload.rooms:
        assert outline.contains(Polygon([(p.x, p.y) for p in room.boundary]))


def test_office_brief() -> None:
    brief = make_brief({"width_mm": 16000, "depth_mm": 10000}, OFFICE, language="en", building_type="office")
    result = plan(brief)
    assert_sound(brief, result)
    types = sorted(r.type.value for r in result.payload.rooms)
    assert types == sorted(["office", "office", "meeting_room", "reception", "wc", "storage", "corridor"])
    assert any("corridor" in a for a in result.metadata["assumptions"])


def test_too_large_programme_is_refused_before_and_by_planning() -> None:
    brief = make_brief({"width_mm": 6000, "depth_mm": 5000}, [{"type": "bedroom", "count": 15}])
    with pytest.raises(Unprocessable) as fast:
        check_programme_fits(brief)
    assert fast.value.code == "PROGRAMME_TOO_LARGE"
    assert fast.value.params["available_m2"] == pytest.approx(5.5 * 4.5, abs=0.1)
    assert fast.value.params["required_m2"] > fast.value.params["available_m2"]
    with pytest.raises(Unprocessable) as planned:
        plan(brief)
    assert planned.value.code == "PROGRAMME_TOO_LARGE"


def test_same_seed_gives_the_same_layout() -> None:
    brief = make_brief(polygon_footprint(L_SHAPE), APARTMENT, options={"seed": 7})
    assert plan(brief).payload == plan(brief).payload


def test_windows_only_on_exterior_walls_and_in_every_habitable_room_that_can_have_one() -> None:
    brief = make_brief({"width_mm": 12000, "depth_mm": 9000}, APARTMENT)
    payload = plan(brief).payload
    walls = {w.id: w for w in payload.walls}
    assert all(walls[n.host_wall_id].is_exterior for n in payload.windows)
    with_window = {n.room_id for n in payload.windows}
    for room in payload.rooms:
        touches = _touches_exterior(room.boundary, [w for w in payload.walls if w.is_exterior])
        if room.type.value in HABITABLE and touches:
            assert room.id in with_window, room.name
        if room.type in (RoomType.hall, RoomType.corridor, RoomType.storage):
            assert room.id not in with_window


def _touches_exterior(boundary: Any, exterior: Any) -> bool:
    outline = Polygon([(p.x, p.y) for p in boundary])
    return any(
        outline.exterior.intersection(
            LineString([(w.start.x, w.start.y), (w.end.x, w.end.y)]).buffer(w.thickness_mm / 2 + 1)
        ).length
        > 1500
        for w in exterior
    )


def test_programme_defaults_and_names() -> None:
    brief = make_brief(
        {"width_mm": 12000, "depth_mm": 9000}, [{"type": "bedroom", "count": 2}, {"type": "wc"}], "en"
    )
    rooms = expand_programme(brief)
    assert [r.name for r in rooms] == ["Bedroom 1", "Bedroom 2", "WC"]
    assert [r.key for r in rooms] == ["R1", "R2", "R3"]
    assert rooms[0].target_area_m2 == DEFAULT_AREA_M2[RoomType.bedroom]
    assert all(r.min_area_m2 >= MIN_ROOM_AREA_M2 for r in rooms)
    # A WC asked for at 2 m² is planned at 2 m² (no 5 m² floor any more); under 1 m² it is raised.
    small = make_brief({"width_mm": 12000, "depth_mm": 9000}, [{"type": "wc", "target_area_m2": 2}])
    assert expand_programme(small)[0].target_area_m2 == 2.0
    tiny = make_brief({"width_mm": 12000, "depth_mm": 9000}, [{"type": "storage", "target_area_m2": 0.5}])
    assert expand_programme(tiny)[0].min_area_m2 == MIN_ROOM_AREA_M2


PROGRAMMES: list[list[dict[str, Any]]] = [
    APARTMENT[:3],
    APARTMENT[:2] + [{"type": "bedroom"}, {"type": "bathroom"}],
    APARTMENT,
    APARTMENT + [{"type": "dining_room"}, {"type": "storage"}],
    [
        {"type": "living_room"},
        {"type": "kitchen"},
        {"type": "bedroom", "count": 3},
        {"type": "bathroom", "count": 2},
        {"type": "wc"},
        {"type": "hall"},
    ],
]


@pytest.mark.parametrize("width", range(8000, 20001, 4000))
@pytest.mark.parametrize("depth", range(7000, 15001, 4000))
def test_generated_rectangles_are_valid_whenever_the_programme_fits(width: int, depth: int) -> None:
    planned = 0
    for n, rooms in enumerate(PROGRAMMES):
        brief = make_brief(
            {"width_mm": width, "depth_mm": depth},
            rooms,
            entrance={"side": ["south", "east", "north", "west"][n % 4]},
        )
        try:
            check_programme_fits(brief)
        except Unprocessable:
            continue
        try:
            result = plan(brief)
        except Unprocessable as refused:
            # Only a tight programme may be refused after the pre-check passed.
            assert refused.code == "PROGRAMME_DOES_NOT_FIT"
            assert sum(r.min_area_m2 for r in expand_programme(brief)) > 0.85 * net_interior_area_m2(brief)
            continue
        assert_sound(brief, result)
        planned += 1
    assert planned > 0


def test_region_minimums_hold_in_every_region() -> None:
    """Narrow sides, areas and glazing measured here, against the region data."""
    from archbuilder.layout.room_minimums import room_minimums
    from archbuilder.layout.validation import narrow_side_mm, validate_rules

    for region in ("TR", "DE-BY", "FR", "ES-CT", "US"):
        brief = make_brief({"width_mm": 12000, "depth_mm": 9000}, APARTMENT).model_copy(
            update={"region": region}
        )
        payload = plan(brief).payload
        assert validate_rules(payload, region, brief.building_type) == []
        rules = room_minimums(region, brief.building_type)
        for room in payload.rooms:
            rule = rules[room.type]
            outline = Polygon([(p.x, p.y) for p in room.boundary])
            if rule.narrow_side_mm:
                assert narrow_side_mm(outline) >= rule.narrow_side_mm - 1, (region, room.name)
            if rule.glazing_ratio:
                glazed = sum(n.width_mm * n.height_mm for n in payload.windows if n.room_id == room.id)
                assert glazed / outline.area >= rule.glazing_ratio, (region, room.name)


def test_turkish_living_room_narrow_side_is_refused_precisely() -> None:
    brief = make_brief({"width_mm": 3300, "depth_mm": 20000}, [{"type": "living_room"}])
    with pytest.raises(Unprocessable) as refused:
        check_programme_fits(brief)
    assert refused.value.code == "ROOM_DIMENSION_DOES_NOT_FIT"
    assert refused.value.params["min_narrow_side_mm"] == 3000
    assert refused.value.params["available_mm"] < 3000


@pytest.mark.parametrize(
    ("footprint", "fields", "reason_code", "reason_params"),
    [
        ({"width_mm": 5000, "depth_mm": 9000}, {"entrance": {"side": "east"}}, "no_split", {}),
        (
            {"width_mm": 7000, "depth_mm": 20000},
            {"party_walls": ["east", "west"], "entrance": {"side": "south"}},
            "glazing_party_walls",
            {"room": "Salon", "sides": ["east", "west"]},
        ),
    ],
)
def test_a_refusal_after_planning_says_why_with_a_stable_reason_code(
    footprint: dict[str, Any], fields: dict[str, Any], reason_code: str, reason_params: dict[str, Any]
) -> None:
    rooms: list[dict[str, Any]] = [
        {"type": "living_room", "name": "Salon"},
        {"type": "kitchen"},
        {"type": "bedroom"},
        {"type": "bathroom"},
    ]
    if "party_walls" in fields:
        rooms[2]["count"] = 3
        rooms.append({"type": "hall"})
    with pytest.raises(Unprocessable) as refused:
        plan(make_brief(footprint, rooms, **fields))
    params = refused.value.params
    assert refused.value.code == "PROGRAMME_DOES_NOT_FIT"
    assert (params["reason_code"], params["reason_params"]) == (reason_code, reason_params)
    assert params["reason"]  # the English words, as before reasons had codes


def test_must_adjacency_is_met_with_a_door_and_unknown_rooms_are_refused() -> None:
    wishes = [
        {"a": "kitchen", "b": "Salon", "kind": "must"},
        {"a": "bathroom", "b": "wc", "kind": "prefer"},
        {"a": "kitchen", "b": "bedroom", "kind": "avoid"},
    ]
    brief = make_brief({"width_mm": 12000, "depth_mm": 9000}, APARTMENT, adjacency=wishes)
    result = plan(brief)
    assert_sound(brief, result)
    met = {(w["a"], w["b"]): w["met"] for w in result.metadata["adjacency"]}
    assert met[("kitchen", "Salon")] is True
    door_pairs = {frozenset(d.connects) for d in result.payload.doors}
    assert frozenset(("R1", "R2")) in door_pairs  # Salon R1, kitchen R2
    missing = make_brief(
        {"width_mm": 12000, "depth_mm": 9000},
        APARTMENT,
        adjacency=[{"a": "kitchen", "b": "office", "kind": "must"}],
    )
    with pytest.raises(Unprocessable) as refused:
        check_programme_fits(missing)
    assert refused.value.code == "ADJACENCY_IMPOSSIBLE"


def test_impossible_must_adjacency_is_refused_by_the_planner() -> None:
    # In a one-row strip a room has two neighbours at most: it cannot touch three bedrooms.
    rooms = [{"type": "living_room", "name": "Salon", "target_area_m2": 16}] + [
        {"type": "bedroom", "name": name, "target_area_m2": 10} for name in ("A", "B", "C")
    ]
    wishes = [{"a": "Salon", "b": name, "kind": "must"} for name in ("A", "B", "C")]
    brief = make_brief({"width_mm": 24000, "depth_mm": 4000}, rooms, adjacency=wishes)
    check_programme_fits(brief)
    with pytest.raises(Unprocessable) as refused:
        plan(brief)
    assert refused.value.code == "ADJACENCY_IMPOSSIBLE"
    assert refused.value.params["a"] == "Salon"


def test_variants_are_distinct_ranked_and_deterministic() -> None:
    brief = make_brief(polygon_footprint(L_SHAPE), APARTMENT, options={"variants": 3, "seed": 3})
    variants = SpinePlanner().plan_variants(brief)
    assert 1 <= len(variants) <= 3
    assert [v.metadata["variant_rank"] for v in variants] == list(range(1, len(variants) + 1))
    scores = [v.metadata["score"] for v in variants]
    assert scores == sorted(scores)
    outlines = {tuple((p.x, p.y) for r in v.payload.rooms for p in r.boundary) for v in variants}
    assert len(outlines) == len(variants)
    for v in variants:
        assert_sound(brief, v)
    again = SpinePlanner().plan_variants(brief)
    assert [v.payload for v in again] == [v.payload for v in variants]
    meta = variants[0].metadata
    assert {"score_parts", "rules_applied", "adjacency", "mean_area_error_pct"} <= set(meta)
    assert any(rule["id"] == "TR-PAIY-29-BED" for rule in meta["rules_applied"])


# A 2+1 and a 3+1 whose targets fill their footprints (bench briefs "2+1 rect US", "3+1 L TR").
TWO_PLUS_ONE: list[dict[str, Any]] = [
    {"type": "living_room", "target_area_m2": 24},
    {"type": "kitchen", "target_area_m2": 10},
    {"type": "bedroom", "name": "Master", "target_area_m2": 13},
    {"type": "bedroom", "target_area_m2": 10.5},
    {"type": "bathroom", "target_area_m2": 5.5},
    {"type": "wc", "target_area_m2": 5},
    {"type": "hall", "target_area_m2": 8},
]
THREE_PLUS_ONE: list[dict[str, Any]] = [
    {"type": "living_room", "target_area_m2": 27},
    {"type": "kitchen", "target_area_m2": 11},
    {"type": "bedroom", "name": "Master", "target_area_m2": 13},
    {"type": "bedroom", "count": 2, "target_area_m2": 10.5},
    {"type": "bathroom", "target_area_m2": 5.5},
    {"type": "wc", "target_area_m2": 5},
    {"type": "hall", "target_area_m2": 9.5},
]
L_FILLED = [(0, 0), (12600, 0), (12600, 5800), (6900, 5800), (6900, 10500), (0, 10500)]


def test_band_depths_follow_the_rooms_they_hold() -> None:
    """The spine moves so neither band inflates its rooms while the other squeezes them."""
    from archbuilder.layout.planner.frames import frames_for
    from archbuilder.layout.planner.job import build_job
    from archbuilder.layout.planner.shareout import _Fill, group_rooms, tuned_frame

    brief = make_brief({"width_mm": 10700, "depth_mm": 8200}, TWO_PLUS_ONE, "en", options={"seed": 4})
    job, _ = build_job(brief, with_spine=True)
    frames = [f for f in frames_for(job, brief) if f.cut is not None and f.cut.cap is None]
    base = sorted(job.others, key=lambda r: (-r.target_area_m2, int(r.key[1:])))
    tuned_any = False
    for frame in frames:
        groups = group_rooms(job, frame, base)
        if groups is None or len(frame.slots) != 2:
            continue
        tuned = tuned_frame(job, frame, groups)
        if tuned is None:
            continue
        tuned_any = True
        ratios = [_Fill.of(job.site, s, g) for s, g in zip(tuned.slots, groups, strict=True)]
        lo, hi = (f.length * f.depth / f.target for f in ratios)
        # within a grid step of equal (the position is clamped only by the rooms' narrow sides)
        assert lo == pytest.approx(hi, rel=0.03) or min(lo, hi) > 1.0
    assert tuned_any
    result = plan(brief)
    assert_sound(brief, result)
    # 3 % when the hall could stop short of the front door; reaching it (an L hall to the south
    # facade) takes ~1.7 m² from the rooms, so the error is now that of a fitted L frame.
    assert result.metadata["mean_area_error_pct"] < 8.0
    assert result.metadata["design"]["entrance_into_hall"] is True


def test_wings_get_the_rooms_that_fill_them() -> None:
    """An L's wing is sized by the footprint: a room set matching its area goes there first."""
    brief = make_brief(polygon_footprint(L_FILLED), THREE_PLUS_ONE, "en", options={"seed": 10})
    result = plan(brief)
    assert_sound(brief, result)
    meta = result.metadata
    # 16.6 % when the greedy share-out alone filled the wing, 10 % before the hall had to reach
    # the front door (its stub now takes area from the rooms)
    assert meta["mean_area_error_pct"] < 13.0
    errors = [abs(r["area_error_pct"]) for r in meta["rooms"] if r["type"] not in ("hall", "corridor")]
    assert meta["mean_area_error_pct"] == pytest.approx(sum(errors) / len(errors), abs=0.01)


def test_a_footprint_far_larger_than_the_programme_is_said_in_the_briefs_language() -> None:
    """A 1+1 programme of about 45 m² in a 16 x 11 m footprint: every room grows far past its
    target, and the planner says so, with the numbers, instead of handing over a 60 m² salon
    without a word; a footprint that fits its programme gets no such warning."""
    one_bed = [{"type": "living_room"}, {"type": "kitchen"}, {"type": "bedroom"}, {"type": "bathroom"}]
    big = SpinePlanner().plan(
        make_brief({"width_mm": 16000, "depth_mm": 11000}, [*one_bed, {"type": "hall"}])
    )
    enlarged = [w for w in big.metadata["warnings"] if w.startswith("Taban alanı oda programından çok büyük")]
    assert len(enlarged) == 1, big.metadata["warnings"]
    rooms = [a for a in big.metadata["rooms"] if a["type"] != "hall"]
    area, target = sum(a["area_m2"] for a in rooms), sum(a["target_area_m2"] for a in rooms)
    assert f"({round(target)} m² istendi, {round(area)} m² verildi)" in enlarged[0]
    assert f"%{round((area / target - 1) * 100)} büyük" in enlarged[0]

    fitting = SpinePlanner().plan(make_brief({"width_mm": 12000, "depth_mm": 9000}, APARTMENT, language="de"))
    assert not [w for w in fitting.metadata["warnings"] if "viel größer als das Raumprogramm" in w]
