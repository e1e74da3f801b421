"""The OpenAPI 3.1 document, generated from the route tables and their pydantic models,
and the Swagger UI explorer served from the files of the ``flask-swagger-ui`` package."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from archbuilder import __version__
from archbuilder.api.code_samples import code_samples
from archbuilder.platform.errors import NotFound
from archbuilder.platform.http import Api, Route

# A werkzeug rule's placeholder: ``<name>`` or ``<converter:name>``.
_PATH_PARAM = re.compile(r"<(?:([a-z]+):)?([a-z_]+)>")
# What a converter accepts, as a parameter schema (werkzeug's ``int`` is unsigned digits).
_CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {"int": {"type": "integer", "minimum": 0}}
_STRING: dict[str, Any] = {"type": "string"}
_BINARY: dict[str, Any] = {"type": "string", "format": "binary"}
# An event stream: before OpenAPI 3.2 (``itemSchema``) its schema is read as the schema of each
# event (schemathesis checks every event against it); a client that reads the answer whole,
# as generated clients do, gets the text.
_SSE_EVENT: dict[str, Any] = {
    "anyOf": [
        {
            "title": "JobEvent",
            "type": "object",
            "description": (
                "One Server-Sent Event: `progress` (data: the job as JSON), `error` (data: "
                "`{error: {code, message}}`), `end` or `timeout` (data: `{}`)"
            ),
            "required": ["event", "data"],
            "properties": {
                "event": {"type": "string", "enum": ["progress", "error", "end", "timeout"]},
                "data": {"type": "string"},
            },
        },
        {"type": "string", "description": "The whole stream as text"},
    ]
}
# The body of a success answer in a media type other than JSON: text, or a file.
_MEDIA_SCHEMAS: dict[str, dict[str, Any]] = {
    "text/html": _STRING,
    "text/event-stream": _SSE_EVENT,
    "text/css": _STRING,
    "application/javascript": _STRING,
    "application/dxf": _BINARY,
    "application/x-step": _BINARY,
    "application/octet-stream": _BINARY,
    "application/zip": _BINARY,  # a BCF 2.1 file (a model analysis)
    "image/svg+xml": _BINARY,
    "image/png": _BINARY,
}
# The operations that honour an Idempotency-Key header (same key and body: same answer).
_IDEMPOTENT = frozenset({"submit_layout", "revise_layout", "create_checkout"})
_STATUS_TEXT = {
    400: "Malformed request",
    401: "Missing or invalid credentials",
    402: "A plan limit is reached, or the account may only read",
    403: "Not allowed for this role",
    404: "Not found in the caller's tenant",
    409: "Conflicts with the current state",
    410: "No longer valid",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Invalid or unprocessable request",
    429: "Rate limit reached (see Retry-After)",
    503: "A service the request needs is unavailable; try again later",
}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REF = "#/components/schemas/"
# Either credential works on every authenticated operation.
_SECURITY: list[dict[str, list[str]]] = [{"ApiKey": []}, {"FirebaseIdToken": []}]


def _implied_errors(route: Route) -> set[int]:
    """What the HTTP layer itself may answer for this route, whatever its handler says."""
    statuses: set[int] = set()
    if route.auth:
        statuses |= {401, 429} | ({402} if route.method in _WRITES else set())
    if route.body is not None:
        statuses |= {400, 413, 415, 422}  # malformed or too complex JSON, size, media type, schema
    if route.query is not None:
        statuses |= {400, 422}  # unparsable values, bad page tokens
    if _PATH_PARAM.search(route.path):
        statuses.add(404)  # an id that names nothing (or is malformed)
    return statuses


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any]
    correlation_id: str


class ErrorResponse(BaseModel):
    error: ErrorBody


def all_apis() -> list[Api]:
    from archbuilder.api import billing, compliance, identity, layouts, projects, regulations

    return [
        identity.API,
        projects.API,
        layouts.API,
        compliance.API,
        regulations.API,
        billing.API,
        billing.WEBHOOK_API,
    ]


@lru_cache(maxsize=1)
def build_openapi() -> dict[str, Any]:
    """The whole v1 API as one OpenAPI 3.1 document.

    One component per model: request bodies and query parameters are described as pydantic
    validates them, answers as it serialises them, and a model whose two descriptions differ
    gets two components with distinct titles (generators name their classes after titles).
    Components that no operation reaches (a query model, expanded into parameters) are left out.
    """
    apis = all_apis()
    routes = [(api, route) for api in apis for route in api.routes]
    inputs = {m for _, r in routes for m in (r.body, r.query) if m is not None}
    outputs = {r.response for _, r in routes if r.response is not None} | {ErrorResponse}
    refs, definitions = models_json_schema(
        [(m, "validation") for m in sorted(inputs, key=_name)]
        + [(m, "serialization") for m in sorted(outputs, key=_name)],
        ref_template=_REF + "{model}",
    )
    schemas: dict[str, dict[str, Any]] = definitions.get("$defs", {})
    _distinct_titles(schemas)
    paths: dict[str, dict[str, Any]] = {}
    for api, route in routes:
        path = _PATH_PARAM.sub(r"{\2}", route.path)
        operation = _operation(api, route, refs, schemas)
        operation["x-codeSamples"] = code_samples(route.method, path, operation)
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ArchBuilder Cloud API",
            "version": __version__,
            "description": (
                "Briefs in, Revit-ready layouts out. Lengths in millimetres, areas in m². "
                "Errors are `{error: {code, message, details, correlation_id}}` with the message in "
                "the caller's language (Accept-Language or the tenant default)."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": _reachable(schemas, paths),
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "FirebaseIdToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Firebase ID token of a member of the tenant",
                },
            },
        },
        "paths": paths,
    }


def _name(model: type[BaseModel]) -> str:
    return f"{model.__module__}.{model.__qualname__}"


def _distinct_titles(schemas: dict[str, dict[str, Any]]) -> None:
    """Give the components that share a title (a model's ``X-Input`` and ``X-Output``, two
    models of the same name in different modules) their component name as title instead."""
    titles: dict[str, int] = {}
    for schema in schemas.values():
        if "title" in schema:
            titles[schema["title"]] = titles.get(schema["title"], 0) + 1
    for key, schema in schemas.items():
        if titles.get(schema.get("title", ""), 0) > 1:
            schema["title"] = re.sub(r"[^A-Za-z0-9]", "", key)  # Project-Input: ProjectInput


def _reachable(schemas: dict[str, dict[str, Any]], paths: dict[str, Any]) -> dict[str, Any]:
    """The components that the operations refer to, directly or through other components."""
    seen: set[str] = set()
    pending = _refs_in(paths)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending |= _refs_in(schemas[name])
    return {name: schema for name, schema in schemas.items() if name in seen}


def _refs_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"].removeprefix(_REF)} if isinstance(value.get("$ref"), str) else set()
        return found.union(*(_refs_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs_in(v) for v in value))
    return set()


def _operation(
    api: Api, route: Route, refs: dict[Any, Any], schemas: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(_CONVERTER_SCHEMAS.get(converter, _STRING)),
        }
        for converter, name in _PATH_PARAM.findall(route.path)
    ]
    parameters.append(
        {"name": "X-Correlation-ID", "in": "header", "required": False, "schema": dict(_STRING)}
    )
    if route.query is not None:
        # The query model's own component is not kept: its fields are the parameters.
        query_schema = schemas[refs[(route.query, "validation")]["$ref"].removeprefix(_REF)]
        for name, field in route.query.model_fields.items():
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": field.is_required(),
                "schema": query_schema["properties"][name],
            }
            if field.description:
                parameter["description"] = field.description
            parameters.append(parameter)
    if route.handler.__name__ in _IDEMPOTENT:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retrying with the same key and body answers the first request's result",
                "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},  # visible ASCII
            }
        )
    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "tags": [api.name],
        "parameters": parameters,
        "responses": {},
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": dict(refs[(route.body, "validation")])}},
        }
    for status in (route.status, *route.other_statuses):
        operation["responses"][str(status)] = _success(route, refs)
    error = {"schema": dict(refs[(ErrorResponse, "serialization")])}
    for status in sorted(set(route.errors) | _implied_errors(route)):
        response: dict[str, Any] = {
            "description": _STATUS_TEXT.get(status, "Error"),
            "content": {"application/json": error},
        }
        if status == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds until a request may succeed again",
                    "schema": {"type": "integer", "minimum": 0},
                }
            }
        operation["responses"][str(status)] = response
    if route.auth:
        operation["security"] = _SECURITY
    return operation


def _success(route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    """The success answer: the response model as JSON, each other media type as text or a file;
    no content for a 204."""
    success: dict[str, Any] = {"description": route.summary}
    if route.status == 204:
        return success
    json_first = ("application/json",) if route.response is not None else ()
    content: dict[str, Any] = {}
    for media_type in dict.fromkeys(json_first + route.content_types):
        if media_type == "application/json":
            if route.response is None:
                raise ValueError(f"{route.method} {route.path} answers JSON: declare its response model")
            content[media_type] = {"schema": dict(refs[(route.response, "serialization")])}
        elif media_type in _MEDIA_SCHEMAS:
            content[media_type] = {"schema": dict(_MEDIA_SCHEMAS[media_type])}
        else:
            raise ValueError(f"{route.method} {route.path} answers {media_type}: add it to _MEDIA_SCHEMAS")
    success["content"] = content
    return success


def _assets_dir() -> Path:
    import flask_swagger_ui

    return Path(flask_swagger_ui.__file__).with_name("dist")


_ASSET_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png"}
_INIT_JS = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>ArchBuilder Cloud API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""


def explorer_page() -> str:
    return _PAGE


def explorer_asset(name: str) -> tuple[bytes, str]:
    """A static file of the explorer; only plain file names from the bundle are served."""
    if name == "init.js":
        return _INIT_JS.encode(), "application/javascript"
    suffix = Path(name).suffix
    if "/" in name or name.startswith(".") or suffix not in _ASSET_TYPES:
        raise NotFound(resource="asset", id=name[:100])
    path = _assets_dir() / name
    if not path.is_file():
        raise NotFound(resource="asset", id=name[:100])
    return path.read_bytes(), _ASSET_TYPES[suffix]
