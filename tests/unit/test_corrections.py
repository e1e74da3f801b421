"""Corrections edit a planned layout the way an architect would, and the result stays valid."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter
from shapely.geometry import LineString, Polygon
from shapely.ops import unary_union

from archbuilder.domain.brief import Brief
from archbuilder.domain.corrections import Correction, apply_corrections
from archbuilder.domain.layout import LayoutPayload
from archbuilder.layout.planner import SpinePlanner
from archbuilder.layout.validation import validate_layout
from archbuilder.platform.errors import Unprocessable

BRIEF = Brief.model_validate(
    {
        "footprint": {"width_mm": 12000, "depth_mm": 9000},
        "rooms": [
            {"type": "living_room", "name": "Salon"},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 2},
            {"type": "bathroom"},
            {"type": "hall"},
        ],
    }
).resolved("TR", "en")
FOOTPRINT = BRIEF.footprint.points()  # type: ignore[union-attr]
TOUR_BRIEF = Brief.model_validate(  # the README tour's
    {
        "building_type": "apartment",
        "footprint": {"width_mm": 12000, "depth_mm": 9000},
        "rooms": [
            {"type": "living_room", "name": "Salon", "target_area_m2": 25},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 2},
            {"type": "bathroom"},
            {"type": "wc"},
            {"type": "hall"},
        ],
        "entrance": {"side": "south"},
        "level_height_mm": 2800,
    }
).resolved("TR", "tr")
CORRECTIONS = TypeAdapter(list[Correction])


@pytest.fixture(scope="module")
def payload() -> LayoutPayload:
    return SpinePlanner().plan(BRIEF).payload


def fix(payload: LayoutPayload, *items: dict[str, object]) -> LayoutPayload:
    return apply_corrections(payload, CORRECTIONS.validate_python(list(items)))


def shape(room_boundary: list) -> Polygon:  # type: ignore[type-arg]
    return Polygon([(p.x, p.y) for p in room_boundary])


def neighbours(payload: LayoutPayload) -> tuple[str, str, str]:
    """An interior wall with exactly two rooms along its faces, and those rooms."""
    for wall in payload.walls:
        if wall.is_exterior:
            continue
        line = Polygon(
            [(wall.start.x, wall.start.y), (wall.end.x, wall.end.y), (wall.end.x + 0.1, wall.end.y + 0.1)]
        ).buffer(wall.thickness_mm / 2 + 1)
        touching = [r.id for r in payload.rooms if shape(r.boundary).intersection(line).area > 1000]
        if len(touching) == 2:
            return wall.id, touching[0], touching[1]
    raise AssertionError("no interior wall between two rooms")


def test_rename_and_retype_leave_the_original_untouched(payload: LayoutPayload) -> None:
    room = payload.rooms[1]
    fixed = fix(
        payload,
        {"op": "rename_room", "room_id": room.id, "name": "Çalışma"},
        {"op": "retype_room", "room_id": room.id, "type": "office"},
    )
    changed = next(r for r in fixed.rooms if r.id == room.id)
    assert (changed.name, changed.type) == ("Çalışma", "office")
    assert payload.rooms[1].name == room.name  # the source version is not modified


def test_moving_an_interior_wall_moves_area_between_its_rooms(payload: LayoutPayload) -> None:
    wall_id, a, b = neighbours(payload)
    before = {r.id: r.area_m2 for r in payload.rooms}
    fixed = fix(payload, {"op": "move_wall", "wall_id": wall_id, "offset_mm": 200})
    after = {r.id: r.area_m2 for r in fixed.rooms}
    assert validate_layout(fixed, FOOTPRINT) == []
    assert after[a] != before[a] and after[b] != before[b]
    assert after[a] + after[b] == pytest.approx(before[a] + before[b], abs=0.05)
    untouched = set(before) - {a, b}
    assert all(after[r] == before[r] for r in untouched)


def _uncovered_mm2(payload: LayoutPayload) -> float:
    """The area of the footprint's bounding box that is neither a room nor a wall."""
    walls = [
        LineString([(w.start.x, w.start.y), (w.end.x, w.end.y)]).buffer(w.thickness_mm / 2, cap_style="flat")
        for w in payload.walls
    ]
    covered = unary_union([shape(r.boundary) for r in payload.rooms] + walls)
    return float(covered.envelope.difference(covered).area)


@pytest.mark.parametrize("brief", [BRIEF, TOUR_BRIEF], ids=["2+1", "readme-tour-3+1"])
def test_moving_any_interior_wall_leaves_no_sliver_outside_every_room(brief: Brief) -> None:
    # Where a moved wall's end meets another wall, a room's outline steps round the corner square
    # neither wall covers; that step moves with the wall, or a sliver is left outside every room
    # (the README tour's WC partition left a stub beside the WC).
    planned = SpinePlanner().plan(brief).payload
    baseline = _uncovered_mm2(planned)
    moved = 0
    for wall in planned.walls:
        if wall.is_exterior:
            continue
        for offset in (-300, 300):
            try:
                fixed = fix(planned, {"op": "move_wall", "wall_id": wall.id, "offset_mm": offset})
            except Unprocessable:
                continue  # refused (an opening off its wall, a wall too short): nothing to draw
            moved += 1
            gap = _uncovered_mm2(fixed) - baseline
            assert gap < 1_000, f"{wall.id} moved {offset} mm leaves {gap:.0f} mm² outside every room"
    assert moved >= 4


L_BRIEF = Brief.model_validate(
    {
        "footprint": {
            "polygon": [
                {"x": 0, "y": 0},
                {"x": 9900, "y": 0},
                {"x": 9900, "y": 4500},
                {"x": 5400, "y": 4500},
                {"x": 5400, "y": 8200},
                {"x": 0, "y": 8200},
            ]
        },
        "rooms": [
            {"type": "living_room", "target_area_m2": 21},
            {"type": "kitchen", "target_area_m2": 9},
            {"type": "bedroom", "name": "Master", "target_area_m2": 13},
            {"type": "bathroom", "target_area_m2": 5.5},
            {"type": "hall"},
        ],
    }
).resolved("FR", "fr")


def test_a_wall_from_an_exterior_corner_is_refused_with_its_reason_not_bent_walls() -> None:
    # In an L the planner continues an exterior wall past the inner corner as a partition: moving
    # that partition would drag the exterior wall's end, and so the footprint, with it.
    planned = SpinePlanner().plan(L_BRIEF).payload
    corners = {(p.x, p.y) for w in planned.walls if w.is_exterior for p in (w.start, w.end)}
    partition = next(
        w
        for w in planned.walls
        if not w.is_exterior and {(w.start.x, w.start.y), (w.end.x, w.end.y)} & corners
    )
    with pytest.raises(Unprocessable) as refused:
        fix(planned, {"op": "move_wall", "wall_id": partition.id, "offset_mm": 300})
    assert refused.value.params["reason_code"] == "wall_meets_exterior_corner"
    assert refused.value.params["reason_params"]["wall"] == partition.id


def test_a_wall_continuing_another_in_a_straight_line_is_refused() -> None:
    # Two partitions in one line (as a hand-drawn or imported plan may have them): moving one
    # alone would bend the other.
    def wall(
        wall_id: str, x0: float, y0: float, x1: float, y1: float, exterior: bool = False
    ) -> dict[str, object]:
        return {
            "id": wall_id, "start": {"x": x0, "y": y0}, "end": {"x": x1, "y": y1},
            "thickness_mm": 250 if exterior else 100, "height_mm": 2800,
            "wall_type_name": "Ext" if exterior else "Int", "level_name": "L1", "is_exterior": exterior,
        }  # fmt: skip

    plan = LayoutPayload.model_validate(
        {
            "levels": [{"name": "L1", "elevation_mm": 0, "height_mm": 2800}],
            "walls": [
                wall("E1", 0, 0, 6000, 0, True),
                wall("E2", 6000, 0, 6000, 4000, True),
                wall("E3", 6000, 4000, 0, 4000, True),
                wall("E4", 0, 4000, 0, 0, True),
                wall("A", 3000, 0, 3000, 2000),
                wall("B", 3000, 2000, 3000, 4000),
                wall("C", 3000, 2000, 6000, 2000),
            ],  # fmt: skip
            "doors": [],
            "windows": [],
            "rooms": [
                {
                    "id": "R1",
                    "name": "West",
                    "number": "1",
                    "type": "bedroom",
                    "level_name": "L1",
                    "boundary": [
                        {"x": 125, "y": 125},
                        {"x": 2950, "y": 125},
                        {"x": 2950, "y": 3875},
                        {"x": 125, "y": 3875},
                    ],
                    "area_m2": 10.6,
                },
            ],  # fmt: skip
        }
    )
    with pytest.raises(Unprocessable) as refused:
        fix(plan, {"op": "move_wall", "wall_id": "A", "offset_mm": 300})
    assert refused.value.params["reason_code"] == "wall_continues_wall"
    assert refused.value.params["reason_params"] == {"wall": "A", "other": "B"}
    # The partition that only meets others at right angles moves, and the ones ending on it follow.
    moved = fix(plan, {"op": "move_wall", "wall_id": "C", "offset_mm": 300})
    assert {w.id: (w.start.y, w.end.y) for w in moved.walls if w.id in "ABC"} == {
        "A": (0, 2300),
        "B": (2300, 4000),
        "C": (2300, 2300),
    }


def test_exterior_walls_cannot_move(payload: LayoutPayload) -> None:
    exterior = next(w for w in payload.walls if w.is_exterior)
    with pytest.raises(Unprocessable) as refused:
        fix(payload, {"op": "move_wall", "wall_id": exterior.id, "offset_mm": 100})
    assert refused.value.code == "CORRECTION_INVALID" and refused.value.params["index"] == 0
    assert refused.value.params["reason_code"] == "exterior_wall_fixed"


@pytest.mark.parametrize(
    ("correction", "reason_code", "reason_params"),
    [
        ({"op": "merge_room", "room_id": "R99", "into": "R1"}, "no_room", {"room": "R99"}),
        ({"op": "merge_room", "room_id": "R1", "into": "R1"}, "merge_into_itself", {}),
        ({"op": "move_wall", "wall_id": "W99", "offset_mm": 100}, "no_wall", {"wall": "W99"}),
        ({"op": "delete_opening", "opening_id": "N99"}, "no_opening", {"opening": "N99"}),
        (
            {"op": "resize_opening", "opening_id": "D1", "width_mm": 100},
            "opening_width_under",
            {"opening": "D1", "minimum_mm": 600},
        ),
        (
            {"op": "resize_opening", "opening_id": "D1", "height_mm": 3000},
            "opening_height_over",
            {"opening": "D1", "maximum_mm": 2500},
        ),
    ],
)
def test_a_refused_correction_says_why_with_a_stable_reason_code(
    payload: LayoutPayload, correction: dict[str, object], reason_code: str, reason_params: dict[str, object]
) -> None:
    with pytest.raises(Unprocessable) as refused:
        fix(payload, {"op": "rename_room", "room_id": "R1", "name": "Salon"}, correction)
    params = refused.value.params
    assert (params["index"], params["reason_code"], params["reason_params"]) == (
        1,
        reason_code,
        reason_params,
    )
    assert params["reason"]  # the English words, as before reasons had codes


def test_merging_a_room_removes_it_and_keeps_the_layout_valid(payload: LayoutPayload) -> None:
    _, a, b = neighbours(payload)
    before = {r.id: r.area_m2 for r in payload.rooms}
    fixed = fix(payload, {"op": "merge_room", "room_id": a, "into": b})
    assert a not in {r.id for r in fixed.rooms}
    merged = next(r for r in fixed.rooms if r.id == b)
    assert merged.area_m2 > before[a] + before[b]  # plus the wall strip between them
    assert all(a not in d.connects for d in fixed.doors)
    assert validate_layout(fixed, FOOTPRINT) == []


def test_openings_move_resize_and_go(payload: LayoutPayload) -> None:
    window = payload.windows[0]
    door = payload.doors[0]
    fixed = fix(
        payload,
        {"op": "resize_opening", "opening_id": window.id, "width_mm": 900},
        {"op": "move_opening", "opening_id": door.id, "position_ratio": 0.5},
        {"op": "delete_opening", "opening_id": payload.windows[-1].id},
    )
    assert next(w for w in fixed.windows if w.id == window.id).width_mm == 900
    assert len(fixed.windows) == len(payload.windows) - 1
    with pytest.raises(Unprocessable):
        fix(
            payload, {"op": "resize_opening", "opening_id": door.id, "width_mm": 300}
        )  # below the add-in's 600
    with pytest.raises(Unprocessable):
        fix(payload, {"op": "delete_opening", "opening_id": "nope"})
