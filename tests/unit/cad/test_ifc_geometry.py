"""The plan geometry read straight from IFC representations agrees with ifcopenshell's geometry
kernel on every real file: space and wall footprints, door, window and opening boxes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from shapely.geometry import Polygon
from shapely.ops import unary_union

from archbuilder.cad.ifc_geometry import Placements, body_geometry
from tests.unit.cad.conftest import IFC, data_file

ifcopenshell = pytest.importorskip("ifcopenshell", reason="ifcopenshell is not installed")
geom = pytest.importorskip("ifcopenshell.geom")
unit = pytest.importorskip("ifcopenshell.util.unit")

FILES = sorted(p.name for p in IFC.glob("*.ifc"))


def _kernel_points(settings: Any, element: Any) -> np.ndarray | None:
    try:
        shape = geom.create_shape(settings, element)
    except RuntimeError:
        return None
    verts = np.array(shape.geometry.verts).reshape(-1, 3) * 1000.0  # metres → mm
    return verts if len(verts) else None


def _kernel_footprint(settings: Any, element: Any) -> Polygon | None:
    shape = geom.create_shape(settings, element)
    verts = np.array(shape.geometry.verts).reshape(-1, 3) * 1000.0
    faces = np.array(shape.geometry.faces).reshape(-1, 3)
    triangles = [Polygon(verts[f][:, :2]) for f in faces]
    union = unary_union([t for t in triangles if t.area > 1.0])
    return union if not union.is_empty else None


def _settings() -> Any:
    settings = geom.settings()
    settings.set("use-world-coords", True)
    return settings


@pytest.mark.parametrize("name", FILES)
def test_footprints_match_the_geometry_kernel(name: str) -> None:
    ifc = ifcopenshell.open(str(data_file(IFC, name)))
    mm = unit.calculate_unit_scale(ifc) * 1000.0
    placements, settings = Placements(), _settings()
    compared = 0
    for element in ifc.by_type("IfcSpace") + ifc.by_type("IfcWall"):
        body = body_geometry(element, mm, placements)
        if body is None or not body.outlines:
            continue  # the reader falls back to the kernel for these
        ours = unary_union([Polygon(o) for o in body.outlines if len(o) >= 3])
        kernel = _kernel_footprint(settings, element)
        if kernel is None or element.is_a("IfcWall") and kernel.area < 0.9 * ours.area:
            continue  # a wall with openings cut through it: the kernel's plan shows the cuts
        compared += 1
        assert ours.area == pytest.approx(kernel.area, rel=0.01), element.GlobalId
        assert ours.symmetric_difference(kernel).area < 0.02 * kernel.area + 1e4, element.GlobalId
    if ifc.by_type("IfcSpace") or ifc.by_type("IfcWall"):
        assert compared > 0


@pytest.mark.parametrize("name", FILES)
def test_boxes_of_openings_doors_and_windows_match_the_geometry_kernel(name: str) -> None:
    ifc = ifcopenshell.open(str(data_file(IFC, name)))
    mm = unit.calculate_unit_scale(ifc) * 1000.0
    placements, settings = Placements(), _settings()
    compared = read = 0
    for element in ifc.by_type("IfcOpeningElement") + ifc.by_type("IfcDoor") + ifc.by_type("IfcWindow"):
        body = body_geometry(element, mm, placements)
        read += body is not None
        kernel = _kernel_points(settings, element) if body is not None else None
        if body is None or kernel is None:
            continue  # (the kernel cannot build xbim_House's openings: "does not match actual type")
        compared += 1
        assert np.allclose(body.points.min(axis=0), kernel.min(axis=0), atol=5.0), element.GlobalId
        assert np.allclose(body.points.max(axis=0), kernel.max(axis=0), atol=5.0), element.GlobalId
    assert read > 0


def test_unknown_bodies_are_left_to_the_kernel() -> None:
    ifc = ifcopenshell.file(schema="IFC4")
    circle = ifc.createIfcCircleProfileDef("AREA", None, None, 500.0)
    solid = ifc.createIfcExtrudedAreaSolid(circle, None, ifc.createIfcDirection((0.0, 0.0, 1.0)), 3000.0)
    context = ifc.createIfcGeometricRepresentationContext(None, "Model", 3, 1e-5, None, None)
    body = ifc.createIfcShapeRepresentation(context, "Body", "SweptSolid", [solid])
    column = ifc.createIfcColumn(
        ifcopenshell.guid.new(), Representation=ifc.createIfcProductDefinitionShape(None, None, [body])
    )
    assert body_geometry(column, 1.0) is None
