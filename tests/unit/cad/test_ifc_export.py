"""IFC4 export of a planned layout: valid, complete, and read back to the same rooms."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon

from archbuilder.cad.ifc_export import layout_to_ifc
from archbuilder.cad.ifc_reader import read_ifc
from archbuilder.domain.brief import Brief
from archbuilder.domain.building import BuildingModel
from archbuilder.domain.common import CodeRegion, Language
from archbuilder.domain.layout import LayoutPayload
from archbuilder.layout.spine_planner import SpinePlanner

ifcopenshell = pytest.importorskip("ifcopenshell", reason="ifcopenshell is not installed")


@pytest.fixture(scope="module")
def payload() -> LayoutPayload:
    brief = Brief.model_validate(
        {
            "footprint": {
                "polygon": [
                    {"x": 0, "y": 0},
                    {"x": 12000, "y": 0},
                    {"x": 12000, "y": 5000},
                    {"x": 6000, "y": 5000},
                    {"x": 6000, "y": 10000},
                    {"x": 0, "y": 10000},
                ]
            },
            "rooms": [
                {"type": "living_room", "name": "Salon"},
                {"type": "kitchen"},
                {"type": "bedroom", "count": 2},
                {"type": "bathroom"},
                {"type": "hall"},
            ],
        }
    ).resolved(CodeRegion.TR, Language.tr)
    return SpinePlanner().plan(brief).payload


@pytest.fixture(scope="module")
def exported(payload: LayoutPayload, tmp_path_factory: pytest.TempPathFactory) -> str:
    data = layout_to_ifc(payload, project_name="Demo Konut")
    assert isinstance(data, bytes) and data.startswith(b"ISO-10303-21;")
    path = tmp_path_factory.mktemp("export") / "layout.ifc"
    path.write_bytes(data)
    return str(path)


def test_counts_and_names(exported: str, payload: LayoutPayload) -> None:
    f = ifcopenshell.open(exported)
    assert f.schema == "IFC4"
    assert f.by_type("IfcProject")[0].Name == "Demo Konut"
    assert len(f.by_type("IfcSite")) == 1 and len(f.by_type("IfcBuilding")) == 1
    assert [s.Name for s in f.by_type("IfcBuildingStorey")] == [lv.name for lv in payload.levels]
    assert len(f.by_type("IfcWall")) == len(payload.walls)
    assert len(f.by_type("IfcDoor")) == len(payload.doors)
    assert len(f.by_type("IfcWindow")) == len(payload.windows)
    assert len(f.by_type("IfcOpeningElement")) == len(payload.doors) + len(payload.windows)
    assert sorted(s.LongName for s in f.by_type("IfcSpace")) == sorted(r.name for r in payload.rooms)
    for element in f.by_type("IfcDoor") + f.by_type("IfcWindow"):
        opening = element.FillsVoids[0].RelatingOpeningElement
        assert opening.VoidsElements[0].RelatingBuildingElement.is_a("IfcWall")


def test_schema_validation(exported: str) -> None:
    import ifcopenshell.validate

    logger = ifcopenshell.validate.json_logger()
    ifcopenshell.validate.validate(ifcopenshell.open(exported), logger, express_rules=False)
    assert logger.statements == []


def test_round_trip_through_our_reader(exported: str, payload: LayoutPayload) -> None:
    model: BuildingModel = read_ifc(exported)
    assert model.warnings == []
    spaces = {s.name: s for s in model.spaces}
    assert set(spaces) == {r.name for r in payload.rooms}
    for room in payload.rooms:
        space = spaces[room.name]
        assert space.declared_area_m2 == pytest.approx(room.area_m2, rel=0.01)
        outline = Polygon([(p.x, p.y) for p in space.boundary])
        assert outline.area / 1e6 == pytest.approx(room.area_m2, rel=0.01)
        assert outline.equals_exact(Polygon([(p.x, p.y) for p in room.boundary]).normalize(), 1.0) or (
            outline.symmetric_difference(Polygon([(p.x, p.y) for p in room.boundary])).area < 1e4
        )
    by_ends = {(round(w.start.x), round(w.start.y), round(w.end.x), round(w.end.y)): w for w in model.walls}
    for wall in payload.walls:
        read = by_ends[(round(wall.start.x), round(wall.start.y), round(wall.end.x), round(wall.end.y))]
        assert read.thickness_mm == pytest.approx(wall.thickness_mm)
        assert read.height_mm == pytest.approx(wall.height_mm)
        assert read.is_exterior == wall.is_exterior
    assert sorted(d.clear_width_mm or 0 for d in model.doors) == sorted(d.width_mm for d in payload.doors)
    assert all(d.wall_id for d in model.doors + model.windows)  # type: ignore[operator]
    room_names = {r.id: r.name for r in payload.rooms}
    space_names = {s.id: s.name for s in model.spaces}
    expected = sorted(sorted(room_names[c] for c in d.connects) for d in payload.doors)
    assert sorted(sorted(space_names[s] for s in d.space_ids) for d in model.doors) == expected
    assert sorted(w.sill_height_mm or 0 for w in model.windows) == pytest.approx(
        sorted(w.sill_height_mm for w in payload.windows)
    )
