"""A programme read from plain language is filled with the rooms the region's code requires
(issue 17): from the compliance rules' data (``room_count`` rules, their conditions and
alternatives), said in the brief's language; the open kitchen of the text is kept.

The reading (``read_brief``, a model's draft) stays what the text says; the brief made from it
(``draft_to_brief``, whichever provider read the text) gets the rooms."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from archbuilder.ai.brief_drafts import draft_to_brief
from archbuilder.ai.brief_reader import read_brief
from archbuilder.ai.builtin_provider import propose
from archbuilder.compliance.required_rooms import missing_rooms, required_rooms
from archbuilder.compliance.schema import Rule
from archbuilder.domain.brief import Brief, BuildingType, RoomType


def _brief(text: str, language: str, region: str) -> tuple[Brief, list[str]]:
    return draft_to_brief(read_brief(text, language, region), region=region, language=language)


def _rooms(text: str, language: str, region: str) -> dict[str, int]:
    brief, _ = _brief(text, language, region)
    counted: dict[str, int] = {}
    for room in brief.rooms:
        counted[room.type.value] = counted.get(room.type.value, 0) + room.count
    return counted


def test_tr_three_plus_one_gets_the_wc_the_code_requires() -> None:
    # PAİY m.29(1): a WC in every dwelling; m.29(2): up to three rooms the bathroom may be it.
    # A 3+1 has four rooms (three bedrooms and the salon), so the bathroom may not.
    text = "3+1 daire, 110 m², mutfak salona açık"
    assert RoomType.wc not in {r.type for r in read_brief(text, "tr", "TR").rooms}  # what the text says
    brief, assumptions = _brief(text, "tr", "TR")
    rooms = {r.type: r.count for r in brief.rooms}
    assert rooms[RoomType.bedroom] == 3 and rooms[RoomType.bathroom] == 1 and rooms[RoomType.wc] == 1
    assert "1 × WC eklendi: PAİY m.29(1) bu konutta bunu şart koşuyor." in assumptions
    assert brief.total_area_m2 == 110
    # "mutfak salona açık": the open kitchen, and the kitchen must open into the living room.
    assert brief.open_kitchen
    assert [(a.a, a.b, a.kind.value) for a in brief.adjacency] == [
        (RoomType.kitchen, RoomType.living_room, "must")
    ]


def test_tr_two_plus_one_may_use_its_bathroom_as_the_wc() -> None:
    brief, assumptions = _brief("2+1 daire, 85 m²", "tr", "TR")
    assert RoomType.wc not in {r.type for r in brief.rooms}
    assert not any("PAİY" in a for a in assumptions)


def test_tr_a_wc_the_text_gives_is_not_added_again() -> None:
    assert _rooms("3+1 daire, 120 m², 1 banyo ve 1 tuvalet", "tr", "TR")["wc"] == 1


@pytest.mark.parametrize(
    ("region", "language", "text"),
    [
        ("DE", "de", "3-Zimmer-Wohnung, 80 qm, offene Küche"),
        ("FR", "fr", "T4 de 90 m², cuisine ouverte"),
        ("ES-CT", "es", "piso de 3 dormitorios, 90 m², cocina abierta"),
        ("US-CA", "en", "3 bed apartment, 1100 sq ft, open kitchen"),
    ],
)
def test_other_regions_get_only_what_their_rules_require(region: str, language: str, text: str) -> None:
    # Their rules hold no room_count rule: nothing is added, and nothing claims a code did it;
    # the open kitchen is read as in Turkish.
    draft = read_brief(text, language, region)
    brief, assumptions = _brief(text, language, region)
    assert [(r.type, r.count) for r in brief.rooms] == [(r.type, r.count) for r in draft.rooms]
    assert assumptions == draft.assumptions
    assert required_rooms(region, BuildingType.apartment, {RoomType.bedroom: 3}) == []
    assert brief.open_kitchen


def _rule(**fields: Any) -> Rule:
    base: dict[str, Any] = {
        "region": "FR",
        "jurisdiction": "national",
        "source": {
            "document": "A code of the test",
            "short": "CT",
            "article": "art. 1",
            "status": "verified",
        },
        "metric": "room_count",
        "comparator": ">=",
        "value": 1,
        "unit": "count",
        "message_key": "required",
    }
    return Rule.model_validate(base | fields)


def test_any_region_s_presence_rules_are_read_the_same_way() -> None:
    """Not a TR case: the rules' data decides. A made-up code: a WC apart from the bathroom once
    a dwelling has three main rooms, a storage room for houses only, a laundry only above
    four floors (a fact a programme does not know: left to the checker)."""
    rules = [
        _rule(
            id="FR-T-WC",
            applies_to={
                "building_use": ["apartment", "house"],
                "space_types": ["wc"],
                "conditions": [{"var": "dwelling_rooms", "op": ">=", "value": 3}],
            },
        ),
        _rule(id="FR-T-STORE", applies_to={"building_use": ["house"], "space_types": ["storage"]}),
        _rule(
            id="FR-T-LAUNDRY",
            applies_to={
                "building_use": ["apartment"],
                "space_types": ["laundry"],
                "conditions": [{"var": "floors_above_ground", "op": ">", "value": 4}],
            },
        ),
    ]
    three = {RoomType.living_room: 1, RoomType.bedroom: 2, RoomType.bathroom: 1}
    found = missing_rooms(rules, BuildingType.apartment, three)
    assert [(r.type, r.count, r.rule_id, r.citation) for r in found] == [
        (RoomType.wc, 1, "FR-T-WC", "CT art. 1")
    ]
    house = missing_rooms(rules, BuildingType.house, three)
    assert [r.type for r in house] == [RoomType.wc, RoomType.storage]
    assert missing_rooms(rules, BuildingType.apartment, {RoomType.living_room: 1, RoomType.bedroom: 1}) == []
    # An alternative that is met (a second bathroom instead) makes the rule met.
    rules[0] = rules[0].model_copy(update={"alternatives": ["FR-T-BATHS"]})
    rules.append(
        _rule(
            id="FR-T-BATHS",
            value=2,
            applies_to={"building_use": ["apartment"], "space_types": ["bathroom"]},
        )
    )
    two_baths = three | {RoomType.bathroom: 2}
    assert missing_rooms(rules, BuildingType.apartment, two_baths) == []


def test_the_built_in_programme_proposal_follows_the_rules_too(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"building_type": "apartment", "total_area_m2": 100, "household": 3, "language": "de"}
    # TR: two bedrooms and a salon are three rooms, the bathroom may be the WC.
    assert RoomType.wc not in {r.type for r in propose(data | {"region": "TR"}).rooms}
    # Four rooms (a study) need the WC.
    four = {RoomType.living_room: 1, RoomType.kitchen: 1, RoomType.bedroom: 2, RoomType.bathroom: 1}
    found = required_rooms("TR", BuildingType.apartment, four | {RoomType.office: 1})
    assert [(r.type, r.rule_id) for r in found] == [(RoomType.wc, "TR-PAIY-29-ROOMS-WC")]
    # Whatever a region's rules require is added to a proposal, and said in its language.
    storage = _rule(id="FR-T-STORE", applies_to={"building_use": ["apartment"], "space_types": ["storage"]})
    monkeypatch.setattr(
        "archbuilder.compliance.required_rooms.rules_for", lambda region: SimpleNamespace(rules=(storage,))
    )
    proposal = propose(data | {"region": "FR"})
    assert RoomType.storage in {r.type for r in proposal.rooms}
    assert any(a.startswith("1 × Abstellraum ergänzt: CT art. 1") for a in proposal.assumptions), proposal
