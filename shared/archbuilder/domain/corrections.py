"""Corrections: an architect's edits to a layout, applied to a copy of its payload.

They are written in the architect's terms (rename or retype a room, move a room edge,
merge a room into its neighbour, move, resize or delete a door or window). The result is
a new payload; the caller validates and checks it like any generated layout, and the
version it came from stays as it was.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from archbuilder.domain.brief import RoomType
from archbuilder.domain.common import StrictModel
from archbuilder.domain.layout import Door, LayoutPayload, Point, Point3, Room, Wall, Window
from archbuilder.platform.errors import Reason, Unprocessable

_TOL = 0.5  # mm


class RenameRoom(StrictModel):
    op: Literal["rename_room"]
    room_id: str
    name: str = Field(min_length=1, max_length=60)


class RetypeRoom(StrictModel):
    op: Literal["retype_room"]
    room_id: str
    type: RoomType


class MoveWall(StrictModel):
    """Move an interior wall (the edge between rooms) sideways by ``offset_mm``:
    positive is towards +y for a horizontal wall and +x for a vertical one."""

    op: Literal["move_wall"]
    wall_id: str
    offset_mm: float = Field(ge=-20_000, le=20_000)


class MergeRoom(StrictModel):
    """Delete a room by merging it into a neighbour; the wall between them goes."""

    op: Literal["merge_room"]
    room_id: str
    into: str


class MoveOpening(StrictModel):
    op: Literal["move_opening"]
    opening_id: str
    position_ratio: float = Field(ge=0, le=1)


class ResizeOpening(StrictModel):
    op: Literal["resize_opening"]
    opening_id: str
    width_mm: float | None = Field(default=None, gt=0, le=5000)
    height_mm: float | None = Field(default=None, gt=0, le=5000)


class DeleteOpening(StrictModel):
    op: Literal["delete_opening"]
    opening_id: str


Correction = Annotated[
    RenameRoom | RetypeRoom | MoveWall | MergeRoom | MoveOpening | ResizeOpening | DeleteOpening,
    Field(discriminator="op"),
]


def apply_corrections(payload: LayoutPayload, corrections: list[Correction]) -> LayoutPayload:
    """A new payload with every correction applied in order.

    ``CORRECTION_INVALID`` names the first correction that cannot be applied and why (a
    ``Reason`` from ``messages/reasons.yaml``).
    """
    current = payload.model_copy(deep=True)
    for index, correction in enumerate(corrections):
        try:
            current = _apply(current, correction)
        except _Refused as refused:
            raise Unprocessable(
                code="CORRECTION_INVALID", index=index, op=correction.op, **refused.reason.as_params()
            ) from None
    return current


class _Refused(Exception):
    """Why a correction cannot be applied: ``code`` in ``messages/reasons.yaml``, ``text`` the
    English words of the error's details."""

    def __init__(self, code: str, text: str, **params: Any) -> None:
        super().__init__(text)
        self.reason = Reason(code, text, params)


def _apply(payload: LayoutPayload, correction: Correction) -> LayoutPayload:
    if isinstance(correction, RenameRoom | RetypeRoom):
        room = _room(payload, correction.room_id)
        field = "name" if isinstance(correction, RenameRoom) else "type"
        setattr(room, field, getattr(correction, field))
        return payload
    if isinstance(correction, MoveOpening | ResizeOpening | DeleteOpening):
        return _edit_opening(payload, correction)
    if isinstance(correction, MoveWall):
        return _move_wall(payload, correction.wall_id, correction.offset_mm)
    return _merge_room(payload, correction.room_id, correction.into)


def _room(payload: LayoutPayload, room_id: str) -> Room:
    for room in payload.rooms:
        if room.id == room_id:
            return room
    raise _Refused("no_room", f"no room {room_id}", room=room_id)


def _wall(payload: LayoutPayload, wall_id: str) -> Wall:
    for wall in payload.walls:
        if wall.id == wall_id:
            return wall
    raise _Refused("no_wall", f"no wall {wall_id}", wall=wall_id)


def _edit_opening(
    payload: LayoutPayload, correction: MoveOpening | ResizeOpening | DeleteOpening
) -> LayoutPayload:
    openings: list[Door | Window] = [*payload.doors, *payload.windows]
    opening = next((o for o in openings if o.id == correction.opening_id), None)
    if opening is None:
        raise _Refused(
            "no_opening", f"no door or window {correction.opening_id}", opening=correction.opening_id
        )
    if isinstance(correction, DeleteOpening):
        payload.doors = [d for d in payload.doors if d.id != opening.id]
        payload.windows = [w for w in payload.windows if w.id != opening.id]
        return payload
    if isinstance(correction, MoveOpening):
        opening.position_ratio = correction.position_ratio
        return payload
    if correction.width_mm is not None:
        opening.width_mm = correction.width_mm
    if correction.height_mm is not None:
        opening.height_mm = correction.height_mm
    # Re-validate the bounds the add-in enforces.
    try:
        type(opening).model_validate(opening.model_dump())
    except ValidationError as exc:
        raise _size_refused(opening.id, exc) from None
    return payload


_SIZE_LIMITS = {
    "greater_than_equal": ("under", "ge", "minimum_mm"),
    "less_than_equal": ("over", "le", "maximum_mm"),
}


def _size_refused(opening_id: str, exc: ValidationError) -> _Refused:
    """A size the add-in does not accept: the width or height under or over its bound."""
    error = exc.errors(include_url=False)[0]
    text = f"{opening_id}: {error['msg']}"
    field = str(error["loc"][0]) if error["loc"] else ""
    limit = _SIZE_LIMITS.get(error["type"])
    if limit is None or field not in ("width_mm", "height_mm") or limit[1] not in error.get("ctx", {}):
        return _Refused("opening_size_invalid", text, opening=opening_id)
    side, bound, param = limit
    code = f"opening_{field.removesuffix('_mm')}_{side}"
    return _Refused(code, text, opening=opening_id, **{param: error["ctx"][bound]})


# -- moving a wall --------------------------------------------------------------


def _axis(wall: Wall) -> Literal["h", "v"]:
    if abs(wall.start.y - wall.end.y) <= _TOL:
        return "h"
    if abs(wall.start.x - wall.end.x) <= _TOL:
        return "v"
    raise _Refused("wall_not_straight", f"wall {wall.id} is not horizontal or vertical", wall=wall.id)


def _move_wall(payload: LayoutPayload, wall_id: str, offset: float) -> LayoutPayload:
    wall = _wall(payload, wall_id)
    if wall.is_exterior:
        raise _Refused("exterior_wall_fixed", "exterior walls follow the footprint and cannot be moved")
    axis = _axis(wall)
    line = wall.start.y if axis == "h" else wall.start.x
    lo, hi = sorted((wall.start.x, wall.end.x) if axis == "h" else (wall.start.y, wall.end.y))
    half = wall.thickness_mm / 2

    def on_band(along: float, across: float) -> bool:
        return lo - half - _TOL <= along <= hi + half + _TOL and abs(across - line) <= half + _TOL

    _refuse_fixed_neighbours(payload, wall, axis, line, lo, hi)
    # Room corners on the wall's band move with it: those on either face, and those of the small
    # step a room's outline makes where the wall's end meets another wall (the corner square
    # neither wall covers), which would otherwise be left behind as a sliver outside every room.
    for room in payload.rooms:
        moved = []
        for p in room.boundary:
            along, across = (p.x, p.y) if axis == "h" else (p.y, p.x)
            if on_band(along, across):
                across += offset
            moved.append(Point(x=along, y=across) if axis == "h" else Point(x=across, y=along))
        room.boundary = moved
        room.area_m2 = round(float(Polygon([(p.x, p.y) for p in moved]).area) / 1e6, 2)
    # The wall moves; walls that end on its centreline stretch or shrink to meet it.
    ends = [wall.start.model_copy(), wall.end.model_copy()]
    for other in payload.walls:
        if other.id == wall.id:
            _shift(other, axis, offset)
            continue
        _stretch_end(payload, other, axis, line, lo, hi, offset)
    # Doors hinged by the corner where this wall meets another one move with that corner.
    shift = (0.0, offset) if axis == "h" else (offset, 0.0)
    for end in ends:
        for other in payload.walls:
            if other.id != wall.id and _passes(other, end):
                _follow_corner(payload, other, end, shift)
    return payload


def _refuse_fixed_neighbours(
    payload: LayoutPayload, wall: Wall, axis: str, line: float, lo: float, hi: float
) -> None:
    """Refuse a move that would bend a wall continuing this one in a straight line, or drag an
    exterior wall (and so the footprint) with it: both end on the moving wall's centreline."""
    for other in payload.walls:
        if other.id == wall.id:
            continue
        for end in (other.start, other.end):
            if not _ends_on(end, axis, line, lo, hi):
                continue
            if other.is_exterior:
                raise _Refused(
                    "wall_meets_exterior_corner",
                    f"wall {wall.id} meets exterior wall {other.id} at its corner: "
                    "the footprint would change",
                    wall=wall.id,
                    other=other.id,
                )
            if _axis(other) == axis:
                raise _Refused(
                    "wall_continues_wall",
                    f"wall {wall.id} continues wall {other.id} in a straight line: "
                    "one cannot move without the other",
                    wall=wall.id,
                    other=other.id,
                )


def _passes(wall: Wall, point: Point3) -> bool:
    """The point lies on the wall's centreline, away from its ends (a T junction)."""
    length = wall.length_mm()
    if length == 0:
        return False
    ux, uy = (wall.end.x - wall.start.x) / length, (wall.end.y - wall.start.y) / length
    along = (point.x - wall.start.x) * ux + (point.y - wall.start.y) * uy
    across = abs((point.x - wall.start.x) * uy - (point.y - wall.start.y) * ux)
    return across <= _TOL and _TOL < along < length - _TOL


def _follow_corner(payload: LayoutPayload, wall: Wall, corner: Point3, shift: tuple[float, float]) -> None:
    length = wall.length_mm()
    ux, uy = (wall.end.x - wall.start.x) / length, (wall.end.y - wall.start.y) / length
    corner_at = (corner.x - wall.start.x) * ux + (corner.y - wall.start.y) * uy
    moved = shift[0] * ux + shift[1] * uy
    openings: list[Door | Window] = [*payload.doors, *payload.windows]
    for opening in openings:
        if opening.host_wall_id != wall.id:
            continue
        centre = opening.position_ratio * length
        if abs(centre - corner_at) - opening.width_mm / 2 < _CORNER_ANCHOR_MM:
            ratio = (centre + moved) / length
            if not 0 <= ratio <= 1:
                raise _Refused(
                    "opening_off_wall",
                    f"{opening.id} would fall outside wall {wall.id}",
                    opening=opening.id,
                    wall=wall.id,
                )
            opening.position_ratio = round(ratio, 6)


def _shift(wall: Wall, axis: str, offset: float) -> None:
    for end in (wall.start, wall.end):
        if axis == "h":
            end.y += offset
        else:
            end.x += offset


def _ends_on(end: Point3, axis: str, line: float, lo: float, hi: float) -> bool:
    """Whether a wall's ``end`` lies on the moving wall's centreline (``line`` from ``lo`` to
    ``hi`` along ``axis``): that wall stretches with the move, or refuses it."""
    along, across = (end.x, end.y) if axis == "h" else (end.y, end.x)
    return abs(across - line) <= _TOL and lo - _TOL <= along <= hi + _TOL


def _stretch_end(
    payload: LayoutPayload, wall: Wall, axis: str, line: float, lo: float, hi: float, offset: float
) -> None:
    old_start, old_end = wall.start.model_copy(), wall.end.model_copy()
    changed = False
    for end in (wall.start, wall.end):
        if _ends_on(end, axis, line, lo, hi):
            if axis == "h":
                end.y += offset
            else:
                end.x += offset
            changed = True
    if changed:
        _keep_openings_in_place(payload, wall, old_start, old_end)


_CORNER_ANCHOR_MM = 400.0  # an opening this close to a moving wall end stays by its corner
MIN_WALL_MM = 100  # a wall shorter than this is no wall; rooms share a wall over at least this


def _keep_openings_in_place(payload: LayoutPayload, wall: Wall, old_start: Point3, old_end: Point3) -> None:
    """Openings on a wall whose end moved keep their place in the plan, not their ratio; an
    opening hinged by the corner that moved (a door near the end) moves with that corner."""
    old_len = ((old_end.x - old_start.x) ** 2 + (old_end.y - old_start.y) ** 2) ** 0.5
    new_len = wall.length_mm()
    if new_len < MIN_WALL_MM:
        raise _Refused(
            "wall_too_short",
            f"wall {wall.id} would become shorter than {MIN_WALL_MM} mm",
            wall=wall.id,
            minimum_mm=MIN_WALL_MM,
        )
    openings: list[Door | Window] = [*payload.doors, *payload.windows]
    for opening in openings:
        if opening.host_wall_id != wall.id:
            continue
        cx = old_start.x + (old_end.x - old_start.x) * opening.position_ratio
        cy = old_start.y + (old_end.y - old_start.y) * opening.position_ratio
        for old, new in ((old_start, wall.start), (old_end, wall.end)):
            gap = ((cx - old.x) ** 2 + (cy - old.y) ** 2) ** 0.5 - opening.width_mm / 2
            if (old.x, old.y) != (new.x, new.y) and gap < _CORNER_ANCHOR_MM:
                cx, cy = cx + new.x - old.x, cy + new.y - old.y
        along = (cx - wall.start.x) * (wall.end.x - wall.start.x) + (cy - wall.start.y) * (
            wall.end.y - wall.start.y
        )
        ratio = along / (new_len**2) if old_len else 0.5
        if not 0 <= ratio <= 1:
            raise _Refused(
                "opening_off_wall",
                f"{opening.id} would fall outside wall {wall.id}",
                opening=opening.id,
                wall=wall.id,
            )
        opening.position_ratio = round(ratio, 6)


# -- merging rooms --------------------------------------------------------------


def _merge_room(payload: LayoutPayload, room_id: str, into: str) -> LayoutPayload:
    if room_id == into:
        raise _Refused("merge_into_itself", "a room cannot merge into itself")
    gone, kept = _room(payload, room_id), _room(payload, into)
    gone_shape = Polygon([(p.x, p.y) for p in gone.boundary])
    kept_shape = Polygon([(p.x, p.y) for p in kept.boundary])
    between = [w for w in payload.walls if not w.is_exterior and _separates(w, gone_shape, kept_shape)]
    if not between:
        raise _Refused(
            "rooms_not_adjacent", f"{room_id} and {into} do not share a wall", room=room_id, into=into
        )
    strips = []
    survivors: list[Wall] = []
    for wall in payload.walls:
        if wall not in between:
            survivors.append(wall)
            continue
        strip, remaining = _split_wall(wall, gone_shape, kept_shape)
        strips.append(strip)
        survivors.extend(remaining)
    merged = unary_union([gone_shape, kept_shape, *strips]).buffer(0)
    if not isinstance(merged, Polygon):
        raise _Refused("rooms_not_one", f"{room_id} and {into} do not make one room", room=room_id, into=into)
    simplified = merged.simplify(_TOL)
    assert isinstance(simplified, Polygon)
    merged = orient(simplified, sign=1.0)
    kept.boundary = [Point(x=round(x, 1), y=round(y, 1)) for x, y in list(merged.exterior.coords)[:-1]]
    kept.area_m2 = round(float(merged.area) / 1e6, 2)
    _rehost_openings(payload, [w for w in payload.walls if w in between], survivors)
    payload.walls = survivors
    payload.rooms = [r for r in payload.rooms if r.id != room_id]
    for door in payload.doors:
        door.connects = [into if c == room_id else c for c in door.connects]
        if door.opens_into == room_id:
            door.opens_into = into
    for window in payload.windows:
        if window.room_id == room_id:
            window.room_id = into
    return payload


def _rehost_openings(payload: LayoutPayload, split: list[Wall], survivors: list[Wall]) -> None:
    """Openings of a split wall move to the piece they stand on; those in the removed strip go."""
    split_ids = {w.id for w in split}
    pieces = [w for w in survivors if w.id.split(".")[0] in split_ids and w.id not in split_ids]

    def rehost(opening: Door | Window) -> bool:
        if opening.host_wall_id not in split_ids:
            return True
        wall = next(w for w in split if w.id == opening.host_wall_id)
        cx = wall.start.x + (wall.end.x - wall.start.x) * opening.position_ratio
        cy = wall.start.y + (wall.end.y - wall.start.y) * opening.position_ratio
        for piece in pieces:
            if not piece.id.startswith(wall.id + "."):
                continue
            length = piece.length_mm()
            along = (cx - piece.start.x) * (piece.end.x - piece.start.x) + (cy - piece.start.y) * (
                piece.end.y - piece.start.y
            )
            ratio = along / (length**2)
            half_width = opening.width_mm / 2 / length
            if half_width <= ratio <= 1 - half_width:
                opening.host_wall_id, opening.position_ratio = piece.id, round(ratio, 6)
                return True
        return False

    payload.doors = [d for d in payload.doors if rehost(d)]
    payload.windows = [w for w in payload.windows if rehost(w)]


def _separates(wall: Wall, a: Polygon, b: Polygon) -> bool:
    """True if ``a`` lies along one face of ``wall`` and ``b`` along the other, over > 100 mm in common."""
    faces = _faces(wall)
    for face_a, face_b in ((faces[0], faces[1]), (faces[1], faces[0])):
        run_a = face_a.intersection(a.exterior.buffer(_TOL))
        run_b = face_b.intersection(b.exterior.buffer(_TOL))
        if run_a.is_empty or run_b.is_empty:
            continue
        k = 0 if _axis(wall) == "h" else 1
        lo = max(run_a.bounds[k], run_b.bounds[k])
        hi = min(run_a.bounds[k + 2], run_b.bounds[k + 2])
        if hi - lo > 100:
            return True
    return False


def _faces(wall: Wall) -> tuple[LineString, LineString]:
    half = wall.thickness_mm / 2
    if _axis(wall) == "h":
        y = wall.start.y
        return (
            LineString([(wall.start.x, y - half), (wall.end.x, y - half)]),
            LineString([(wall.start.x, y + half), (wall.end.x, y + half)]),
        )
    x = wall.start.x
    return (
        LineString([(x - half, wall.start.y), (x - half, wall.end.y)]),
        LineString([(x + half, wall.start.y), (x + half, wall.end.y)]),
    )


def _wall_band(wall: Wall) -> Polygon:
    half = wall.thickness_mm / 2
    xs, ys = sorted((wall.start.x, wall.end.x)), sorted((wall.start.y, wall.end.y))
    if _axis(wall) == "h":
        return box(xs[0], ys[0] - half, xs[1], ys[1] + half)
    return box(xs[0] - half, ys[0], xs[1] + half, ys[1])


def _split_wall(wall: Wall, a: Polygon, b: Polygon) -> tuple[Polygon, list[Wall]]:
    """The strip of ``wall`` between rooms ``a`` and ``b``, and what is left of the wall on either side."""
    axis = _axis(wall)
    k = 0 if axis == "h" else 1
    a_run = _run(wall, a, k)
    b_run = _run(wall, b, k)
    run_lo, run_hi = max(a_run[0], b_run[0]), min(a_run[1], b_run[1])
    if run_hi - run_lo <= MIN_WALL_MM:
        raise _Refused(
            "wall_shared_too_little",
            f"wall {wall.id} is shared over less than {MIN_WALL_MM} mm",
            wall=wall.id,
            minimum_mm=MIN_WALL_MM,
        )
    half = wall.thickness_mm / 2
    if axis == "h":
        strip = box(run_lo, wall.start.y - half, run_hi, wall.start.y + half)
    else:
        strip = box(wall.start.x - half, run_lo, wall.start.x + half, run_hi)
    lo, hi = sorted((wall.start.x, wall.end.x) if axis == "h" else (wall.start.y, wall.end.y))
    remaining = []
    for index, (seg_lo, seg_hi) in enumerate(((lo, run_lo), (run_hi, hi))):
        if seg_hi - seg_lo >= 100:
            piece = wall.model_copy(deep=True, update={"id": f"{wall.id}.{index + 1}"})
            if axis == "h":
                piece.start, piece.end = Point3(x=seg_lo, y=wall.start.y), Point3(x=seg_hi, y=wall.start.y)
            else:
                piece.start, piece.end = Point3(x=wall.start.x, y=seg_lo), Point3(x=wall.start.x, y=seg_hi)
            remaining.append(piece)
    return strip, remaining


def _run(wall: Wall, room: Polygon, k: int) -> tuple[float, float]:
    """Where ``room`` runs along either face of ``wall``, as (low, high) along the wall."""
    runs = [f.intersection(room.exterior.buffer(_TOL)) for f in _faces(wall)]
    touching = max(runs, key=lambda r: r.length)
    return touching.bounds[k], touching.bounds[k + 2]
