"""Every writer draws a door as docs/architecture.md "Door handing" says, read back from the file.

One hand-made plan: two rooms either side of an interior wall that carries one door. The wall
is vertical or horizontal and drawn either way; the door takes all four flag combinations.
``convention`` restates the rules on its own (no writer, no ``door_geometry``); the SVG is read
with ElementTree, the DXF with ezdxf and the IFC with ifcopenshell.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from ezdxf import recover

from archbuilder.cad.dxf_export import layout_to_dxf
from archbuilder.cad.ifc_export import layout_to_ifc
from archbuilder.cad.svg_export import layout_to_svg
from archbuilder.domain.layout import Door, LayoutPayload, Level
from tests.unit.payload_parts import flat_shell, rect_room, wall

ifcopenshell = pytest.importorskip("ifcopenshell", reason="ifcopenshell is not installed")

EXT, INT = 250.0, 100.0
WIDTH = 900.0
RATIO = 0.3  # off-centre, so a wall drawn the other way moves the door
SVG = "{http://www.w3.org/2000/svg}"
Vec = tuple[float, float]

# name -> (interior wall start, end); the flat is 8 x 5 m, rooms either side of that wall.
WALLS: dict[str, tuple[Vec, Vec]] = {
    "vertical-north": ((3000.0, 250.0), (3000.0, 4750.0)),
    "vertical-south": ((3000.0, 4750.0), (3000.0, 250.0)),
    "horizontal-east": ((250.0, 2500.0), (7750.0, 2500.0)),
    "horizontal-west": ((7750.0, 2500.0), (250.0, 2500.0)),
}
FLAGS = [(False, False), (True, False), (False, True), (True, True)]  # (flip_hand, flip_facing)


@dataclass(frozen=True)
class Handing:
    hinge: Vec  # on the wall face of the swing side
    swing: Vec  # unit normal of the wall towards the side the leaf opens to


def convention(
    start: Vec, end: Vec, thickness: float, ratio: float, width: float, hand: bool, facing: bool
) -> Handing:
    """The rules of docs/architecture.md, "Door handing", from scratch."""
    length = math.dist(start, end)
    d = ((end[0] - start[0]) / length, (end[1] - start[1]) / length)
    left = (-d[1], d[0])
    n = (-left[0], -left[1]) if facing else left
    along = ratio * length + (width / 2 if hand else -width / 2)
    hinge = (start[0] + d[0] * along + n[0] * thickness / 2, start[1] + d[1] * along + n[1] * thickness / 2)
    return Handing(hinge=hinge, swing=n)


def test_the_convention_helper_on_a_case_worked_by_hand() -> None:
    # Wall drawn north at x = 3000: its left is west. Centre 0.5 * 4500 + 250 = 2500.
    plain = convention((3000, 250), (3000, 4750), 100, 0.5, 900, hand=False, facing=False)
    assert plain.hinge == pytest.approx((2950, 2050)) and plain.swing == pytest.approx((-1, 0))
    both = convention((3000, 250), (3000, 4750), 100, 0.5, 900, hand=True, facing=True)
    assert both.hinge == pytest.approx((3050, 2950)) and both.swing == pytest.approx((1, 0))


def plan(walls: str, hand: bool, facing: bool) -> LayoutPayload:
    start, end = WALLS[walls]
    if start[0] == end[0]:  # vertical: R1 west, R2 east
        rooms = [rect_room("R1", 250, 250, 2950, 4750), rect_room("R2", 3050, 250, 7750, 4750)]
    else:  # horizontal: R1 south, R2 north
        rooms = [rect_room("R1", 250, 250, 7750, 2450), rect_room("R2", 250, 2550, 7750, 4750)]
    swing = convention(start, end, INT, RATIO, WIDTH, hand, facing).swing
    # The swing side is R1 when it points west or south.
    opens_into = "R1" if swing[0] + swing[1] < 0 else "R2"
    return LayoutPayload(
        levels=[Level(name="Level 1", elevation_mm=0, height_mm=2800)],
        walls=[
            *flat_shell(),
            wall("W5", start, end, False),
        ],
        doors=[
            Door(
                id="D1",
                host_wall_id="W5",
                position_ratio=RATIO,
                width_mm=WIDTH,
                height_mm=2100,
                type_name="900 x 2100mm",
                flip_hand=hand,
                flip_facing=facing,
                opens_into=opens_into,
                connects=["R1", "R2"],
            )
        ],
        windows=[],
        rooms=rooms,
    )


def expected(payload: LayoutPayload) -> Handing:
    door = payload.doors[0]
    wall = next(w for w in payload.walls if w.id == door.host_wall_id)
    return convention(
        (wall.start.x, wall.start.y), (wall.end.x, wall.end.y), wall.thickness_mm,
        door.position_ratio, door.width_mm, door.flip_hand, door.flip_facing,
    )  # fmt: skip


# --- readers: each returns the hinge and the open leaf's end in plan millimetres -------------


def svg_leaf(svg: str, payload: LayoutPayload) -> tuple[Vec, Vec]:
    """The door path: M hinge, L open leaf end, A (radius, flags) back to the closed position."""
    root = ET.fromstring(svg)
    # The SVG draws plan y upside down: calibrate on a room whose outline we know.
    polygon = next(p for p in root.iter(f"{SVG}polygon") if p.get("data-room") == "R1")
    first = [float(v) for v in (polygon.get("points") or "").split()[0].split(",")]
    corner = payload.rooms[0].boundary[0]
    assert first[0] == pytest.approx(corner.x)
    flip = first[1] + corner.y
    path = next(p for p in root.iter(f"{SVG}path") if p.get("data-door") == "D1")
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d") or "")]
    assert re.match(r"M \S+ L \S+ A ", path.get("d") or "") and len(numbers) == 11
    hinge, leaf_end = (numbers[0], numbers[1]), (numbers[2], numbers[3])
    radius, large, sweep, closed = numbers[4], numbers[7], numbers[8], (numbers[9], numbers[10])
    # The arc's centre (SVG 1.1 F.6.5, circle, no rotation) must be the hinge, or it swings elsewhere.
    hx, hy = (leaf_end[0] - closed[0]) / 2, (leaf_end[1] - closed[1]) / 2
    sign = -1.0 if large == sweep else 1.0
    coef = sign * math.sqrt(max(radius**2 - hx**2 - hy**2, 0.0) / (hx**2 + hy**2))
    centre = (coef * hy + (leaf_end[0] + closed[0]) / 2, -coef * hx + (leaf_end[1] + closed[1]) / 2)
    assert centre == pytest.approx(hinge, abs=0.5)
    return (hinge[0], flip - hinge[1]), (leaf_end[0], flip - leaf_end[1])


def dxf_leaf(data: bytes) -> tuple[Vec, Vec]:
    """The ARC's centre is the hinge; the leaf LINE runs from it to the open leaf's end."""
    doc, _ = recover.read(io.BytesIO(data))  # in the code page its header names
    door = [e for e in doc.modelspace() if e.dxf.layer == "A-DOOR"]
    (arc,) = [e for e in door if e.dxftype() == "ARC"]
    hinge = (arc.dxf.center.x, arc.dxf.center.y)
    ends = []
    for line in (e for e in door if e.dxftype() == "LINE"):
        a, b = (line.dxf.start.x, line.dxf.start.y), (line.dxf.end.x, line.dxf.end.y)
        if math.dist(a, hinge) < 0.5:
            ends.append(b)
        elif math.dist(b, hinge) < 0.5:
            ends.append(a)
    assert len(ends) == 1
    assert arc.dxf.radius == pytest.approx(WIDTH)
    # The arc spans 90° from the closed leaf to the open one, counter-clockwise.
    span = (arc.dxf.end_angle - arc.dxf.start_angle) % 360
    assert span == pytest.approx(90)
    open_at = math.degrees(math.atan2(ends[0][1] - hinge[1], ends[0][0] - hinge[0]))
    assert min(abs((open_at - a + 180) % 360 - 180) for a in (arc.dxf.start_angle, arc.dxf.end_angle)) < 0.01
    return hinge, ends[0]


def ifc_leaf(data: bytes, tmp_path: Path) -> tuple[Vec, Vec, float]:
    """IFC4: the leaf opens towards local +y; SINGLE_SWING_LEFT has its hinge on the left looking
    along +y (local x = 0), SINGLE_SWING_RIGHT on the right (x = OverallWidth).

    Returns the hinge on the door's axis, the open leaf's end and the door's placement determinant.
    """
    import ifcopenshell.util.placement
    import ifcopenshell.util.unit

    path = tmp_path / "door.ifc"
    path.write_bytes(data)
    f = ifcopenshell.open(str(path))
    (door,) = [d for d in f.by_type("IfcDoor") if d.Tag == "D1"]
    mm = ifcopenshell.util.unit.calculate_unit_scale(f) * 1000.0
    matrix = np.array(ifcopenshell.util.placement.get_local_placement(door.ObjectPlacement))
    origin, x_axis, y_axis = matrix[:3, 3] * mm, matrix[:3, 0], matrix[:3, 1]
    assert door.OperationType in ("SINGLE_SWING_LEFT", "SINGLE_SWING_RIGHT")
    local_x = 0.0 if door.OperationType == "SINGLE_SWING_LEFT" else door.OverallWidth * mm
    hinge = origin + x_axis * local_x
    leaf_end = hinge + y_axis * door.OverallWidth * mm
    determinant = float(np.linalg.det(matrix[:3, :3]))
    return (float(hinge[0]), float(hinge[1])), (float(leaf_end[0]), float(leaf_end[1])), determinant


def ifc_door_box(data: bytes, tmp_path: Path) -> tuple[float, float, float, float]:
    """The plan bounds of the door's body, built by the geometry kernel in world coordinates."""
    import ifcopenshell.geom

    path = tmp_path / "box.ifc"
    path.write_bytes(data)
    f = ifcopenshell.open(str(path))
    (door,) = f.by_type("IfcDoor")
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    shape = ifcopenshell.geom.create_shape(settings, door)
    vertices = np.array(shape.geometry.verts).reshape(-1, 3) * 1000.0  # the kernel speaks metres
    return (
        float(vertices[:, 0].min()),
        float(vertices[:, 1].min()),
        float(vertices[:, 0].max()),
        float(vertices[:, 1].max()),
    )


# --- the checks ---------------------------------------------------------------------------------


def assert_leaf(hinge: Vec, leaf_end: Vec, want: Handing, *, on_face: bool = True) -> None:
    target = (
        want.hinge
        if on_face
        else (want.hinge[0] - want.swing[0] * INT / 2, want.hinge[1] - want.swing[1] * INT / 2)
    )
    assert hinge == pytest.approx(target, abs=0.5)
    leaf = ((leaf_end[0] - hinge[0]) / WIDTH, (leaf_end[1] - hinge[1]) / WIDTH)
    assert leaf == pytest.approx(want.swing, abs=1e-3)


CASES = [pytest.param(w, h, f, id=f"{w}-hand{int(h)}-facing{int(f)}") for w in WALLS for h, f in FLAGS]


@pytest.mark.parametrize(("walls", "hand", "facing"), CASES)
def test_svg_draws_the_convention(walls: str, hand: bool, facing: bool) -> None:
    payload = plan(walls, hand, facing)
    assert_leaf(*svg_leaf(layout_to_svg(payload), payload), expected(payload))


@pytest.mark.parametrize(("walls", "hand", "facing"), CASES)
def test_dxf_draws_the_convention(walls: str, hand: bool, facing: bool) -> None:
    payload = plan(walls, hand, facing)
    assert_leaf(*dxf_leaf(layout_to_dxf(payload)), expected(payload))


@pytest.mark.parametrize(("walls", "hand", "facing"), CASES)
def test_ifc_carries_the_convention(walls: str, hand: bool, facing: bool, tmp_path: Path) -> None:
    payload = plan(walls, hand, facing)
    data = layout_to_ifc(payload, project_name="Handing")
    hinge, leaf_end, determinant = ifc_leaf(data, tmp_path)
    # The IFC door stands on the wall's axis: its hinge line is the face hinge moved to the centreline.
    assert_leaf(hinge, leaf_end, expected(payload), on_face=False)
    assert determinant == pytest.approx(1.0)  # turned, never mirrored
    # Turning the placement leaves the door's body over its opening.
    start, end = WALLS[walls]
    length = math.dist(start, end)
    d = ((end[0] - start[0]) / length, (end[1] - start[1]) / length)
    centre = (start[0] + d[0] * RATIO * length, start[1] + d[1] * RATIO * length)
    x0, y0, x1, y1 = ifc_door_box(data, tmp_path)
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx(centre, abs=0.5)
    assert max(x1 - x0, y1 - y0) == pytest.approx(WIDTH, abs=0.5)


READERS = {
    "svg": lambda p, _: svg_leaf(layout_to_svg(p), p),
    "dxf": lambda p, _: dxf_leaf(layout_to_dxf(p)),
    "ifc": lambda p, tmp: ifc_leaf(layout_to_ifc(p, project_name="Handing"), tmp)[:2],
}


@pytest.mark.parametrize("writer", sorted(READERS))
def test_each_flag_moves_what_it_should_and_nothing_else(writer: str, tmp_path: Path) -> None:
    read = READERS[writer]
    hinge, leaf_end = read(plan("vertical-north", False, False), tmp_path)
    hand_hinge, hand_end = read(plan("vertical-north", True, False), tmp_path)
    face_hinge, face_end = read(plan("vertical-north", False, True), tmp_path)
    swing = (leaf_end[0] - hinge[0], leaf_end[1] - hinge[1])
    # flip_hand: the hinge moves one door width along the wall (north); the swing side stays.
    assert (hand_hinge[0] - hinge[0], hand_hinge[1] - hinge[1]) == pytest.approx((0, WIDTH), abs=0.5)
    assert (hand_end[0] - hand_hinge[0], hand_end[1] - hand_hinge[1]) == pytest.approx(swing, abs=0.5)
    # flip_facing: the leaf opens to the other side (west -> east); the hinge stays at the south end.
    assert swing[0] < 0
    assert (face_end[0] - face_hinge[0], face_end[1] - face_hinge[1]) == pytest.approx(
        (-swing[0], 0), abs=0.5
    )
    assert face_hinge[1] == pytest.approx(hinge[1], abs=0.5)


def test_ifc_operation_type_follows_both_flags(tmp_path: Path) -> None:
    import ifcopenshell.util.placement

    seen = {}
    for hand, facing in FLAGS:
        path = tmp_path / f"{hand}-{facing}.ifc"
        path.write_bytes(layout_to_ifc(plan("horizontal-east", hand, facing), project_name="Handing"))
        (door,) = ifcopenshell.open(str(path)).by_type("IfcDoor")
        y_axis = np.array(ifcopenshell.util.placement.get_local_placement(door.ObjectPlacement))[:3, 1]
        seen[(hand, facing)] = (door.OperationType, round(float(y_axis[1])))
    # Wall drawn east: its left is north (+y). flip_facing turns the door so +y points south.
    assert seen == {
        (False, False): ("SINGLE_SWING_LEFT", 1),
        (True, False): ("SINGLE_SWING_RIGHT", 1),
        (False, True): ("SINGLE_SWING_RIGHT", -1),
        (True, True): ("SINGLE_SWING_LEFT", -1),
    }


def test_the_ifc_file_with_swings_is_still_valid(tmp_path: Path) -> None:
    import ifcopenshell.validate

    path = tmp_path / "flipped.ifc"
    path.write_bytes(layout_to_ifc(plan("vertical-south", True, True), project_name="Handing"))
    logger = ifcopenshell.validate.json_logger()
    ifcopenshell.validate.validate(ifcopenshell.open(str(path)), logger, express_rules=False)
    assert logger.statements == []
