"""DXF export of a planned layout, read back with ezdxf."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from ezdxf import recover
from ezdxf.document import Drawing
from ezdxf.entities.dimension import Dimension
from ezdxf.entities.lwpolyline import LWPolyline
from ezdxf.entities.mtext import MText
from ezdxf.filemanagement import read

from archbuilder.cad.dxf_export import envelope, layout_to_dxf
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import CodeRegion, Language
from archbuilder.domain.layout import LayoutPayload
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


@pytest.fixture(scope="module")
def drawing(payload: LayoutPayload) -> Drawing:
    data = layout_to_dxf(payload)
    assert isinstance(data, bytes)
    return read(io.StringIO(data.decode("utf-8")))


def per_layer(drawing: Drawing) -> Counter[tuple[str, str]]:
    return Counter((e.dxftype(), e.dxf.layer) for e in drawing.modelspace())


def test_header_and_layers(drawing: Drawing) -> None:
    assert drawing.header["$INSUNITS"] == 4
    assert drawing.dxfversion == "AC1027"  # R2013
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
