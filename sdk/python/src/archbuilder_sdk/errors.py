"""Errors: one class per HTTP status the API uses, a few more for codes worth catching alone.

The server answers every error with ``{"error": {code, message, details, correlation_id}}`` and
the header ``X-Correlation-ID``; :func:`error_from_response` turns that into the most specific
class below (first by ``code``, then by status), so ``except NotFoundError`` and
``except ArchBuilderError as e: e.code == "PROGRAMME_TOO_LARGE"`` both work.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from archbuilder_sdk._retry import parse_retry_after

__all__ = [
    "ArchBuilderError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "JobFailedError",
    "JobTimeoutError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "ServiceUnavailableError",
    "UnprocessableError",
    "ValidationFailedError",
    "error_class_for",
    "error_from_response",
]


class ArchBuilderError(Exception):
    """An error answer of the API.

    ``status`` is the HTTP status (the class's usual one for an error that arrived on an event
    stream, which has none), ``code`` the stable error code, ``message`` the server's message in
    the caller's language, ``details`` the error's parameters, ``correlation_id`` the id to quote
    to support (from the body, else the ``X-Correlation-ID`` header; ``None`` when neither came).
    """

    default_status: int = 500

    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        self.correlation_id = correlation_id
        self.headers: dict[str, str] = dict(headers or {})
        text = f"{status} {code}: {message}"
        super().__init__(f"{text} (correlation id {correlation_id})" if correlation_id else text)


class BadRequestError(ArchBuilderError):
    default_status = 400


class AuthenticationError(ArchBuilderError):
    """401: missing, unknown, expired or revoked credentials."""

    default_status = 401


class PaymentRequiredError(ArchBuilderError):
    """402: a plan quota is used up (``PLAN_LIMIT_REACHED``) or the account is read-only."""

    default_status = 402


class PermissionDeniedError(ArchBuilderError):
    default_status = 403


class NotFoundError(ArchBuilderError):
    default_status = 404


class ConflictError(ArchBuilderError):
    default_status = 409


class PayloadTooLargeError(ArchBuilderError):
    default_status = 413


class UnprocessableError(ArchBuilderError):
    """422: well formed but impossible (``PROGRAMME_TOO_LARGE``, ``UNSUPPORTED_EXPORT_FORMAT`` …)."""

    default_status = 422


class ValidationFailedError(UnprocessableError):
    """422 ``VALIDATION_FAILED``: ``details["errors"]`` lists each field and its problem."""

    @property
    def field_errors(self) -> list[dict[str, Any]]:
        errors = self.details.get("errors")
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


class RateLimitedError(ArchBuilderError):
    """429: still refused after the client's retries; ``retry_after`` is the server's wait, in s."""

    default_status = 429

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


class ServerError(ArchBuilderError):
    """5xx."""

    default_status = 500


class ServiceUnavailableError(ServerError):
    """503: still unavailable after the client's retries."""

    default_status = 503


class JobFailedError(ArchBuilderError):
    """A job :meth:`wait_for_job` waited for ended ``failed`` or ``cancelled``.

    ``code`` and ``message`` are the job's error; ``job`` is the job as last read.
    """

    default_status = 422

    def __init__(self, job: Any) -> None:
        error = getattr(job, "error", None)
        super().__init__(
            status=self.default_status,
            code=error.code if error is not None else f"JOB_{str(job.status).upper()}",
            message=error.message if error is not None else f"job {job.id} ended {job.status}",
            details={"job_id": job.id, "status": job.status},
        )
        self.job = job


class JobTimeoutError(TimeoutError):
    """The job was still running when :meth:`wait_for_job`'s timeout ran out (the job goes on)."""

    def __init__(self, job_id: str, timeout_s: float, last: Any = None) -> None:
        super().__init__(f"job {job_id} not finished after {timeout_s:g} s")
        self.job_id = job_id
        self.job = last


_BY_CODE: dict[str, type[ArchBuilderError]] = {
    "VALIDATION_FAILED": ValidationFailedError,
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "NOT_FOUND": NotFoundError,
    "ROUTE_NOT_FOUND": NotFoundError,
    "RATE_LIMITED": RateLimitedError,
    "PLAN_LIMIT_REACHED": PaymentRequiredError,
    "ACCOUNT_READ_ONLY": PaymentRequiredError,
}

_BY_STATUS: dict[int, type[ArchBuilderError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableError,
    429: RateLimitedError,
    503: ServiceUnavailableError,
}


def error_class_for(status: int | None, code: str) -> type[ArchBuilderError]:
    """The class for an error: by code first, then by status (any other 5xx: ServerError)."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if status is None:
        return ArchBuilderError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ArchBuilderError


def build_error(
    status: int | None,
    code: str,
    message: str,
    *,
    details: Mapping[str, Any] | None = None,
    correlation_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ArchBuilderError:
    cls = error_class_for(status, code)
    return cls(
        status=status if status is not None else cls.default_status,
        code=code,
        message=message,
        details=details,
        correlation_id=correlation_id,
        headers=headers,
    )


def error_from_response(status: int, headers: Mapping[str, str], body: bytes) -> ArchBuilderError:
    """The error an HTTP answer carries. A body that is not the API's error shape (a proxy's
    HTML page, a storage service's XML) still gives an error: code ``HTTP_<status>``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    header_id = lowered.get("x-correlation-id")
    error: Any = None
    try:
        error = json.loads(body).get("error") if body else None
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        details = error.get("details")
        return build_error(
            status,
            error["code"],
            str(error.get("message", "")),
            details=details if isinstance(details, dict) else None,
            correlation_id=str(error.get("correlation_id") or header_id or "") or None,
            headers=lowered,
        )
    text = body.decode("utf-8", errors="replace").strip()[:500]
    return build_error(
        status, f"HTTP_{status}", text or f"HTTP {status}", correlation_id=header_id, headers=lowered
    )
