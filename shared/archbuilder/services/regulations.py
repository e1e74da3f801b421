"""Use cases of the regulation library: add a document (a tenant's own, or the global library
the operator curates), read and delete documents and passages, search, answer questions from
the library only, and link compliance findings to the passages their citations name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from archbuilder.compliance.report import Citation, ComplianceReport, PassageRef
from archbuilder.compliance.schema import Rule
from archbuilder.domain.ids import checked_id, new_id
from archbuilder.domain.permissions import require
from archbuilder.domain.timestamps import now
from archbuilder.platform.errors import ArchBuilderError, NotFound, Unprocessable
from archbuilder.platform.i18n import phrase
from archbuilder.regulations.citations import citation_key
from archbuilder.regulations.extract import Refused, sniff
from archbuilder.regulations.library import Hit, RegulationLibrary, SearchFilter
from archbuilder.regulations.model import (
    GLOBAL,
    Answer,
    DocumentFormat,
    DocumentList,
    Passage,
    PassagePublic,
    RegulationDocument,
    SearchResult,
    SearchResults,
)
from archbuilder.regulations.sandbox import Limits, read_document
from archbuilder.regulations.stemming import LANGUAGES, query_stems, stem, stems, words
from archbuilder.regulations.structure import split_passages
from archbuilder.services.identity import Principal

if TYPE_CHECKING:
    from archbuilder.ai.tasks import WrittenAnswer
    from archbuilder.runtime import Runtime

READ, WRITE = "regulations:read", "regulations:write"
SNIPPET_CHARS = 240
# A passage answers a question when it holds at least this share of the question's stems.
ANSWER_COVERAGE = 0.25
BUILTIN_PROVIDER = "builtin"


def add_document(
    library: RegulationLibrary,
    tenant_id: str,
    *,
    filename: str,
    data: bytes,
    region: str,
    language: str,
    title: str,
    short: str | None = None,
    edition: str | None = None,
    limits: Limits | None = None,
    document_id: str | None = None,
    ocr_url: str | None = None,
) -> RegulationDocument:
    """Read ``data`` in the sandbox, split it into passages and index them for ``tenant_id``
    (``GLOBAL``: the global library). 413/422 with a stable code for a file we do not read.
    ``document_id``: the id to give the document (an upload chooses it ahead), else a new one.
    ``ocr_url``: the OCR service a scan is sent to (``settings.ocr_url``), else OCR'd here."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise ArchBuilderError(
            code="REGULATION_TOO_LARGE", status=413, size_bytes=len(data), limit_bytes=limits.max_bytes
        )
    try:
        fmt = sniff(filename, data[:8192])
    except Refused as refusal:
        params: dict[str, Any] = dict(refusal.params)
        raise Unprocessable(code=refusal.code, **params) from refusal
    read = read_document(data, fmt, limits, language=language, ocr_url=ocr_url)  # a scan: OCR'd
    pages = read.pages
    paged = fmt is DocumentFormat.pdf or len(pages) > 1
    texts = split_passages(pages, language, paged=paged)
    document_id = document_id or new_id("reg")
    passages = [
        Passage(
            id=f"p{ordinal}",
            document_id=document_id,
            citation=t.citation,
            article=t.article,
            paragraph=t.paragraph,
            part=t.part,
            title=t.title,
            language=language,
            page=t.page,
            ordinal=ordinal,
            text=t.text,
        )
        for ordinal, t in enumerate(texts, start=1)
    ]
    document = RegulationDocument(
        id=document_id,
        scope="global" if tenant_id == GLOBAL else "tenant",
        region=region,
        language=language,
        title=title,
        short=short or None,
        edition=edition or None,
        filename=filename,
        format=fmt,
        pages=len(pages),
        passages=len(passages),
        ocr=read.ocr,
        created_at=now(),
    )
    library.add(tenant_id, document, passages)
    return document


def add_tenant_document(
    library: RegulationLibrary, principal: Principal, *, limits: Limits | None = None, **fields: object
) -> RegulationDocument:
    """A document of the caller's own library (``regulations:write``)."""
    require(principal, WRITE)
    return add_document(library, principal.tenant_id, limits=limits, **fields)  # type: ignore[arg-type]


def list_documents(library: RegulationLibrary, principal: Principal) -> DocumentList:
    require(principal, READ)
    items = library.documents(principal.tenant_id)
    return DocumentList(count=len(items), items=items)


def get_document(library: RegulationLibrary, principal: Principal, document_id: str) -> RegulationDocument:
    require(principal, READ)
    found = library.document(principal.tenant_id, checked_id(document_id, "document"))
    if found is None:
        raise NotFound(resource="document", id=document_id)
    return found[0]


def delete_document(library: RegulationLibrary, principal: Principal, document_id: str) -> None:
    """Delete a document of the caller's own library; the global library is the operator's."""
    require(principal, WRITE)
    found = library.document(principal.tenant_id, checked_id(document_id, "document"))
    if found is None:
        raise NotFound(resource="document", id=document_id)
    if found[1] != principal.tenant_id:
        raise ArchBuilderError(code="REGULATION_DOCUMENT_READ_ONLY", status=403, id=document_id)
    library.remove(principal.tenant_id, document_id)


def get_passage(
    library: RegulationLibrary, principal: Principal, document_id: str, passage_id: str
) -> PassagePublic:
    require(principal, READ)
    found = library.document(principal.tenant_id, checked_id(document_id, "document"))
    passage = library.passage(principal.tenant_id, document_id, checked_id(passage_id, "passage"))
    if found is None or passage is None:
        raise NotFound(resource="passage", id=passage_id)
    document = found[0]
    return PassagePublic(
        document_id=document.id,
        document=document.title,
        edition=document.edition,
        scope=document.scope,
        id=passage.id,
        citation=passage.citation,
        title=passage.title,
        part=passage.part,
        language=passage.language,
        page=passage.page,
        text=passage.text,
        ocr=document.ocr,
        link=passage_link(document.id, passage.id),
    )


def passage_link(document_id: str, passage_id: str) -> str:
    return f"/v1/regulations/documents/{document_id}/passages/{passage_id}"


# -- search ---------------------------------------------------------------------------


def search(
    library: RegulationLibrary,
    principal: Principal,
    query: str,
    *,
    region: str | None = None,
    language: str | None = None,
    limit: int = 10,
) -> SearchResults:
    """Passages of the libraries the caller sees that share stems with ``query``, best first."""
    require(principal, READ)
    hits, terms = _hits(library, principal.tenant_id, query, region, language, limit)
    results = [_result(hit, terms) for hit in hits]
    return SearchResults(query=query, count=len(results), results=results)


def _hits(
    library: RegulationLibrary,
    tenant_id: str,
    query: str,
    region: str | None,
    language: str | None,
    limit: int,
) -> tuple[list[Hit], dict[str, set[str]]]:
    """The hits and, per language, the query's stems (a query without a language is stemmed in
    every language of the library: its words may be in any of them)."""
    languages = [language] if language else list(LANGUAGES)
    terms = {lang: set(query_stems(query, lang)) for lang in languages}
    every = sorted({term for found in terms.values() for term in found})
    where = SearchFilter(tenant_id=tenant_id, region=region, language=language, limit=limit, text=query)
    return library.search(every, where), terms


def _result(hit: Hit, terms: dict[str, set[str]]) -> SearchResult:
    passage, document = hit.passage, hit.document
    text, highlights = snippet(passage.text, passage.language, terms.get(passage.language) or set())
    return SearchResult(
        document_id=document.id,
        document=document.title,
        edition=document.edition,
        scope=document.scope,
        region=document.region,
        passage_id=passage.id,
        citation=passage.citation,
        language=passage.language,
        page=passage.page,
        snippet=text,
        highlights=highlights,
        snippet_html=snippet_html(text, highlights),
        ocr=document.ocr,
        score=round(hit.score, 4),
        link=passage_link(document.id, passage.id),
    )


def snippet(
    text: str, language: str, terms: set[str], width: int = SNIPPET_CHARS
) -> tuple[str, list[tuple[int, int]]]:
    """The window of ``text`` (at most ``width`` characters, cut at words) with the most words
    whose stem is one of ``terms``, and the [start, end) of those words in it."""
    matched = [(s, e) for s, e, word in words(text) if stem(word, language) in terms]
    start = 0
    if matched and len(text) > width:
        best = 0
        for i, (first, _) in enumerate(matched):
            count = sum(1 for s, e in matched[i:] if e <= first + width)
            if count > best:
                best, start = count, max(0, first - width // 6)
        start = min(start, max(0, len(text) - width))
        if start > 0:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < start + 30 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    highlights = [(s + shift, e + shift) for s, e in matched if s >= start and e <= end]
    return prefix + text[start:end] + suffix, highlights


def snippet_html(text: str, highlights: Sequence[tuple[int, int]]) -> str:
    parts, at = [], 0
    for start, end in highlights:
        parts.append(escape(text[at:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    parts.append(escape(text[at:]))
    return "".join(parts)


# -- questions ------------------------------------------------------------------------


def ask(
    library: RegulationLibrary,
    principal: Principal,
    question: str,
    *,
    region: str | None,
    language: str | None,
    reply_language: str,
    limit: int = 3,
    runtime: Runtime | None = None,
) -> Answer:
    """An answer from the library only: the best passages, and with ``runtime`` prose a model
    provider wrote from them through the AI router (``ai.tasks.answer_from_passages``: each
    statement cites a retrieved passage, else the built-in answer, the passages without prose).

    A passage counts when it holds at least ``ANSWER_COVERAGE`` of the question's stems; with
    none, the answer is "not found in your library" (no model is asked). What a passage says
    is quoted, never followed: the passages are data, and nothing in them changes which
    passages are chosen or how the answer is made (tests/functional/test_regulations.py and
    test_ai_answers.py, prompt injection)."""
    require(principal, READ)
    hits, terms = _hits(library, principal.tenant_id, question, region, language, 25)
    relevant = [
        hit
        for hit in hits
        if _coverage(hit.passage, terms.get(hit.passage.language) or set()) >= ANSWER_COVERAGE
    ]
    chosen = [_result(hit, terms) for hit in relevant[:limit]]
    if chosen and runtime is not None:
        written = _written_answer(runtime, principal, question, relevant[:limit], reply_language)
        if written.text:
            return Answer(
                question=question,
                found=True,
                message=phrase("regulations", "answered", reply_language),
                answer=written.text,
                provider=written.provider,
                passages=chosen,
            )
    return Answer(
        question=question,
        found=bool(chosen),
        message=phrase("regulations", "quoted" if chosen else "not_found", reply_language),
        answer=None,
        provider=BUILTIN_PROVIDER,
        passages=chosen,
    )


def _written_answer(
    runtime: Runtime, principal: Principal, question: str, hits: list[Hit], language: str
) -> WrittenAnswer:
    from archbuilder.ai.tasks import LibraryPassage, answer_from_passages  # the AI layer: only to ask

    passages = [
        LibraryPassage(
            document=h.document.title, citation=h.passage.citation, page=h.passage.page, text=h.passage.text
        )
        for h in hits
    ]
    return answer_from_passages(question, passages, language, tenant_id=principal.tenant_id, runtime=runtime)


def _coverage(passage: Passage, terms: set[str]) -> float:
    if not terms:
        return 0.0
    held = set(
        stems(" ".join(x for x in (passage.citation, passage.title, passage.text) if x), passage.language)
    )
    return len(terms & held) / len(terms)


# -- findings and rules ---------------------------------------------------------------


def link_report(library: RegulationLibrary, tenant_id: str, report: ComplianceReport) -> ComplianceReport:
    """``report`` with ``passage`` set on each finding whose citation names a passage of a
    library the tenant sees (the report's country; the document's short name or title)."""
    country = report.region.split("-", 1)[0]
    found: dict[tuple[str, str, str], PassageRef | None] = {}
    for finding in report.findings:
        if finding.citation is not None:
            key = (finding.citation.short, finding.citation.document, finding.citation.article)
            if key not in found:
                found[key] = cited_passage(library, tenant_id, country, finding.citation)
            finding.passage = found[key]
    return report


def rule_passages(
    library: RegulationLibrary, tenant_id: str, region: str, rules: Iterable[Rule]
) -> dict[str, PassageRef]:
    """Rule id → the passage of its article, for the rules whose text is in a library the tenant sees."""
    country = region.split("-", 1)[0]
    linked: dict[str, PassageRef] = {}
    for rule in rules:
        source = rule.source
        citation = Citation(
            document=source.document, article=source.article, short=source.short, status="verified"
        )
        ref = cited_passage(library, tenant_id, country, citation)
        if ref is not None:
            linked[rule.id] = ref
    return linked


def cited_passage(
    library: RegulationLibrary, tenant_id: str, country: str, citation: Citation
) -> PassageRef | None:
    article, paragraph = citation_key(citation.article) if citation.article else (None, None)
    if article is None:
        return None
    found = library.article(tenant_id, country, [citation.short, citation.document], article, paragraph)
    if found is None:
        return None
    passage, document = found
    text = (
        passage.text
        if len(passage.text) <= SNIPPET_CHARS
        else passage.text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
    )
    return PassageRef(
        document_id=document.id,
        document=document.title,
        edition=document.edition,
        article=passage.citation,
        page=passage.page,
        snippet=text,
        link=passage_link(document.id, passage.id),
    )
