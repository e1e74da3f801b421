"""The compliance message catalogue, classification, unclassified spaces and the HTML page."""

from __future__ import annotations

import string

import pytest

from archbuilder.compliance import check_model, classify_space, layout_to_model, render_report_html, rules_for
from archbuilder.domain.brief import RoomType
from archbuilder.platform.i18n import SUPPORTED_LANGUAGES, catalogue
from tests.unit.compliance.layouts import acceptance_layout, brief_for


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_five_languages_and_the_same_placeholders() -> None:
    for key, entry in catalogue("compliance").items():
        assert set(entry) == set(SUPPORTED_LANGUAGES), key
        assert all(entry[lang].strip() for lang in SUPPORTED_LANGUAGES), key
        expected = placeholders(entry["en"])
        for lang in SUPPORTED_LANGUAGES:
            assert placeholders(entry[lang]) == expected, (key, lang)


def test_every_label_the_engine_can_ask_for_exists() -> None:
    messages = catalogue("compliance")
    for rule in rules_for("TR").rules + rules_for("US").rules + rules_for("DE-BY").rules:
        assert f"metric_{rule.metric.value}" in messages
    for room in RoomType:
        assert f"type_{room.value}" in messages


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Salon", RoomType.living_room),
        ("Oturma Odası", RoomType.living_room),
        ("Yatak Odası 2", RoomType.bedroom),
        ("Ebeveyn Banyosu", RoomType.bathroom),
        ("Wohnzimmer", RoomType.living_room),
        ("Kinderschlafzimmer", RoomType.bedroom),
        ("Gäste-WC", RoomType.wc),
        ("Séjour", RoomType.living_room),
        ("Chambre 1", RoomType.bedroom),
        ("Salle de bains", RoomType.bathroom),
        ("Dormitorio principal", RoomType.bedroom),
        ("Cuarto de baño", RoomType.bathroom),
        ("Living Room", RoomType.living_room),
        ("Master Bedroom", RoomType.bedroom),
        ("Sala de reuniones", RoomType.meeting_room),
        ("Buero", RoomType.office),
        ("Спальня", RoomType.bedroom),
        ("Студия-гостиная", RoomType.living_room),
        ("Прихожая", RoomType.hall),
        ("С/У", RoomType.bathroom),
        ("Коридор", RoomType.corridor),
        ("Комната", None),
        ("Υπνοδωμάτιο", None),
        ("Raum 12", None),
        ("", None),
    ],
)
def test_classify_space(name: str, expected: RoomType | None) -> None:
    assert classify_space(name) == expected


def test_an_unclassified_space_is_a_finding_not_a_silent_pass() -> None:
    model = layout_to_model(acceptance_layout(), brief_for("TR"))
    bedroom = next(s for s in model.spaces if s.id == "R2")
    bedroom.name, bedroom.type = "Υπνοδωμάτιο", classify_space("Υπνοδωμάτιο")
    report = check_model(model, region="TR", language="en")
    unclassified = [f for f in report.findings if f.rule_id == "SPACE-UNCLASSIFIED"]
    assert [(f.space_id, f.status) for f in unclassified] == [("R2", "cannot_check")]
    assert "could not be recognised" in unclassified[0].message
    assert not any(f.rule_id.startswith("TR-PAIY-29-BED") and f.status == "pass" for f in report.findings)
    rooms_bed = next(f for f in report.findings if f.rule_id == "TR-PAIY-29-ROOMS-BED")
    assert rooms_bed.status == "cannot_check"  # the missing bedroom may be the unclassified space


def test_html_report_escapes_names_and_needs_nothing_external() -> None:
    payload = acceptance_layout()
    payload.rooms[0].name = '<script>alert("x")</script> Salon'
    report = check_model(layout_to_model(payload, brief_for("TR")), region="TR", language="tr")
    page = render_report_html(report, "de")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page and "<img" not in page
    assert "Prüfbericht" in page and "kleinste Seite 2,20 m" in page  # rendered again in German
    assert report.rules_version in page
