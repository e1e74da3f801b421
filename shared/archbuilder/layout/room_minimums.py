"""Region minimums per room type for the planner.

Area and narrow-side minimums come from the compliance engine's rule data (the same
numbers the checker applies, with their citations). ``data/room_minimums.yaml`` adds what
the planner needs and the rule data does not state per room type: glazing ratios, which
rooms need a window, which wet rooms may be interior with mechanical ventilation, and which
rooms no code sizes (``no_minimum``: the planner uses its own defaults). Where both give a
minimum, the stricter one wins, so a planned room always passes the checker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from archbuilder.domain.brief import BuildingType, RoomType
from archbuilder.domain.common import country_of

DATA_FILE = Path(__file__).with_name("data") / "room_minimums.yaml"
WET_ROOMS = frozenset({RoomType.bathroom, RoomType.wc, RoomType.laundry})
LIMITS = ("area_m2", "narrow_side_mm", "glazing_ratio", "needs_window", "interior_allowed")
STATUSES = frozenset({"verified", "unverified", "derived"})


@dataclass(frozen=True)
class RuleRef:
    """One rule the planner applied: its id, what it demands and where it comes from."""

    id: str
    citation: str
    status: str
    limits: dict[str, float | bool]  # empty when no code sets a minimum (``no_minimum``)
    note: str | None = None  # where the value, or its absence, comes from


@dataclass(frozen=True)
class RoomMinimum:
    """What a region demands of one room type (None: no rule)."""

    room_type: RoomType
    area_m2: float | None = None
    narrow_side_mm: float | None = None
    glazing_ratio: float | None = None
    needs_window: bool = False
    interior_allowed: bool = True
    rules: tuple[RuleRef, ...] = field(default=())


def room_minimums(region: str, building_type: BuildingType) -> dict[RoomType, RoomMinimum]:
    """Every room type's minimums for a region (``DE-BY`` adds Bavaria's rules to Germany's)."""
    return dict(_minimums(region, building_type))


@cache
def _minimums(region: str, building_type: BuildingType) -> tuple[tuple[RoomType, RoomMinimum], ...]:
    data = _data()
    rules = list(data.get(country_of(region).value, []))
    if region != country_of(region).value:
        rules += data.get(region, [])
    merged = {t: _default(t) for t in RoomType}
    for rule in rules:
        if building_type.value not in rule["building_types"]:
            continue
        for name in rule["rooms"]:
            room_type = RoomType(name)
            merged[room_type] = _stricter(merged[room_type], rule)
    for room_type, checked in _checker_minimums(region, building_type).items():
        merged[room_type] = _stricter(merged[room_type], checked)
    return tuple(merged.items())


def _checker_minimums(region: str, building_type: BuildingType) -> dict[RoomType, dict[str, Any]]:
    """The compliance rule data's minimums, in this module's rule shape."""
    from archbuilder.compliance import room_minimums as compliance_minimums

    result: dict[RoomType, dict[str, Any]] = {}
    for room_type, minimum in compliance_minimums(region, building_type.value).items():
        rule: dict[str, Any] = {
            "id": "+".join(minimum.rule_ids),
            "citation": "; ".join(minimum.citations),
            "status": "rule-data",
        }
        if minimum.min_area_m2 is not None:
            rule["area_m2"] = minimum.min_area_m2
        if minimum.min_narrow_side_mm is not None:
            rule["narrow_side_mm"] = minimum.min_narrow_side_mm
        result[room_type] = rule
    return result


def _default(room_type: RoomType) -> RoomMinimum:
    # A wet room with no rule allowing mechanical ventilation needs a window.
    return RoomMinimum(room_type=room_type, interior_allowed=room_type not in WET_ROOMS)


def _stricter(current: RoomMinimum, rule: dict[str, Any]) -> RoomMinimum:
    limits: dict[str, float | bool] = {k: rule[k] for k in LIMITS if k in rule}
    ref = RuleRef(
        id=rule["id"], citation=rule["citation"], status=rule["status"], limits=limits, note=rule.get("note")
    )
    return RoomMinimum(
        room_type=current.room_type,
        area_m2=_max(current.area_m2, rule.get("area_m2")),
        narrow_side_mm=_max(current.narrow_side_mm, rule.get("narrow_side_mm")),
        glazing_ratio=_max(current.glazing_ratio, rule.get("glazing_ratio")),
        needs_window=current.needs_window or bool(rule.get("needs_window", False)),
        interior_allowed=bool(rule.get("interior_allowed", current.interior_allowed)),
        rules=(*current.rules, ref),
    )


def _max(a: float | None, b: float | None) -> float | None:
    if a is None:
        return None if b is None else float(b)
    return a if b is None else max(a, float(b))


@cache
def _data() -> dict[str, list[dict[str, Any]]]:
    with DATA_FILE.open(encoding="utf-8") as stream:
        loaded: dict[str, list[dict[str, Any]]] = yaml.safe_load(stream)
    for rules in loaded.values():
        for rule in rules:
            _check(rule)
    return loaded


def _check(rule: dict[str, Any]) -> None:
    """Every entry is cited with an honest status, and either sets a limit or says no code does."""
    name = rule.get("id", "?")
    for key in ("id", "citation", "status", "building_types", "rooms"):
        if not rule.get(key):
            raise ValueError(f"{DATA_FILE.name}, {name}: {key} is missing")
    if rule["status"] not in STATUSES:
        raise ValueError(
            f"{DATA_FILE.name}, {name}: status {rule['status']!r} is not one of {sorted(STATUSES)}"
        )
    sized = rule.get("area_m2") is not None or rule.get("narrow_side_mm") is not None
    if rule.get("no_minimum") and sized:
        raise ValueError(f"{DATA_FILE.name}, {name}: no_minimum with a minimum")
    if not any(k in rule for k in LIMITS) and not rule.get("no_minimum"):
        raise ValueError(f"{DATA_FILE.name}, {name}: sets no limit; say no_minimum: true and why in note")
    if rule.get("no_minimum") and not rule.get("note"):
        raise ValueError(f"{DATA_FILE.name}, {name}: no_minimum needs a note saying why")
