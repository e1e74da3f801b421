"""Room minimums for the planner, read from the same rules the checker applies."""

from __future__ import annotations

from pydantic import BaseModel, Field

from archbuilder.compliance.loader import rules_for
from archbuilder.compliance.schema import Metric
from archbuilder.domain.brief import RoomType


class RoomMinimum(BaseModel):
    min_area_m2: float | None = None
    min_narrow_side_mm: float | None = None  # narrow side, or clear width for halls and corridors
    rule_ids: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)  # "PAİY m.29(1)"


def room_minimums(region: str, building_type: str) -> dict[RoomType, RoomMinimum]:
    """The strictest unconditional area and width minimum per room type for ``region``.

    Rules with conditions on the building (floors, units …) are left out: the planner
    does not know those facts; the checker still applies them.
    """
    result: dict[RoomType, RoomMinimum] = {}
    for rule in rules_for(region).rules:
        if building_type not in rule.applies_to.building_use or rule.comparator != ">=":
            continue
        if rule.applies_to.conditions or rule.applies_to.exempt_if or not isinstance(rule.value, float | int):
            continue
        if rule.metric not in (Metric.net_area, Metric.narrow_side, Metric.clear_width):
            continue
        limit = rule.engine(float(rule.value))
        for room_type in rule.applies_to.space_types:
            entry = result.setdefault(room_type, RoomMinimum())
            if rule.metric is Metric.net_area:
                entry.min_area_m2 = max(entry.min_area_m2 or 0.0, round(limit, 4))
            else:
                entry.min_narrow_side_mm = max(entry.min_narrow_side_mm or 0.0, round(limit, 1))
            entry.rule_ids.append(rule.id)
            citation = f"{rule.source.short} {rule.source.article}"
            if citation not in entry.citations:
                entry.citations.append(citation)
    return result
