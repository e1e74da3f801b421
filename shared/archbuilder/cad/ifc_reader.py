"""IFC2X3 / IFC4 (plain or IFC-ZIP) → BuildingModel with ifcopenshell.

Storeys become levels; IfcSpace becomes a space named by its LongName (or Name) with the
declared floor area from its quantity sets and a footprint from its geometry; IfcWall a
centreline from its Axis representation (or its footprint) with the material layer
thickness; IfcDoor and IfcWindow their overall sizes, host wall (fills → voids) and the
spaces they bound (IfcRelSpaceBoundary). Lengths are scaled from the project's units to
mm. One broken element is skipped and reported in the model's notices, never the whole file.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from archbuilder.cad.notices import notice, set_notices
from archbuilder.cad.reasons import check_numbers
from archbuilder.domain.building import (
    BuildingModel,
    ModelDoor,
    ModelLevel,
    ModelNotice,
    ModelPoint,
    ModelSpace,
    ModelWall,
    ModelWindow,
    SourceInfo,
)
from archbuilder.platform.errors import Unprocessable

SUPPORTED_SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3")
MAX_ZIP_MEMBER_BYTES = 1024 * 1024 * 1024
MAX_ELEMENTS = 200_000
# Quantity names of a space's floor area, best first (Qto_SpaceBaseQuantities, Revit's GSA set).
AREA_QUANTITIES = ("NetFloorArea", "GSA BIM Area", "GrossFloorArea", "Area")
DEFAULT_LEVEL_ID = "L0"
OPENING_MM = (200.0, 20_000.0)  # plausible door and window sizes
MAX_WALL_THICKNESS_MM = 2000.0
ELEVATION_DECIMALS = 1  # storey elevations in mm, rounded to 0.1 mm
# How much of the file's end is searched for its last entity (``#123=``); a last entity longer
# than this (a huge point list) leaves only the trailer checked.
TAIL_BYTES = 256 * 1024
# Up to this size the analysis's facts count faceted geometry from the file's text, read again
# (``analysis.ifc_facts._StepTopology``); above it the text and its index would weigh on the
# sandbox's memory limit and the facts traverse the parsed file instead (the same counts, slower).
STEP_TEXT_MAX_BYTES = 32 * 1024 * 1024


def read_ifc(path: str | Path, *, max_elements: int = MAX_ELEMENTS) -> BuildingModel:
    """The building model of one IFC or IFC-ZIP file."""
    from archbuilder.analysis.ifc_facts import ifc_facts

    ifc, member = _open(str(path))
    reader = _Reader(ifc)
    model = reader.read(max_elements)
    check_numbers(model, "IFC")
    # The analysis's facts from the same open file (one parse; see analysis.ifc_facts), with
    # what the reader found on the way.
    size = Path(path).stat().st_size
    facts = ifc_facts(
        ifc,
        reader.mm,
        size,
        parents=reader.parents,
        known_properties=reader.properties,
        step_text=lambda: _step_text(path, member),
    )
    return model.model_copy(update={"facts": facts})


def _step_text(path: str | Path, member: bytes | None) -> bytes | None:
    """The STEP text the file was parsed from (an IFC-ZIP's member as read), or None when it
    is larger than STEP_TEXT_MAX_BYTES."""
    if member is not None:
        return member or None
    if Path(path).stat().st_size > STEP_TEXT_MAX_BYTES:
        return None
    return Path(path).read_bytes()


def _open(path: str) -> tuple[Any, bytes | None]:
    """The open file, and the IFC-ZIP's member when it was one."""
    import zipfile

    import ifcopenshell

    data: bytes | None = None
    try:
        if zipfile.is_zipfile(path):
            from archbuilder.cad.sniff import read_ifc_zip_member

            data = read_ifc_zip_member(path, max_bytes=MAX_ZIP_MEMBER_BYTES)
            last_id = _last_id(data[-TAIL_BYTES:], path)
            ifc = ifcopenshell.file.from_string(data.decode("utf-8", errors="replace"))
        else:
            with open(path, "rb") as fh:
                fh.seek(max(0, fh.seek(0, 2) - TAIL_BYTES))
                last_id = _last_id(fh.read(), path)
            ifc = ifcopenshell.open(path)
    except Unprocessable:
        raise
    except Exception as exc:  # noqa: BLE001 - ifcopenshell.Error, SchemaError, OSError …: the text is logged
        raise Unprocessable(code="CAD_PARSE_FAILED", format="IFC") from exc
    if last_id is not None and not _has(ifc, last_id):
        # Cut off inside an entity and given the trailer back: ifcopenshell drops the torn entity.
        raise _truncated(path)
    schema = str(ifc.schema).upper()
    if not schema.startswith(SUPPORTED_SCHEMAS):
        raise Unprocessable(code="IFC_SCHEMA_UNSUPPORTED", schema=schema)
    # The member is kept for the facts only when small enough (b"": not kept).
    return ifc, (data if data is None or len(data) <= STEP_TEXT_MAX_BYTES else b"")


def _last_id(tail: bytes, path: str) -> int | None:
    """The id of the file's last entity, after checking that the file ends whole: the last
    entity complete, the DATA section closed, the STEP trailer (ifcopenshell reads a cut-off
    file without complaint)."""
    from archbuilder.cad.sniff import last_step_id, step_complete

    if not step_complete(tail):
        raise _truncated(path)
    return last_step_id(tail)


def _has(ifc: Any, entity_id: int) -> bool:
    try:
        ifc.by_id(entity_id)
    except RuntimeError:  # "Instance #123 not found"
        return False
    return True


def _truncated(path: str) -> Unprocessable:
    return Unprocessable(code="FILE_TRUNCATED", filename=Path(path).name, format="IFC")


class _Reader:
    def __init__(self, ifc: Any) -> None:
        import ifcopenshell.geom
        import ifcopenshell.util.unit

        from archbuilder.cad.ifc_geometry import Placements

        self.ifc = ifc
        self.notices: list[ModelNotice] = []
        self.broken: Counter[tuple[str, str]] = Counter()  # (IFC class, exception class) → skipped
        self.skipped: Counter[str] = Counter()  # notice code → how many were skipped
        self.notes: Counter[str] = Counter()  # notice code → how many were read with a correction
        self.mm = ifcopenshell.util.unit.calculate_unit_scale(ifc) * 1000.0  # mm per file length unit
        self.area_scale = self._area_scale()
        self.settings: Any = ifcopenshell.geom.settings()  # type: ignore[no-untyped-call]
        self.settings.set("use-world-coords", True)  # meshes come out in metres, world coordinates
        self.placements = Placements()
        self.parents = self._parents()
        self.elevation_mm: dict[str, float] = {}
        # (entity id, property set name) -> its single values, as read: the analysis's facts reuse them.
        self.properties: dict[tuple[int, str], dict[str, Any]] = {}

    # --- whole file -------------------------------------------------------------------

    def read(self, max_elements: int) -> BuildingModel:
        counted = sum(len(self.ifc.by_type(t)) for t in ("IfcSpace", "IfcWall", "IfcDoor", "IfcWindow"))
        if counted > max_elements:
            raise Unprocessable(code="TOO_MANY_ENTITIES", limit=max_elements)
        levels = self._levels()
        spaces = self._each("IfcSpace", self._space)
        walls = self._each("IfcWall", self._wall)
        space_ids = {s.source_ref: s.id for s in spaces}
        wall_ids = {w.source_ref: w.id for w in walls}
        exterior_walls = {w.id for w in walls if w.is_exterior}
        doors = self._each("IfcDoor", lambda e, i: self._door(e, i, wall_ids, space_ids, exterior_walls))
        windows = self._each("IfcWindow", lambda e, i: self._window(e, i, wall_ids, space_ids))
        if not spaces:
            self.notices.append(notice("ifc_no_spaces"))
        for (ifc_type, error), count in sorted(self.broken.items()):
            self.notices.append(notice("ifc_skipped_elements", count=count, type=ifc_type, error=error))
        for code, count in sorted((*self.skipped.items(), *self.notes.items())):
            self.notices.append(notice(code, count=count))
        model = BuildingModel(
            source=SourceInfo(
                format="ifc",
                schema_name=str(self.ifc.schema).upper(),
                application=self._application(),
                original_units=self._unit_name(),
            ),
            levels=levels,
            spaces=spaces,
            walls=walls,
            doors=doors,
            windows=windows,
        )
        return set_notices(model, self.notices)

    def _each(self, ifc_type: str, build: Any) -> list[Any]:
        results: list[Any] = []
        for element in self.ifc.by_type(ifc_type):  # subtypes too: IfcWallStandardCase …
            try:
                built = build(element, len(results) + 1)
            except Exception as exc:  # noqa: BLE001 - one broken element must not stop the file
                self.broken[ifc_type, type(exc).__name__] += 1
                continue
            if built is not None:
                results.append(built)
        return results

    def _application(self) -> str | None:
        apps = self.ifc.by_type("IfcApplication")
        if apps:
            return str(apps[0].ApplicationFullName or apps[0].ApplicationIdentifier or "") or None
        return None

    def _unit_name(self) -> str:
        if math.isclose(self.mm, 1.0):
            return "mm"
        if math.isclose(self.mm, 1000.0):
            return "m"
        return f"{self.mm:g} mm"

    def _area_scale(self) -> float:
        """m² per area unit of the quantities. With no IfcAreaUnit the length unit squared."""
        import ifcopenshell.util.unit

        declared = any(
            getattr(u, "UnitType", None) == "AREAUNIT"
            for assignment in self.ifc.by_type("IfcUnitAssignment")
            for u in assignment.Units
        )
        if declared:
            return float(ifcopenshell.util.unit.calculate_unit_scale(self.ifc, "AREAUNIT"))
        self.notices.append(notice("ifc_no_area_unit"))
        return (self.mm / 1000.0) ** 2

    # --- levels -----------------------------------------------------------------------

    def _levels(self) -> list[ModelLevel]:
        storeys = sorted(self.ifc.by_type("IfcBuildingStorey"), key=lambda s: float(s.Elevation or 0.0))
        levels: list[ModelLevel] = []
        for n, storey in enumerate(storeys):
            # To 0.1 mm: exporters write 3.100000000000378 m for 3.1 m.
            elevation = round(float(storey.Elevation or 0.0) * self.mm, ELEVATION_DECIMALS)
            name = storey.Name or storey.LongName or f"Level {n}"
            level = ModelLevel(id=storey.GlobalId, name=str(name), elevation_mm=elevation)
            levels.append(level)
            self.elevation_mm[level.id] = elevation
        for below, above in zip(levels, levels[1:], strict=False):
            below.height_mm = round(above.elevation_mm - below.elevation_mm, ELEVATION_DECIMALS) or None
        if not levels:
            self.notices.append(notice("ifc_no_storeys"))
            levels = [ModelLevel(id=DEFAULT_LEVEL_ID, name="Level 0", elevation_mm=0)]
            self.elevation_mm[DEFAULT_LEVEL_ID] = 0.0
        self.default_level = levels[0].id
        return levels

    def _parents(self) -> dict[int, Any]:
        """Each element's spatial container or whole (by entity id), from one pass over the
        containment and aggregation relationships."""
        parents: dict[int, Any] = {}
        for rel in self.ifc.by_type("IfcRelAggregates"):
            for part in rel.RelatedObjects or ():
                parents.setdefault(part.id(), rel.RelatingObject)
        for rel in self.ifc.by_type("IfcRelContainedInSpatialStructure"):
            for part in rel.RelatedElements or ():
                parents[part.id()] = rel.RelatingStructure  # containment wins, as in ifcopenshell.util
        return parents

    def _level_id(self, element: Any) -> str:
        current = element
        for _ in range(16):
            if current is None:
                break
            if current.is_a("IfcBuildingStorey"):
                return str(current.GlobalId)
            current = self.parents.get(current.id())
        return self.default_level

    # --- geometry ---------------------------------------------------------------------

    def _mesh(
        self, element: Any
    ) -> tuple[list[tuple[float, float, float]], list[tuple[int, int, int]]] | None:
        import ifcopenshell.geom

        if element.Representation is None:
            return None
        shape: Any = ifcopenshell.geom.create_shape(self.settings, element)
        v, f = shape.geometry.verts, shape.geometry.faces
        verts = [(v[i] * 1000.0, v[i + 1] * 1000.0, v[i + 2] * 1000.0) for i in range(0, len(v), 3)]
        faces = [(f[i], f[i + 1], f[i + 2]) for i in range(0, len(f), 3)]
        return verts, faces

    def _corners(self, element: Any) -> Any:
        """Every corner of an element's body in world mm (an (n, 3) array), or None."""
        from archbuilder.cad.ifc_geometry import body_geometry

        body = body_geometry(element, self.mm, self.placements, corners_only=True)
        if body is not None:
            return body.points
        try:
            mesh = self._mesh(element)
        except RuntimeError:
            return None  # no buildable body
        if mesh is None or not mesh[0]:
            return None
        import numpy as np

        return np.array(mesh[0])

    def _footprint(self, element: Any) -> tuple[Any, float] | None:
        """The plan outline (shapely polygon, mm) and height of an element's body.

        Read from the representation where it is an extrusion or faceted boundary
        (``ifc_geometry``); otherwise triangulated by the geometry kernel."""
        from shapely.geometry import Polygon

        from archbuilder.cad.ifc_geometry import body_geometry

        body = body_geometry(element, self.mm, self.placements)
        if body is not None and body.outlines:
            polygons = [Polygon(outline) for outline in body.outlines if len(outline) >= 3]
            outline = _outline([p for p in polygons if p.area > 1.0])
            if outline is not None:
                return outline, body.height
        return self._kernel_footprint(element)

    def _kernel_footprint(self, element: Any) -> tuple[Any, float] | None:
        from shapely.geometry import Polygon

        mesh = self._mesh(element)
        if mesh is None or not mesh[1]:
            return None
        verts, faces = mesh
        triangles = []
        for a, b, c in faces:
            tri = Polygon([verts[a][:2], verts[b][:2], verts[c][:2]])
            if tri.area > 1.0:  # skip vertical faces, which project to slivers
                triangles.append(tri)
        outline = _outline(triangles)
        if outline is None:
            return None
        zs = [p[2] for p in verts]
        return outline, max(zs) - min(zs)

    # --- elements ---------------------------------------------------------------------

    def _space(self, space: Any, n: int) -> ModelSpace:
        from shapely.geometry.polygon import orient

        name = space.LongName or space.Name or f"Space {n}"
        footprint = self._footprint(space)
        boundary: list[ModelPoint] = []
        height: float | None = None
        if footprint is not None:
            polygon, height = footprint
            boundary = [ModelPoint(x=x, y=y) for x, y in list(orient(polygon, 1.0).exterior.coords)[:-1]]
        else:
            self.skipped["ifc_skipped_space_footprints"] += 1
        area = self._declared_area(space, footprint[0].area / 1e6 if footprint else None)
        return ModelSpace(
            id=f"S{n}",
            name=str(name).strip(),
            level_id=self._level_id(space),
            boundary=boundary,
            declared_area_m2=area,
            clear_height_mm=height if height else None,
            source_ref=space.GlobalId,
        )

    def _declared_area(self, space: Any, geometric_m2: float | None) -> float | None:
        from archbuilder.cad.ifc_properties import quantity_sets

        quantities = quantity_sets(space)
        for key in AREA_QUANTITIES:
            for values in quantities.values():
                value = values.get(key)
                if isinstance(value, int | float) and value > 0:
                    area = float(value) * self.area_scale
                    if geometric_m2 and area > 1000 * geometric_m2 and area / 1e6 < 10 * geometric_m2:
                        # Some exporters write mm² while declaring m² (or nothing).
                        self.notes["ifc_areas_corrected"] += 1
                        area /= 1e6
                    return round(area, 4)
        return None

    def _wall(self, wall: Any, n: int) -> ModelWall:
        from archbuilder.cad.ifc_properties import definitions, property_set, quantity_sets

        sets = definitions(wall)
        quantities = quantity_sets(wall, sets)
        ends = self._axis(wall)
        thickness = self._layer_thickness(wall, quantities)
        height: float | None = None
        if ends is None or thickness is None:
            footprint = self._footprint(wall)
            if footprint is None:
                raise ValueError("no axis and no body")
            polygon, height = footprint
            a, b, width = _long_axis(polygon)
            ends = ends or (a, b)
            if thickness is None and width > MAX_WALL_THICKNESS_MM:
                self.notes["ifc_wall_thickness_unknown"] += 1
            thickness = thickness or (width if width <= MAX_WALL_THICKNESS_MM else None)
        for values in quantities.values():
            if isinstance(values.get("Height"), int | float):
                height = float(values["Height"]) * self.mm
                break
        common = property_set(wall, "Pset_WallCommon", sets)
        self.properties[wall.id(), "Pset_WallCommon"] = common
        external = common.get("IsExternal")
        return ModelWall(
            id=f"W{n}",
            level_id=self._level_id(wall),
            start=ModelPoint(x=ends[0][0], y=ends[0][1]),
            end=ModelPoint(x=ends[1][0], y=ends[1][1]),
            thickness_mm=thickness,
            height_mm=height,
            is_exterior=external if isinstance(external, bool) else None,
            source_ref=wall.GlobalId,
        )

    def _axis(self, wall: Any) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """The two ends of a straight Axis representation, in world mm."""
        import numpy as np

        from archbuilder.cad.ifc_geometry import curve_points

        if wall.Representation is None:
            return None
        for rep in wall.Representation.Representations:
            if rep.RepresentationIdentifier != "Axis":
                continue
            for item in rep.Items:
                points = curve_points(item)
                if points is None or len(points) < 2:
                    continue
                matrix = self.placements.world(wall.ObjectPlacement)
                ends = []
                for x, y in (points[0], points[-1]):
                    world = matrix @ np.array([x, y, 0.0, 1.0])
                    ends.append((float(world[0]) * self.mm, float(world[1]) * self.mm))
                return ends[0], ends[1]
        return None

    def _layer_thickness(self, element: Any, quantities: dict[str, dict[str, float]]) -> float | None:
        import ifcopenshell.util.element as util

        material: Any = util.get_material(element, should_skip_usage=True)
        if material is not None and material.is_a("IfcMaterialLayerSet"):
            total = sum(float(layer.LayerThickness or 0.0) for layer in material.MaterialLayers)
            return total * self.mm if total > 0 else None
        for values in quantities.values():
            width = values.get("Width")
            if isinstance(width, int | float) and width > 0:
                return float(width) * self.mm
        return None

    def _opening(
        self, element: Any, wall_ids: dict[str | None, str]
    ) -> tuple[str | None, ModelPoint | None, float | None]:
        """(host wall id, plan centre, sill height above its level) of a door or window."""
        host: str | None = None
        opening: Any = None
        for fills in getattr(element, "FillsVoids", None) or ():
            opening = fills.RelatingOpeningElement
            for voids in getattr(opening, "VoidsElements", None) or ():
                host = wall_ids.get(voids.RelatingBuildingElement.GlobalId)
        # The opening it fills is usually a plain box, far cheaper to read than a detailed window.
        for source in (opening, element):
            if source is None:
                continue
            corners = self._corners(source)
            if corners is not None:
                xs, ys, zs = corners[:, 0], corners[:, 1], corners[:, 2]
                centre = ModelPoint(x=float(xs.min() + xs.max()) / 2, y=float(ys.min() + ys.max()) / 2)
                return host, centre, float(zs.min())
        if element.ObjectPlacement is None:
            return host, None, None
        origin = self.placements.world(element.ObjectPlacement)[:3, 3] * self.mm
        self.notes["ifc_openings_at_origin"] += 1
        return host, ModelPoint(x=float(origin[0]), y=float(origin[1])), None

    def _size(self, value: Any, what: Literal["door", "window"]) -> float | None:
        """A door or window dimension in mm, or None when it is not plausible."""
        if not isinstance(value, int | float) or value <= 0:
            return None
        size = float(value) * self.mm
        if OPENING_MM[0] <= size <= OPENING_MM[1]:
            return size
        if OPENING_MM[0] <= float(value) <= OPENING_MM[1]:
            # Some exporters (FreeCAD) write opening sizes in mm whatever the project unit.
            self.notes[f"ifc_{what}_sizes_mm"] += 1
            return float(value)
        self.skipped[f"ifc_{what}_sizes_out_of_range"] += 1
        return None

    def _bounded_spaces(self, element: Any, space_ids: dict[str | None, str]) -> list[str]:
        found: list[str] = []
        for boundary in getattr(element, "ProvidesBoundaries", None) or ():
            space = boundary.RelatingSpace
            sid = space_ids.get(getattr(space, "GlobalId", None))
            if sid and sid not in found:
                found.append(sid)
        return found[:2]

    def _door(
        self,
        door: Any,
        n: int,
        wall_ids: dict[str | None, str],
        space_ids: dict[str | None, str],
        exterior_walls: set[str],
    ) -> ModelDoor:
        host, position, _ = self._opening(door, wall_ids)
        spaces = self._bounded_spaces(door, space_ids)
        return ModelDoor(
            id=f"D{n}",
            level_id=self._level_id(door),
            wall_id=host,
            position=position,
            clear_width_mm=self._size(door.OverallWidth, "door"),
            height_mm=self._size(door.OverallHeight, "door"),
            space_ids=spaces,
            is_entrance=_is_entrance(door, host in exterior_walls, spaces),
            source_ref=door.GlobalId,
        )

    def _window(
        self, window: Any, n: int, wall_ids: dict[str | None, str], space_ids: dict[str | None, str]
    ) -> ModelWindow:
        host, position, bottom = self._opening(window, wall_ids)
        level = self._level_id(window)
        spaces = self._bounded_spaces(window, space_ids)
        sill = bottom - self.elevation_mm.get(level, 0.0) if bottom is not None else None
        return ModelWindow(
            id=f"WIN{n}",
            level_id=level,
            wall_id=host,
            position=position,
            width_mm=self._size(window.OverallWidth, "window"),
            height_mm=self._size(window.OverallHeight, "window"),
            sill_height_mm=round(sill, 1) if sill is not None else None,
            space_id=spaces[0] if spaces else None,
            source_ref=window.GlobalId,
        )


def _is_entrance(door: Any, in_exterior_wall: bool, spaces: list[str]) -> bool:
    """Whether a door is on the building's outside and leads into it.

    Its own ``Pset_DoorCommon.IsExternal`` decides when the file gives it; otherwise a door
    with one space behind it, in a wall marked external or bounding that space with an
    ``EXTERNAL`` space boundary. A door between two spaces is inside, whatever it says.
    """
    from archbuilder.cad.ifc_properties import property_set

    if len(spaces) > 1:
        return False
    external = property_set(door, "Pset_DoorCommon").get("IsExternal")
    if isinstance(external, bool):
        return external
    if len(spaces) != 1:
        return False
    boundaries = getattr(door, "ProvidesBoundaries", None) or ()
    return in_exterior_wall or any(b.InternalOrExternalBoundary == "EXTERNAL" for b in boundaries)


def _long_axis(polygon: Any) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Centreline and width of a wall's footprint, from its minimum rotated rectangle."""
    corners = list(polygon.minimum_rotated_rectangle.exterior.coords)[:4]
    p0, p1, p2, p3 = corners
    if math.dist(p0, p1) >= math.dist(p1, p2):
        a, b, width = _mid(p0, p3), _mid(p1, p2), math.dist(p1, p2)
    else:
        a, b, width = _mid(p0, p1), _mid(p3, p2), math.dist(p0, p1)
    return a, b, width


def _mid(p: tuple[float, ...], q: tuple[float, ...]) -> tuple[float, float]:
    return ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)


def _outline(polygons: list[Any]) -> Any:
    """The largest piece of the union of ``polygons``, cleaned; None when nothing is left."""
    from shapely import make_valid
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.ops import unary_union

    if not polygons:
        return None
    if len(polygons) == 1 and polygons[0].is_valid:
        return polygons[0].simplify(1.0)  # the common case (one extruded profile): nothing to merge
    outline = make_valid(unary_union([make_valid(p) for p in polygons])).buffer(0.5).buffer(-0.5)
    if isinstance(outline, MultiPolygon):
        outline = max(outline.geoms, key=lambda g: g.area)
    if not isinstance(outline, Polygon) or outline.is_empty:
        return None
    return outline.simplify(1.0)
