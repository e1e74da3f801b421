"""The OCR service: Tesseract for the functions that have none (Google Cloud), and its client.

Google Cloud's functions are built from source onto Google's base image, with no apt-get, so
they have no Tesseract. This small HTTP app runs in our own container on Cloud Run
(``infra/ocr/Dockerfile``: Debian's Python image, Tesseract and its language packs, this
package) and reads a scan with the same sandboxed OCR child as the embedded deployment
(:func:`archbuilder.regulations.sandbox.ocr_document`)::

    POST /ocr?language=tr&max_pages=300&timeout_s=480     body: the PDF's bytes
    200 {"pages": ["…", "…"]}
    413 / 422 {"error": {"code": "REGULATION_…", "params": {…}}}   a coded refusal

The service is private: Cloud Run checks a Google ID token for its URL and lets only the
accounts with ``run.invoker`` on it in (``cad_ingest``'s and ``api_regulations``'s). The client
(:func:`ocr_remote`, used when ``ARCHBUILDER_OCR_URL`` is set) sends one; a loopback URL (the
tests, a container on the developer's machine) gets none. The service's own limits
(:data:`SERVICE_LIMITS`) bound what a request may ask for. docs/regulations.md, "Where OCR runs".
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archbuilder.platform.errors import ArchBuilderError
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.platform.settings import is_loopback
from archbuilder.regulations.sandbox import Limits, ocr_document

if TYPE_CHECKING:
    from flask import Flask

# Cloud Run takes HTTP/1 requests of at most 32 MiB, headers included: a scan must be smaller
# than that to be sent (a larger one, possible through an upload of up to 64 MiB, is refused
# with REGULATION_TOO_LARGE and this limit; docs/regulations.md).
MAX_REQUEST_BYTES = 32 * 1024 * 1024 - 64 * 1024
# What one request may cost the service (a 2 GiB, 1 vCPU instance serving one request at a
# time); a request may ask for less, never for more.
SERVICE_LIMITS = Limits(max_bytes=MAX_REQUEST_BYTES, memory_mb=1536, max_ocr_pages=300, ocr_timeout_s=600.0)
# Beyond the OCR child's wall time: the request's own way there and back.
CLIENT_MARGIN_S = 30.0
RETRY_AFTER_S = 30
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_log = get_logger("archbuilder.regulations.ocr_service")


# -- the service ----------------------------------------------------------------------


def create_app() -> Flask:
    """The service's WSGI app (gunicorn: ``archbuilder.regulations.ocr_service:create_app()``)."""
    from flask import Flask, Response, jsonify, request
    from werkzeug.exceptions import RequestEntityTooLarge

    from archbuilder.platform.logging import configure_logging

    configure_logging(
        os.environ.get("ARCHBUILDER_LOG_LEVEL", "INFO"), os.environ.get("ARCHBUILDER_GCP_PROJECT")
    )
    app = Flask("archbuilder_ocr")
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES

    def refusal(code: str, status: int, **params: Any) -> tuple[Response, int]:
        return jsonify({"error": {"code": code, "params": params}}), status

    @app.post("/ocr")
    def ocr() -> tuple[Response, int]:
        language = request.args.get("language", "en")
        try:
            max_pages = int(request.args.get("max_pages", SERVICE_LIMITS.max_ocr_pages))
            timeout_s = float(request.args.get("timeout_s", SERVICE_LIMITS.ocr_timeout_s))
        except ValueError:
            return refusal("INVALID_REQUEST", 400)
        if not _LANGUAGE.match(language) or max_pages < 1 or not (0 < timeout_s < math.inf):
            return refusal("INVALID_REQUEST", 400)
        limits = replace(
            SERVICE_LIMITS,
            max_ocr_pages=min(max_pages, SERVICE_LIMITS.max_ocr_pages),
            ocr_timeout_s=min(timeout_s, SERVICE_LIMITS.ocr_timeout_s),
        )
        data = request.get_data(cache=False)
        try:
            pages = ocr_document(data, limits, language=language).pages
        except ArchBuilderError as refused:
            if refused.status >= 500:
                raise
            _log.info("scan refused", extra=log_fields(code=refused.code, size_bytes=len(data)))
            return refusal(refused.code, refused.status, **refused.params)
        _log.info("scan read", extra=log_fields(pages=len(pages), size_bytes=len(data)))
        return jsonify({"pages": pages}), 200

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_: RequestEntityTooLarge) -> tuple[Response, int]:
        return refusal(
            "REGULATION_TOO_LARGE", 413, size_bytes=request.content_length, limit_bytes=MAX_REQUEST_BYTES
        )

    return app


# -- the client -----------------------------------------------------------------------


def ocr_remote(url: str, data: bytes, *, language: str, limits: Limits) -> list[str]:
    """The text of each page of a scan, read by the OCR service at ``url`` within ``limits``.

    A coded refusal of the service (4xx) is raised with its code and status; anything else
    that went wrong (no answer, 5xx, Cloud Run's own 429 or 403) is a retryable
    ``REGULATION_OCR_SERVICE_UNAVAILABLE`` (503), so that an upload is delivered again."""
    import requests

    if len(data) > MAX_REQUEST_BYTES:
        raise ArchBuilderError(
            code="REGULATION_TOO_LARGE", status=413, size_bytes=len(data), limit_bytes=MAX_REQUEST_BYTES
        )
    headers = {"Content-Type": "application/pdf"}
    token = _id_token(url)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    params: dict[str, str | int | float] = {
        "language": language,
        "max_pages": limits.max_ocr_pages,
        "timeout_s": limits.ocr_timeout_s,
    }
    try:
        answer = requests.post(
            url.rstrip("/") + "/ocr",
            params=params,
            data=data,
            headers=headers,
            timeout=(10.0, limits.ocr_timeout_s + CLIENT_MARGIN_S),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise _unavailable("no answer", error=type(exc).__name__) from exc
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code == 200 and isinstance(body, dict) and isinstance(body.get("pages"), list):
        return [str(page) for page in body["pages"]]
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if 400 <= answer.status_code < 500 and isinstance(code, str) and code.startswith("REGULATION_"):
        sent = error.get("params") if isinstance(error, dict) else None
        refusal: dict[str, Any] = sent if isinstance(sent, dict) else {}
        raise ArchBuilderError(
            code=code[:64],
            status=answer.status_code,
            **{k: v for k, v in refusal.items() if k not in ("code", "status")},
        )
    raise _unavailable("unexpected answer", status=answer.status_code, code=str(code)[:64])


def _id_token(url: str) -> str | None:
    """A Google ID token whose audience is the service's URL (from the metadata server on
    Google Cloud); None for a loopback URL, which is never the Cloud Run service."""
    if is_loopback(url):
        return None
    import google.auth.exceptions
    import google.auth.transport.requests
    import google.oauth2.id_token

    try:
        token: str = google.oauth2.id_token.fetch_id_token(  # type: ignore[no-untyped-call]
            google.auth.transport.requests.Request(), url
        )
    except google.auth.exceptions.GoogleAuthError as exc:
        raise _unavailable("no ID token", error=type(exc).__name__) from exc
    return token


def _unavailable(reason: str, **fields: object) -> ArchBuilderError:
    _log.warning("OCR service unavailable", extra=log_fields(reason=reason, **fields))
    error = ArchBuilderError(code="REGULATION_OCR_SERVICE_UNAVAILABLE", status=503)
    error.headers["Retry-After"] = str(RETRY_AFTER_S)
    return error


def main() -> None:
    """``python -m archbuilder.regulations.ocr_service [PORT]``: the service on 127.0.0.1 (a
    development server, for the tests and a local try; the container runs gunicorn)."""
    import sys

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0, create_app())
    sys.stdout.write(f"listening on http://127.0.0.1:{server.server_port}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
