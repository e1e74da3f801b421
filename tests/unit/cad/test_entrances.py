"""Entrance doors (issue 17): what the IFC reader reads from the file, and doors on the outline
(``cad.entrances``) when a file does not say; storey elevations without float noise."""

from __future__ import annotations

from pathlib import Path

import pytest
from ezdxf.filemanagement import new as new_drawing

from archbuilder.cad.dxf_reader import read_dxf
from archbuilder.cad.entrances import mark_outline_entrances
from archbuilder.cad.ifc_reader import read_ifc
from archbuilder.domain.building import (
    BuildingModel,
    ModelDoor,
    ModelLevel,
    ModelPoint,
    ModelWall,
    SourceInfo,
)
from tests.unit.cad.conftest import DXF, IFC, data_file


def _entrances(model: BuildingModel) -> list[str]:
    return [d.id for d in model.doors if d.is_entrance]


def _spaces_of(model: BuildingModel, door_ids: list[str]) -> list[list[str]]:
    names = {s.id: s.name for s in model.spaces}
    by_id = {d.id: d for d in model.doors}
    return [[names[s] for s in by_id[d].space_ids] for d in door_ids]


@pytest.fixture(scope="module")
def duplex() -> BuildingModel:
    return read_ifc(data_file(IFC, "duplex_apartment_IFC2X3.ifc"))


def test_ifc_doors_that_say_is_external(duplex: BuildingModel) -> None:
    # Pset_DoorCommon.IsExternal: the two front doors into the foyers and the two glass doors
    # of the living rooms; the ten doors between rooms are not entrances.
    found = _entrances(duplex)
    assert len(duplex.doors) == 14 and len(found) == 4
    assert sorted(n for names in _spaces_of(duplex, found) for n in names) == [
        "Foyer",
        "Foyer",
        "Living Room",
        "Living Room",
    ]
    assert mark_outline_entrances(duplex) == duplex  # the file said: the outline is not asked


def test_ifc_doors_with_an_external_space_boundary() -> None:
    # FZK-Haus says nothing of IsExternal; its front door (Haustür, into the Flur) and the
    # terrace door (into Wohnen) bound their space with an EXTERNAL boundary.
    model = read_ifc(data_file(IFC, "AC20-FZK-Haus_IFC4.ifc"))
    found = _entrances(model)
    assert _spaces_of(model, found) == [["Flur"], ["Wohnen"]]
    assert {d.source_ref for d in model.doors if d.is_entrance} == {
        d.source_ref for d in model.doors if len(d.space_ids) == 1
    }


def test_ifc_is_external_without_spaces() -> None:
    # SampleHouse4 has no space boundaries: the double door marked IsExternal is the entrance,
    # the two interior doors (IsExternal false) are not.
    model = read_ifc(data_file(IFC, "xbim_SampleHouse4_IFC4.ifc"))
    assert len(model.doors) == 3 and len(_entrances(model)) == 1
    assert next(d for d in model.doors if d.is_entrance).clear_width_mm == pytest.approx(1810)


def test_ifc_without_a_word_on_it_gets_the_doors_on_its_outline() -> None:
    # House.ifc (Renga) says nothing: neither IsExternal nor space boundaries. On the ground
    # floor the five doors in the outer 400 mm walls are on the outline, upstairs one (to the
    # balcony side); the doors between rooms are not.
    model = read_ifc(data_file(IFC, "xbim_House_IFC2X3.ifc"))
    assert _entrances(model) == []
    marked = mark_outline_entrances(model)
    assert _entrances(marked) == ["D1", "D2", "D3", "D4", "D5", "D12"]
    ground = marked.levels[0].id
    assert all(d.level_id == ground for d in marked.doors if d.is_entrance and d.id != "D12")
    # IfcOpenHouse: one door, in the east wall of its one room.
    house = mark_outline_entrances(read_ifc(data_file(IFC, "IfcOpenHouse_IFC4.ifc")))
    assert _entrances(house) == ["D1"]


def test_ifc_storey_elevations_are_rounded(duplex: BuildingModel) -> None:
    # The file says 3.100000000000378 and 6.00000000000039 (m).
    assert [lv.elevation_mm for lv in duplex.levels] == [-1250.0, 0.0, 3100.0, 6000.0]
    assert [lv.height_mm for lv in duplex.levels] == [1250.0, 3100.0, 2900.0, None]


def _flat(path: Path) -> Path:
    """A 10 × 8 m flat in mm: 250 mm outer walls drawn as two lines with a 1 m gap for the front
    door in the south wall, a 100 mm partition at x = 5000 with a 900 mm gap; swing arcs."""
    doc = new_drawing("R2018")
    doc.header["$INSUNITS"] = 4
    msp = doc.modelspace()
    walls = {"layer": "A-WALL"}
    # South wall, split at the door opening 2000–3000.
    for y in (0, 250):
        x0 = 0 if y == 0 else 250
        x1 = 10000 if y == 0 else 9750
        msp.add_line((x0, y), (2000, y), dxfattribs=walls)
        msp.add_line((3000, y), (x1, y), dxfattribs=walls)
    msp.add_lwpolyline([(10000, 0), (10000, 8000), (0, 8000), (0, 0)], dxfattribs=walls)
    msp.add_lwpolyline([(9750, 250), (9750, 7750), (250, 7750), (250, 250)], dxfattribs=walls)
    # The partition, split at its door 3000–3900.
    for x in (4950, 5050):
        msp.add_line((x, 250), (x, 3000), dxfattribs=walls)
        msp.add_line((x, 3900), (x, 7750), dxfattribs=walls)
    doors = {"layer": "A-DOOR"}
    msp.add_arc((2000, 250), 1000, 0, 90, dxfattribs=doors)  # the front door swings in
    msp.add_arc((5050, 3000), 900, 90, 180, dxfattribs=doors)
    path = path / "flat.dxf"
    doc.saveas(path)
    return path


def test_dxf_door_on_the_outline_is_the_entrance(tmp_path: Path) -> None:
    model = read_dxf(_flat(tmp_path))
    assert len(model.doors) == 2 and _entrances(model) == []
    marked = mark_outline_entrances(model)
    front = [d for d in marked.doors if d.is_entrance]
    assert len(front) == 1 and front[0].clear_width_mm == pytest.approx(1000)
    assert front[0].position is not None and front[0].position.y < 500


def test_dxf_pavilion_has_no_outline_to_enter() -> None:
    # The Barcelona Pavilion's walls stand free: no closed outline of 20 m², no door marked.
    model = mark_outline_entrances(read_dxf(data_file(DXF, "barcelona_plan_R2013.dxf")))
    assert len(model.doors) == 8 and _entrances(model) == []


def _model(doors: list[ModelDoor], walls: list[ModelWall]) -> BuildingModel:
    return BuildingModel(
        source=SourceInfo(format="dxf"), levels=[ModelLevel(id="L0", name="Plan")], walls=walls, doors=doors
    )


def _wall(a: tuple[float, float], b: tuple[float, float], thickness: float = 200) -> ModelWall:
    return ModelWall(
        id=f"W{a}{b}",
        level_id="L0",
        start=ModelPoint(x=a[0], y=a[1]),
        end=ModelPoint(x=b[0], y=b[1]),
        thickness_mm=thickness,
    )


def test_outline_rules() -> None:
    box = [_wall((0, 0), (6000, 0)), _wall((6000, 0), (6000, 5000)), _wall((6000, 5000), (0, 5000))]
    box.append(_wall((0, 5000), (0, 0)))
    box.append(_wall((3000, 0), (3000, 5000), 100))
    door = ModelDoor(id="D1", level_id="L0", position=ModelPoint(x=1500, y=0), clear_width_mm=900)
    # In a wall the reader found between two rooms: inside, whatever its place.
    between = door.model_copy(update={"id": "D2", "space_ids": ["S1", "S2"]})
    inner = ModelDoor(id="D3", level_id="L0", position=ModelPoint(x=3000, y=2500), clear_width_mm=800)
    # Near the corner, in the partition: 200 + 100 mm + half a leaf from the outer face.
    corner = ModelDoor(id="D4", level_id="L0", position=ModelPoint(x=3000, y=750), clear_width_mm=900)
    marked = mark_outline_entrances(_model([door, between, inner, corner], box))
    assert _entrances(marked) == ["D1"]
    # A shed of 2 × 2 m is no building; a door already marked leaves the others alone.
    shed = [_wall((0, 0), (2000, 0)), _wall((2000, 0), (2000, 2000)), _wall((2000, 2000), (0, 2000))]
    shed.append(_wall((0, 2000), (0, 0)))
    assert _entrances(mark_outline_entrances(_model([door], shed))) == []
    given = inner.model_copy(update={"is_entrance": True})
    assert _entrances(mark_outline_entrances(_model([door, given], box))) == ["D3"]
