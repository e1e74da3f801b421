"""Smoke test of a deployed region: /v1/health, then one layout job end to end.

Run by Cloud Build after each region's apply (``python3 tests/infra/smoke.py --base-url
https://eu.<domain>``) with the region's smoke-tenant key in ``SMOKE_API_KEY``; standard
library only, because it runs in the Cloud SDK image without our dependencies.
tests/infra/test_smoke.py runs it against the local dev server.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

BRIEF: dict[str, Any] = {
    "building_type": "apartment",
    "footprint": {"width_mm": 12000, "depth_mm": 9000},
    "rooms": [
        {"type": "living_room", "target_area_m2": 25},
        {"type": "kitchen"},
        {"type": "bedroom", "count": 2},
        {"type": "bathroom"},
        {"type": "hall"},
    ],
    "entrance": {"side": "south"},
}


class SmokeFailed(AssertionError):
    """The region does not work; the message says which step and what came back."""


def call(
    base_url: str, method: str, path: str, *, key: str | None = None, body: Any = None, timeout: float = 30
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url.rstrip("/") + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    request.add_header("X-Correlation-ID", f"smoke-{uuid.uuid4().hex[:16]}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("X-API-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https URL we were given)
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return status, raw[:500].decode("utf-8", "replace")


def expect(step: str, status: int, body: Any, want: int) -> Any:
    if status != want:
        raise SmokeFailed(f"{step}: HTTP {status} (wanted {want}): {body}")
    return body


def run(base_url: str, key: str, *, job_timeout_s: float = 180, poll_s: float = 2) -> dict[str, Any]:
    """Every step, in order; returns what it saw. Raises SmokeFailed on the first failure."""
    health = expect("GET /v1/health", *call(base_url, "GET", "/v1/health"), 200)
    project = expect(
        "POST /v1/projects",
        *call(
            base_url,
            "POST",
            "/v1/projects",
            key=key,
            body={"name": f"smoke {time.strftime('%Y-%m-%d %H:%M')}"},
        ),
        201,
    )
    project_id = project["id"]
    try:
        accepted = expect(
            "POST layouts",
            *call(base_url, "POST", f"/v1/projects/{project_id}/layouts", key=key, body=BRIEF),
            202,
        )
        job_id, layout_id = accepted["job_id"], accepted["layout_id"]
        deadline = time.monotonic() + job_timeout_s
        while True:
            job = expect("GET job", *call(base_url, "GET", f"/v1/jobs/{job_id}", key=key), 200)
            if job["status"] in ("succeeded", "failed", "cancelled"):
                break
            if time.monotonic() > deadline:
                raise SmokeFailed(f"job {job_id} still {job['status']} after {job_timeout_s:.0f} s: {job}")
            time.sleep(poll_s)
        if job["status"] != "succeeded":
            raise SmokeFailed(f"job {job_id} {job['status']}: {job.get('error')}")
        version = job["result"]["version"]
        payload = expect(
            "GET export",
            *call(
                base_url,
                "GET",
                f"/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}/export?format=json",
                key=key,
            ),
            200,
        )
        if not payload.get("walls") or not payload.get("rooms"):
            raise SmokeFailed(f"layout {layout_id} v{version} has no walls or rooms")
        return {"health": health, "project_id": project_id, "job": job, "rooms": len(payload["rooms"])}
    finally:
        # Leave nothing behind, even after a failure (best effort).
        call(base_url, "DELETE", f"/v1/projects/{project_id}", key=key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="https://<region>.<domain>")
    parser.add_argument("--job-timeout", type=float, default=180, help="seconds to wait for the layout job")
    args = parser.parse_args(argv)
    key = os.environ.get("SMOKE_API_KEY", "")
    if not key:
        print("SMOKE_API_KEY is not set (the region's smoke-tenant API key)", file=sys.stderr)  # noqa: T201
        return 2
    try:
        seen = run(args.base_url, key, job_timeout_s=args.job_timeout)
    except SmokeFailed as exc:
        print(f"SMOKE FAILED {args.base_url}: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"smoke ok {args.base_url}: job {seen['job']['id']} made {seen['rooms']} rooms")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
