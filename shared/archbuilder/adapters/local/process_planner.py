"""A ``LayoutPlanner`` that plans in child processes: the embedded default's layout worker off
the API's interpreter.

In the cloud, ``layout_worker`` runs on instances of its own (one brief per instance), so the
CPU-bound planner never holds up an API request. The dev server runs every function in one
process: planning there would hold the interpreter lock for about half a second per brief and
every API thread would wait behind it. ``ProcessPoolPlanner`` gives the same planner (the same
code, the same results) a pool of child processes, one per core by default, run at a lower
scheduling priority so that API requests get a core first.

A child that dies mid-brief (killed, out of memory) breaks the pool, and with it every brief
the pool was planning, not only the dead child's. Each of those calls starts a new pool and plans
its brief again, once; a call whose second pool breaks too raises ``PlannerUnavailable`` (the
job is released and its event redelivered, as a crashed instance's would be). A brief that kills
every child it gets can so still cost a brief planned beside it an attempt.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from archbuilder.domain.brief import Brief
from archbuilder.domain.layout import PlanResult
from archbuilder.platform.errors import PlannerUnavailable
from archbuilder.ports import LayoutPlanner

# How much lower the children's priority is than the server's (nice(2) increment).
CHILD_NICENESS = 10
# How often a child looks whether the server that started it is still there.
PARENT_CHECK_S = 1.0

_Result = TypeVar("_Result")


class ProcessPoolPlanner:
    """``planner`` run in ``processes`` child processes (started on first use)."""

    def __init__(self, planner: LayoutPlanner, processes: int) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.name = planner.name
        self._planner = planner
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def plan(self, brief: Brief) -> PlanResult:
        return self._in_child(_plan, brief)

    def plan_variants(self, brief: Brief) -> list[PlanResult]:
        return self._in_child(_plan_variants, brief)

    def _in_child(self, call: Callable[[LayoutPlanner, Brief], _Result], brief: Brief) -> _Result:
        """``call(planner, brief)`` in a child; what it raises (``Unprocessable``) is raised here.
        A broken pool is replaced and the brief planned again, once."""
        try:
            return self._submit(call, brief)
        except BrokenProcessPool:
            pass  # a child died, this brief's or another's: once more, on a new pool
        try:
            return self._submit(call, brief)
        except BrokenProcessPool as exc:
            raise PlannerUnavailable(reason="a planning process stopped") from exc

    def _submit(self, call: Callable[[LayoutPlanner, Brief], _Result], brief: Brief) -> _Result:
        pool = self._running_pool()
        try:
            return pool.submit(call, self._planner, brief).result()
        except BrokenProcessPool:
            self._discard(pool)
            raise

    def close(self) -> None:
        """Stop the children (waits for the briefs they are planning)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _running_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # "spawn", not "fork": the server has threads, and a forked child would inherit
                # locks held by them at that moment.
                self._pool = ProcessPoolExecutor(
                    max_workers=self._processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_child,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


def _start_child(server_pid: int) -> None:
    """In each child: a lower priority, and an exit when the server is gone (a server killed
    with SIGKILL cannot stop its children; they would wait for work forever)."""
    os.nice(CHILD_NICENESS)
    # Ctrl-C reaches the whole foreground process group: the server stops its children itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(server_pid,), name="exit-with-server", daemon=True).start()


def _exit_with(server_pid: int) -> None:
    while os.getppid() == server_pid:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _plan(planner: LayoutPlanner, brief: Brief) -> PlanResult:
    return planner.plan(brief)


def _plan_variants(planner: LayoutPlanner, brief: Brief) -> list[PlanResult]:
    return planner.plan_variants(brief)
