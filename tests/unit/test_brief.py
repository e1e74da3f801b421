"""The brief model refuses what cannot be a building and fills what the project implies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from archbuilder.domain.brief import Brief
from archbuilder.domain.common import CodeRegion, Language

ROOMS = [{"type": "living_room"}, {"type": "kitchen"}]


def brief(**fields: object) -> Brief:
    return Brief.model_validate({"rooms": ROOMS, **fields})


def test_rectangle_footprint_resolves_to_counter_clockwise_points() -> None:
    b = brief(footprint={"width_mm": 12000, "depth_mm": 9000})
    assert b.footprint is not None
    assert b.footprint.points() == [(0, 0), (12000, 0), (12000, 9000), (0, 9000)]
    assert b.footprint.area_m2() == pytest.approx(108)


def test_clockwise_polygon_is_reoriented_and_closing_point_dropped() -> None:
    pts = [(0, 0), (0, 8000), (6000, 8000), (6000, 4000), (10000, 4000), (10000, 0), (0, 0)]
    b = brief(footprint={"polygon": [{"x": x, "y": y} for x, y in pts]})
    assert b.footprint is not None
    outline = b.footprint.points()
    assert len(outline) == 6
    assert b.footprint.area_m2() == pytest.approx(6 * 8 + 4 * 4)


@pytest.mark.parametrize(
    "polygon",
    [
        [(0, 0), (10000, 0), (10000, 8000)],  # too few corners
        [(0, 0), (10000, 0), (12000, 8000), (0, 8000)],  # slanted edge
        [(0, 0), (10000, 0), (10000, 8000), (5000, 8000), (5000, -3000), (0, -3000)],  # edges cross
        [(0, 0), (10000, 0), (10000, 2000), (0, 2000)],  # narrower than 3 m
    ],
)
def test_invalid_polygons_are_refused(polygon: list[tuple[int, int]]) -> None:
    with pytest.raises(ValidationError):
        brief(footprint={"polygon": [{"x": x, "y": y} for x, y in polygon]})


def test_unknown_fields_and_room_types_are_refused() -> None:
    with pytest.raises(ValidationError):
        brief(footprint={"width_mm": 9000, "depth_mm": 9000}, colour="red")
    with pytest.raises(ValidationError):
        Brief.model_validate({"rooms": [{"type": "ballroom"}], "total_area_m2": 80})


def test_a_brief_needs_a_footprint_or_an_area() -> None:
    with pytest.raises(ValidationError):
        brief()


def test_total_area_sizes_a_four_by_three_footprint() -> None:
    resolved = brief(total_area_m2=120).resolved(CodeRegion.TR, Language.tr)
    assert resolved.footprint is not None and resolved.region == "TR" and resolved.language == "tr"
    assert resolved.footprint.width_mm is not None and resolved.footprint.depth_mm is not None
    assert resolved.footprint.area_m2() == pytest.approx(120, rel=0.02)
    assert resolved.footprint.width_mm > resolved.footprint.depth_mm


def test_explicit_region_and_language_win_over_project_defaults() -> None:
    resolved = brief(total_area_m2=90, region="DE", language="de").resolved(CodeRegion.TR, Language.tr)
    assert (resolved.region, resolved.language) == ("DE", "de")


@pytest.mark.parametrize("region", ["TR", "DE-BY", "ES-CT", "US-CA"])
def test_regions_may_name_a_subdivision(region: str) -> None:
    assert brief(total_area_m2=90, region=region).region == region


@pytest.mark.parametrize("region", ["XX", "de", "DE-", "DE-BAVARIA", "TR/../x"])
def test_unknown_regions_are_refused(region: str) -> None:
    with pytest.raises(ValidationError):
        brief(total_area_m2=90, region=region)
