"""A generated layout as a building model, so layouts and uploaded drawings are checked alike."""

from __future__ import annotations

from archbuilder.domain.brief import Brief
from archbuilder.domain.building import (
    BuildingContext,
    BuildingModel,
    ModelDoor,
    ModelLevel,
    ModelPoint,
    ModelSpace,
    ModelWall,
    ModelWindow,
    SourceInfo,
)
from archbuilder.domain.layout import LayoutPayload, Wall

RESIDENTIAL = ("apartment", "house")


def _along(wall: Wall, ratio: float) -> ModelPoint:
    return ModelPoint(
        x=wall.start.x + (wall.end.x - wall.start.x) * ratio,
        y=wall.start.y + (wall.end.y - wall.start.y) * ratio,
    )


def layout_to_model(
    payload: LayoutPayload, brief: Brief, layout_ref: dict[str, str | int] | None = None
) -> BuildingModel:
    """The layout payload as a ``BuildingModel``.

    A door joining one room is the dwelling's entrance; a window's ``room_id`` is its
    space. The layout has no slabs, so a level's height is taken as its rooms' clear
    height. A generated apartment is one dwelling of a building the layout does not show,
    so the building's floors and units stay unknown; a house is the whole building.
    """
    use = brief.building_type.value
    levels = {lv.name: lv for lv in payload.levels}
    walls = {w.id: w for w in payload.walls}
    is_house = use == "house"
    return BuildingModel(
        source=SourceInfo(format="layout", layout_ref=layout_ref),
        context=BuildingContext(
            region=brief.region,
            use=use,
            floors_above_ground=len(payload.levels) if is_house else None,
            dwelling_units=1 if is_house else None,
        ),
        levels=[
            ModelLevel(id=lv.name, name=lv.name, elevation_mm=lv.elevation_mm, height_mm=lv.height_mm)
            for lv in payload.levels
        ],
        spaces=[
            ModelSpace(
                id=room.id,
                name=room.name,
                type=room.type,
                level_id=room.level_name,
                boundary=[ModelPoint(x=p.x, y=p.y) for p in room.boundary],
                declared_area_m2=room.area_m2,
                clear_height_mm=levels[room.level_name].height_mm if room.level_name in levels else None,
                dwelling_id="1" if use in RESIDENTIAL else None,
                source_ref=room.id,
            )
            for room in payload.rooms
        ],
        walls=[
            ModelWall(
                id=w.id,
                level_id=w.level_name,
                start=ModelPoint(x=w.start.x, y=w.start.y),
                end=ModelPoint(x=w.end.x, y=w.end.y),
                thickness_mm=w.thickness_mm,
                height_mm=w.height_mm,
                is_exterior=w.is_exterior,
                source_ref=w.id,
            )
            for w in payload.walls
        ],
        doors=[
            ModelDoor(
                id=d.id,
                level_id=walls[d.host_wall_id].level_name if d.host_wall_id in walls else "",
                wall_id=d.host_wall_id,
                position=_along(walls[d.host_wall_id], d.position_ratio) if d.host_wall_id in walls else None,
                clear_width_mm=d.width_mm,
                height_mm=d.height_mm,
                space_ids=list(d.connects),
                is_entrance=len(d.connects) == 1,
                source_ref=d.id,
            )
            for d in payload.doors
        ],
        windows=[
            ModelWindow(
                id=n.id,
                level_id=walls[n.host_wall_id].level_name if n.host_wall_id in walls else "",
                wall_id=n.host_wall_id,
                position=_along(walls[n.host_wall_id], n.position_ratio) if n.host_wall_id in walls else None,
                width_mm=n.width_mm,
                height_mm=n.height_mm,
                sill_height_mm=n.sill_height_mm,
                space_id=n.room_id,
                source_ref=n.id,
            )
            for n in payload.windows
        ],
    )
