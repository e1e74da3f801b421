"""The brief fields that shape the plan — ``open_kitchen``, ``party_walls`` and a room's
``en_suite`` — read from text by the built-in reader, returned by the model providers
(through the real SDKs against the fake servers), and edited from an architect's feedback."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from archbuilder.ai.brief_edits import apply_edits
from archbuilder.ai.brief_reader import read_brief
from archbuilder.ai.feedback_reader import read_feedback
from archbuilder.ai.outputs import BriefDraft, EditOp, brief_edit
from archbuilder.ai.tasks import apply_feedback, brief_from_prompt, build_router, draft_to_brief, parse_brief
from archbuilder.domain.brief import Brief, RoomType, Side
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials
from tests.unit.ai.conftest import ai_settings, openai_router
from tests.unit.ai.fake_servers import BRIEF_3_1, FakeOpenAI, FakeVertex


def counts(draft: BriefDraft) -> dict[str, int]:
    out: dict[str, int] = {}
    for room in draft.rooms:
        key = f"{room.type.value}{'+en_suite' if room.en_suite else ''}"
        out[key] = out.get(key, 0) + room.count
    return out


def pairs(draft: BriefDraft) -> list[tuple[str, str, str]]:
    return [(a.a.value, a.b.value, a.kind.value) for a in draft.adjacency]


def walls(draft: BriefDraft) -> list[str]:
    return [side.value for side in draft.party_walls]


# -- the built-in reader: open kitchen ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("3+1 daire, 110 m², mutfak salona açık", "tr"),
        ("2+1 daire, 90 m², amerikan mutfak", "tr"),
        ("Two-bedroom flat, 75 m², open-plan kitchen", "en"),
        ("3 bed house, 120 m², open plan living/dining/kitchen", "en"),
        ("4-Zimmer-Wohnung, 110 qm, offene Küche", "de"),
        ("3-Zimmer-Wohnung, 80 m², Wohnküche", "de"),
        ("T4 de 90 m², cuisine ouverte sur le séjour", "fr"),
        ("Piso de 2 habitaciones, 70 m², cocina abierta al salón", "es"),
    ],
)
def test_an_open_kitchen_sets_the_field_and_keeps_its_must_wish(text: str, language: str) -> None:
    draft = read_brief(text, language)
    assert draft.open_kitchen is True
    # Kept: clients of briefs:parse read the wish, and it does no harm next to the planner's own.
    assert pairs(draft) == [("kitchen", "living_room", "must")]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("2+1 daire, 85 m², açık mutfak istemiyoruz", "tr"),
        ("2 bed flat, 70 m², no open kitchen", "en"),
        ("4-Zimmer-Wohnung, 95 m², keine offene Küche", "de"),
        ("T3 de 70 m², pas de cuisine ouverte", "fr"),
        ("Piso de 2 dormitorios, 80 m², sin cocina abierta", "es"),
        ("2 bed flat, 75 m², kitchen separate", "en"),
    ],
)
def test_an_open_kitchen_that_is_not_wanted_is_not_set(text: str, language: str) -> None:
    draft = read_brief(text, language)
    assert draft.open_kitchen is False and pairs(draft) == []


def test_an_office_kitchen_opens_without_a_wish_for_a_living_room_it_has_not() -> None:
    draft = read_brief("Office space for 12 people, 180 m², 3 offices, open kitchen", "en")
    assert draft.open_kitchen is True and pairs(draft) == []


# -- the built-in reader: en-suite -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "said"),
    [
        ("3+1 daire, 125 m², ebeveyn banyosu", "tr", "Ebeveyn banyosu"),
        ("3 bedroom house, 130 m², en-suite", "en", "En-suite"),
        ("3 bedroom house, 130 m², master bathroom", "en", "En-suite"),
        ("4-Zimmer-Wohnung, 100 m², Elternbad", "de", "Bad en suite"),
        ("Maison T5 de 140 m² avec suite parentale", "fr", "Salle d'eau attenante"),
        ("T4 de 85 m², salle d'eau attenante à la chambre", "fr", "Salle d'eau attenante"),
        ("Piso de 2 dormitorios, baño en suite, 80 m²", "es", "Baño en suite"),
    ],
)
def test_an_en_suite_is_a_bathroom_of_its_own_besides_the_main_one(
    text: str, language: str, said: str
) -> None:
    draft = read_brief(text, language)
    assert counts(draft)["bathroom+en_suite"] == 1
    assert counts(draft)["bathroom"] == 1  # a home keeps one bathroom off the hall
    assert not any(a.kind.value == "prefer" for a in draft.adjacency)  # the flag says it all
    assert any(a.startswith(said) for a in draft.assumptions)  # said in the brief's language


@pytest.mark.parametrize(
    ("text", "language", "plain", "en_suite"),
    [
        ("4+1 müstakil ev, 180 m2, 2 banyo, ebeveyn banyolu yatak odası", "tr", 2, 1),  # in addition
        ("3+1 daire, 120 m², 2 banyo (biri ebeveyn banyosu)", "tr", 1, 1),  # one of the two
        ("Victorian end terrace, 4 bedrooms, 2 bathrooms (one en-suite), 140 m²", "en", 1, 1),
        ("House, 3 beds, each bedroom with an en-suite, 160 m²", "en", 1, 3),
        ("2 bed flat, 70 m², three en-suites", "en", 1, 2),  # never more than one per bedroom
        ("Piso de 3 dormitorios, 2 baños en suite, 110 m²", "es", 1, 2),  # "baños" are the en-suites
    ],
)
def test_how_many_en_suites_and_how_many_other_bathrooms(
    text: str, language: str, plain: int, en_suite: int
) -> None:
    draft = read_brief(text, language)
    assert (counts(draft)["bathroom"], counts(draft)["bathroom+en_suite"]) == (plain, en_suite)


def test_a_master_bedroom_is_not_an_en_suite() -> None:
    assert "bathroom+en_suite" not in counts(read_brief("3 bed flat, 90 m², large master bedroom", "en"))


# -- the built-in reader: party walls ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "sides", "said"),
    [
        ("Bitişik nizam 3+1 ev, 140 m², giriş güneyden", "tr", ["east", "west"], "doğu ve batı"),
        ("Sıra ev, 3+1, 130 m²", "tr", ["east", "west"], "doğu ve batı"),
        ("Mid-terrace house, 3 bed 1 bath, 95 m²", "en", ["east", "west"], "east and west"),
        ("Row house, 3 bedrooms, 1,400 sq ft", "en", ["east", "west"], "east and west"),
        ("Townhouse, entrance on the east, 3 bed, 130 m²", "en", ["north", "south"], "north and south"),
        ("Reihenhaus mit 4 Zimmern auf 120 m²", "de", ["east", "west"], "Osten und Westen"),
        ("Reihenmittelhaus, 4 Zimmer, 125 m², Eingang im Norden", "de", ["east", "west"], "Osten und Westen"),
        ("Maison en bande de 100 m², T4, entrée au sud", "fr", ["east", "west"], "est et ouest"),
        (
            "Casa adosada de 3 dormitorios, 120 m², entrada por el oeste",
            "es",
            ["north", "south"],
            "norte y sur",
        ),
        ("Casa entre medianeras, 3 dormitorios, 110 m²", "es", ["east", "west"], "este y oeste"),
    ],
)
def test_a_terrace_house_shares_the_sides_either_side_of_its_entrance(
    text: str, language: str, sides: list[str], said: str
) -> None:
    draft = read_brief(text, language)
    assert walls(draft) == sides
    assert draft.entrance_side is None or draft.entrance_side.value not in sides
    assert any(said in a for a in draft.assumptions)


@pytest.mark.parametrize(
    ("text", "language", "sides"),
    [
        ("2+1 daire, 95 m², doğu ve batı komşu duvarı", "tr", ["east", "west"]),
        ("3+1 daire, batı cephesi ortak duvar, 110 m²", "tr", ["west"]),
        ("2 bedroom flat, 70 m², party walls on the east and west", "en", ["east", "west"]),
        ("3 bedroom house, party wall to the north, entrance east", "en", ["north"]),
        ("Haus, 140 m², Brandwand im Osten", "de", ["east"]),
        ("3-Zimmer-Wohnung, 80 m², Brandwände im Osten und Westen", "de", ["east", "west"]),
        ("Maison T5 de 130 m², mur mitoyen à l'ouest", "fr", ["west"]),
        ("T3 de 70 m², le mur mitoyen est à l'ouest", "fr", ["west"]),  # "est" here is "is"
        ("T3 de 68 m², murs mitoyens à l'est et à l'ouest", "fr", ["east", "west"]),
        ("Piso de 2 dormitorios, 75 m², medianera al este", "es", ["east"]),
        ("Piso de 3 habitaciones, 100 m², medianeras al este y al oeste", "es", ["east", "west"]),
    ],
)
def test_named_party_walls(text: str, language: str, sides: list[str]) -> None:
    draft = read_brief(text, language)
    assert walls(draft) == sides
    assert not any("rient" in a or "Yön" in a for a in draft.assumptions)  # not an orientation wish


@pytest.mark.parametrize(
    ("text", "language", "sides"),
    [
        ("End-of-terrace house, 3 bedrooms, 110 m²", "en", ["east"]),
        ("Semi-detached house, 3 bedrooms, 120 m², entrance on the west", "en", ["north"]),
        ("Reihenendhaus, 5 Zimmer, 140 qm", "de", ["east"]),
        ("Doppelhaushälfte, 135 m², drei Schlafzimmer", "de", ["east"]),
        ("İkiz villa, 4+1, 220 m²", "tr", ["east"]),
        ("Bitişik nizam köşe parsel, 4+1 ev, 170 m²", "tr", ["east"]),
        ("Maison jumelée T5 de 130 m²", "fr", ["east"]),
        ("Chalet pareado de 4 dormitorios, 180 m²", "es", ["east"]),
        # the side the text names wins over the one assumed
        ("End-of-terrace townhouse, 3 bedrooms, 110 m², party wall on the west", "en", ["west"]),
        ("Doppelhaushälfte mit 130 m², Brandwand im Westen", "de", ["west"]),
    ],
)
def test_an_end_of_terrace_or_semi_detached_house_shares_one_side(
    text: str, language: str, sides: list[str]
) -> None:
    assert walls(read_brief(text, language)) == sides


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("3 bed house with a roof terrace, 120 m²", "en"),
        ("Corner house, 3 bedrooms, 120 m²", "en"),
        ("2+1 köşe daire, 90 m², geniş teras", "tr"),
        ("Köşe parselde müstakil ev, 3+1, 160 m²", "tr"),
        ("Haus mit Dachterrasse, 130 m², 4 Zimmer", "de"),
        ("Einfamilienhaus mit Terrasse im Westen, 4 Zimmer, 140 m²", "de"),
        ("Maison T4 de 100 m² avec terrasse au sud et fenêtres jumelées", "fr"),
        ("T4 de 90 m², chambres mitoyennes", "fr"),
        ("Piso de 3 dormitorios con terraza, 95 m²", "es"),
    ],
)
def test_no_party_wall_from_a_word_that_only_might_mean_one(text: str, language: str) -> None:
    draft = read_brief(text, language)
    assert draft.party_walls == []


@pytest.mark.parametrize(
    ("text", "language", "said"),
    [
        ("Maison mitoyenne de 120 m², 3 chambres", "fr", "aucun mur mitoyen"),
        ("Haus, 150 m², Brandwand", "de", "keine Brandwand"),
        ("3+1, 120 m², kalkan duvarı var", "tr", "komşu duvarı eklenmedi"),
        ("3 bed house, 120 m², one party wall", "en", "no party wall is set"),
    ],
)
def test_a_shared_wall_without_a_side_is_not_guessed_and_that_is_said(
    text: str, language: str, said: str
) -> None:
    draft = read_brief(text, language)
    assert draft.party_walls == []
    assert any(said in a for a in draft.assumptions)


def test_a_party_walls_side_is_not_the_entrance_nor_next_to() -> None:
    draft = read_brief("3-Zimmer-Wohnung, 90 m², Brandwand im Süden, Eingang im Osten", "de")
    assert walls(draft) == ["south"] and draft.entrance_side is Side.east
    turkish = read_brief("2+1 daire, mutfak, bitişik nizam, 90 m²", "tr")
    assert pairs(turkish) == []  # "bitişik nizam" is zoning, not "next to"


# -- the tasks: a valid Brief, and a brief's own fields first -----------------------------------


def test_parse_brief_gives_a_brief_with_every_field(runtime: Runtime, tenant: TenantCredentials) -> None:
    parsed = parse_brief(
        "Reihenmittelhaus, 4 Zimmer, 125 m², offene Küche, Elternbad",
        "de",
        None,
        tenant_id=tenant.tenant_id,
        runtime=runtime,
    )
    brief = parsed.brief
    assert brief.open_kitchen is True and brief.party_walls == [Side.east, Side.west]
    assert [(r.type.value, r.count) for r in brief.rooms if r.en_suite] == [("bathroom", 1)]
    assert brief.entrance.side is Side.south and parsed.usage.prompt_version == "parse_brief.v2"


def test_with_a_party_wall_on_the_south_the_default_entrance_moves() -> None:
    draft = read_brief("2 bed flat, 70 m², party wall on the south", "en")
    brief, said = draft_to_brief(draft, region="US", language="en")
    assert brief.party_walls == [Side.south] and brief.entrance.side is Side.north
    assert "Entrance put on the north side: the south side is a party wall." in said


def test_a_prompt_fills_the_plan_fields_the_brief_leaves_open(
    runtime: Runtime, tenant: TenantCredentials
) -> None:
    given = Brief.model_validate(
        {
            "footprint": {"width_mm": 6000, "depth_mm": 14000},
            "rooms": [{"type": "bedroom", "count": 2}, {"type": "living_room"}, {"type": "kitchen"}],
            "entrance": {"side": "east"},
            "prompt": "terraced house, open-plan kitchen",
        }
    )
    merged, said = brief_from_prompt(given, tenant_id=tenant.tenant_id, runtime=runtime, region="US")
    assert merged.open_kitchen is True
    # Read as either side of a south entrance, turned with the brief's own entrance on the east.
    assert merged.party_walls == [Side.north, Side.south] and merged.entrance.side is Side.east
    assert any("turned to the north, south sides" in s for s in said)
    explicit = Brief.model_validate(
        {**given.model_dump(exclude_unset=True), "open_kitchen": False, "party_walls": ["north"]}
    )
    kept, _ = brief_from_prompt(explicit, tenant_id=tenant.tenant_id, runtime=runtime, region="US")
    assert kept.open_kitchen is False and kept.party_walls == [Side.north]  # what the client set wins


# -- the model providers: the fields through the real SDKs ---------------------------------------

TERRACE: dict[str, Any] = {
    **copy.deepcopy(BRIEF_3_1),
    "building_type": "house",
    "rooms": [
        *copy.deepcopy(BRIEF_3_1["rooms"]),
        {"type": "bathroom", "count": 1, "name": "Ebeveyn banyosu", "target_area_m2": 4.5, "en_suite": True},
    ],
    "open_kitchen": True,
    "party_walls": ["west", "east"],
    "assumptions": ["Bitişik nizam: doğu ve batı komşu duvarı."],
}
TEXT = "Bitişik nizam 3+1 ev, 110 m², amerikan mutfak, ebeveyn banyosu"


def test_openai_returns_the_fields_in_its_strict_schema(
    runtime: Runtime, tenant: TenantCredentials, fake_openai: FakeOpenAI
) -> None:
    fake_openai.output = TERRACE
    router = openai_router(runtime, fake_openai.url)
    parsed = parse_brief(TEXT, "tr", "TR", tenant_id=tenant.tenant_id, runtime=runtime, router=router)
    assert parsed.provider == "openai"
    brief = parsed.brief
    assert brief.open_kitchen is True and brief.party_walls == [Side.east, Side.west]
    suite = [r for r in brief.rooms if r.en_suite]
    assert [(r.type, r.name, r.target_area_m2) for r in suite] == [
        (RoomType.bathroom, "Ebeveyn banyosu", 4.5)
    ]
    schema = fake_openai.requests[0]["json"]["text"]["format"]["schema"]
    assert {"open_kitchen", "party_walls"} <= set(schema["required"])
    room = schema["$defs"]["BriefRoomDraft"]
    assert "en_suite" in room["required"] and room["properties"]["en_suite"]["type"] == "boolean"
    assert "party_walls" in fake_openai.requests[0]["json"]["instructions"]
    # The same text again: served from the cache, fields and all, at no cost.
    again = parse_brief(TEXT, "tr", "TR", tenant_id=tenant.tenant_id, runtime=runtime, router=router)
    assert again.usage.cached and again.usage.cost_usd == 0 and again.brief == brief
    assert len(fake_openai.requests) == 1


def test_gemini_returns_the_fields(
    runtime: Runtime, tenant: TenantCredentials, fake_vertex: FakeVertex
) -> None:
    fake_vertex.output = TERRACE
    router = build_router(runtime, ai_settings(vertex_url=fake_vertex.url))
    parsed = parse_brief(TEXT, "tr", "TR", tenant_id=tenant.tenant_id, runtime=runtime, router=router)
    assert parsed.provider == "gemini" and parsed.usage.prompt_version == "parse_brief.v2"
    assert parsed.brief.open_kitchen and parsed.brief.party_walls == [Side.east, Side.west]
    assert sum(r.count for r in parsed.brief.rooms if r.en_suite) == 1
    schema = fake_vertex.requests[0]["json"]["generationConfig"]["responseJsonSchema"]
    assert {"open_kitchen", "party_walls"} <= set(schema["properties"])


def test_a_model_that_makes_a_bedroom_en_suite_falls_back_to_the_builtin(
    runtime: Runtime, tenant: TenantCredentials, fake_openai: FakeOpenAI
) -> None:
    wrong = copy.deepcopy(TERRACE)
    wrong["rooms"][2]["en_suite"] = True  # the bedrooms
    fake_openai.output = wrong
    router = openai_router(runtime, fake_openai.url)
    parsed = parse_brief(TEXT, "tr", "TR", tenant_id=tenant.tenant_id, runtime=runtime, router=router)
    assert parsed.provider == "builtin" and len(fake_openai.requests) == 1
    assert parsed.brief.party_walls == [Side.east, Side.west]  # the built-in read it too
    assert [r.type for r in parsed.brief.rooms if r.en_suite] == [RoomType.bathroom]


# -- feedback: the edits ----------------------------------------------------------------------

BRIEF = Brief.model_validate(
    {
        "region": "TR",
        "language": "tr",
        "footprint": {"width_mm": 12000, "depth_mm": 9000},
        "rooms": [
            {"type": "living_room", "name": "Salon"},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 2},
            {"type": "bathroom", "count": 2},
            {"type": "hall"},
        ],
    }
)
ROOMS = [r.model_dump(mode="json") for r in BRIEF.rooms]
OPEN_KITCHEN = {
    "tr": "mutfak açık olsun",
    "en": "make the kitchen open",
    "de": "Küche offen",
    "fr": "cuisine ouverte",
    "es": "cocina abierta",
}
EN_SUITE = {
    "tr": "banyo yatak odasına açılsın",
    "en": "make the bathroom en-suite",
    "de": "Bad nur vom Schlafzimmer aus zugänglich",
    "fr": "salle de bains attenante à la chambre",
    "es": "el baño en suite",
}
LANGS = ["tr", "en", "de", "fr", "es"]


@pytest.mark.parametrize("language", LANGS)
def test_an_open_kitchen_in_feedback(language: str) -> None:
    draft = read_feedback(OPEN_KITCHEN[language], "tr", ROOMS)
    assert [e.summary() for e in draft.edits] == [{"op": "open_kitchen", "value": True}]


@pytest.mark.parametrize("language", LANGS)
def test_an_en_suite_bathroom_in_feedback(language: str) -> None:
    draft = read_feedback(EN_SUITE[language], "tr", ROOMS)
    assert [e.summary() for e in draft.edits] == [{"op": "en_suite", "room": "bathroom", "value": True}]


@pytest.mark.parametrize(
    ("feedback", "expected"),
    [
        ("kapalı mutfak olsun", [{"op": "open_kitchen", "value": False}]),
        ("no open kitchen", [{"op": "open_kitchen", "value": False}]),
        ("cocina independiente", [{"op": "open_kitchen", "value": False}]),
        ("banyo yatak odasına açılmasın", [{"op": "en_suite", "room": "bathroom", "value": False}]),
        (
            "ebeveyn banyosu ekle",
            [
                {"op": "add_room", "type": "bathroom", "count": 1},
                {"op": "en_suite", "room": "bathroom", "value": True},
            ],
        ),
        (
            "make the master bedroom en-suite",
            [
                {"op": "add_room", "type": "bathroom", "count": 1},
                {"op": "en_suite", "room": "bathroom", "value": True},
            ],
        ),
    ],
)
def test_more_plan_field_phrasings(feedback: str, expected: list[dict[str, object]]) -> None:
    assert [e.summary() for e in read_feedback(feedback, "en", ROOMS).edits] == expected


def test_the_edits_apply_to_a_copy_and_are_said_in_the_brief_language() -> None:
    edits = [
        brief_edit(EditOp.open_kitchen, value=True),
        brief_edit(EditOp.en_suite, room="bathroom", value=True),
        brief_edit(EditOp.add_room, type=RoomType.bathroom, count=1),
    ]
    result = apply_edits(BRIEF, edits, language="tr")
    assert result.applied == edits and result.rejected == []
    brief = result.brief
    assert brief.open_kitchen is True and BRIEF.open_kitchen is False
    # One of the two bathrooms opens into a bedroom, the other stays off the hall, and the
    # bathroom added afterwards is an ordinary one.
    assert [(r.type.value, r.count, r.en_suite) for r in brief.rooms if r.type is RoomType.bathroom] == [
        ("bathroom", 2, False),
        ("bathroom", 1, True),
    ]
    assert result.sentences[0] == "Mutfak salona açık (kapısız geçiş)."
    assert result.sentences[1] == "Banyo: ebeveyn banyosu, yalnızca bir yatak odasına açılıyor."


def test_only_a_bathroom_or_a_wc_can_be_en_suite() -> None:
    result = apply_edits(BRIEF, [brief_edit(EditOp.en_suite, room="bedroom", value=True)], language="en")
    assert result.applied == [] and result.brief == BRIEF
    assert result.sentences == ["Not applied: only a bathroom or a WC can be en-suite (“bedroom”)."]
    no_kitchen = Brief.model_validate({"total_area_m2": 40, "rooms": [{"type": "living_room"}]})
    refused = apply_edits(no_kitchen, [brief_edit(EditOp.open_kitchen, value=True)], language="de")
    assert refused.rejected and not refused.brief.open_kitchen


def test_revise_brief_with_the_builtin_reader(runtime: Runtime, tenant: TenantCredentials) -> None:
    revised = apply_feedback(
        BRIEF,
        "mutfak açık olsun, banyo yatak odasına açılsın",
        tenant_id=tenant.tenant_id,
        runtime=runtime,
        language="tr",
    )
    assert revised.provider == "builtin" and revised.not_understood == []
    assert revised.brief.open_kitchen is True
    assert sum(r.count for r in revised.brief.rooms if r.en_suite) == 1
    assert revised.usage.prompt_version == "revise_brief.v2"


def test_a_model_answers_the_new_edits(
    runtime: Runtime, tenant: TenantCredentials, fake_openai: FakeOpenAI
) -> None:
    empty = dict.fromkeys(("room", "factor", "area_m2", "type", "count", "a", "b", "kind", "side", "value"))
    fake_openai.output = {
        "edits": [
            {**empty, "op": "open_kitchen", "value": True},
            {**empty, "op": "en_suite", "room": "bathroom", "value": True},
        ],
        "not_understood": [],
        "assumptions": [],
        "confidence": 0.9,
    }
    revised = apply_feedback(
        BRIEF,
        "Open the kitchen up and give the main bedroom the bathroom",
        tenant_id=tenant.tenant_id,
        runtime=runtime,
        language="en",
        router=openai_router(runtime, fake_openai.url),
    )
    assert revised.provider == "openai" and [e.op for e in revised.edits] == [
        EditOp.open_kitchen,
        EditOp.en_suite,
    ]
    assert revised.brief.open_kitchen and any(r.en_suite for r in revised.brief.rooms)
    body = fake_openai.requests[0]["json"]
    assert (
        '"open_kitchen": false' in body["input"] and '"en_suite": false' in body["input"]
    )  # the brief's state
    assert "en_suite {room, value}" in body["instructions"]


@pytest.mark.parametrize("text", ["don't open the kitchen", "mutfak açık olmasın"])
def test_an_open_kitchen_said_no_to_in_feedback_closes_it(text: str) -> None:
    draft = read_feedback(text, "tr", ROOMS)
    assert [e.summary() for e in draft.edits] == [{"op": "open_kitchen", "value": False}]
