"""Issue 15: rooms under the add-in's 1 m² are findings of a layout check, never of a drawing."""

from __future__ import annotations

import pytest

from archbuilder.compliance import check_model, layout_to_model
from archbuilder.domain.building import SourceInfo
from archbuilder.domain.layout import LayoutPayload
from tests.unit.compliance.layouts import acceptance_layout, brief_for


def with_store(area_m2: float) -> LayoutPayload:
    """The acceptance layout plus a store of ``area_m2`` (1 m deep) east of the corridor."""
    data = acceptance_layout().model_dump(mode="json")
    width = area_m2 * 1000
    data["rooms"].append(
        {
            "id": "R7",
            "name": "Store",
            "number": "7",
            "type": "storage",
            "level_name": "Level 1",
            "boundary": [
                {"x": 10500, "y": 0},
                {"x": 10500 + width, "y": 0},
                {"x": 10500 + width, "y": 1000},
                {"x": 10500, "y": 1000},
            ],
            "area_m2": area_m2,
        }
    )
    return LayoutPayload.model_validate(data)


def addin_findings(payload: LayoutPayload, region: str = "TR", fmt: str = "layout") -> list[str]:
    model = layout_to_model(payload, brief_for(region, "house" if region == "US" else "apartment"))
    if fmt != "layout":
        model = model.model_copy(update={"source": SourceInfo(format=fmt)})  # type: ignore[arg-type]
    report = check_model(model, region=region, language="en")
    return [f.message for f in report.findings if f.rule_id == "ADDIN-ROOM-AREA"]


def test_a_room_under_one_square_metre_fails_and_one_at_it_does_not() -> None:
    assert addin_findings(with_store(0.8)) == [
        "Store: net area 0.80 m² is below the minimum 1.00 m² (Revit add-in area_m2 1–1000 m²)"
    ]
    assert addin_findings(with_store(1.0)) == []


def test_imperial_regions_see_square_feet() -> None:
    assert addin_findings(with_store(0.5), region="US") == [
        "Store: net area 5.4 ft² is below the minimum 10.8 ft² (Revit add-in area_m2 1–1000 m²)"
    ]


@pytest.mark.parametrize("fmt", ["dxf", "ifc"])
def test_drawings_are_not_add_in_payloads(fmt: str) -> None:
    assert addin_findings(with_store(0.3), fmt=fmt) == []
