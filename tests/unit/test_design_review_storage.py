"""A version keeps its design review without words; read again in any language it says exactly
what ``layout.design_review`` says of the payload (services/design_reviews.py)."""

from __future__ import annotations

import pytest

from archbuilder.domain.brief import Brief, BuildingType, RoomRequest, RoomType, Side
from archbuilder.domain.design_review import DesignReviewReport, VersionDesignReview
from archbuilder.domain.layout import LayoutPayload, LayoutVersionPublic, Window
from archbuilder.layout.design_review import design_review
from archbuilder.platform.i18n import SUPPORTED_LANGUAGES
from archbuilder.services.design_reviews import (
    design_review_html,
    design_review_section,
    render,
    review_payload,
)
from tests.unit.payload_parts import door, rect_room
from tests.unit.test_design_review import ENTRANCE, _two_rooms

WINDOW = Window(
    id="N1", host_wall_id="W2", position_ratio=0.5, width_mm=1200, height_mm=1400,
    sill_height_mm=900, type_name="1200 x 1400mm", room_id="R2",
)  # fmt: skip


def _payloads() -> dict[str, LayoutPayload]:
    hall = _two_rooms(
        RoomType.hall, [ENTRANCE, door("D2", "W5", 0.5, ["R1", "R2"], "R2", facing=True)], [WINDOW]
    )
    living = _two_rooms(
        RoomType.living_room, [ENTRANCE, door("D2", "W5", 0.5, ["R1", "R2"], "R2", facing=True)]
    )
    through = living.model_copy(
        update={
            "rooms": [*living.rooms, rect_room("R3", 250, 2500, 2950, 4750, RoomType.corridor, "Koridor")]
        }
    )
    # The shares are read from the rooms' areas: a large bedroom puts the hall under 8 %.
    small_hall = hall.model_copy(
        update={"rooms": [hall.rooms[0], hall.rooms[1].model_copy(update={"area_m2": 200.0})]}
    )
    clash = _two_rooms(
        RoomType.hall,
        [
            ENTRANCE,
            door("D2", "W5", 0.15, ["R1", "R2"], "R2", facing=True),
            door("D3", "W1", (3700 - 125) / 7750, ["R2"], "R2", facing=False),
        ],
    )
    return {"hall": hall, "through": through, "small_hall": small_hall, "clash": clash}


def _brief(language: str = "tr", party_walls: tuple[Side, ...] = (Side.east,), north: float = 0) -> Brief:
    return Brief(
        building_type=BuildingType.apartment,
        language=language,
        total_area_m2=40,
        rooms=[RoomRequest(type=RoomType.bedroom)],
        party_walls=list(party_walls),
        north_deg=north,
    )


@pytest.mark.parametrize("name", ["hall", "through", "small_hall", "clash"])
def test_stored_then_rendered_in_every_language_is_what_the_review_says(name: str) -> None:
    payload = _payloads()[name]
    brief = _brief()
    stored = review_payload(payload, brief)
    assert all(c.message is None and c.label is None for c in stored.checks) and stored.language is None
    for language in SUPPORTED_LANGUAGES:
        direct = design_review(payload, language, brief.building_type, brief.north_deg, brief.party_walls)
        rendered = render(stored, language)
        assert rendered.language == language
        assert [c.message for c in rendered.checks] == [c.message for c in direct.checks], language
        assert [(c.id, c.status, c.value, c.rooms) for c in rendered.checks] == [
            (c.id, c.status, c.value, c.rooms) for c in direct.checks
        ]
        assert rendered.summary == direct.summary


def test_a_share_under_the_aim_keeps_its_own_message() -> None:
    stored = review_payload(_payloads()["small_hall"], _brief())
    share = next(c for c in stored.checks if c.id == "corridor_share")
    assert share.status == "advice" and share.message_key == "corridor_share_low.advice"
    english = next(c for c in render(stored, "en").checks if c.id == "corridor_share")
    assert english.message is not None and english.message.startswith("Hall and corridor take only")


def test_the_briefs_party_walls_and_orientation_are_measured() -> None:
    payload = _payloads()["hall"]  # N1 is on the east wall
    east = {c.id: c for c in review_payload(payload, _brief(party_walls=(Side.east,))).checks}
    none = {c.id: c for c in review_payload(payload, _brief(party_walls=())).checks}
    assert east["party_walls"].status == "problem" and east["party_walls"].rooms == ["N1"]
    assert none["party_walls"].status == "not_applicable"


def test_what_is_stored_holds_no_words_and_names_only_the_rooms_it_lists() -> None:
    stored = review_payload(_payloads()["through"], _brief())
    data = stored.model_dump(mode="json")
    assert all(c["message"] is None and c["label"] is None for c in data["checks"])
    named = {room for c in stored.checks for room in c.rooms}
    assert set(stored.room_names) == named and stored.room_names["R2"] == "Yatak Odası"
    assert VersionDesignReview.model_validate(data) == stored


def test_a_version_stored_before_the_field_still_loads() -> None:
    payload = _payloads()["hall"]
    old = {
        "layout_id": "lay_1",
        "project_id": "prj_1",
        "version": 1,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "source": "spine-v1",
        "payload": payload.model_dump(mode="json"),
        "metadata": {},
        "compliance": None,
        "variants": [{"rank": 1, "score": 0.5, "room_count": 2, "compliance": None}],
    }
    record = LayoutVersionPublic.model_validate(old)
    assert record.design_review is None and record.variants[0].design_review is None


def test_the_html_escapes_every_value_and_has_no_script() -> None:
    payload = _payloads()["through"]
    hostile = payload.model_copy(
        update={
            "rooms": [
                r.model_copy(update={"name": '<script>alert("x")</script>'}) if r.id == "R2" else r
                for r in payload.rooms
            ]
        }
    )
    review = render(review_payload(hostile, _brief()), "fr")
    access = next(c for c in review.checks if c.id == "private_access")
    assert access.message is not None and "<script>" in access.message  # the words keep the name
    report = DesignReviewReport(
        project_id="prj_1",
        layout_id="lay_<1>",
        version=1,
        variant=2,
        language="fr",
        title="Revue de conception",
        disclaimer="x & y",
        checks=review.checks,
        summary=review.summary,
    )
    for page in (design_review_html(report), design_review_section(report)):
        assert "<script" not in page and "&lt;script&gt;" in page
        assert "lay_<1>" not in page and "x &amp; y" in page
    assert design_review_section(report).startswith('<section class="design-review"')
