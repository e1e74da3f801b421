"""Metric functions: exact cases and seeded property checks (rotation, translation, bounds)."""

from __future__ import annotations

import math
import random

import pytest

from archbuilder.compliance.geometry import (
    RoomPaths,
    area_m2,
    clear_width_mm,
    largest_inscribed_rectangle,
    narrow_side_mm,
)
from archbuilder.compliance.travel import DoorLink, travel_distances
from archbuilder.compliance.units import feet_inches, to_engine

L_ROOM = [(0, 0), (5000, 0), (5000, 1000), (1200, 1000), (1200, 4000), (0, 4000)]


def moved(points: list[tuple[float, float]], angle: float, dx: float, dy: float) -> list[tuple[float, float]]:
    c, s = math.cos(angle), math.sin(angle)
    return [(c * x - s * y + dx, s * x + c * y + dy) for x, y in points]


def rect(w: float, d: float) -> list[tuple[float, float]]:
    return [(0, 0), (w, 0), (w, d), (0, d)]


def test_rectangle_metrics_are_exact() -> None:
    assert area_m2(rect(4000, 3000)) == pytest.approx(12.0)
    assert largest_inscribed_rectangle(rect(4000, 3000)) == (4000, 3000)
    assert narrow_side_mm(rect(2200, 4500)) == 2200
    assert clear_width_mm(rect(1000, 8000)) == 1000


def test_l_shaped_room_uses_its_largest_inscribed_rectangle() -> None:
    assert narrow_side_mm(L_ROOM) == pytest.approx(1000)  # 5.0 × 1.0 m beats 1.2 × 4.0 m
    assert narrow_side_mm([(0, 0), (4000, 0), (4000, 3000), (3000, 3000), (3000, 3500), (0, 3500)]) == 3000


def test_corridor_width_is_its_narrowest_arm() -> None:
    assert clear_width_mm(L_ROOM, [(5000, 500), (600, 4000)]) == pytest.approx(1000, abs=2)
    assert clear_width_mm(L_ROOM) == pytest.approx(1000, abs=2)


def test_properties_hold_under_random_rotation_and_translation() -> None:
    rng = random.Random(4)
    for _ in range(40):
        w, d = rng.uniform(800, 9000), rng.uniform(800, 9000)
        angle, dx, dy = rng.uniform(0, 2 * math.pi), rng.uniform(-5e4, 5e4), rng.uniform(-5e4, 5e4)
        shape = moved(rect(w, d), angle, dx, dy)
        assert area_m2(shape) == pytest.approx(w * d / 1e6, rel=1e-9)
        narrow = narrow_side_mm(shape)
        assert narrow == pytest.approx(min(w, d), abs=0.5)
        assert narrow <= math.sqrt(w * d) + 1e-6
        assert clear_width_mm(shape) == pytest.approx(min(w, d), abs=1.0)
        assert area_m2(moved(L_ROOM, angle, dx, dy)) == pytest.approx(area_m2(L_ROOM), rel=1e-9)
        assert narrow_side_mm(moved(L_ROOM, angle, dx, dy)) == pytest.approx(1000, abs=1.0)


def test_narrow_side_of_random_polygons_stays_inside_bounds() -> None:
    rng = random.Random(7)
    for _ in range(25):
        n = rng.randint(5, 9)
        angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
        pts = [(math.cos(a) * rng.uniform(2000, 5000), math.sin(a) * rng.uniform(2000, 5000)) for a in angles]
        width, depth = largest_inscribed_rectangle(pts)
        assert width * depth / 1e6 <= area_m2(pts) + 1e-6
        assert min(width, depth) <= math.sqrt(area_m2(pts) * 1e6) + 1e-6


def test_paths_go_around_corners_and_are_symmetric() -> None:
    paths = RoomPaths(L_ROOM)
    a, b = (4900.0, 500.0), (600.0, 3900.0)
    around = paths.distance(a, b)
    assert around > math.dist(a, b)  # the straight line leaves the room
    assert around == pytest.approx(math.dist(a, (1200, 1000)) + math.dist((1200, 1000), b))
    assert paths.distance(b, a) == pytest.approx(around)


def test_travel_distance_walks_through_doors() -> None:
    rooms = {
        "A": RoomPaths(rect(4000, 4000)),
        "B": RoomPaths([(4100, 0), (8100, 0), (8100, 4000), (4100, 4000)]),
    }
    doors = [DoorLink("E", (-50, 2000), ("A",)), DoorLink("AB", (4050, 500), ("A", "B"))]
    result = travel_distances(rooms, doors, {"E"})
    entry = (0.0, 2000.0)
    assert result["A"].distance_mm == pytest.approx(
        max(math.dist(entry, c) for c in [(4000, 0), (4000, 4000)])
    )
    to_door = math.dist(entry, (4000, 500))
    assert result["B"].distance_mm == pytest.approx(to_door + math.dist((4100, 500), (8100, 4000)))
    unreachable = travel_distances(rooms, doors[:1], {"E"})
    assert math.isinf(unreachable["B"].distance_mm)


def test_imperial_values_convert_and_format() -> None:
    assert to_engine(7, "ft") == pytest.approx(2133.6)
    assert to_engine(70, "ft2") == pytest.approx(6.503, abs=1e-3)
    assert feet_inches(2200) == "7 ft 2½ in"
    assert feet_inches(812.8) == "2 ft 8 in"
    assert feet_inches(2032) == "6 ft 8 in"
