"""Hand-made pieces of layout payloads for tests that must not depend on the planner."""

from __future__ import annotations

from archbuilder.domain.brief import RoomType
from archbuilder.domain.layout import Door, Point, Point3, Room, Wall

EXTERIOR_MM, INTERIOR_MM = 250.0, 100.0


def wall(wid: str, a: tuple[float, float], b: tuple[float, float], exterior: bool) -> Wall:
    """A wall from a to b: 250 mm exterior or 100 mm interior, 2.8 m high."""
    return Wall(
        id=wid,
        start=Point3(x=a[0], y=a[1]),
        end=Point3(x=b[0], y=b[1]),
        thickness_mm=EXTERIOR_MM if exterior else INTERIOR_MM,
        height_mm=2800,
        wall_type_name="Generic",
        level_name="Level 1",
        is_exterior=exterior,
    )


def rect_room(
    rid: str,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    kind: RoomType = RoomType.bedroom,
    name: str | None = None,
) -> Room:
    """A rectangular room with its net outline from (x0, y0) to (x1, y1)."""
    return Room(
        id=rid,
        name=name or f"Room {rid}",
        number=rid,
        type=kind,
        level_name="Level 1",
        boundary=[Point(x=x0, y=y0), Point(x=x1, y=y0), Point(x=x1, y=y1), Point(x=x0, y=y1)],
        area_m2=round((x1 - x0) * (y1 - y0) / 1e6, 2),
    )


def flat_shell() -> list[Wall]:
    """The four exterior walls of an 8 x 5 m flat (W1 south, drawn anticlockwise: inside on their left)."""
    return [
        wall("W1", (125, 125), (7875, 125), True),
        wall("W2", (7875, 125), (7875, 4875), True),
        wall("W3", (7875, 4875), (125, 4875), True),
        wall("W4", (125, 4875), (125, 125), True),
    ]


def door(
    did: str,
    wall_id: str,
    ratio: float,
    connects: list[str],
    opens_into: str | None,
    *,
    hand: bool = False,
    facing: bool = False,
) -> Door:
    """A 900 x 2100 door at ``ratio`` along its wall, handed by ``hand`` and ``facing``."""
    return Door(
        id=did,
        host_wall_id=wall_id,
        position_ratio=ratio,
        width_mm=900,
        height_mm=2100,
        type_name="900 x 2100mm",
        flip_hand=hand,
        flip_facing=facing,
        opens_into=opens_into,
        connects=connects,
    )
