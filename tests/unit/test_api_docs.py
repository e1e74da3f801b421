"""docs/api.md: its error-code table is what the catalogue and the source say, its endpoint
reference has every operation of the OpenAPI document with samples that call what the SDKs
have, and its webhook verification example accepts the signatures the API makes."""

from __future__ import annotations

import ast
import copy
import inspect
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from archbuilder_sdk import AsyncClient, Client
from tools.api_docs import (
    DOC,
    END,
    ENDPOINTS_BEGIN,
    ENDPOINTS_END,
    error_statuses,
    error_table,
    main,
    render,
    sample_problems,
    wanted,
)

from archbuilder.api.code_samples import SDK_CALLS
from archbuilder.api.openapi import all_apis, build_openapi
from archbuilder.platform.i18n import catalogue
from archbuilder.services.webhooks import signature
from tests.conftest import REPO_ROOT

TS_SDK = REPO_ROOT / "sdk" / "typescript" / "src"


def test_error_table_is_the_catalogue_with_the_statuses_in_the_source() -> None:
    document = DOC.read_text(encoding="utf-8")
    assert render(document, error_table()) == document, (
        "docs/api.md's error codes differ from errors.yaml or the source: run python -m tools.api_docs"
    )
    table = document[: document.index(END)]
    assert all(f"| `{code}` |" in table for code in catalogue())


def test_statuses_are_read_from_classes_and_calls() -> None:
    statuses = error_statuses()
    assert statuses["NOT_FOUND"] >= {404}  # NotFound's class attributes
    assert statuses["INVALID_PAGE_TOKEN"] == {400}  # BadRequest(code=…): the class's status
    assert statuses["UPLOAD_TOO_LARGE"] == {413}  # ArchBuilderError(code=…, status=413)
    # Two classes named RateLimited: the rate limits' (429) and the AI providers' (503).
    assert statuses["RATE_LIMITED"] == {429} and statuses["AI_RATE_LIMITED"] == {503}
    assert statuses["JOB_EXPIRED"] == {"job"}  # recorded on the job: JobError(code=…)


def _verify_from_docs() -> Callable[..., bool]:
    document = DOC.read_text(encoding="utf-8")
    webhooks = document[document.index("## Webhooks") :]
    code = re.search(r"```python\n(.*?)```", webhooks, re.DOTALL)
    assert code, "docs/api.md lost its webhook verification example"
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def test_webhook_verification_example_accepts_our_signatures_only() -> None:
    verify = _verify_from_docs()
    secret, body = "whsec_docs", b'{"id":"evt_1","type":"job.succeeded","data":{}}'
    now = int(time.time())
    assert verify(secret, signature(secret, now, body), body)
    assert not verify(secret, signature(secret, now, body), body + b" ")
    assert not verify("whsec_other", signature(secret, now, body), body)
    assert not verify(secret, signature(secret, now - 3600, body), body)  # a replay
    assert not verify(secret, "v1=00", body)


# -- the endpoint reference -------------------------------------------------------------


def _samples(label: str) -> list[tuple[str, str]]:
    """(operationId, source) of every operation's sample with this label."""
    return [
        (operation["operationId"], sample["source"])
        for operations in build_openapi()["paths"].values()
        for operation in operations.values()
        for sample in operation["x-codeSamples"]
        if sample["label"] == label
    ]


def test_endpoint_reference_is_the_document_with_every_sample() -> None:
    document = DOC.read_text(encoding="utf-8")
    assert sample_problems(build_openapi()) == []
    assert wanted(document) == document, (
        "docs/api.md's endpoint reference is stale: run python -m tools.api_docs"
    )
    reference = document[document.index(ENDPOINTS_BEGIN) : document.index(ENDPOINTS_END)]
    for path, operations in build_openapi()["paths"].items():
        for method in operations:
            entry = reference[reference.index(f"#### `{method.upper()} {path}`") :]
            entry = entry[: entry.find("\n#### ", 1) % len(entry) or None]
            assert all(f"```{fence}\n" in entry for fence in ("sh", "python", "ts")), f"{method} {path}"
    assert main(["--check"]) == 0


def test_check_fails_on_a_missing_row_a_missing_sample_or_stale_text() -> None:
    document = copy.deepcopy(build_openapi())
    health = document["paths"]["/v1/health"]["get"]
    document["paths"]["/v1/new"] = {"get": {**health, "operationId": "brand_new"}}
    health["x-codeSamples"] = [s for s in health["x-codeSamples"] if s["label"] != "TypeScript SDK"]
    del document["paths"]["/v1/me"]
    problems = sample_problems(document)
    assert any("'brand_new' to SDK_CALLS" in p for p in problems)
    assert any(p.startswith("GET /v1/health: no TypeScript SDK example") for p in problems)
    assert "SDK_CALLS['me']: no such operation" in problems
    current = DOC.read_text(encoding="utf-8")
    assert wanted(current, document) != current


def test_example_bodies_are_valid_for_their_operations() -> None:
    routes = {route.handler.__name__: route for api in all_apis() for route in api.routes}
    for name, route in routes.items():
        if route.body is not None:
            example = SDK_CALLS[name].body
            assert example is not None, f"{name}: no body example"
            route.body.model_validate(example)  # raises when the example is not a valid body


def _client_calls(source: str) -> list[tuple[str, ast.Call]]:
    """(method, call) of every ``client.<method>(…)`` in the source (which must parse)."""
    return [
        (node.func.attr, node)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "client"
    ]


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_python_samples_call_methods_the_client_has(client_class: type) -> None:
    seen = set()
    for name, source in _samples("Python SDK"):
        for attribute, call in _client_calls(source):
            method = getattr(client_class, attribute, None)
            assert callable(method), f"{name}: {client_class.__name__} has no {attribute}"
            arguments = {k.arg: None for k in call.keywords if k.arg}
            try:  # as many positional arguments and such keywords as the sample passes
                inspect.signature(method).bind(None, *call.args, **arguments)
            except TypeError as error:
                pytest.fail(f"{name}: {client_class.__name__}.{attribute}: {error}")
            seen.add(attribute)
    assert {"request", "create_project", "submit_brief", "wait_for_job", "export"} <= seen


def test_typescript_samples_call_methods_the_client_has() -> None:
    client = (TS_SDK / "client.ts").read_text(encoding="utf-8")
    body = client[client.index("export class ArchBuilderClient") :]
    methods = set(re.findall(r"^  (?:async )?\*?([a-zA-Z]\w*)\s*[<(]", body, re.MULTILINE))
    assert {"call", "createProject", "submitBrief"} <= methods
    exported = (TS_SDK / "index.ts").read_text() + (TS_SDK / "node.ts").read_text()
    seen = set()
    for name, source in _samples("TypeScript SDK"):
        for called in re.findall(r"\bapi\.(\w+)\(", source):
            assert called in methods, f"{name}: ArchBuilderClient has no {called}"
            seen.add(called)
        for imported in re.findall(r"import \{ (\w+) \}", source):
            assert re.search(rf"export (?:async )?function {imported}\b", exported), f"{name}: {imported}"
    assert {"call", "createProject", "submitBrief", "waitForJob", "exportVersion"} <= seen
