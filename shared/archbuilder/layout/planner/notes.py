"""What the planner says about a layout (``metadata.assumptions`` and ``warnings``) in the
brief's language, from ``platform/messages/planner.yaml``."""

from __future__ import annotations

from typing import Any

from archbuilder.platform.i18n import DEFAULT_LANGUAGE, catalogue


def note(key: str, language: str | None, **params: Any) -> str:
    """The message ``key`` in ``language`` (English when the brief has none); numbers as the
    reader writes them (12,5 in tr, de, fr and es)."""
    lang = language or DEFAULT_LANGUAGE
    entry = catalogue("planner").get(key, {})
    template = entry.get(lang) or entry.get(DEFAULT_LANGUAGE) or key
    return template.format(**{k: _plain(v, lang) for k, v in params.items()})


def side_name(side: str, language: str | None) -> str:
    return note(f"side_{side}", language)


def _plain(value: Any, language: str) -> str:
    if isinstance(value, float):
        text = f"{value:g}"
        return text if language == "en" else text.replace(".", ",")
    return str(value)
