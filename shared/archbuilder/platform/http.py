"""A small typed router for HTTP Cloud Functions.

Each HTTP function owns one ``Api``: a table of routes with their body, query and
response models. ``Api.handle`` is what the function's entry point calls with the Flask
request. It does, in order: correlation id and log context, route matching, language
negotiation, authentication, body and query validation, the handler, and the mapping
of errors to ``{"error": {code, message, details, correlation_id}}`` in the caller's
language. The same tables feed the OpenAPI document.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import Request, Response
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.routing import Map, Rule

from archbuilder.platform.errors import (
    ArchBuilderError,
    BadRequest,
    NotFound,
    StoreUnavailable,
    ValidationFailed,
)
from archbuilder.platform.i18n import negotiate, requested_language, translate, validation_problem
from archbuilder.platform.logging import bound, get_logger, log_fields
from archbuilder.platform.store_counts import counting

_log = get_logger("archbuilder.http")
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TRACE_CONTEXT = re.compile(r"^([0-9a-f]{32})")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_PATH_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


class Principal(Protocol):
    """Who is calling: enough for tenant scoping, roles and language."""

    @property
    def tenant_id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def language(self) -> str: ...


Authenticator = Callable[[Request], Principal]
# Called after authentication; returns headers for the response, raises to refuse (429).
RateLimiter = Callable[[Any], dict[str, str]]
# Called once per request that an authenticated caller made: (context, route name, status).
Auditor = Callable[["RequestContext", str, int], None]
# The language of the resource a request is about (the project's, for a route under
# /v1/projects/<project_id>), from the authenticated context and the path's parameters; None
# when there is none or it cannot be read.
ResourceLanguage = Callable[["RequestContext", Mapping[str, Any]], str | None]


@dataclass
class Reply:
    """A handler's answer when it is not a plain 200 JSON body."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class RequestContext:
    request: Request
    correlation_id: str
    # The language of every text of the answer: what Accept-Language asks for, else the
    # language of the project the request is about, else the tenant's, else the default.
    language: str
    principal: Any = None
    body: Any = None
    query: Any = None
    route_name: str | None = None
    route_template: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    audited: bool = True  # a handler that leaves its own record (tenant erasure) turns this off

    @property
    def idempotency_key(self) -> str | None:
        return self.request.headers.get("Idempotency-Key")

    @property
    def requested_language(self) -> str | None:
        """The supported language the caller's Accept-Language asks for, if any: it wins over
        a project's or the tenant's language."""
        return requested_language(self.request.headers.get("Accept-Language"))

    def language_for(self, resource_language: str | None) -> str:
        """The language of an answer about a resource of ``resource_language`` (a project
        named in the body rather than the path): the caller's requested language, else the
        resource's, else ``language``."""
        return self.requested_language or resource_language or self.language


Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: bool = True
    errors: tuple[int, ...] = ()
    content_types: tuple[str, ...] = ("application/json",)
    # Other success statuses the handler answers with the same body (a review that makes a
    # new version is 201, else 200): the OpenAPI document lists them with ``status``.
    other_statuses: tuple[int, ...] = ()


class Api:
    """The routes of one HTTP function."""

    def __init__(
        self,
        name: str,
        *,
        authenticate: Authenticator | None = None,
        rate_limit: RateLimiter | None = None,
        audit: Auditor | None = None,
        resource_language: ResourceLanguage | None = None,
        default_language: Callable[[], str] = lambda: "en",
        max_body_bytes: Callable[[], int] = lambda: 1_000_000,
    ) -> None:
        self.name = name
        self.routes: list[Route] = []
        self._authenticate = authenticate
        self._rate_limit = rate_limit
        self._audit = audit
        self._resource_language = resource_language
        self._default_language = default_language
        self._max_body_bytes = max_body_bytes
        self._map = Map(strict_slashes=False, merge_slashes=False)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        auth: bool = True,
        errors: tuple[int, ...] = (),
        content_types: tuple[str, ...] = ("application/json",),
        other_statuses: tuple[int, ...] = (),
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            route = Route(
                method,
                path,
                handler,
                summary,
                body,
                query,
                response,
                status,
                auth,
                errors,
                content_types,
                other_statuses,
            )
            self.routes.append(route)
            self._map.add(Rule(path, methods=[method], endpoint=len(self.routes) - 1))
            return handler

        return register

    # -- request handling -------------------------------------------------

    def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        correlation_id = _correlation_id(request)
        trace_id = _trace_id(request)
        language = negotiate(request.headers.get("Accept-Language"), self._default_language())
        with (
            bound(correlation_id=correlation_id, trace_id=trace_id, function=self.name),
            counting() as store_ops,
        ):
            ctx = RequestContext(request=request, correlation_id=correlation_id, language=language)
            store_down = False
            try:
                response = self._dispatch(ctx)
            except ArchBuilderError as exc:
                response = self._error_response(ctx, exc)
                store_down = isinstance(exc, StoreUnavailable)
            except Exception:
                _log.exception("unhandled error", extra=log_fields(path=self._logged_path(ctx)))
                response = self._error_response(ctx, ArchBuilderError())
            response.headers.update(ctx.response_headers)
            response.headers.setdefault("Content-Language", ctx.language)
            response.headers["X-Correlation-ID"] = correlation_id
            if not store_down:  # its audit entry could not be written either: no second wait
                self._record(ctx, response.status_code)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Cache-Control", "no-store")
            _log.info(
                "request",
                extra=log_fields(
                    httpRequest={
                        "requestMethod": request.method,
                        "requestUrl": self._logged_path(ctx),
                        "status": response.status_code,
                        "latency": f"{time.perf_counter() - started:.6f}s",
                        "userAgent": request.headers.get("User-Agent", "")[:200],
                    },
                    route=ctx.route_template or "unmatched",
                    # Where the time goes: the document-store operations this request made.
                    **store_ops.fields(),
                ),
            )
            return response

    def _logged_path(self, ctx: RequestContext) -> str:
        """The path as logs may show it: the route template (``/v1/members/{uid}``), never the
        ids, uids or tokens in it. An unmatched path keeps only the words of this API's routes."""
        if ctx.route_template is not None:
            return _PATH_PARAM.sub(r"{\1}", ctx.route_template)
        words = {part for route in self.routes for part in route.path.split("/") if "<" not in part}
        return "/".join(part if not part or part in words else "{id}" for part in ctx.request.path.split("/"))

    def _record(self, ctx: RequestContext, status: int) -> None:
        """Audit changes and refusals made by an authenticated caller; never fails the request."""
        if self._audit is None or ctx.principal is None or ctx.route_name is None or not ctx.audited:
            return
        if ctx.request.method in ("GET", "HEAD") and status not in (403, 429):
            return
        try:
            self._audit(ctx, ctx.route_name, status)
        except Exception:
            _log.exception("audit entry not written", extra=log_fields(route=ctx.route_name))

    def _dispatch(self, ctx: RequestContext) -> Response:
        request = ctx.request
        adapter = self._map.bind("localhost", path_info=request.path, url_scheme="https")
        try:
            index, params = adapter.match(method=request.method)
        except MethodNotAllowed as exc:
            raise ArchBuilderError(
                code="METHOD_NOT_ALLOWED", status=405, method=request.method, path=request.path
            ) from exc
        except WerkzeugNotFound as exc:
            raise NotFound(code="ROUTE_NOT_FOUND", method=request.method, path=request.path) from exc
        route = self.routes[index]
        ctx.route_name = route.handler.__name__
        ctx.route_template = route.path
        if route.auth:
            if self._authenticate is None:
                raise ArchBuilderError()
            ctx.principal = self._authenticate(request)
            # The tenant's language applies when the caller did not ask for one …
            ctx.language = negotiate(request.headers.get("Accept-Language"), ctx.principal.language)
            if self._rate_limit is not None:
                ctx.response_headers.update(self._rate_limit(ctx.principal))
            # … and over it the language of the project the request is about.
            if ctx.requested_language is None and self._resource_language is not None:
                ctx.language = self._resource_language(ctx, params) or ctx.language
        if route.query is not None:
            ctx.query = _validated(
                route.query, dict(request.args.items()), location="query", language=ctx.language
            )
        if route.body is not None:
            ctx.body = _validated(
                route.body, self._json_body(request), location="body", language=ctx.language
            )
        result = route.handler(ctx, **params)
        return _to_response(result, route.status)

    def _json_body(self, request: Request) -> Any:
        limit = self._max_body_bytes()
        if (request.content_length or 0) > limit:
            raise ArchBuilderError(code="PAYLOAD_TOO_LARGE", status=413, limit_bytes=limit)
        if request.mimetype != "application/json":
            raise ArchBuilderError(code="UNSUPPORTED_MEDIA_TYPE", status=415)
        raw = read_body(request, limit)
        try:
            body = json.loads(raw or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadRequest(code="INVALID_JSON") from exc
        except RecursionError as exc:
            raise BadRequest(
                code="JSON_TOO_COMPLEX", max_depth=MAX_JSON_DEPTH, max_items=MAX_JSON_ITEMS
            ) from exc
        _check_shape(body)
        return body

    def _error_response(self, ctx: RequestContext, exc: ArchBuilderError) -> Response:
        if exc.status >= 500:
            _log.error("request failed", extra=log_fields(code=exc.code))
        params = {**exc.params, "correlation_id": ctx.correlation_id}
        message = translate(exc.code, ctx.language, params, exc.status)
        details = {k: v for k, v in exc.params.items() if exc.status < 500}
        body = {
            "error": {
                "code": exc.code,
                "message": message,
                "details": details,
                "correlation_id": ctx.correlation_id,
            }
        }
        response = _json_response(body, exc.status)
        response.headers.update(exc.headers)
        response.headers["Content-Language"] = ctx.language
        return response


MAX_JSON_DEPTH = 32
MAX_JSON_ITEMS = 10_000


def read_body(request: Request, limit: int, *, too_large: str = "PAYLOAD_TOO_LARGE") -> bytes:
    """The request body, or 413 ``too_large`` (with ``size_bytes`` and ``limit_bytes``) past
    ``limit`` bytes.

    A declared Content-Length is refused before reading; a body without one (chunked) is
    read up to one byte past the limit, never further, so its size cannot exhaust memory.
    """
    declared = request.content_length or 0
    if declared > limit:
        raise ArchBuilderError(code=too_large, status=413, size_bytes=declared, limit_bytes=limit)
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        # A stream may answer less than asked (a chunked body: one chunk per read).
        chunk = request.stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:  # at least this much: the rest was never read
        raise ArchBuilderError(code=too_large, status=413, size_bytes=size, limit_bytes=limit)
    return b"".join(chunks)


def _check_shape(body: Any) -> None:
    """Refuse bodies nested deeper than ``MAX_JSON_DEPTH`` or with an array or object
    of more than ``MAX_JSON_ITEMS`` members, before any model looks at them."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH or len(value) > MAX_JSON_ITEMS:
                raise BadRequest(code="JSON_TOO_COMPLEX", max_depth=MAX_JSON_DEPTH, max_items=MAX_JSON_ITEMS)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)


def _validated(model: type[BaseModel], data: Any, *, location: str, language: str) -> BaseModel:
    """``data`` as ``model``, or ``VALIDATION_FAILED`` naming each field with what is wrong
    with it in ``language`` (``problem``) and pydantic's error ``type``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in err["loc"]) or location,
                "problem": validation_problem(err["type"], err.get("ctx"), language, err["msg"]),
                "type": err["type"],
            }
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise ValidationFailed(
            count=len(errors), fields=[e["field"] for e in errors][:10], errors=errors, location=location
        ) from exc


def _to_response(result: Any, default_status: int) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, Reply):
        if isinstance(result.body, Iterator):
            # A stream (Server-Sent Events): sent as it is produced.
            response = Response(result.body, status=result.status, content_type=result.content_type)
        elif isinstance(result.body, bytes | str):
            response = Response(result.body, status=result.status, content_type=result.content_type)
        else:
            response = _json_response(_jsonable(result.body), result.status)
        response.headers.update(result.headers)
        return response
    return _json_response(_jsonable(result), default_status)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _json_response(body: Any, status: int) -> Response:
    text = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, content_type="application/json; charset=utf-8")


def _correlation_id(request: Request) -> str:
    sent = request.headers.get("X-Correlation-ID", "")
    return sent if _CORRELATION_ID.match(sent) else uuid.uuid4().hex


def _trace_id(request: Request) -> str | None:
    parent = _TRACEPARENT.match(request.headers.get("traceparent", ""))
    if parent:
        return parent.group(1)
    cloud = _TRACE_CONTEXT.match(request.headers.get("X-Cloud-Trace-Context", ""))
    return cloud.group(1) if cloud else None
