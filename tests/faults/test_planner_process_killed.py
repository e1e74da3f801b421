"""The embedded default plans in child processes (``adapters/local/process_planner.py``): the
same layouts as in-process planning, refusals come back as refusals, and a planning child
SIGKILLed mid-brief costs a redelivery, never the job and never a second version.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.adapters.local.inprocess_bus import InProcessEventBus
from archbuilder.adapters.local.process_planner import ProcessPoolPlanner
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import Language
from archbuilder.domain.job import Job
from archbuilder.layout.planner import SpinePlanner
from archbuilder.platform.errors import PlannerUnavailable, Unprocessable
from archbuilder.platform.settings import Settings
from archbuilder.ports import Query
from archbuilder.runtime import Runtime, build_local_runtime, set_runtime
from tests.conftest import TenantCredentials, make_tenant
from tests.faults.test_worker_killed import BIG_BRIEF

TWO_BED = {
    "building_type": "apartment",
    "footprint": {"width_mm": 12000, "depth_mm": 9000},
    "rooms": [
        {"type": "living_room"},
        {"type": "kitchen"},
        {"type": "bedroom", "count": 2},
        {"type": "bathroom"},
        {"type": "hall"},
    ],
    "entrance": {"side": "south"},
    "options": {"variants": 2},
}
TIMINGS = {"solve_ms", "duration_ms", "pipeline_ms"}


@pytest.fixture
def pooled(settings: Settings) -> Iterator[Runtime]:
    """The embedded runtime as ``archbuilder serve`` builds it: one planning child."""
    rt = build_local_runtime(settings.model_copy(update={"planner_processes": 1}))
    set_runtime(rt)
    yield rt
    assert isinstance(rt.bus, InProcessEventBus) and isinstance(rt.planner, ProcessPoolPlanner)
    rt.bus.drain(timeout=60)
    rt.bus.close()
    rt.planner.close()
    set_runtime(None)


def resolved(raw: dict[str, Any], region: str = "DE") -> Brief:
    return Brief.model_validate(raw).resolved(region, Language.de)


def without_timings(metadata: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metadata.items() if k not in TIMINGS}


def test_a_child_plans_the_same_layouts_and_refuses_the_same_briefs() -> None:
    pool = ProcessPoolPlanner(SpinePlanner(), 1)
    try:
        brief = resolved(TWO_BED)
        in_child = pool.plan_variants(brief)
        here = SpinePlanner().plan_variants(brief)
        assert [v.payload for v in in_child] == [v.payload for v in here]
        assert [without_timings(v.metadata) for v in in_child] == [without_timings(v.metadata) for v in here]
        assert pool.plan(brief).payload == here[0].payload

        cramped = {**TWO_BED, "footprint": {"width_mm": 4000, "depth_mm": 3000}}
        with pytest.raises(Unprocessable) as refused:
            pool.plan_variants(resolved(cramped))
        with pytest.raises(Unprocessable) as refused_here:
            SpinePlanner().plan_variants(resolved(cramped))
        assert (refused.value.code, refused.value.params) == (
            refused_here.value.code,
            refused_here.value.params,
        )
    finally:
        pool.close()


def test_a_child_killed_mid_brief_costs_no_brief_in_flight_anything() -> None:
    """Two briefs planned at once in two children; one child is killed. The broken pool fails
    both calls, not only the dead child's: each plans its brief again on a new pool."""
    pool = ProcessPoolPlanner(SpinePlanner(), 2)
    big = resolved(BIG_BRIEF, "TR")
    expected = SpinePlanner().plan(big).payload
    try:
        pool.plan(resolved(TWO_BED))  # the pool is up
        with ThreadPoolExecutor(max_workers=2) as threads:
            calls = [threads.submit(pool.plan, big) for _ in range(2)]
            assert eventually(lambda: len(multiprocessing.active_children()) >= 2)
            time.sleep(0.3)  # both children have a brief (about two seconds of planning)
            os.kill(multiprocessing.active_children()[0].pid or 0, signal.SIGKILL)
            assert [call.result(timeout=120).payload for call in calls] == [expected, expected]
    finally:
        pool.close()


def test_a_pool_that_breaks_twice_raises_and_the_next_call_plans_again() -> None:
    pool = ProcessPoolPlanner(SpinePlanner(), 1)
    stop = threading.Event()

    def kill_children() -> None:
        while not stop.is_set():
            for child in multiprocessing.active_children():
                os.kill(child.pid or 0, signal.SIGKILL)
            time.sleep(0.02)

    try:
        killer = threading.Thread(target=kill_children)
        killer.start()
        try:
            with pytest.raises(PlannerUnavailable):
                pool.plan(resolved(BIG_BRIEF, "TR"))
        finally:
            stop.set()
            killer.join()
        assert pool.plan(resolved(TWO_BED)).payload == SpinePlanner().plan(resolved(TWO_BED)).payload
    finally:
        pool.close()


def test_a_planning_child_killed_mid_brief_costs_a_redelivery_and_leaves_one_version(
    pooled: Runtime,
) -> None:
    from archbuilder.devserver import create_app

    tenant: TenantCredentials = make_tenant(pooled)
    client: FlaskClient = create_app().test_client()
    project = client.post("/v1/projects", json={"name": "Killed child"}, headers=tenant.headers).json["id"]
    accepted = client.post(f"/v1/projects/{project}/layouts", json=BIG_BRIEF, headers=tenant.headers)
    assert accepted.status_code == 202, accepted.json
    job_path = f"tenants/{tenant.tenant_id}/jobs/{accepted.json['job_id']}"
    layout_path = f"tenants/{tenant.tenant_id}/projects/{project}/layouts/{accepted.json['layout_id']}"

    def job() -> Job:
        snapshot = pooled.store.get(job_path)
        assert snapshot is not None
        return Job.model_validate(snapshot.data)

    # The first attempt is planning in the child: kill its children until the planner gives up
    # (a pool broken twice) and the job is handed back for its redelivery.
    assert eventually(lambda: job().stage == "planning" and bool(multiprocessing.active_children()))
    assert eventually(
        lambda: kill_children_until(lambda: job().attempts > 1 or job().status.value == "queued")
    )

    assert isinstance(pooled.bus, InProcessEventBus) and pooled.bus.drain(timeout=90)
    done = job()
    assert (done.status.value, done.attempts, done.error) == ("succeeded", 2, None)
    assert [v.id for v in pooled.store.query(Query(f"{layout_path}/versions"))] == ["1"]
    assert pooled.store.query(Query("dead_letters")) == []


def kill_children_until(done: Callable[[], bool]) -> bool:
    """SIGKILL every planning child, then whether ``done`` holds (for ``eventually``)."""
    for child in multiprocessing.active_children():
        os.kill(child.pid or 0, signal.SIGKILL)
    return done()


def eventually(check: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


SERVER_KILLED = """
import os, signal, sys
from archbuilder.adapters.local.process_planner import ProcessPoolPlanner
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import Language
from archbuilder.layout.planner import SpinePlanner
import multiprocessing

if __name__ == "__main__":
    pool = ProcessPoolPlanner(SpinePlanner(), 1)
    pool.plan(Brief.model_validate({brief!r}).resolved("TR", Language.tr))
    print(*[child.pid for child in multiprocessing.active_children()], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_planning_children_leave_when_the_server_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER_KILLED.format(brief=TWO_BED))
    done = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    children = [int(pid) for pid in done.stdout.split()]
    assert children
    assert eventually(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), timeout=10)
