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
from archbuilder.platform.errors import NotFound
from archbuilder.platform.http import Api, Route

_PATH_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
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
}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
    from archbuilder.api import billing, compliance, identity, layouts, projects

    return [identity.API, projects.API, layouts.API, compliance.API, billing.API, billing.WEBHOOK_API]


@lru_cache(maxsize=1)
def build_openapi() -> dict[str, Any]:
    """The whole v1 API as one OpenAPI 3.1 document."""
    apis = all_apis()
    models: set[type[BaseModel]] = {ErrorResponse}
    for api in apis:
        for route in api.routes:
            models.update(m for m in (route.body, route.query, route.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, definitions = models_json_schema(
        [(m, "validation") for m in ordered] + [(m, "serialization") for m in ordered],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for api in apis:
        for route in api.routes:
            path = _PATH_PARAM.sub(r"{\1}", route.path)
            paths.setdefault(path, {})[route.method.lower()] = _operation(api, route, refs)
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
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
        "paths": paths,
    }


def _schema_ref(refs: dict[Any, Any], model: type[BaseModel], mode: str) -> dict[str, Any]:
    return dict(refs[(model, mode)])


def _operation(api: Api, route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "tags": [api.name],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PATH_PARAM.findall(route.path)
        ],
        "responses": {},
    }
    operation["parameters"].append(
        {"name": "X-Correlation-ID", "in": "header", "required": False, "schema": {"type": "string"}}
    )
    if route.query is not None:
        for name, field in route.query.model_fields.items():
            operation["parameters"].append(
                {
                    "name": name,
                    "in": "query",
                    "required": field.is_required(),
                    "schema": route.query.model_json_schema()["properties"][name],
                }
            )
    if route.method == "POST" and route.path.endswith("/layouts"):
        operation["parameters"].append(
            {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}}
        )
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_ref(refs, route.body, "validation")}},
        }
    success: dict[str, Any] = {"description": route.summary}
    if route.response is not None:
        # The model is the JSON answer; a route that also answers another type (an HTML page
        # with format=html) lists it without a schema.
        success["content"] = {
            ct: {"schema": _schema_ref(refs, route.response, "serialization")}
            if ct == "application/json"
            else {}
            for ct in dict.fromkeys(("application/json", *route.content_types))
        }
    elif route.content_types != ("application/json",):
        success["content"] = {ct: {} for ct in route.content_types}
    operation["responses"][str(route.status)] = success
    error_ref = _schema_ref(refs, ErrorResponse, "serialization")
    for status in sorted(set(route.errors) | _implied_errors(route)):
        operation["responses"][str(status)] = {
            "description": _STATUS_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": error_ref}},
        }
    if route.auth:
        operation["security"] = [{"ApiKey": []}]
    return operation


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
