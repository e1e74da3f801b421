"""Finding messages in tr, en, de, fr, es from ``platform/messages/compliance.yaml``.

Values are formatted per the finding's unit: metres and m² for metric regions, feet and
inches for imperial ones (the comparison itself was made in millimetres).
"""

from __future__ import annotations

from archbuilder.compliance.report import Finding
from archbuilder.compliance.units import UNITS, formatted, quantity_of, to_engine
from archbuilder.platform.i18n import DEFAULT_LANGUAGE, catalogue


def text(key: str, language: str, **params: str) -> str:
    entry = catalogue("compliance").get(key, {})
    template = entry.get(language) or entry.get(DEFAULT_LANGUAGE) or key
    return template.format(**params) if params else template


def value_text(value: float | list[float] | None, unit: str | None) -> str:
    if value is None or unit is None or unit not in UNITS:
        return "—"
    if isinstance(value, list):
        return " – ".join(value_text(v, unit) for v in value)
    return formatted(to_engine(value, unit), quantity_of(unit), unit)


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
    return text(f"reason_{reason.kind}", language, detail=reason.detail)


def render(finding: Finding, language: str) -> str:
    """The finding's sentence in ``language``."""
    ref = f"{finding.citation.short} {finding.citation.article}" if finding.citation else finding.rule_id
    params = {
        "space": subject_text(finding, language),
        "actual": value_text(finding.measured, finding.unit),
        "limit": value_text(finding.limit, finding.unit),
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
