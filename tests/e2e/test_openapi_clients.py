"""Clients generated from our OpenAPI document, as a user of the API makes them.

The document comes from the real dev server (``/v1/openapi.json``). ``openapi-python-client``
and ``openapi-typescript`` must read it without a single warning: a warning means a part of
the API is missing from the client (before issue 17, pydantic's ``Project-Input`` and
``Project-Output`` twins made the success answers of 26 operations vanish, and
``create_project`` raised ``UnexpectedStatus: 201``). The generated Python client is then
used against the server: ``create_project`` answers 201 with a ``Project``, ``get_project``
200 with the same one, an unknown id 404 with the error body.

Reproduce by hand: ``make run``, then
``openapi-python-client generate --url http://127.0.0.1:8080/v1/openapi.json --meta none``
and ``tools/node/node_modules/.bin/openapi-typescript http://127.0.0.1:8080/v1/openapi.json``
with the Redocly configuration below (``--redocly``).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

from tests.conftest import REPO_ROOT
from tests.e2e.dev_server import create_tenant, dev_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BIN = Path(sys.executable).parent
NODE_BIN = REPO_ROOT / "tools" / "node" / "node_modules" / ".bin"
PACKAGE = "archbuilder_generated_client"
# openapi-typescript lints the document with Redocly before it generates. Its default is the
# "minimal" rule set, which says nothing about unused components or broken references: this
# is the "recommended" set, less three rules that do not fit this API.
REDOCLY_CONFIG = """\
extends:
  - recommended
rules:
  # The public operations (health, this document, the explorer, the signed upload and
  # download links, the Stripe webhook) have no security requirement: OpenAPI reads that as
  # "no credentials". The others name the API key or the Firebase ID token.
  security-defined: off
  # GET /v1/health, /v1/openapi.json and /docs take no input and answer no 4xx.
  operation-4xx-response: off
  # A proprietary API: there is no licence to name.
  info-license: off
"""


@dataclass(frozen=True)
class Served:
    base: str
    api_key: str
    document: dict[str, Any]
    document_path: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("openapi-clients-data")
    with dev_server(data_dir) as (base, env):
        created = create_tenant(env, "Generated clients")
        response = requests.get(f"{base}/v1/openapi.json", timeout=10)
        assert response.status_code == 200, response.text
        path = data_dir / "openapi.json"
        path.write_text(response.text, encoding="utf-8")
        yield Served(base, created["api_key"], response.json(), path)


def test_document_is_valid_and_every_answer_is_typed(served: Served) -> None:
    document = served.document
    validate(document)
    schemas = document["components"]["schemas"]
    assert not [name for name in schemas if name.endswith(("-Input", "-Output", "Query"))]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith("2") and status != "204":
                    content = answer.get("content", {})
                    assert content and all("schema" in media for media in content.values()), (
                        f"{method.upper()} {path} {status}: every media type needs a schema"
                    )
    version = "/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}"
    export = document["paths"][f"{version}/export"]["get"]
    parameters = {p["name"]: p["schema"] for p in export["parameters"]}
    assert parameters["version"]["type"] == "integer"
    assert parameters["format"]["enum"] == ["json", "dxf", "svg", "ifc"]
    files = export["responses"]["200"]["content"]
    assert files["application/dxf"]["schema"] == {"type": "string", "format": "binary"}
    assert schemas["Project"]["properties"]["created_at"]["format"] == "date-time"


def test_python_client_generates_without_warnings_and_works(served: Served, tmp_path: Path) -> None:
    generator = BIN / "openapi-python-client"
    assert generator.exists(), "openapi-python-client is not installed: pip install -r requirements-dev.txt"
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(served.document_path),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        cwd=tmp_path,
        # The generator formats its output with ruff, found on PATH.
        env=os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "warning" not in output.lower(), output[-20000:]

    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module(f"{PACKAGE}.client")
        create_project = importlib.import_module(f"{PACKAGE}.api.api_projects.create_project")
        get_project = importlib.import_module(f"{PACKAGE}.api.api_projects.get_project")
        models = importlib.import_module(f"{PACKAGE}.models")
        client = client_module.AuthenticatedClient(
            base_url=served.base,
            token=served.api_key,
            prefix="",
            auth_header_name="X-API-Key",
            raise_on_unexpected_status=True,  # an answer the document does not list raises
        )
        with client:
            created = create_project.sync_detailed(
                client=client, body=models.ProjectCreate(name="Generated client", units=models.Units.METRIC)
            )
            assert created.status_code == 201, created.content
            project = created.parsed
            assert isinstance(project, models.Project) and project.name == "Generated client"
            assert isinstance(project.created_at, datetime)

            got = get_project.sync(client=client, project_id=project.id)
            assert isinstance(got, models.Project)
            assert (got.id, got.created_at) == (project.id, project.created_at)
            assert got.units == models.Units.METRIC

            missing = get_project.sync_detailed(client=client, project_id="prj_doesnotexist")
            assert missing.status_code == 404 and isinstance(missing.parsed, models.ErrorResponse)
            assert missing.parsed.error.code == "NOT_FOUND"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_typescript_types_generate_without_warnings_and_compile(served: Served, tmp_path: Path) -> None:
    generator = NODE_BIN / "openapi-typescript"
    assert generator.exists(), "openapi-typescript is not installed: make emulators (npm ci in tools/node)"
    config = tmp_path / "redocly.yaml"
    config.write_text(REDOCLY_CONFIG, encoding="utf-8")
    types = tmp_path / "schema.d.ts"
    result = subprocess.run(
        [str(generator), str(served.document_path), "--output", str(types), "--redocly", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    # Redocly's problems are printed with ⚠ (warning) or ✘ (error, which also stops it).
    assert result.returncode == 0 and "⚠" not in output and "✘" not in output, output[-20000:]
    generated = types.read_text(encoding="utf-8")
    assert '"/v1/projects/{project_id}/layouts/{layout_id}/versions/{version}": {' in generated
    assert "version: number;" in generated
    assert 'format?: "json" | "dxf" | "svg" | "ifc";' in generated

    compiled = subprocess.run(
        [str(NODE_BIN / "tsc"), "--noEmit", "--strict", str(types)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
