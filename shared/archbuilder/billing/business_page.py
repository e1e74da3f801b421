"""The operator page (``/admin``): the business view as one server-rendered HTML page.

No script, no build step, no external asset: the charts are inline SVG drawn here, the styles
one inline block allowed by its hash in the page's Content-Security-Policy. Every figure sits
in an element with a ``data-metric`` name, so a test (or a person with the inspector) can read
the number the chart shows.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from html import escape

from archbuilder.billing.business_metrics import BusinessMetrics
from archbuilder.billing.revenue import usd_per_month

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
color:#1d2733;background:#f4f6f8}
header{background:#1d2733;color:#fff;padding:14px 24px;display:flex;align-items:center;gap:16px}
header h1{font-size:18px;margin:0;flex:1}
header form{margin:0}
header button{background:#3a4a5c;color:#fff;border:0;padding:6px 12px;border-radius:4px;cursor:pointer}
main{padding:16px 24px;display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:16px}
section{background:#fff;border-radius:6px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
section.wide{grid-column:1/-1}
h2{font-size:15px;margin:0 0 10px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.tile{background:#f4f6f8;border-radius:4px;padding:8px 10px}
.tile b{display:block;font-size:20px}
.tile span{color:#5b6878;font-size:12px}
table{border-collapse:collapse;width:100%;margin-top:8px;font-size:13px}
th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #e3e7ec}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#5b6878}
.bad{color:#b42318}
svg{display:block;max-width:100%}
form.login{max-width:420px;margin:80px auto;background:#fff;padding:24px;border-radius:6px}
form.login input{width:100%;box-sizing:border-box;padding:8px;margin:8px 0 12px;font:inherit}
form.login button{padding:8px 16px}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
PAGE_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

GREEN, RED, BLUE, AMBER, GREY, TEAL = "#2e7d32", "#c62828", "#1f6fb2", "#e39b12", "#9aa5b1", "#16867a"


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def login_page(error: str | None = None) -> str:
    """The sign-in form: the operator key, posted once, never put in a URL."""
    message = f"<p class=bad role=alert>{escape(error)}</p>" if error else ""
    return _page(
        "ArchBuilder operator sign-in",
        '<form class=login method=post action="/admin/login">'
        "<h1>ArchBuilder Cloud operators</h1>"
        f"{message}"
        "<label for=key>Operator key</label><input id=key name=key type=password autocomplete=off required>"
        "<button type=submit>Sign in</button>"
        "<p class=muted>Keys come from <code>archbuilder admin create-operator-key</code>.</p></form>",
    )


def metrics_page(m: BusinessMetrics, *, operator: str) -> str:
    """The whole business view as HTML."""
    body = (
        f"<header><h1>ArchBuilder Cloud · business view · {escape(m.period)}</h1>"
        f"<span class=muted>{escape(operator)} · generated {m.generated_at:%Y-%m-%d %H:%M} UTC</span>"
        '<form method=post action="/admin/logout"><button type=submit>Sign out</button></form></header>'
        "<main>"
        + _tiles(m)
        + _revenue(m)
        + _movements(m)
        + _trials_and_payments(m)
        + _margins(m)
        + _quotas(m)
        + _risk(m)
        + _quality(m)
        + "</main>"
    )
    return _page(f"ArchBuilder business view {m.period}", body)


# -- sections ----------------------------------------------------------------


def _tiles(m: BusinessMetrics) -> str:
    tiles = [
        ("mrr_usd", _usd(m.mrr_usd), "MRR (USD, list-price ratios)"),
        ("net_new_mrr_usd", _usd(m.net_new_mrr_usd, signed=True), "net new MRR this month"),
        ("active", str(m.billing.active), "active subscriptions"),
        ("trialing", str(m.billing.trialing), "trialing"),
        ("failing_now", str(m.payments.failing_now), "payments failing now"),
        ("margin_usd", _usd(m.margin_usd), "revenue − AI cost (USD / month)"),
        ("success_rate", _percent(m.generation.success_rate), "generation success"),
        ("at_risk", str(len(m.at_risk)), "tenants at risk"),
    ]
    cells = "".join(
        f'<div class=tile><b data-metric="{key}">{escape(value)}</b><span>{escape(label)}</span></div>'
        for key, value, label in tiles
    )
    return f"<section class=wide><h2>This month</h2><div class=tiles>{cells}</div></section>"


def _revenue(m: BusinessMetrics) -> str:
    lines = m.billing.mrr
    bars = [
        (f"{line.plan} {line.currency}", usd_per_month(line.plan, line.currency, line.mrr * 100) or 0.0, BLUE)
        for line in lines
    ]
    rows = "".join(
        f"<tr><td>{escape(line.plan)}</td><td>{escape(line.currency)}</td>"
        + _cell(f"subscriptions.{line.plan}.{line.currency}", str(line.subscriptions))
        + _cell(f"mrr.{line.plan}.{line.currency}", f"{line.mrr:,.2f}")
        + f"<td class=n>{_usd(bar[1])}</td></tr>"
        for line, bar in zip(lines, bars, strict=True)
    )
    return (
        "<section><h2>Monthly recurring revenue by plan and currency</h2>"
        + _hbars("MRR by plan and currency, in US dollars at list-price ratios", bars, _usd)
        + "<table><tr><th>plan</th><th>currency</th><th class=n>subscriptions</th><th class=n>MRR</th>"
        + f"<th class=n>≈ USD</th></tr>{rows or _none(5)}</table></section>"
    )


_MOVEMENT_COLOURS = {"new": GREEN, "expansion": TEAL, "contraction": AMBER, "churn": RED}


def _movements(m: BusinessMetrics) -> str:
    counts: dict[str, int] = dict.fromkeys(_MOVEMENT_COLOURS, 0)
    for line in m.movements:
        counts[line.movement] += line.subscriptions
    bars = [(kind, float(count), _MOVEMENT_COLOURS[kind]) for kind, count in counts.items()]
    rows = "".join(
        f"<tr><td>{line.movement}</td><td>{escape(line.currency)}</td>"
        + _cell(f"movement.{line.movement}.{line.currency}", str(line.subscriptions))
        + f"<td class=n>{line.mrr_delta:+,.2f}</td></tr>"
        for line in m.movements
    )
    return (
        "<section><h2>Subscription movements</h2>"
        + _hbars("Subscriptions new, expanded, contracted and churned this month", bars, _count)
        + "<table><tr><th>movement</th><th>currency</th><th class=n>subscriptions</th>"
        + f"<th class=n>MRR change</th></tr>{rows or _none(4)}</table></section>"
    )


def _trials_and_payments(m: BusinessMetrics) -> str:
    t, p = m.trials, m.payments
    trial_bars = [("converted", float(t.converted), GREEN), ("lost", float(t.lost), RED)]
    payment_bars = [("recovered", float(p.recovered), GREEN), ("still failing", float(p.failing_now), RED)]
    return (
        "<section><h2>Trials and failed payments</h2>"
        + _stacked("Trials ended this month: converted and lost", trial_bars)
        + "<table>"
        + _row("trials started", "trials.started", str(t.started))
        + _row("trials converted", "trials.converted", str(t.converted))
        + _row("trials lost", "trials.lost", str(t.lost))
        + _row("trial conversion", "trials.conversion_rate", _percent(t.conversion_rate))
        + "</table>"
        + _stacked("Failed payments: recovered and still failing", payment_bars)
        + "<table>"
        + _row("payments failed", "payments.failed", str(p.failed))
        + _row("recovered", "payments.recovered", str(p.recovered))
        + _row("failing now", "payments.failing_now", str(p.failing_now))
        + _row("recovery", "payments.recovery_rate", _percent(p.recovery_rate))
        + "</table></section>"
    )


def _margins(m: BusinessMetrics) -> str:
    shown = m.margins[:12]
    groups = [(x.name or x.tenant_id, [(x.revenue_usd or 0.0, BLUE), (x.ai_cost_usd, AMBER)]) for x in shown]
    rows = "".join(
        f"<tr><td>{escape(x.name or x.tenant_id)}</td><td>{escape(x.plan)}</td>"
        f"<td class=n>{_usd(x.revenue_usd)}</td>"
        + _cell(f"ai_cost.{x.tenant_id}", _usd(x.ai_cost_usd))
        + _cell(f"margin.{x.tenant_id}", _usd(x.margin_usd), "n bad" if (x.margin_usd or 0) < 0 else "n")
        + "</tr>"
        for x in shown
    )
    return (
        "<section class=wide><h2>AI cost against revenue per tenant (USD per month)</h2>"
        + _grouped("Revenue (blue) and AI cost (amber) per tenant", groups)
        + "<table><tr><th>tenant</th><th>plan</th><th class=n>revenue</th><th class=n>AI cost</th>"
        + f"<th class=n>margin</th></tr>{rows or _none(5)}"
        + "<tr><th colspan=2>all tenants</th>"
        + _cell("revenue_usd", _usd(m.revenue_usd), tag="th")
        + _cell("ai_cost_usd", _usd(m.ai_cost_usd), tag="th")
        + f"<th class=n>{_usd(m.margin_usd)}</th></tr></table></section>"
    )


def _quotas(m: BusinessMetrics) -> str:
    parts = []
    for usage in m.quota_usage:
        bars = [
            (q.quota, float(q.average_percent or 0), RED if (q.max_percent or 0) >= 100 else BLUE)
            for q in usage.quotas
            if q.limit
        ]
        rows = "".join(
            f"<tr><td>{q.quota}</td><td class=n>{'∞' if q.limit is None else q.limit}</td>"
            f'<td class=n data-metric="quota.{usage.plan}.{q.quota}.used">{q.used}</td>'
            f"<td class=n>{_number(q.average_percent)} %</td><td class=n>{_number(q.max_percent)} %</td>"
            f'<td class=n data-metric="quota.{usage.plan}.{q.quota}.at_limit">{q.tenants_at_limit}</td></tr>'
            for q in usage.quotas
        )
        parts.append(
            f'<h3 data-metric="quota.{usage.plan}.tenants" data-value="{usage.tenants}">'
            f"{escape(usage.plan)} · {usage.tenants} tenants</h3>"
            + _hbars(f"Average share of the {usage.plan} quotas used", bars, _pct, limit=100.0)
            + "<table><tr><th>quota</th><th class=n>limit</th><th class=n>used</th><th class=n>average</th>"
            + f"<th class=n>highest</th><th class=n>at limit</th></tr>{rows}</table>"
        )
    return (
        "<section><h2>Usage per plan against quota</h2>" + ("".join(parts) or "<p>(none)</p>") + "</section>"
    )


_REASONS = {
    "payment_failing": "payment failing",
    "cancelling": "cancelling",
    "usage_falling": "usage falling",
    "quota_hit": "quota constantly hit",
}


def _risk(m: BusinessMetrics) -> str:
    rows = "".join(
        f'<tr data-metric="risk.{escape(r.tenant_id)}" data-value="{" ".join(r.reasons)}">'
        f"<td>{escape(r.name or r.tenant_id)}</td><td>{escape(r.plan)}</td><td>{escape(r.status)}</td>"
        f"<td>{escape(', '.join(_REASONS[x] for x in r.reasons))}</td>"
        f"<td class=n>{r.work_last_month} → {r.work_this_month}</td>"
        f"<td>{escape(', '.join(r.quotas_hit))}</td></tr>"
        for r in m.at_risk
    )
    return (
        "<section><h2>Tenants at risk</h2><table><tr><th>tenant</th><th>plan</th><th>status</th>"
        "<th>why</th><th class=n>work last → this month</th><th>quotas hit</th></tr>"
        f"{rows or _none(6)}</table></section>"
    )


def _quality(m: BusinessMetrics) -> str:
    g, r = m.generation, m.reviews
    generation = [("succeeded", float(g.succeeded), GREEN), ("failed", float(g.failed), RED)]
    generation.append(("unfinished", float(g.unfinished), GREY))
    reviews = [
        ("approved", float(r.approved), GREEN),
        ("corrected", float(r.corrected), AMBER),
        ("rejected", float(r.rejected), RED),
        ("revision requested", float(r.revision_requested), GREY),
    ]
    failures = ", ".join(f"{escape(code)} {count}" for code, count in g.failures_by_code.items())
    return (
        "<section><h2>Generation success and review outcomes</h2>"
        + _stacked("Layout jobs this month by outcome", generation)
        + "<table>"
        + _row("layout jobs", "generation.jobs", str(g.jobs))
        + _row("succeeded", "generation.succeeded", str(g.succeeded))
        + _row("failed", "generation.failed", str(g.failed) + (f" ({failures})" if failures else ""))
        + _row("success rate", "generation.success_rate", _percent(g.success_rate))
        + "</table>"
        + _stacked("Review decisions this month by outcome", reviews)
        + "<table>"
        + _row("approved", "reviews.approved", str(r.approved))
        + _row("corrected", "reviews.corrected", str(r.corrected))
        + _row("rejected", "reviews.rejected", str(r.rejected))
        + _row("revision requested", "reviews.revision_requested", str(r.revision_requested))
        + "</table></section>"
    )


# -- charts (inline SVG) ---------------------------------------------------------


def _hbars(
    title: str,
    bars: Sequence[tuple[str, float, str]],
    fmt: Callable[[float], str],
    *,
    limit: float | None = None,
) -> str:
    """Horizontal bars, one per row, scaled to the largest (or to ``limit``, drawn as a line)."""
    if not bars:
        return ""
    label_w, bar_w, row_h = 150, 240, 22
    height = row_h * len(bars) + 8
    top = max([value for _, value, _ in bars] + [limit or 0.0]) or 1.0
    parts = [
        f'<svg role=img aria-label="{escape(title)}" width="{label_w + bar_w + 90}" height="{height}" '
        f'viewBox="0 0 {label_w + bar_w + 90} {height}"><title>{escape(title)}</title>'
    ]
    for i, (label, value, colour) in enumerate(bars):
        y = 4 + i * row_h
        width = max(0.0, value) / top * bar_w
        text = fmt(value)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12" fill="#1d2733">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 2}" width="{width:.1f}" height="{row_h - 6}" '
            f'fill="{colour}" rx="2"/>'
            f'<text x="{label_w + width + 4:.1f}" y="{y + 14}" font-size="12" fill="#1d2733">'
            f"{escape(text)}</text>"
        )
    if limit:
        x = label_w + limit / top * bar_w
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" stroke="{RED}" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _stacked(title: str, parts: Sequence[tuple[str, float, str]]) -> str:
    """One bar split into its parts, with a legend."""
    total = sum(value for _, value, _ in parts)
    legend = [14 + 7 * (len(label) + len(f"{value:g}") + 1) + 14 for label, value, _ in parts]
    width, height = max(420, sum(legend)), 46
    out = [
        f'<svg role=img aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    x = 0.0
    if total == 0:
        out.append(f'<rect x="0" y="0" width="{width}" height="18" fill="#e3e7ec" rx="2"/>')
    for _, value, colour in parts:
        w = value / total * width if total else 0.0
        if w:
            out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="18" fill="{colour}"/>')
        x += w
    lx = 0
    for (label, value, colour), step in zip(parts, legend, strict=True):
        out.append(
            f'<rect x="{lx}" y="28" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="37" font-size="12" fill="#1d2733">{escape(label)} {value:g}</text>'
        )
        lx += step
    out.append("</svg>")
    return "".join(out)


def _grouped(title: str, groups: Sequence[tuple[str, list[tuple[float, str]]]]) -> str:
    """Vertical bars in groups (one group per tenant), scaled to the largest value."""
    if not groups:
        return ""
    group_w, bar_w, chart_h, label_h = 74, 22, 140, 34
    width = max(420, group_w * len(groups) + 74)
    top = max(value for _, bars in groups for value, _ in bars) or 1.0
    out = [
        f'<svg role=img aria-label="{escape(title)}" width="{width}" height="{chart_h + label_h}" '
        f'viewBox="0 0 {width} {chart_h + label_h}"><title>{escape(title)}</title>'
        f'<line x1="64" y1="{chart_h}" x2="{width}" y2="{chart_h}" stroke="#9aa5b1"/>'
        f'<text x="60" y="12" text-anchor="end" font-size="11" fill="#5b6878">{escape(_usd(top))}</text>'
    ]
    for i, (label, bars) in enumerate(groups):
        x0 = 70 + i * group_w
        for j, (value, colour) in enumerate(bars):
            h = max(0.0, value) / top * (chart_h - 6)
            out.append(
                f'<rect x="{x0 + j * (bar_w + 2)}" y="{chart_h - h:.1f}" width="{bar_w}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(label)}: {escape(_usd(value))}</title></rect>'
            )
        short = label if len(label) <= 11 else label[:10] + "…"
        out.append(
            f'<text x="{x0 + bar_w}" y="{chart_h + 14}" text-anchor="middle" font-size="11" fill="#1d2733">'
            f"{escape(short)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


# -- formatting --------------------------------------------------------------------


def _cell(metric: str, value: str, cls: str = "n", *, tag: str = "td") -> str:
    return f'<{tag} class="{cls}" data-metric="{escape(metric)}">{escape(value)}</{tag}>'


def _row(label: str, metric: str, value: str) -> str:
    return f'<tr><td>{escape(label)}</td><td class=n data-metric="{metric}">{escape(value)}</td></tr>'


def _none(columns: int) -> str:
    return f"<tr><td colspan={columns} class=muted>(none)</td></tr>"


def _usd(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "–"
    sign = "+" if signed and value > 0 else ("−" if value < 0 else "")
    return f"{sign}${abs(value):,.2f}"


def _count(value: float) -> str:
    return f"{value:g}"


def _pct(value: float) -> str:
    return f"{value:g} %"


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.1f} %"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"
