"""Run every benchmark and print its figures.

- planner: plan() for a range of briefs, against a baseline of validating one payload
  (the least work any planner must do for the same output).
- pipeline: POST brief → worker → version stored, in-process, against GET /v1/health
  through the same app (the fixed cost of a request).
- cold import: importing each HTTP function's module in a fresh interpreter, against
  importing Flask alone (what any function pays).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from archbuilder.domain.brief import Brief
from archbuilder.domain.common import CodeRegion, Language
from archbuilder.layout.planner import SpinePlanner
from archbuilder.layout.validation import validate_layout

BRIEFS = {
    "2+1 apartment 9x8 m": {
        "footprint": {"width_mm": 9000, "depth_mm": 8000},
        "rooms": [
            {"type": "living_room"},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 2},
            {"type": "bathroom"},
            {"type": "hall"},
        ],
    },
    "3+1 apartment 12x9 m": {
        "footprint": {"width_mm": 12000, "depth_mm": 9000},
        "rooms": [
            {"type": "living_room", "target_area_m2": 28},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 3},
            {"type": "bathroom"},
            {"type": "wc"},
            {"type": "hall"},
        ],
    },
    "L-shaped house": {
        "building_type": "house",
        "footprint": {
            "polygon": [
                {"x": 0, "y": 0},
                {"x": 16000, "y": 0},
                {"x": 16000, "y": 7000},
                {"x": 7000, "y": 7000},
                {"x": 7000, "y": 13000},
                {"x": 0, "y": 13000},
            ]
        },
        "rooms": [
            {"type": "living_room"},
            {"type": "dining_room"},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 3},
            {"type": "bathroom", "count": 2},
            {"type": "hall"},
            {"type": "storage"},
        ],
    },
    "small office 20x12 m": {
        "building_type": "office",
        "footprint": {"width_mm": 20000, "depth_mm": 12000},
        "rooms": [
            {"type": "reception"},
            {"type": "office", "count": 6},
            {"type": "meeting_room", "count": 2},
            {"type": "wc", "count": 2},
            {"type": "storage"},
            {"type": "corridor"},
        ],
    },
}


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` calls after one warm-up."""
    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bench_planner() -> None:
    planner = SpinePlanner()
    print("planner (median of 5; baseline = validate_layout on the same payload)")
    for name, raw in BRIEFS.items():
        brief = Brief.model_validate(raw).resolved(CodeRegion.TR, Language.en)
        assert brief.footprint is not None
        result = planner.plan(brief)
        points = brief.footprint.points()
        baseline = timed(lambda p=result.payload, pts=points: validate_layout(p, pts), 5)
        planned = timed(lambda b=brief: planner.plan(b), 5)
        print(
            f"  {name:24s} plan {planned * 1000:8.1f} ms   validate {baseline * 1000:6.1f} ms"
            f"   ratio {planned / baseline:6.1f}x   rooms {len(result.payload.rooms)}"
        )


def bench_pipeline() -> None:
    from archbuilder.adapters.local.inprocess_bus import InProcessEventBus
    from archbuilder.devserver import create_app
    from archbuilder.domain.common import DataRegion
    from archbuilder.platform.settings import Environment, Settings
    from archbuilder.runtime import build_local_runtime, set_runtime
    from archbuilder.services.identity import create_tenant

    with tempfile.TemporaryDirectory() as folder:
        runtime = build_local_runtime(
            Settings(env=Environment.test, data_dir=Path(folder), log_level="ERROR")
        )
        set_runtime(runtime)
        assert isinstance(runtime.bus, InProcessEventBus)
        _, key = create_tenant(
            runtime.store,
            name="Bench",
            data_region=DataRegion.eu,
            code_region=CodeRegion.TR,
            language=Language.en,
        )
        client = create_app().test_client()
        headers = {"X-API-Key": key.api_key}
        project = client.post("/v1/projects", json={"name": "bench"}, headers=headers).json["id"]
        brief = BRIEFS["3+1 apartment 12x9 m"]

        def round_trip() -> None:
            accepted = client.post(f"/v1/projects/{project}/layouts", json=brief, headers=headers).json
            runtime.bus.drain(60)  # type: ignore[attr-defined]
            job = client.get(f"/v1/jobs/{accepted['job_id']}", headers=headers).json
            assert job["status"] == "succeeded", job

        baseline = timed(lambda: client.get("/v1/health"), 20)
        full = timed(round_trip, 5)
        print("pipeline (median; baseline = GET /v1/health through the same app)")
        print(
            f"  brief → stored version  {full * 1000:8.1f} ms   health {baseline * 1000:6.2f} ms"
            f"   ratio {full / baseline:8.1f}x"
        )
        runtime.bus.close()  # type: ignore[attr-defined]
        set_runtime(None)


def bench_cold_imports() -> None:
    def import_time(statement: str) -> float:
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", statement], check=True)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    baseline = import_time("import flask")
    print("cold import of each HTTP function (median of 3 fresh interpreters; baseline = import flask)")
    for name in ("api_identity", "api_projects", "api_layouts", "layout_worker"):
        seconds = import_time(f"import functions.{name}.main")
        print(
            f"  {name:14s} {seconds * 1000:7.0f} ms   flask {baseline * 1000:5.0f} ms   ratio {seconds / baseline:5.2f}x"
        )


if __name__ == "__main__":
    bench_planner()
    bench_pipeline()
    bench_cold_imports()
