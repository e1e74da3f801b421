"""The built-in provider: deterministic answers without a network, for every task.

It is the end of every fallback chain, so the product answers with no key configured
and when every model provider is down.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

from pydantic import BaseModel

from archbuilder.ai.brief_drafts import read_plannable_brief
from archbuilder.ai.brief_reader import say
from archbuilder.ai.feedback_reader import read_feedback
from archbuilder.ai.language_model import Completion, ModelRequest, OutputInvalid
from archbuilder.ai.outputs import (
    AdjacencyDraft,
    BriefDraft,
    FindingExplanation,
    FindingsExplanation,
    PassagesAnswer,
    PhrasedRecommendation,
    PhrasedRecommendations,
    ProgrammeDraft,
    RoomDraft,
)
from archbuilder.domain.brief import AdjacencyKind, BuildingType, RoomType

M = TypeVar("M", bound=BaseModel)
MODEL_ID = "builtin-v1"
OTHER_ROOM_M2 = 6.0  # typical net area of a room type the table below does not name

# Room metrics a compliance finding may name, in words an architect reads.
_METRIC_NAMES: dict[str, dict[str, str]] = {
    "area": {"en": "the area", "tr": "alan", "de": "die Fläche", "fr": "la surface", "es": "la superficie"},
    "width": {"en": "the width", "tr": "genişlik", "de": "die Breite", "fr": "la largeur", "es": "el ancho"},
    "height": {
        "en": "the height",
        "tr": "yükseklik",
        "de": "die Höhe",
        "fr": "la hauteur",
        "es": "la altura",
    },
    "glazing_ratio": {
        "en": "the glazing ratio",
        "tr": "pencere oranı",
        "de": "der Fensterflächenanteil",
        "fr": "la surface vitrée",
        "es": "la proporción acristalada",
    },
    "travel_distance": {
        "en": "the travel distance",
        "tr": "kaçış mesafesi",
        "de": "die Fluchtweglänge",
        "fr": "la distance d'évacuation",
        "es": "el recorrido de evacuación",
    },
}


class BuiltinProvider:
    """Answers ``parse_brief``, ``propose_programme``, ``explain_findings``, ``revise_brief``,
    ``phrase_recommendations`` (the templates) and ``answer_from_passages`` (the passages quoted) by rule."""

    name = "builtin"

    def complete(self, request: ModelRequest, output: type[M]) -> Completion[M]:
        if request.task == "parse_brief":
            # A text that asks for an impossible programme is refused here (422, not a
            # ProviderError): the router neither falls back nor blames a provider for it.
            result: BaseModel = read_plannable_brief(
                str(request.data["text"]), str(request.data["language"]), str(request.data["region"])
            )
        elif request.task == "propose_programme":
            result = propose(request.data)
        elif request.task == "explain_findings":
            result = explain(request.data["report"], request.language)
        elif request.task == "revise_brief":
            rooms = (request.data.get("brief") or {}).get("rooms", [])
            language = str(request.data.get("language") or "en")
            result = read_feedback(str(request.data["feedback"]), language, rooms)
        elif request.task == "phrase_recommendations":
            result = PhrasedRecommendations(
                items=[
                    PhrasedRecommendation(
                        rank=int(r["rank"]),
                        finding_ids=[str(i) for i in r["finding_ids"]],
                        text=str(r["template"]),
                    )
                    for r in request.data["recommendations"]
                ]
            )
        elif request.task == "answer_from_passages":
            result = PassagesAnswer(answer=quoted(request.data["passages"]))
        else:
            raise OutputInvalid(task=request.task, reason="unknown task")
        if not isinstance(result, output):
            raise OutputInvalid(task=request.task, reason="unexpected output type")
        return Completion(output=result, model=MODEL_ID)


def propose(data: dict[str, Any]) -> ProgrammeDraft:
    """A programme for a building type, gross area and household, above the region's minimums.

    ``data``: building_type, total_area_m2, household (people), language, minimums_m2
    (room type → minimum net area).
    """
    language = str(data.get("language") or "en")
    building_type = BuildingType(data.get("building_type") or "apartment")
    people = max(1, int(data.get("household") or 2))
    gross = float(data["total_area_m2"])
    minimums: dict[str, float] = {str(k): float(v) for k, v in (data.get("minimums_m2") or {}).items()}
    assumptions: list[str] = []
    counts: dict[RoomType, int]
    adjacency: list[AdjacencyDraft] = []
    if building_type is BuildingType.office:
        offices, meetings = math.ceil(people / 4), max(1, math.ceil(people / 10))
        counts = {
            RoomType.office: offices,
            RoomType.meeting_room: meetings,
            RoomType.reception: 1,
            RoomType.kitchen: 1,
            RoomType.wc: max(1, math.ceil(people / 10)),
        }
        adjacency.append(
            AdjacencyDraft(a=RoomType.reception, b=RoomType.meeting_room, kind=AdjacencyKind.prefer)
        )
        assumptions.append(
            say("programme_office", language, offices=offices, meetings=meetings, people=people)
        )
    else:
        bedrooms = 1 if people <= 2 else min(people - 1, 6)
        counts = {
            RoomType.living_room: 1,
            RoomType.kitchen: 1,
            RoomType.bedroom: bedrooms,
            RoomType.bathroom: 1 if bedrooms < 3 else 2,
            RoomType.hall: 1,
        }
        if bedrooms >= 3:
            counts[RoomType.wc] = 1
        adjacency.append(
            AdjacencyDraft(a=RoomType.kitchen, b=RoomType.living_room, kind=AdjacencyKind.prefer)
        )
        adjacency.append(AdjacencyDraft(a=RoomType.bedroom, b=RoomType.kitchen, kind=AdjacencyKind.avoid))
        assumptions.append(say("programme_household", language, bedrooms=bedrooms, people=people))
    region = data.get("region")
    if region:
        _add_required_rooms(counts, building_type, str(region), language, assumptions)
    typical = {
        RoomType.living_room: 25.0,
        RoomType.kitchen: 10.0,
        RoomType.bedroom: 12.0,
        RoomType.bathroom: 5.0,
        RoomType.wc: 5.0,
        RoomType.hall: 6.0,
        RoomType.office: 14.0,
        RoomType.meeting_room: 16.0,
        RoomType.reception: 15.0,
    }
    net = gross * 0.8
    scale = net / sum(typical.get(t, OTHER_ROOM_M2) * n for t, n in counts.items())
    rooms = []
    for room_type, count in counts.items():
        floor = max(minimums.get(room_type.value, 0.0), 5.0)  # the add-in refuses rooms under 5 m²
        target = max(floor, round(typical.get(room_type, OTHER_ROOM_M2) * scale * 2) / 2)
        rooms.append(RoomDraft(type=room_type, count=count, name=None, target_area_m2=target))
    assumptions.append(say("programme_scaled", language, net=f"{net:.0f}", gross=f"{gross:.0f}"))
    return ProgrammeDraft(rooms=rooms, adjacency=adjacency, confidence=0.6, assumptions=assumptions)


def _add_required_rooms(
    counts: dict[RoomType, int], building_type: BuildingType, region: str, language: str, said: list[str]
) -> None:
    """The rooms the region's code requires that ``counts`` lacks, added and said (as the
    brief reader does: ``compliance.required_rooms``)."""
    from archbuilder.compliance.required_rooms import required_rooms
    from archbuilder.domain.common import Language
    from archbuilder.layout.programme import default_room_name

    for needed in required_rooms(region, building_type, counts):
        counts[needed.type] = counts.get(needed.type, 0) + needed.count
        room = default_room_name(
            needed.type, Language(language) if language in Language.__members__ else None
        )
        said.append(
            say("required_by_code", language, count=needed.count, room=room, citation=needed.citation)
        )


def explain(report: dict[str, Any], language: str) -> FindingsExplanation:
    """One explanation and one fix per failed error finding of a §4 compliance report."""
    items = []
    for finding in report.get("findings", []):
        if finding.get("status") != "fail" or finding.get("severity", "error") != "error":
            continue
        items.append(_explain_one(finding, language))
    return FindingsExplanation(summary=say("findings_summary", language, count=len(items)), items=items)


def _explain_one(finding: dict[str, Any], language: str) -> FindingExplanation:
    metric_key = str(finding.get("metric") or "")
    metric = _METRIC_NAMES.get(metric_key, {}).get(language, metric_key.replace("_", " ") or "?")
    citation = finding.get("citation") or {}
    cited = " ".join(str(citation.get(k, "")) for k in ("document", "article")).strip() or finding["rule_id"]
    space = finding.get("space_id") or say("the_building", language)
    measured, limit, unit = finding.get("measured"), finding.get("limit"), finding.get("unit") or ""
    params = {"space": space, "metric": metric, "citation": cited, "unit": unit}
    if isinstance(measured, int | float) and isinstance(limit, int | float) and measured != limit:
        delta = abs(float(limit) - float(measured))
        numbers = {"measured": _num(measured), "limit": _num(limit), "delta": _num(delta)}
        too_small = measured < limit
        explanation = say(
            "finding_too_small" if too_small else "finding_too_large", language, **params, **numbers
        )
        fix = say("fix_increase" if too_small else "fix_decrease", language, **params, **numbers)
    else:
        explanation = say("finding_other", language, **params)
        fix = say("fix_other", language, **params)
    return FindingExplanation(
        rule_id=str(finding["rule_id"]), space_id=finding.get("space_id"), explanation=explanation, fix=fix
    )


def quoted(passages: list[dict[str, Any]], width: int = 240) -> str:
    """Each passage quoted (its first ``width`` characters) with its citation in brackets."""
    lines = []
    for p in passages:
        text = str(p["text"])
        cut = text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " …"
        lines.append(f"“{cut}” [{p['cite']}]")
    return "\n".join(lines)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


__all__ = ["MODEL_ID", "BriefDraft", "BuiltinProvider", "explain", "propose"]
