"""Rooms a region's code requires of a dwelling, read from the same rules the checker applies.

A ``room_count`` rule asks for at least ``value`` rooms of its ``space_types`` in a dwelling
(``TR-PAIY-29-ROOMS-WC``: a WC). It applies to a programme when it is for the building's use,
its conditions hold and its exemptions do not, judged on what a programme knows: how many
habitable rooms the dwelling has (``dwelling_rooms``) and whether it has a WC
(``dwelling_has_wc``). A rule with a condition on anything else (floors, dwelling units …) is
left to the checker. A rule is met when one of its ``alternatives`` is, as the checker judges
it (``TR-PAIY-29-ROOMS-BWC``: in a dwelling of up to three rooms the bathroom may be the WC).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from archbuilder.compliance.engine import HABITABLE
from archbuilder.compliance.loader import rules_for
from archbuilder.compliance.schema import Metric, Rule
from archbuilder.domain.brief import BuildingType, RoomType


@dataclass(frozen=True)
class RequiredRoom:
    """Rooms to add to a programme: ``count`` × ``type``, because of ``rule_id``."""

    type: RoomType
    count: int
    rule_id: str
    citation: str  # "PAİY m.29(1)"


def required_rooms(
    region: str, building_type: BuildingType, rooms: Mapping[RoomType, int]
) -> list[RequiredRoom]:
    """What the rules in force in ``region`` require that the programme ``rooms`` lacks."""
    return missing_rooms(rules_for(region).rules, building_type, rooms)


def missing_rooms(
    rules: Sequence[Rule], building_type: BuildingType, rooms: Mapping[RoomType, int]
) -> list[RequiredRoom]:
    """The rooms ``rules`` require that ``rooms`` lacks, each rule's first room type added.

    An added room may change what applies (a WC makes ``dwelling_has_wc`` true), so the rules
    are read again until nothing more is missing."""
    counts: Counter[RoomType] = Counter({t: n for t, n in rooms.items() if n > 0})
    by_id = {rule.id: rule for rule in rules}
    presence = [rule for rule in rules if _is_presence(rule)]
    added: list[RequiredRoom] = []
    for _ in range(len(presence) + 1):
        missing = next((r for r in presence if _missing(r, by_id, building_type, counts) > 0), None)
        if missing is None:
            break
        count = _missing(missing, by_id, building_type, counts)
        room_type = missing.applies_to.space_types[0]
        counts[room_type] += count
        citation = f"{missing.source.short} {missing.source.article}".strip()
        added.append(RequiredRoom(type=room_type, count=count, rule_id=missing.id, citation=citation))
    return added


def _is_presence(rule: Rule) -> bool:
    return (
        rule.metric is Metric.room_count
        and rule.comparator == ">="
        and isinstance(rule.value, int | float)
        and bool(rule.applies_to.space_types)
    )


def _missing(
    rule: Rule, by_id: Mapping[str, Rule], building_type: BuildingType, counts: Counter[RoomType]
) -> int:
    """How many rooms ``rule`` still asks for (0 when it does not apply, is met, or an
    alternative is)."""
    if _applies(rule, building_type, counts) is not True:
        return 0
    short = _shortfall(rule, counts)
    if short == 0:
        return 0
    for alternative_id in rule.alternatives:
        alternative = by_id.get(alternative_id)
        if (
            alternative is not None
            and _is_presence(alternative)
            and _applies(alternative, building_type, counts) is True
            and _shortfall(alternative, counts) == 0
        ):
            return 0
    return short


def _shortfall(rule: Rule, counts: Counter[RoomType]) -> int:
    assert isinstance(rule.value, int | float)
    present = sum(counts[t] for t in rule.applies_to.space_types)
    return max(0, math.ceil(rule.value) - present)


def _applies(rule: Rule, building_type: BuildingType, counts: Counter[RoomType]) -> bool | None:
    """Whether ``rule`` applies to the programme; None when a condition needs a fact it lacks."""
    if building_type not in rule.applies_to.building_use:
        return False
    known: dict[str, float | bool] = {
        "dwelling_rooms": float(sum(n for t, n in counts.items() if t in HABITABLE)),
        "dwelling_has_wc": counts[RoomType.wc] > 0,
    }
    for condition in rule.applies_to.conditions:
        if condition.var not in known:
            return None
        if not condition.holds(known[condition.var]):
            return False
    exempt = rule.applies_to.exempt_if
    # As the checker: an exemption counts only when every one of its facts is known and holds.
    return not (exempt and all(c.var in known and c.holds(known[c.var]) for c in exempt))
