"""The synchronous client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from archbuilder_sdk import _core
from archbuilder_sdk._core import (
    Call,
    Config,
    IdTokenSource,
    ProgressCallback,
    SSEDecoder,
    file_digest,
    job_changed,
    job_from_event,
)
from archbuilder_sdk._retry import RetryPolicy, parse_retry_after
from archbuilder_sdk.errors import (
    AuthenticationError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    error_from_response,
)
from archbuilder_sdk.models import (
    CadModel,
    ComplianceReport,
    ExportResult,
    Job,
    Layout,
    LayoutAccepted,
    LayoutVersion,
    Page,
    Project,
    RegulationUploadCreated,
    UploadCreated,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Client:
    """ArchBuilder Cloud v1, synchronously.

    ``Client(base_url, api_key=...)`` for a machine (``X-API-Key``) or
    ``Client(base_url, id_token=...)`` for a person (``Authorization: Bearer <Firebase ID token>``;
    a callable is asked for a fresh token on every request). Without either, ``ARCHBUILDER_API_KEY``
    is used; without ``base_url``, ``ARCHBUILDER_BASE_URL``, else ``http://127.0.0.1:8080``.

    Every error answer raises an :class:`~archbuilder_sdk.errors.ArchBuilderError` subclass. 429 and
    503 are retried per ``retry`` (honouring ``Retry-After``); every POST carries an
    ``Idempotency-Key`` (a new one per call unless given, the same on each retry of the call).
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        id_token: IdTokenSource | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._config = Config.make(base_url, api_key, id_token, headers)
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- sending ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Any endpoint this client has no method for, with the same auth, retries and errors."""
        return self._send(
            method, path, params=params, json=json, headers=headers, idempotency_key=idempotency_key
        )

    def _call(self, call: Call[T]) -> T:
        response = self._send(
            call.method, call.path, params=call.params, json=call.body, idempotency_key=call.idempotency_key
        )
        return call.parse(response)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        sent = self._config.request_headers(method, auth=auth, idempotency_key=idempotency_key, extra=headers)
        url = self._config.url(path)
        retry = 0
        while True:
            response = self._http.request(
                method, url, params=params, json=json, content=content, headers=sent
            )
            if response.status_code < 400:
                return response
            wait = self._retry.delay(
                retry, response.status_code, parse_retry_after(response.headers.get("Retry-After"))
            )
            if wait is None:
                raise error_from_response(response.status_code, response.headers, response.content)
            time.sleep(wait)
            retry += 1

    def _pages(self, first: Callable[[str | None], Call[Page[M]]]) -> Iterator[M]:
        token: str | None = None
        while True:
            page = self._call(first(token))
            yield from page.items
            if not page.next_page_token:
                return
            token = page.next_page_token

    # -- projects -----------------------------------------------------------------

    def create_project(
        self,
        name: str,
        *,
        code_region: str | None = None,
        language: str | None = None,
        units: str = "metric",
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> Project:
        """A new project; ``code_region`` and ``language`` default to the tenant's."""
        return self._call(
            _core.create_project(name, code_region, language, units, description, idempotency_key)
        )

    def get_project(self, project_id: str) -> Project:
        return self._call(_core.get_project(project_id))

    def update_project(self, project_id: str, **changes: Any) -> Project:
        """Change ``name``, ``code_region``, ``language``, ``units`` or ``description``."""
        return self._call(_core.update_project(project_id, changes))

    def delete_project(self, project_id: str) -> None:
        """Delete a project with its layouts and files."""
        self._call(_core.delete_project(project_id))

    def list_projects(self, *, page_size: int = 50, page_token: str | None = None) -> Page[Project]:
        """One page of projects, newest first."""
        return self._call(_core.list_projects(page_size, page_token))

    def iter_projects(self, *, page_size: int = 50) -> Iterator[Project]:
        """Every project, newest first, fetching pages as the iteration needs them."""
        return self._pages(lambda token: _core.list_projects(page_size, token))

    # -- layouts ------------------------------------------------------------------

    def submit_brief(
        self, project_id: str, brief: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> LayoutAccepted:
        """Send a brief (the JSON the API documents as ``Brief``); the layout is made by a job."""
        return self._call(_core.submit_brief(project_id, brief, idempotency_key))

    def get_layout(self, project_id: str, layout_id: str) -> Layout:
        return self._call(_core.get_layout(project_id, layout_id))

    def list_layouts(
        self, project_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Layout]:
        return self._call(_core.list_layouts(project_id, page_size, page_token))

    def iter_layouts(self, project_id: str, *, page_size: int = 50) -> Iterator[Layout]:
        return self._pages(lambda token: _core.list_layouts(project_id, page_size, token))

    def get_version(
        self, project_id: str, layout_id: str, version: int, *, variant: int = 1
    ) -> LayoutVersion:
        return self._call(_core.get_version(project_id, layout_id, version, variant))

    def get_compliance_report(
        self, project_id: str, layout_id: str, version: int, *, variant: int = 1
    ) -> ComplianceReport:
        """The compliance report of a stored version."""
        return self._call(_core.get_compliance_report(project_id, layout_id, version, variant))

    def export(
        self,
        project_id: str,
        layout_id: str,
        version: int,
        format: str,
        path: str | Path,
        *,
        variant: int = 1,
    ) -> ExportResult:
        """Write a version as ``format`` (json, dxf, svg or ifc: the server says which it has, an
        unknown one is ``UnprocessableError`` ``UNSUPPORTED_EXPORT_FORMAT``) to ``path``."""
        response = self._call(_core.export(project_id, layout_id, version, format, variant))
        target = Path(path)
        _core.write_atomically(target, response.content)
        return ExportResult(
            path=target,
            format=format,
            size_bytes=len(response.content),
            version=version,
            variant=variant,
            **_core.export_result_fields(response),
        )

    # -- jobs ---------------------------------------------------------------------

    def get_job(self, job_id: str) -> Job:
        return self._call(_core.get_job(job_id))

    def wait_for_job(
        self,
        job_id: str,
        *,
        timeout: float = 300.0,
        poll_interval: float = 1.0,
        use_events: bool = True,
        on_progress: ProgressCallback | None = None,
        raise_on_failure: bool = True,
    ) -> Job:
        """Wait until a job finishes; return it.

        Follows ``GET /v1/jobs/{id}/events`` (Server-Sent Events) and falls back to polling
        ``GET /v1/jobs/{id}`` every ``poll_interval`` s when the stream cannot be used or ends
        early. ``on_progress`` gets each state seen. A job that ends ``failed`` or ``cancelled``
        raises :class:`JobFailedError` (unless ``raise_on_failure=False``); still running after
        ``timeout`` s raises :class:`JobTimeoutError` (the job itself goes on).
        """
        deadline = time.monotonic() + timeout
        # The stream's last state, finished or not (None: no stream, or it showed nothing).
        job = self._follow_events(job_id, deadline, on_progress) if use_events else None
        last, first_poll = job, True
        while job is None or not job.finished:
            if time.monotonic() >= deadline:
                raise JobTimeoutError(job_id, timeout, last)
            if not first_poll:  # the first read comes at once
                time.sleep(max(0.0, min(poll_interval, deadline - time.monotonic())))
            job = self.get_job(job_id)
            if on_progress is not None and (last is None or job_changed(last, job)):
                on_progress(job)
            last, first_poll = job, False
        if raise_on_failure and not job.succeeded:
            raise JobFailedError(job)
        return job

    def _follow_events(
        self, job_id: str, deadline: float, on_progress: ProgressCallback | None
    ) -> Job | None:
        """The last job the event stream showed (finished, or not when the stream ended early),
        or ``None`` when it showed none: the caller polls until the job finishes."""
        headers = self._config.request_headers("GET", extra={"Accept": "text/event-stream"})
        remaining = max(0.1, deadline - time.monotonic())
        timeout = httpx.Timeout(self._timeout, read=remaining)
        seen: Job | None = None
        try:
            with self._http.stream(
                "GET", self._config.url(_core.job_events_path(job_id)), headers=headers, timeout=timeout
            ) as response:
                if response.status_code != 200:
                    response.read()
                    error = error_from_response(response.status_code, response.headers, response.content)
                    if isinstance(error, AuthenticationError | PermissionDeniedError | NotFoundError):
                        raise error
                    return None
                decoder = SSEDecoder()
                for line in response.iter_lines():
                    event = decoder.feed(line)
                    if event is None:
                        continue
                    job = job_from_event(event)
                    if job is None:  # "end" without a finished job, or the server's "timeout"
                        return seen
                    if on_progress is not None:
                        on_progress(job)
                    seen = job
                    if job.finished:
                        return job
                return seen
        except httpx.TransportError:
            return seen  # the read timed out or the connection broke: poll

    # -- CAD uploads and models -----------------------------------------------------

    def create_upload(
        self,
        project_id: str,
        *,
        filename: str,
        size_bytes: int,
        sha256: str,
        content_type: str = "application/octet-stream",
        building_type: str | None = None,
    ) -> UploadCreated:
        """Start an upload: the URL and headers to PUT the file with, the model and job to follow."""
        return self._call(
            _core.create_upload(project_id, filename, size_bytes, sha256, content_type, building_type)
        )

    def upload_model(
        self,
        project_id: str,
        path: str | Path,
        *,
        building_type: str | None = None,
        content_type: str = "application/octet-stream",
        timeout: float = 600.0,
        on_progress: ProgressCallback | None = None,
    ) -> CadModel:
        """Upload a DWG, DXF or IFC file and wait until it is ingested; return the model.

        SHA-256 and size first, then the upload URL, then a PUT of the file (read into memory;
        the server takes at most 100 MB) to that URL with no credentials (it is signed), then the
        ingestion job. A file the server cannot read raises :class:`JobFailedError`
        (``CAD_PARSE_FAILED``, ``DWG_VERSION_UNSUPPORTED`` …).
        """
        source = Path(path)
        size, sha256 = file_digest(source)
        upload = self.create_upload(
            project_id,
            filename=source.name,
            size_bytes=size,
            sha256=sha256,
            content_type=content_type,
            building_type=building_type,
        )
        self._send(
            upload.method, upload.upload_url, content=source.read_bytes(), headers=upload.headers, auth=False
        )
        self.wait_for_job(upload.job_id, timeout=timeout, on_progress=on_progress)
        return self.get_model(project_id, upload.model_id)

    def get_model(self, project_id: str, model_id: str) -> CadModel:
        return self._call(_core.get_model(project_id, model_id))

    # -- regulation documents --------------------------------------------------------

    def create_regulation_upload(
        self,
        *,
        filename: str,
        size_bytes: int,
        sha256: str,
        region: str,
        language: str,
        title: str,
        short: str | None = None,
        edition: str | None = None,
        content_type: str = "application/octet-stream",
    ) -> RegulationUploadCreated:
        """Start a regulation document upload: the URL and headers to PUT the file with, the job."""
        return self._call(
            _core.create_regulation_upload(
                filename, size_bytes, sha256, content_type, region, language, title, short, edition
            )
        )

    def upload_regulation(
        self,
        path: str | Path,
        *,
        region: str,
        language: str,
        title: str,
        short: str | None = None,
        edition: str | None = None,
        content_type: str = "application/octet-stream",
        timeout: float = 600.0,
        on_progress: ProgressCallback | None = None,
    ) -> Job:
        """Add a text, HTML, DOCX or PDF file (up to 64 MiB) to the tenant's regulation library
        and wait until it is indexed; return the finished job (``result["document_id"]``,
        ``result["passages"]``). The flow of :meth:`upload_model`; a file the library cannot read
        raises :class:`JobFailedError` (``REGULATION_FORMAT_MISMATCH``, ``REGULATION_NO_TEXT`` …).
        """
        source = Path(path)
        size, sha256 = file_digest(source)
        upload = self.create_regulation_upload(
            filename=source.name,
            size_bytes=size,
            sha256=sha256,
            region=region,
            language=language,
            title=title,
            short=short,
            edition=edition,
            content_type=content_type,
        )
        self._send(
            upload.method, upload.upload_url, content=source.read_bytes(), headers=upload.headers, auth=False
        )
        return self.wait_for_job(upload.job_id, timeout=timeout, on_progress=on_progress)

    def check_model_compliance(
        self, project_id: str, model_id: str, *, region: str | None = None
    ) -> ComplianceReport:
        """Check an ingested model against a region's building code (default: the tenant's)."""
        return self._call(_core.check_model_compliance(project_id, model_id, region))
