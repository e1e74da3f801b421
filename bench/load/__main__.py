"""``python -m bench.load``: the load test against the embedded default (or ``--emulated``).

    python -m bench.load [--users 50] [--spawn-rate 5] [--duration 60] [--emulated] [--soak]

Everything is bounded: users, spawn rate, each phase's seconds, the wait for jobs to finish,
and a hard timeout on every child process. Everything listens on and calls 127.0.0.1 only.

Phases (each a headless Locust run, ``locustfile.py``):

1. *mixed*: ``--users`` add-in users (``ArchitectUser``) for ``--duration`` s: the per-route
   table and the read target (GET version, GET job p95 ≤ 50 ms at 50 users).
2. *reads*: the same users' reads alone (``ReaderUser``, no brief or upload) on the layouts of
   phase 1, for ``--duration`` s: what a read API instance serves with the CPU-bound layout
   worker elsewhere, as it is in the cloud (its own function).
3. *briefs@R*: for each R of ``--brief-rates``, briefs at a constant R per second for
   ``--brief-duration`` s (``BriefUser``), then up to ``--drain`` s for the jobs to finish:
   brief → stored version from the jobs' timestamps (target: p95 ≤ 2 s at the highest, 20/s).
4. ``--soak`` instead: ``--soak-users`` add-in users for ``--duration`` s (30 minutes unless
   given), sampling the server's RSS and open file handles every ``--sample-every`` s.

Then: zero 5xx, every accepted brief with exactly one job and its versions (none lost, none
twice), from the store; the per-route, per-handler and store-operation tables from the
server's JSON log lines; the targets, met or not. ``--json PATH`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.load import report
from bench.load.stack import BIN, REPO_ROOT, EmbeddedStack, EmulatedStack, Stack, create_tenants, stat_fields

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
READ_ROUTES = (
    "GET /v1/projects/{project_id}/layouts/{layout_id}/versions/{version}",
    "GET /v1/jobs/{job_id}",
)
READ_P95_TARGET_MS = 50.0
BRIEF_P95_TARGET_S = 2.0
FINISHED = ("succeeded", "failed", "cancelled")


@dataclass
class Phase:
    name: str
    user_class: str
    users: int
    spawn_rate: float
    duration_s: int
    started: float = 0.0
    stopped: float = 0.0
    record: dict[str, Any] = field(default_factory=dict)
    samples: list[dict[str, float]] = field(default_factory=list)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    # CPU seconds the stack (the server and its children) and Locust used, from the phase's
    # start to the end of its drain: what a brief or a request really costs on this machine.
    stack_cpu_s: float = 0.0
    locust_cpu_s: float = 0.0
    cpu_span_s: float = 0.0
    cpu_start: tuple[float, float] = (0.0, 0.0)  # the stack's CPU seconds and the clock then


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="add-in users in the mixed phase (max 200)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    parser.add_argument("--duration", type=int, help="seconds of the mixed phase (60) or the soak (1800)")
    parser.add_argument("--tenants", type=int, default=50, help="tenants, one API key each (max 200)")
    parser.add_argument(
        "--brief-rates", default="1,2,20", help="briefs per second of each brief phase, the target last"
    )
    parser.add_argument("--brief-duration", type=int, default=15, help="seconds of the brief phase (0: none)")
    parser.add_argument("--brief-users", type=int, default=40, help="users sending the briefs")
    parser.add_argument("--drain", type=int, default=300, help="seconds to wait for jobs after a phase")
    parser.add_argument("--emulated", action="store_true", help="against the emulator stack")
    parser.add_argument("--soak", action="store_true", help="a steady soak with RSS and handle samples")
    parser.add_argument("--soak-users", type=int, default=15, help="add-in users during the soak")
    parser.add_argument("--sample-every", type=float, default=30.0, help="seconds between soak samples")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs, data)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not (0 < args.users <= 200 and 0 < args.tenants <= 200 and 0 < args.spawn_rate <= 50):
        sys.exit("bounds: 1-200 users, 1-200 tenants, spawn rate up to 50/s")
    duration = args.duration or (1800 if args.soak else 60)
    args.brief_rates = [float(rate) for rate in args.brief_rates.split(",") if rate.strip()]
    args.brief_rate = max(args.brief_rates, default=0.0)
    if not 0 < duration <= 3600 or not 0 <= args.brief_duration <= 300 or not 0 <= args.brief_rate <= 100:
        sys.exit("bounds: duration up to 3600 s, brief phases up to 300 s at up to 100 briefs/s")
    work = Path(tempfile.mkdtemp(prefix="archbuilder-load-"))
    stack: Stack = EmulatedStack(work) if args.emulated else EmbeddedStack(work)
    phases: list[Phase] = []
    summary: dict[str, Any] = {"stack": stack.name, "work": str(work)}
    _say(f"starting the {stack.name} on {stack.base_url} (data and logs in {work})")
    try:
        stack.start()
        store = stack.store()
        started = time.monotonic()
        tenants = create_tenants(store, args.tenants)
        _say(f"{len(tenants)} tenants with one API key each in {time.monotonic() - started:.1f} s")
        tenants_file = work / "tenants.json"
        tenants_file.write_text(json.dumps(tenants))
        tenants_file.chmod(0o600)
        if args.soak:
            phases.append(
                _run(
                    stack,
                    work,
                    tenants_file,
                    Phase("soak", "ArchitectUser", args.soak_users, args.spawn_rate, duration),
                    sample_every=args.sample_every,
                )
            )
            _drain(store, phases[-1].record.get("briefs", []), args.drain)
            _finish_cpu(stack, phases[-1])
        else:
            phases.append(
                _run(
                    stack,
                    work,
                    tenants_file,
                    Phase("mixed", "ArchitectUser", args.users, args.spawn_rate, duration),
                )
            )
            _drain(store, phases[-1].record.get("briefs", []), args.drain)
            _finish_cpu(stack, phases[-1])
            layouts_file = work / "layouts.json"
            layouts_file.write_text(json.dumps(_succeeded(store, phases[-1].record.get("briefs", []))))
            reads = Phase("reads", "ReaderUser", args.users, args.spawn_rate, duration)
            phases.append(_run(stack, work, tenants_file, reads, layouts_file=layouts_file))
            _finish_cpu(stack, reads)
            for rate in args.brief_rates if args.brief_duration else []:
                # Enough users that each sends at most one brief every 2 s.
                brief_users = max(1, min(args.brief_users, 200, math.ceil(rate * 2)))
                phase = Phase(
                    f"briefs@{rate:g}", "BriefUser", brief_users, float(brief_users), args.brief_duration
                )
                phases.append(_run(stack, work, tenants_file, phase, brief_rate=rate))
                _drain(store, phase.record.get("briefs", []), args.drain)
                _finish_cpu(stack, phase)
        summary["ledger"] = _check_ledger(store, [b for p in phases for b in p.record.get("briefs", [])])
        summary["brief_latency"] = {
            p.name: _brief_latency(store, p) for p in phases if p.name.startswith("briefs@")
        }
    finally:
        stack.stop()
    lines = report.read_log(stack.log)
    exit_code = _report(args, phases, lines, summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=_jsonable))
    if args.keep:
        _say(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return exit_code


def _say(text: str) -> None:
    sys.stderr.write(f"[load] {text}\n")
    sys.stderr.flush()


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return str(value)


# -- a phase ------------------------------------------------------------------------------


def _run(
    stack: Stack,
    work: Path,
    tenants_file: Path,
    phase: Phase,
    *,
    brief_rate: float = 0.0,
    sample_every: float = 0.0,
    layouts_file: Path | None = None,
) -> Phase:
    """One headless Locust run, bounded by ``-t`` and by a hard timeout on the process."""
    results = work / f"locust-{phase.name}.json"
    env = os.environ | {
        "LOAD_TENANTS": str(tenants_file),
        "LOAD_RESULTS": str(results),
        "LOAD_BRIEF_RATE": str(brief_rate or 1),
        "LOAD_BRIEF_USERS": str(phase.users),
        "LOAD_LAYOUTS": str(layouts_file or ""),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [
        str(BIN / "python"),
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(phase.users),
        "--spawn-rate",
        str(phase.spawn_rate),
        "--run-time",
        f"{phase.duration_s}s",
        "--stop-timeout",
        "15",
        "--host",
        stack.base_url,
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        phase.user_class,
    ]
    _say(
        f"phase {phase.name}: {phase.users} {phase.user_class} for {phase.duration_s} s"
        + (f" at {brief_rate:g} briefs/s" if brief_rate else "")
        + f" (load average {os.getloadavg()[0]:.2f})"
    )
    phase.load_average = os.getloadavg()
    hard_limit = phase.duration_s + phase.users / phase.spawn_rate + 90
    phase.started = time.time()
    phase.cpu_start = (_cpu_seconds(stack), time.monotonic())
    locust_cpu = _children_cpu_seconds()
    with (work / f"locust-{phase.name}.log").open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            if sample_every:
                _sample_until_done(stack, process, phase, sample_every, time.monotonic() + hard_limit)
            process.wait(timeout=max(1.0, phase.started + hard_limit - time.time()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            _say(f"phase {phase.name}: Locust overran its bound and was stopped")
    phase.stopped = time.time()
    phase.locust_cpu_s = _children_cpu_seconds() - locust_cpu  # Locust, reaped by wait()
    load = os.getloadavg()
    phase.load_average = tuple(max(a, b) for a, b in zip(phase.load_average, load, strict=True))  # type: ignore[assignment]
    if results.exists():
        phase.record = json.loads(results.read_text())
        phase.started = phase.record.get("started", phase.started)
        phase.stopped = phase.record.get("stopped", phase.stopped)
    else:
        _say(f"phase {phase.name}: no results (see {work / f'locust-{phase.name}.log'})")
    return phase


def _cpu_seconds(stack: Stack) -> float:
    """User and system CPU seconds of the stack's live processes (and of children they reaped)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in stack.pids():
        fields = stat_fields(pid)
        if fields is not None:
            total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def _children_cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _finish_cpu(stack: Stack, phase: Phase) -> None:
    """After the phase's jobs have drained: the stack's CPU since the phase began."""
    phase.stack_cpu_s = _cpu_seconds(stack) - phase.cpu_start[0]
    phase.cpu_span_s = time.monotonic() - phase.cpu_start[1]


def _sample_until_done(
    stack: Stack, process: subprocess.Popen[bytes], phase: Phase, every_s: float, deadline: float
) -> None:
    """RSS and open file handles of the server every ``every_s`` s while the phase runs."""
    begun = time.monotonic()
    while process.poll() is None and time.monotonic() < deadline:
        phase.samples.append({"t": time.monotonic() - begun, **_process_figures(stack)})
        waited = time.monotonic()
        while process.poll() is None and time.monotonic() - waited < every_s:
            time.sleep(0.5)
    phase.samples.append({"t": time.monotonic() - begun, **_process_figures(stack)})


def _process_figures(stack: Stack) -> dict[str, float]:
    figures = {"rss_mb": 0.0, "fds": 0.0, "threads": 0.0, "all_rss_mb": 0.0, "all_fds": 0.0}
    for pid in stack.pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            continue
        values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(values.get("VmRSS", "0 kB").split()[0]) / 1024
        figures["all_rss_mb"] += rss
        figures["all_fds"] += fds
        if pid == stack.pid:
            figures.update(rss_mb=rss, fds=float(fds), threads=float(values.get("Threads", "0").strip()))
    return figures


# -- after the phases: jobs, versions, latency ----------------------------------------------


def _job_path(entry: dict[str, Any]) -> str:
    return f"tenants/{entry['tenant_id']}/jobs/{entry['job_id']}"


def _drain(store: Any, briefs: list[dict[str, Any]], timeout_s: int) -> None:
    """Wait (at most ``timeout_s``) until every accepted brief's job has finished."""
    waiting = list(briefs)
    deadline = time.monotonic() + timeout_s
    begun = time.monotonic()
    while waiting and time.monotonic() < deadline:
        still = []
        for entry in waiting:
            snapshot = store.get(_job_path(entry))
            if snapshot is None or snapshot.data.get("status") not in FINISHED:
                still.append(entry)
        waiting = still
        if waiting:
            time.sleep(1.0)
    _say(
        f"jobs finished after {time.monotonic() - begun:.0f} s"
        if not waiting
        else f"{len(waiting)} jobs still unfinished after {timeout_s} s"
    )


def _succeeded(store: Any, briefs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The briefs whose job succeeded (their version 1 is there to read)."""
    done = []
    for entry in briefs:
        job = store.get(_job_path(entry))
        if job is not None and job.data.get("status") == "succeeded":
            done.append(entry)
    return done


def _check_ledger(store: Any, briefs: list[dict[str, Any]]) -> dict[str, Any]:
    """Every accepted brief: exactly one job, its expected versions, no layout nobody accepted."""
    from archbuilder.ports import Query

    outcome: Counter[str] = Counter()
    problems: list[str] = []
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for entry in briefs:
        by_tenant.setdefault(entry["tenant_id"], []).append(entry)
        job = store.get(_job_path(entry))
        if job is None:
            outcome["job missing"] += 1
            problems.append(f"job {entry['job_id']} missing")
            continue
        status = job.data.get("status")
        outcome[f"job {status}"] += 1
        versions = store.query(
            Query(
                collection=f"tenants/{entry['tenant_id']}/projects/{entry['project_id']}"
                f"/layouts/{entry['layout_id']}/versions"
            )
        )
        expected = entry["expected_versions"]
        if status == "succeeded" and len(versions) < expected:
            outcome["versions lost"] += expected - len(versions)
            problems.append(f"layout {entry['layout_id']}: {len(versions)} of {expected} versions")
        if len(versions) > expected:
            outcome["versions duplicated"] += len(versions) - expected
            problems.append(f"layout {entry['layout_id']}: {len(versions)} versions, {expected} expected")
    accepted_layouts = {e["layout_id"] for e in briefs}
    for tenant_id, entries in by_tenant.items():
        jobs = store.query(Query(collection=f"tenants/{tenant_id}/jobs"))
        per_layout = Counter(
            j.data.get("layout_id")
            for j in jobs
            if j.data.get("kind") == "layout" and j.data.get("version") == 1
        )
        for layout_id, count in per_layout.items():
            if layout_id in accepted_layouts and count > 1:
                outcome["jobs duplicated"] += count - 1
                problems.append(f"layout {layout_id}: {count} jobs")
        for project_id in {e["project_id"] for e in entries}:
            layouts = store.query(Query(collection=f"tenants/{tenant_id}/projects/{project_id}/layouts"))
            stray = [s.id for s in layouts if s.id not in accepted_layouts]
            if stray:
                outcome["layouts nobody accepted"] += len(stray)
                problems.append(f"project {project_id}: layouts {stray[:3]} not in any 202 answer")
    lost = outcome["job missing"] + outcome["versions lost"]
    duplicated = outcome["versions duplicated"] + outcome["jobs duplicated"]
    return {
        "accepted_briefs": len(briefs),
        "outcomes": dict(outcome),
        "lost": lost,
        "duplicated": duplicated,
        "unfinished": outcome["job queued"] + outcome["job running"],
        "problems": problems[:20],
    }


def _timestamp(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def _brief_latency(store: Any, phase: Phase) -> dict[str, Any]:
    """Brief → stored version in a brief phase, from each job's created_at and its last
    update (the one that marks it succeeded, just after the version is stored)."""
    briefs = phase.record.get("briefs", [])
    latencies: list[float] = []
    failed = 0
    for entry in briefs:
        job = store.get(_job_path(entry))
        data = job.data if job else {}
        if data.get("status") == "succeeded":
            created, done = _timestamp(data.get("created_at")), _timestamp(data.get("updated_at"))
            if created is not None and done is not None:
                latencies.append(done - created)
        elif data.get("status") == "failed":
            failed += 1
        else:
            latencies.append(math.inf)  # not stored within the drain: counts as too slow
    # The arrival rate from the first brief to the last (the users' start-up is not part of it).
    moments = sorted(entry["accepted_at"] for entry in briefs)
    span = max(moments[-1] - moments[0], 1e-9) if len(moments) > 1 else math.inf
    finished = [x for x in latencies if math.isfinite(x)]
    return {
        "accepted": len(briefs),
        "arrival_per_s": (len(briefs) - 1) / span if len(briefs) > 1 else 0.0,
        "p50_s": report.percentile(latencies, 50),
        "p95_s": report.percentile(latencies, 95),
        "p99_s": report.percentile(latencies, 99),
        "max_s": max(finished) if finished else math.nan,
        "failed_jobs": failed,
        "unfinished": sum(1 for x in latencies if math.isinf(x)),
        # What the worker keeps up with: versions stored per second, first to last.
        "completed_per_s": _completion_rate(store, briefs),
    }


def _completion_rate(store: Any, briefs: list[dict[str, Any]]) -> float:
    done = []
    for entry in briefs:
        job = store.get(_job_path(entry))
        if job is not None and job.data.get("status") == "succeeded":
            moment = _timestamp(job.data.get("updated_at"))
            if moment is not None:
                done.append(moment)
    if len(done) < 2:
        return math.nan
    return (len(done) - 1) / max(max(done) - min(done), 1e-9)


# -- the report -----------------------------------------------------------------------------


def _report(
    args: argparse.Namespace, phases: list[Phase], lines: list[dict[str, Any]], summary: dict[str, Any]
) -> int:
    out: list[str] = [f"# Load test: {summary['stack']}, {os.cpu_count()} CPUs"]
    total_5xx = 0
    targets: list[tuple[str, bool | None, str]] = []
    summary["phases"] = {}
    for phase in phases:
        span = max(phase.stopped - phase.started, 1e-9)
        window = report.in_window(lines, phase.started, phase.stopped)
        client = report.client_routes(phase.record, span) if phase.record else []
        server = report.server_routes(window)
        handlers = report.event_handlers(window)
        total_5xx += sum(r.server_errors for r in client) + sum(r.server_errors for r in server)
        out += [
            "",
            f"## Phase {phase.name}: {phase.users} users, {span:.0f} s, load average "
            f"{phase.load_average[0]:.2f} / {phase.load_average[1]:.2f} / {phase.load_average[2]:.2f} (1/5/15 min, highest seen)",
            "",
            report.table(report.CLIENT_HEADERS, [r.row() for r in client]),
            "",
            report.table(report.SERVER_HEADERS, [r.row() for r in server]),
            "",
            report.table(report.HANDLER_HEADERS, [h.row(span) for h in handlers]),
            "",
            f"job outcomes: {report.job_outcomes(window)}",
            "",
            _cpu_line(phase),
        ]
        summary["phases"][phase.name] = {
            "users": phase.users,
            "seconds": span,
            "load_average": phase.load_average,
            "routes": [vars(r) for r in client],
            "server_routes": [
                {
                    "name": r.name,
                    "requests": len(r.latencies_ms),
                    "p95_ms": report.percentile(r.latencies_ms, 95),
                    "store_reads": (sum(r.reads) / len(r.reads)) if r.reads else None,
                    "store_writes": (sum(r.writes) / len(r.writes)) if r.writes else None,
                    "server_errors": r.server_errors,
                }
                for r in server
            ],
            "handlers": [
                {
                    "function": h.function,
                    "events": len(h.durations_ms),
                    "p95_ms": report.percentile(h.durations_ms, 95),
                    "errors": h.errors,
                }
                for h in handlers
            ],
            "idempotency_mismatches": phase.record.get("idempotency_mismatches", 0),
            "stack_cpu_s": phase.stack_cpu_s,
            "locust_cpu_s": phase.locust_cpu_s,
            "cpu_span_s": phase.cpu_span_s,
        }
        if phase.name in ("mixed", "reads"):
            reads = [r for r in client if r.name in READ_ROUTES]
            for r in reads:
                targets.append(
                    (
                        f"{r.name} p95 ≤ {READ_P95_TARGET_MS:.0f} ms at {phase.users} users ({phase.name})",
                        r.p95 <= READ_P95_TARGET_MS,
                        f"{r.p95:.0f} ms",
                    )
                )
        if phase.samples:
            out += ["", _soak_section(phase, summary)]
            targets += summary["soak_targets"]
    latencies = summary.get("brief_latency") or {}
    if latencies:
        rows = [
            [
                name.removeprefix("briefs@") + "/s",
                f"{b['arrival_per_s']:.1f}",
                b["accepted"],
                f"{b['p50_s']:.2f}",
                f"{b['p95_s']:.2f}",
                f"{b['p99_s']:.2f}",
                f"{b['max_s']:.2f}",
                f"{b['completed_per_s']:.2f}",
                b["failed_jobs"],
                b["unfinished"],
            ]
            for name, b in latencies.items()
        ]
        out += [
            "",
            "## Brief → stored version (from the jobs' timestamps)",
            "",
            report.table(
                [
                    "asked",
                    "arrived /s",
                    "briefs",
                    "p50 s",
                    "p95 s",
                    "p99 s",
                    "max s",
                    "stored /s",
                    "failed",
                    "unfinished",
                ],
                rows,
            ),
        ]
        for name, b in latencies.items():
            rate = float(name.removeprefix("briefs@"))
            targets.append(
                (
                    f"brief → version p95 ≤ {BRIEF_P95_TARGET_S:g} s at {rate:g} briefs/s"
                    + ("" if rate == args.brief_rate else " (a step below the target rate)"),
                    b["p95_s"] <= BRIEF_P95_TARGET_S and b["arrival_per_s"] >= 0.9 * rate,
                    f"p95 {b['p95_s']:.1f} s at {b['arrival_per_s']:.1f} briefs/s arriving",
                )
            )
    ledger = summary.get("ledger") or {}
    mismatches = sum(p.get("idempotency_mismatches", 0) for p in summary["phases"].values())
    summary["server_errors"] = total_5xx
    targets.append(("zero 5xx", total_5xx == 0, str(total_5xx)))
    if ledger:
        targets.append(
            (
                "zero lost or duplicated versions",
                ledger["lost"] == 0 and ledger["duplicated"] == 0 and mismatches == 0,
                f"{ledger['accepted_briefs']} briefs: lost {ledger['lost']}, duplicated {ledger['duplicated']}, "
                f"retries answered with another job {mismatches}, unfinished {ledger['unfinished']} "
                f"{ledger['outcomes']}",
            )
        )
    out += ["", "## Targets", ""]
    out += [
        f"- {'met' if ok else 'NOT MET' if ok is False else 'n/a'}: {name} ({value})"
        for name, ok, value in targets
    ]
    if ledger.get("problems"):
        out += ["", "problems: " + "; ".join(ledger["problems"])]
    summary["targets"] = [{"target": n, "met": ok, "value": v} for n, ok, v in targets]
    sys.stdout.write("\n".join(out) + "\n")
    # Exit status: 0 when the checks that must always hold held (no 5xx, nothing lost or
    # doubled); the latency targets are reported, not enforced, on a shared machine.
    return 0 if total_5xx == 0 and ledger.get("lost", 0) == 0 and ledger.get("duplicated", 0) == 0 else 1


def _cpu_line(phase: Phase) -> str:
    """CPU used from the phase's start to the end of its drain, and per brief accepted."""
    cores = os.cpu_count() or 1
    span = max(phase.cpu_span_s, 1e-9)
    briefs = len(phase.record.get("briefs", []))
    line = (
        f"CPU over {span:.0f} s (phase and drain): the stack {phase.stack_cpu_s:.1f} s "
        f"({phase.stack_cpu_s / span / cores:.0%} of {cores} cores), Locust {phase.locust_cpu_s:.1f} s"
    )
    if briefs:
        line += f"; the stack's CPU per brief accepted (with the phase's other requests) {phase.stack_cpu_s / briefs:.3f} s"
    return line


def _soak_section(phase: Phase, summary: dict[str, Any]) -> str:
    samples = phase.samples
    # The first fifth is warm-up (imports, caches, the SQLite page cache): not part of the slope.
    steady = samples[len(samples) // 5 :] if len(samples) >= 5 else samples
    rss = report.slope_per_10_min([(s["t"], s["rss_mb"]) for s in steady])
    fds = report.slope_per_10_min([(s["t"], s["fds"]) for s in steady])
    threads = report.slope_per_10_min([(s["t"], s["threads"]) for s in steady])
    # A leak only grows: a falling slope (connections closing at the end) is flat enough.
    rss_flat = rss <= 5.0
    fds_flat = fds <= 2.0
    summary["soak"] = {
        "samples": samples,
        "rss_mb_per_10_min": rss,
        "fds_per_10_min": fds,
        "threads_per_10_min": threads,
    }
    summary["soak_targets"] = [
        ("server RSS flat (slope ≤ +5 MB per 10 min after warm-up)", rss_flat, f"{rss:+.2f} MB/10 min"),
        (
            "server open file handles flat (slope ≤ +2 per 10 min after warm-up)",
            fds_flat,
            f"{fds:+.2f} /10 min",
        ),
    ]
    rows = [
        [
            f"{s['t']:.0f}",
            f"{s['rss_mb']:.1f}",
            int(s["fds"]),
            int(s["threads"]),
            f"{s['all_rss_mb']:.1f}",
            int(s["all_fds"]),
        ]
        for s in samples
    ]
    return "\n".join(
        [
            f"### Soak samples (every {phase.duration_s and (samples[1]['t'] - samples[0]['t'] if len(samples) > 1 else 0):.0f} s)",
            "",
            report.table(
                ["s", "server RSS MB", "server fds", "threads", "all processes RSS MB", "all fds"], rows
            ),
            "",
            f"slopes after warm-up: RSS {rss:+.2f} MB per 10 min, file handles {fds:+.2f} per 10 min, "
            f"threads {threads:+.2f} per 10 min",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
