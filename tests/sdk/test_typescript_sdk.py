"""The TypeScript SDK (``sdk/typescript``, issue 17) against the real dev server.

``npm ci`` runs only when package.json or package-lock.json changed since the last install
(a stamp in node_modules, under a lock so that two xdist workers never install at once); then
``npm test`` builds the SDK with tsc and runs its node:test suites, the API ones with the
server's URL and a fresh tenant's key in the environment. A failing, skipped or missing node
test fails here. A second test checks that the committed src/schema.d.ts is what
``npm run generate`` makes of the current OpenAPI document.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, SHARED_DATA
from tests.e2e.dev_server import create_tenant, dev_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SDK = REPO_ROOT / "sdk" / "typescript"
BIN = Path(sys.executable).parent
STAMP = SDK / "node_modules" / ".archbuilder-installed"
# The node tests, by file: the wrapper fails if fewer ran (a file that silently lost its tests).
MIN_NODE_TESTS = 22
_SUMMARY = re.compile(r"^(?:# |\u2139 )(tests|pass|fail|cancelled|skipped|skip|todo) (\d+)\s*$", re.MULTILINE)


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm (Node 18 or later) is required for the TypeScript SDK tests", pytrace=False)
    return npm


def _install(npm: str) -> None:
    """``npm ci`` unless node_modules was installed from these exact package files."""
    digest = hashlib.sha256(
        (SDK / "package.json").read_bytes() + b"\0" + (SDK / "package-lock.json").read_bytes()
    ).hexdigest()
    lock_path = (
        Path(tempfile.gettempdir())
        / f"archbuilder-sdk-npm-{hashlib.sha256(bytes(SDK)).hexdigest()[:12]}.lock"
    )
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if STAMP.exists() and STAMP.read_text() == digest:
                return
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=SDK,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            STAMP.write_text(digest)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _create_tenant(env: dict[str, str]) -> str:
    options = ("--code-region", "TR", "--language", "en", "--plan", "professional")
    return str(create_tenant(env, "TypeScript SDK Mimarlık", *options)["api_key"])


def _summary(output: str) -> dict[str, int]:
    counts = {name: int(value) for name, value in _SUMMARY.findall(output)}
    if "skip" in counts:
        counts["skipped"] = counts.pop("skip")
    return counts


def test_typescript_sdk_against_dev_server(tmp_path: Path) -> None:
    npm = _npm()
    _install(npm)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with dev_server(data_dir) as (base, env):
        api_key = _create_tenant(env)
        node_env = os.environ | {
            "ARCHBUILDER_BASE_URL": base,
            "ARCHBUILDER_API_KEY": api_key,
            "ARCHBUILDER_SHARED_DATA": str(SHARED_DATA),
            "ARCHBUILDER_SDK_REQUIRE_SERVER": "1",
            "NO_COLOR": "1",
        }
        ran = subprocess.run(
            [npm, "test", "--silent"],
            cwd=SDK,
            env=node_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        server_log = (data_dir / "server.log").read_text(errors="replace")
    output = ran.stdout + ran.stderr
    counts = _summary(output)
    failed = "\n".join(line for line in output.splitlines() if line.startswith("not ok"))
    context = f"{failed}\n--- npm test output (tail) ---\n{output[-8000:]}\n--- server log (tail) ---\n{server_log[-3000:]}"
    assert ran.returncode == 0, f"npm test exited {ran.returncode}\n{context}"
    assert counts.get("fail", 0) == 0 and counts.get("cancelled", 0) == 0, context
    assert counts.get("skipped", 0) == 0, f"node tests skipped:\n{context}"
    assert counts.get("pass", 0) >= MIN_NODE_TESTS, f"only {counts.get('pass')} node tests passed:\n{context}"


def test_generated_schema_is_current(tmp_path: Path) -> None:
    """src/schema.d.ts is committed: it must be what `npm run generate` makes of today's document."""
    from archbuilder.api.openapi import build_openapi

    npm = _npm()
    _install(npm)
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(build_openapi(), ensure_ascii=False))
    generated = tmp_path / "schema.d.ts"
    done = subprocess.run(
        [shutil.which("node") or "node", "scripts/generate.mjs", str(document), str(generated)],
        cwd=SDK,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert generated.read_text() == (SDK / "src" / "schema.d.ts").read_text(), (
        "sdk/typescript/src/schema.d.ts is out of date: with `make run` going, run "
        "`npm run generate` in sdk/typescript (or pass a file or URL: npm run generate -- <source>) "
        "and commit the result"
    )
