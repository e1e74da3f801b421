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
        body = body_geometry(element, mm, placements, corners_only=True)
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


# --- shapes the real files do not have, built in memory ------------------------------------


class _Builder:
    """A small IFC4 file in mm with a project, so that the kernel reads it in mm as we do."""

    def __init__(self) -> None:
        f = ifcopenshell.file(schema="IFC4")
        self.f = f
        origin = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0.0, 0.0, 0.0)))
        self.ctx = f.createIfcGeometricRepresentationContext(None, "Model", 3, 1e-5, origin, None)
        mm_unit = f.createIfcSIUnit(None, "LENGTHUNIT", "MILLI", "METRE")
        f.createIfcProject(
            ifcopenshell.guid.new(),
            Name="P",
            RepresentationContexts=[self.ctx],
            UnitsInContext=f.createIfcUnitAssignment([mm_unit]),
        )

    def placement(self, x: float, y: float, angle: float = 0.0) -> Any:
        f = self.f
        axes = f.createIfcAxis2Placement3D(
            f.createIfcCartesianPoint((x, y, 0.0)),
            f.createIfcDirection((0.0, 0.0, 1.0)),
            f.createIfcDirection((float(np.cos(angle)), float(np.sin(angle)), 0.0)),
        )
        return f.createIfcLocalPlacement(None, axes)

    def product(self, cls: str, items: list[Any], angle: float = 0.4) -> Any:
        rep = self.f.createIfcShapeRepresentation(self.ctx, "Body", "SweptSolid", items)
        return self.f.create_entity(
            cls,
            GlobalId=ifcopenshell.guid.new(),
            ObjectPlacement=self.placement(1200.0, -300.0, angle),
            Representation=self.f.createIfcProductDefinitionShape(None, None, [rep]),
        )

    def extrusion(self, profile: Any, depth: float = 2600.0, position: Any = None) -> Any:
        up = self.f.createIfcDirection((0.0, 0.0, 1.0))
        return self.f.createIfcExtrudedAreaSolid(profile, position, up, depth)

    def polycurve_profile(self, segments: list[Any] | None) -> Any:
        f = self.f
        points = f.createIfcCartesianPointList2D(((0.0, 0.0), (4000.0, 0.0), (4000.0, 3000.0), (0.0, 3000.0)))
        return f.createIfcArbitraryClosedProfileDef(
            "AREA", None, f.createIfcIndexedPolyCurve(points, segments, False)
        )


def _agrees_with_kernel(element: Any) -> None:
    body = body_geometry(element, 1.0)
    assert body is not None
    kernel = _kernel_points(_settings(), element)
    assert kernel is not None
    assert np.allclose(body.points.min(axis=0), kernel.min(axis=0), atol=1.0)
    assert np.allclose(body.points.max(axis=0), kernel.max(axis=0), atol=1.0)
    if body.outlines:
        ours = unary_union([Polygon(o) for o in body.outlines])
        footprint = _kernel_footprint(_settings(), element)
        assert footprint is not None and ours.area == pytest.approx(footprint.area, rel=1e-3)


def test_an_indexed_polycurve_profile_with_line_segments_matches_the_kernel() -> None:
    b = _Builder()
    segments = [b.f.create_entity("IfcLineIndex", (1, 2, 3)), b.f.create_entity("IfcLineIndex", (3, 4, 1))]
    _agrees_with_kernel(b.product("IfcSpace", [b.extrusion(b.polycurve_profile(segments))]))
    _agrees_with_kernel(b.product("IfcSpace", [b.extrusion(b.polycurve_profile(None))]))


def test_a_placed_rectangle_in_a_placed_solid_matches_the_kernel() -> None:
    b = _Builder()
    f = b.f
    centre = f.createIfcAxis2Placement2D(
        f.createIfcCartesianPoint((500.0, 250.0)), f.createIfcDirection((0.6, 0.8))
    )
    profile = f.createIfcRectangleProfileDef("AREA", None, centre, 1800.0, 900.0)
    turned = f.createIfcAxis2Placement3D(
        f.createIfcCartesianPoint((100.0, 200.0, 50.0)),
        f.createIfcDirection((0.0, 0.0, 1.0)),
        f.createIfcDirection((0.0, 1.0, 0.0)),
    )
    _agrees_with_kernel(b.product("IfcSpace", [b.extrusion(profile, position=turned)]))


def test_a_mapped_item_with_a_3d_operator_matches_the_kernel() -> None:
    b = _Builder()
    f = b.f
    profile = f.createIfcRectangleProfileDef("AREA", None, None, 900.0, 200.0)
    source = f.createIfcRepresentationMap(
        f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((10.0, 20.0, 0.0))),
        f.createIfcShapeRepresentation(b.ctx, "Body", "SweptSolid", [b.extrusion(profile, 2100.0)]),
    )
    operator = f.createIfcCartesianTransformationOperator3D(
        f.createIfcDirection((0.0, 1.0, 0.0)), None, f.createIfcCartesianPoint((300.0, 0.0, 900.0)), 1.0, None
    )
    _agrees_with_kernel(b.product("IfcDoor", [f.createIfcMappedItem(source, operator)]))


def test_arcs_tapers_and_2d_operators_are_left_to_the_kernel() -> None:
    b = _Builder()
    f = b.f
    arc = [f.create_entity("IfcLineIndex", (1, 2)), f.create_entity("IfcArcIndex", (2, 3, 4))]
    assert body_geometry(b.product("IfcSpace", [b.extrusion(b.polycurve_profile(arc))]), 1.0) is None
    rectangle = f.createIfcRectangleProfileDef("AREA", None, None, 900.0, 200.0)
    up = f.createIfcDirection((0.0, 0.0, 1.0))
    tapered = f.createIfcExtrudedAreaSolidTapered(rectangle, None, up, 2000.0, rectangle)
    assert body_geometry(b.product("IfcColumn", [tapered]), 1.0) is None
    source = f.createIfcRepresentationMap(
        f.createIfcAxis2Placement2D(f.createIfcCartesianPoint((0.0, 0.0))),
        f.createIfcShapeRepresentation(b.ctx, "Body", "SweptSolid", [b.extrusion(rectangle)]),
    )
    flat = f.createIfcCartesianTransformationOperator2D(
        None, None, f.createIfcCartesianPoint((0.0, 0.0)), 1.0
    )
    assert body_geometry(b.product("IfcDoor", [f.createIfcMappedItem(source, flat)]), 1.0) is None


def test_a_placement_along_x_without_a_ref_direction_takes_the_standards_default_axis() -> None:
    """Axis (1, 0, 0) and no RefDirection: IfcFirstProjAxis makes the x axis (0, 1, 0). (The
    geometry kernel picks another one; ifcopenshell.util divided by zero.)"""
    b = _Builder()
    f = b.f
    profile = f.createIfcRectangleProfileDef("AREA", None, None, 900.0, 200.0)
    sideways = f.createIfcAxis2Placement3D(
        f.createIfcCartesianPoint((0.0, 0.0, 500.0)), f.createIfcDirection((1.0, 0.0, 0.0)), None
    )
    door = b.product("IfcDoor", [b.extrusion(profile, 1200.0, position=sideways)], angle=0.0)
    body = body_geometry(door, 1.0)
    assert body is not None
    # Extruded along x (1200), the profile's 900 along y, its 200 along z; placed at (1200, -300).
    assert np.allclose(body.points.min(axis=0), (1200.0, -750.0, 400.0))
    assert np.allclose(body.points.max(axis=0), (2400.0, 150.0, 600.0))
