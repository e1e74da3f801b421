"""Every error code has a message in every language, and the header picks the right one."""

from __future__ import annotations

import re
from pathlib import Path

from archbuilder.platform.i18n import SUPPORTED_LANGUAGES, catalogue, negotiate, translate

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "archbuilder"


def test_every_message_exists_in_every_language() -> None:
    for name in ("errors", "stages"):
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
    assert "140.0" in text and "96.5" in text and "Oda programı" in text
    assert translate("PROGRAMME_TOO_LARGE", "xx", {"required_m2": 1, "available_m2": 2}).startswith(
        "The room"
    )


def test_negotiate_follows_quality_and_falls_back() -> None:
    assert negotiate("de-DE,de;q=0.9,en;q=0.8", "en") == "de"
    assert negotiate("ja, fr;q=0.5", "tr") == "fr"
    assert negotiate("en;q=0.1, es;q=0.9", "tr") == "es"
    assert negotiate("ja", "tr") == "tr"
    assert negotiate(None, "es") == "es"
    assert negotiate("", "xx") == "en"
