"""A generated layout as an IFC4 file, built with ifcopenshell.api.

Project (mm, m²), site, building, one storey per level; IfcWall as an extruded box on its
centreline with an Axis representation, Qto_WallBaseQuantities and Pset_WallCommon; each
IfcDoor and IfcWindow fills an IfcOpeningElement that voids its host wall (a door's
placement and ``OperationType`` carry its swing: see ``door_operation``); each room an
IfcSpace extruded from its boundary, with Qto_SpaceBaseQuantities and space boundaries to
the doors that connect it. ``ifc_reader.read_ifc`` reads it back to the same rooms.
The brief and the compliance summary, when given, go into the ``ArchBuilder_Layout``
property set of the IfcBuilding (see ``layout_properties``).

Geometry and quantities are SI (mm, m²) whatever the project's units; door and window names
are their real sizes in the project's units (``layout.type_names``). The STEP header's
FILE_NAME carries the file name, the organisation (author, organisation and authorization:
there is no person to name), the time of export and "ArchBuilder Cloud <version>".
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from archbuilder import __version__
from archbuilder.domain.layout import Door, LayoutPayload, Room, Wall
from archbuilder.domain.project import Units
from archbuilder.layout.type_names import opening_type_name

_M = 0.001  # ifcopenshell.api takes geometry in metres
OPENING_CLEARANCE_MM = 20.0  # the opening is this much thicker than its wall on each side
# Our own property set. Not ``Pset_…``: that prefix is reserved for buildingSMART's standard
# sets, and checkers (the IFC validation service's PSE001) flag unknown ``Pset_`` names.
LAYOUT_PSET = "ArchBuilder_Layout"
ORIGINATING_SYSTEM = f"ArchBuilder Cloud {__version__}"


def layout_to_ifc(
    payload: LayoutPayload,
    *,
    project_name: str,
    brief: BaseModel | Mapping[str, Any] | None = None,
    compliance: BaseModel | Mapping[str, Any] | None = None,
    version: int | None = None,
    checksum: str | None = None,
    planner: str | None = None,
    region: str | None = None,
    units: Units = Units.metric,
    file_name: str = "layout.ifc",
    organisation: str = "",
    timestamp: datetime | None = None,
) -> bytes:
    """The payload as IFC4 text (STEP), UTF-8 encoded.

    ``brief`` (a ``Brief`` or its JSON), ``compliance`` (a ``ComplianceReport``, its ``Summary``
    or the stored ``{region, rules_version, summary}``), the layout's ``version`` number, the
    payload ``checksum``, the ``planner`` and the code ``region`` are optional: what is given is
    written to the ``ArchBuilder_Layout`` property set of the building. ``units`` names doors and
    windows; ``file_name``, ``organisation`` (the tenant's name) and ``timestamp`` (default now)
    go into the header's FILE_NAME.
    """
    import ifcopenshell.api.aggregate
    import ifcopenshell.api.context
    import ifcopenshell.api.project
    import ifcopenshell.api.root
    import ifcopenshell.api.unit

    model = ifcopenshell.api.project.create_file(version="IFC4")
    header = model.header.file_name
    header.name = file_name
    header.time_stamp = (timestamp or datetime.now(UTC)).isoformat(timespec="seconds")
    header.author = header.organization = (organisation,)
    header.authorization = organisation
    header.originating_system = ORIGINATING_SYSTEM
    project = ifcopenshell.api.root.create_entity(model, ifc_class="IfcProject", name=project_name)
    ifcopenshell.api.unit.assign_unit(model)  # millimetres, square and cubic metres
    model3d = ifcopenshell.api.context.add_context(model, context_type="Model")
    body = ifcopenshell.api.context.add_context(
        model, context_type="Model", context_identifier="Body", target_view="MODEL_VIEW", parent=model3d
    )
    axis = ifcopenshell.api.context.add_context(
        model, context_type="Model", context_identifier="Axis", target_view="GRAPH_VIEW", parent=model3d
    )
    site = ifcopenshell.api.root.create_entity(model, ifc_class="IfcSite", name="Site")
    building = ifcopenshell.api.root.create_entity(model, ifc_class="IfcBuilding", name=project_name)
    ifcopenshell.api.aggregate.assign_object(model, relating_object=project, products=[site])
    ifcopenshell.api.aggregate.assign_object(model, relating_object=site, products=[building])

    writer = _Writer(model, body, axis)
    properties = layout_properties(
        payload, brief=brief, compliance=compliance, version=version, checksum=checksum,
        planner=planner, region=region,
    )  # fmt: skip
    texts = {"Brief", "Checksum"}  # IfcText: IfcLabel holds at most 255 characters
    writer.properties(
        building,
        LAYOUT_PSET,
        {k: model.create_entity("IfcText", v) if k in texts else v for k, v in properties.items()},
    )
    storeys: dict[str, Any] = {}
    for level in payload.levels:
        storey = ifcopenshell.api.root.create_entity(model, ifc_class="IfcBuildingStorey", name=level.name)
        storey.Elevation = level.elevation_mm
        writer.place(storey, (0.0, 0.0), 0.0, level.elevation_mm)
        ifcopenshell.api.aggregate.assign_object(model, relating_object=building, products=[storey])
        storeys[level.name] = storey
    elevations = {level.name: level.elevation_mm for level in payload.levels}

    walls = {
        w.id: (w, writer.wall(w, storeys[w.level_name], elevations[w.level_name])) for w in payload.walls
    }
    spaces = {
        r.id: writer.space(r, storeys[r.level_name], elevations[r.level_name], _level_height(payload, r))
        for r in payload.rooms
    }
    imperial = units is Units.imperial
    for door in payload.doors:
        wall, host = walls[door.host_wall_id]
        name = opening_type_name(door.width_mm, door.height_mm, imperial=imperial)
        element = writer.opening(
            "IfcDoor", door.id, f"{name} opening" if door.is_opening else name, wall, host,
            storeys[wall.level_name],
            ratio=door.position_ratio, width=door.width_mm, height=door.height_mm,
            base=elevations[wall.level_name], sill=0.0, facing_flipped=door.flip_facing,
            filled=not door.is_opening,
        )  # fmt: skip
        if not door.is_opening:  # a cased opening is the IfcOpeningElement alone
            element.PredefinedType = "DOOR"
            element.OperationType = door_operation(door)
        for room_id in door.connects:
            if room_id in spaces:
                writer.boundary(spaces[room_id], element, internal=len(door.connects) == 2)
    for window in payload.windows:
        wall, host = walls[window.host_wall_id]
        element = writer.opening(
            "IfcWindow", window.id,
            opening_type_name(window.width_mm, window.height_mm, imperial=imperial), wall, host,
            storeys[wall.level_name],
            ratio=window.position_ratio, width=window.width_mm, height=window.height_mm,
            base=elevations[wall.level_name], sill=window.sill_height_mm,
        )  # fmt: skip
        if window.room_id in spaces:
            writer.boundary(spaces[window.room_id], element, internal=False)
    text: str = model.to_string()  # type: ignore[no-untyped-call]
    return text.encode("utf-8")


def layout_properties(
    payload: LayoutPayload,
    *,
    brief: BaseModel | Mapping[str, Any] | None = None,
    compliance: BaseModel | Mapping[str, Any] | None = None,
    version: int | None = None,
    checksum: str | None = None,
    planner: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """The ``ArchBuilder_Layout`` properties: only what is known, never an empty value."""
    brief_json = _plain(brief)
    report = _plain(compliance) or {}
    nested = report.get("summary")
    summary: Mapping[str, Any] = nested if isinstance(nested, Mapping) else report
    region = region or report.get("region") or (brief_json or {}).get("region")
    values: dict[str, Any] = {
        "Generator": "ArchBuilder",
        "SchemaVersion": payload.schema_version,
        "VersionNumber": version,
        "Checksum": checksum,
        "Planner": planner,
        "Region": region,
        "BuildingType": (brief_json or {}).get("building_type"),
        "Brief": json.dumps(brief_json, ensure_ascii=False, separators=(",", ":")) if brief_json else None,
        "ComplianceRulesVersion": report.get("rules_version"),
        "CompliancePassRate": summary.get("pass_rate"),
        "ComplianceErrors": summary.get("errors"),
        "ComplianceWarnings": summary.get("warnings"),
        "CompliancePassed": summary.get("passed"),
    }
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "":
            continue
        if key in ("VersionNumber", "ComplianceErrors", "ComplianceWarnings", "CompliancePassed"):
            value = int(value)
        elif key == "CompliancePassRate":
            value = float(value)
        else:
            value = str(value)
        kept[key] = value
    return kept


def door_operation(door: Door) -> str:
    """``IfcDoor.OperationType`` of a door placed by ``_Writer.opening``.

    IFC4 (IfcDoorPanelOperationEnum, IfcDoorTypeOperationEnum): the leaf opens towards the
    door's local +y, and SINGLE_SWING_LEFT has its hinges on the left as seen looking along
    +y, i.e. at local x = 0 (the placement's origin). ``opening`` points local +y at the swing
    side of docs/architecture.md "Door handing": the wall's left normal, or, with
    ``flip_facing``, its right normal by turning the placement 180° about z (never a mirror),
    which also moves the origin to the opening end nearer the wall's end. The hinge is at the
    end nearer the wall's start unless ``flip_hand``; so it is at the origin exactly when the
    two flags agree.
    """
    return "SINGLE_SWING_LEFT" if door.flip_hand == door.flip_facing else "SINGLE_SWING_RIGHT"


def _plain(value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        dumped: dict[str, Any] = value.model_dump(mode="json", exclude_none=True)
        return dumped
    return dict(value)


def _level_height(payload: LayoutPayload, room: Room) -> float:
    return next((lv.height_mm for lv in payload.levels if lv.name == room.level_name), 2800.0)


class _Writer:
    def __init__(self, model: Any, body: Any, axis: Any) -> None:
        self.model, self.body, self.axis = model, body, axis

    def place(self, product: Any, at: tuple[float, float], angle: float, z: float) -> None:
        import ifcopenshell.api.geometry
        import numpy as np

        c, s = math.cos(angle), math.sin(angle)
        matrix = np.array(
            [[c, -s, 0.0, at[0] * _M], [s, c, 0.0, at[1] * _M], [0.0, 0.0, 1.0, z * _M], [0.0, 0.0, 0.0, 1.0]]
        )
        ifcopenshell.api.geometry.edit_object_placement(self.model, product=product, matrix=matrix)

    def _box(self, product: Any, length: float, height: float, thickness: float) -> None:
        import ifcopenshell.api.geometry

        representation = ifcopenshell.api.geometry.add_wall_representation(
            self.model, context=self.body, length=length * _M, height=height * _M,
            thickness=thickness * _M, offset=-thickness / 2 * _M,
        )  # fmt: skip
        ifcopenshell.api.geometry.assign_representation(
            self.model, product=product, representation=representation
        )

    def _quantities(self, product: Any, name: str, values: dict[str, Any]) -> None:
        import ifcopenshell.api.pset

        qto = ifcopenshell.api.pset.add_qto(self.model, product=product, name=name)
        ifcopenshell.api.pset.edit_qto(self.model, qto=qto, properties=values)

    def properties(self, product: Any, name: str, values: dict[str, Any]) -> None:
        import ifcopenshell.api.pset

        pset = ifcopenshell.api.pset.add_pset(self.model, product=product, name=name)
        ifcopenshell.api.pset.edit_pset(self.model, pset=pset, properties=values)

    def wall(self, wall: Wall, storey: Any, elevation: float) -> Any:
        import ifcopenshell.api.geometry
        import ifcopenshell.api.root
        import ifcopenshell.api.spatial

        element = ifcopenshell.api.root.create_entity(
            self.model, ifc_class="IfcWall", name=wall.wall_type_name
        )
        element.Tag = wall.id
        length = wall.length_mm()
        angle = math.atan2(wall.end.y - wall.start.y, wall.end.x - wall.start.x)
        self.place(element, (wall.start.x, wall.start.y), angle, elevation)
        self._box(element, length, wall.height_mm, wall.thickness_mm)
        axis = ifcopenshell.api.geometry.add_axis_representation(
            self.model, context=self.axis, axis=((0.0, 0.0), (length * _M, 0.0))
        )
        ifcopenshell.api.geometry.assign_representation(self.model, product=element, representation=axis)
        ifcopenshell.api.spatial.assign_container(self.model, relating_structure=storey, products=[element])
        self._quantities(
            element, "Qto_WallBaseQuantities",
            {"Length": length, "Width": wall.thickness_mm, "Height": wall.height_mm},
        )  # fmt: skip
        self.properties(element, "Pset_WallCommon", {"IsExternal": wall.is_exterior, "Reference": wall.id})
        return element

    def opening(
        self, ifc_class: str, ident: str, type_name: str, wall: Wall, host: Any, storey: Any, *,
        ratio: float, width: float, height: float, base: float, sill: float,
        facing_flipped: bool = False, filled: bool = True,
    ) -> Any:  # fmt: skip
        """A door or window filling a new opening in its host wall (or, not ``filled``, the
        opening alone: a cased opening without a leaf).

        The element's local x runs along the wall from one end of the opening and its local y
        points at the wall's left normal; ``facing_flipped`` turns it half a turn about z (local
        y to the right normal, the origin to the other end), so the box stays where it was.
        """
        import ifcopenshell.api.feature
        import ifcopenshell.api.root
        import ifcopenshell.api.spatial

        length = wall.length_mm()
        ux, uy = (wall.end.x - wall.start.x) / length, (wall.end.y - wall.start.y) / length
        along = ratio * length - width / 2  # position_ratio is the opening's centre on the wall
        corner = (wall.start.x + ux * along, wall.start.y + uy * along)
        angle = math.atan2(uy, ux)

        opening = ifcopenshell.api.root.create_entity(
            self.model, ifc_class="IfcOpeningElement", name=f"{ident} opening"
        )
        self.place(opening, corner, angle, base + sill)
        self._box(opening, width, height, wall.thickness_mm + 2 * OPENING_CLEARANCE_MM)
        ifcopenshell.api.feature.add_feature(self.model, feature=opening, element=host)
        if not filled:
            opening.Name, opening.Tag = type_name, ident
            return opening

        element = ifcopenshell.api.root.create_entity(self.model, ifc_class=ifc_class, name=type_name)
        element.Tag = ident
        element.OverallWidth = width
        element.OverallHeight = height
        if facing_flipped:
            far = (corner[0] + ux * width, corner[1] + uy * width)
            self.place(element, far, angle + math.pi, base + sill)
        else:
            self.place(element, corner, angle, base + sill)
        self._box(element, width, height, min(wall.thickness_mm, 60.0))
        ifcopenshell.api.spatial.assign_container(self.model, relating_structure=storey, products=[element])
        ifcopenshell.api.feature.add_filling(self.model, opening=opening, element=element)
        common = "Pset_DoorCommon" if ifc_class == "IfcDoor" else "Pset_WindowCommon"
        self.properties(element, common, {"Reference": ident, "IsExternal": wall.is_exterior})
        return element

    def space(self, room: Room, storey: Any, elevation: float, height: float) -> Any:
        import ifcopenshell.api.aggregate
        import ifcopenshell.api.geometry
        import ifcopenshell.api.root

        element = ifcopenshell.api.root.create_entity(self.model, ifc_class="IfcSpace", name=room.number)
        element.LongName = room.name
        element.ObjectType = room.type.value
        self.place(element, (0.0, 0.0), 0.0, elevation)
        representation = ifcopenshell.api.geometry.add_slab_representation(
            self.model, context=self.body, depth=height * _M,
            polyline=[(p.x * _M, p.y * _M) for p in room.boundary],
        )  # fmt: skip
        ifcopenshell.api.geometry.assign_representation(
            self.model, product=element, representation=representation
        )
        ifcopenshell.api.aggregate.assign_object(self.model, relating_object=storey, products=[element])
        perimeter = sum(
            math.dist((a.x, a.y), (b.x, b.y))
            for a, b in zip(room.boundary, [*room.boundary[1:], room.boundary[0]], strict=True)
        )
        self._quantities(
            element, "Qto_SpaceBaseQuantities",
            {"NetFloorArea": room.area_m2, "GrossFloorArea": room.area_m2, "Height": height,
             "GrossPerimeter": perimeter},
        )  # fmt: skip
        self.properties(
            element, "Pset_SpaceCommon",
            {"Reference": room.id, "IsExternal": False, "NetPlannedArea": room.area_m2},
        )  # fmt: skip
        return element

    def boundary(self, space: Any, element: Any, *, internal: bool) -> None:
        import ifcopenshell.guid

        self.model.create_entity(
            "IfcRelSpaceBoundary",
            GlobalId=ifcopenshell.guid.new(),
            RelatingSpace=space,
            RelatedBuildingElement=element,
            PhysicalOrVirtualBoundary="PHYSICAL",
            InternalOrExternalBoundary="INTERNAL" if internal else "EXTERNAL",
        )
