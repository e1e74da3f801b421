"""The text of a document, page by page: plain text, HTML, DOCX, PDF with a text layer, and
the text Tesseract recognises on the pages of a scanned PDF (OCR, through OCRmyPDF).

Runs inside the parsing sandbox (``regulations/sandbox.py``): a file is untrusted input, and
the PDF and ZIP readers are where a crafted file would hurt.
"""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser

from archbuilder.regulations.model import DocumentFormat

_EXTENSIONS = {
    ".txt": DocumentFormat.text,
    ".text": DocumentFormat.text,
    ".md": DocumentFormat.text,
    ".html": DocumentFormat.html,
    ".htm": DocumentFormat.html,
    ".docx": DocumentFormat.docx,
    ".pdf": DocumentFormat.pdf,
}


class Refused(Exception):
    """The file is not a document we read; ``code`` is an error code of the catalogue."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def sniff(filename: str, head: bytes) -> DocumentFormat:
    """The format from the content, checked against the file name's extension."""
    if head.startswith(b"%PDF-"):
        found = DocumentFormat.pdf
    elif head.startswith(b"PK\x03\x04"):
        found = DocumentFormat.docx
    elif b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Refused("REGULATION_FORMAT_UNSUPPORTED")
    else:
        start = head.lstrip()[:512].lower()
        found = DocumentFormat.html if start.startswith((b"<!doctype html", b"<html", b"<body")) else None  # type: ignore[assignment]
        found = found or DocumentFormat.text
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    named = _EXTENSIONS.get(suffix)
    if named is None:
        raise Refused("REGULATION_FORMAT_UNSUPPORTED")
    if named is DocumentFormat.html and found is DocumentFormat.text:
        return named  # an HTML fragment without <html>
    if named is not found:
        raise Refused("REGULATION_FORMAT_MISMATCH", extension=suffix, format=found.value)
    return found


def extract_pages(data: bytes, fmt: DocumentFormat, *, max_pages: int) -> list[str]:
    """The text of each page (DOCX: between page breaks; text: between form feeds; HTML: one)."""
    if fmt is DocumentFormat.pdf:
        pages = _pdf_pages(data, max_pages)
    elif fmt is DocumentFormat.docx:
        pages = _docx_pages(data)
    elif fmt is DocumentFormat.html:
        pages = [_html_text(_decode(data))]
    else:
        pages = _decode(data).split("\f")
    if len(pages) > max_pages:
        raise Refused("REGULATION_TOO_MANY_PAGES", pages=len(pages), limit=max_pages)
    if not any(page.strip() for page in pages):
        # A scanned PDF (images only) lands here; the sandbox then runs ocr_pages on it.
        raise Refused("REGULATION_NO_TEXT", format=fmt.value)
    return pages


# Tesseract's language of a document's (the languages of regulations/stemming.py).
TESSERACT_LANGUAGES = {"tr": "tur", "de": "deu", "fr": "fra", "es": "spa", "en": "eng"}


def tesseract_language(language: str) -> str:
    """Tesseract's code for a document language ("tr" → "tur"); English for another."""
    return TESSERACT_LANGUAGES.get(language.split("-", 1)[0].lower(), "eng")


def ocr_pages(data: bytes, tesseract_code: str, *, max_pages: int) -> list[str]:
    """The text Tesseract recognises on each page of a PDF without a text layer.

    OCRmyPDF rasterises every page (pdfium) and runs Tesseract on it, one page at a time; only
    its text (the "sidecar", pages separated by form feeds) is kept, the OCR'd PDF is not
    written. ``max_pages`` is stricter than for text PDFs: OCR costs seconds a page.
    """
    import os
    import tempfile

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if tesseract_code not in TESSERACT_LANGUAGES.values():
        raise Refused("REGULATION_OCR_UNAVAILABLE", language=tesseract_code)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Refused("REGULATION_ENCRYPTED")
        count = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise Refused("REGULATION_PARSE_FAILED", format="pdf") from exc
    if count > max_pages:
        raise Refused("REGULATION_OCR_TOO_MANY_PAGES", pages=count, limit=max_pages)
    import ocrmypdf

    with tempfile.TemporaryDirectory(prefix="archbuilder-ocr-") as folder:
        scanned = os.path.join(folder, "scanned.pdf")
        sidecar = os.path.join(folder, "text.txt")
        with open(scanned, "wb") as out:
            out.write(data)
        try:
            ocrmypdf.ocr(
                scanned,
                os.devnull,
                language=[tesseract_code],
                output_type="none",  # the text only: no PDF is written
                sidecar=sidecar,
                mode="force",  # every page is an image: rasterise it whatever it holds
                pdf_renderer="sandwich",  # Tesseract's own text layer (not fpdf2's renderer)
                jobs=1,
                use_threads=True,
                progress_bar=False,
            )
        except ocrmypdf.MissingDependencyError as exc:
            raise Refused("REGULATION_OCR_UNAVAILABLE", language=tesseract_code) from exc
        except ocrmypdf.EncryptedPdfError as exc:
            raise Refused("REGULATION_ENCRYPTED") from exc
        except (ocrmypdf.InputFileError, ocrmypdf.SubprocessOutputError) as exc:
            raise Refused("REGULATION_PARSE_FAILED", format="pdf") from exc
        with open(sidecar, encoding="utf-8") as text:
            pages = text.read().split("\f")
    pages = [repair_ocr(page, tesseract_code) for page in pages[:count]]
    if not any(page.strip() for page in pages):
        raise Refused("REGULATION_NO_TEXT", format="pdf")
    return pages


# Tesseract reads the section sign at the head of a German article as "&", "8", "$" or "S"
# ("8 47 Aufenthaltsräume"): a line that starts so, then the number and a capitalised title,
# is an article ("§ 47 Aufenthaltsräume"). Measured on our scans (docs/regulations.md).
_MISREAD_SECTION = re.compile(r"^[&8$S5]\s+(\d+[a-z]?\s+[A-ZÄÖÜ])", re.MULTILINE)


def repair_ocr(text: str, tesseract_code: str) -> str:
    """Known recognition errors that would cost a citation, repaired (German "§" only)."""
    if tesseract_code == "deu":
        return _MISREAD_SECTION.sub(r"§ \1", text)
    return text


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused("REGULATION_ENCODING") from exc


def _pdf_pages(data: bytes, max_pages: int) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Refused("REGULATION_ENCRYPTED")
        count = len(reader.pages)
        if count > max_pages:
            raise Refused("REGULATION_TOO_MANY_PAGES", pages=count, limit=max_pages)
        return [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise Refused("REGULATION_PARSE_FAILED", format="pdf") from exc


def _docx_pages(data: bytes) -> list[str]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise Refused("REGULATION_PARSE_FAILED", format="docx") from exc
    pages: list[list[str]] = [[]]
    for paragraph in document.paragraphs:
        pages[-1].append(paragraph.text)
        xml = paragraph._p.xml
        if 'w:type="page"' in xml or "w:pageBreakBefore" in xml:
            pages.append([])
    return ["\n".join(lines) for lines in pages]


_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header"}
    | {"footer", "table", "ul", "ol", "dd", "dt", "blockquote", "pre"}
)
_SKIPPED = frozenset({"script", "style", "head", "template", "noscript"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
