"""validate_layout catches each class of fault, on a planned payload changed one way."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from shapely.geometry import Polygon

from archbuilder.domain.brief import Brief, BuildingType
from archbuilder.domain.common import CodeRegion, Language
from archbuilder.domain.layout import LayoutPayload, Point, Point3, Room, Wall
from archbuilder.layout.planner import SpinePlanner
from archbuilder.layout.validation import narrow_side_mm, rule_problems, validate_layout
from archbuilder.platform.errors import Unprocessable
from archbuilder.services.versions import check_payload

FOOTPRINT = [(0.0, 0.0), (12000.0, 0.0), (12000.0, 9000.0), (0.0, 9000.0)]


@pytest.fixture(scope="module")
def planned() -> LayoutPayload:
    brief = Brief.model_validate(
        {
            "footprint": {"width_mm": 12000, "depth_mm": 9000},
            "rooms": [
                {"type": "living_room"},
                {"type": "kitchen"},
                {"type": "bedroom", "count": 2},
                {"type": "bathroom"},
                {"type": "hall"},
            ],
        }
    ).resolved(CodeRegion.TR, Language.en)
    return SpinePlanner().plan(brief).payload


def mutated(payload: LayoutPayload, change: Callable[[LayoutPayload], None]) -> LayoutPayload:
    copy = payload.model_copy(deep=True)
    change(copy)
    return copy


def square(x0: float, y0: float, side: float) -> list[Point]:
    return [
        Point(x=x0, y=y0),
        Point(x=x0 + side, y=y0),
        Point(x=x0 + side, y=y0 + side),
        Point(x=x0, y=y0 + side),
    ]


def test_planned_payload_is_valid(planned: LayoutPayload) -> None:
    assert validate_layout(planned, FOOTPRINT) == []


def test_hand_made_minimal_payload_is_valid() -> None:
    walls = [
        Wall(
            id=f"W{i + 1}",
            start=Point3(x=a[0], y=a[1]),
            end=Point3(x=b[0], y=b[1]),
            thickness_mm=200,
            height_mm=2800,
            wall_type_name="Generic - 200mm",
            level_name="Level 1",
            is_exterior=True,
        )
        for i, (a, b) in enumerate(
            [
                ((100, 100), (4900, 100)),
                ((4900, 100), (4900, 3900)),
                ((4900, 3900), (100, 3900)),
                ((100, 3900), (100, 100)),
            ]
        )
    ]
    payload = LayoutPayload.model_validate(
        {
            "levels": [{"name": "Level 1", "elevation_mm": 0, "height_mm": 2800}],
            "walls": [w.model_dump() for w in walls],
            "doors": [
                {
                    "id": "D1",
                    "host_wall_id": "W1",
                    "position_ratio": 0.5,
                    "width_mm": 1000,
                    "height_mm": 2100,
                    "type_name": "x",
                    "connects": ["R1"],
                }
            ],
            "windows": [
                {
                    "id": "N1",
                    "host_wall_id": "W3",
                    "position_ratio": 0.5,
                    "width_mm": 1200,
                    "height_mm": 1400,
                    "sill_height_mm": 900,
                    "type_name": "x",
                    "room_id": "R1",
                }
            ],
            "rooms": [
                {
                    "id": "R1",
                    "name": "Room",
                    "number": "101",
                    "type": "living_room",
                    "level_name": "Level 1",
                    "boundary": [
                        {"x": 200, "y": 200},
                        {"x": 4800, "y": 200},
                        {"x": 4800, "y": 3800},
                        {"x": 200, "y": 3800},
                    ],
                    "area_m2": 16.56,
                }
            ],
        }
    )
    assert validate_layout(payload, [(0, 0), (5000, 0), (5000, 4000), (0, 4000)]) == []


def _dangling_host(p: LayoutPayload) -> None:
    p.doors[0].host_wall_id = "W999"


def _overlapping_rooms(p: LayoutPayload) -> None:
    p.rooms[1].boundary = list(p.rooms[0].boundary)
    p.rooms[1].area_m2 = p.rooms[0].area_m2


def _room_outside(p: LayoutPayload) -> None:
    p.rooms.append(
        Room(
            id="R99",
            name="Out",
            number="199",
            type="storage",
            level_name="Level 1",
            boundary=square(13000, 0, 3000),
            area_m2=9.0,
        )
    )
    p.doors[-1].connects = [p.doors[-1].connects[0], "R99"]


def _unreachable_room(p: LayoutPayload) -> None:
    target = p.rooms[-2].id
    p.doors = [d for d in p.doors if target not in d.connects]


def _bad_area(p: LayoutPayload) -> None:
    p.rooms[0].area_m2 = round(p.rooms[0].area_m2 + 1.0, 2)


def _no_exterior_door(p: LayoutPayload) -> None:
    p.doors = [d for d in p.doors if len(d.connects) == 2]


def _clockwise_room(p: LayoutPayload) -> None:
    p.rooms[0].boundary = list(reversed(p.rooms[0].boundary))


def _unknown_connects(p: LayoutPayload) -> None:
    p.doors[1].connects = [p.doors[1].connects[0], "R404"]


def _window_off_its_wall(p: LayoutPayload) -> None:
    p.windows[0].position_ratio = 0.0


def _overlapping_openings(p: LayoutPayload) -> None:
    window = p.windows[0]
    p.windows.append(window.model_copy(update={"id": "N99"}))


def _short_wall(p: LayoutPayload) -> None:
    wall = p.walls[-1]
    wall.end = Point3(
        x=wall.start.x + 50 if wall.start.y == wall.end.y else wall.start.x,
        y=wall.start.y if wall.start.y == wall.end.y else wall.start.y + 50,
    )


def _duplicate_id(p: LayoutPayload) -> None:
    p.rooms[1].id = p.rooms[0].id


def _exterior_wall_off_the_boundary(p: LayoutPayload) -> None:
    wall = p.walls[0]  # the south wall: move it 300 mm inwards
    wall.start = Point3(x=wall.start.x, y=wall.start.y + 300)
    wall.end = Point3(x=wall.end.x, y=wall.end.y + 300)


def _small_room(p: LayoutPayload) -> None:
    p.rooms[0].boundary = square(300, 300, 800)
    p.rooms[0].area_m2 = 0.64


def _bad_window_room(p: LayoutPayload) -> None:
    p.windows[0].room_id = "R404"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_dangling_host, "host wall 'W999'"),
        (_overlapping_rooms, "overlap"),
        (_room_outside, "outside the footprint"),
        (_unreachable_room, "cannot be reached"),
        (_bad_area, "encloses"),
        (_no_exterior_door, "no exterior door"),
        (_clockwise_room, "counter-clockwise"),
        (_unknown_connects, "unknown room 'R404'"),
        (_window_off_its_wall, "runs past the ends"),
        (_overlapping_openings, "overlap on wall"),
        (_short_wall, "under 100 mm"),
        (_duplicate_id, "duplicate room id"),
        (_exterior_wall_off_the_boundary, "from the footprint edge"),
        (_small_room, "outside (1.0, 1000.0)"),
        (_bad_window_room, "window N1: unknown room"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else "",
)
def test_each_fault_is_reported(
    planned: LayoutPayload, change: Callable[[LayoutPayload], None], expected: str
) -> None:
    problems = validate_layout(mutated(planned, change), FOOTPRINT)
    assert problems, "the fault went unnoticed"
    assert any(expected in p for p in problems), problems


def one_room(width: float, depth: float, room_type: str = "wc") -> LayoutPayload:
    """A single room inside 200 mm exterior walls, entered by a 600 mm door on the south wall."""
    x1, y1 = width + 200, depth + 200  # the room's inner faces; walls' centrelines 100 mm out
    corners = [(100, 100), (x1 + 100, 100), (x1 + 100, y1 + 100), (100, y1 + 100)]
    walls = [
        {
            "id": f"W{i + 1}",
            "start": {"x": a[0], "y": a[1]},
            "end": {"x": b[0], "y": b[1]},
            "thickness_mm": 200,
            "height_mm": 2800,
            "wall_type_name": "Generic - 200mm",
            "level_name": "Level 1",
            "is_exterior": True,
        }
        for i, (a, b) in enumerate(zip(corners, corners[1:] + corners[:1], strict=True))
    ]
    return LayoutPayload.model_validate(
        {
            "levels": [{"name": "Level 1", "elevation_mm": 0, "height_mm": 2800}],
            "walls": walls,
            "doors": [
                {
                    "id": "D1",
                    "host_wall_id": "W1",
                    "position_ratio": 0.5,
                    "width_mm": 600,
                    "height_mm": 2100,
                    "type_name": "x",
                    "connects": ["R1"],
                }
            ],
            "windows": [],
            "rooms": [
                {
                    "id": "R1",
                    "name": "WC",
                    "number": "101",
                    "type": room_type,
                    "level_name": "Level 1",
                    "boundary": [
                        {"x": 200, "y": 200},
                        {"x": x1, "y": 200},
                        {"x": x1, "y": y1},
                        {"x": 200, "y": y1},
                    ],
                    "area_m2": round(width * depth / 1e6, 4),
                }
            ],
        }
    )


def test_the_add_in_range_of_room_areas_is_enforced_here_not_by_the_model() -> None:
    """Issue 15: the add-in builds rooms of 1–1000 m²; the payload model parses any area > 0."""
    assert Room.ADDIN_AREA_M2 == (1.0, 1000.0)
    wc = one_room(1200, 1250)  # 1.5 m²: a room now (the 5 m² floor is gone)
    assert validate_layout(wc, [(0, 0), (1600, 0), (1600, 1650), (0, 1650)]) == []
    store = one_room(800, 1000, "storage")  # 0.8 m²: parses, but is never stored or sent
    assert validate_layout(store, [(0, 0), (1200, 0), (1200, 1400), (0, 1400)]) == [
        "room R1: area 0.8 m² outside (1.0, 1000.0)"
    ]


@pytest.mark.parametrize(
    ("outline", "narrow"),
    [
        ([(0, 0), (3200, 0), (3200, 4100), (0, 4100)], 3200),  # a rectangle, counter-clockwise
        ([(500, 900), (500, 3400), (4500, 3400), (4500, 900)], 2500),  # clockwise, off the origin
        ([(0, 0), (1600, 0), (3200, 0), (3200, 4100), (0, 4100)], 3200),  # a rectangle, 5 points
        ([(0, 0), (4000, 0), (4000, 1800), (2600, 1800), (2600, 4000), (0, 4000)], 2600),  # an L
        ([(0, 0), (6000, 0), (6000, 1400), (0, 1400)], 1400),
        ([(0, 0), (4000, 0), (0, 3000), (4000, 3000)], 1334),  # a bow tie on a box's corners: 4/3 m
    ],
)
def test_narrow_side_is_the_largest_square_the_outline_holds(
    outline: list[tuple[float, float]], narrow: float
) -> None:
    """Rectangles are measured without shrinking them (``narrow_side_mm``'s shortcut): the
    answer is the same as for any other outline, within the 1 mm the search stops at."""
    measured = narrow_side_mm(Polygon(outline))
    assert narrow - 1 <= measured <= narrow


def test_an_l_shaped_bedroom_with_a_narrow_arm_breaks_the_narrow_side_minimum(
    planned: LayoutPayload,
) -> None:
    """The L's bounding box is wide enough; its widest square is not (TR: bedroom 2.50 m)."""

    def to_l(payload: LayoutPayload) -> None:
        room = next(r for r in payload.rooms if r.type.value == "bedroom")
        x0, y0 = min(p.x for p in room.boundary), min(p.y for p in room.boundary)
        outline = [(0, 0), (4000, 0), (4000, 2400), (2400, 2400), (2400, 4400), (0, 4400)]
        room.boundary = [Point(x=x0 + x, y=y0 + y) for x, y in outline]
        room.area_m2 = (4000 * 2400 + 2400 * 2000) / 1e6

    problems = rule_problems(mutated(planned, to_l), "TR", BuildingType.apartment)
    narrow = [p.params["narrow_mm"] for p in problems if p.code == "room_narrow_side_under"]
    assert narrow and 2399 <= narrow[0] <= 2400


def test_a_refused_layout_names_the_region_minimums_before_what_follows_from_them(
    planned: LayoutPayload,
) -> None:
    """``LAYOUT_INVALID`` lists a room made too narrow before the outline faults it causes (a
    gap, an overlap): the first is what the reader changes."""
    brief = Brief.model_validate(
        {"footprint": {"width_mm": 12000, "depth_mm": 9000}, "rooms": [{"type": "living_room"}]}
    ).resolved(CodeRegion.TR, Language.en)

    def narrow_bedroom(payload: LayoutPayload) -> None:
        room = next(r for r in payload.rooms if r.type.value == "bedroom")
        x0, y0 = min(p.x for p in room.boundary), min(p.y for p in room.boundary)
        room.boundary = square(x0, y0, 2000)
        room.area_m2 = 4.0

    with pytest.raises(Unprocessable) as refused:
        check_payload(mutated(planned, narrow_bedroom), brief)
    codes = [r["code"] for r in refused.value.params["problem_reasons"]]
    assert codes[0] in ("room_area_under", "room_narrow_side_under"), codes
    assert "floor_in_no_room" in codes or len(codes) == 5, codes
