"""Error types with stable codes.

Services raise these; the HTTP edge maps them to a status and a message in the
caller's language (see ``platform.i18n``). ``params`` fill the message template and
are returned to the client as ``details``, so they must never hold secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ArchBuilderError(Exception):
    """Base of every error with a stable code."""

    code: str = "INTERNAL"
    status: int = 500

    def __init__(self, code: str | None = None, status: int | None = None, **params: Any) -> None:
        self.code = code or type(self).code
        self.status = status or type(self).status
        self.params: dict[str, Any] = params
        # Extra response headers for this error (Retry-After on a 429, for instance).
        self.headers: dict[str, str] = {}
        super().__init__(f"{self.code} {params}" if params else self.code)


@dataclass(frozen=True)
class Reason:
    """Why something cannot be done, for the ``{reason}`` of an error's message: a stable
    ``code`` whose words in each language are in ``messages/reasons.yaml``, the ``params`` they
    name, and ``text``, the English words the error's ``details.reason`` keeps. Two reasons are
    the same when their code and text are (the params follow from them)."""

    code: str
    text: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def as_params(self) -> dict[str, Any]:
        """The error params that carry this reason: ``reason`` (the English text, as before
        reasons had codes), ``reason_code`` and ``reason_params``."""
        return {"reason": self.text, "reason_code": self.code, "reason_params": dict(self.params)}


class BadRequest(ArchBuilderError):
    code = "INVALID_REQUEST"
    status = 400


class ValidationFailed(ArchBuilderError):
    """The body did not match the schema; ``params['errors']`` lists the fields."""

    code = "VALIDATION_FAILED"
    status = 422


class Unauthenticated(ArchBuilderError):
    code = "UNAUTHENTICATED"
    status = 401


class PermissionDenied(ArchBuilderError):
    code = "PERMISSION_DENIED"
    status = 403


class NotFound(ArchBuilderError):
    code = "NOT_FOUND"
    status = 404


class Conflict(ArchBuilderError):
    code = "CONFLICT"
    status = 409


class AlreadyExists(Conflict):
    code = "ALREADY_EXISTS"


class Contention(ArchBuilderError):
    """A transaction lost a race; the store retries it."""

    code = "CONTENTION"
    status = 409


class Unprocessable(ArchBuilderError):
    """The request is well formed but cannot be done (a programme that does not fit)."""

    code = "UNPROCESSABLE"
    status = 422


class StoreUnavailable(ArchBuilderError):
    """The document store cannot be reached or stays locked: try again later (503, Retry-After).

    The operation that met it wrote nothing. Event handlers raise it too, so the event is redelivered.
    """

    code = "STORE_UNAVAILABLE"
    status = 503

    def __init__(self, *, retry_after_s: int = 5, **params: Any) -> None:
        super().__init__(**params)
        self.headers["Retry-After"] = str(retry_after_s)


class PlannerUnavailable(ArchBuilderError):
    """A process planning the brief stopped (killed, out of memory): the event handler raises it
    so the job is released and its event redelivered (adapters/local/process_planner.py)."""

    code = "PLANNER_UNAVAILABLE"
    status = 503


class BusUnavailable(ArchBuilderError):
    """The event bus did not take a message in time: try again later (503, Retry-After).

    Event handlers raise it too, so the event is redelivered. A request whose work is already
    stored (a queued layout job) does not answer it: maintenance publishes that job again.
    """

    code = "BUS_UNAVAILABLE"
    status = 503

    def __init__(self, *, retry_after_s: int = 5, **params: Any) -> None:
        super().__init__(**params)
        self.headers["Retry-After"] = str(retry_after_s)


class InternalError(ArchBuilderError):
    code = "INTERNAL"
    status = 500


class SecretMissing(ArchBuilderError):
    code = "SECRET_MISSING"
    status = 500
