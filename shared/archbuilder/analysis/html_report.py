"""The model analysis as one self-contained HTML page (no scripts, no external assets; every
value from the model escaped), in the reader's language."""

from __future__ import annotations

from html import escape

from archbuilder.analysis.report import AreaRow, Finding, ModelAnalysis, StoreyReview
from archbuilder.analysis.wording import Advice, label, review_text, worded
from archbuilder.platform.i18n import catalogue, number_text, percent_text, phrase

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1.15rem;margin:1.75rem 0 .5rem;border-bottom:1px solid #ccd}
.meta{color:#555}table{border-collapse:collapse;width:100%;margin:.25rem 0 1rem}
th,td{border:1px solid #dde;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f4f8}.error{background:#fde8e8}.warning{background:#fff6df}.info{background:#f3f6fb}
.num{text-align:right;white-space:nowrap}code{font-size:.85em}.out{background:#fff6df}
.good{background:#eef8ee}.advice{background:#fff6df}.problem{background:#fde8e8}
.not_applicable,.not_assessable{color:#555}
@media print{body{margin:1cm}h2{break-after:avoid}tr{break-inside:avoid}}
"""
_ELEMENTS_SHOWN = 8


def analysis_html(
    analysis: ModelAnalysis, language: str, compliance_href: str | None = None, advice: Advice | None = None
) -> str:
    words = worded(analysis, language, advice)
    parts = [
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">',
        f"<title>{escape(label('title', language))} {escape(words.model_id)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(label('title', language))}</h1>",
        f'<p class="meta">{escape(words.model_id)} · '
        f"{escape((words.schema_name or words.source_format).upper())}"
        f"{' · ' + escape(words.region) if words.region else ''}</p>",
        f"<h2>{escape(label('recommendations', language))}</h2>",
        _recommendations(words),
        f"<h2>{escape(label('health', language))}</h2>",
        _findings([f for f in words.findings if f.category == "health"], language),
    ]
    if words.not_checked:
        parts.append(f'<p class="meta">{escape(label("ifc_only", language))}</p>')
    parts += [
        f"<h2>{escape(label('performance', language))}</h2>",
        _performance(words, language),
        _findings([f for f in words.findings if f.category == "performance"], language),
        f"<h2>{escape(label('areas', language))}</h2>",
        _areas(words.areas, language),
    ]
    if words.design_review:
        parts += [
            f"<h2>{escape(review_text('title', language))}</h2>",
            f'<p class="meta">{escape(review_text("model_disclaimer", language))}</p>',
            *(_storey_review(s, language) for s in words.design_review),
        ]
    if compliance_href:
        parts.append(
            f'<h2>{escape(label("compliance", language))}</h2><p><a href="{escape(compliance_href)}">'
            f"{escape(label('compliance', language))}</a></p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def _recommendations(words: ModelAnalysis) -> str:
    if not words.recommendations:
        return f"<p>{escape(label('no_findings', words.language or 'en'))}</p>"
    items = "".join(
        f"<li>{escape(r.text or r.code)} <small>({escape(', '.join(r.finding_ids))})</small></li>"
        for r in words.recommendations
    )
    return f"<ol>{items}</ol>"


def _findings(findings: list[Finding], language: str) -> str:
    if not findings:
        return f"<p>{escape(label('no_findings', language))}</p>"
    rows = []
    for f in findings:
        shown = ", ".join(
            f"<code>{escape(e.ref)}</code>{' ' + escape(e.name) if e.name else ''}"
            for e in f.elements[:_ELEMENTS_SHOWN]
        )
        more = f" … (+{f.count - _ELEMENTS_SHOWN})" if f.count > _ELEMENTS_SHOWN and f.elements else ""
        rows.append(
            f'<tr class="{escape(f.severity)}"><td>{escape(f.id)}</td>'
            f"<td>{escape(label(f.severity, language))}</td>"
            f"<td>{escape(f.message or f.code)}</td><td>{shown}{escape(more)}</td></tr>"
        )
    head = "".join(f"<th>{escape(label(k, language))}</th>" for k in ("severity", "finding", "elements"))
    return f"<table><tr><th>#</th>{head}</tr>{''.join(rows)}</table>"


def _performance(words: ModelAnalysis, language: str) -> str:
    p = words.performance
    size = f"{number_text(p.file_bytes / 1_048_576, language, 1)} MB"
    per = f"{number_text(p.bytes_per_element or 0, language, 0)} B"
    summary = label(
        "file",
        language,
        elements=number_text(p.elements, language, 0),
        size=size,
        per_element=per,
        vertices=number_text(p.total_vertices, language, 0),
    )
    heavy = "".join(
        f"<tr><td><code>{escape(h.ref)}</code></td><td>{escape(h.type)}</td><td>{escape(h.name or '')}</td>"
        f'<td class="num">{escape(number_text(h.vertices, language, 0))}</td></tr>'
        for h in p.heaviest
    )
    storeys = "".join(
        f"<tr><td>{escape(s.name or s.ref)}</td>"
        f'<td class="num">{escape(number_text(s.elements, language, 0))}</td></tr>'
        for s in p.per_storey
    )
    out = f"<p>{escape(summary)}</p>"
    if heavy:
        out += f"<h3>{escape(label('heaviest', language))}</h3><table>{heavy}</table>"
    if storeys:
        out += f"<h3>{escape(label('per_storey', language))}</h3><table>{storeys}</table>"
    return out


def _areas(rows: list[AreaRow], language: str) -> str:
    if not rows:
        return f"<p>{escape(label('no_findings', language))}</p>"
    head = "".join(
        f"<th>{escape(label(k, language))}</th>"
        for k in ("level", "space_type", "spaces", "net", "gross", "efficiency")
    )
    body = []
    for r in rows:
        efficiency = ""
        if r.efficiency_pct is not None:
            efficiency = percent_text(r.efficiency_pct, language, 1)
            if r.usual_pct is not None:
                low, high = (number_text(v, language) for v in r.usual_pct)
                efficiency += f" ({label('usual', language, low=low, high=high)})"
        kind = _space_type(r.space_type, language) if r.space_type else label("total", language)
        css = ' class="out"' if r.within_usual is False else ""
        body.append(
            f"<tr{css}><td>{escape(r.level)}</td><td>{escape(kind)}</td>"
            f'<td class="num">{r.spaces}</td>'
            f'<td class="num">{escape(number_text(r.net_m2, language, 1))}</td>'
            f'<td class="num">{escape(number_text(r.gross_m2, language, 1)) if r.gross_m2 else ""}</td>'
            f'<td class="num">{escape(efficiency)}</td></tr>'
        )
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _storey_review(storey: StoreyReview, language: str) -> str:
    """One storey's checks (check, status, measured, advice); one line when it has none."""
    from archbuilder.services.design_reviews import measured_text

    title = f"<h3>{escape(storey.level)}</h3>"
    if storey.reason is not None:
        return f'{title}<p class="meta">{escape(review_text("reason_" + storey.reason, language))}</p>'
    head = "".join(
        f"<th>{escape(review_text(key, language))}</th>"
        for key in ("col_check", "col_status", "col_value", "col_advice")
    )
    rows = "".join(
        f'<tr class="{escape(c.status)}"><td>{escape(review_text("check_" + c.id, language))}</td>'
        f"<td>{escape(review_text('status_' + c.status, language))}</td>"
        f'<td class="num">{escape(measured_text(c.value, c.unit, c.target, language))}</td>'
        f"<td>{escape(c.message or '')}</td></tr>"
        for c in storey.checks
    )
    return f"{title}<table><tr>{head}</tr>{rows}</table>"


def _space_type(kind: str, language: str) -> str:
    """A room type in the reader's language (the compliance report's names)."""
    if kind == "unclassified":
        return label("unclassified", language)
    key = f"type_{kind}"
    return phrase("compliance", key, language) if key in catalogue("compliance") else kind
