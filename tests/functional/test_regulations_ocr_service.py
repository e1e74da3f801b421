"""Scanned PDFs OCR'd by the OCR service (regulations/ocr_service.py), as on Google Cloud where
the functions have no Tesseract: the service runs on 127.0.0.1 in its own process (real HTTP,
Tesseract on its PATH), the API's process has no Tesseract on its PATH and
``ARCHBUILDER_OCR_URL`` pointing at the service. A loopback URL is called without a Google ID
token (the only case without one; ``settings.ocr_url`` refuses plain http elsewhere).

What it proves: a scan added through the public API comes back cited and marked ``ocr`` by way
of the service; the service's coded refusal reaches the caller with its code, in their
language; a service answering 500 is a retryable 503 (the body route says so with
Retry-After, an upload is given back and its event delivered again).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.platform.settings import Environment, Settings
from archbuilder.runtime import Runtime
from tests.conftest import REPO_ROOT, TenantCredentials, drain
from tests.functional.test_regulation_uploads import record, start
from tests.functional.test_regulations_ocr import _needs_tesseract, _scan, _search, _turkish_pages, _upload
from tests.functional.test_uploads import put


@pytest.fixture(scope="module")
def ocr_service() -> Iterator[str]:
    """The OCR service on 127.0.0.1 (its development server), with this machine's PATH."""
    _needs_tesseract()
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "shared")}
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "archbuilder.regulations.ocr_service"],
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("listening on http://127.0.0.1:"), line
    yield line.split(" on ", 1)[1].strip()
    process.terminate()
    process.wait(timeout=10)


class _Failing(BaseHTTPRequestHandler):
    """An OCR service that has crashed: 500 to every request."""

    calls = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<h1>Internal Server Error</h1>")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture
def failing_service() -> Iterator[str]:
    _Failing.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(tmp_path: Path, ocr_service: str) -> Settings:
    return Settings(
        env=Environment.test,
        data_dir=tmp_path / "data",
        event_retry_base_s=0.01,
        event_max_attempts=3,
        ocr_url=ocr_service,
        _env_file=None,
    )


@pytest.fixture
def no_local_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process (the API, cad_ingest) has no Tesseract, as a function on Google Cloud."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.usefixtures("no_local_tesseract")
def test_a_scan_is_ocrd_by_the_service_and_cited(client: FlaskClient, tenant: TenantCredentials) -> None:
    added = _upload(client, tenant, _scan(_turkish_pages()), filename="imar-tarama.pdf")
    assert added.status_code == 201, added.json  # without the service: REGULATION_OCR_UNAVAILABLE
    document: dict[str, Any] = added.get_json()
    assert (document["format"], document["pages"], document["ocr"]) == ("pdf", 2, True)
    assert document["passages"] >= 10

    top = _search(client, tenant, "yatak odaları", "TR")[0]
    assert (top["citation"], top["page"], top["ocr"]) == ("Madde 29 (1)", 1, True)
    passage = client.get(top["link"], headers=tenant.headers).get_json()
    assert "9 metrekare" in passage["text"]
    stairs = _search(client, tenant, "merdivenlerin kol genişliği", "TR")[0]
    assert (stairs["citation"], stairs["page"]) == ("Madde 31 (1)", 2)


@pytest.mark.usefixtures("no_local_tesseract")
def test_the_services_coded_refusal_reaches_the_caller(
    client: FlaskClient, tenant: TenantCredentials
) -> None:
    blank = _scan([""])  # an image-only page with nothing on it: the service finds no text
    refused = _upload(client, tenant, blank)
    assert refused.status_code == 422, refused.json
    error = refused.json["error"]
    assert error["code"] == "REGULATION_NO_TEXT"  # the service's code, not OCR_UNAVAILABLE
    assert "metin tanıma (OCR)" in error["message"]  # in the tenant's language, tr


@pytest.mark.usefixtures("no_local_tesseract")
def test_a_service_answering_500_is_a_retryable_503(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, failing_service: str
) -> None:
    runtime.settings.ocr_url = failing_service
    scan = _scan(["MADDE 1 – Amaç\n(1) Deneme."])

    refused = _upload(client, tenant, scan)
    assert refused.status_code == 503, refused.json
    assert refused.json["error"]["code"] == "REGULATION_OCR_SERVICE_UNAVAILABLE"
    assert refused.headers["Retry-After"] == "30"
    assert _Failing.calls == 1

    # Through an upload (cad_ingest on Google Cloud): each attempt gives the upload back and the
    # finalize event is delivered again, until the job's attempts run out (2 here).
    runtime.settings.job_max_attempts = 2
    started = start(client, tenant, "tarama.pdf", scan)
    assert started.status_code == 201, started.json
    assert put(client, started.json["upload_url"], scan, started.json["headers"]).status_code == 200
    drain(runtime)
    assert _Failing.calls == 1 + 2
    job: dict[str, Any] = client.get(f"/v1/jobs/{started.json['job_id']}", headers=tenant.headers).get_json()
    assert (job["status"], job["attempts"], job["error"]["code"]) == (
        "failed",
        2,
        "JOB_ATTEMPTS_EXHAUSTED",
    ), job
    assert record(runtime, tenant, started.json["upload_id"])["status"] == "failed"


def test_plain_http_is_only_for_loopback(tmp_path: Path) -> None:
    base: dict[str, Any] = {"env": Environment.test, "data_dir": tmp_path, "_env_file": None}
    for url in (
        "http://127.0.0.1:8080",
        "http://localhost:9",
        "http://[::1]:9",
        "https://ocr-abc-ew.a.run.app",
    ):
        assert Settings(**base, ocr_url=url).ocr_url == url
    with pytest.raises(ValueError, match="must be https"):
        Settings(**base, ocr_url="http://ocr-abc-ew.a.run.app")
