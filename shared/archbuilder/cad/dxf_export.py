"""Layout payload to a DXF drawing (AutoCAD 2004) on AIA-style layers, in the project's units.

Walls as closed outlines, doors with their swing, windows, room outlines with labels (name,
number, area) and the overall width and depth of the outer envelope as linear dimensions on
``A-ANNO-DIMS``. The file passes ezdxf's audit and ``recover`` with no errors.

Encoding: R2004 is the last DXF version whose text is in the code page that ``$DWGCODEPAGE``
names (R2007 and later are UTF-8 whatever that header says, so a reader that trusts the header
misreads them). The drawing takes the first of ``CODEPAGES`` in which all of its text can be
written (Western European, then Turkish, ...); a character none of them has is written as
``\\U+nnnn``, which AutoCAD and ezdxf decode. ``$EXTMIN``/``$EXTMAX`` and the initial view
cover what is drawn. Metric drawings are in millimetres with areas in m²; imperial ones in
inches with areas in ft² and dimensions in feet and inches. The areas are written as the
project's language writes numbers (25,3 m² in tr, de, fr and es), as in the SVG.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass

from ezdxf import bbox, zoom
from ezdxf.document import Drawing
from ezdxf.filemanagement import new as new_drawing
from ezdxf.layouts.layout import Modelspace
from ezdxf.math import Vec2
from shapely.geometry import LineString, Polygon
from shapely.ops import unary_union

from archbuilder.domain.layout import Door, LayoutPayload, Room, Wall, Window
from archbuilder.domain.project import Units
from archbuilder.layout.door_geometry import door_geometry
from archbuilder.layout.type_names import MM_PER_INCH, ft_in
from archbuilder.platform.i18n import DEFAULT_LANGUAGE, number_text

LAYERS: dict[str, int] = {  # name -> AutoCAD colour index
    "A-WALL": 7,  # white/black
    "A-DOOR": 3,  # green
    "A-GLAZ": 4,  # cyan
    "A-AREA": 8,  # grey
    "A-AREA-IDEN": 2,  # yellow
    "A-ANNO-DIMS": 1,  # red
}
DXF_VERSION = "R2004"
# ANSI code pages in the order tried; the first that can write every text of the drawing is used.
CODEPAGES = ("cp1252", "cp1254", "cp1257", "cp1253", "cp1250", "cp1251")
TEXT_HEIGHT_MM = 200.0
DIMSTYLE = "ARCHBUILDER"
DIM_OFFSET_MM = 1000.0  # dimension lines this far outside the envelope
SQ_FT_PER_M2 = 1 / 0.09290304


@dataclass(frozen=True)
class DrawingUnits:
    """How a project's units are drawn: the header values and millimetres to drawing units."""

    insunits: int  # $INSUNITS: 4 millimetres, 1 inches
    measurement: int  # $MEASUREMENT: 1 metric, 0 imperial
    lunits: int  # $LUNITS: 2 decimal, 4 architectural (feet and inches)
    per_mm: float  # drawing units per millimetre

    @property
    def imperial(self) -> bool:
        return self.measurement == 0

    def area_label(self, area_m2: float, language: str = DEFAULT_LANGUAGE) -> str:
        """A room's area as ``language`` writes numbers: whole ft², or m² to one decimal."""
        if self.imperial:
            return f"{number_text(area_m2 * SQ_FT_PER_M2, language, 0)} ft²"
        return f"{number_text(area_m2, language, 1)} m²"


DRAWING_UNITS = {
    Units.metric: DrawingUnits(insunits=4, measurement=1, lunits=2, per_mm=1.0),
    Units.imperial: DrawingUnits(insunits=1, measurement=0, lunits=4, per_mm=1 / MM_PER_INCH),
}


def layout_to_dxf(
    payload: LayoutPayload, *, units: Units = Units.metric, language: str = DEFAULT_LANGUAGE
) -> bytes:
    """The payload drawn in plan: walls, doors, windows, room outlines and labels (their areas
    written as ``language`` writes numbers).

    Everything is drawn in millimetres, then (imperial) scaled to inches as a whole; the
    dimensions come last, in drawing units.
    """
    drawing_units = DRAWING_UNITS[units]
    labels = {room.id: _label(room, drawing_units, language) for room in payload.rooms}
    doc = new_drawing(DXF_VERSION, setup=True)
    doc.encoding = _codepage(labels.values())  # also sets $DWGCODEPAGE
    doc.header["$INSUNITS"] = drawing_units.insunits
    doc.header["$MEASUREMENT"] = drawing_units.measurement
    doc.header["$LUNITS"] = drawing_units.lunits
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
        _room(msp, room, labels[room.id])
    if drawing_units.imperial:
        for entity in msp:
            entity.scale_uniform(drawing_units.per_mm)
    _envelope_dimensions(doc, msp, payload.walls, drawing_units)
    _set_extents(msp)
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


def _envelope_dimensions(doc: Drawing, msp: Modelspace, walls: list[Wall], units: DrawingUnits) -> None:
    """The overall width (below the plan) and depth (left of it) as linear dimensions: whole
    millimetres, or feet and inches to the eighth (the text given, as ezdxf renders decimals only)."""
    box = envelope(walls)
    if box is None:
        return
    minx, miny, maxx, maxy = (v * units.per_mm for v in box)
    text_height = TEXT_HEIGHT_MM * units.per_mm
    offset = DIM_OFFSET_MM * units.per_mm
    style = doc.dimstyles.duplicate_entry("EZDXF", DIMSTYLE)
    style.dxf.dimtxt = text_height * 1.25  # text height
    style.dxf.dimasz = text_height  # arrow size
    style.dxf.dimexo = text_height / 2  # extension lines start this far from the wall
    style.dxf.dimexe = text_height / 2  # … and run this far past the dimension line
    style.dxf.dimgap = text_height / 4
    style.dxf.dimlfac = 1.0  # the EZDXF style scales lengths by 100 (metres drawn, cm shown)
    imperial = units.imperial
    style.dxf.dimlunit = units.lunits  # for a CAD program that measures again
    style.dxf.dimdec = 3 if imperial else 0  # to the eighth of an inch, whole millimetres
    style.dxf.dimtad = 1  # text above the line
    width = ft_in(box[2] - box[0]) if imperial else "<>"  # "<>": the measurement
    depth = ft_in(box[3] - box[1]) if imperial else "<>"
    attribs = {"layer": "A-ANNO-DIMS"}
    msp.add_linear_dim(
        base=(minx, miny - offset), p1=(minx, miny), p2=(maxx, miny), angle=0,
        text=width, dimstyle=DIMSTYLE, dxfattribs=attribs,
    ).render()  # fmt: skip
    msp.add_linear_dim(
        base=(minx - offset, miny), p1=(minx, miny), p2=(minx, maxy), angle=90,
        text=depth, dimstyle=DIMSTYLE, dxfattribs=attribs,
    ).render()  # fmt: skip


def _set_extents(msp: Modelspace) -> None:
    """``$EXTMIN``/``$EXTMAX`` (written from the modelspace's extents) and the initial view
    around everything drawn, so "zoom extents" and opening the file show the plan."""
    extents = bbox.extents(msp)
    if extents.has_data:
        msp.reset_extents(extents.extmin, extents.extmax)
        zoom.extents(msp, factor=1.1)


def _codepage(texts: Iterable[str]) -> str:
    """The first of ``CODEPAGES`` in which every text can be written (else the first)."""
    strings = list(texts)
    for codepage in CODEPAGES:
        if all(_encodes(text, codepage) for text in strings):
            return codepage
    return CODEPAGES[0]


def _encodes(text: str, codepage: str) -> bool:
    try:
        text.encode(codepage)
    except UnicodeEncodeError:
        return False
    return True


def _to_bytes(doc: Drawing) -> bytes:
    """The drawing in its code page (``doc.encode`` writes what it lacks as ``\\U+nnnn``)."""
    stream = io.StringIO()
    doc.write(stream)
    return doc.encode(stream.getvalue())


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


def _label(room: Room, units: DrawingUnits, language: str) -> str:
    """The MTEXT of a room's label: name, number and area on three lines."""
    return f"{room.name}\\P{room.number}\\P{units.area_label(room.area_m2, language)}"


def _room(msp: Modelspace, room: Room, label: str) -> None:
    points = [(p.x, p.y) for p in room.boundary]
    msp.add_lwpolyline(points, close=True, dxfattribs={"layer": "A-AREA"})
    polygon = Polygon(points)
    anchor = polygon.representative_point() if polygon.is_valid else polygon.centroid
    text = msp.add_mtext(label, dxfattribs={"layer": "A-AREA-IDEN", "char_height": TEXT_HEIGHT_MM})
    text.set_location((anchor.x, anchor.y), attachment_point=5)  # middle centre
