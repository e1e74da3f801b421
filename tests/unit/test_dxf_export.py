"""DXF export of a planned layout, read back with ezdxf (dxfgrabber: test_export_round_trip)."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from ezdxf import recover
from ezdxf.document import Drawing
from ezdxf.entities.dimension import Dimension
from ezdxf.entities.lwpolyline import LWPolyline
from ezdxf.entities.mtext import MText

from archbuilder.cad.dxf_export import envelope, layout_to_dxf
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import CodeRegion, Language
from archbuilder.domain.layout import LayoutPayload
from archbuilder.domain.project import Units
from archbuilder.layout.planner import SpinePlanner


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


def read_dxf(data: bytes) -> Drawing:
    """The drawing, decoded in the code page its header names (as any reader of R2004 must)."""
    doc, auditor = recover.read(io.BytesIO(data))
    assert not auditor.has_errors
    return doc


@pytest.fixture(scope="module")
def drawing(payload: LayoutPayload) -> Drawing:
    data = layout_to_dxf(payload)
    assert isinstance(data, bytes)
    return read_dxf(data)


@pytest.fixture(scope="module")
def imperial(payload: LayoutPayload) -> Drawing:
    return read_dxf(layout_to_dxf(payload, units=Units.imperial))


def per_layer(drawing: Drawing) -> Counter[tuple[str, str]]:
    return Counter((e.dxftype(), e.dxf.layer) for e in drawing.modelspace())


def test_header_and_layers(drawing: Drawing) -> None:
    assert drawing.header["$INSUNITS"] == 4  # millimetres
    assert drawing.header["$MEASUREMENT"] == 1 and drawing.header["$LUNITS"] == 2  # metric, decimal
    assert drawing.dxfversion == "AC1018"  # R2004: text in the code page the header names
    # Turkish room names ("Yatak Odası": ı is in no Western code page): Turkish.
    assert drawing.header["$DWGCODEPAGE"] == "ANSI_1254" and drawing.encoding == "cp1254"
    for name in ("A-WALL", "A-DOOR", "A-GLAZ", "A-AREA", "A-AREA-IDEN", "A-ANNO-DIMS"):
        assert drawing.layers.has_entry(name)
        assert drawing.layers.get(name).color != 7 or name == "A-WALL"


def test_one_closed_outline_per_wall_and_room(drawing: Drawing, payload: LayoutPayload) -> None:
    counts = per_layer(drawing)
    assert counts[("LWPOLYLINE", "A-WALL")] == len(payload.walls)
    assert counts[("LWPOLYLINE", "A-AREA")] == len(payload.rooms)
    polylines = [e for e in drawing.modelspace() if isinstance(e, LWPolyline)]
    assert polylines and all(e.closed for e in polylines)


def test_wall_outline_has_the_wall_thickness(drawing: Drawing, payload: LayoutPayload) -> None:
    wall = payload.walls[0]
    outlines = [e for e in drawing.modelspace() if isinstance(e, LWPolyline) and e.dxf.layer == "A-WALL"]
    xs = [p[0] for p in outlines[0].get_points()]
    ys = [p[1] for p in outlines[0].get_points()]
    extent = min(max(xs) - min(xs), max(ys) - min(ys))
    assert extent == pytest.approx(wall.thickness_mm)


def test_labels_name_number_and_area(drawing: Drawing, payload: LayoutPayload) -> None:
    texts = [
        e.plain_text() for e in drawing.modelspace() if isinstance(e, MText) and e.dxf.layer == "A-AREA-IDEN"
    ]
    assert len(texts) == len(payload.rooms)
    for room in payload.rooms:
        assert any(room.name in t and room.number in t and f"{room.area_m2:.1f} m²" in t for t in texts), (
            room.name
        )
    assert any("Salon" in t for t in texts)


def test_label_areas_are_written_as_the_projects_language_writes_numbers(payload: LayoutPayload) -> None:
    for language, mark in (("tr", ","), ("de", ","), ("fr", ","), ("es", ","), ("en", ".")):
        texts = [
            e.plain_text()
            for e in read_dxf(layout_to_dxf(payload, language=language)).modelspace()
            if isinstance(e, MText) and e.dxf.layer == "A-AREA-IDEN"
        ]
        expected = {f"{room.area_m2:.1f} m²".replace(".", mark) for room in payload.rooms}
        assert {t.split("\n")[-1] for t in texts} == expected, language


def test_doors_and_windows_are_drawn(drawing: Drawing, payload: LayoutPayload) -> None:
    counts = per_layer(drawing)
    assert payload.doors and payload.windows
    assert counts[("ARC", "A-DOOR")] == len(payload.doors)
    assert counts[("LINE", "A-DOOR")] >= len(payload.doors)
    assert counts[("LINE", "A-GLAZ")] >= len(payload.windows)


def test_envelope_dimensions_give_the_overall_width_and_depth(
    drawing: Drawing, payload: LayoutPayload
) -> None:
    dims = [e for e in drawing.modelspace() if isinstance(e, Dimension)]
    assert len(dims) == 2 and all(d.dxf.layer == "A-ANNO-DIMS" for d in dims)
    # The footprint of the brief is 12 m × 10 m; the exterior walls' outer faces are its edges.
    assert envelope(payload.walls) == pytest.approx((0.0, 0.0, 12000.0, 10000.0))
    by_angle = {round(d.dxf.angle): d for d in dims}
    assert by_angle[0].get_measurement() == pytest.approx(12000.0)
    assert by_angle[90].get_measurement() == pytest.approx(10000.0)
    for dim in dims:
        # Rendered: each dimension has its geometry block (lines, arrows, the measured text).
        block = drawing.blocks.get(dim.dxf.geometry)
        assert block is not None
        texts = [e.plain_text() for e in block if isinstance(e, MText)]
        assert texts == [f"{dim.get_measurement():.0f}"]
        # Outside the plan: below it for the width, left of it for the depth.
        base = dim.dxf.defpoint
        assert base.y < 0 if round(dim.dxf.angle) == 0 else base.x < 0


def test_recover_and_audit_report_no_errors(payload: LayoutPayload) -> None:
    data = layout_to_dxf(payload)
    doc, auditor = recover.read(io.BytesIO(data))
    assert not auditor.has_errors and not auditor.has_fixes, [e.message for e in auditor.errors]
    again = doc.audit()
    assert not again.has_errors and not again.has_fixes, [e.message for e in again.errors + again.fixes]


def test_extents_cover_the_plan_and_its_dimensions(drawing: Drawing, payload: LayoutPayload) -> None:
    """Not AutoCAD's "empty" ±1e20: "zoom extents" and the initial view show the plan."""
    extmin, extmax = drawing.header["$EXTMIN"], drawing.header["$EXTMAX"]
    minx, miny, maxx, maxy = envelope(payload.walls) or (0, 0, 0, 0)
    # The dimensions lie 1 m outside the envelope, with their text beyond them.
    assert minx - 1500 < extmin[0] < minx - 1000 and miny - 1500 < extmin[1] < miny - 1000
    assert maxx <= extmax[0] < maxx + 500 and maxy <= extmax[1] < maxy + 500
    view = drawing.viewports.get("*Active")[0]
    assert extmin[0] < view.dxf.center[0] < extmax[0] and extmin[1] < view.dxf.center[1] < extmax[1]
    assert view.dxf.height >= extmax[1] - extmin[1]


def test_imperial_drawing_in_inches_with_square_feet(imperial: Drawing, payload: LayoutPayload) -> None:
    assert imperial.header["$INSUNITS"] == 1  # inches
    assert imperial.header["$MEASUREMENT"] == 0 and imperial.header["$LUNITS"] == 4  # architectural
    wall = payload.walls[0]
    outline = next(e for e in imperial.modelspace() if isinstance(e, LWPolyline) and e.dxf.layer == "A-WALL")
    xs, ys = [p[0] for p in outline.get_points()], [p[1] for p in outline.get_points()]
    assert min(max(xs) - min(xs), max(ys) - min(ys)) == pytest.approx(wall.thickness_mm / 25.4)
    texts = [e.plain_text() for e in imperial.modelspace() if isinstance(e, MText)]
    for room in payload.rooms:
        assert any(f"{room.area_m2 / 0.09290304:.0f} ft²" in t and room.name in t for t in texts), room.name
    assert not any("m²" in t for t in texts)
    dims = {round(d.dxf.angle): d for d in imperial.modelspace() if isinstance(d, Dimension)}
    assert dims[0].get_measurement() == pytest.approx(12000 / 25.4)  # 472.44 in
    assert dims[0].dxf.text == "39'4 1/2\"" and dims[90].dxf.text == "32'9 3/4\""  # 12 m, 10 m
    extmin, extmax = imperial.header["$EXTMIN"], imperial.header["$EXTMAX"]
    assert extmin[0] < 0 < 12000 / 25.4 <= extmax[0] < 12500 / 25.4


@pytest.mark.parametrize(
    ("name", "codepage"),
    [
        ("Küche", "ANSI_1252"),
        ("Séjour", "ANSI_1252"),
        ("Çalışma Odası", "ANSI_1254"),
        ("Sypialnia Łukasza", "ANSI_1257"),  # Polish letters and ² are in the Baltic page
        ("Кухня", "ANSI_1252"),  # the Cyrillic page has no ²: no page has both
    ],
)
def test_code_page_is_the_first_that_writes_every_label(
    payload: LayoutPayload, name: str, codepage: str
) -> None:
    """A character not in the chosen code page is written as \\U+nnnn (К: \\U+041A)."""
    rooms = [r.model_copy(update={"name": name}) for r in payload.rooms]
    data = layout_to_dxf(payload.model_copy(update={"rooms": rooms}))
    doc = read_dxf(data)  # recover decodes \\U+nnnn
    assert doc.header["$DWGCODEPAGE"] == codepage
    assert all(
        name in e.plain_text()
        for e in doc.modelspace()
        if isinstance(e, MText) and e.dxf.layer == "A-AREA-IDEN"
    )
    assert (b"\\U+041A" in data.upper()) == (name == "Кухня")
