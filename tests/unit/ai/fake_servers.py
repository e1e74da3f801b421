"""Local stand-ins for the OpenAI Responses API and Vertex AI ``generateContent``.

They speak the real wire formats (bodies shaped like the providers' documented answers,
usage blocks included), so the real SDKs are exercised end to end. Each server answers
from a script of behaviours, one per request, then repeats its default; every request is
recorded for assertions.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

BRIEF_3_1: dict[str, Any] = {
    "building_type": "apartment",
    "total_area_m2": 110,
    "rooms": [
        {"type": "living_room", "count": 1, "name": "Salon", "target_area_m2": None, "en_suite": False},
        {"type": "kitchen", "count": 1, "name": None, "target_area_m2": None, "en_suite": False},
        {"type": "bedroom", "count": 3, "name": None, "target_area_m2": None, "en_suite": False},
        {"type": "bathroom", "count": 1, "name": None, "target_area_m2": None, "en_suite": False},
        {"type": "hall", "count": 1, "name": None, "target_area_m2": None, "en_suite": False},
    ],
    "adjacency": [{"a": "kitchen", "b": "living_room", "kind": "must"}],
    "entrance_side": None,
    "open_kitchen": True,
    "party_walls": [],
    "confidence": 0.9,
    "assumptions": ["3+1: 3 yatak odası ve 1 salon."],
}


@dataclass
class Behaviour:
    """What the server does for one request.

    kind: ok | status (``status`` with ``body`` and ``headers``) | slow (sleeps ``delay_s``
    first) | malformed (answer text that is not the schema) | refusal | incomplete.
    """

    kind: str = "ok"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    output: dict[str, Any] | None = None


class FakeServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: deque[Behaviour] = deque()
        self.default = Behaviour()
        self.output: dict[str, Any] = dict(BRIEF_3_1)
        self._server: BaseWSGIServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def then(self, *behaviours: Behaviour) -> FakeServer:
        self.script.extend(behaviours)
        return self

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            return self.script.popleft() if self.script else self.default

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_json(silent=True)
        with self._lock:
            self.requests.append(
                {
                    "path": request.path,
                    "headers": dict(request.headers),
                    "json": body,
                    "query": dict(request.args),
                }
            )
        behaviour = self.next_behaviour()
        if behaviour.delay_s:
            time.sleep(behaviour.delay_s)
        if behaviour.kind == "status":
            response = Response(
                json.dumps(self.error_body(behaviour.status)),
                status=behaviour.status,
                headers=behaviour.headers,
                content_type="application/json",
            )
        else:
            response = Response(
                json.dumps(self.answer(request, body, behaviour)), status=200, content_type="application/json"
            )
        return response(environ, start_response)

    def answer(self, request: Request, body: Any, behaviour: Behaviour) -> dict[str, Any]:
        raise NotImplementedError

    def error_body(self, status: int) -> dict[str, Any]:
        raise NotImplementedError

    @contextmanager
    def running(self) -> Iterator[FakeServer]:
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            thread.join(timeout=5)


class FakeOpenAI(FakeServer):
    """``POST /v1/responses``: a Response object with an ``output_text`` message and ``usage``."""

    usage = {
        "input_tokens": 1200,
        "input_tokens_details": {"cached_tokens": 400, "cache_write_tokens": 0},
        "output_tokens": 300,
        "output_tokens_details": {"reasoning_tokens": 50},
        "total_tokens": 1500,
    }

    def answer(self, request: Request, body: Any, behaviour: Behaviour) -> dict[str, Any]:
        assert request.path == "/v1/responses", request.path
        model = body["model"]
        text = json.dumps(behaviour.output or self.output, ensure_ascii=False)
        content: dict[str, Any] = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        status, incomplete = "completed", None
        if behaviour.kind == "malformed":
            content["text"] = '{"building_type": "apartment", "rooms": "three"'
        elif behaviour.kind == "refusal":
            content = {"type": "refusal", "refusal": "I can't help with that."}
        elif behaviour.kind == "incomplete":
            status, incomplete = "incomplete", {"reason": "max_output_tokens"}
            content["text"] = text[: len(text) // 2]
        return {
            "id": f"resp_{uuid.uuid4().hex}",
            "object": "response",
            "created_at": int(time.time()),
            "status": status,
            "error": None,
            "incomplete_details": incomplete,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": f"{model}-2025-04-14",
            "output": [
                {
                    "type": "message",
                    "id": f"msg_{uuid.uuid4().hex}",
                    "status": "completed" if status == "completed" else "incomplete",
                    "role": "assistant",
                    "content": [content],
                }
            ],
            "parallel_tool_calls": True,
            "temperature": body.get("temperature"),
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "text": body.get("text"),
            "truncation": "disabled",
            "store": False,
            "usage": self.usage,
            "metadata": {},
        }

    def error_body(self, status: int) -> dict[str, Any]:
        kind = "rate_limit_exceeded" if status == 429 else "server_error"
        return {"error": {"message": f"fake {status}", "type": kind, "param": None, "code": kind}}


_VERTEX_PATH = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/publishers/google/models/(?P<model>[^/:]+):generateContent$"
)


class FakeVertex(FakeServer):
    """``POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent``."""

    usage = {
        "promptTokenCount": 900,
        "candidatesTokenCount": 250,
        "cachedContentTokenCount": 100,
        "thoughtsTokenCount": 40,
        "totalTokenCount": 1190,
        "trafficType": "ON_DEMAND",
    }

    def answer(self, request: Request, body: Any, behaviour: Behaviour) -> dict[str, Any]:
        match = _VERTEX_PATH.match(request.path)
        assert match, request.path
        text = json.dumps(behaviour.output or self.output, ensure_ascii=False)
        finish = "STOP"
        if behaviour.kind == "malformed":
            text = "Sure! Here is the brief: rooms=3"
        elif behaviour.kind == "refusal":
            finish = "SAFETY"
        elif behaviour.kind == "incomplete":
            finish, text = "MAX_TOKENS", text[: len(text) // 2]
        return {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": finish,
                    "avgLogprobs": -0.05,
                }
            ],
            "usageMetadata": self.usage,
            "modelVersion": match.group("model"),
            "createTime": "2026-11-26T10:00:00.000000Z",
            "responseId": uuid.uuid4().hex[:22],
        }

    def error_body(self, status: int) -> dict[str, Any]:
        name = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}.get(status, "UNKNOWN")
        return {"error": {"code": status, "message": f"fake {status}", "status": name}}
