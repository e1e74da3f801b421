"""Plan geometry of IFC bodies read straight from their representation, without the geometry kernel.

Most building elements are drawn as an extruded profile (``IfcExtrudedAreaSolid``), a faceted
boundary (``IfcFacetedBrep``), a clipped extrusion or a mapped copy of one of those. For a
plan we need only two things from a body: the corner points in world coordinates (the box of
a door or window) and the outlines whose union is its plan (the footprint of a space or a
wall). Both follow from the representation with a few matrix products, far faster than
triangulating the solid with ``ifcopenshell.geom`` (which also fails on some real files).

``body_geometry`` answers ``None`` for anything it does not follow (curved profiles, swept
disks, unions, …); the reader then falls back to the kernel. ``tests/unit/cad`` compares both
on every real IFC file in ../shared/data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Points3 = npt.NDArray[np.float64]  # (n, 3)
Outline = list[tuple[float, float]]


@dataclass(frozen=True)
class Body:
    """World coordinates in mm: every corner of the body, and its plan outlines where known."""

    points: Points3
    outlines: list[Outline] | None  # their union is the plan; ``None``: not known without the kernel

    @property
    def bottom(self) -> float:
        return float(self.points[:, 2].min())

    @property
    def height(self) -> float:
        return float(self.points[:, 2].max() - self.points[:, 2].min())


class Placements:
    """World matrices (file units) of ``IfcLocalPlacement`` chains, each link computed once.

    Elements of a storey share their parents' placements; ``ifcopenshell.util.placement``
    would walk (and multiply) the whole chain again for every element."""

    def __init__(self) -> None:
        self._known: dict[int, npt.NDArray[np.float64]] = {}

    def world(self, placement: Any) -> npt.NDArray[np.float64]:
        if placement is None:
            return np.eye(4)
        key = placement.id()
        found = self._known.get(key)
        if found is not None:
            return found
        if placement.is_a("IfcLocalPlacement"):
            relative = axis2placement(placement.RelativePlacement)
            parent = placement.PlacementRelTo
            matrix = self.world(parent) @ relative if parent is not None else relative
        else:  # IfcGridPlacement, IfcLinearPlacement: rare; the library knows them
            import ifcopenshell.util.placement

            matrix = ifcopenshell.util.placement.get_local_placement(placement)
        self._known[key] = matrix
        return matrix


def axis2placement(placement: Any) -> npt.NDArray[np.float64]:
    """The matrix of an IfcAxis2Placement2D/3D with explicit coordinates (the common case),
    like ``ifcopenshell.util.placement.get_axis2placement`` without numpy's small-array overhead."""
    location = getattr(placement.Location, "Coordinates", None)
    if location is None or placement.is_a() not in ("IfcAxis2Placement3D", "IfcAxis2Placement2D"):
        import ifcopenshell.util.placement

        return ifcopenshell.util.placement.get_axis2placement(placement)
    ox, oy, oz = (*location, 0.0, 0.0)[:3]
    axis = getattr(placement, "Axis", None)
    ref = placement.RefDirection
    z = _unit((*axis.DirectionRatios,) if axis is not None else (0.0, 0.0, 1.0))
    x = _unit((*ref.DirectionRatios, 0.0)[:3] if ref is not None else (1.0, 0.0, 0.0))
    y = _cross(z, x)
    if _length(y) < 1e-9:
        # No usable RefDirection (none given and Axis along x, or one parallel to Axis): the
        # standard's IfcFirstProjAxis takes (1, 0, 0), or (0, 1, 0) when Axis is along x.
        x = (0.0, 1.0, 0.0) if abs(z[0]) > 1 - 1e-9 else (1.0, 0.0, 0.0)
        y = _cross(z, x)
    y = _unit(y)
    x = _cross(y, z)  # x orthogonal to z, as the standard asks
    return np.array(
        [
            [x[0], y[0], z[0], float(ox)],
            [x[1], y[1], z[1], float(oy)],
            [x[2], y[2], z[2], float(oz)],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def _length(v: tuple[float, ...]) -> float:
    return float((v[0] ** 2 + v[1] ** 2 + v[2] ** 2) ** 0.5)


def _unit(v: tuple[float, ...]) -> tuple[float, float, float]:
    length = _length(v)
    return (v[0] / length, v[1] / length, v[2] / length)


def _cross(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float, float]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def body_geometry(
    element: Any, mm: float, placements: Placements | None = None, *, corners_only: bool = False
) -> Body | None:
    """The body of ``element`` in world mm (``mm``: mm per file length unit), or ``None``.

    ``corners_only``: the caller needs the corners, not the plan (a door's box): faceted bodies
    are then read as their unique points, without walking their faces."""
    representation = _body_representation(element)
    if representation is None:
        return None
    try:
        # Scaled to mm once, so that every point below comes out in world mm.
        matrix = np.diag([mm, mm, mm, 1.0]) @ (placements or Placements()).world(element.ObjectPlacement)
        body = _combined([_item(item, matrix, corners_only) for item in representation.Items])
    except (ArithmeticError, AttributeError, IndexError, LookupError, RuntimeError, TypeError, ValueError):
        return None  # an unexpected shape of data: the kernel will read it
    if body is None or not np.all(np.isfinite(body.points)):
        return None
    return body


def _combined(parts: list[Body | None]) -> Body | None:
    """One body of several items; ``None`` if any is unknown, no outline if any has none."""
    bodies = [part for part in parts if part is not None]
    if not bodies or len(bodies) < len(parts):
        return None
    points = np.vstack([body.points for body in bodies])
    if any(body.outlines is None for body in bodies):
        return Body(points, None)
    return Body(points, [outline for body in bodies for outline in body.outlines or ()])


def _body_representation(element: Any) -> Any:
    shape = element.Representation
    if shape is None:
        return None
    for representation in shape.Representations:
        if representation.RepresentationIdentifier == "Body" and representation.Items:
            return representation
    return None


def _item(item: Any, matrix: npt.NDArray[np.float64], corners_only: bool) -> Body | None:
    """One representation item in the coordinates ``matrix`` maps to the world (file units)."""
    import ifcopenshell.util.placement as placement

    if item.is_a("IfcBooleanResult"):  # IfcBooleanClippingResult too
        # A difference only removes material: the first operand's corners bound the result.
        # Its plan is not the result's (a mitred or gable-clipped wall is shorter, a space under
        # a roof lower): no outline, so footprints of such bodies come from the kernel.
        if item.Operator != "DIFFERENCE":
            return None
        first = _item(item.FirstOperand, matrix, corners_only)
        return None if first is None else Body(first.points, None)
    if item.is_a("IfcMappedItem"):
        if not item.MappingTarget.is_a("IfcCartesianTransformationOperator3D"):
            return None  # 2D operators: ifcopenshell.util does not read them either
        mapped = matrix @ placement.get_mappeditem_transformation(item)
        inner = item.MappingSource.MappedRepresentation.Items
        return _combined([_item(part, mapped, corners_only) for part in inner])
    if item.is_a() == "IfcExtrudedAreaSolid":  # not …Tapered: its end profile differs
        return _extrusion(item, matrix)
    if item.is_a("IfcFacetedBrep"):  # IfcFacetedBrepWithVoids too: the outer shell bounds it
        return _points(item.Outer, matrix) if corners_only else _faces([item.Outer], matrix)
    if item.is_a("IfcFaceBasedSurfaceModel"):
        return _points(item, matrix) if corners_only else _faces(list(item.FbsmFaces), matrix)
    return None


def _extrusion(solid: Any, matrix: npt.NDArray[np.float64]) -> Body | None:
    profile = profile_outline(solid.SweptArea)
    if profile is None or len(profile) < 3:
        return None
    if solid.Position is not None:
        matrix = matrix @ axis2placement(solid.Position)
    direction = np.array([*solid.ExtrudedDirection.DirectionRatios, 0.0][:3], dtype=float)
    direction = direction / np.linalg.norm(direction) * float(solid.Depth)
    base = np.array([[x, y, 0.0] for x, y in profile])
    world = _transform(matrix, np.vstack([base, base + direction]))
    sweep = matrix[:3, :3] @ direction
    vertical = abs(sweep[0]) < 1e-6 * abs(sweep[2]) and abs(sweep[1]) < 1e-6 * abs(sweep[2])
    outline = [(float(x), float(y)) for x, y in world[: len(profile), :2]]
    return Body(world, [outline] if vertical else None)


def _points(shape: Any, matrix: npt.NDArray[np.float64]) -> Body | None:
    """Every point a faceted shape refers to, each once (the file's traversal runs in C++)."""
    coordinates = [p[0] for p in shape.file.traverse(shape) if p.is_a("IfcCartesianPoint")]
    if not coordinates:
        return None
    return Body(_transform(matrix, np.array([(*c, 0.0)[:3] for c in coordinates], dtype=float)), None)


def _faces(shells: list[Any], matrix: npt.NDArray[np.float64]) -> Body | None:
    """Faceted shells: all their corners, and the faces that are not vertical as outlines.

    Attributes are read by position (``shell[0]`` is CfsFaces, ``face[0]`` Bounds, ``bound[0]``
    Bound, ``loop[0]`` Polygon, ``point[0]`` Coordinates): breps hold thousands of points and
    positional access skips ifcopenshell's name lookup."""
    rows: list[tuple[float, ...]] = []
    sizes: list[int] = []
    for shell in shells:
        for face in shell[0]:
            bounds = face[0]
            for bound in bounds:
                loop = bound[0]
                if not loop.is_a("IfcPolyLoop"):
                    return None
                if len(bounds) == 1 or bound.is_a("IfcFaceOuterBound"):
                    coordinates = [point[0] for point in loop[0]]
                    rows.extend((*c, 0.0)[:3] for c in coordinates)
                    sizes.append(len(coordinates))
    if not rows:
        return None
    corners = _transform(matrix, np.array(rows, dtype=float))
    # The plan outline is the union of every face seen from above; vertical faces project to
    # nothing and are left out here (the reader unions the rest).
    outlines: list[Outline] = []
    start = 0
    for size in sizes:
        loop = corners[start : start + size, :2]
        start += size
        x, y = loop[:, 0], loop[:, 1]
        if size >= 3 and abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) > 2.0:
            outlines.append([(float(px), float(py)) for px, py in loop])
    return Body(corners, outlines or None)


def _transform(matrix: npt.NDArray[np.float64], points: Points3) -> Points3:
    """``points`` (n, 3) through a 4×4 affine ``matrix``."""
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def profile_outline(profile: Any) -> Outline | None:
    """The outer boundary of a profile in its own 2D coordinates, or ``None`` when curved or unknown."""

    if profile.is_a("IfcRectangleProfileDef") and not profile.is_a("IfcRoundedRectangleProfileDef"):
        x, y = float(profile.XDim) / 2, float(profile.YDim) / 2
        corners = [(-x, -y), (x, -y), (x, y), (-x, y)]
    elif profile.is_a("IfcArbitraryClosedProfileDef"):  # …WithVoids too: the outer curve bounds it
        found = curve_points(profile.OuterCurve)
        if found is None:
            return None
        corners = found
    else:
        return None
    position = getattr(profile, "Position", None)
    if position is None:
        return corners
    m = axis2placement(position)
    return [
        (float(m[0, 0] * px + m[0, 1] * py + m[0, 3]), float(m[1, 0] * px + m[1, 1] * py + m[1, 3]))
        for px, py in corners
    ]


def curve_points(curve: Any) -> Outline | None:
    """The vertices of a straight-segmented 2D curve, or ``None`` when it has arcs."""
    if curve.is_a("IfcPolyline"):
        return [(float(p.Coordinates[0]), float(p.Coordinates[1])) for p in curve.Points]
    if curve.is_a("IfcIndexedPolyCurve"):
        coordinates = curve.Points.CoordList
        segments = getattr(curve, "Segments", None)
        if not segments:
            return [(float(c[0]), float(c[1])) for c in coordinates]
        indices: list[int] = []
        for segment in segments:
            if not segment.is_a("IfcLineIndex"):
                return None  # IfcArcIndex
            for index in segment.wrappedValue:
                if not indices or indices[-1] != index:
                    indices.append(index)
        return [(float(coordinates[i - 1][0]), float(coordinates[i - 1][1])) for i in indices]
    if curve.is_a("IfcTrimmedCurve") and curve.BasisCurve.is_a("IfcLine"):
        ends = []
        for trim in (curve.Trim1, curve.Trim2):
            cartesian = [t for t in trim if hasattr(t, "Coordinates")]
            if not cartesian:
                return None
            ends.append((float(cartesian[0].Coordinates[0]), float(cartesian[0].Coordinates[1])))
        return ends if curve.SenseAgreement is not False else ends[::-1]
    if curve.is_a("IfcCompositeCurve"):
        points: Outline = []
        for segment in curve.Segments:
            part = curve_points(segment.ParentCurve)
            if part is None:
                return None
            if segment.SameSense is False:
                part = part[::-1]
            for point in part:
                if not points or points[-1] != point:
                    points.append(point)
        return points
    return None
