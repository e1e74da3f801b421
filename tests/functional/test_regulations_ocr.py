"""Scanned PDFs (page images, no text layer) through the public API: OCR'd by Tesseract in the
parsing sandbox, in the document's declared language, split at the same structure, cited,
found by stemmed search, and marked ``ocr`` so that a reader knows the text was recognised.

The scans are made here from the project's own fixture text (invented wording): each page is
drawn with Pillow at 200 dpi in DejaVu Sans and saved as an image-only PDF. Tesseract comes
from Debian (`make ocr`, a prerequisite of `make test`): in CI a missing one fails, locally the
tests that need it skip with the reason.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.platform.errors import ArchBuilderError
from archbuilder.regulations.extract import extract_pages
from archbuilder.regulations.model import DocumentFormat
from archbuilder.regulations.sandbox import Limits, read_document
from tests.conftest import REPO_ROOT, TenantCredentials

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "regulations"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DPI = 200


def _needs_tesseract() -> None:
    if shutil.which("tesseract") is None:
        if os.environ.get("CI"):
            pytest.fail("tesseract is not installed: `make ocr` installs it (Debian's tesseract-ocr-*)")
        pytest.skip("tesseract is not installed here: `make ocr` installs it")


def _scan(pages: list[str], dpi: int = DPI) -> bytes:
    """An image-only PDF: each text drawn on an A4 page image, no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), size=round(11 * dpi / 72))  # 11 pt
    width, height, margin = round(8.27 * dpi), round(11.69 * dpi), round(0.8 * dpi)
    line_height = round(font.size * 1.45)
    images = []
    for text in pages:
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        y = margin
        for paragraph in text.splitlines():
            for line in textwrap.wrap(paragraph, width=80) or [""]:
                assert y + line_height < height - margin, "the fixture page does not fit on A4"
                draw.text((margin, y), line, font=font, fill=0)
                y += line_height
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def _upload(client: FlaskClient, tenant: TenantCredentials, data: bytes, **fields: Any) -> Any:
    body = {
        "filename": "scan.pdf",
        "region": "TR",
        "language": "tr",
        "title": "Taranmış yönetmelik",
        **fields,
    }
    body["content_base64"] = base64.b64encode(data).decode()
    return client.post("/v1/regulations/documents", json=body, headers=tenant.headers)


def _search(client: FlaskClient, tenant: TenantCredentials, query: str, region: str) -> list[dict[str, Any]]:
    found = client.get(
        "/v1/regulations/search", query_string={"q": query, "region": region}, headers=tenant.headers
    )
    assert found.status_code == 200, found.json
    results: list[dict[str, Any]] = found.get_json()["results"]
    return results


def _turkish_pages() -> list[str]:
    first, second = (FIXTURES / "tr_imar.txt").read_text(encoding="utf-8").split("MADDE 31")
    return [first, "MADDE 31" + second]


def test_a_scanned_turkish_pdf_is_ocrd_cited_found_and_marked(
    client: FlaskClient, tenant: TenantCredentials
) -> None:
    _needs_tesseract()
    scan = _scan(_turkish_pages())
    assert not any(page.strip() for page in _pdf_text_layer(scan))  # really no text layer

    added = _upload(client, tenant, scan, filename="imar-tarama.pdf")
    assert added.status_code == 201, added.json
    document: dict[str, Any] = added.get_json()
    assert document["format"] == "pdf" and document["pages"] == 2 and document["ocr"] is True
    assert document["passages"] >= 10
    again = client.get(f"/v1/regulations/documents/{document['id']}", headers=tenant.headers).get_json()
    assert again["ocr"] is True

    # "yatak odaları" (plural) finds the article's "yatak odası", at its citation and page.
    results = _search(client, tenant, "yatak odaları", "TR")
    top = results[0]
    assert (top["citation"], top["page"], top["ocr"]) == ("Madde 29 (1)", 1, True)
    assert "<mark>yatak</mark> <mark>odası</mark>" in top["snippet_html"]
    passage = client.get(top["link"], headers=tenant.headers).get_json()
    assert passage["ocr"] is True and "9 metrekare" in passage["text"]

    # The second page keeps its page number; "merdivenlerin" (genitive) finds "merdivenlerde".
    stairs = _search(client, tenant, "merdivenlerin kol genişliği", "TR")[0]
    assert (stairs["citation"], stairs["page"]) == ("Madde 31 (1)", 2)
    cited = {r["citation"] for r in _search(client, tenant, "banyo tuvalet kapıları", "TR")}
    assert {"Madde 29 (2)", "Madde 33 (2)"} <= cited


def test_a_scanned_german_pdf_is_read_in_german(client: FlaskClient, tenant: TenantCredentials) -> None:
    _needs_tesseract()
    html = (FIXTURES / "de_bauordnung.html").read_bytes()
    text = extract_pages(html, DocumentFormat.html, max_pages=1)[0]
    added = _upload(client, tenant, _scan([text]), filename="bauordnung-scan.pdf", region="DE", language="de",
                    title="Bauordnung (Scan)")  # fmt: skip
    assert added.status_code == 201, added.json
    assert added.json["ocr"] is True
    top = _search(client, tenant, "Raumhöhe der Aufenthaltsräume", "DE-BY")[0]
    assert (top["citation"], top["ocr"]) == ("§ 47 Abs. 1", True)
    bath = _search(client, tenant, "Badewanne Dusche", "DE")[0]
    assert bath["citation"] == "§ 48 Abs. 2"


def test_without_tesseract_a_scan_is_refused_with_a_code(
    client: FlaskClient, tenant: TenantCredentials, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan = _scan(["MADDE 1 – Amaç\n(1) Deneme."])
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on it
    refused = _upload(client, tenant, scan)
    assert refused.status_code == 422, refused.json
    error = refused.json["error"]
    assert error["code"] == "REGULATION_OCR_UNAVAILABLE"
    assert "metin tanıma (OCR, tur)" in error["message"]  # the tenant's language, tr

    # A tesseract that does not work: OCRmyPDF's MissingDependencyError in the child, same code.
    broken = tmp_path / "tesseract"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/bin{os.pathsep}/usr/bin")
    refused = _upload(client, tenant, scan)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "REGULATION_OCR_UNAVAILABLE"


def test_ocr_has_its_own_page_and_time_limits() -> None:
    _needs_tesseract()
    scan = _scan(_turkish_pages())
    with pytest.raises(ArchBuilderError) as too_many:
        read_document(scan, DocumentFormat.pdf, Limits(max_ocr_pages=1), language="tr")
    assert too_many.value.code == "REGULATION_OCR_TOO_MANY_PAGES"
    assert (too_many.value.params["pages"], too_many.value.params["limit"]) == (2, 1)
    with pytest.raises(ArchBuilderError) as too_slow:
        read_document(scan, DocumentFormat.pdf, Limits(ocr_timeout_s=0.5), language="tr")
    assert too_slow.value.code == "REGULATION_PARSE_TIMEOUT" and too_slow.value.params["limit_s"] == 0.5


def _pdf_text_layer(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
