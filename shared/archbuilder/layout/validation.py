"""Checks a layout payload against what the Revit add-in accepts and basic building sense.

Independent of how the layout was made: a planner, a person's edit or an import all go
through ``validate_layout`` before a payload is stored or sent.
"""

from __future__ import annotations

from collections import defaultdict, deque

from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import unary_union

from archbuilder.domain.brief import BuildingType, RoomType
from archbuilder.domain.layout import Door, LayoutPayload, Room, Wall, Window
from archbuilder.layout.door_geometry import DoorGeometry, door_geometry
from archbuilder.layout.room_minimums import room_minimums
from archbuilder.platform.errors import Reason

# What the add-in accepts (ARCHITECTURE.md §4).
MIN_WALL_LENGTH_MM = 100.0
WALL_HEIGHT_MM = (1000.0, 5000.0)
DOOR_WIDTH_MM = (600.0, 2000.0)
DOOR_HEIGHT_MM = (1800.0, 2500.0)
WINDOW_SIZE_MM = (600.0, 3000.0)
ROOM_AREA_M2 = Room.ADDIN_AREA_M2  # 1–1000 m²; the payload model itself takes any area > 0

LENGTH_TOLERANCE_MM = 1.0
OVERLAP_TOLERANCE_MM2 = 1.0
AREA_TOLERANCE_M2 = 0.01
AREA_TOLERANCE_RATIO = 0.005
DOOR_FRAME_MM = 50.0  # each side of the leaf: the frame needs wall on both rooms' side
PROBE_MM = 100.0  # how far past a wall face the door probes look for a room
SWING_PROBE_MM = 300.0  # from the wall centreline, on the swing side: the room the leaf opens into
SWING_TOLERANCE_MM = 20.0  # a swing may pass a room's outline by this much (drawing tolerance)
SWING_OVERLAP_MM2 = SWING_TOLERANCE_MM**2  # less shared floor than this is not a clash
EXTERIOR = "exterior"  # ``Door.opens_into`` of an entrance door whose leaf swings outside
GAP_TOLERANCE_M2 = 0.05


def validate_layout(payload: LayoutPayload, footprint: list[tuple[float, float]]) -> list[str]:
    """Human-readable problems with the payload (in English); an empty list means it is valid."""
    return [problem.text for problem in layout_problems(payload, footprint)]


def layout_problems(payload: LayoutPayload, footprint: list[tuple[float, float]]) -> list[Reason]:
    """What ``validate_layout`` finds, each as a ``Reason`` (``messages/reasons.yaml``, rooms
    named by their names) whose English text is the line ``validate_layout`` returns."""
    outline = Polygon(footprint)
    # The footprint grown by the drawing tolerance, once: every wall and room is tested in it.
    near_walls = outline.buffer(LENGTH_TOLERANCE_MM)
    near_rooms = outline.buffer(LENGTH_TOLERANCE_MM, join_style="mitre")
    walls = {w.id: w for w in payload.walls}
    names = {r.id: r.name for r in payload.rooms}
    problems: list[Reason] = []
    problems += _unique_ids(payload)
    problems += _levels(payload)
    problems += [p for w in payload.walls for p in _wall_problems(w, outline, near_walls)]
    problems += [p for d in payload.doors for p in _door_problems(d, walls, names)]
    problems += [p for n in payload.windows for p in _window_problems(n, walls, names)]
    problems += _opening_overlaps(payload, walls)
    polygons: dict[str, Polygon] = {}
    for room in payload.rooms:
        room_problems, polygon = _room_problems(room, near_rooms)
        problems += room_problems
        if polygon is not None:
            polygons[room.id] = polygon
    problems += _room_overlaps(polygons, names)
    problems += _reachability(payload)
    problems += _door_sides(payload, walls, polygons, outline, names)
    problems += _door_swings(payload, walls, polygons, outline, names)
    problems += _gaps(payload, outline, polygons)
    return problems


def _door_sides(
    payload: LayoutPayload,
    walls: dict[str, Wall],
    polygons: dict[str, Polygon],
    outline: Polygon,
    names: dict[str, str],
) -> list[Reason]:
    """A door's leaf and frame open into exactly the rooms it connects (or outside, for one);
    ``names``: room id -> name, for the reasons (an id the payload does not name stays an id)."""
    problems = []
    for door in payload.doors:
        wall = walls.get(door.host_wall_id)
        if wall is None or wall.length_mm() <= 0:
            continue
        sx, sy, ex, ey = wall.start.x, wall.start.y, wall.end.x, wall.end.y
        length = wall.length_mm()
        ux, uy = (ex - sx) / length, (ey - sy) / length
        reach = wall.thickness_mm / 2 + PROBE_MM
        centre = door.position_ratio * length
        for along in (
            centre - door.width_mm / 2 - DOOR_FRAME_MM,
            centre,
            centre + door.width_mm / 2 + DOOR_FRAME_MM,
        ):
            px, py = sx + ux * along, sy + uy * along
            sides = [
                _room_at(px - uy * reach, py + ux * reach, polygons, outline),
                _room_at(px + uy * reach, py - ux * reach, polygons, outline),
            ]
            expected = (
                sorted(door.connects) if len(door.connects) == 2 else sorted([door.connects[0], "outside"])
            )
            if sorted(sides) != expected:
                problems.append(
                    Reason(
                        "door_not_between_rooms",
                        f"door {door.id}: leaf and frame do not sit between {' and '.join(door.connects)}"
                        f" (found {' and '.join(sides)})",
                        {"door": door.id, "rooms": [names.get(r, r) for r in door.connects]},
                    )
                )
                break
    return problems


def _door_swings(
    payload: LayoutPayload,
    walls: dict[str, Wall],
    polygons: dict[str, Polygon],
    outline: Polygon,
    names: dict[str, str],
) -> list[Reason]:
    """The leaf swings into ``opens_into``, its quarter disc stays in that room and is clear of
    the other doors' swings there and of every other doorway (docs/architecture.md, "Door handing").

    Doors without ``opens_into`` (payloads older than the field) are not checked here.
    """
    placed: dict[str, DoorGeometry] = {}
    for door in payload.doors:
        wall = walls.get(door.host_wall_id)
        if wall is not None and wall.length_mm() > 0:
            placed[door.id] = door_geometry(door, wall)
    problems = []
    swings: list[tuple[Door, Polygon]] = []
    grown: dict[str, Polygon] = {}  # each room grown by the swing tolerance, when a leaf opens into it
    for door in payload.doors:
        geometry = placed.get(door.id)
        if door.opens_into is None or geometry is None or not _opens_into_known(door):
            continue
        probe = geometry.probe(max(SWING_PROBE_MM, geometry.thickness / 2 + PROBE_MM))
        found = _room_at(*probe, polygons, outline)
        expected = "outside" if door.opens_into == EXTERIOR else door.opens_into
        if found != expected:
            text = (
                f"door {door.id}: the leaf swings into {found}, not {door.opens_into}"
                f" (flip_facing={door.flip_facing})"
            )
            if door.opens_into == EXTERIOR:
                problems.append(Reason("door_not_opening_outside", text, {"door": door.id}))
            else:
                room_name = names.get(expected, expected)
                problems.append(Reason("door_swings_elsewhere", text, {"door": door.id, "room": room_name}))
            continue
        swing = geometry.swing
        room = polygons.get(door.opens_into)
        if room is not None and door.opens_into not in grown:
            grown[door.opens_into] = room.buffer(SWING_TOLERANCE_MM, join_style="mitre")
        if door.opens_into in grown and not grown[door.opens_into].contains(swing):
            problems.append(
                Reason(
                    "door_swing_leaves_room",
                    f"door {door.id}: the leaf's swing leaves room {door.opens_into}",
                    {"door": door.id, "room": names.get(door.opens_into, door.opens_into)},
                )
            )
        for other, other_swing in swings:
            if other.opens_into == door.opens_into and _overlap(swing, other_swing):
                problems.append(
                    Reason(
                        "door_swings_overlap",
                        f"doors {other.id} and {door.id}: swings overlap in {door.opens_into}",
                        {
                            "door": other.id,
                            "other": door.id,
                            "room": names.get(door.opens_into, door.opens_into),
                        },
                    )
                )
        swings.append((door, swing))
        for other_id, other_geometry in placed.items():
            if other_id != door.id and _overlap(swing, other_geometry.passage(PROBE_MM)):
                problems.append(
                    Reason(
                        "door_swing_crosses_doorway",
                        f"door {door.id}: the leaf's swing crosses the doorway of door {other_id}",
                        {"door": door.id, "other": other_id},
                    )
                )
    return problems


def _overlap(a: Polygon, b: Polygon) -> bool:
    return _bounds_overlap(a, b) and a.intersection(b).area > SWING_OVERLAP_MM2


def _room_at(x: float, y: float, polygons: dict[str, Polygon], outline: Polygon) -> str:
    point = Point(x, y)
    if not outline.contains(point):
        return "outside"
    return next((rid for rid, poly in polygons.items() if poly.contains(point)), "wall")


def _gaps(payload: LayoutPayload, outline: Polygon, polygons: dict[str, Polygon]) -> list[Reason]:
    """Inside the exterior walls, every bit of floor is a room or an interior wall."""
    exterior = [w for w in payload.walls if w.is_exterior]
    if not exterior or not polygons:
        return []
    inner = outline.buffer(-max(w.thickness_mm for w in exterior), join_style="mitre")
    bands = [
        LineString([(w.start.x, w.start.y), (w.end.x, w.end.y)]).buffer(
            w.thickness_mm / 2 + 1, cap_style="flat"
        )
        for w in payload.walls
        if not w.is_exterior and w.length_mm() > 0
    ]
    joins = [
        box(
            w.start.x - w.thickness_mm / 2 - 1,
            w.start.y - w.thickness_mm / 2 - 1,
            w.start.x + w.thickness_mm / 2 + 1,
            w.start.y + w.thickness_mm / 2 + 1,
        )
        for w in payload.walls
    ]
    joins += [
        box(
            w.end.x - w.thickness_mm / 2 - 1,
            w.end.y - w.thickness_mm / 2 - 1,
            w.end.x + w.thickness_mm / 2 + 1,
            w.end.y + w.thickness_mm / 2 + 1,
        )
        for w in payload.walls
    ]
    covered = unary_union([*polygons.values(), *bands, *joins])
    gap = inner.difference(covered).area / 1e6
    if gap > GAP_TOLERANCE_M2:
        return [
            Reason(
                "floor_in_no_room",
                f"{gap:.2f} m² inside the exterior walls belong to no room (label it storage or shaft)",
                {"area_m2": round(gap, 2)},
            )
        ]
    return []


def validate_rules(payload: LayoutPayload, region: str, building_type: BuildingType) -> list[str]:
    """The region minimums (area, narrow side, glazing, windowless wet rooms) per room.

    Measured here from the payload alone: the narrow side is the side of the largest square
    that fits in the room's outline (a rectangle's shorter side).
    """
    return [problem.text for problem in rule_problems(payload, region, building_type)]


def rule_problems(payload: LayoutPayload, region: str, building_type: BuildingType) -> list[Reason]:
    """What ``validate_rules`` finds, each as a ``Reason`` (``messages/reasons.yaml``) that
    names the room by its name: its English text is the line ``validate_rules`` returns."""
    rules = room_minimums(region, building_type)
    walls = {w.id: w for w in payload.walls}
    glazing: dict[str, float] = defaultdict(float)
    for window in payload.windows:
        wall = walls.get(window.host_wall_id)
        if wall is not None and wall.is_exterior:
            glazing[window.room_id] += window.width_mm * window.height_mm / 1e6
    problems = []
    for room in payload.rooms:
        rule = rules.get(room.type)
        if rule is None:
            continue
        polygon = Polygon([(p.x, p.y) for p in room.boundary])
        area = polygon.area / 1e6
        named = f"room {room.id} ({room.type.value})"
        if rule.area_m2 is not None and area < rule.area_m2 - 1e-6:
            problems.append(
                Reason(
                    "room_area_under",
                    f"{named}: {area:.2f} m² under {rule.area_m2:g} m²",
                    {"room": room.name, "area_m2": round(area, 2), "minimum_m2": rule.area_m2},
                )
            )
        if rule.narrow_side_mm is not None:
            narrow = narrow_side_mm(polygon)
            if narrow < rule.narrow_side_mm - LENGTH_TOLERANCE_MM:
                problems.append(
                    Reason(
                        "room_narrow_side_under",
                        f"{named}: narrow side {narrow:.0f} mm under {rule.narrow_side_mm:g} mm",
                        {
                            "room": room.name,
                            "narrow_mm": round(narrow),
                            "minimum_mm": round(rule.narrow_side_mm),
                        },
                    )
                )
        if rule.needs_window and glazing[room.id] <= 0:
            problems.append(
                Reason("room_no_window", f"{named} has no window on an exterior wall", {"room": room.name})
            )
        if rule.glazing_ratio is not None and rule.needs_window and area > 0:
            ratio = glazing[room.id] / area
            if ratio < rule.glazing_ratio:
                problems.append(
                    Reason(
                        "room_glazing_under",
                        f"{named}: glazing ratio {ratio:.3f} under {rule.glazing_ratio:g}",
                        {
                            "room": room.name,
                            "glazing_pct": round(ratio * 100, 1),
                            "minimum_pct": round(rule.glazing_ratio * 100, 1),
                        },
                    )
                )
        wet = room.type in (RoomType.bathroom, RoomType.wc, RoomType.laundry)
        if wet and not rule.interior_allowed and glazing[room.id] <= 0:
            problems.append(
                Reason(
                    "wet_room_needs_window", f"{named} must have an exterior window here", {"room": room.name}
                )
            )
    return problems


def narrow_side_mm(polygon: Polygon) -> float:
    """Side of the largest axis-aligned square inside the polygon (to 1 mm)."""
    minx, miny, maxx, maxy = polygon.bounds
    short = min(maxx - minx, maxy - miny)
    lo, hi = 0.0, short
    rectangle = _is_axis_rectangle(polygon)
    while hi - lo > 1:
        mid = (lo + hi) / 2
        # An axis-aligned rectangle holds every square narrower than its short side; any other
        # outline holds one when shrinking it by half the side leaves something.
        fits = mid < short if rectangle else _shrinks_to_something(polygon, mid)
        if fits:
            lo = mid
        else:
            hi = mid
    return lo


def _shrinks_to_something(polygon: Polygon, side: float) -> bool:
    return not polygon.buffer(-side / 2, join_style="mitre").is_empty


def _is_axis_rectangle(polygon: Polygon) -> bool:
    """Four corners (ignoring repeated ones), each on the bounding box's corners, in an order
    that encloses the whole box (not a bow tie across it)."""
    minx, miny, maxx, maxy = polygon.bounds
    corners = set(polygon.exterior.coords)
    box_corners = {(minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy)}
    return corners == box_corners and abs(polygon.area - (maxx - minx) * (maxy - miny)) < 1.0


def _unique_ids(payload: LayoutPayload) -> list[Reason]:
    problems = []
    groups: dict[str, list[str]] = {
        "wall": [w.id for w in payload.walls],
        "door": [d.id for d in payload.doors],
        "window": [n.id for n in payload.windows],
        "room": [r.id for r in payload.rooms],
        "level": [lv.name for lv in payload.levels],
    }
    for kind, ids in groups.items():
        seen: set[str] = set()
        for element_id in ids:
            if element_id in seen:
                problems.append(
                    Reason("duplicate_id", f"duplicate {kind} id {element_id!r}", {"id": element_id})
                )
            seen.add(element_id)
    return problems


def _levels(payload: LayoutPayload) -> list[Reason]:
    names = {lv.name for lv in payload.levels}
    problems = [] if names else [Reason("no_level", "the payload has no level")]
    # (kind, id, how the reader knows it: a wall by its id, a room by its name, its level)
    elements = [("wall", w.id, w.id, w.level_name) for w in payload.walls]
    elements += [("room", r.id, r.name, r.level_name) for r in payload.rooms]
    problems += [
        Reason(
            "unknown_level",
            f"{kind} {element_id}: unknown level {level!r}",
            {"element": known_as, "level": level},
        )
        for kind, element_id, known_as, level in elements
        if level not in names
    ]
    return problems


def _wall_problems(wall: Wall, outline: Polygon, near: Polygon) -> list[Reason]:
    problems = []
    if wall.length_mm() < MIN_WALL_LENGTH_MM:
        problems.append(
            Reason(
                "wall_under_addin_length",
                f"wall {wall.id}: {wall.length_mm():.0f} mm long, under {MIN_WALL_LENGTH_MM:.0f} mm",
                {
                    "wall": wall.id,
                    "length_mm": round(wall.length_mm()),
                    "minimum_mm": round(MIN_WALL_LENGTH_MM),
                },
            )
        )
    if not WALL_HEIGHT_MM[0] <= wall.height_mm <= WALL_HEIGHT_MM[1]:
        problems.append(
            Reason(
                "wall_height_out_of_range",
                f"wall {wall.id}: height {wall.height_mm:g} mm outside {WALL_HEIGHT_MM}",
                {
                    "wall": wall.id,
                    "height_mm": wall.height_mm,
                    "low_mm": WALL_HEIGHT_MM[0],
                    "high_mm": WALL_HEIGHT_MM[1],
                },
            )
        )
    if wall.is_exterior and wall.length_mm() > 0:
        problems += _exterior_wall_problems(wall, outline, near)
    return problems


def _exterior_wall_problems(wall: Wall, outline: Polygon, near: Polygon) -> list[Reason]:
    """The outer face is on the footprint boundary: the centreline is thickness/2 inside it
    (``near``: the footprint grown by the tolerance)."""
    line = LineString([(wall.start.x, wall.start.y), (wall.end.x, wall.end.y)])
    if not near.contains(line):
        return [
            Reason(
                "exterior_wall_outside",
                f"exterior wall {wall.id} is not inside the footprint",
                {"wall": wall.id},
            )
        ]
    half = wall.thickness_mm / 2
    boundary = outline.exterior
    nearest = line.distance(boundary)
    middle = line.interpolate(0.5, normalized=True).distance(boundary)
    if abs(nearest - half) > LENGTH_TOLERANCE_MM or abs(middle - half) > LENGTH_TOLERANCE_MM:
        return [
            Reason(
                "exterior_wall_off_edge",
                f"exterior wall {wall.id}: centreline is {middle:.0f} mm from the footprint edge, "
                f"expected {half:g} mm (outer face on the boundary)",
                {"wall": wall.id, "distance_mm": round(middle), "expected_mm": half},
            )
        ]
    return []


def _door_problems(door: Door, walls: dict[str, Wall], names: dict[str, str]) -> list[Reason]:
    """A door's size, the rooms it connects and where it opens (``names``: room id -> name)."""
    problems = [
        *_size_problems("door", door.id, "width", door.width_mm, DOOR_WIDTH_MM),
        *_size_problems("door", door.id, "height", door.height_mm, DOOR_HEIGHT_MM),
    ]
    if not 1 <= len(door.connects) <= 2:
        problems.append(
            Reason(
                "door_connects_count",
                f"door {door.id}: connects {len(door.connects)} rooms, expected 1 or 2",
                {"door": door.id, "count": len(door.connects)},
            )
        )
    problems += [
        Reason(
            "door_unknown_room", f"door {door.id}: connects unknown room {r!r}", {"door": door.id, "room": r}
        )
        for r in door.connects
        if r not in names
    ]
    if len(door.connects) == 2 and door.connects[0] == door.connects[1]:
        problems.append(
            Reason(
                "door_connects_itself",
                f"door {door.id}: connects room {door.connects[0]!r} to itself",
                {"door": door.id, "room": names.get(door.connects[0], door.connects[0])},
            )
        )
    problems += _fits_host("door", door.id, door.host_wall_id, door.position_ratio, door.width_mm, walls)
    if door.opens_into is not None and not _opens_into_known(door):
        if door.opens_into == EXTERIOR:
            problems.append(
                Reason(
                    "door_opens_outside_between_rooms",
                    f"door {door.id}: opens_into {EXTERIOR!r}, but it connects two rooms",
                    {"door": door.id},
                )
            )
        else:
            problems.append(
                Reason(
                    "door_opens_into_other_room",
                    f"door {door.id}: opens_into {door.opens_into!r} is not a room it connects"
                    f" ({', '.join(door.connects)})",
                    {"door": door.id, "room": names.get(door.opens_into, door.opens_into)},
                )
            )
    return problems


def _size_problems(
    kind: str, opening_id: str, measure: str, value: float, allowed: tuple[float, float]
) -> list[Reason]:
    """A door's or window's width or height outside what the add-in accepts."""
    if allowed[0] <= value <= allowed[1]:
        return []
    return [
        Reason(
            f"opening_{measure}_out_of_range",
            f"{kind} {opening_id}: {measure} {value:g} mm outside {allowed}",
            {"opening": opening_id, "value_mm": value, "low_mm": allowed[0], "high_mm": allowed[1]},
        )
    ]


def _opens_into_known(door: Door) -> bool:
    """``opens_into`` is one of the rooms the door connects, or outside for an entrance door."""
    if door.opens_into == EXTERIOR:
        return len(door.connects) == 1
    return door.opens_into in door.connects


def _window_problems(window: Window, walls: dict[str, Wall], names: dict[str, str]) -> list[Reason]:
    problems = [
        *_size_problems("window", window.id, "width", window.width_mm, WINDOW_SIZE_MM),
        *_size_problems("window", window.id, "height", window.height_mm, WINDOW_SIZE_MM),
    ]
    if window.room_id not in names:
        problems.append(
            Reason(
                "window_unknown_room",
                f"window {window.id}: unknown room {window.room_id!r}",
                {"opening": window.id, "room": window.room_id},
            )
        )
    problems += _fits_host(
        "window", window.id, window.host_wall_id, window.position_ratio, window.width_mm, walls
    )
    return problems


def _fits_host(
    kind: str, opening_id: str, host_id: str, ratio: float, width: float, walls: dict[str, Wall]
) -> list[Reason]:
    wall = walls.get(host_id)
    params = {"opening": opening_id, "wall": host_id}
    if wall is None:
        return [
            Reason(
                "opening_host_missing",
                f"{kind} {opening_id}: host wall {host_id!r} is not in the payload",
                params,
            )
        ]
    if not 0 <= ratio <= 1:
        return [
            Reason(
                "opening_ratio_out_of_range",
                f"{kind} {opening_id}: position_ratio {ratio} outside 0..1",
                {**params, "ratio": ratio},
            )
        ]
    start, end = _span(ratio, width, wall)
    if start < -LENGTH_TOLERANCE_MM or end > wall.length_mm() + LENGTH_TOLERANCE_MM:
        return [
            Reason(
                "opening_past_wall_end",
                f"{kind} {opening_id}: {width:g} mm opening runs past the ends of wall {host_id}",
                {**params, "width_mm": width},
            )
        ]
    return []


def _span(ratio: float, width: float, wall: Wall) -> tuple[float, float]:
    centre = ratio * wall.length_mm()
    return centre - width / 2, centre + width / 2


def _opening_overlaps(payload: LayoutPayload, walls: dict[str, Wall]) -> list[Reason]:
    by_wall: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    openings: list[Door | Window] = [*payload.doors, *payload.windows]
    for opening in openings:
        wall = walls.get(opening.host_wall_id)
        if wall is not None:
            start, end = _span(opening.position_ratio, opening.width_mm, wall)
            by_wall[wall.id].append((start, end, opening.id))
    problems = []
    for wall_id, spans in by_wall.items():
        spans.sort()
        for (_, end_a, id_a), (start_b, _, id_b) in zip(spans, spans[1:], strict=False):
            if start_b < end_a - LENGTH_TOLERANCE_MM:
                problems.append(
                    Reason(
                        "openings_overlap",
                        f"openings {id_a} and {id_b} overlap on wall {wall_id}",
                        {"opening": id_a, "other": id_b, "wall": wall_id},
                    )
                )
    return problems


def _room_problems(room: Room, near: Polygon) -> tuple[list[Reason], Polygon | None]:
    """What is wrong with a room's outline (``near``: the footprint grown by the tolerance)."""
    named = {"room": room.name}
    if len(room.boundary) < 3:
        return [
            Reason("room_outline_invalid", f"room {room.id}: boundary has fewer than 3 points", named)
        ], None
    polygon = Polygon([(p.x, p.y) for p in room.boundary])
    problems = []
    if not ROOM_AREA_M2[0] <= room.area_m2 <= ROOM_AREA_M2[1]:
        problems.append(
            Reason(
                "room_area_out_of_range",
                f"room {room.id}: area {room.area_m2:g} m² outside {ROOM_AREA_M2}",
                {**named, "area_m2": room.area_m2, "low_m2": ROOM_AREA_M2[0], "high_m2": ROOM_AREA_M2[1]},
            )
        )
    if not polygon.is_valid or not polygon.exterior.is_simple or polygon.area <= 0:
        invalid = Reason(
            "room_outline_invalid", f"room {room.id}: boundary is not a valid simple polygon", named
        )
        return [*problems, invalid], None
    if not polygon.exterior.is_ccw:
        problems.append(
            Reason("room_outline_clockwise", f"room {room.id}: boundary is not counter-clockwise", named)
        )
    actual = polygon.area / 1e6
    if abs(actual - room.area_m2) > max(AREA_TOLERANCE_M2, AREA_TOLERANCE_RATIO * actual):
        problems.append(
            Reason(
                "room_area_mismatch",
                f"room {room.id}: area_m2 {room.area_m2:g} but its boundary encloses {actual:.2f} m²",
                {**named, "area_m2": room.area_m2, "outline_m2": round(actual, 2)},
            )
        )
    if not near.contains(polygon):
        problems.append(Reason("room_outside_footprint", f"room {room.id} lies outside the footprint", named))
    return problems, polygon


def _room_overlaps(polygons: dict[str, Polygon], names: dict[str, str]) -> list[Reason]:
    problems = []
    items = sorted(polygons.items())
    for i, (id_a, a) in enumerate(items):
        for id_b, b in items[i + 1 :]:
            if not _bounds_overlap(a, b):
                continue
            shared = a.intersection(b).area
            if shared > OVERLAP_TOLERANCE_MM2:
                problems.append(
                    Reason(
                        "rooms_overlap",
                        f"rooms {id_a} and {id_b} overlap by {shared / 1e6:.2f} m²",
                        {"room": names[id_a], "other": names[id_b], "area_m2": round(shared / 1e6, 2)},
                    )
                )
    return problems


def _bounds_overlap(a: Polygon, b: Polygon) -> bool:
    ax0, ay0, ax1, ay1 = a.bounds
    bx0, by0, bx1, by1 = b.bounds
    return ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1


def _reachability(payload: LayoutPayload) -> list[Reason]:
    """Every room can be reached from outside through doors."""
    if not payload.rooms:
        return []
    neighbours: dict[str, set[str]] = defaultdict(set)
    entered: set[str] = set()
    for door in payload.doors:
        if len(door.connects) == 1:
            entered.add(door.connects[0])
        elif len(door.connects) == 2:
            a, b = door.connects
            neighbours[a].add(b)
            neighbours[b].add(a)
    if not entered:
        return [Reason("no_exterior_door", "no exterior door (a door connecting a single room)")]
    reached = set(entered)
    queue = deque(entered)
    while queue:
        for nxt in neighbours[queue.popleft()]:
            if nxt not in reached:
                reached.add(nxt)
                queue.append(nxt)
    return [
        Reason("room_unreachable", f"room {r.id} cannot be reached from outside", {"room": r.name})
        for r in payload.rooms
        if r.id not in reached
    ]
