"""Rule files: all valid, counted, cited; a bad file fails loudly naming file and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from archbuilder.compliance import RuleFileError, load_all, room_minimums, rules_for
from archbuilder.compliance.loader import RULES_DIR, load_rule_file
from archbuilder.domain.brief import RoomType

GOOD = (RULES_DIR / "TR.yaml").read_text(encoding="utf-8")


def test_every_file_loads_with_enough_rules() -> None:
    counts = {country: len(parsed.rules) for country, (parsed, _) in load_all().items()}
    assert sum(counts.values()) >= 60
    assert counts["TR"] >= 40 and all(n >= 10 for n in counts.values())


def test_every_rule_is_cited_with_a_status() -> None:
    for parsed, _ in load_all().values():
        for rule in parsed.rules:
            # An article the research could not confirm is a note saying so (article_unverified).
            assert rule.source.document and (rule.source.article or rule.source.note) and rule.source.short
            assert rule.source.status in ("verified", "unverified", "derived")


def test_every_paiy_m29_room_minimum_is_loaded() -> None:
    ids = {r.id for r in rules_for("TR").rules}
    for room in ("LIV", "BED", "KIT", "BATH", "WC"):
        assert {f"TR-PAIY-29-{room}-A", f"TR-PAIY-29-{room}-W", f"TR-PAIY-29-ROOMS-{room}"} <= ids


def test_subdivision_rules_replace_the_ones_they_override() -> None:
    national = {r.id for r in rules_for("DE").rules}
    bavarian = {r.id for r in rules_for("DE-BY").rules}
    assert "DE-MBO-37-RW" in national and "DE-BY-BAYBO-35-RW" not in national
    assert "DE-BY-BAYBO-35-RW" in bavarian and "DE-MBO-37-RW" not in bavarian
    assert "ES-CT-D141-UNIT" in {r.id for r in rules_for("ES-CT").rules}
    assert "ES-CT-D141-UNIT" not in {r.id for r in rules_for("ES").rules}


def test_imperial_values_are_converted_at_load() -> None:
    rule = next(r for r in rules_for("US").rules if r.id == "US-IRC-R304.2")
    assert rule.limits() == (pytest.approx(2133.6), None)
    area = next(r for r in rules_for("US").rules if r.id == "US-IRC-R304.1")
    assert area.limits()[0] == pytest.approx(6.5032, abs=1e-4)


@pytest.mark.parametrize(
    ("change", "rule_id", "problem"),
    [
        ("value: 9.0, unit: m2", "TR-PAIY-29-BED-A", "unit 'm' is not one"),
        ('metric: net_area, comparator: ">=", value: 9.0', "TR-PAIY-29-BED-A", "'between'"),
        ('message_key: area_min,\n     notes: "the 2025', "TR-PAIY-29-BED-A", "message_key"),
    ],
)
def test_a_bad_rule_names_file_and_rule(tmp_path: Path, change: str, rule_id: str, problem: str) -> None:
    broken = {
        "value: 9.0, unit: m2": ("value: 9.0, unit: m2", "value: 9.0, unit: m"),
        'metric: net_area, comparator: ">=", value: 9.0': (
            'metric: net_area, comparator: ">=", value: 9.0',
            "metric: net_area, comparator: between, value: 9.0",
        ),
        'message_key: area_min,\n     notes: "the 2025': (
            'message_key: area_min,\n     notes: "the 2025',
            'message_key: no_such_message,\n     notes: "the 2025',
        ),
    }[change]
    assert broken[0] in GOOD
    path = tmp_path / "TR.yaml"
    path.write_text(GOOD.replace(broken[0], broken[1], 1), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rule_file(path)
    assert caught.value.file == "TR.yaml" and caught.value.rule_id == rule_id
    assert problem in str(caught.value)


def test_unknown_alternative_and_duplicate_ids_fail(tmp_path: Path) -> None:
    path = tmp_path / "TR.yaml"
    path.write_text(
        GOOD.replace("alternatives: [TR-PAIY-29-ROOMS-BWC]", "alternatives: [TR-NOPE]"), encoding="utf-8"
    )
    with pytest.raises(RuleFileError, match="TR-PAIY-29-ROOMS-WC.*unknown rule TR-NOPE"):
        load_rule_file(path)
    path.write_text(GOOD.replace("id: TR-PAIY-29-LIV-W,", "id: TR-PAIY-29-LIV-A,"), encoding="utf-8")
    with pytest.raises(RuleFileError, match="TR-PAIY-29-LIV-A: duplicate"):
        load_rule_file(path)


def test_room_minimums_come_from_the_rules() -> None:
    tr = room_minimums("TR", "apartment")
    assert tr[RoomType.bedroom].min_area_m2 == 9.0 and tr[RoomType.bedroom].min_narrow_side_mm == 2500
    assert tr[RoomType.living_room].rule_ids == ["TR-PAIY-29-LIV-A", "TR-PAIY-29-LIV-W"]
    assert (
        tr[RoomType.corridor].min_narrow_side_mm == 1200 and "PAİY m.29(3)" in tr[RoomType.corridor].citations
    )
    us = room_minimums("US", "house")
    assert us[RoomType.bedroom].min_narrow_side_mm == pytest.approx(2133.6)
    assert room_minimums("ES-CT", "apartment")[RoomType.bedroom].min_area_m2 == 6.0
