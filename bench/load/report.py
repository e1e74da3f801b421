"""Figures from a load run: Locust's record of each request, and the server's JSON log lines.

Routes are named by their templates on both sides: the client names each request so, and the
server's access line logs ``requestUrl`` as the matched template (``platform/http.py``).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0-100) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "∞"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table (it reads in a terminal and pastes into docs/operations.md)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class RouteFigures:
    name: str
    count: int
    per_s: float
    p50: float
    p95: float
    p99: float
    errors: int
    server_errors: int

    def row(self) -> list[Any]:
        return [
            f"`{self.name}`",
            self.count,
            f"{self.per_s:.1f}",
            _ms(self.p50),
            _ms(self.p95),
            _ms(self.p99),
            self.errors,
            self.server_errors,
        ]


def client_routes(record: dict[str, Any], duration_s: float) -> list[RouteFigures]:
    """Per route, from Locust: requests/s, p50/p95/p99 (ms), errors (4xx/5xx/broken), 5xx."""
    figures = []
    for name, times in sorted(record["times"].items()):
        statuses = record["statuses"].get(name, {})
        server_errors = sum(n for status, n in statuses.items() if status.startswith("5"))
        figures.append(
            RouteFigures(
                name=name,
                count=len(times),
                per_s=len(times) / max(duration_s, 1e-9),
                p50=percentile(times, 50),
                p95=percentile(times, 95),
                p99=percentile(times, 99),
                errors=record["failures"].get(name, 0),
                server_errors=server_errors,
            )
        )
    return figures


CLIENT_HEADERS = ["route (client side)", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "5xx"]


def read_log(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of the server's log (lines that are not JSON are skipped)."""
    lines = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    return lines


def _when(line: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(line["time"]).timestamp()
    except (KeyError, ValueError):
        return 0.0


def in_window(lines: list[dict[str, Any]], start: float, stop: float) -> list[dict[str, Any]]:
    return [line for line in lines if start <= _when(line) <= stop]


@dataclass
class ServerRoute:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    reads: list[int] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)
    transactions: list[int] = field(default_factory=list)
    server_errors: int = 0

    def row(self) -> list[Any]:
        def mean(values: list[int]) -> str:
            return f"{sum(values) / len(values):.1f}" if values else "-"

        return [
            f"`{self.name}`",
            len(self.latencies_ms),
            _ms(percentile(self.latencies_ms, 50)),
            _ms(percentile(self.latencies_ms, 95)),
            mean(self.reads),
            mean(self.writes),
            mean(self.transactions),
            self.server_errors,
        ]


SERVER_HEADERS = [
    "route (server side)",
    "requests",
    "p50 ms",
    "p95 ms",
    "store reads",
    "store writes",
    "transactions",
    "5xx",
]


def server_routes(lines: list[dict[str, Any]]) -> list[ServerRoute]:
    """Per route, from the access lines: server time and store operations per request."""
    routes: dict[str, ServerRoute] = {}
    for line in lines:
        http = line.get("httpRequest")
        if line.get("message") != "request" or not isinstance(http, dict):
            continue
        name = f"{http.get('requestMethod')} {http.get('requestUrl')}"
        route = routes.setdefault(name, ServerRoute(name))
        route.latencies_ms.append(float(str(http.get("latency", "0s")).rstrip("s")) * 1000)
        if "store_reads" in line:
            route.reads.append(int(line["store_reads"]))
            route.writes.append(int(line.get("store_writes", 0)))
            route.transactions.append(int(line.get("store_transactions", 0)))
        if int(http.get("status", 0)) >= 500:
            route.server_errors += 1
    return sorted(routes.values(), key=lambda r: r.name)


@dataclass
class HandlerFigures:
    function: str
    durations_ms: list[float] = field(default_factory=list)
    errors: int = 0
    reads: list[int] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)

    def row(self, duration_s: float) -> list[Any]:
        count = len(self.durations_ms)
        return [
            f"`{self.function}`",
            count,
            f"{count / max(duration_s, 1e-9):.2f}",
            _ms(percentile(self.durations_ms, 50)),
            _ms(percentile(self.durations_ms, 95)),
            _ms(percentile(self.durations_ms, 99)),
            _ms(max(self.durations_ms) if self.durations_ms else math.nan),
            self.errors,
            f"{sum(self.reads) / len(self.reads):.1f}" if self.reads else "-",
            f"{sum(self.writes) / len(self.writes):.1f}" if self.writes else "-",
        ]


HANDLER_HEADERS = [
    "event handler",
    "events",
    "events/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "errors (retried)",
    "store reads",
    "store writes",
]


def event_handlers(lines: list[dict[str, Any]]) -> list[HandlerFigures]:
    """Per event function, from its ``event handled`` lines (``platform/event_function.py``)."""
    handlers: dict[str, HandlerFigures] = {}
    for line in lines:
        if line.get("message") != "event handled":
            continue
        figures = handlers.setdefault(str(line.get("function")), HandlerFigures(str(line.get("function"))))
        figures.durations_ms.append(float(line.get("duration_ms", 0)))
        figures.errors += line.get("outcome") != "ok"
        if "store_reads" in line:
            figures.reads.append(int(line["store_reads"]))
            figures.writes.append(int(line.get("store_writes", 0)))
    return sorted(handlers.values(), key=lambda h: h.function)


def job_outcomes(lines: list[dict[str, Any]]) -> dict[str, int]:
    """``kind/status`` → count, from the ``job_finished`` metric lines."""
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.get("metric") == "job_finished":
            counts[f"{line.get('kind')}/{line.get('status')}"] += 1
    return dict(counts)


def slope_per_10_min(samples: Sequence[tuple[float, float]]) -> float:
    """The least-squares slope of (seconds, value) samples, per 10 minutes; 0 with < 2 samples."""
    if len(samples) < 2:
        return 0.0
    xs = [s[0] for s in samples]
    ys = [s[1] for s in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread * 600
