"""Hand-drawn layouts for the compliance tests (plain data, no planner)."""

from __future__ import annotations

from typing import Any

from archbuilder.domain.brief import Brief
from archbuilder.domain.layout import LayoutPayload


def _rect(x0: float, y0: float, x1: float, y1: float) -> list[dict[str, float]]:
    return [{"x": x0, "y": y0}, {"x": x1, "y": y0}, {"x": x1, "y": y1}, {"x": x0, "y": y1}]


def _wall(wid: str, a: tuple[float, float], b: tuple[float, float], exterior: bool = False) -> dict[str, Any]:
    return {
        "id": wid,
        "start": {"x": a[0], "y": a[1]},
        "end": {"x": b[0], "y": b[1]},
        "thickness_mm": 100,
        "height_mm": 2800,
        "wall_type_name": "Generic - 100mm",
        "level_name": "Level 1",
        "is_exterior": exterior,
    }


def _room(rid: str, name: str, rtype: str, box: tuple[float, float, float, float]) -> dict[str, Any]:
    x0, y0, x1, y1 = box
    return {
        "id": rid,
        "name": name,
        "number": rid[1:],
        "type": rtype,
        "level_name": "Level 1",
        "boundary": _rect(*box),
        "area_m2": round((x1 - x0) * (y1 - y0) / 1e6, 2),
    }


def acceptance_layout(
    *,
    bedroom_width: float = 2200,
    corridor_width: float = 1000,
    living_window: bool = False,
    entrance_width: float = 800,
) -> LayoutPayload:
    """The issue's layout: a 2.2 m wide bedroom, a 1.0 m corridor, a windowless living room
    and a 0.8 m entrance door; everything else within the Turkish minima.

    Corridor along the south (y 0 … corridor_width), living, bedroom and kitchen north of
    it, the bathroom behind the kitchen. Interior walls are 100 mm.
    """
    c = corridor_width
    y0 = c + 100  # rooms start north of the corridor wall
    bx0, bx1 = 5100, 5100 + bedroom_width
    kx0 = bx1 + 100
    kx1 = kx0 + 3000
    rooms = [
        _room("R1", "Salon", "living_room", (0, y0, 5000, y0 + 4000)),
        _room("R2", "Yatak Odası", "bedroom", (bx0, y0, bx1, y0 + 4500)),
        _room("R3", "Mutfak", "kitchen", (kx0, y0, kx1, y0 + 2500)),
        _room("R4", "Banyo", "bathroom", (kx0, y0 + 2600, kx0 + 2200, y0 + 5100)),
        _room("R6", "Koridor", "corridor", (0, 0, kx1, c)),
    ]
    walls = [
        _wall("W1", (-50, 0), (-50, c), exterior=True),
        _wall("W2", (0, c + 50), (kx1, c + 50)),
        _wall("W3", (bx0 - 50, y0), (bx0 - 50, y0 + 4000)),
        _wall("W4", (kx0, y0 + 2550), (kx0 + 2200, y0 + 2550)),
        _wall("W5", (bx0, y0 + 4550), (bx1, y0 + 4550), exterior=True),
        _wall("W6", (kx1 + 50, y0), (kx1 + 50, y0 + 2500), exterior=True),
        _wall("W7", (kx0 + 2250, y0 + 2600), (kx0 + 2250, y0 + 5100), exterior=True),
        _wall("W8", (0, y0 + 4050), (5000, y0 + 4050), exterior=True),
    ]

    def door(did: str, wall: str, ratio: float, connects: list[str], width: float = 900) -> dict[str, Any]:
        return {
            "id": did,
            "host_wall_id": wall,
            "position_ratio": ratio,
            "width_mm": width,
            "height_mm": 2100,
            "type_name": f"{int(width)} x 2100mm",
            "connects": connects,
        }

    def window(nid: str, wall: str, room: str) -> dict[str, Any]:
        return {
            "id": nid,
            "host_wall_id": wall,
            "position_ratio": 0.5,
            "width_mm": 1200,
            "height_mm": 1400,
            "sill_height_mm": 900,
            "type_name": "1200 x 1400mm",
            "room_id": room,
        }

    doors = [
        door("D1", "W1", 0.5, ["R6"], width=entrance_width),
        door("D2", "W2", 2500 / kx1, ["R6", "R1"]),
        door("D3", "W2", (bx0 + bedroom_width / 2) / kx1, ["R6", "R2"]),
        door("D4", "W2", (kx0 + 1500) / kx1, ["R6", "R3"]),
        door("D5", "W4", 0.5, ["R3", "R4"]),
    ]
    windows = [window("N2", "W5", "R2"), window("N3", "W6", "R3"), window("N4", "W7", "R4")]
    if living_window:
        windows.append(window("N1", "W8", "R1"))
    return LayoutPayload.model_validate(
        {
            "levels": [{"name": "Level 1", "elevation_mm": 0, "height_mm": 2800}],
            "walls": walls,
            "doors": doors,
            "windows": windows,
            "rooms": rooms,
        }
    )


def brief_for(region: str, building_type: str = "apartment") -> Brief:
    return Brief.model_validate(
        {
            "building_type": building_type,
            "region": region,
            "footprint": {"width_mm": 12000, "depth_mm": 9000},
            "rooms": [{"type": "living_room"}],
        }
    )
