"""Messages in the caller's language (tr, en, de, fr, es), looked up by stable error code."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_LANGUAGES = ("tr", "en", "de", "fr", "es")
DEFAULT_LANGUAGE = "en"
_MESSAGES = Path(__file__).with_name("messages")
# Codes that are not in the catalogue fall back to the message for their HTTP status.
_STATUS_FALLBACK = {
    400: "INVALID_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_REQUEST",
}


@lru_cache(maxsize=4)
def catalogue(name: str = "errors") -> dict[str, dict[str, str]]:
    """Every message template of ``messages/<name>.yaml`` by key, then language. Loaded once."""
    with (_MESSAGES / f"{name}.yaml").open(encoding="utf-8") as fh:
        data: dict[str, dict[str, str]] = yaml.safe_load(fh)
    return data


class _Blank(dict[str, Any]):
    """Leaves unknown placeholders visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(code: str, language: str, params: Mapping[str, Any] | None = None, status: int = 500) -> str:
    """The message for ``code`` in ``language`` (English if the language is unknown)."""
    messages = catalogue()
    entry = messages.get(code) or messages.get(_STATUS_FALLBACK.get(status, "INTERNAL"), {})
    template = entry.get(language) or entry.get(DEFAULT_LANGUAGE) or code
    return template.format_map(_Blank({k: _plain(v) for k, v in (params or {}).items()}))


def translate_stage(stage: str, language: str) -> str:
    """A job stage (``planning``, ``storing`` …) as a short phrase in ``language``."""
    entry = catalogue("stages").get(stage, {})
    return entry.get(language) or entry.get(DEFAULT_LANGUAGE) or stage


def decimal_text(value: float, language: str) -> str:
    """A measured value as the reader writes it, to one decimal: 12.5 in English, 12,5 in tr,
    de, fr and es."""
    text = f"{round(value, 1):g}"
    return text if language == "en" else text.replace(".", ",")


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def negotiate(accept_language: str | None, fallback: str) -> str:
    """Pick a supported language from an ``Accept-Language`` header, else ``fallback``."""
    if accept_language:
        ranked: list[tuple[float, int, str]] = []
        for index, part in enumerate(accept_language.split(",")):
            pieces = part.strip().split(";")
            tag = pieces[0].strip().lower()
            quality = 1.0
            for param in pieces[1:]:
                name, _, value = param.strip().partition("=")
                if name == "q":
                    try:
                        quality = float(value)
                    except ValueError:
                        quality = 0.0
            ranked.append((-quality, index, tag))
        for neg_q, _, tag in sorted(ranked):
            primary = tag.split("-")[0]
            if neg_q < 0 and primary in SUPPORTED_LANGUAGES:
                return primary
    return fallback if fallback in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
