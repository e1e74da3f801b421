"""What the planner says about a layout (``metadata.assumptions`` and ``warnings``) in the
brief's language, from ``platform/messages/planner.yaml``."""

from __future__ import annotations

from typing import Any

from archbuilder.platform.i18n import DEFAULT_LANGUAGE, catalogue, decimal_text


def note(key: str, language: str | None, **params: Any) -> str:
    """The message ``key`` in ``language`` (English when the brief has none); numbers as the
    reader writes them (12,5 in tr, de, fr and es; to one decimal)."""
    lang = language or DEFAULT_LANGUAGE
    entry = catalogue("planner").get(key, {})
    template = entry.get(lang) or entry.get(DEFAULT_LANGUAGE) or key
    return template.format(**{k: _plain(v, lang) for k, v in params.items()})


def side_name(side: str, language: str | None) -> str:
    return note(f"side_{side}", language)


def _plain(value: Any, language: str) -> str:
    return decimal_text(value, language) if isinstance(value, float) else str(value)
