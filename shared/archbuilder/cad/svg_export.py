"""Layout payload to a self-contained SVG plan: walls filled, door swings, windows, room labels.

Plan coordinates are millimetres with y to the north; SVG's y grows downwards, so every
point is drawn as (x, max_y - y). No fonts, images or styles are fetched from outside.
"""

from __future__ import annotations

import math
from html import escape

from shapely.geometry import LineString, Polygon
from shapely.ops import polylabel

from archbuilder.domain.layout import Door, LayoutPayload, Room, Wall, Window
from archbuilder.layout.door_geometry import door_geometry
from archbuilder.platform.i18n import DEFAULT_LANGUAGE, number_text, phrase

MARGIN_MM = 600.0
LABEL_MM = 260.0  # room name text height
SMALLEST_LABEL_MM = 140.0  # a name in a narrow room shrinks to this, no further
GLYPH_WIDTH = 0.58  # a sans-serif character's advance, over the text height (a generous mean)
WALL_FILL = "#2b2b2b"
ROOM_FILL = "#f7f4ee"
WET_FILL = "#e8f1f6"
CIRCULATION_FILL = "#efefef"
WET = {"bathroom", "wc", "laundry"}
CIRCULATION = {"hall", "corridor"}


def layout_to_svg(payload: LayoutPayload, language: str = DEFAULT_LANGUAGE) -> str:
    """The payload drawn in plan as an SVG document (UTF-8 text), its title, north letter and
    areas written in ``language`` (``platform/messages/exports.yaml``)."""
    xs = [p for w in payload.walls for p in (w.start.x, w.end.x)] + [
        p.x for r in payload.rooms for p in r.boundary
    ]
    ys = [p for w in payload.walls for p in (w.start.y, w.end.y)] + [
        p.y for r in payload.rooms for p in r.boundary
    ]
    if not xs:
        xs, ys = [0.0], [0.0]
    pad = MARGIN_MM + max((w.thickness_mm for w in payload.walls), default=0.0)
    x0, y0, x1, y1 = min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad
    plan = _Plan(flip=y1 + y0, language=language)
    walls = {w.id: w for w in payload.walls}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.0f} {y0:.0f} {x1 - x0:.0f} {y1 - y0:.0f}" '
        f'width="{(x1 - x0) / 20:.0f}" height="{(y1 - y0) / 20:.0f}" font-family="sans-serif">',
        f"<title>{escape(phrase('exports', 'svg_title', language))}</title>",
        f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{x1 - x0:.0f}" height="{y1 - y0:.0f}" fill="#ffffff"/>',
        '<g id="rooms">',
        *(plan.room(r) for r in payload.rooms),
        "</g>",
        f'<g id="walls" fill="{WALL_FILL}">',
        *(plan.wall(w) for w in payload.walls),
        "</g>",
        '<g id="windows">',
        *(plan.window(n, walls[n.host_wall_id]) for n in payload.windows if n.host_wall_id in walls),
        "</g>",
        '<g id="doors">',
        *(plan.door(d, walls[d.host_wall_id]) for d in payload.doors if d.host_wall_id in walls),
        "</g>",
        '<g id="labels" text-anchor="middle" fill="#222222">',
        *(plan.label(r) for r in payload.rooms),
        "</g>",
        plan.north_arrow(x1 - pad / 2, y1 - pad / 2),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


class _Plan:
    def __init__(self, flip: float, language: str) -> None:
        self.flip = flip
        self.language = language

    def pt(self, x: float, y: float) -> str:
        return f"{x:.1f},{self.flip - y:.1f}"

    def room(self, room: Room) -> str:
        fill = WET_FILL if room.type.value in WET else ROOM_FILL
        fill = CIRCULATION_FILL if room.type.value in CIRCULATION else fill
        points = " ".join(self.pt(p.x, p.y) for p in room.boundary)
        return f'<polygon points="{points}" fill="{fill}" data-room="{escape(room.id)}"/>'

    def wall(self, wall: Wall) -> str:
        start, (ux, uy), (nx, ny), length = _axis(wall)
        if length <= 0:
            return ""
        half = wall.thickness_mm / 2
        # Extend each end by half the thickness so corners close without a gap.
        ax, ay = start[0] - ux * half, start[1] - uy * half
        bx, by = start[0] + ux * (length + half), start[1] + uy * (length + half)
        corners = [
            (ax + nx * half, ay + ny * half),
            (bx + nx * half, by + ny * half),
            (bx - nx * half, by - ny * half),
            (ax - nx * half, ay - ny * half),
        ]
        return f'<polygon points="{" ".join(self.pt(x, y) for x, y in corners)}"/>'

    def window(self, window: Window, wall: Wall) -> str:
        start, (ux, uy), (nx, ny), length = _axis(wall)
        centre = window.position_ratio * length
        half_t, half_w = wall.thickness_mm / 2, window.width_mm / 2
        a = (start[0] + ux * (centre - half_w), start[1] + uy * (centre - half_w))
        corners = [
            (a[0] + nx * half_t, a[1] + ny * half_t),
            (a[0] + ux * window.width_mm + nx * half_t, a[1] + uy * window.width_mm + ny * half_t),
            (a[0] + ux * window.width_mm - nx * half_t, a[1] + uy * window.width_mm - ny * half_t),
            (a[0] - nx * half_t, a[1] - ny * half_t),
        ]
        b = (a[0] + ux * window.width_mm, a[1] + uy * window.width_mm)
        return (
            f'<polygon points="{" ".join(self.pt(x, y) for x, y in corners)}" fill="#ffffff" '
            f'stroke="#3a7ca5" stroke-width="30"/>'
            f'<polyline points="{self.pt(*a)} {self.pt(*b)}" stroke="#3a7ca5" stroke-width="30"/>'
        )

    def door(self, door: Door, wall: Wall) -> str:
        """The opening cut out of the wall, the leaf drawn open at 90° and its swing arc.

        Handing as in docs/architecture.md "Door handing" (``layout.door_geometry``). The path
        (``data-door`` = the door id) starts at the hinge, runs to the open leaf's end and arcs
        back to the closed position.
        """
        g = door_geometry(door, wall)
        corners = list(g.opening.exterior.coords)[:-1]
        gap = f'<polygon points="{" ".join(self.pt(x, y) for x, y in corners)}" fill="#ffffff"/>'
        if door.is_opening:  # a cased opening: the gap and its two jambs, no leaf
            jambs = "".join(
                f'<path d="M {self.pt(*corners[a])} L {self.pt(*corners[b])}" stroke="#2e7d32" '
                f'stroke-width="25"/>'
                for a, b in ((0, 3), (1, 2))
            )
            return gap.replace("<polygon ", f'<polygon data-opening="{escape(door.id)}" ', 1) + jambs
        (hx, hy), (nx, ny), closed = g.hinge, g.swing_normal, g.latch
        opened = (hx + nx * g.width, hy + ny * g.width)
        # The arc runs from the open leaf back to the closed position, about the hinge. Sweep flag 1
        # turns clockwise as seen, and the plan is seen north up, so it is 1 when that turn is
        # clockwise in plan: when the open leaf lies counter-clockwise of the closed one.
        cross = (closed[0] - hx) * (opened[1] - hy) - (closed[1] - hy) * (opened[0] - hx)
        sweep = 1 if cross > 0 else 0
        return (
            f'{gap}<path data-door="{escape(door.id)}" d="M {self.pt(hx, hy)} L {self.pt(*opened)} '
            f'A {g.width:.0f} {g.width:.0f} 0 0 {sweep} {self.pt(*closed)}" '
            f'fill="none" stroke="#2e7d32" stroke-width="25"/>'
        )

    def label(self, room: Room) -> str:
        """Name and area at the point of the room farthest from its walls (the centroid of an L
        may lie in a doorway or outside the room)."""
        outline = Polygon([(p.x, p.y) for p in room.boundary])
        if outline.is_valid and outline.area > 0:
            centre = polylabel(outline, tolerance=10.0)
            cx, cy = centre.x, centre.y
            width = _width_at(outline, cx, cy)
        else:
            cx = sum(p.x for p in room.boundary) / len(room.boundary)
            cy = sum(p.y for p in room.boundary) / len(room.boundary)
            width = float("inf")
        x, y = self.pt(cx, cy).split(",")
        area = f"{number_text(room.area_m2, self.language, 1)} m²"
        size = _label_size(room.name, width)
        return (
            f'<text x="{x}" y="{y}" font-size="{size:.0f}">{escape(room.name)}</text>'
            f'<text x="{x}" y="{float(y) + size * 1.3:.1f}" font-size="{_label_size(area, width) * 0.8:.0f}" '
            f'fill="#555555">{area}</text>'
        )

    def north_arrow(self, x: float, y: float) -> str:
        size = MARGIN_MM * 0.6
        tip, left, right = self.pt(x, y), self.pt(x - size / 3, y - size), self.pt(x + size / 3, y - size)
        tx, ty = self.pt(x, y + size * 0.15).split(",")
        return (
            f'<g id="north"><polygon points="{tip} {left} {right}" fill="#222222"/>'
            f'<text x="{tx}" y="{ty}" font-size="{size * 0.6:.0f}" text-anchor="middle">'
            f"{escape(phrase('exports', 'north_letter', self.language))}</text></g>"
        )


def _width_at(outline: Polygon, x: float, y: float) -> float:
    """The room's clear width along the horizontal line through its label point: the piece of
    that line inside the outline that holds the point (an L's arm, not its whole bounding box)."""
    minx, _, maxx, _ = outline.bounds
    inside = outline.intersection(LineString([(minx - 1, y), (maxx + 1, y)]))
    pieces = getattr(inside, "geoms", [inside])
    holding = [g for g in pieces if g.length > 0 and g.bounds[0] - 1 <= x <= g.bounds[2] + 1]
    return holding[0].length if holding else maxx - minx


def _label_size(name: str, width: float) -> float:
    """Text height for a room's name: LABEL_MM, smaller (down to SMALLEST_LABEL_MM) when the name
    would run out of its room, 90 % of whose width it may take."""
    fitting = 0.9 * width / (GLYPH_WIDTH * max(len(name), 1))
    return max(SMALLEST_LABEL_MM, min(LABEL_MM, fitting))


def _axis(wall: Wall) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float], float]:
    """Start point, unit direction, unit normal (left of the direction) and length."""
    dx, dy = wall.end.x - wall.start.x, wall.end.y - wall.start.y
    length = math.hypot(dx, dy)
    ux, uy = (dx / length, dy / length) if length > 0 else (1.0, 0.0)
    return (wall.start.x, wall.start.y), (ux, uy), (-uy, ux), length
