"""Finding messages in tr, en, de, fr, es from ``platform/messages/compliance.yaml``.

Values are formatted per the finding's unit: metres and m² for metric regions, feet and
inches for imperial ones (the comparison itself was made in millimetres).
"""

from __future__ import annotations

import re

from archbuilder.compliance.report import Citation, Finding
from archbuilder.compliance.units import UNITS, formatted, quantity_of, to_engine
from archbuilder.platform.i18n import DEFAULT_LANGUAGE, catalogue, number_text


def text(key: str, language: str, **params: str) -> str:
    entry = catalogue("compliance").get(key, {})
    template = entry.get(language) or entry.get(DEFAULT_LANGUAGE) or key
    return template.format(**params) if params else template


def value_text(value: float | list[float] | None, unit: str | None, language: str) -> str:
    """A measured value or limit with its unit, as a reader of ``language`` writes it."""
    if value is None or unit is None or unit not in UNITS:
        return "—"
    if isinstance(value, list):
        return " – ".join(value_text(v, unit, language) for v in value)
    return formatted(to_engine(value, unit), quantity_of(unit), unit, language)


def article_text(citation: Citation, language: str) -> str:
    """The cited article with what the source says about it in ``language``:
    "m.28 (fıkra doğrulanmadı)"."""
    if citation.note is None:
        return citation.article
    note = text(f"note_{citation.note}", language)
    return f"{citation.article} ({note})" if citation.article else note


# The words of a rule's condition ("dwelling_has_wc == false (dwelling_has_wc = true)"):
# its variables, true and false, and numbers.
_CONDITION_WORD = re.compile(r"[a-z_]+|\d+(?:\.\d+)?")


def condition_text(detail: str, language: str) -> str:
    """A rule's condition in the reader's words: each variable as the data it is
    (``data_<var>``), true and false as yes and no, numbers as the reader writes them."""

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("true", "false"):
            return text(f"value_{token}", language)
        if token[0].isdigit():
            return number_text(float(token), language)
        key = f"data_{token}"
        return text(key, language) if key in catalogue("compliance") else token

    return _CONDITION_WORD.sub(word, detail)


def subject_text(finding: Finding, language: str) -> str:
    subject = finding.subject
    if subject.kind == "space":
        return subject.name or subject.id or "?"
    if subject.kind == "building":
        return text("subject_building", language)
    return text(f"subject_{subject.kind}", language, id=subject.name or subject.id or "?")


def reason_text(finding: Finding, language: str) -> str:
    reason = finding.reason
    if reason is None:
        return ""
    if reason.kind == "missing":
        return text("reason_missing", language, data=text(f"data_{reason.detail}", language))
    if reason.kind == "use":
        return text("reason_use", language, use=text(f"use_{reason.detail}", language))
    if reason.kind == "no_targets":
        return text("reason_no_targets", language, what=text(f"scope_{reason.detail}", language))
    if reason.kind == "condition":
        return text("reason_condition", language, detail=condition_text(reason.detail, language))
    return text(f"reason_{reason.kind}", language, detail=reason.detail)


def render(finding: Finding, language: str) -> str:
    """The finding's sentence in ``language``."""
    citation = finding.citation
    ref = f"{citation.short} {article_text(citation, language)}" if citation else finding.rule_id
    params = {
        "space": subject_text(finding, language),
        "actual": value_text(finding.measured, finding.unit, language),
        "limit": value_text(finding.limit, finding.unit, language),
        "ref": ref,
        "metric": text(f"metric_{finding.metric}", language),
        "rooms": " / ".join(text(f"type_{t}", language) for t in finding.rooms),
        "reason": reason_text(finding, language),
        "alternative": finding.satisfied_by or "",
    }
    if finding.status == "fail":
        key = finding.message_key
    elif finding.satisfied_by:
        key = "pass_alternative"
    elif finding.reason is not None and finding.reason.kind == "unclassified":
        key = "space_unclassified"
    else:
        key = finding.status
    entry = catalogue("compliance").get(key, {})
    template = entry.get(language) or entry.get(DEFAULT_LANGUAGE) or key
    return template.format(**params)
