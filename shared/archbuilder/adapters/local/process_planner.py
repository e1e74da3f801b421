"""A ``LayoutPlanner`` that plans in child processes: the embedded default's layout worker off
the API's interpreter.

In the cloud, ``layout_worker`` runs on instances of its own (one brief per instance), so the
CPU-bound planner never holds up an API request. The dev server runs every function in one
process: planning there would hold the interpreter lock for about half a second per brief and
every API thread would wait behind it. ``ProcessPoolPlanner`` gives the same planner (the same
code, the same results) a pool of child processes, one per core by default, run at a lower
scheduling priority so that API requests get a core first.

A child that dies mid-brief (killed, out of memory) breaks the pool: the call raises
``PlannerUnavailable`` (the event is redelivered, as a crashed instance's would be) and the next
call starts a new pool.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from archbuilder.domain.brief import Brief
from archbuilder.domain.layout import PlanResult
from archbuilder.platform.errors import ArchBuilderError
from archbuilder.ports import LayoutPlanner

# How much lower the children's priority is than the server's (nice(2) increment).
CHILD_NICENESS = 10
# How often a child looks whether the server that started it is still there.
PARENT_CHECK_S = 1.0

_Result = TypeVar("_Result")


class PlannerUnavailable(ArchBuilderError):
    """A planning child process died: the job's event is delivered again."""

    code = "PLANNER_UNAVAILABLE"
    status = 503


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
        """``call(planner, brief)`` in a child; what it raises (``Unprocessable``) is raised here."""
        pool = self._running_pool()
        try:
            return pool.submit(call, self._planner, brief).result()
        except BrokenProcessPool as exc:
            self._discard(pool)
            raise PlannerUnavailable(reason="a planning process stopped") from exc

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
    threading.Thread(target=_exit_with, args=(server_pid,), name="exit-with-server", daemon=True).start()


def _exit_with(server_pid: int) -> None:
    while os.getppid() == server_pid:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _plan(planner: LayoutPlanner, brief: Brief) -> PlanResult:
    return planner.plan(brief)


def _plan_variants(planner: LayoutPlanner, brief: Brief) -> list[PlanResult]:
    return planner.plan_variants(brief)
