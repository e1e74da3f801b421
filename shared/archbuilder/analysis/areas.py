"""The area schedule of a model: net and gross per storey and per space type.

Net is the sum of the spaces' floor areas (their outlines, else what the file declares);
gross is the storey's outline: the area enclosed by its walls' centrelines grown by half the
exterior wall (or, without walls, the spaces grown by half an interior wall). The usual
net/gross efficiency per building use is a rule of thumb from practice, not a code
requirement (``EFFICIENCY_PCT``); the report says which storeys fall outside it.
"""

from __future__ import annotations

from collections import defaultdict

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from archbuilder.analysis.plan import Plan
from archbuilder.analysis.report import AreaRow
from archbuilder.domain.building import ModelSpace

# Net/gross floor area of a storey, usual range per use (rules of thumb for residential and
# office floors; circulation cores and thick walls push a plan below the range, a plan
# without walls or with spaces drawn to wall centrelines above it).
EFFICIENCY_PCT: dict[str, tuple[float, float]] = {
    "apartment": (75.0, 88.0),
    "house": (75.0, 88.0),
    "office": (70.0, 85.0),
}
HALF_EXTERIOR_MM = 150.0
HALF_INTERIOR_MM = 50.0


def area_schedule(plan: Plan) -> list[AreaRow]:
    model = plan.model
    use = model.context.use or "apartment"
    usual = EFFICIENCY_PCT.get(use)
    names = {lv.id: lv.name for lv in model.levels}
    rows: list[AreaRow] = []
    by_level: dict[str, list[ModelSpace]] = defaultdict(list)
    for space in model.spaces:
        by_level[space.level_id].append(space)
    for level in [lv.id for lv in model.levels if lv.id in by_level] + sorted(
        set(by_level) - {lv.id for lv in model.levels}
    ):
        spaces = by_level[level]
        net = sum(_net_m2(plan, s) for s in spaces)
        gross = _gross_m2(plan, level, spaces)
        efficiency = 100.0 * net / gross if gross else None
        rows.append(
            AreaRow(
                level=names.get(level, level),
                spaces=len(spaces),
                net_m2=round(net, 1),
                gross_m2=round(gross, 1) if gross else None,
                efficiency_pct=round(efficiency, 1) if efficiency is not None else None,
                usual_pct=usual,
                within_usual=None
                if efficiency is None or usual is None
                else usual[0] <= efficiency <= usual[1],
            )
        )
        kinds: dict[str, list[ModelSpace]] = defaultdict(list)
        for space in spaces:
            kinds[space.type.value if space.type else "unclassified"].append(space)
        for kind in sorted(kinds):
            rows.append(
                AreaRow(
                    level=names.get(level, level),
                    space_type=kind,
                    spaces=len(kinds[kind]),
                    net_m2=round(sum(_net_m2(plan, s) for s in kinds[kind]), 1),
                )
            )
    return rows


def _net_m2(plan: Plan, space: ModelSpace) -> float:
    shape = plan.shape(space)
    if shape is not None and shape.is_valid and shape.area > 0:
        return float(shape.area) / 1e6
    return space.declared_area_m2 or 0.0


def _gross_m2(plan: Plan, level: str, spaces: list[ModelSpace]) -> float | None:
    cells = plan.wall_cells(level)
    outlines = [plan.shape(s) for s in spaces]
    shapes = [s for s in outlines if s is not None and s.is_valid and s.area > 0]
    exterior = [
        w.thickness_mm for w in plan.model.walls if w.level_id == level and w.is_exterior and w.thickness_mm
    ]
    half = max(exterior) / 2 if exterior else HALF_EXTERIOR_MM
    grown = list(shapely.buffer(shapes, HALF_INTERIOR_MM, quad_segs=16, join_style="mitre"))  # as .buffer()
    outline: BaseGeometry
    if cells:
        walled = unary_union(cells).buffer(half, join_style="mitre")
        # Spaces outside every wall cell (a terrace, a drawing with open walls) count too; a
        # space inside the walls' outline adds nothing to it and is left out of the union.
        shapely.prepare(walled)
        outside = [g for g, inside in zip(grown, shapely.covers(walled, grown), strict=True) if not inside]
        outline = unary_union([walled, *outside])
    elif shapes:
        outline = unary_union(grown)
    else:
        return None
    filled = unary_union([Polygon(g.exterior) for g in getattr(outline, "geoms", [outline])])
    return float(filled.area) / 1e6 or None
