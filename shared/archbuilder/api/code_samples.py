"""Code samples of every operation: curl, the Python SDK and the TypeScript SDK.

The OpenAPI document carries them as ``x-codeSamples`` (the explorer and Redoc show them) and
``python -m tools.api_docs`` writes them into the endpoint reference of ``docs/api.md``. They
are made from the operation itself (method, path, parameters) and :data:`SDK_CALLS`, the one
table that says, per ``operationId``, which SDK method covers the operation (or that the SDKs'
generic ``request``/``call`` does) and what a request body looks like.

Variables the samples use: in the shell ``$API`` (the base URL), ``$KEY`` (an API key) and one
upper-case variable per path parameter (``$PROJECT_ID``); in Python ``client``
(``archbuilder_sdk.Client``) and the parameters by name (``project_id``); in TypeScript ``api``
(``ArchBuilderClient`` of ``@archbuilder/sdk``) and the parameters in camel case (``projectId``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

_WIDTH = 100  # the longest line a sample has, where it can be wrapped
_PARAM = re.compile(r"\{([A-Za-z_]+)\}")
# Shell variables that a path parameter must not become (bash's own, read-only ones).
_SHELL_NAMES = {"uid": "MEMBER_UID"}
# The credentials of an operation whose document has a security requirement.
_AUTH = "API key (`X-API-Key`) or Firebase ID token (`Authorization: Bearer`)"
_PUBLIC = "none"
_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_BRIEF: dict[str, Any] = {
    "building_type": "apartment",
    "footprint": {"width_mm": 12000, "depth_mm": 9000},
    "rooms": [
        {"type": "living_room"},
        {"type": "kitchen"},
        {"type": "bedroom", "count": 2},
        {"type": "bathroom"},
        {"type": "hall"},
    ],
    "entrance": {"side": "south"},
}


class _Code(str):
    """Source text to show as it is inside a literal (a variable, not a string)."""


_STEP = {"python": 4, "typescript": 2, "json": 2}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _key(key: str, lang: str) -> str:
    return key if lang == "typescript" and _IDENTIFIER.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _flat(value: Any, lang: str) -> str:
    if isinstance(value, _Code):
        return str(value)
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k, lang)}: {_flat(v, lang)}" for k, v in value.items())
        return "{ " + items + " }" if lang == "typescript" and items else "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v, lang) for v in value) + "]"
    if lang == "python" and (isinstance(value, bool) or value is None):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _literal(value: Any, lang: str, indent: int = 0, column: int = 0) -> str:
    """``value`` as a ``lang`` literal starting at ``column`` of a line indented by ``indent``:
    on that line when it fits, else one item per line (a trailing comma but in JSON)."""
    flat = _flat(value, lang)
    if column + len(flat) <= _WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    inner = indent + _STEP[lang]
    pad = " " * inner
    if isinstance(value, dict):
        items = [
            f"{pad}{_key(k, lang)}: {_literal(v, lang, inner, inner + len(_key(k, lang)) + 2)}"
            for k, v in value.items()
        ]
        opening, closing = "{", "}"
    else:
        items = [pad + _literal(v, lang, inner, inner) for v in value]
        opening, closing = "[", "]"
    comma = "" if lang == "json" else ","
    return opening + "\n" + ",\n".join(items) + comma + "\n" + " " * indent + closing


def _call(head: str, arguments: list[tuple[str, Any]], tail: str, lang: str) -> str:
    """``head(arguments)tail`` on one line when it fits, else one argument per line."""
    flat = head + "(" + ", ".join(name + _flat(value, lang) for name, value in arguments) + ")" + tail
    if len(flat) <= _WIDTH or not arguments:
        return flat
    if lang == "typescript" and isinstance(arguments[-1][1], dict | list):
        # Prettier's way: the last argument, an object, opens on the call's line.
        lead = head + "(" + "".join(name + _flat(value, lang) + ", " for name, value in arguments[:-1])
        name, value = arguments[-1]
        hugged = lead + name + _literal(value, lang, 0, _WIDTH) + ")" + tail  # _WIDTH: broken up
        if all(len(line) <= _WIDTH for line in hugged.splitlines()):
            return hugged
    step = _STEP[lang]
    lines = [
        " " * step + name + _literal(value, lang, step, step + len(name)) + "," for name, value in arguments
    ]
    return head + "(\n" + "\n".join(lines) + "\n)" + tail


def python_call(head: str, *arguments: Any, **keywords: Any) -> str:
    """A Python SDK call for :data:`SDK_CALLS`: ``head(arguments, keywords)``, wrapped to fit."""
    listed = [("", a) for a in arguments] + [(f"{k}=", v) for k, v in keywords.items()]
    return _call(head, listed, "", "python")


def typescript_call(head: str, *arguments: Any) -> str:
    """A TypeScript SDK call for :data:`SDK_CALLS`, wrapped to fit."""
    return _call(head, [("", a) for a in arguments], ";", "typescript")


@dataclass(frozen=True)
class SdkCall:
    """How the samples show one operation.

    ``python`` and ``typescript`` are the SDK code when an SDK has a method of its own for the
    operation; ``None`` shows the SDK's generic call (``client.request`` / ``api.call``) made
    from the document. ``body`` is the request body example (required when the operation takes
    a JSON body), ``query`` the query parameters to show, ``path`` literal values for path
    parameters (instead of variables), ``curl`` extra arguments (a raw body, other
    credentials), ``output`` a file for curl to write the answer to, and ``auth`` the
    credentials when the security schemes do not say them.
    """

    python: str | None = None
    typescript: str | None = None
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    path: dict[str, Any] = field(default_factory=dict)
    curl: str = ""
    output: str | None = None
    auth: str | None = None


GENERIC = SdkCall()
_SIGNED_URL = "none (the signed URL is one)"

# operationId → SDK call. Every operation of the document has a row (tests/unit/test_api_docs.py
# fails otherwise); ``GENERIC`` rows use the SDKs' generic request methods.
SDK_CALLS: dict[str, SdkCall] = {
    # identity, keys, members, audit, webhooks, privacy, documentation
    "health": GENERIC,
    "me": GENERIC,
    "create_api_key": SdkCall(
        body={"name": "revit add-in", "role": "architect", "scopes": ["projects:read"], "expires_in_days": 90}
    ),
    "list_api_keys": SdkCall(query={"page_size": 20}),
    "revoke_api_key": GENERIC,
    "rotate_api_key": SdkCall(body={"overlap_hours": 24}),
    "invite_member": SdkCall(body={"email": "ayse@example.com", "role": "architect"}),
    "accept_invitation": SdkCall(
        body={"token": "inv_…"},
        curl='-H "Authorization: Bearer $ID_TOKEN"',
        auth="Firebase ID token of the invited person (`Authorization: Bearer`), not a member yet",
        python="client = Client(API, id_token=id_token)  # the invited person's token\n"
        + python_call(
            "answer = client.request", "POST", "/v1/members/invitations:accept", json={"token": "inv_…"}
        )
        + ".json()",
        typescript="const api = new ArchBuilderClient({ baseUrl: API, bearerToken: idToken });  // theirs\n"
        + typescript_call(
            "const answer = await api.call",
            "post",
            "/v1/members/invitations:accept",
            {"body": {"token": "inv_…"}},
        ),
    ),
    "list_members": SdkCall(query={"page_size": 20}),
    "change_member_role": SdkCall(body={"role": "admin"}),
    "remove_member": GENERIC,
    "audit_log": SdkCall(query={"action": "api_key.create", "page_size": 20}),
    "create_webhook": SdkCall(
        body={"url": "https://example.com/archbuilder", "events": ["job.succeeded", "job.failed"]}
    ),
    "list_webhooks": GENERIC,
    "delete_webhook": GENERIC,
    "list_deliveries": GENERIC,
    "retry_delivery": GENERIC,
    "privacy_export": GENERIC,
    "privacy_erase": SdkCall(body={"confirm": "ten_…"}),
    "download": SdkCall(output="export.zip", auth=_SIGNED_URL),
    "openapi_document": GENERIC,
    "docs_page": SdkCall(output="explorer.html"),
    "docs_asset": SdkCall(path={"asset": "swagger-ui.css"}),
    # projects, uploads and models
    "create_project": SdkCall(
        body={"name": "Moda Apartmanı", "code_region": "TR", "language": "tr", "units": "metric"},
        python='project = client.create_project("Moda Apartmanı", code_region="TR", language="tr")',
        typescript=typescript_call(
            "const project = await api.createProject",
            {"name": "Moda Apartmanı", "code_region": "TR", "language": "tr", "units": "metric"},
        ),
    ),
    "list_projects": SdkCall(
        query={"page_size": 20},
        python="page = client.list_projects(page_size=20)  # iter_projects() follows the pages",
        typescript="for await (const project of api.listProjects({ pageSize: 20 })) "
        "console.log(project.name);",
    ),
    "get_project": SdkCall(
        python="project = client.get_project(project_id)",
        typescript="const project = await api.getProject(projectId);",
    ),
    "update_project": SdkCall(
        body={"description": "3+1, Kadıköy"},
        python='project = client.update_project(project_id, description="3+1, Kadıköy")',
        typescript='const project = await api.updateProject(projectId, { description: "3+1, Kadıköy" });',
    ),
    "delete_project": SdkCall(
        python="client.delete_project(project_id)",
        typescript="await api.deleteProject(projectId);",
    ),
    "create_upload": SdkCall(
        body={"filename": "plan.ifc", "size_bytes": 1048576, "sha256": _SHA256},
        python=python_call(
            "upload = client.create_upload",
            _Code("project_id"),
            filename="plan.ifc",
            size_bytes=1048576,
            sha256=_SHA256,
        ),
    ),
    "put_upload": SdkCall(
        curl="-H 'Content-Type: application/octet-stream' --data-binary @plan.ifc",
        auth=_SIGNED_URL,
        python='model = client.upload_model(project_id, "plan.ifc")  '
        "# create_upload, this PUT, the ingestion job",
        typescript='// import { readCadFile } from "@archbuilder/sdk/node";\n'
        'const { model } = await api.uploadModel(projectId, await readCadFile("plan.ifc"));',
    ),
    "get_model": SdkCall(
        python="model = client.get_model(project_id, model_id)",
        typescript="const model = await api.getModel(projectId, modelId);",
    ),
    "get_model_analysis": GENERIC,
    # layouts, versions, jobs and reviews
    "submit_layout": SdkCall(
        body=_BRIEF,
        python=python_call("accepted = client.submit_brief", _Code("project_id"), _BRIEF),
        typescript=typescript_call("const accepted = await api.submitBrief", _Code("projectId"), _BRIEF),
    ),
    "list_layouts": SdkCall(
        query={"page_size": 20},
        python="page = client.list_layouts(project_id, page_size=20)  # iter_layouts() follows the pages",
        typescript="for await (const layout of api.listLayouts(projectId, { pageSize: 20 })) "
        "console.log(layout.id);",
    ),
    "get_layout": SdkCall(
        python="layout = client.get_layout(project_id, layout_id)",
        typescript="const layout = await api.getLayout(projectId, layoutId);",
    ),
    "get_version": SdkCall(
        python="version = client.get_version(project_id, layout_id, 1)",
        typescript="const version = await api.getVersion(projectId, layoutId, 1);",
    ),
    "get_compliance": SdkCall(python="report = client.get_compliance_report(project_id, layout_id, 1)"),
    "get_design_review": GENERIC,
    "export_version": SdkCall(
        query={"format": "dxf"},
        output="plan.dxf",
        python='result = client.export(project_id, layout_id, 1, "dxf", "plan.dxf")',
        typescript='const dxf: Uint8Array = await api.exportVersion(projectId, layoutId, 1, "dxf");',
    ),
    "get_job": SdkCall(
        python="job = client.get_job(job_id)",
        typescript="const job = await api.getJob(jobId);",
    ),
    "job_events": SdkCall(
        python="job = client.wait_for_job(job_id)  # follows these events; polls if need be",
        typescript="const job = await api.waitForJob(jobId);  // follows these events; polls if need be",
    ),
    "review_layout": SdkCall(body={"decision": "approve", "version": 1, "comments": "Ready for Revit"}),
    "revise_layout": SdkCall(body={"feedback": "Move the kitchen next to the living room", "version": 1}),
    "decision_history": GENERIC,
    "diff_versions": SdkCall(path={"other": 2}),
    "get_review_policy": GENERIC,
    "set_review_policy": SdkCall(body={"auto_approve": False}),
    "review_queue": SdkCall(query={"status": "pending"}),
    "assign_review": SdkCall(body={}),
    # briefs, compliance and billing
    "parse_brief": SdkCall(body={"text": "3+1 daire, 110 m², mutfak salona açık", "language": "tr"}),
    "check": SdkCall(
        body={"model_ref": {"project_id": "prj_…", "model_id": "mdl_…"}, "region": "TR"},
        python='report = client.check_model_compliance(project_id, model_id, region="TR")',
    ),
    "list_rules": SdkCall(query={"region": "TR"}),
    # the regulation library (api_regulations)
    "add_document": SdkCall(
        body={
            "filename": "imar.pdf",
            "content_base64": "JVBERi0xLjcK…",
            "region": "TR",
            "language": "tr",
            "title": "Planlı Alanlar İmar Yönetmeliği",
            "short": "PAİY",
            "edition": "2025",
        }
    ),
    "create_regulation_upload": SdkCall(
        body={
            "filename": "imar.pdf",
            "size_bytes": 18874368,
            "sha256": _SHA256,
            "region": "TR",
            "language": "tr",
            "title": "Planlı Alanlar İmar Yönetmeliği",
            "short": "PAİY",
        },
        # upload_regulation: this call, the PUT to the signed URL, the indexing job
        python=python_call(
            "job = client.upload_regulation",
            "imar.pdf",
            region="TR",
            language="tr",
            title="Planlı Alanlar İmar Yönetmeliği",
            short="PAİY",
        ),
    ),
    "list_documents": GENERIC,
    "get_document": GENERIC,
    "delete_document": GENERIC,
    "get_passage": GENERIC,
    "search_regulations": SdkCall(query={"q": "yatak odaları", "region": "TR"}),
    "ask_regulations": SdkCall(body={"question": "Yatak odasının asgari alanı nedir?", "region": "TR"}),
    "get_subscription": GENERIC,
    "create_checkout": SdkCall(body={"plan": "professional", "interval": "month"}),
    "create_portal": GENERIC,
    "get_usage": SdkCall(query={"period": "2026-01"}),
    "stripe_webhook": SdkCall(
        curl="-H 'Content-Type: application/json' -H \"Stripe-Signature: $STRIPE_SIGNATURE\" "
        "--data-binary @event.json",
        auth="none (Stripe signs the body: `Stripe-Signature`)",
        python="# Stripe calls this endpoint with signed events; the SDK does not.",
        typescript="// Stripe calls this endpoint with signed events; the SDK does not.",
    ),
}


def code_samples(method: str, path: str, operation: dict[str, Any]) -> list[dict[str, str]]:
    """The ``x-codeSamples`` of one operation: curl, Python SDK, TypeScript SDK."""
    call = SDK_CALLS.get(operation.get("operationId", ""), GENERIC)
    return [
        {"lang": "Shell", "label": "curl", "source": curl_sample(method, path, operation, call)},
        {
            "lang": "Python",
            "label": "Python SDK",
            "source": call.python or _python(method, path, operation, call),
        },
        {
            "lang": "TypeScript",
            "label": "TypeScript SDK",
            "source": call.typescript or _typescript(method, path, operation, call),
        },
    ]


def auth_text(operation: dict[str, Any]) -> str:
    """The credentials an operation needs, in words."""
    call = SDK_CALLS.get(operation.get("operationId", ""), GENERIC)
    return call.auth or (_AUTH if operation.get("security") else _PUBLIC)


def _parameters(operation: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [p for p in operation.get("parameters", []) if p.get("in") == where]


def _query(operation: dict[str, Any], call: SdkCall) -> dict[str, Any]:
    """The query parameters a sample shows: the required ones and the table's, in the
    document's order."""
    shown: dict[str, Any] = {}
    for parameter in _parameters(operation, "query"):
        name = parameter["name"]
        if name in call.query:
            shown[name] = call.query[name]
        elif parameter.get("required"):
            raise ValueError(f"{operation.get('operationId')}: give an example of the query parameter {name}")
    return shown


def _json_body(operation: dict[str, Any]) -> bool:
    return "application/json" in operation.get("requestBody", {}).get("content", {})


def _body(operation: dict[str, Any], call: SdkCall) -> Any:
    if not _json_body(operation):
        return None
    if call.body is None:
        raise ValueError(f"{operation.get('operationId')}: give a request body example in SDK_CALLS")
    return call.body


def _success_media(operation: dict[str, Any]) -> tuple[str, str | None]:
    """The first success status and its first media type (None: no content)."""
    for status, answer in operation.get("responses", {}).items():
        if status.startswith("2"):
            return status, next(iter(answer.get("content", {})), None)
    return "200", None


def _path_values(operation: dict[str, Any], call: SdkCall) -> list[tuple[str, Any]]:
    """Each path parameter with its literal value: the table's, 1 for a number (a version), or
    None where the sample uses a variable."""
    return [
        (p["name"], call.path.get(p["name"], 1 if p.get("schema", {}).get("type") == "integer" else None))
        for p in _parameters(operation, "path")
    ]


def curl_sample(method: str, path: str, operation: dict[str, Any], call: SdkCall) -> str:
    """A curl command line: the path with shell variables, the query, credentials, the body."""
    values = dict(_path_values(operation, call))

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if values.get(name) is not None:
            return str(values[name])
        return "$" + _SHELL_NAMES.get(name, name.upper())

    url = "$API" + _PARAM.sub(fill, path)
    query = _query(operation, call)
    if query:
        url += "?" + urlencode(query)
    _, media = _success_media(operation)
    parts = ["curl -s"]
    if media == "text/event-stream":
        parts.append("-N")
    if call.output:
        parts.append(f"-o {call.output}")
    if method.upper() != "GET":
        parts.append(f"-X {method.upper()}")
    parts.append(f'"{url}"' if query else url)
    if operation.get("security"):
        parts.append('-H "X-API-Key: $KEY"')
    if any(p["name"] == "Idempotency-Key" for p in _parameters(operation, "header")):
        parts.append('-H "Idempotency-Key: $(uuidgen)"')
    if call.curl:
        parts.append(call.curl)
    body = _body(operation, call)
    if body is not None:
        parts.append("-H 'Content-Type: application/json'")
        parts.append("-d '" + _literal(body, "json", 0, 6).replace("'", "'\\''") + "'")
    return _wrap(parts)


def _wrap(parts: list[str]) -> str:
    """The arguments on as few lines as fit ``width``, continued with a backslash."""
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 1 + len(part.partition("\n")[0]) + len(" \\") > _WIDTH:
            lines[-1] += " \\"
            lines.append("  " + part)
        else:
            lines[-1] += " " + part
    return "\n".join(lines)


def _answer(operation: dict[str, Any]) -> str | None:
    """How a generic Python call reads the answer: ``json()``, ``text``, ``content`` or not at all."""
    status, media = _success_media(operation)
    if status == "204" or media is None:
        return None
    if media == "application/json":
        return "json()"
    if media.startswith("text/") or media == "application/javascript":
        return "text"
    return "content"


def _python(method: str, path: str, operation: dict[str, Any], call: SdkCall) -> str:
    """``client.request(...)``: the path as an f-string of the parameters, the query, the body."""
    values = dict(_path_values(operation, call))

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if values.get(name) is not None else "{" + name + "}"

    filled = _PARAM.sub(fill, path)
    prefix = "f" if "{" in filled else ""
    arguments: list[tuple[str, Any]] = [("", method.upper()), ("", _Code(prefix + json.dumps(filled)))]
    query = _query(operation, call)
    if query:
        arguments.append(("params=", query))
    body = _body(operation, call)
    if body is not None:
        arguments.append(("json=", body))
    answer = _answer(operation)
    head = "answer = client.request" if answer else "client.request"
    return _call(head, arguments, f".{answer}" if answer else "", "python")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _typescript(method: str, path: str, operation: dict[str, Any], call: SdkCall) -> str:
    """``api.call(...)``, typed by the SDK from the document's path and method."""
    options: dict[str, Any] = {}
    values = _path_values(operation, call)
    if values:
        options["path"] = {name: _Code(_camel(name)) if value is None else value for name, value in values}
    query = _query(operation, call)
    if query:
        options["query"] = query
    body = _body(operation, call)
    if body is not None:
        options["body"] = body
    arguments: list[tuple[str, Any]] = [("", method.lower()), ("", path)]
    if options:
        arguments.append(("", options))
    head = "const answer = await api.call" if _answer(operation) else "await api.call"
    return _call(head, arguments, ";", "typescript")
