"""Issue 4, done when: the deliberately faulty layout fails exactly where it should."""

from __future__ import annotations

import pytest

from archbuilder.compliance import check_model, layout_to_model, render_report_html
from tests.unit.compliance.layouts import acceptance_layout, brief_for

TR_EXPECTED = {
    ("TR-PAIY-29-BED-W", "R2"): "m.29(1)",  # 2.2 m wide bedroom
    ("TR-PAIY-29-CORR-W", "R6"): "m.29(3)",  # 1.0 m corridor
    ("TR-PAIY-LIGHT-LIV", "R1"): "Belediye imar yönetmelikleri (ışık ve hava)",  # article_unverified
    ("TR-PAIY-39-DOOR-UNIT", "R6"): "m.39(1)(c)",  # 0.8 m entrance door
}


@pytest.mark.parametrize("building_type", ["apartment", "house"])
def test_tr_finds_exactly_the_four_faults_with_their_paiy_articles(building_type: str) -> None:
    model = layout_to_model(acceptance_layout(), brief_for("TR", building_type))
    report = check_model(model, region="TR", language="tr")
    fails = {(f.rule_id, f.space_id): f for f in report.findings if f.status == "fail"}
    assert set(fails) == set(TR_EXPECTED)
    for key, article in TR_EXPECTED.items():
        finding = fails[key]
        assert finding.citation is not None
        assert (finding.citation.short, finding.citation.article) == ("PAİY", article)
        assert finding.severity == "error"
    assert report.summary.errors == 4 and report.summary.warnings == 0
    messages = {k[0]: f.message for k, f in fails.items()}
    assert (
        messages["TR-PAIY-29-BED-W"] == "Yatak Odası: dar kenar 2,20 m, asgari 2,50 m olmalı (PAİY m.29(1))"
    )
    assert "net genişlik 1,00 m, asgari 1,20 m" in messages["TR-PAIY-29-CORR-W"]
    assert (
        "pencere yok" in messages["TR-PAIY-LIGHT-LIV"]
        and "(madde doğrulanmadı)" in messages["TR-PAIY-LIGHT-LIV"]
    )
    assert "Kapı D1: kapı net genişliği 0,80 m, asgari 1,00 m" in messages["TR-PAIY-39-DOOR-UNIT"]


def test_tr_in_english() -> None:
    model = layout_to_model(acceptance_layout(), brief_for("TR"))
    report = check_model(model, region="TR", language="en")
    messages = sorted(f.message for f in report.findings if f.status == "fail")
    assert messages == [
        "Door D1: door clear width 0.80 m is below the minimum 1.00 m (PAİY m.39(1)(c))",
        "Koridor: clear width 1.00 m is below the minimum 1.20 m (PAİY m.29(3))",
        "Salon: no window to the outside (0 found, 1 required) "
        "(PAİY Belediye imar yönetmelikleri (ışık ve hava) (article unverified))",
        "Yatak Odası: narrowest side 2.20 m is below the minimum 2.50 m (PAİY m.29(1))",
    ]


def test_the_corrected_layout_passes_in_tr() -> None:
    fixed = acceptance_layout(
        bedroom_width=2600, corridor_width=1200, living_window=True, entrance_width=1000
    )
    report = check_model(layout_to_model(fixed, brief_for("TR")), region="TR", language="tr")
    assert [f.rule_id for f in report.findings if f.status == "fail"] == []
    assert report.summary.pass_rate == 1.0


def test_us_gives_irc_findings_in_feet_and_inches() -> None:
    model = layout_to_model(acceptance_layout(), brief_for("US", "house"))
    report = check_model(model, region="US", language="en")
    fails = {f.rule_id: f for f in report.findings if f.status == "fail"}
    # 2.2 m = 7 ft 2½ in ≥ 7 ft and 1.0 m = 3 ft 3¼ in ≥ 36 in pass under the IRC.
    assert set(fails) == {"US-IRC-R303.1-G", "US-IRC-R311.2"}
    door = fails["US-IRC-R311.2"]
    assert (door.measured, door.limit, door.unit) == (31.5, 32.0, "in")
    assert door.message == "Door D1: door clear width 2 ft 7½ in is below the minimum 2 ft 8 in (IRC R311.2)"
    assert fails["US-IRC-R303.1-G"].unit == "percent"
    bedroom = next(f for f in report.findings if f.rule_id == "US-IRC-R304.2" and f.space_id == "R2")
    assert bedroom.status == "pass" and bedroom.unit == "ft" and "7 ft 2½ in" in bedroom.message
    corridor = next(f for f in report.findings if f.rule_id == "US-IRC-R311.6")
    assert corridor.status == "pass" and "3 ft 3¼ in" in corridor.message
    assert all(f.citation is None or f.citation.short in ("IRC", "IBC") for f in report.findings)


@pytest.mark.parametrize("language", ["tr", "en", "de", "fr", "es"])
def test_report_in_each_language(language: str) -> None:
    model = layout_to_model(acceptance_layout(), brief_for("TR"))
    report = check_model(model, region="TR", language=language)
    assert report.language == language
    words = {"tr": "asgari", "en": "minimum", "de": "Mindestmaß", "fr": "inférieure", "es": "mínimo"}
    fails = [f.message for f in report.findings if f.status == "fail"]
    assert len(fails) == 4 and all("{" not in m for m in report_messages(report))
    assert any(words[language] in m for m in fails)
    page = render_report_html(report, language)
    assert page.startswith("<!DOCTYPE html>") and f'lang="{language}"' in page


def report_messages(report: object) -> list[str]:
    return [f.message for f in report.findings]  # type: ignore[attr-defined]
