"""The report as one self-contained HTML page an architect can read or print.

No scripts, no external fonts or images: it must render offline and under a
``default-src 'none'`` policy (styles are inline, allowed by ``style-src`` of the route).
Every value that came from a model or a rule is escaped.
"""

from __future__ import annotations

from html import escape

from archbuilder.compliance.messages import article_text, render, text, value_text
from archbuilder.compliance.report import ComplianceReport, Finding, PassageRef
from archbuilder.platform.i18n import percent_text

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1.15rem;margin:1.75rem 0 .5rem;border-bottom:1px solid #ccd}
.meta{color:#555}.cards{display:flex;gap:.75rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #ccd;border-radius:6px;padding:.5rem .9rem;min-width:7rem}
.card b{display:block;font-size:1.3rem}table{border-collapse:collapse;width:100%;margin:.25rem 0 1rem}
th,td{border:1px solid #dde;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f4f8}.fail{background:#fde8e8}.pass{background:#eaf7ee}
.not_applicable{color:#667}.cannot_check{background:#fff6df}.num{text-align:right;white-space:nowrap}
.good{background:#eaf7ee}.advice{background:#fff6df}.problem{background:#fde8e8}
blockquote.passage{margin:.35rem 0 0;padding:.25rem .5rem;border-left:3px solid #99a;color:#333}
section.design-review{margin-top:2.5rem;border-top:3px double #99a;padding-top:.25rem}
@media print{body{margin:1cm}h2{break-after:avoid}tr{break-inside:avoid}}
"""
_ORDER = {"fail": 0, "cannot_check": 1, "pass": 2, "not_applicable": 3}


def _row(finding: Finding, language: str) -> str:
    citation = finding.citation
    cited = (
        f"{escape(citation.document)}, {escape(article_text(citation, language))}"
        f" <small>({escape(text('citation_' + citation.status, language))})</small>"
        if citation
        else "—"
    )
    if finding.passage is not None:
        cited += _passage(finding.passage)
    return (
        f'<tr class="{escape(finding.status)}">'
        f"<td>{escape(text('status_' + finding.status, language))}</td>"
        f"<td>{escape(text('severity_' + finding.severity, language))}</td>"
        f"<td><code>{escape(finding.rule_id)}</code></td>"
        f"<td>{escape(render(finding, language))}</td>"
        f'<td class="num">{escape(value_text(finding.measured, finding.unit, language))}</td>'
        f'<td class="num">{escape(value_text(finding.limit, finding.unit, language))}</td>'
        f"<td>{cited}</td></tr>"
    )


def _passage(passage: PassageRef) -> str:
    """The cited article's text from the reader's regulation library, quoted under the citation."""
    where = ", ".join(
        escape(part)
        for part in (passage.document, passage.article, f"p. {passage.page}" if passage.page else None)
        if part
    )
    return (
        f'<blockquote class="passage">{escape(passage.snippet)}'
        f'<br><small><a href="{escape(passage.link)}">{where}</a></small></blockquote>'
    )


def _table(findings: list[Finding], language: str) -> str:
    head = "".join(
        f"<th>{escape(text(k, language))}</th>"
        for k in (
            "col_status",
            "col_severity",
            "col_rule",
            "col_finding",
            "col_measured",
            "col_limit",
            "col_source",
        )
    )
    rows = "".join(_row(f, language) for f in sorted(findings, key=lambda f: _ORDER[f.status]))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def html_page(title: str, language: str, body: str) -> str:
    """A self-contained page (no scripts, no external files, the report's inline style) around
    ``body``, which its maker has escaped; ``title`` is escaped here and heads the page."""
    return (
        f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )


def render_report_html(report: ComplianceReport, language: str, *, after: str = "") -> str:
    """The whole report in ``language`` (messages are rendered again in that language).

    ``after`` is HTML its maker has escaped, placed after the findings and their disclaimer as
    a section of its own (the version's design review: advice, not code findings)."""
    s = report.summary
    rate = "—" if s.pass_rate is None else percent_text(s.pass_rate * 100, language, 1)
    cards = "".join(
        f'<div class="card">{escape(text(key, language))}<b>{escape(str(value))}</b></div>'
        for key, value in (
            ("sum_errors", s.errors),
            ("sum_warnings", s.warnings),
            ("sum_passed", s.passed),
            ("sum_cannot_check", s.cannot_check),
            ("sum_not_applicable", s.not_applicable),
            ("sum_pass_rate", rate),
        )
    )
    sections = []
    for space_id, indexes in report.by_space.items():
        name = report.spaces.get(space_id, space_id)
        findings = [report.findings[i] for i in indexes]
        sections.append(
            f"<h3>{escape(name)} <small>({escape(space_id)})</small></h3>{_table(findings, language)}"
        )
    general = [f for f in report.findings if f.space_id is None and f.status != "not_applicable"]
    skipped = [f for f in report.findings if f.space_id is None and f.status == "not_applicable"]
    body = (
        f'<p class="meta">{escape(text("html_region", language))}: {escape(report.region)} · '
        f"{escape(text('html_rules_version', language))}: <code>{escape(report.rules_version)}</code>"
        f"{' · ' + escape(text('use_' + report.building_type, language)) if report.building_type else ''}</p>"
        f'<div class="cards">{cards}</div>'
        f"<h2>{escape(text('html_by_space', language))}</h2>{''.join(sections)}"
        f"<h2>{escape(text('html_building', language))}</h2>{_table(general, language)}"
        f"<h2>{escape(text('html_not_applicable', language))}</h2>{_table(skipped, language)}"
        f'<p class="meta">{escape(text("html_disclaimer", language))}</p>'
        f"{after}"
    )
    return html_page(text("html_title", language), language, body)
