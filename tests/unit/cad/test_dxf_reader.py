"""DXF reader on the real Barcelona Pavilion files and on drawings made here with ezdxf."""

from __future__ import annotations

from pathlib import Path

import pytest
from ezdxf.filemanagement import new as new_drawing
from ezdxf.filemanagement import readfile
from shapely.geometry import Polygon

from archbuilder.cad.dxf_reader import LayerNames, read_dxf
from archbuilder.domain.building import BuildingModel, ModelSpace
from archbuilder.platform.errors import ArchBuilderError
from tests.unit.cad.conftest import DXF, data_file


def area_m2(space: ModelSpace) -> float:
    return Polygon([(p.x, p.y) for p in space.boundary]).area / 1e6


@pytest.fixture(scope="module")
def r2013() -> BuildingModel:
    return read_dxf(data_file(DXF, "barcelona_plan_R2013.dxf"))


@pytest.fixture(scope="module")
def r2000() -> BuildingModel:
    return read_dxf(data_file(DXF, "barcelona_pabellon_R2000.dxf"))


@pytest.fixture(scope="module")
def r12() -> BuildingModel:
    return read_dxf(data_file(DXF, "barcelona_plan_exported_R12.dxf"))


def test_r2013_walls_on_the_walls_layer(r2013: BuildingModel) -> None:
    assert r2013.source.format == "dxf" and r2013.source.schema_name == "AC1027"
    assert r2013.source.original_units == "m"
    assert not any("units" in w for w in r2013.warnings)
    # 60 raw LINEs on "Walls": faces pair into walls 100–230 mm thick (the pavilion's marble and onyx walls).
    assert len(r2013.walls) == 38
    paired = [w for w in r2013.walls if w.thickness_mm]
    assert len(paired) == 18
    assert {round(w.thickness_mm or 0) for w in paired} >= {100, 160}
    # Doors are swing arcs on "Doors", about a metre wide, in mm.
    assert len(r2013.doors) == 8
    assert all(800 <= (d.clear_width_mm or 0) <= 1100 for d in r2013.doors)
    xs = [p.x for w in r2013.walls for p in (w.start, w.end)]
    assert 40_000 < max(xs) - min(xs) < 60_000  # the pavilion is about 52 m long
    assert r2013.spaces == []  # no text and no room layer: nothing to name a room


def test_r2000_units_header_contradicts_the_geometry(r2000: BuildingModel) -> None:
    assert r2000.source.original_units == "m"
    assert any("$INSUNITS says in" in w and "read as m" in w for w in r2000.warnings)
    assert len(r2000.walls) == 172 and len(r2000.doors) == 8
    assert any("without a label were not taken as rooms" in w for w in r2000.warnings)


def test_r12_geometry_inside_blocks(r12: BuildingModel) -> None:
    # 3,350 + 638 LINEs inside two blocks on layer 0: exploded, units guessed, walls from line pairs.
    assert r12.source.schema_name == "AC1009"
    assert r12.source.original_units == "mm"
    assert any("$INSUNITS is not set" in w for w in r12.warnings)
    assert any("guessed from pairs of parallel lines" in w for w in r12.warnings)
    assert len(r12.walls) == 49
    assert all(60 <= (w.thickness_mm or 0) <= 500 for w in r12.walls)


def make_plan(path: Path, *, wall_layer: str = "DUVAR", room_layer: str = "Räume", insunits: int = 5) -> Path:
    """A two-room plan in centimetres: double-line walls, room outlines, labels, a door and a window block."""
    doc = new_drawing("R2018")
    doc.header["$INSUNITS"] = insunits
    msp = doc.modelspace()
    # Outer walls 20 cm thick around 800 × 500, a 10 cm partition at x = 400.
    msp.add_lwpolyline([(0, 0), (800, 0), (800, 500), (0, 500)], close=True, dxfattribs={"layer": wall_layer})
    msp.add_lwpolyline(
        [(20, 20), (780, 20), (780, 480), (20, 480)], close=True, dxfattribs={"layer": wall_layer}
    )
    msp.add_lwpolyline(
        [(395, 20), (405, 20), (405, 480), (395, 480)], close=True, dxfattribs={"layer": wall_layer}
    )
    msp.add_lwpolyline(
        [(20, 20), (395, 20), (395, 480), (20, 480)], close=True, dxfattribs={"layer": room_layer}
    )
    hatch = msp.add_hatch(dxfattribs={"layer": room_layer})
    hatch.paths.add_polyline_path([(405, 20), (780, 20), (780, 480), (405, 480)], is_closed=True)
    msp.add_text("Salon", dxfattribs={"layer": "TEXT", "insert": (100, 200)})
    msp.add_mtext("Yatak Odası\\P12,5 m²", dxfattribs={"layer": "A-AREA-IDEN", "insert": (500, 300)})
    door = doc.blocks.new("TÜR_90")
    door.add_line((0, 0), (90, 0))
    door.add_arc((0, 0), 90, 0, 90)
    msp.add_blockref("TÜR_90", (355, 100), dxfattribs={"layer": "0", "rotation": 90})
    window = doc.blocks.new("WIN-120")
    window.add_lwpolyline([(0, 0), (120, 0), (120, 20), (0, 20)], close=True)
    msp.add_blockref("WIN-120", (100, 0), dxfattribs={"layer": "A-GLAZ"})
    furniture = doc.blocks.new("TABLE")
    furniture.add_circle((0, 0), 40)
    msp.add_blockref("TABLE", (600, 250), dxfattribs={"layer": "Mobilya"})
    path = path / "plan.dxf"
    doc.saveas(path)
    return path


def test_synthetic_plan_in_centimetres(tmp_path: Path) -> None:
    model = read_dxf(make_plan(tmp_path))
    assert model.source.original_units == "cm"
    assert not any("units" in w for w in model.warnings)
    names = {s.name: s for s in model.spaces}
    assert set(names) == {"Salon", "Yatak Odası"}
    assert names["Salon"].type is None  # classification is the compliance module's job
    assert area_m2(names["Salon"]) == pytest.approx(3.75 * 4.6)
    assert area_m2(names["Yatak Odası"]) == pytest.approx(3.75 * 4.6)
    assert Polygon([(p.x, p.y) for p in names["Salon"].boundary]).exterior.is_ccw
    thicknesses = sorted(round(w.thickness_mm or 0) for w in model.walls)
    assert thicknesses.count(200) == 4 and thicknesses.count(100) == 1
    assert len(model.doors) == 1 and model.doors[0].clear_width_mm == pytest.approx(900)
    assert len(model.windows) == 1 and model.windows[0].width_mm == pytest.approx(1200)


def test_rooms_from_the_wall_graph_need_a_label(tmp_path: Path) -> None:
    # No room layer: the two rooms are faces of the wall lines, named by the labels inside.
    model = read_dxf(make_plan(tmp_path, room_layer="Flooring"))
    assert {s.name for s in model.spaces} == {"Salon", "Yatak Odası"}
    assert any("faces enclosed by wall lines" in w for w in model.warnings)


def test_layer_names_are_configurable(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, wall_layer="STRUCT-X")
    assert len(read_dxf(plan, layers=LayerNames(walls=("struct",))).walls) == 5
    assert all(w.thickness_mm is None or w.thickness_mm in (100, 200) for w in read_dxf(plan).walls)


def test_layer_name_matching() -> None:
    names = LayerNames()
    for layer in ("A-WALL", "Walls", "Wände", "DUVAR_DIS", "Muros", "MUR-PORTEUR", "I-WALL-PART"):
        assert names.kind(layer) == "wall", layer
    for layer in ("A-DOOR", "Türen", "KAPI", "Puertas", "Portes"):
        assert names.kind(layer) == "door", layer
    for layer in ("A-GLAZ", "Fenster", "PENCERE", "Ventanas"):
        assert names.kind(layer) == "window", layer
    assert names.kind("A-AREA") == "room" and names.kind("Räume") == "room"
    assert names.kind("Furniture") is None and names.kind("Crystal") is None


def test_wrong_units_header_is_corrected(tmp_path: Path) -> None:
    model = read_dxf(make_plan(tmp_path, insunits=4))  # says mm, drawn in cm (a house 0.8 m long)
    assert model.source.original_units == "cm"
    assert any("$INSUNITS says mm" in w for w in model.warnings)


def test_entity_limit(tmp_path: Path) -> None:
    with pytest.raises(ArchBuilderError) as caught:
        read_dxf(make_plan(tmp_path), max_entities=5)
    assert caught.value.code == "TOO_MANY_ENTITIES" and caught.value.params == {"limit": 5}


def test_damaged_file_is_recovered(tmp_path: Path) -> None:
    text = make_plan(tmp_path).read_text(encoding="utf-8")
    # Break the group codes of one entity: recover mode drops what it cannot read and goes on.
    damaged = text.replace("AcDbText\n 10\n", "AcDbText\n1x0\n", 1)
    assert damaged != text
    path = tmp_path / "damaged.dxf"
    path.write_text(damaged, encoding="utf-8")
    model = read_dxf(path)
    assert len(model.walls) == 5


def test_garbage_is_a_coded_error(tmp_path: Path) -> None:
    path = tmp_path / "x.dxf"
    path.write_bytes(b"0\nSECTION\n2\nENTITIES\n0\nLINE\n\xff\xfe garbage")
    try:
        model = read_dxf(path)
    except ArchBuilderError as exc:
        assert exc.code == "CAD_PARSE_FAILED"
    else:
        assert model.walls == []


def test_a_block_of_lines_reads_like_the_lines_drawn_in_place(tmp_path: Path) -> None:
    """A plan exported as one block of LINEs (as barcelona_plan_exported_R12.dxf is), inserted
    rotated, scaled, mirrored and as a 1 × 2 MINSERT, gives the walls of the same lines exploded
    by ezdxf itself."""
    faces = [((0, 0), (800, 0)), ((0, 20), (800, 20)), ((0, 0), (0, 500)), ((20, 20), (20, 500))]
    faces += [
        ((0, 500), (800, 500)),
        ((20, 480), (780, 480)),
        ((800, 0), (800, 500)),
        ((780, 20), (780, 480)),
    ]
    doc = new_drawing("R2000")
    doc.header["$INSUNITS"] = 5  # cm
    block = doc.blocks.new("PLAN")
    for a, b in faces:
        block.add_line(a, b, dxfattribs={"layer": "0"})  # takes the reference's layer
    attributes = {"layer": "A-WALL", "xscale": -1.5, "yscale": 1.5, "rotation": 30}
    reference = doc.modelspace().add_blockref("PLAN", (1000, 2000), dxfattribs=attributes)
    reference.grid(size=(2, 1), spacing=(1500, 0))
    in_block = tmp_path / "block.dxf"
    doc.saveas(in_block)

    flat = new_drawing("R2000")
    flat.header["$INSUNITS"] = 5
    for copy in reference.multi_insert():
        for line in copy.virtual_entities():
            flat.modelspace().add_line(line.dxf.start, line.dxf.end, dxfattribs={"layer": "A-WALL"})
    exploded = tmp_path / "exploded.dxf"
    flat.saveas(exploded)

    def ends(model: BuildingModel) -> list[tuple[int, ...]]:
        return sorted(
            (round(w.start.x), round(w.start.y), round(w.end.x), round(w.end.y), round(w.thickness_mm or 0))
            for w in model.walls
        )

    from_block, from_lines = read_dxf(in_block), read_dxf(exploded)
    assert len(from_block.walls) == 8  # 4 walls of 2 faces, twice
    assert ends(from_block) == ends(from_lines)


def test_a_reference_to_a_missing_block_is_skipped_not_the_file(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    doc = readfile(plan)
    doc.blocks.new("GONE").add_line((0, 0), (100, 0))
    doc.modelspace().add_blockref("GONE", (10, 10))
    doc.blocks.delete_block("GONE", safe=False)
    broken = tmp_path / "missing-block.dxf"
    doc.saveas(broken)
    model = read_dxf(broken)
    assert len(model.walls) == 5 and {s.name for s in model.spaces} == {"Salon", "Yatak Odası"}
    assert any("broken INSERT" in w for w in model.warnings), model.warnings


def test_a_refusal_does_not_name_the_servers_folders(tmp_path: Path) -> None:
    folder = tmp_path / "srv-secret-folder"
    folder.mkdir()
    path = folder / "plan.dxf"
    path.write_text("\n\nnot a drawing at all\n", encoding="ascii")
    with pytest.raises(ArchBuilderError) as caught:
        read_dxf(path)
    # Our own code and words; ezdxf's ("Invalid group code …") go to the log only.
    assert (caught.value.code, caught.value.params) == ("CAD_PARSE_FAILED", {"format": "DXF"})


def door_blocks(path: Path, *, lines: int, references: int) -> Path:
    """A door block of ``lines`` lines inserted ``references`` times on a door layer."""
    doc = new_drawing("R2010")
    doc.header["$INSUNITS"] = 4
    block = doc.blocks.new("DOOR-900")
    for i in range(lines):
        block.add_line((0, i), (900, i))
    for k in range(references):
        doc.modelspace().add_blockref("DOOR-900", (k * 2000, 0), dxfattribs={"layer": "A-DOOR"})
    doc.saveas(path)
    return path


def test_door_blocks_count_with_their_content_against_the_entity_limit(tmp_path: Path) -> None:
    """Issue 16: 2,000 references to a door block of 5,000 lines (10 million entities) were read
    for 141 s, because a door block's content was read uncounted. Here 30 × 200 lines."""
    path = door_blocks(tmp_path / "doors.dxf", lines=200, references=30)
    assert len(read_dxf(path, max_entities=10_000).doors) == 30
    with pytest.raises(ArchBuilderError) as caught:
        read_dxf(path, max_entities=5_000)
    assert (caught.value.code, caught.value.params) == ("TOO_MANY_ENTITIES", {"limit": 5_000})


@pytest.mark.parametrize(
    ("where", "value"),
    [("line", 1e308), ("line", float("inf")), ("line", float("nan")), ("circle", float("nan"))],
)
def test_coordinates_that_are_not_finite_or_absurdly_far_are_invalid_geometry(
    tmp_path: Path, where: str, value: float
) -> None:
    """Issue 16: a 1e308 coordinate (infinite once scaled from cm to mm) gave a model that could
    not cross the sandbox's pipe; NaN failed deep in shapely with its own words."""
    doc = readfile(make_plan(tmp_path))  # in centimetres
    if where == "line":
        doc.modelspace().add_line((0, 0), (value, 0), dxfattribs={"layer": "DUVAR"})
    else:
        doc.modelspace().add_circle((100, 100), value, dxfattribs={"layer": "Mobilya"})
    path = tmp_path / "hostile.dxf"
    doc.saveas(path)
    with pytest.raises(ArchBuilderError) as caught:
        read_dxf(path)
    assert (caught.value.code, caught.value.params) == ("INVALID_GEOMETRY", {"format": "DXF"})
