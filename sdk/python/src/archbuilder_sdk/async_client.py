"""The asynchronous client: the same methods as :class:`~archbuilder_sdk.Client`, awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
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


class AsyncClient:
    """ArchBuilder Cloud v1 with ``async``/``await`` (httpx.AsyncClient underneath).

    Arguments, auth, retries, idempotency keys and errors as :class:`~archbuilder_sdk.Client`.
    An ``id_token`` callable is a plain (not async) function, called once per request.
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
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._config = Config.make(base_url, api_key, id_token, headers)
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- sending ------------------------------------------------------------------

    async def request(
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
        return await self._send(
            method, path, params=params, json=json, headers=headers, idempotency_key=idempotency_key
        )

    async def _call(self, call: Call[T]) -> T:
        response = await self._send(
            call.method, call.path, params=call.params, json=call.body, idempotency_key=call.idempotency_key
        )
        return call.parse(response)

    async def _send(
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
            response = await self._http.request(
                method, url, params=params, json=json, content=content, headers=sent
            )
            if response.status_code < 400:
                return response
            wait = self._retry.delay(
                retry, response.status_code, parse_retry_after(response.headers.get("Retry-After"))
            )
            if wait is None:
                raise error_from_response(response.status_code, response.headers, response.content)
            await asyncio.sleep(wait)
            retry += 1

    async def _pages(self, first: Callable[[str | None], Call[Page[M]]]) -> AsyncIterator[M]:
        token: str | None = None
        while True:
            page = await self._call(first(token))
            for item in page.items:
                yield item
            if not page.next_page_token:
                return
            token = page.next_page_token

    # -- projects -----------------------------------------------------------------

    async def create_project(
        self,
        name: str,
        *,
        code_region: str | None = None,
        language: str | None = None,
        units: str = "metric",
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> Project:
        return await self._call(
            _core.create_project(name, code_region, language, units, description, idempotency_key)
        )

    async def get_project(self, project_id: str) -> Project:
        return await self._call(_core.get_project(project_id))

    async def update_project(self, project_id: str, **changes: Any) -> Project:
        return await self._call(_core.update_project(project_id, changes))

    async def delete_project(self, project_id: str) -> None:
        await self._call(_core.delete_project(project_id))

    async def list_projects(self, *, page_size: int = 50, page_token: str | None = None) -> Page[Project]:
        return await self._call(_core.list_projects(page_size, page_token))

    def iter_projects(self, *, page_size: int = 50) -> AsyncIterator[Project]:
        """``async for project in client.iter_projects(): ...``"""
        return self._pages(lambda token: _core.list_projects(page_size, token))

    # -- layouts ------------------------------------------------------------------

    async def submit_brief(
        self, project_id: str, brief: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> LayoutAccepted:
        return await self._call(_core.submit_brief(project_id, brief, idempotency_key))

    async def get_layout(self, project_id: str, layout_id: str) -> Layout:
        return await self._call(_core.get_layout(project_id, layout_id))

    async def list_layouts(
        self, project_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Layout]:
        return await self._call(_core.list_layouts(project_id, page_size, page_token))

    def iter_layouts(self, project_id: str, *, page_size: int = 50) -> AsyncIterator[Layout]:
        return self._pages(lambda token: _core.list_layouts(project_id, page_size, token))

    async def get_version(
        self, project_id: str, layout_id: str, version: int, *, variant: int = 1
    ) -> LayoutVersion:
        return await self._call(_core.get_version(project_id, layout_id, version, variant))

    async def get_compliance_report(
        self, project_id: str, layout_id: str, version: int, *, variant: int = 1
    ) -> ComplianceReport:
        return await self._call(_core.get_compliance_report(project_id, layout_id, version, variant))

    async def export(
        self,
        project_id: str,
        layout_id: str,
        version: int,
        format: str,
        path: str | Path,
        *,
        variant: int = 1,
    ) -> ExportResult:
        response = await self._call(_core.export(project_id, layout_id, version, format, variant))
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

    async def get_job(self, job_id: str) -> Job:
        return await self._call(_core.get_job(job_id))

    async def wait_for_job(
        self,
        job_id: str,
        *,
        timeout: float = 300.0,
        poll_interval: float = 1.0,
        use_events: bool = True,
        on_progress: ProgressCallback | None = None,
        raise_on_failure: bool = True,
    ) -> Job:
        """As :meth:`Client.wait_for_job`: SSE first, polling as the fallback."""
        deadline = time.monotonic() + timeout
        # The stream's last state, finished or not (None: no stream, or it showed nothing).
        job = await self._follow_events(job_id, deadline, on_progress) if use_events else None
        last, first_poll = job, True
        while job is None or not job.finished:
            if time.monotonic() >= deadline:
                raise JobTimeoutError(job_id, timeout, last)
            if not first_poll:
                await asyncio.sleep(max(0.0, min(poll_interval, deadline - time.monotonic())))
            job = await self.get_job(job_id)
            if on_progress is not None and (last is None or job_changed(last, job)):
                on_progress(job)
            last, first_poll = job, False
        if raise_on_failure and not job.succeeded:
            raise JobFailedError(job)
        return job

    async def _follow_events(
        self, job_id: str, deadline: float, on_progress: ProgressCallback | None
    ) -> Job | None:
        headers = self._config.request_headers("GET", extra={"Accept": "text/event-stream"})
        remaining = max(0.1, deadline - time.monotonic())
        timeout = httpx.Timeout(self._timeout, read=remaining)
        seen: Job | None = None
        try:
            async with self._http.stream(
                "GET", self._config.url(_core.job_events_path(job_id)), headers=headers, timeout=timeout
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    error = error_from_response(response.status_code, response.headers, response.content)
                    if isinstance(error, AuthenticationError | PermissionDeniedError | NotFoundError):
                        raise error
                    return None
                decoder = SSEDecoder()
                async for line in response.aiter_lines():
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

    async def create_upload(
        self,
        project_id: str,
        *,
        filename: str,
        size_bytes: int,
        sha256: str,
        content_type: str = "application/octet-stream",
        building_type: str | None = None,
    ) -> UploadCreated:
        return await self._call(
            _core.create_upload(project_id, filename, size_bytes, sha256, content_type, building_type)
        )

    async def upload_model(
        self,
        project_id: str,
        path: str | Path,
        *,
        building_type: str | None = None,
        content_type: str = "application/octet-stream",
        timeout: float = 600.0,
        on_progress: ProgressCallback | None = None,
    ) -> CadModel:
        """As :meth:`Client.upload_model` (the file is hashed and read in a worker thread)."""
        source = Path(path)
        size, sha256 = await asyncio.to_thread(file_digest, source)
        upload = await self.create_upload(
            project_id,
            filename=source.name,
            size_bytes=size,
            sha256=sha256,
            content_type=content_type,
            building_type=building_type,
        )
        data = await asyncio.to_thread(source.read_bytes)
        await self._send(upload.method, upload.upload_url, content=data, headers=upload.headers, auth=False)
        await self.wait_for_job(upload.job_id, timeout=timeout, on_progress=on_progress)
        return await self.get_model(project_id, upload.model_id)

    async def get_model(self, project_id: str, model_id: str) -> CadModel:
        return await self._call(_core.get_model(project_id, model_id))

    async def create_regulation_upload(
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
        return await self._call(
            _core.create_regulation_upload(
                filename, size_bytes, sha256, content_type, region, language, title, short, edition
            )
        )

    async def upload_regulation(
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
        """As :meth:`Client.upload_regulation` (the file is hashed and read in a worker thread)."""
        source = Path(path)
        size, sha256 = await asyncio.to_thread(file_digest, source)
        upload = await self.create_regulation_upload(
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
        data = await asyncio.to_thread(source.read_bytes)
        await self._send(upload.method, upload.upload_url, content=data, headers=upload.headers, auth=False)
        return await self.wait_for_job(upload.job_id, timeout=timeout, on_progress=on_progress)

    async def check_model_compliance(
        self, project_id: str, model_id: str, *, region: str | None = None
    ) -> ComplianceReport:
        return await self._call(_core.check_model_compliance(project_id, model_id, region))
