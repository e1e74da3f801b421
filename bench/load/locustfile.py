"""What the Revit add-in sends, as Locust users. Run by ``python -m bench.load``, not by hand.

- ``ArchitectUser``: one architect at the add-in. Submits small briefs (with an Idempotency-Key,
  sometimes sent twice as a retrying client does), follows the job by SSE (a bounded read) or
  by polling, reads versions, exports JSON, DXF and IFC, checks compliance of a stored version,
  uploads a few small real CAD files through the signed-URL flow, reviews layouts.
- ``ReaderUser``: the same reads with no brief or upload, on layouts made earlier
  (``LOAD_LAYOUTS``): what a read API instance serves while the layout worker runs elsewhere.
- ``BriefUser``: only briefs, at a constant rate (``LOAD_BRIEF_RATE`` briefs/s over all users),
  for the brief → stored version measurement.

Every request is named by its route template (``/v1/jobs/{job_id}``), never its ids. The run's
own record (``LOAD_RESULTS``, JSON) holds each request's time and status by name, and the
ledger of accepted briefs (what the runner checks for lost or duplicated versions).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import requests
from locust import HttpUser, between, constant_throughput, events, task

TENANTS: list[dict[str, str]] = (
    json.loads(Path(os.environ["LOAD_TENANTS"]).read_text()) if os.environ.get("LOAD_TENANTS") else []
)
LAYOUTS: list[dict[str, Any]] = (
    json.loads(Path(os.environ["LOAD_LAYOUTS"]).read_text()) if os.environ.get("LOAD_LAYOUTS") else []
)
RESULTS = os.environ.get("LOAD_RESULTS", "")
SSE_READ_S = float(os.environ.get("LOAD_SSE_READ_S", "5"))
FOLLOW_S = float(os.environ.get("LOAD_FOLLOW_S", "10"))
MAX_UPLOADS = int(os.environ.get("LOAD_MAX_UPLOADS", "6"))  # over the whole run: CAD parsing is heavy
BRIEF_RATE = float(os.environ.get("LOAD_BRIEF_RATE", "20"))
BRIEF_USERS = int(os.environ.get("LOAD_BRIEF_USERS", "40"))
DATA = Path(os.environ.get("LOAD_CAD_DATA", "/work/shared/data"))
# Small real files from the shared set; what exists is used.
CAD_FILES = [
    DATA / "ifc" / "IfcOpenHouse_IFC4.ifc",
    DATA / "dxf" / "barcelona_plan_R2013.dxf",
]

# Small briefs of the kind architects send: studio, 1+1, 2+1, 3+1.
BRIEFS: list[dict[str, Any]] = [
    {
        "building_type": "apartment",
        "footprint": {"width_mm": 7000, "depth_mm": 5000},
        "rooms": [{"type": "living_room"}, {"type": "kitchen"}, {"type": "bathroom"}, {"type": "hall"}],
        "entrance": {"side": "south"},
    },
    {
        "building_type": "apartment",
        "footprint": {"width_mm": 9000, "depth_mm": 7000},
        "rooms": [
            {"type": "living_room"},
            {"type": "kitchen"},
            {"type": "bedroom"},
            {"type": "bathroom"},
            {"type": "hall"},
        ],
        "entrance": {"side": "south"},
    },
    {
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
    },
    {
        "building_type": "apartment",
        "footprint": {"width_mm": 12000, "depth_mm": 9000},
        "rooms": [
            {"type": "living_room", "name": "Salon", "target_area_m2": 25},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 2},
            {"type": "bathroom"},
            {"type": "wc"},
            {"type": "hall"},
        ],
        "entrance": {"side": "south"},
        "level_height_mm": 2800,
    },
]

_tenant_numbers = itertools.count()
_uploads_left = MAX_UPLOADS
_lock = threading.Lock()  # Locust runs users as greenlets; the lock costs nothing and keeps it honest


class _Record:
    """Per route template: response times (ms) and statuses; the ledger of accepted briefs."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.failures: dict[str, int] = defaultdict(int)
        self.briefs: list[dict[str, Any]] = []
        self.idempotency_mismatches = 0
        self.started = time.time()

    def dump(self, path: str) -> None:
        Path(path).write_text(
            json.dumps(
                {
                    "started": self.started,
                    "stopped": time.time(),
                    "times": self.times,
                    "statuses": self.statuses,
                    "failures": self.failures,
                    "briefs": self.briefs,
                    "idempotency_mismatches": self.idempotency_mismatches,
                }
            )
        )


RECORD = _Record()


@events.request.add_listener
def _on_request(
    request_type: str, name: str, response_time: float, response: Any = None, exception: Any = None, **_: Any
) -> None:
    key = f"{request_type} {name}"
    RECORD.times[key].append(round(response_time, 2))
    status = getattr(response, "status_code", 0) or 0
    RECORD.statuses[key][str(status)] += 1
    if exception is not None:
        RECORD.failures[key] += 1


@events.test_stop.add_listener
def _on_stop(**_: Any) -> None:
    if RESULTS:
        RECORD.dump(RESULTS)


class _AddIn(HttpUser):
    """What every add-in session shares: its tenant's key, a project, the layouts it made."""

    abstract = True

    def on_start(self) -> None:
        tenant = TENANTS[next(_tenant_numbers) % len(TENANTS)]
        self.tenant_id = tenant["tenant_id"]
        self.client.headers.update({"X-API-Key": tenant["api_key"], "User-Agent": "ArchBuilder-Revit/load"})
        self.region = tenant.get("code_region", "TR")
        self.project_id: str | None = None
        self.ready: list[str] = []  # layouts with a stored version 1
        self.pending: list[str] = []  # job ids not yet seen finished
        self.layouts: dict[str, dict[str, Any]] = {}  # layout id → its ledger entry

    def create_project(self) -> None:
        answer = self.client.post(
            "/v1/projects",
            json={"name": f"Load {uuid.uuid4().hex[:6]}", "code_region": self.region, "units": "metric"},
            name="/v1/projects",
        )
        self.project_id = answer.json()["id"] if answer.status_code == 201 else None

    def submit_brief(self, *, retry_chance: float = 0.0) -> dict[str, Any] | None:
        """POST a brief with an Idempotency-Key; sometimes send it again, as a retrying client does."""
        if self.project_id is None:
            return None
        key = f"load-{uuid.uuid4().hex}"
        brief = random.choice(BRIEFS)  # noqa: S311 - a load mix, not a secret
        path = f"/v1/projects/{self.project_id}/layouts"
        name = "/v1/projects/{project_id}/layouts"
        answer = self.client.post(path, json=brief, headers={"Idempotency-Key": key}, name=name)
        if answer.status_code != 202:
            return None
        accepted = answer.json()
        entry = {
            "tenant_id": self.tenant_id,
            "project_id": self.project_id,
            "layout_id": accepted["layout_id"],
            "job_id": accepted["job_id"],
            "idempotency_key": key,
            "expected_versions": 1,
            "accepted_at": time.time(),
        }
        if random.random() < retry_chance:  # noqa: S311
            again = self.client.post(path, json=brief, headers={"Idempotency-Key": key}, name=name)
            if again.status_code == 202 and again.json().get("job_id") != accepted["job_id"]:
                RECORD.idempotency_mismatches += 1
        RECORD.briefs.append(entry)
        self.layouts[entry["layout_id"]] = entry
        return entry


class _Reader(_AddIn):
    """The add-in's reads: jobs, versions, layouts, exports, compliance checks, reviews."""

    abstract = True
    wait_time = between(1, 3)

    def follow(self, entry: dict[str, Any], *, prefer_events: bool) -> None:
        """Follow a job as the add-in does: SSE first (a bounded read), polling after; bounded."""
        job_id = entry["job_id"]
        deadline = time.monotonic() + FOLLOW_S
        status = self.read_events(job_id) if prefer_events else None
        while status not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
            answer = self.client.get(f"/v1/jobs/{job_id}", name="/v1/jobs/{job_id}")
            status = answer.json().get("status") if answer.status_code == 200 else None
            if status not in ("succeeded", "failed", "cancelled"):
                time.sleep(0.5)
        if status == "succeeded":
            self.ready.append(entry["layout_id"])
        elif status is None or status in ("queued", "running"):
            self.pending.append(job_id)

    def read_events(self, job_id: str) -> str | None:
        """Read the job's event stream for at most ``SSE_READ_S`` s; the last status seen."""
        status = None
        started = time.perf_counter()
        name = "/v1/jobs/{job_id}/events"
        with self.client.get(
            f"/v1/jobs/{job_id}/events",
            name=name,
            stream=True,
            timeout=(5, SSE_READ_S),
            headers={"Accept": "text/event-stream"},
            catch_response=True,
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"status {answer.status_code}")
                return None
            deadline = time.monotonic() + SSE_READ_S
            try:
                for line in answer.iter_lines(decode_unicode=True):
                    if line and line.startswith("data:") and '"status"' in line:
                        status = json.loads(line[5:]).get("status")
                    if status in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
                        break
            except requests.exceptions.ConnectionError as exc:
                # No event within the read bound (a queued job sends none): the bounded read
                # ends here, as the add-in's falls back to polling. Anything else is broken.
                if "timed out" not in str(exc).lower():
                    answer.failure(repr(exc))
                    return status
            except Exception as exc:  # noqa: BLE001 - a broken stream is a failure of this request
                answer.failure(repr(exc))
                return status
            answer.success()
        # The stream's own time (to the end event or the bound), apart from time to headers.
        events.request.fire(
            request_type="SSE",
            name=name + " (stream read)",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            response=None,
            exception=None,
            context={},
        )
        return status

    def _ready_layout(self) -> dict[str, Any] | None:
        if not self.ready:
            if self.pending:
                job_id = self.pending.pop(0)
                entry = next((e for e in self.layouts.values() if e["job_id"] == job_id), None)
                if entry is not None:
                    self.follow(entry, prefer_events=False)
            return None
        return self.layouts[random.choice(self.ready)]  # noqa: S311

    def _version_path(self, entry: dict[str, Any]) -> str:
        return f"/v1/projects/{entry['project_id']}/layouts/{entry['layout_id']}/versions/1"

    @task(3)
    def poll_job(self) -> None:
        if not self.layouts:
            return
        job_id = random.choice(list(self.layouts.values()))["job_id"]  # noqa: S311
        self.client.get(f"/v1/jobs/{job_id}", name="/v1/jobs/{job_id}")

    @task(8)
    def read_version(self) -> None:
        entry = self._ready_layout()
        if entry is not None:
            self.client.get(
                self._version_path(entry),
                name="/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}",
            )

    @task(2)
    def read_layout(self) -> None:
        entry = self._ready_layout()
        if entry is not None:
            self.client.get(
                f"/v1/projects/{entry['project_id']}/layouts/{entry['layout_id']}",
                name="/v1/projects/{project_id}/layouts/{layout_id}",
            )

    @task(4)
    def export(self) -> None:
        entry = self._ready_layout()
        if entry is None:
            return
        fmt = random.choice(["json", "json", "dxf", "ifc"])  # noqa: S311
        self.client.get(
            f"{self._version_path(entry)}/export?format={fmt}",
            name=f"/v1/projects/{{project_id}}/layouts/{{layout_id}}/versions/{{version}}/export?format={fmt}",
        )

    @task(2)
    def compliance_check(self) -> None:
        entry = self._ready_layout()
        if entry is None:
            return
        ref = {"project_id": entry["project_id"], "layout_id": entry["layout_id"], "version": 1}
        self.client.post("/v1/compliance/check", json={"layout_ref": ref}, name="/v1/compliance/check")

    @task(1)
    def review(self) -> None:
        self.client.get("/v1/reviews", name="/v1/reviews")
        entry = self._ready_layout()
        if entry is None or entry.get("reviewed"):
            return
        entry["reviewed"] = True
        self.client.post(
            f"/v1/projects/{entry['project_id']}/layouts/{entry['layout_id']}/review",
            json={"decision": random.choice(["approve", "needs_revision"]), "version": 1},  # noqa: S311
            name="/v1/projects/{project_id}/layouts/{layout_id}/review",
        )


class ArchitectUser(_Reader):
    """The add-in's whole mix: mostly reads of what was generated, a brief now and then,
    a few uploads of real CAD files."""

    def on_start(self) -> None:
        super().on_start()
        self.create_project()
        entry = self.submit_brief()
        if entry is not None:
            self.follow(entry, prefer_events=True)

    @task(1)
    def brief(self) -> None:
        entry = self.submit_brief(retry_chance=0.2)
        if entry is not None:
            self.follow(entry, prefer_events=random.random() < 0.5)  # noqa: S311

    @task(1)
    def upload(self) -> None:
        global _uploads_left
        files = [f for f in CAD_FILES if f.exists()]
        with _lock:
            if _uploads_left <= 0 or not files or self.project_id is None:
                return
            _uploads_left -= 1
        source = random.choice(files)  # noqa: S311
        data = source.read_bytes()
        answer = self.client.post(
            f"/v1/projects/{self.project_id}/uploads",
            json={
                "filename": source.name,
                "size_bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "content_type": "application/octet-stream",
            },
            name="/v1/projects/{project_id}/uploads",
        )
        if answer.status_code != 201:
            return
        upload = answer.json()
        url = upload["upload_url"]
        # The local stand-in answers on this server (a path); the emulated stack signs a
        # fake-gcs URL (absolute, also on loopback). A signed URL is its own credential.
        self.client.request(
            upload.get("method", "PUT"),
            url,
            data=data,
            headers={**(upload.get("headers") or {}), "X-API-Key": None},
            name="/v1/uploads/{token}" if not url.startswith("http") else "(signed storage URL)",
        )
        job_id = upload["job_id"]
        deadline = time.monotonic() + FOLLOW_S
        while time.monotonic() < deadline:
            job = self.client.get(f"/v1/jobs/{job_id}", name="/v1/jobs/{job_id}")
            if job.status_code != 200 or job.json().get("status") in ("succeeded", "failed"):
                break
            time.sleep(1)


class ReaderUser(_Reader):
    """The reads alone, on the layouts its tenant made in an earlier phase (``LOAD_LAYOUTS``)."""

    def on_start(self) -> None:
        super().on_start()
        for entry in LAYOUTS:
            if entry["tenant_id"] == self.tenant_id:
                self.layouts[entry["layout_id"]] = dict(entry)
                self.ready.append(entry["layout_id"])


class BriefUser(_AddIn):
    """Briefs only, at ``LOAD_BRIEF_RATE`` per second over ``LOAD_BRIEF_USERS`` users."""

    wait_time = constant_throughput(BRIEF_RATE / max(1, BRIEF_USERS))

    def on_start(self) -> None:
        super().on_start()
        self.create_project()
        # Spread the first briefs over one period, so that they arrive at the rate from the start.
        time.sleep(random.uniform(0, max(1, BRIEF_USERS) / BRIEF_RATE))  # noqa: S311

    @task
    def brief(self) -> None:
        self.submit_brief()
