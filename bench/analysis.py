"""Model analysis benchmark: what the analysis adds to the ingestion of the same file.

For every real file in ../shared/data/{dxf,dwg,ifc} and a generated ~50 MB IFC, measured in
one warm interpreter, medians of ``--repeat`` runs:

- **ingest**: ``bench.cad.end_to_end``: upload URL, PUT, Storage event, ``cad_ingest`` (sniff,
  sandboxed parse, classification, compliance check, the stored model, report and analysis),
  which since issue 19 includes the facts and the analysis;
- **facts**: ``analysis.ifc_facts`` on the same file opened by ifcopenshell, given what the
  reader found as ``read_ifc`` gives it (the part of the sandboxed parse that is the
  analysis's, reading the STEP text again included; 0 for DXF and DWG);
- **analyse**: ``analysis.analyse`` on the model and its facts (checks, area schedule,
  recommendations), and its Python peak memory (tracemalloc);
- **added**: (facts + analyse) ÷ (ingest − facts − analyse), the share the analysis adds to
  an ingest without it. Target (issue 19): ≤ 30 %.

Run: ``python -m bench.analysis`` (``make bench-analysis``); ``--quick`` skips the generated file.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.cad import MB, _real_files, end_to_end, pipeline, synthetic_ifc

TARGET_ADDED_PCT = 30.0


def _median(action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(path: Path, repeat: int) -> dict[str, float]:
    from archbuilder.analysis.analyse import analyse
    from archbuilder.platform.settings import get_settings

    settings = get_settings()
    model = pipeline(path, timeout_s=settings.parse_timeout_s * 4, memory_mb=settings.parse_memory_mb * 2)
    ingest_s = statistics.median(end_to_end(path)["seconds"] for _ in range(repeat))
    facts_s = 0.0
    if path.suffix.lower() == ".ifc":
        import ifcopenshell

        from archbuilder.analysis.ifc_facts import ifc_facts
        from archbuilder.cad.ifc_reader import MAX_ELEMENTS, _Reader, _step_text

        opened = ifcopenshell.open(str(path))
        reader = _Reader(opened)
        reader.read(MAX_ELEMENTS)  # what the facts are given by the reader, as in read_ifc

        def facts() -> object:
            return ifc_facts(
                opened,
                reader.mm,
                path.stat().st_size,
                parents=reader.parents,
                known_properties=reader.properties,
                step_text=lambda: _step_text(path, None),
            )

        facts_s, _ = _median(facts, repeat)
    bare = model.model_copy(update={"facts": None})
    analyse_s, _ = _median(lambda: analyse(bare, model.facts, "bench"), repeat)
    tracemalloc.start()
    analyse(bare, model.facts, "bench")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    base = max(ingest_s - facts_s - analyse_s, 1e-9)
    return {
        "ingest_ms": ingest_s * 1000,
        "facts_ms": facts_s * 1000,
        "analyse_ms": analyse_s * 1000,
        "peak_mb": peak / MB,
        "added_pct": 100.0 * (facts_s + analyse_s) / base,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.analysis", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the generated 50 MB IFC")
    args = parser.parse_args(argv)
    rows: list[tuple[str, dict[str, float]]] = []
    for path, _fmt in _real_files():
        rows.append((path.name, measure(path, args.repeat)))
    if not args.quick:
        with tempfile.TemporaryDirectory(prefix="bench-analysis-") as folder:
            big = Path(folder) / "generated.ifc"
            synthetic_ifc(big, 50 * MB)
            rows.append((f"generated {big.stat().st_size / MB:.0f} MB IFC", measure(big, 1)))
    print("| file | ingest ms | facts ms | analyse ms | analyse peak MB | added |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for name, r in rows:
        worst = max(worst, r["added_pct"])
        print(
            f"| {name} | {r['ingest_ms']:.0f} | {r['facts_ms']:.0f} | {r['analyse_ms']:.0f} | "
            f"{r['peak_mb']:.1f} | {r['added_pct']:.1f} % |"
        )
    met = "met" if worst <= TARGET_ADDED_PCT else "NOT met"
    print(
        f"added = (facts + analyse) / (ingest - facts - analyse); worst {worst:.1f} %, target ≤ {TARGET_ADDED_PCT:.0f} %: {met}"
    )
    return 0


if __name__ == "__main__":  # the sandbox child is forked from a server: nothing runs on import
    raise SystemExit(main())
