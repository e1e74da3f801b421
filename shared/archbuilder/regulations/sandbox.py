"""Read a document's text in a child process with a wall-time, CPU and memory limit.

A document is untrusted input (a tenant's upload): a crafted PDF or ZIP may loop or exhaust
memory in its reader. The child (``python -m archbuilder.regulations.sandbox FORMAT MAX_PAGES``)
caps its own address space and CPU time before it reads the bytes from stdin, and answers
one JSON object on stdout: the pages' text, or a refusal with a stable code. Nothing but JSON
crosses back, and a library's own error text goes to the log, never into the answer.

A PDF without a text layer (a scan) is then read a second time, by a second child with the same
memory cap (``python -m archbuilder.regulations.sandbox ocr LANGUAGE MAX_PAGES …``): OCRmyPDF
and Tesseract, under a stricter page limit and a longer wall time (``Limits.max_ocr_pages``,
``Limits.ocr_timeout_s``). Tesseract runs as the child's own child, so the address-space and
CPU limits hold for it too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from archbuilder.platform.errors import ArchBuilderError, Unprocessable
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.regulations.model import DocumentFormat

_log = get_logger("archbuilder.regulations.sandbox")


@dataclass(frozen=True)
class Limits:
    """What one document may cost. The defaults fit a 1 GiB function (docs/regulations.md)."""

    max_bytes: int = 12 * 1024 * 1024
    max_pages: int = 1500
    timeout_s: float = 60.0
    memory_mb: int = 768
    # A scanned PDF: OCR takes about a second a page here (docs/regulations.md).
    max_ocr_pages: int = 300
    ocr_timeout_s: float = 600.0


@dataclass(frozen=True)
class DocumentText:
    """The text of each page, and whether it was recognised on page images (OCR): such text
    may hold recognition errors."""

    pages: list[str]
    ocr: bool = False


def read_pages(data: bytes, fmt: DocumentFormat, limits: Limits, *, language: str = "en") -> list[str]:
    """The text of each page of ``data`` (OCR'd when a scan), as ``read_document``."""
    return read_document(data, fmt, limits, language=language).pages


def read_document(
    data: bytes, fmt: DocumentFormat, limits: Limits, *, language: str = "en", ocr_url: str | None = None
) -> DocumentText:
    """The text of each page of ``data``, or a coded refusal (422) / 500 when the child died.

    A PDF with no text on any page is OCR'd in ``language`` (the document's declared one): by
    the OCR service at ``ocr_url`` when there is one (``regulations/ocr_service.py``; Google
    Cloud), else here; ``REGULATION_OCR_UNAVAILABLE`` when Tesseract is not installed here."""
    if len(data) > limits.max_bytes:
        raise ArchBuilderError(
            code="REGULATION_TOO_LARGE", status=413, size_bytes=len(data), limit_bytes=limits.max_bytes
        )
    arguments = [fmt.value, str(limits.max_pages), str(limits.memory_mb), str(int(limits.timeout_s) + 1)]
    try:
        return DocumentText(_run_child(arguments, data, fmt, limits.timeout_s))
    except Unprocessable as refusal:
        if fmt is not DocumentFormat.pdf or refusal.code != "REGULATION_NO_TEXT":
            raise
    if ocr_url:
        from archbuilder.regulations.ocr_service import ocr_remote

        return DocumentText(ocr_remote(ocr_url, data, language=language, limits=limits), ocr=True)
    return ocr_document(data, limits, language=language)


def ocr_document(data: bytes, limits: Limits, *, language: str) -> DocumentText:
    """The text Tesseract recognises on the pages of a PDF without a text layer, read by the
    sandbox's OCR child here (the OCR service runs this too), or a coded refusal."""
    from archbuilder.regulations.extract import tesseract_language  # not in the child before its limits

    code = tesseract_language(language)
    if shutil.which("tesseract") is None:
        raise Unprocessable(code="REGULATION_OCR_UNAVAILABLE", language=code)
    arguments = [
        "ocr",
        code,
        str(limits.max_ocr_pages),
        str(limits.memory_mb),
        str(int(limits.ocr_timeout_s) + 1),
    ]
    return DocumentText(_run_child(arguments, data, DocumentFormat.pdf, limits.ocr_timeout_s), ocr=True)


def _run_child(arguments: list[str], data: bytes, fmt: DocumentFormat, timeout_s: float) -> list[str]:
    command = [sys.executable, "-m", "archbuilder.regulations.sandbox", *arguments]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "STRIPE_"))}
    environment.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": _python_path()})
    try:
        done = subprocess.run(  # noqa: S603 - our own module, arguments we built
            command, input=data, capture_output=True, timeout=timeout_s, env=environment, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise Unprocessable(code="REGULATION_PARSE_TIMEOUT", limit_s=timeout_s) from exc
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        _log.warning(
            "document reader stopped",
            extra=log_fields(exit_code=done.returncode, stderr=done.stderr[-2000:].decode(errors="replace")),
        )
        raise Unprocessable(code="REGULATION_PARSE_FAILED", format=fmt.value)
    if answer.get("kind") == "ok" and isinstance(answer.get("pages"), list):
        return [str(page) for page in answer["pages"]]
    code = str(answer.get("code") or "REGULATION_PARSE_FAILED")
    if not code.startswith("REGULATION_"):
        code = "REGULATION_PARSE_FAILED"
    sent = answer.get("params")
    params: dict[str, Any] = sent if isinstance(sent, dict) else {}
    if answer.get("detail"):
        _log.warning("document refused", extra=log_fields(code=code, detail=str(answer["detail"])[:500]))
    raise Unprocessable(code=code[:64], **{k: v for k, v in params.items() if k not in ("code", "status")})


def _python_path() -> str:
    """The folder this package is imported from, so that the child imports the same code."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    existing = os.environ.get("PYTHONPATH")
    return package_root + (os.pathsep + existing if existing else "")


def _child(fmt: str, max_pages: int, memory_mb: int, cpu_s: int, *, ocr_language: str | None = None) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    data = sys.stdin.buffer.read()
    from archbuilder.regulations.extract import Refused, extract_pages, ocr_pages

    try:
        if ocr_language:
            pages = ocr_pages(data, ocr_language, max_pages=max_pages)
        else:
            pages = extract_pages(data, DocumentFormat(fmt), max_pages=max_pages)
        answer: dict[str, object] = {"kind": "ok", "pages": pages}
    except Refused as refusal:
        detail = repr(refusal.__cause__)[:500] if refusal.__cause__ else None
        answer = {"kind": "refused", "code": refusal.code, "params": _plain(refusal.params), "detail": detail}
    except MemoryError:
        answer = {"kind": "refused", "code": "REGULATION_PARSE_FAILED", "params": {"format": fmt}}
    except Exception as exc:  # noqa: BLE001 - any failure of a foreign reader is a coded refusal
        answer = {
            "kind": "refused",
            "code": "REGULATION_PARSE_FAILED",
            "params": {"format": fmt},
            "detail": repr(exc)[:500],
        }
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()


def _plain(params: dict[str, object]) -> dict[str, object]:
    return {
        k: v if isinstance(v, str | int | float | bool | type(None)) else str(v) for k, v in params.items()
    }


if __name__ == "__main__":
    if sys.argv[1] == "ocr":  # ocr LANGUAGE MAX_PAGES MEMORY_MB CPU_S
        _child("pdf", int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), ocr_language=sys.argv[2])
    else:  # FORMAT MAX_PAGES MEMORY_MB CPU_S
        _child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
