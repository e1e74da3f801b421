"""Door and window type names: their real sizes, in millimetres or in feet and inches."""

from __future__ import annotations

import pytest

from archbuilder.domain.brief import Brief
from archbuilder.domain.common import builds_imperial
from archbuilder.layout.planner import SpinePlanner
from archbuilder.layout.type_names import ft_in, opening_type_name


@pytest.mark.parametrize(
    ("mm", "text"),
    [
        (914.4, "3'0\""),
        (2133.6, "7'0\""),
        (900, "2'11 3/8\""),  # 35.43 in
        (2100, "6'10 5/8\""),  # 82.68 in
        (800, "2'7 1/2\""),
        (1200, "3'11 1/4\""),
        (304.8 * 12 - 3, "11'11 7/8\""),
        (304.8 * 12 - 0.1, "12'0\""),  # rounds up into the next foot
        (600, "1'11 5/8\""),
    ],
)
def test_feet_and_inches_to_the_eighth(mm: float, text: str) -> None:
    assert ft_in(mm) == text


def test_type_names() -> None:
    assert opening_type_name(900, 2100) == "900 x 2100mm"
    assert opening_type_name(1250, 1400) == "1250 x 1400mm"
    assert opening_type_name(914.4, 2133.6, imperial=True) == "3'0\" x 7'0\""
    assert opening_type_name(900, 2100, imperial=True) == "2'11 3/8\" x 6'10 5/8\""
    assert builds_imperial("US") and builds_imperial("US-CA")
    assert not builds_imperial("TR") and not builds_imperial(None)


@pytest.mark.parametrize("region", ["TR", "US-CA"])
def test_planned_doors_and_windows_are_named_by_their_size_in_the_regions_units(region: str) -> None:
    brief = Brief.model_validate(
        {
            "footprint": {"width_mm": 10000, "depth_mm": 8000},
            "rooms": [
                {"type": "living_room"},
                {"type": "kitchen"},
                {"type": "bedroom"},
                {"type": "bathroom"},
            ],
        }
    ).resolved(region, "en")
    payload = SpinePlanner().plan(brief).payload
    imperial = region.startswith("US")
    assert payload.doors and payload.windows
    for door in payload.doors:
        name = opening_type_name(door.width_mm, door.height_mm, imperial=imperial)
        assert door.type_name == (f"{name} opening" if door.is_opening else name)
    for window in payload.windows:
        assert window.type_name == opening_type_name(window.width_mm, window.height_mm, imperial=imperial)
    names = [o.type_name for o in [*payload.doors, *payload.windows]]
    assert all(('"' in n) == imperial and ("mm" in n) != imperial for n in names), names
