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


@lru_cache(maxsize=16)
def catalogue(name: str = "errors") -> dict[str, dict[str, str]]:
    """Every message template of ``messages/<name>.yaml`` by key, then language. Loaded once."""
    with (_MESSAGES / f"{name}.yaml").open(encoding="utf-8") as fh:
        data: dict[str, dict[str, str]] = yaml.safe_load(fh)
    return data


class _Blank(dict[str, Any]):
    """Leaves unknown placeholders visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def phrase(name: str, key: str, language: str, params: Mapping[str, Any] | None = None) -> str:
    """The entry ``key`` of ``messages/<name>.yaml`` in ``language`` (English when the language
    lacks it, the key itself when the catalogue does), placeholders filled as ``translate`` does."""
    entry = catalogue(name).get(key, {})
    template = entry.get(language) or entry.get(DEFAULT_LANGUAGE) or key
    if not params:
        return template
    return template.format_map(_Blank({k: _plain(v, language) for k, v in params.items()}))


def translate(code: str, language: str, params: Mapping[str, Any] | None = None, status: int = 500) -> str:
    """The message for ``code`` in ``language`` (English if the language is unknown).

    A ``resource`` parameter (``layout``, ``project`` …) is named in ``language`` too
    (``messages/resources.yaml``), and so is the ``reason`` of an error that has a
    ``reason_code`` (``messages/reasons.yaml``, see ``errors.Reason``); numbers are written as
    the reader writes them."""
    messages = catalogue()
    entry = messages.get(code) or messages.get(_STATUS_FALLBACK.get(status, "INTERNAL"), {})
    template = entry.get(language) or entry.get(DEFAULT_LANGUAGE) or code
    filled = {k: _plain(v, language) for k, v in (params or {}).items()}
    resource = (params or {}).get("resource")
    if isinstance(resource, str) and resource in catalogue("resources"):
        filled["resource"] = phrase("resources", resource, language)
    reason = (params or {}).get("reason_code")
    if isinstance(reason, str) and reason in catalogue("reasons"):
        filled["reason"] = reason_text(reason, language, (params or {}).get("reason_params"))
    problems = _problems_text((params or {}).get("problem_reasons"), language)
    if problems is not None:
        filled["problems"] = problems
    return template.format_map(_Blank(filled))


def _problems_text(reasons: Any, language: str) -> str | None:
    """The ``problems`` of an error that lists several reasons (``problem_reasons``: each a
    ``{"code", "params"}`` of ``messages/reasons.yaml``) in ``language``, one clause each; None
    when they are missing or one of them has a code this version does not know (the English
    ``problems`` are then shown as given)."""
    if not isinstance(reasons, list) or not reasons:
        return None
    known = catalogue("reasons")
    if not all(_known_reason(r, known) for r in reasons):
        return None
    separator = " ; " if language == "fr" else "; "  # French sets a space before the semicolon
    return separator.join(reason_text(r["code"], language, r.get("params")) for r in reasons)


def _known_reason(reason: Any, known: Mapping[str, Any]) -> bool:
    """A ``{"code", "params"}`` whose code the catalogue words and whose params are a mapping."""
    if not isinstance(reason, dict):
        return False
    return reason.get("code") in known and isinstance(reason.get("params", {}), dict)


def reason_text(code: str, language: str, params: Mapping[str, Any] | None = None) -> str:
    """Why something cannot be done (the entry ``code`` of ``messages/reasons.yaml``) in
    ``language``; a ``sides`` parameter (``["east", "west"]``) names the sides in ``language``."""
    filled = dict(params or {})
    sides = filled.get("sides")
    if isinstance(sides, list | tuple):
        filled["sides"] = [phrase("planner", f"side_{side}", language) for side in sides]
    return phrase("reasons", code, language, filled)


def translate_stage(stage: str, language: str) -> str:
    """A job stage (``planning``, ``storing`` …) as a short phrase in ``language``; a stage
    without an entry reads as work in progress, never as its key."""
    stages = catalogue("stages")
    entry = stages.get(stage) or stages["working"]
    return entry.get(language) or entry[DEFAULT_LANGUAGE]


def decimal_text(value: float, language: str) -> str:
    """A measured value as the reader writes it, to one decimal: 12.5 in English, 12,5 in tr,
    de, fr and es."""
    text = f"{round(value, 1):g}"
    return text if language == "en" else text.replace(".", ",")


# How each language writes numbers: the decimal mark, the thousands separator (only from
# 10 000 up: 2500 stays 2500) and where the percent sign goes ("{}" is the number). The
# spaces are no-break spaces, so that a number never wraps away from its sign.
_DECIMAL_MARK = {"en": ".", "tr": ",", "de": ",", "fr": ",", "es": ","}
_GROUP_MARK = {"en": ",", "tr": ".", "de": ".", "fr": "\u00a0", "es": "."}
_PERCENT = {"en": "{}%", "tr": "%{}", "de": "{}\u00a0%", "fr": "{}\u00a0%", "es": "{}\u00a0%"}


def number_text(value: float, language: str, decimals: int | None = None) -> str:
    """``value`` as the reader writes it: with ``decimals`` fixed decimals, or without trailing
    zeros (at most 2 decimals) when ``decimals`` is None. 1234.5 → en "1234.5", tr "1234,5";
    12500 → en "12,500", de "12.500"."""
    fixed = f"{value:.{2 if decimals is None else decimals}f}"
    text = fixed.rstrip("0").rstrip(".") if decimals is None else fixed
    sign = "-" if text.startswith("-") and text.strip("-0.") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    if len(whole) > 4:
        groups = [whole[max(0, end - 3) : end] for end in range(len(whole), 0, -3)]
        whole = _GROUP_MARK.get(language, ",").join(reversed(groups))
    mark = _DECIMAL_MARK.get(language, ".")
    return sign + whole + (mark + fraction if fraction else "")


def percent_text(value: float, language: str, decimals: int | None = None) -> str:
    """A percentage (``value`` already in percent) as the reader writes it: en "100.0%",
    tr "%100,0", de, fr and es "100,0 %"."""
    return with_percent(number_text(value, language, decimals), language)


def with_percent(number: str, language: str) -> str:
    """A number (or a range, "8–12") already written for ``language`` with the percent sign
    where that language puts it."""
    return _PERCENT.get(language, "{}%").format(number)


def _plain(value: Any, language: str = DEFAULT_LANGUAGE) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v, language) for v in value)
    if isinstance(value, float):
        return number_text(value, language)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return number_text(value, language)
    return str(value)


def validation_problem(
    error_type: str, context: Mapping[str, Any] | None, language: str, message: str
) -> str:
    """What is wrong with one field of a request, in ``language``: the entry of
    ``messages/validation.yaml`` for the error's ``type`` (pydantic's own types and those our
    validators raise) with the error's context filled in. A type without an entry reads as
    ``message`` (pydantic's words) in English and as ``invalid`` in any other language."""
    if error_type not in catalogue("validation"):
        return message if language == DEFAULT_LANGUAGE else phrase("validation", "invalid", language)
    params: dict[str, Any] = {}
    for key, value in (context or {}).items():
        if key in ("expected", "expected_tags"):
            # pydantic lists the allowed values as "'a', 'b' or 'c'".
            value = str(value).replace(" or ", f" {phrase('validation', 'word_or', language)} ")
        elif key == "side":
            value = phrase("planner", f"side_{value}", language)
        params[key] = value
    return phrase("validation", error_type, language, params)


def requested_language(accept_language: str | None) -> str | None:
    """The supported language an ``Accept-Language`` header asks for, or None when it names
    none (no header, ``*``, only unsupported languages)."""
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
    return None


def negotiate(accept_language: str | None, fallback: str) -> str:
    """Pick a supported language from an ``Accept-Language`` header, else ``fallback``."""
    requested = requested_language(accept_language)
    if requested is not None:
        return requested
    return fallback if fallback in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
