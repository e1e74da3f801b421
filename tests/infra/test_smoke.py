"""tests/infra/smoke.py against the local dev server: it passes on a working region and
fails (exit 1) on a broken one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from archbuilder.devserver import create_app
from archbuilder.runtime import Runtime
from tests.conftest import make_tenant
from tests.infra import smoke


@pytest.fixture
def base_url(runtime: Runtime) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_smoke_passes_on_a_working_region(
    runtime: Runtime, base_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = make_tenant(runtime, language="en")
    monkeypatch.setenv("SMOKE_API_KEY", tenant.api_key)
    assert smoke.main(["--base-url", base_url, "--job-timeout", "60"]) == 0
    assert "smoke ok" in capsys.readouterr().out


def test_smoke_fails_with_a_bad_key(
    runtime: Runtime, base_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMOKE_API_KEY", "ab_test_not-a-real-key-000000")
    assert smoke.main(["--base-url", base_url]) == 1
    assert "POST /v1/projects: HTTP 401" in capsys.readouterr().err


def test_smoke_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMOKE_API_KEY", raising=False)
    assert smoke.main(["--base-url", "http://127.0.0.1:9"]) == 2
