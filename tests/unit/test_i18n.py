"""Every error code has a message in every language, and the header picks the right one."""

from __future__ import annotations

import re
from pathlib import Path

from archbuilder.cad.notices import notice, notice_text
from archbuilder.platform.i18n import (
    SUPPORTED_LANGUAGES,
    catalogue,
    negotiate,
    number_text,
    percent_text,
    reason_text,
    requested_language,
    translate,
    translate_stage,
    validation_problem,
)

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "archbuilder"


def test_every_message_exists_in_every_language() -> None:
    for name in ("errors", "stages", "resources", "validation", "cad", "exports", "reasons"):
        for code, messages in catalogue(name).items():
            assert set(messages) == set(SUPPORTED_LANGUAGES), f"{name}.{code} lacks a language"
            placeholders = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in messages.items()}
            assert len({frozenset(p) for p in placeholders.values()}) == 1, f"{code}: placeholders differ"


def test_every_code_raised_in_the_source_has_a_message() -> None:
    raised: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        raised |= set(re.findall(r'code="([A-Z_]+)"', path.read_text(encoding="utf-8")))
    internal = {
        "INVALID_PATH",
        "INVALID_FIELD",
        "INVALID_FILTER",
        "READ_AFTER_WRITE",
        "INVALID_OBJECT_NAME",
        "GENERATION_MISMATCH",
        "UNEXPECTED_EVENT_TYPE",
        "MALFORMED_EVENT",
        "CLOUD_ADAPTERS_NOT_AVAILABLE",
    }
    missing = raised - set(catalogue()) - internal
    assert not missing, f"codes without a message: {sorted(missing)}"


def test_translate_fills_placeholders() -> None:
    text = translate("PROGRAMME_TOO_LARGE", "tr", {"required_m2": 140.0, "available_m2": 96.5})
    assert "140 m²" in text and "96,5 m²" in text and "Oda programı" in text  # numbers as tr writes them
    assert translate("PROGRAMME_TOO_LARGE", "xx", {"required_m2": 1, "available_m2": 2}).startswith(
        "The room"
    )


def test_every_reason_given_in_the_source_is_worded_and_every_wording_is_given() -> None:
    code = _sources()
    given = set(re.findall(r'(?:Reason|BuildFailed|_Refused|reject)\(\s*"([a-z_]+)"', code))
    # Corrections name the bound of an opening's size they break (corrections._size_refused).
    given |= {f"opening_{what}_{side}" for what in ("width", "height") for side in ("under", "over")}
    # … and the layout checks, the bound of the add-in's sizes (validation._size_problems).
    given |= {f"opening_{what}_out_of_range" for what in ("width", "height")}
    assert len(given) >= 30 and given == set(catalogue("reasons"))


def test_an_error_with_a_reason_code_gives_its_reason_in_the_readers_language() -> None:
    params = {
        "reason": "Salon: the facades that are not party walls (east, west) leave it too little ...",
        "reason_code": "glazing_party_walls",
        "reason_params": {"room": "Salon", "sides": ["east", "west"]},
    }
    text = translate("PROGRAMME_DOES_NOT_FIT", "tr", params)
    assert "(Salon: komşu duvarları (doğu, batı) dışında kalan cepheler" in text and "east" not in text
    assert "(Ost, West)" in translate("PROGRAMME_DOES_NOT_FIT", "de", params)
    area = {"room": "Yatak Odası", "area_m2": 8.45, "minimum_m2": 9.0}
    assert reason_text("room_area_under", "de", area) == (
        "Yatak Odası hat 8,45 m², weniger als die Mindestfläche von 9 m²"
    )
    # Stored before reasons had codes (or a code this version does not know): the words as given.
    assert translate(
        "CORRECTION_INVALID", "de", {"index": 0, "op": "merge_room", "reason": "no room R9"}
    ) == ("Korrektur 0 (merge_room) kann nicht angewendet werden: no room R9.")


def test_layout_invalid_words_each_problem_in_the_readers_language() -> None:
    """``problem_reasons`` fill ``{problems}``, rooms by their names; one code this version does
    not know and the English ``problems`` are shown as given."""
    params = {
        "problems": ["rooms R2 and R3 overlap by 1.25 m²", "room R4 cannot be reached from outside"],
        "problem_reasons": [
            {"code": "rooms_overlap", "params": {"room": "Küche", "other": "Bad", "area_m2": 1.25}},
            {"code": "room_unreachable", "params": {"room": "Schlafzimmer 2"}},
        ],
    }
    de = translate("LAYOUT_INVALID", "de", params)
    assert "Küche und Bad überschneiden sich um 1,25 m²; Schlafzimmer 2 ist von außen" in de
    assert "R2" not in de and "overlap" not in de
    fr = translate("LAYOUT_INVALID", "fr", params)
    assert "1,25 m² ; Schlafzimmer 2 n'est pas accessible" in fr  # a space before the semicolon
    unknown = {**params, "problem_reasons": [*params["problem_reasons"], {"code": "from_a_later_version"}]}
    assert "rooms R2 and R3 overlap by 1.25 m², room R4 cannot" in translate("LAYOUT_INVALID", "de", unknown)


def test_negotiate_follows_quality_and_falls_back() -> None:
    assert negotiate("de-DE,de;q=0.9,en;q=0.8", "en") == "de"
    assert negotiate("ja, fr;q=0.5", "tr") == "fr"
    assert negotiate("en;q=0.1, es;q=0.9", "tr") == "es"
    assert negotiate("ja", "tr") == "tr"
    assert negotiate(None, "es") == "es"
    assert negotiate("", "xx") == "en"


def _sources() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in SOURCE.rglob("*.py"))


def test_every_job_stage_set_in_the_source_is_a_sentence_in_every_language() -> None:
    code = _sources()
    stages = set(re.findall(r'(?:stage=|"stage": |_progress\([^)]*, )"([a-z_]+)"', code))
    assert {"queued", "awaiting_upload", "parsing", "checking_compliance", "done"} <= stages
    assert stages - set(catalogue("stages")) == set(), "stages without a message"
    assert translate_stage("awaiting_upload", "tr") == "Dosyanın yüklenmesi bekleniyor"
    assert translate_stage("some_new_stage", "de") == "In Bearbeitung"  # never the key itself


def test_every_validation_error_and_cad_notice_raised_in_the_source_has_a_message() -> None:
    code = _sources()
    raised = set(re.findall(r'invalid\("([a-z_]+)"', code))
    assert len(raised) >= 20 and raised - set(catalogue("validation")) == set()
    noticed = set(re.findall(r'notice\("([a-z_]+)"', code)) | set(
        re.findall(r'(?:skipped|notes)\["([a-z_]+)"', code)
    )
    noticed |= {f"ifc_{what}_sizes_{how}" for what in ("door", "window") for how in ("mm", "out_of_range")}
    assert len(noticed) >= 25 and noticed - set(catalogue("cad")) == set()


def test_numbers_and_percentages_are_written_as_each_language_writes_them() -> None:
    assert [number_text(2.2, lang, 2) for lang in ("en", "tr", "de")] == ["2.20", "2,20", "2,20"]
    assert number_text(12500, "de") == "12.500" and number_text(12500, "en") == "12,500"
    assert number_text(2500.0, "tr") == "2500" and number_text(-0.001, "tr") == "0"
    assert [percent_text(100, lang, 1) for lang in SUPPORTED_LANGUAGES] == [
        "%100,0",
        "100.0%",
        "100,0\u00a0%",
        "100,0\u00a0%",
        "100,0\u00a0%",
    ]


def test_not_found_names_the_resource_in_the_readers_language() -> None:
    params = {"resource": "layout", "id": "lay_x"}
    assert translate("NOT_FOUND", "tr", params) == "Yerleşim 'lay_x' bulunamadı."
    assert translate("NOT_FOUND", "de", params) == "Grundriss 'lay_x' wurde nicht gefunden."
    assert translate("NOT_FOUND", "en", params) == "The layout 'lay_x' was not found."
    assert translate("NOT_FOUND", "es", {"resource": "job", "id": "j"}) == "No se encontró la tarea 'j'."


def test_validation_problems_are_worded_by_error_type() -> None:
    assert (
        validation_problem("greater_than_equal", {"ge": 3000}, "de", "x")
        == "Geben Sie eine Zahl von mindestens 3000 an."
    )
    assert validation_problem("literal_error", {"expected": "'json' or 'html'"}, "tr", "x") == (
        "Şunlardan birini girin: 'json' veya 'html'."
    )
    assert validation_problem("entrance_on_party_wall", {"side": "north"}, "tr", "x") == (
        "Giriş komşu duvarında olamaz (kuzey)."
    )
    # A type without an entry: pydantic's words in English, "not valid" in any other language.
    assert validation_problem("uuid_parsing", None, "en", "Input should be a valid UUID") == (
        "Input should be a valid UUID"
    )
    assert validation_problem("uuid_parsing", None, "fr", "Input should be a valid UUID") == (
        "La valeur n'est pas valide."
    )


def test_requested_language_is_none_unless_the_header_names_a_supported_one() -> None:
    assert requested_language("de-CH, en;q=0.5") == "de"
    assert requested_language("ja, *;q=0.1") is None and requested_language(None) is None


def test_a_cad_notice_reads_in_every_language_with_its_numbers() -> None:
    item = notice("units_contradict", declared="in", declared_m=2.8, unit="m", unit_m=110.0)
    assert notice_text(item, "en") == (
        "drawing units: $INSUNITS says in but the plan would then be 2.8 m across; read as m (110 m)"
    )
    assert "2,8 m" in notice_text(item, "tr") and "110 m" in notice_text(item, "de")
