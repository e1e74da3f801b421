"""A regulation document and the passages it is split into (no I/O)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from archbuilder.domain.timestamps import Timestamp

GLOBAL = ""  # the tenant of the operator-curated library every tenant reads


class DocumentFormat(StrEnum):
    text = "text"
    html = "html"
    docx = "docx"
    pdf = "pdf"


class RegulationDocument(BaseModel):
    """One document of a library: a tenant's own (``scope`` "tenant") or the global one."""

    id: str
    scope: str = Field(description='"global" (the operator\'s library) or "tenant" (the caller\'s own)')
    region: str
    language: str
    title: str
    short: str | None = Field(default=None, description='what rules cite it as ("PAİY", "MBO"), if given')
    edition: str | None = None
    filename: str
    format: DocumentFormat
    pages: int
    passages: int
    ocr: bool = Field(
        default=False,
        description="true: a scanned PDF whose text was recognised on the page images (OCR, Tesseract); "
        "its passages may hold recognition errors",
    )
    created_at: Timestamp


class Passage(BaseModel):
    """A piece of a document at its structure: an article, or a paragraph of one."""

    id: str
    document_id: str
    citation: str | None = Field(description='as the document writes it: "Madde 29 (1)", "§ 48 Abs. 2"')
    article: str | None = Field(default=None, description="the article's key for matching: 29, 48, R111-2")
    paragraph: str | None = None
    part: str | None = Field(default=None, description="the part or chapter heading it is under")
    title: str | None = Field(default=None, description="the article's title, when it has one")
    language: str
    page: int | None = Field(default=None, description="1-based; None where the format has no pages")
    ordinal: int
    text: str


class PassagePublic(BaseModel):
    """A passage as a reader gets it: its text, where it is, and what it belongs to."""

    document_id: str
    document: str
    edition: str | None = None
    scope: str
    id: str
    citation: str | None
    title: str | None = None
    part: str | None = None
    language: str
    page: int | None = None
    text: str
    ocr: bool = Field(
        default=False, description="the text was recognised on a scan (OCR): it may hold errors"
    )
    link: str


class SearchResult(BaseModel):
    document_id: str
    document: str
    edition: str | None = None
    scope: str
    region: str
    passage_id: str
    citation: str | None
    language: str
    page: int | None = None
    snippet: str
    highlights: list[tuple[int, int]] = Field(description="[start, end) of each matched word in snippet")
    snippet_html: str = Field(description="the snippet, HTML-escaped, matched words in <mark>")
    ocr: bool = Field(
        default=False, description="the text was recognised on a scan (OCR): it may hold errors"
    )
    score: float
    link: str


class SearchResults(BaseModel):
    query: str
    count: int
    results: list[SearchResult]


class Answer(BaseModel):
    """An answer from the library only: the passages that answer the question, with their
    citations, and prose a model provider wrote from them, each statement citing its passage
    in brackets. The built-in provider writes no prose (``answer`` is null)."""

    question: str
    found: bool
    message: str = Field(description='"Not found in your library." when nothing relevant was retrieved')
    answer: str | None = Field(
        default=None,
        description="prose from the passages only, each statement with its passage's citation in "
        "[brackets]; null when the built-in provider answered (the passages are the answer)",
    )
    provider: str = Field(description="who wrote the answer: builtin, openai or gemini")
    passages: list[SearchResult]


class DocumentList(BaseModel):
    count: int
    items: list[RegulationDocument]
