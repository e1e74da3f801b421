"""IFC reader on real IFC2X3 and IFC4 files from Revit, ArchiCAD, Renga, FreeCAD and IfcOpenShell."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import Polygon

from archbuilder.cad.ifc_reader import read_ifc
from archbuilder.domain.building import BuildingModel
from archbuilder.platform.errors import ArchBuilderError
from tests.unit.cad.conftest import IFC, data_file

ifcopenshell = pytest.importorskip("ifcopenshell", reason="ifcopenshell is not installed")

# file: (schema, spaces, walls, doors, windows, storeys), as in ../shared/data/README.md
EXPECTED = {
    "duplex_apartment_IFC2X3.ifc": ("IFC2X3", 21, 57, 14, 24, 4),
    "AC20-FZK-Haus_IFC4.ifc": ("IFC4", 7, 13, 5, 11, 2),
    "xbim_SampleHouse4_IFC4.ifc": ("IFC4", 4, 5, 3, 4, 2),
    "xbim_House_IFC2X3.ifc": ("IFC2X3", 13, 46, 19, 23, 3),
    "barcelona_pavilion_IFC4.ifc": ("IFC4", 0, 13, 6, 35, 0),
    "IfcOpenHouse_IFC4.ifc": ("IFC4", 0, 4, 1, 5, 1),
}
_MODELS: dict[str, BuildingModel] = {}


def model_of(name: str) -> BuildingModel:
    if name not in _MODELS:
        _MODELS[name] = read_ifc(data_file(IFC, name))
    return _MODELS[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_match_the_table_and_ifcopenshell(name: str) -> None:
    schema, spaces, walls, doors, windows, storeys = EXPECTED[name]
    model = model_of(name)
    direct = ifcopenshell.open(str(IFC / name))
    assert model.source.format == "ifc" and model.source.schema_name == schema
    assert len(model.spaces) == spaces == len(direct.by_type("IfcSpace"))
    assert len(model.walls) == walls == len(direct.by_type("IfcWall"))
    assert len(model.doors) == doors == len(direct.by_type("IfcDoor"))
    assert len(model.windows) == windows == len(direct.by_type("IfcWindow"))
    assert len(model.levels) == max(storeys, 1)
    assert not any(w.startswith("skipped") and ("IfcSpace" in w or "IfcWall" in w) for w in model.warnings)


def test_fzk_haus_german_spaces_with_areas_and_footprints() -> None:
    model = model_of("AC20-FZK-Haus_IFC4.ifc")
    assert model.source.application and "ARCHICAD" in model.source.application
    spaces = {s.name: s for s in model.spaces}
    assert {"Flur", "Bad", "Schlafzimmer", "Wohnen", "Küche"} <= set(spaces)
    assert spaces["Küche"].declared_area_m2 == pytest.approx(16.3055, abs=1e-3)
    for name in ("Flur", "Bad", "Schlafzimmer", "Wohnen", "Küche"):
        space = spaces[name]
        outline = Polygon([(p.x, p.y) for p in space.boundary])
        assert outline.exterior.is_ccw
        # Net quantity against the gross footprint: within 5 %.
        assert outline.area / 1e6 == pytest.approx(space.declared_area_m2, rel=0.05)
    levels = {lv.id: lv.name for lv in model.levels}
    assert levels[spaces["Küche"].level_id] == "Erdgeschoss"
    assert {round(w.thickness_mm or 0) for w in model.walls} == {240, 300}
    assert all(d.wall_id and d.space_ids for d in model.doors)
    assert {round(d.clear_width_mm or 0) for d in model.doors} >= {885, 1010}


def test_duplex_revit_areas_and_space_boundaries() -> None:
    model = model_of("duplex_apartment_IFC2X3.ifc")
    assert all(s.declared_area_m2 for s in model.spaces)  # from Revit's "GSA BIM Area"
    spaces = {s.name: s for s in model.spaces}
    assert spaces["Kitchen"].declared_area_m2 == pytest.approx(13.8975, abs=1e-3)
    assert [lv.name for lv in model.levels] == ["T/FDN", "Level 1", "Level 2", "Roof"]
    assert model.levels[2].elevation_mm == pytest.approx(3100)
    assert all(d.wall_id for d in model.doors)
    interior = [d for d in model.doors if len(d.space_ids) == 2]
    assert len(interior) >= 6
    assert sum(1 for w in model.walls if w.is_exterior) > 0


def test_renga_mm_and_area_without_a_unit() -> None:
    model = model_of("xbim_House_IFC2X3.ifc")
    assert model.source.original_units == "mm"
    spaces = {s.name: s for s in model.spaces}
    assert spaces["Гараж"].declared_area_m2 == pytest.approx(41.31, abs=0.01)
    outline = Polygon([(p.x, p.y) for p in spaces["Гараж"].boundary])
    assert outline.area / 1e6 == pytest.approx(41.31, rel=0.01)
    assert any("no area unit" in w for w in model.warnings)
    assert all(d.wall_id for d in model.doors)  # fills and voids, though the bodies cannot be built


def test_sample_house_mm() -> None:
    model = model_of("xbim_SampleHouse4_IFC4.ifc")
    spaces = {s.name: s for s in model.spaces}
    assert spaces["Living room"].declared_area_m2 == pytest.approx(51.9948, abs=1e-3)
    assert sorted(round(d.clear_width_mm or 0) for d in model.doors) == [810, 810, 1810]
    assert all(w.sill_height_mm == pytest.approx(900) for w in model.windows)


def test_files_without_storeys_or_spaces_still_give_a_model() -> None:
    pavilion = model_of("barcelona_pavilion_IFC4.ifc")
    assert any("no IfcBuildingStorey" in w for w in pavilion.warnings)
    assert any("no IfcSpace" in w for w in pavilion.warnings)
    # FreeCAD writes opening sizes in mm in a metre project: read as mm and said so.
    assert all(d.clear_width_mm is None or 500 <= d.clear_width_mm <= 2500 for d in pavilion.doors)
    assert any("sizes read as mm" in w for w in pavilion.warnings)
    house = model_of("IfcOpenHouse_IFC4.ifc")
    assert house.levels[0].name == "Level 0"  # the storey's name is null
    assert house.spaces == [] and len(house.walls) == 4
    assert house.doors[0].clear_width_mm == pytest.approx(1000)


def test_ifc_zip(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "house.ifczip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(IFC / "IfcOpenHouse_IFC4.ifc", "house.ifc")
    model = read_ifc(path)
    assert len(model.walls) == 4 and len(model.windows) == 5


def test_broken_files_are_coded_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.ifc"
    path.write_bytes(
        b"ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n#1=IFCWALL(garbage);\nENDSEC;\nEND-ISO-10303-21;\n"
    )
    with pytest.raises(ArchBuilderError) as caught:
        read_ifc(path)
    assert (caught.value.code, caught.value.params) == ("CAD_PARSE_FAILED", {"format": "IFC"})
    cut = tmp_path / "cut.ifc"
    cut.write_bytes((IFC / "IfcOpenHouse_IFC4.ifc").read_bytes()[:5000])  # ifcopenshell alone would accept it
    with pytest.raises(ArchBuilderError) as caught:
        read_ifc(cut)
    assert caught.value.code == "FILE_TRUNCATED"


@pytest.mark.parametrize(
    "trailer",
    [
        b"\nEND-ISO-10303-21;\n",  # the trailer only: no ENDSEC
        b"\nENDSEC;\nEND-ISO-10303-21;\n",  # closed, but the last entity torn
        b";\nENDSEC;\nEND-ISO-10303-21;\n",  # the torn entity ended
        # Its torn type name given arguments: whole as text, but the parse skips it (#1473 missing).
        b"((#52));\nENDSEC;\nEND-ISO-10303-21;\n",
    ],
)
def test_a_cut_off_file_given_its_trailer_back_is_truncated(tmp_path: Path, trailer: bytes) -> None:
    """Issue 16: a cut-off IFC with END-ISO-10303-21; appended was read as far as it went."""
    data = (IFC / "IfcOpenHouse_IFC4.ifc").read_bytes()
    cut = data[: len(data) // 2]
    assert cut.endswith(b"#1473=IFCPOLYLO")  # inside an entity
    path = tmp_path / "cut.ifc"
    path.write_bytes(cut + trailer)
    with pytest.raises(ArchBuilderError) as caught:
        read_ifc(path)
    assert (caught.value.code, caught.value.params) == (
        "FILE_TRUNCATED",
        {"filename": "cut.ifc", "format": "IFC"},
    )
    # The same inside an IFC-ZIP, whose member the sniffer does not read to its end.
    import zipfile

    zipped = tmp_path / "cut.ifczip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("house.ifc", cut + trailer)
    with pytest.raises(ArchBuilderError) as caught:
        read_ifc(zipped)
    assert caught.value.code == "FILE_TRUNCATED"
