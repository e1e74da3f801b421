"""A model's plan geometry, built once per analysis and shared by the checks and the area
schedule: each space's outline as a polygon, each storey's wall-enclosed cells."""

from __future__ import annotations

import shapely
from shapely.geometry import Polygon
from shapely.ops import unary_union

from archbuilder.domain.building import BuildingModel, ModelSpace


class Plan:
    def __init__(self, model: BuildingModel) -> None:
        self.model = model
        self._shapes: dict[str, Polygon | None] = {}
        self._cells: dict[str, list[Polygon]] = {}

    def shape(self, space: ModelSpace) -> Polygon | None:
        """The space's outline, or None when it has none (fewer than three points)."""
        if space.id not in self._shapes:
            points = [(p.x, p.y) for p in space.boundary]
            self._shapes[space.id] = Polygon(points) if len(points) >= 3 else None
        return self._shapes[space.id]

    def wall_cells(self, level_id: str) -> list[Polygon]:
        """The areas the storey's wall centrelines enclose (none with fewer than three walls)."""
        if level_id not in self._cells:
            ends = [
                ((w.start.x, w.start.y), (w.end.x, w.end.y))
                for w in self.model.walls
                if w.level_id == level_id and (w.start.x, w.start.y) != (w.end.x, w.end.y)
            ]
            cells: list[Polygon] = []
            if len(ends) >= 3:
                # As shapely.ops.polygonize(unary_union(lines)), with the lines made in one call.
                noded = unary_union(shapely.linestrings(ends))
                cells = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
            self._cells[level_id] = cells
        return self._cells[level_id]

    def elevation(self, level_id: str) -> float:
        return next((lv.elevation_mm for lv in self.model.levels if lv.id == level_id), 0.0)

    def level_name(self, level_id: str) -> str:
        return next((lv.name for lv in self.model.levels if lv.id == level_id), level_id)
