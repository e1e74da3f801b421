"""The SDK's retries, auth headers, upload flow and polling fallback against a scripted HTTP
server on 127.0.0.1: answers the real server would rarely give on cue (429, 503, a stream that
ends early). Every wait is bounded: the longest is one ``Retry-After: 1``."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from archbuilder_sdk import (
    AsyncClient,
    Client,
    RateLimitedError,
    RetryPolicy,
    ServiceUnavailableError,
)

STAMP = "2026-01-02T03:04:05.000000Z"
PROJECT = {
    "id": "prj_1",
    "name": "Loopback",
    "code_region": "TR",
    "language": "en",
    "units": "metric",
    "description": None,
    "created_at": STAMP,
    "updated_at": STAMP,
}


def job(status: str, progress: int) -> dict[str, Any]:
    return {
        "id": "job_1",
        "kind": "cad_ingest",
        "status": status,
        "progress": progress,
        "stage": "done" if status == "succeeded" else "parsing",
        "message": "",
        "result": {"model_id": "mdl_1"},
        "error": None,
        "attempts": 1,
        "created_at": STAMP,
        "updated_at": STAMP,
    }


@dataclass
class Reply:
    status: int
    body: Any = None  # dict → JSON, bytes/str as is
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Scripted:
    """Answers per (method, path) in order; the last answer repeats. Records every request."""

    def __init__(self) -> None:
        self.script: dict[tuple[str, str], list[Reply]] = {}
        self.seen: list[Seen] = []
        self.base = ""

    def on(self, method: str, path: str, *replies: Reply) -> None:
        self.script[(method, path)] = list(replies)

    def answer(self, method: str, path: str) -> Reply:
        replies = self.script.get((method, path.split("?", 1)[0]))
        if not replies:
            return Reply(404, {"error": {"code": "ROUTE_NOT_FOUND", "message": path, "correlation_id": "x"}})
        return replies.pop(0) if len(replies) > 1 else replies[0]

    def requests(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.split("?", 1)[0] == path]


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    state = Scripted()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.seen.append(
                Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    time.monotonic(),
                )
            )
            reply = state.answer(self.command, self.path)
            data = reply.body
            if isinstance(data, dict):
                data, kind = json.dumps(data).encode(), "application/json"
            else:
                data, kind = (data.encode() if isinstance(data, str) else data or b""), "text/plain"
            self.send_response(reply.status)
            headers = {"Content-Type": kind, **reply.headers, "Content-Length": str(len(data))}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def rate_limited(retry_after: str) -> Reply:
    body = {
        "error": {"code": "RATE_LIMITED", "message": "slow down", "details": {}, "correlation_id": "c-429"}
    }
    return Reply(429, body, {"Retry-After": retry_after, "X-Correlation-ID": "c-429"})


def test_429_retried_after_retry_after_with_the_same_idempotency_key(scripted: Scripted) -> None:
    scripted.on("POST", "/v1/projects", rate_limited("1"), Reply(201, PROJECT))
    with Client(scripted.base, api_key="ab_live_k", retry=RetryPolicy(max_retries=2)) as client:
        project = client.create_project("Loopback")
    assert project.id == "prj_1"
    first, second = scripted.requests("POST", "/v1/projects")
    assert 1.0 <= second.at - first.at < 5.0  # waited what Retry-After said
    key = first.headers["idempotency-key"]
    assert key and second.headers["idempotency-key"] == key
    assert first.headers["x-api-key"] == "ab_live_k" and "authorization" not in first.headers
    assert json.loads(first.body) == {"name": "Loopback", "units": "metric"}


def test_retries_are_bounded(scripted: Scripted) -> None:
    # Not the API's error shape (a proxy's page): the class comes from the status, the id from the header.
    scripted.on("GET", "/v1/projects/prj_1", Reply(503, "upstream down", {"X-Correlation-ID": "c-503"}))
    policy = RetryPolicy(max_retries=2, backoff_base_s=0.01, backoff_max_s=0.05)
    with (
        Client(scripted.base, api_key="k", retry=policy) as client,
        pytest.raises(ServiceUnavailableError) as e,
    ):
        client.get_project("prj_1")
    assert len(scripted.requests("GET", "/v1/projects/prj_1")) == 3
    assert (e.value.status, e.value.code, e.value.correlation_id) == (503, "HTTP_503", "c-503")
    assert e.value.message == "upstream down"


def test_a_retry_after_past_the_limit_is_not_waited_for(scripted: Scripted) -> None:
    scripted.on("GET", "/v1/projects/prj_1", rate_limited("3600"))
    started = time.monotonic()
    with Client(scripted.base, api_key="k") as client, pytest.raises(RateLimitedError) as e:
        client.get_project("prj_1")
    assert time.monotonic() - started < 2 and len(scripted.seen) == 1
    assert e.value.retry_after == 3600 and e.value.correlation_id == "c-429"


def test_async_client_retries_and_sends_a_fresh_bearer_token(scripted: Scripted) -> None:
    scripted.on("GET", "/v1/projects/prj_1", rate_limited("0"), Reply(200, PROJECT))
    tokens = iter(["token-1", "token-2"])

    async def call() -> str:
        async with AsyncClient(scripted.base, id_token=lambda: next(tokens)) as client:
            first = await client.get_project("prj_1")
            await client.get_project("prj_1")
            return first.name

    assert asyncio.run(call()) == "Loopback"
    seen = scripted.requests("GET", "/v1/projects/prj_1")
    # One token per call, the same on its retry; never an API key, never an Idempotency-Key on a GET.
    assert [s.headers["authorization"] for s in seen] == ["Bearer token-1"] * 2 + ["Bearer token-2"]
    assert not any("x-api-key" in s.headers or "idempotency-key" in s.headers for s in seen)


def test_upload_model_and_polling_fallback(scripted: Scripted, tmp_path: Path) -> None:
    cad = tmp_path / "plan.dxf"
    cad.write_bytes(b"0\nSECTION\n2\nENTITIES\n0\nENDSEC\n0\nEOF\n")
    signed = f"{scripted.base}/signed/upl_1?sig=abc"
    scripted.on(
        "POST",
        "/v1/projects/prj_1/uploads",
        Reply(
            201,
            {
                "upload_id": "upl_1",
                "upload_url": signed,
                "method": "PUT",
                "headers": {"Content-Type": "application/dxf"},
                "expires_at": STAMP,
                "model_id": "mdl_1",
                "job_id": "job_1",
            },
        ),
    )
    scripted.on("PUT", "/signed/upl_1", Reply(200, {"status": "received"}))
    # The stream shows one state, then gives up (the server's max_s): the client polls.
    stream = f"event: progress\ndata: {json.dumps(job('running', 40))}\n\nevent: timeout\ndata: {{}}\n\n"
    scripted.on("GET", "/v1/jobs/job_1/events", Reply(200, stream, {"Content-Type": "text/event-stream"}))
    scripted.on("GET", "/v1/jobs/job_1", Reply(200, job("running", 60)), Reply(200, job("succeeded", 100)))
    model = {
        "id": "mdl_1",
        "status": "ready",
        "progress": 100,
        "error": None,
        "format": "dxf",
        "schema": "AC1009",
    }
    scripted.on("GET", "/v1/projects/prj_1/models/mdl_1", Reply(200, model))

    progress: list[tuple[str, int]] = []
    with Client(scripted.base, api_key="ab_live_k") as client:
        got = client.upload_model(
            "prj_1",
            cad,
            content_type="application/dxf",
            on_progress=lambda j: progress.append((j.status, j.progress)),
        )
    assert got.status == "ready" and got.schema_ == "AC1009"
    assert progress == [("running", 40), ("running", 60), ("succeeded", 100)]

    (create,) = scripted.requests("POST", "/v1/projects/prj_1/uploads")
    declared = json.loads(create.body)
    assert declared == {
        "filename": "plan.dxf",
        "size_bytes": cad.stat().st_size,
        "sha256": hashlib.sha256(cad.read_bytes()).hexdigest(),
        "content_type": "application/dxf",
    }
    (put,) = scripted.requests("PUT", "/signed/upl_1")
    assert put.path == "/signed/upl_1?sig=abc" and put.body == cad.read_bytes()
    assert put.headers["content-type"] == "application/dxf"
    # The signed URL gets the file and its headers, never the caller's credentials.
    assert not {"x-api-key", "authorization", "idempotency-key"} & set(put.headers)
    assert len(scripted.requests("GET", "/v1/jobs/job_1")) == 2
