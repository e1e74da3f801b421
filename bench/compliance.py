"""Compliance benchmark: time to check a synthetic 200-space building, and rules per second.

The baseline, measured in the same run, is computing only the net areas of the same
spaces (the least work any check does). Target: a 200-space model in under 1 s.
Run: ``python -m bench.compliance`` (``make bench-compliance``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from archbuilder.compliance import check_model
from archbuilder.compliance.geometry import area_m2
from archbuilder.compliance.loader import rules_for
from archbuilder.domain.building import (
    BuildingContext,
    BuildingModel,
    ModelDoor,
    ModelLevel,
    ModelPoint,
    ModelSpace,
    ModelWindow,
    SourceInfo,
)

# One dwelling: 10 spaces along a 1.2 m hall, (type, width, depth) in mm.
DWELLING = [
    ("living_room", 5000, 4500),
    ("kitchen", 3000, 3000),
    ("bedroom", 3200, 3500),
    ("bedroom", 3000, 3200),
    ("bedroom", 2800, 3200),
    ("bathroom", 2000, 2400),
    ("wc", 1200, 1400),
    ("storage", 1500, 1500),
    ("dining_room", 3500, 3000),
]


def building(dwellings: int = 20) -> BuildingModel:
    """``dwellings`` flats of 10 spaces each on 5 levels: 200 spaces for 20 dwellings."""
    spaces: list[ModelSpace] = []
    doors: list[ModelDoor] = []
    windows: list[ModelWindow] = []
    per_level = max(1, dwellings // 5)
    levels = [
        ModelLevel(id=f"L{i}", name=f"Level {i}", elevation_mm=i * 3000, height_mm=3000) for i in range(5)
    ]
    for d in range(dwellings):
        level = levels[min(d // per_level, 4)].id
        ox = (d % per_level) * 40_000.0
        hall_len = sum(w for _, w, _ in DWELLING) + 100 * len(DWELLING)
        hall = ModelSpace(
            id=f"D{d}-H",
            name="Hol",
            type="corridor",
            level_id=level,
            dwelling_id=str(d),
            clear_height_mm=2700,
            boundary=[
                ModelPoint(x=ox, y=0),
                ModelPoint(x=ox + hall_len, y=0),
                ModelPoint(x=ox + hall_len, y=1200),
                ModelPoint(x=ox, y=1200),
            ],
        )
        spaces.append(hall)
        doors.append(
            ModelDoor(
                id=f"D{d}-E",
                level_id=level,
                position=ModelPoint(x=ox - 50, y=600),
                clear_width_mm=1000,
                height_mm=2100,
                space_ids=[hall.id],
                is_entrance=True,
            )
        )
        x = ox
        for i, (kind, w, depth) in enumerate(DWELLING):
            sid = f"D{d}-S{i}"
            spaces.append(
                ModelSpace(
                    id=sid,
                    name=kind,
                    type=kind,
                    level_id=level,
                    dwelling_id=str(d),
                    clear_height_mm=2700,
                    boundary=[
                        ModelPoint(x=x, y=1300),
                        ModelPoint(x=x + w, y=1300),
                        ModelPoint(x=x + w, y=1300 + depth),
                        ModelPoint(x=x, y=1300 + depth),
                    ],
                )
            )
            doors.append(
                ModelDoor(
                    id=f"{sid}-door",
                    level_id=level,
                    position=ModelPoint(x=x + w / 2, y=1250),
                    clear_width_mm=900,
                    height_mm=2100,
                    space_ids=[hall.id, sid],
                )
            )
            windows.append(
                ModelWindow(
                    id=f"{sid}-win",
                    level_id=level,
                    width_mm=min(w - 400, 1800),
                    height_mm=1400,
                    sill_height_mm=900,
                    space_id=sid,
                )
            )
            x += w + 100
    return BuildingModel(
        source=SourceInfo(format="ifc"),
        context=BuildingContext(
            use="apartment",
            floors_above_ground=5,
            dwelling_units=dwellings,
            building_height_m=15,
            sprinklers=False,
            has_lift=True,
        ),
        levels=levels,
        spaces=spaces,
        doors=doors,
        windows=windows,
    )


def best_of(repeats: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    model = building()
    outlines = [[(p.x, p.y) for p in s.boundary] for s in model.spaces]
    baseline = best_of(7, lambda: [area_m2(o) for o in outlines])
    print(f"model: {len(model.spaces)} spaces, {len(model.doors)} doors, {len(model.windows)} windows")
    print(f"baseline (net areas only): {baseline * 1000:.2f} ms")
    print(
        f"{'region':8} {'rules':>5} {'findings':>8} {'check ms':>9} {'rules/s':>9} {'findings/s':>10} {'× baseline':>10}"
    )
    for region in ("TR", "DE", "FR", "ES-CT", "US"):
        rules = len(rules_for(region).rules)
        check_model(model, region=region, language="en")  # warm: rule files, caches
        report = check_model(model, region=region, language="en")
        elapsed = best_of(5, lambda region=region: check_model(model, region=region, language="en"))
        print(
            f"{region:8} {rules:5d} {len(report.findings):8d} {elapsed * 1000:9.1f} {rules / elapsed:9.0f}"
            f" {len(report.findings) / elapsed:10.0f} {elapsed / baseline:10.0f}"
            f"  {'OK' if elapsed < 1.0 else 'OVER TARGET (1 s)'}"
        )


if __name__ == "__main__":
    main()
