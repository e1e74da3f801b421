"""A PNG gallery of the bench plans: ``python -m bench.gallery [--only TEXT] [--out DIR] [--docs]``.

Plans every ``expect: valid`` brief of ``bench/briefs/*.yaml`` with the spine planner, draws
the best layout with ``layout_to_svg`` and writes ``<out>/<suite>/<slug of name>.png`` and
``<out>/index.html``. Briefs expected to be refused, and briefs the planner refuses, are
skipped with one printed line each; so is a brief the planner crashes on (with the error).

``--docs`` writes the twelve plans of ``DOCS_GALLERY`` as SVG into ``docs/images/gallery/``
(the gallery of docs/planner.md and the README) and prints their Markdown table.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from archbuilder.cad.svg_export import layout_to_svg
from archbuilder.layout.planner import SpinePlanner
from archbuilder.platform.errors import Unprocessable
from bench.planner import BRIEFS, case_brief, suite_cases

DOCS = Path(__file__).parent.parent / "docs" / "images" / "gallery"
# Twelve bench plans from the five regions for the docs: flats with the entrance on a long
# side, at a point and on a short side, studios, en-suites and small rooms, houses, a terrace.
DOCS_GALLERY = (
    "3+1 14x8 TR entrance on the long side",
    "2+1 12x8 TR entrance at mid-south",
    "studio 7x5 TR",
    "2+1 11x7 DE entrance on the long side",
    "2+1 11.5x8 DE en-suite by adjacency",
    "house 3 bed L DE",
    "3+1 11.5x8.5 FR-13 WC storage laundry",
    "terrace 6x18 FR-13 party walls east and west",
    "2+1 7x12 ES-CT entrance on the short side",
    "studio 5.5x7 ES-CT",
    "3+1 16x9 US-CA entrance on the long side",
    "house 3 bed 15x11 US-CA en-suite laundry",
)
DEFAULT_OUT = Path(__file__).with_name("out") / "gallery"


@dataclass
class Entry:
    suite: str
    name: str
    png: str | None = None  # relative to the output directory
    refused: str | None = None  # why the planner gave no plan
    crashed: bool = False  # … because it raised something other than Unprocessable


def render_png(svg_text: str, path: Path, width_px: int = 900) -> None:
    """Rasterise an SVG document to a PNG ``width_px`` wide (height keeps the aspect ratio)."""
    import cairosvg  # type: ignore[import-untyped, unused-ignore]  # only the PNG path needs it

    path.parent.mkdir(parents=True, exist_ok=True)
    cairosvg.svg2png(bytestring=svg_text.encode("utf-8"), write_to=str(path), output_width=width_px)


def slug(name: str) -> str:
    """``3+1 L TR`` → ``3plus1-l-tr``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("+", "plus")).strip("-") or "brief"


def plan_case(planner: SpinePlanner, case: dict[str, Any], out: Path, suite: str, used: set[str]) -> Entry:
    """Resolve the brief as ``bench.planner.run_case`` does, plan it and write its PNG."""
    entry = Entry(suite, case["name"])
    brief = case_brief(case)
    try:
        result = planner.plan(brief)
    except Unprocessable as refused:
        entry.refused = f"{refused.code} {refused.params}"
        return entry
    except Exception as exc:  # the planner is being rewritten: one broken brief must not stop the gallery
        entry.refused, entry.crashed = f"{type(exc).__name__}: {exc}", True
        return entry
    stem = base = slug(case["name"])
    n = 1
    while f"{suite}/{stem}" in used:  # two briefs of a suite may share a name
        n += 1
        stem = f"{base}-{n}"
    used.add(f"{suite}/{stem}")
    entry.png = f"{suite}/{stem}.png"
    render_png(layout_to_svg(result.payload), out / entry.png)
    return entry


def write_docs_gallery(planner: SpinePlanner) -> str:
    """The DOCS_GALLERY plans as SVG files in docs/images/gallery/; returns a Markdown table."""
    cases = {case["name"]: case for path in sorted(BRIEFS.glob("*.yaml")) for case in suite_cases(path)}
    DOCS.mkdir(parents=True, exist_ok=True)
    cells = []
    for name in DOCS_GALLERY:
        brief = case_brief(cases[name])
        (DOCS / f"{slug(name)}.svg").write_text(layout_to_svg(planner.plan(brief).payload), encoding="utf-8")
        cells.append(f"![{name}](images/gallery/{slug(name)}.svg)<br>{name}")
    rows = ["| " + " | ".join(cells[i : i + 3]) + " |" for i in range(0, len(cells), 3)]
    return "\n".join(["| | | |", "|---|---|---|", *rows])


def write_index(out: Path, entries: list[Entry]) -> Path:
    sections: dict[str, list[str]] = {}
    for e in entries:
        if e.png:
            item = (
                f'<figure><a href="{escape(e.png)}"><img src="{escape(e.png)}" alt="{escape(e.name)}" '
                f'loading="lazy"></a><figcaption>{escape(e.name)}</figcaption></figure>'
            )
        else:
            what = "crashed" if e.crashed else "refused"
            item = (
                f'<figure class="refused"><figcaption>{escape(e.name)}<br>{what}: '
                f"{escape(e.refused or '')}</figcaption></figure>"
            )
        sections.setdefault(e.suite, []).append(item)
    body = "\n".join(
        f'<h2 id="{escape(suite)}">{escape(suite)}</h2>\n<div class="grid">\n' + "\n".join(items) + "\n</div>"
        for suite, items in sections.items()
    )
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Bench plans</title>\n<style>'
        "body{font-family:sans-serif;margin:1.5rem}"
        ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}"
        "figure{margin:0;border:1px solid #ddd;padding:.5rem}img{width:100%;height:auto}"
        "figcaption{font-size:.9rem;margin-top:.3rem}.refused{background:#fff4f4;color:#933}"
        f"</style></head><body>\n<h1>Bench plans</h1>\n{body}\n</body></html>\n"
    )
    index = out / "index.html"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(page, encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gallery", description=__doc__.splitlines()[0])
    parser.add_argument("--only", metavar="NAME-SUBSTRING", help="plan only briefs whose name contains this")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory ({DEFAULT_OUT})")
    parser.add_argument("--docs", action="store_true", help="write the docs gallery (docs/images/gallery/)")
    args = parser.parse_args(argv)
    only = (args.only or "").casefold()
    planner = SpinePlanner()
    if args.docs:
        print(write_docs_gallery(planner))
        return 0
    entries: list[Entry] = []
    used: set[str] = set()
    for path in sorted(BRIEFS.glob("*.yaml")):
        for case in suite_cases(path):
            if only not in case["name"].casefold():
                continue
            if case["expect"] != "valid":
                print(f"skip     {path.stem}/{case['name']}: expected to be refused")
                continue
            entry = plan_case(planner, case, args.out, path.stem, used)
            if entry.png:
                print(f"drawn    {entry.png}")
            else:
                what = "crashed" if entry.crashed else "refused"
                print(f"{what:8s} {path.stem}/{case['name']}: {entry.refused}")
            entries.append(entry)
    index = write_index(args.out, entries)
    drawn = sum(1 for e in entries if e.png)
    crashed = sum(1 for e in entries if e.crashed)
    print(f"drawn {drawn}, refused {len(entries) - drawn - crashed}, crashed {crashed}: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
