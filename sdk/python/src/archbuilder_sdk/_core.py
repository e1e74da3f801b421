"""What the sync and async clients share: configuration, headers, the endpoints as call
descriptions (method, path, query, body, how to read the answer), and the SSE decoder.

Nothing here does I/O; ``Client`` and ``AsyncClient`` send the calls.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from archbuilder_sdk._version import __version__
from archbuilder_sdk.errors import build_error
from archbuilder_sdk.models import (
    CadModel,
    ComplianceReport,
    Job,
    Layout,
    LayoutAccepted,
    LayoutVersion,
    Page,
    Project,
    RegulationUploadCreated,
    UploadCreated,
)

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
IdTokenSource = str | Callable[[], str]
"""A Firebase ID token, or a function that returns a fresh one (called once per request)."""

ProgressCallback = Callable[[Job], None]
"""Called with each state of a job that :meth:`wait_for_job` sees."""

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Config:
    base_url: str
    api_key: str | None
    id_token: IdTokenSource | None
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def make(
        cls,
        base_url: str | None,
        api_key: str | None,
        id_token: IdTokenSource | None,
        headers: Mapping[str, str] | None,
    ) -> Config:
        """Explicit arguments first, then ``ARCHBUILDER_BASE_URL`` / ``ARCHBUILDER_API_KEY``."""
        if api_key is not None and id_token is not None:
            raise ValueError("give api_key or id_token, not both (the server would use the API key)")
        if api_key is None and id_token is None:
            api_key = os.environ.get("ARCHBUILDER_API_KEY") or None
        base = base_url or os.environ.get("ARCHBUILDER_BASE_URL") or DEFAULT_BASE_URL
        return cls(base.rstrip("/"), api_key, id_token, dict(headers or {}))

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request_headers(
        self,
        method: str,
        *,
        auth: bool = True,
        idempotency_key: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Headers of one call (the same on each of its retries). ``auth=False`` sends no
        credentials and none of the client's headers: for signed upload URLs on another host."""
        if not auth:
            return {"User-Agent": user_agent(), **(extra or {})}
        headers = {"User-Agent": user_agent(), **self.headers}
        if self.api_key is not None:
            headers["X-API-Key"] = self.api_key
        elif self.id_token is not None:
            token = self.id_token() if callable(self.id_token) else self.id_token
            headers["Authorization"] = f"Bearer {token}"
        if method.upper() == "POST":
            headers["Idempotency-Key"] = idempotency_key or new_idempotency_key()
        headers.update(extra or {})
        return headers


def user_agent() -> str:
    return f"archbuilder-sdk-python/{__version__} httpx/{httpx.__version__}"


def new_idempotency_key() -> str:
    return f"sdk-{uuid.uuid4().hex}"


def segment(value: str) -> str:
    """An id as one path segment (the server answers 404 to anything it could not be)."""
    return quote(str(value), safe="")


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


# -- calls -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API call, and how to read its successful answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, str | int] | None = None
    body: Any = None
    idempotency_key: str | None = None


def _model(cls: type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: cls.model_validate_json(response.content)


def _nothing(response: httpx.Response) -> None:
    return None


def _page(page_size: int, page_token: str | None) -> dict[str, str | int]:
    params: dict[str, str | int] = {"page_size": page_size}
    if page_token:
        params["page_token"] = page_token
    return params


def _version_path(project_id: str, layout_id: str, version: int) -> str:
    return f"/v1/projects/{segment(project_id)}/layouts/{segment(layout_id)}/versions/{int(version)}"


def create_project(
    name: str,
    code_region: str | None,
    language: str | None,
    units: str,
    description: str | None,
    idempotency_key: str | None,
) -> Call[Project]:
    body: dict[str, Any] = {"name": name, "units": units}
    body |= {k: v for k, v in (("code_region", code_region), ("language", language)) if v is not None}
    if description is not None:
        body["description"] = description
    return Call("POST", "/v1/projects", _model(Project), body=body, idempotency_key=idempotency_key)


def get_project(project_id: str) -> Call[Project]:
    return Call("GET", f"/v1/projects/{segment(project_id)}", _model(Project))


def update_project(project_id: str, changes: Mapping[str, Any]) -> Call[Project]:
    return Call("PATCH", f"/v1/projects/{segment(project_id)}", _model(Project), body=dict(changes))


def delete_project(project_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/projects/{segment(project_id)}", _nothing)


def list_projects(page_size: int, page_token: str | None) -> Call[Page[Project]]:
    return Call("GET", "/v1/projects", _model(Page[Project]), params=_page(page_size, page_token))


def submit_brief(
    project_id: str, brief: Mapping[str, Any], idempotency_key: str | None
) -> Call[LayoutAccepted]:
    return Call(
        "POST",
        f"/v1/projects/{segment(project_id)}/layouts",
        _model(LayoutAccepted),
        body=dict(brief),
        idempotency_key=idempotency_key,
    )


def get_layout(project_id: str, layout_id: str) -> Call[Layout]:
    return Call("GET", f"/v1/projects/{segment(project_id)}/layouts/{segment(layout_id)}", _model(Layout))


def list_layouts(project_id: str, page_size: int, page_token: str | None) -> Call[Page[Layout]]:
    return Call(
        "GET",
        f"/v1/projects/{segment(project_id)}/layouts",
        _model(Page[Layout]),
        params=_page(page_size, page_token),
    )


def get_version(project_id: str, layout_id: str, version: int, variant: int) -> Call[LayoutVersion]:
    return Call(
        "GET",
        _version_path(project_id, layout_id, version),
        _model(LayoutVersion),
        params={"variant": variant},
    )


def get_compliance_report(
    project_id: str, layout_id: str, version: int, variant: int
) -> Call[ComplianceReport]:
    return Call(
        "GET",
        _version_path(project_id, layout_id, version) + "/compliance",
        _model(ComplianceReport),
        params={"format": "json", "variant": variant},
    )


def export(project_id: str, layout_id: str, version: int, fmt: str, variant: int) -> Call[httpx.Response]:
    return Call(
        "GET",
        _version_path(project_id, layout_id, version) + "/export",
        lambda response: response,
        params={"format": fmt, "variant": variant},
    )


def get_job(job_id: str) -> Call[Job]:
    return Call("GET", f"/v1/jobs/{segment(job_id)}", _model(Job))


def create_upload(
    project_id: str,
    filename: str,
    size_bytes: int,
    sha256: str,
    content_type: str,
    building_type: str | None,
) -> Call[UploadCreated]:
    body: dict[str, Any] = {
        "filename": filename,
        "size_bytes": size_bytes,
        "sha256": sha256,
        "content_type": content_type,
    }
    if building_type is not None:
        body["building_type"] = building_type
    return Call("POST", f"/v1/projects/{segment(project_id)}/uploads", _model(UploadCreated), body=body)


def create_regulation_upload(
    filename: str,
    size_bytes: int,
    sha256: str,
    content_type: str,
    region: str,
    language: str,
    title: str,
    short: str | None,
    edition: str | None,
) -> Call[RegulationUploadCreated]:
    body: dict[str, Any] = {
        "filename": filename,
        "size_bytes": size_bytes,
        "sha256": sha256,
        "content_type": content_type,
        "region": region,
        "language": language,
        "title": title,
    }
    if short is not None:
        body["short"] = short
    if edition is not None:
        body["edition"] = edition
    return Call("POST", "/v1/regulations/uploads", _model(RegulationUploadCreated), body=body)


def get_model(project_id: str, model_id: str) -> Call[CadModel]:
    return Call("GET", f"/v1/projects/{segment(project_id)}/models/{segment(model_id)}", _model(CadModel))


def check_model_compliance(project_id: str, model_id: str, region: str | None) -> Call[ComplianceReport]:
    body: dict[str, Any] = {"model_ref": {"project_id": project_id, "model_id": model_id}}
    if region is not None:
        body["region"] = region
    return Call("POST", "/v1/compliance/check", _model(ComplianceReport), body=body)


def job_events_path(job_id: str) -> str:
    return f"/v1/jobs/{segment(job_id)}/events"


def export_result_fields(response: httpx.Response) -> dict[str, Any]:
    """What an export answer says about itself, beyond its bytes."""
    checksum = response.headers.get("X-Layout-Checksum")
    return {
        "content_type": response.headers.get("Content-Type", "application/octet-stream"),
        "checksum": checksum.removeprefix("sha256:") if checksum else None,
    }


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path``, never half-written: into ``<path>.part``, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)


# -- Server-Sent Events ----------------------------------------------------------------


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str


class SSEDecoder:
    """Lines of a ``text/event-stream`` in, events out (the WHATWG rules the server needs:
    ``event:``, multi-line ``data:``, comments, dispatch on a blank line)."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> ServerSentEvent | None:
        line = line.rstrip("\r\n")
        if not line:
            if not self._event and not self._data:
                return None
            event = ServerSentEvent(self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None


def job_changed(before: Job, after: Job) -> bool:
    return (before.status, before.progress, before.stage) != (after.status, after.progress, after.stage)


def job_from_event(event: ServerSentEvent) -> Job | None:
    """A ``progress`` event's job; an ``error`` event raises its error (the stream's credentials
    stopped being valid); anything else (``end``, ``timeout``) is ``None``."""
    if event.event == "progress":
        return Job.model_validate_json(event.data)
    if event.event == "error":
        try:
            error = json.loads(event.data).get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        raise build_error(None, str(error.get("code", "STREAM_ERROR")), str(error.get("message", event.data)))
    return None
