"""Imported last by the CAD sandbox's fork server, after the parser libraries (see ``sandbox``).

Two things every child would otherwise pay again, per file:

- first-call costs: each reader runs once here on a tiny drawing made in memory (schema tables,
  caches, lazily built lookups), so children start warm;
- garbage collection over the preloaded libraries: ``gc.freeze()`` moves every object loaded so
  far into the collector's permanent generation, so a child's collections do not walk (and
  copy-on-write) the pages of libraries it does not use.

Only the fork server imports this module; a failing warm-up is ignored (children then pay it).
"""

from __future__ import annotations

import contextlib
import gc
import tempfile
from pathlib import Path


def _warm_ifc() -> None:
    import ifcopenshell

    from archbuilder.cad.ifc_reader import MAX_ELEMENTS, _Reader

    for schema in ("IFC2X3", "IFC4", "IFC4X3"):
        f = ifcopenshell.file(schema=schema)
        origin = f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0.0, 0.0, 0.0)))
        context = f.createIfcGeometricRepresentationContext(None, "Model", 3, 1e-5, origin, None)
        units = f.createIfcUnitAssignment([f.createIfcSIUnit(None, "LENGTHUNIT", "MILLI", "METRE")])
        f.createIfcProject(
            ifcopenshell.guid.new(), None, "P", RepresentationContexts=[context], UnitsInContext=units
        )
        profile = f.createIfcRectangleProfileDef("AREA", None, None, 4000.0, 3000.0)
        up = f.createIfcDirection((0.0, 0.0, 1.0))
        solid = f.createIfcExtrudedAreaSolid(profile, origin, up, 2500.0)
        body = f.createIfcShapeRepresentation(context, "Body", "SweptSolid", [solid])
        f.create_entity(
            "IfcSpace",
            GlobalId=ifcopenshell.guid.new(),
            Name="1",
            LongName="Room",
            ObjectPlacement=f.createIfcLocalPlacement(None, origin),
            Representation=f.createIfcProductDefinitionShape(None, None, [body]),
        )
        _Reader(f).read(MAX_ELEMENTS)


def _warm_dxf() -> None:
    from ezdxf.filemanagement import new

    from archbuilder.cad.dxf_reader import read_dxf

    doc = new()
    space = doc.modelspace()
    outline = [(0, 0), (4000, 0), (4000, 3000), (0, 3000)]
    space.add_lwpolyline(outline, close=True, dxfattribs={"layer": "ROOM"})
    space.add_line((0, -100), (4000, -100), dxfattribs={"layer": "WALL"})
    space.add_line((0, 100), (4000, 100), dxfattribs={"layer": "WALL"})
    space.add_text("Kitchen", dxfattribs={"layer": "ROOM"}).set_placement((2000, 1500))
    with tempfile.TemporaryDirectory(prefix="cad-warm-") as folder:
        path = Path(folder) / "warm.dxf"
        doc.saveas(path)
        read_dxf(path)


def _warm_ifc_export() -> None:
    """One small room through the IFC export: its children (``ifc_export_child``) then find the
    schema's declarations and the API's first-call work done (about 80 ms an export otherwise)."""
    from archbuilder.cad.ifc_export import layout_to_ifc
    from archbuilder.domain.layout import LayoutPayload

    corners = [(0, 0), (4000, 0), (4000, 3000), (0, 3000)]
    walls = [
        {
            "id": f"W{n}",
            "start": {"x": x0, "y": y0},
            "end": {"x": x1, "y": y1},
            "thickness_mm": 200,
            "height_mm": 2800,
            "wall_type_name": "Exterior",
            "level_name": "L1",
            "is_exterior": True,
        }
        for n, ((x0, y0), (x1, y1)) in enumerate(zip(corners, corners[1:] + corners[:1], strict=True))
    ]
    payload = LayoutPayload.model_validate(
        {
            "levels": [{"name": "L1", "elevation_mm": 0, "height_mm": 2800}],
            "walls": walls,
            "doors": [
                {"id": "D1", "host_wall_id": "W0", "position_ratio": 0.5, "width_mm": 900,
                 "height_mm": 2100, "type_name": "900 x 2100", "connects": ["R1"]},
            ],
            "windows": [
                {"id": "N1", "host_wall_id": "W2", "position_ratio": 0.5, "width_mm": 1200,
                 "height_mm": 1400, "sill_height_mm": 900, "type_name": "1200 x 1400", "room_id": "R1"},
            ],
            "rooms": [
                {"id": "R1", "name": "Room", "number": "1", "type": "bedroom", "level_name": "L1",
                 "boundary": [{"x": x, "y": y} for x, y in corners], "area_m2": 12.0},
            ],
        }
    )  # fmt: skip
    layout_to_ifc(payload, project_name="warm-up")


for _warm in (_warm_ifc, _warm_dxf, _warm_ifc_export):
    with contextlib.suppress(Exception):
        _warm()

gc.collect()
gc.freeze()
