"""What changed between two versions of a layout: rooms, walls and openings, with area deltas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from archbuilder.domain.layout import LayoutPayload


class ElementChange(BaseModel):
    id: str
    kind: str  # room | wall | door | window
    change: str  # added | removed | changed
    fields: list[str] = []  # for "changed": which fields differ
    area_delta_m2: float | None = None  # rooms only


class LayoutDiff(BaseModel):
    from_version: int
    to_version: int
    changes: list[ElementChange]
    total_area_delta_m2: float


def diff_payloads(
    old: LayoutPayload, new: LayoutPayload, *, from_version: int, to_version: int
) -> LayoutDiff:
    """Every element added, removed or changed, matched by id within its kind."""
    changes: list[ElementChange] = []
    for kind, before, after in (
        ("room", old.rooms, new.rooms),
        ("wall", old.walls, new.walls),
        ("door", old.doors, new.doors),
        ("window", old.windows, new.windows),
    ):
        old_by_id: dict[str, Any] = {e.id: e for e in before}
        new_by_id: dict[str, Any] = {e.id: e for e in after}
        for element_id in sorted(old_by_id.keys() - new_by_id.keys()):
            area = -old_by_id[element_id].area_m2 if kind == "room" else None
            changes.append(ElementChange(id=element_id, kind=kind, change="removed", area_delta_m2=area))
        for element_id in sorted(new_by_id.keys() - old_by_id.keys()):
            area = new_by_id[element_id].area_m2 if kind == "room" else None
            changes.append(ElementChange(id=element_id, kind=kind, change="added", area_delta_m2=area))
        for element_id in sorted(old_by_id.keys() & new_by_id.keys()):
            a, b = old_by_id[element_id].model_dump(), new_by_id[element_id].model_dump()
            fields = sorted(k for k in a if a[k] != b.get(k))
            if fields:
                area = round(b["area_m2"] - a["area_m2"], 2) if kind == "room" else None
                changes.append(
                    ElementChange(
                        id=element_id, kind=kind, change="changed", fields=fields, area_delta_m2=area
                    )
                )
    total = round(sum(r.area_m2 for r in new.rooms) - sum(r.area_m2 for r in old.rooms), 2)
    return LayoutDiff(
        from_version=from_version, to_version=to_version, changes=changes, total_area_delta_m2=total
    )
