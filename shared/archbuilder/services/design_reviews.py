"""The design review of a layout version: measured when the version is made, read in any language.

``review_payload`` runs ``layout.design_review`` on a payload with the brief's building type,
orientation and party walls and keeps what does not depend on the language (check ids,
statuses, values, rooms, the catalogue key of each message). ``render`` puts the words back in
the reader's language; ``design_review_html`` and ``design_review_section`` draw it in the style
of the compliance HTML report, as its own section: it is advice, never a building-code finding.
"""

from __future__ import annotations

import re
from html import escape

from archbuilder.domain.brief import Brief
from archbuilder.domain.design_review import DesignCheck, DesignReviewReport, VersionDesignReview
from archbuilder.domain.layout import LayoutPayload, LayoutPublic, LayoutVersionPublic
from archbuilder.layout.design_review import check_message, review_checks, summary_of
from archbuilder.platform.i18n import DEFAULT_LANGUAGE, catalogue, decimal_text, number_text, with_percent
from archbuilder.ports import BlobStore, DocumentStore
from archbuilder.services.identity import Principal
from archbuilder.services.layouts import layout_and_version

CATALOGUE = "design_review"


def review_payload(payload: LayoutPayload, brief: Brief) -> VersionDesignReview:
    """The design review of ``payload``, without its words (as a version stores it)."""
    measured = review_checks(payload, brief.building_type, brief.north_deg, brief.party_walls)
    checks = [DesignCheck.model_validate(c.model_dump(exclude={"message"})) for c in measured]
    names = {room.id: room.name for room in payload.rooms}
    named = {room for check in checks for room in check.rooms}
    return VersionDesignReview(
        checks=checks,
        summary=summary_of(checks),
        room_names={rid: name for rid, name in names.items() if rid in named},
    )


def render(review: VersionDesignReview, language: str) -> VersionDesignReview:
    """``review`` with the label and message of every check in ``language``."""
    checks = [
        check.model_copy(
            update={
                "label": text(f"check_{check.id}", language),
                "message": _message(check, language, review.room_names),
            }
        )
        for check in review.checks
    ]
    return review.model_copy(update={"checks": checks, "language": language})


def _message(check: DesignCheck, language: str, names: dict[str, str]) -> str:
    """The check's message in ``language`` (as ``layout.design_review`` words it)."""
    return check_message(check.message_key, language, check.rooms, check.value, names)


def text(key: str, language: str) -> str:
    """A phrase of the design review catalogue in ``language`` (English if missing)."""
    entry = catalogue(CATALOGUE).get(key, {})
    return entry.get(language) or entry.get(DEFAULT_LANGUAGE) or key


def rendered_version(record: LayoutVersionPublic, language: str) -> LayoutVersionPublic:
    """A version as read: its design reviews (the version's and each variant's) in ``language``."""
    variants = [
        v
        if v.design_review is None
        else v.model_copy(update={"design_review": render(v.design_review, language)})
        for v in record.variants
    ]
    review = None if record.design_review is None else render(record.design_review, language)
    return record.model_copy(update={"design_review": review, "variants": variants})


def read_version(
    store: DocumentStore,
    blobs: BlobStore,
    principal: Principal,
    project_id: str,
    layout_id: str,
    version: int,
    *,
    variant: int,
    language: str,
) -> LayoutVersionPublic:
    """``GET …/versions/{n}``: the version (variant) with its design reviews in ``language``
    (the reader's: Accept-Language, else the project's)."""
    _, record = layout_and_version(store, blobs, principal, project_id, layout_id, version, variant)
    return rendered_version(record, language)


def version_design_review(
    store: DocumentStore,
    blobs: BlobStore,
    principal: Principal,
    project_id: str,
    layout_id: str,
    version: int,
    *,
    variant: int,
    language: str,
) -> DesignReviewReport:
    """The design review of a version (variant) in ``language`` (the reader's: Accept-Language,
    else the project's), with the same permission as reading the version (``layouts:read``).

    A version stored before versions kept their review is measured from its stored payload
    and the brief it was made from (``stored`` is then false); nothing is written.
    """
    layout, record = layout_and_version(store, blobs, principal, project_id, layout_id, version, variant)
    return review_report(layout, record, variant, language)


def review_report(
    layout: LayoutPublic, record: LayoutVersionPublic, variant: int, language: str
) -> DesignReviewReport:
    """The design review of a version (variant) already read, in ``language``."""
    review, stored = record.design_review, True
    if review is None:
        from archbuilder.services.reviews import brief_of  # reviews → versions → this module

        review, stored = review_payload(record.payload, brief_of(record, layout)), False
    rendered = render(review, language)
    return DesignReviewReport(
        project_id=layout.project_id,
        layout_id=layout.id,
        version=record.version,
        variant=variant,
        language=language,
        title=text("title", language),
        disclaimer=text("disclaimer", language),
        checks=rendered.checks,
        summary=rendered.summary,
        stored=stored,
    )


# -- HTML -------------------------------------------------------------------------------

_SUMMARY = ("good", "advice", "problem")


# A percentage in a check's target: "90 %" of "≥ 90 %", "8–12 %".
_PERCENT_TARGET = re.compile(r"(\d+(?:\.\d+)?)(?:–(\d+(?:\.\d+)?))? %")


def _measured(check: DesignCheck, language: str) -> str:
    """The measured value with its unit, and the target, as the reader writes them."""
    return measured_text(check.value, check.unit, check.target, language)


def measured_text(value: float | None, unit: str | None, target: str | None, language: str) -> str:
    """A measured value with its unit, and the target, as the reader writes them ("—" without
    a value); the model analysis' design review writes its values the same way."""
    if value is None or unit is None:
        return "—"
    if unit == "%":
        measured = with_percent(decimal_text(value, language), language)
    else:
        name = text(f"unit_{unit}", language) if f"unit_{unit}" in catalogue(CATALOGUE) else unit
        measured = f"{decimal_text(value, language)} {name}"
    return f"{measured} ({_target(target, language)})" if target else measured


def _target(target: str, language: str) -> str:
    """A check's target ("≥ 90 %", "8–12 %", "≤ 2 : 1") with its numbers and percent signs
    as the reader writes them: "≥ %90" in Turkish."""

    def percent(match: re.Match[str]) -> str:
        numbers = [number_text(float(n), language) for n in match.groups() if n is not None]
        return with_percent("–".join(numbers), language)

    return _PERCENT_TARGET.sub(percent, target)


def _table(checks: list[DesignCheck], language: str) -> str:
    """The review's own table (check, status, measured, advice): not the code findings' table."""
    head = "".join(
        f"<th>{escape(text(key, language))}</th>"
        for key in ("col_check", "col_status", "col_value", "col_advice")
    )
    rows = "".join(
        f'<tr class="{escape(check.status)}">'
        f"<td>{escape(check.label or text('check_' + check.id, language))}</td>"
        f"<td>{escape(text('status_' + check.status, language))}</td>"
        f'<td class="num">{escape(_measured(check, language))}</td>'
        f"<td>{escape(check.message or '')}</td></tr>"
        for check in checks
    )
    return f'<table class="design-review"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def design_review_section(report: DesignReviewReport) -> str:
    """The review as its own HTML section (heading, disclaimer, table), for the end of the
    compliance HTML report. Every value is escaped."""
    return (
        '<section class="design-review" id="design-review">'
        f"<h2>{escape(report.title)}</h2>"
        f'<p class="meta">{escape(report.disclaimer)}</p>'
        f"{_table(report.checks, report.language)}</section>"
    )


def design_review_html(report: DesignReviewReport) -> str:
    """The review as one self-contained HTML page in the style of the compliance report: no
    scripts, no external files, inline styles, every value escaped."""
    from archbuilder.compliance.html_report import html_page

    language = report.language
    subtitle = f"{report.layout_id} · v{report.version}" + (
        f" · #{report.variant}" if report.variant != 1 else ""
    )
    cards = "".join(
        f'<div class="card">{escape(text("status_" + status, language))}'
        f"<b>{report.summary.get(status, 0)}</b></div>"
        for status in _SUMMARY
    )
    body = (
        f'<p class="meta">{escape(subtitle)}</p>'
        f'<p class="meta">{escape(report.disclaimer)}</p>'
        f'<div class="cards">{cards}</div>'
        f"{_table(report.checks, language)}"
    )
    return html_page(report.title, language, body)
