"""Layout payload to a DXF drawing (AutoCAD 2013, millimetres), on AIA-style layers.

Walls as closed outlines, doors with their swing, windows, room outlines with labels (name,
number, area) and the overall width and depth of the outer envelope as linear dimensions on
``A-ANNO-DIMS``. The file passes ezdxf's audit and ``recover`` with no errors.
"""

from __future__ import annotations

import io
import math

from ezdxf.document import Drawing
from ezdxf.filemanagement import new as new_drawing
from ezdxf.layouts.layout import Modelspace
from ezdxf.math import Vec2
from shapely.geometry import LineString, Polygon
from shapely.ops import unary_union

from archbuilder.domain.layout import Door, LayoutPayload, Room, Wall, Window
from archbuilder.layout.door_geometry import door_geometry

LAYERS: dict[str, int] = {  # name -> AutoCAD colour index
    "A-WALL": 7,  # white/black
    "A-DOOR": 3,  # green
    "A-GLAZ": 4,  # cyan
    "A-AREA": 8,  # grey
    "A-AREA-IDEN": 2,  # yellow
    "A-ANNO-DIMS": 1,  # red
}
TEXT_HEIGHT_MM = 200.0
INSUNITS_MM = 4
DIMSTYLE = "ARCHBUILDER"
DIM_OFFSET_MM = 1000.0  # dimension lines this far outside the envelope


def layout_to_dxf(payload: LayoutPayload) -> bytes:
    """The payload drawn in plan: walls, doors, windows, room outlines and labels."""
    doc = new_drawing("R2013", setup=True)
    doc.header["$INSUNITS"] = INSUNITS_MM
    doc.header["$MEASUREMENT"] = 1  # metric
    for name, colour in LAYERS.items():
        doc.layers.add(name, color=colour)
    msp = doc.modelspace()
    walls = {w.id: w for w in payload.walls}
    for wall in payload.walls:
        _wall(msp, wall)
    for door in payload.doors:
        if door.host_wall_id in walls and door.is_opening:
            a, b, _, _ = _opening(walls[door.host_wall_id], door.position_ratio, door.width_mm)
            msp.add_line(a, b, dxfattribs={"layer": "A-DOOR"})  # a cased opening has no leaf
        elif door.host_wall_id in walls:
            _door(msp, door, walls[door.host_wall_id])
    for window in payload.windows:
        if window.host_wall_id in walls:
            _window(msp, window, walls[window.host_wall_id])
    for room in payload.rooms:
        _room(msp, room)
    _envelope_dimensions(doc, msp, payload.walls)
    return _to_bytes(doc)


def envelope(walls: list[Wall]) -> tuple[float, float, float, float] | None:
    """(min x, min y, max x, max y) of the outer walls' outlines (all walls when none is exterior)."""
    outer = [w for w in walls if w.is_exterior] or walls
    outlines = [
        LineString([(w.start.x, w.start.y), (w.end.x, w.end.y)]).buffer(
            w.thickness_mm / 2, cap_style="flat", join_style="mitre"
        )
        for w in outer
        if (w.start.x, w.start.y) != (w.end.x, w.end.y)
    ]
    if not outlines:
        return None
    minx, miny, maxx, maxy = unary_union(outlines).bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def _envelope_dimensions(doc: Drawing, msp: Modelspace, walls: list[Wall]) -> None:
    """The overall width (below the plan) and depth (left of it) as linear dimensions."""
    box = envelope(walls)
    if box is None:
        return
    minx, miny, maxx, maxy = box
    style = doc.dimstyles.duplicate_entry("EZDXF", DIMSTYLE)
    style.dxf.dimtxt = TEXT_HEIGHT_MM * 1.25  # text height
    style.dxf.dimasz = TEXT_HEIGHT_MM  # arrow size
    style.dxf.dimexo = TEXT_HEIGHT_MM / 2  # extension lines start this far from the wall
    style.dxf.dimexe = TEXT_HEIGHT_MM / 2  # … and run this far past the dimension line
    style.dxf.dimgap = TEXT_HEIGHT_MM / 4
    style.dxf.dimlfac = 1.0  # the EZDXF style scales lengths by 100 (metres drawn, cm shown)
    style.dxf.dimdec = 0  # whole millimetres
    style.dxf.dimtad = 1  # text above the line
    attribs = {"layer": "A-ANNO-DIMS"}
    msp.add_linear_dim(
        base=(minx, miny - DIM_OFFSET_MM), p1=(minx, miny), p2=(maxx, miny), angle=0,
        dimstyle=DIMSTYLE, dxfattribs=attribs,
    ).render()  # fmt: skip
    msp.add_linear_dim(
        base=(minx - DIM_OFFSET_MM, miny), p1=(minx, miny), p2=(minx, maxy), angle=90,
        dimstyle=DIMSTYLE, dxfattribs=attribs,
    ).render()  # fmt: skip


def _to_bytes(doc: Drawing) -> bytes:
    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue().encode("utf-8")


def _axis(wall: Wall) -> tuple[Vec2, Vec2, Vec2, float]:
    """Start point, unit direction, unit normal (left of the direction) and length."""
    start, end = Vec2(wall.start.x, wall.start.y), Vec2(wall.end.x, wall.end.y)
    length = (end - start).magnitude
    direction = (end - start).normalize() if length > 0 else Vec2(1, 0)
    return start, direction, direction.orthogonal(), length


def _wall(msp: Modelspace, wall: Wall) -> None:
    line = LineString([(wall.start.x, wall.start.y), (wall.end.x, wall.end.y)])
    if line.length == 0:
        return
    outline = line.buffer(wall.thickness_mm / 2, cap_style="flat", join_style="mitre")
    if isinstance(outline, Polygon):
        msp.add_lwpolyline(list(outline.exterior.coords)[:-1], close=True, dxfattribs={"layer": "A-WALL"})


def _opening(wall: Wall, ratio: float, width: float) -> tuple[Vec2, Vec2, Vec2, Vec2]:
    """Opening ends on the centreline, the wall direction and the normal."""
    start, direction, normal, length = _axis(wall)
    centre = start + direction * (ratio * length)
    half = direction * (width / 2)
    return centre - half, centre + half, direction, normal


def _door(msp: Modelspace, door: Door, wall: Wall) -> None:
    """Leaf drawn open at 90° from the hinge side, with its quarter-circle swing.

    Handing as in docs/architecture.md "Door handing": the ARC is centred on the hinge and the
    leaf LINE runs from the hinge to the open leaf's end, on the swing side of the wall.
    """
    a, b, _, _ = _opening(wall, door.position_ratio, door.width_mm)
    g = door_geometry(door, wall)
    hinge, latch = Vec2(g.hinge), Vec2(g.latch)
    leaf_end = hinge + Vec2(g.swing_normal) * door.width_mm
    attribs = {"layer": "A-DOOR"}
    msp.add_line(a, b, dxfattribs=attribs)  # the opening across the wall
    msp.add_line(hinge, leaf_end, dxfattribs=attribs)
    start_angle = math.degrees(math.atan2((latch - hinge).y, (latch - hinge).x))
    end_angle = math.degrees(math.atan2((leaf_end - hinge).y, (leaf_end - hinge).x))
    # ARCs run counter-clockwise from start to end angle; pick the order that gives the 90° sweep.
    if (end_angle - start_angle) % 360 > 180:
        start_angle, end_angle = end_angle, start_angle
    msp.add_arc(hinge, door.width_mm, start_angle, end_angle, dxfattribs=attribs)


def _window(msp: Modelspace, window: Window, wall: Wall) -> None:
    """Two glazing lines along the wall and the jambs across it."""
    a, b, _, normal = _opening(wall, window.position_ratio, window.width_mm)
    attribs = {"layer": "A-GLAZ"}
    for offset in (-wall.thickness_mm / 6, wall.thickness_mm / 6):
        msp.add_line(a + normal * offset, b + normal * offset, dxfattribs=attribs)
    half = normal * (wall.thickness_mm / 2)
    for end in (a, b):
        msp.add_line(end - half, end + half, dxfattribs=attribs)


def _room(msp: Modelspace, room: Room) -> None:
    points = [(p.x, p.y) for p in room.boundary]
    msp.add_lwpolyline(points, close=True, dxfattribs={"layer": "A-AREA"})
    polygon = Polygon(points)
    anchor = polygon.representative_point() if polygon.is_valid else polygon.centroid
    label = f"{room.name}\\P{room.number}\\P{room.area_m2:.1f} m²"
    text = msp.add_mtext(label, dxfattribs={"layer": "A-AREA-IDEN", "char_height": TEXT_HEIGHT_MM})
    text.set_location((anchor.x, anchor.y), attachment_point=5)  # middle centre
