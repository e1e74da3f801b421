"""Split a document's text at its structure (part, article, paragraph) into passages that
keep their citation as the document writes it: "Madde 29 (1)", "§ 48 Abs. 2",
"Article R111-2", "Art. 12.3", "Section 1208.4".

The patterns are per language (the document's); a line that starts an article or a
paragraph starts a new passage, a part or chapter heading is kept on the passages under it.
Text before the first article (title, preamble) is a passage without a citation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from archbuilder.regulations.citations import article_key

MAX_PASSAGE_CHARS = 2400

_DASH = r"\s*[-–—.:]?\s*"
# (pattern, citation of the article) per language; group 1 is the number, the last group the title.
_ARTICLES: dict[str, list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]] = {
    "tr": [
        (
            re.compile(r"^(Geçici\s+)?MADDE\s+(\d+[A-Za-z/]*)" + _DASH + r"(.*)$", re.IGNORECASE),
            lambda m: ("Geçici Madde " if m[1] else "Madde ") + m[2],
        )
    ],
    "de": [
        (re.compile(r"^()§\s*(\d+[a-z]?)\b" + _DASH + r"(.*)$"), lambda m: f"§ {m[2]}"),
        (re.compile(r"^()Art(?:ikel|\.)\s*(\d+[a-z]?)\b" + _DASH + r"(.*)$"), lambda m: f"Art. {m[2]}"),
    ],
    "fr": [
        (
            re.compile(
                r"^()(?:Article|ARTICLE|Art\.)\s+((?:[LRDA]\*{0,2}\.?\s?)?\d+(?:-\d+)*)" + _DASH + r"(.*)$"
            ),
            lambda m: "Article " + re.sub(r"[\s.*]", "", m[2]),
        )
    ],
    "es": [
        (
            re.compile(r"^()(?:Artículo|ARTÍCULO|Art\.)\s+(\d+(?:\.\d+)*)\s*[º°.]?" + _DASH + r"(.*)$"),
            lambda m: f"Art. {m[2]}",
        )
    ],
    "en": [
        (
            re.compile(r"^()(?:Section|SECTION|Sec\.)\s+([A-Z]?\d+(?:\.\d+)*)" + _DASH + r"(.*)$"),
            lambda m: f"Section {m[2]}",
        ),
        (re.compile(r"^()([A-Z]?\d{3,4}(?:\.\d+)+)\s+([A-Z].*)$"), lambda m: f"Section {m[2]}"),
    ],
}
# (pattern, citation of the paragraph from the article's) per language.
_PARAGRAPHS: dict[str, tuple[re.Pattern[str], Callable[[str, str], str]]] = {
    "tr": (re.compile(r"^\((\d+)\)\s*"), lambda article, n: f"{article} ({n})"),
    "de": (re.compile(r"^\((\d+)\)\s*"), lambda article, n: f"{article} Abs. {n}"),
    "fr": (re.compile(r"^([IVX]{1,5})\.\s*[-–—]?\s*"), lambda article, n: f"{article}, {n}"),
    "es": (re.compile(r"^(\d{1,2})\.\s+(?=\S)"), lambda article, n: f"{article}.{n}"),
}
_PART = re.compile(
    r"^(?:(?:[A-ZÇĞİÖŞÜ]+\s+)?(?:BÖLÜM|KISIM)\b|(?:Teil|TEIL|Abschnitt|ABSCHNITT|Kapitel|KAPITEL|"
    r"Chapitre|CHAPITRE|Titre|TITRE|Livre|LIVRE|Capítulo|CAPÍTULO|Título|TÍTULO|Chapter|CHAPTER|"
    r"Part|PART)\s+[\dIVXLC]+\b)"
)
_FRENCH_SECTION = re.compile(r"^(?:Section|SECTION|Sous-section)\s+\d+\b")


@dataclass
class Block:
    """A passage being collected."""

    citation: str | None
    article: str | None
    paragraph: str | None
    part: str | None
    title: str | None
    page: int | None
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PassageText:
    citation: str | None
    article: str | None
    paragraph: str | None
    part: str | None
    title: str | None
    page: int | None
    text: str


def split_passages(pages: Sequence[str], language: str, *, paged: bool = True) -> list[PassageText]:
    """The passages of a document whose text is ``pages`` (one string a page; ``paged`` False
    for formats without pages, whose passages then have no page)."""
    articles = _ARTICLES.get(language, _ARTICLES["en"])
    paragraphs = _PARAGRAPHS.get(language)
    blocks: list[Block] = []
    part: str | None = None
    current = Block(None, None, None, None, None, 1 if paged else None)
    article_citation: str | None = None
    article_title: str | None = None
    for page_number, page in enumerate(pages, start=1):
        page_of = page_number if paged else None
        if current.page is None and paged:
            current.page = page_of
        for raw in _lines(page):
            line = raw.strip()
            if not line:
                continue
            heading = _PART.match(line) or (language == "fr" and _FRENCH_SECTION.match(line))
            if heading and len(line) <= 160:
                part = line
                if current.lines:
                    blocks.append(current)
                current = Block(None, None, None, part, None, page_of)
                article_citation = None
                continue
            started = _article(articles, line)
            if started is not None:
                citation, title = started
                blocks.append(current)
                # "MADDE 29 – (1) Konutlarda …": the first paragraph on the article's own line.
                inline = bool(title and paragraphs and paragraphs[0].match(title))
                article_citation, article_title = citation, (None if inline else title or None)
                current = Block(citation, article_key(citation), None, part, article_title, page_of)
                if not inline:
                    continue
                line = title
            marker = paragraphs[0].match(line) if paragraphs and article_citation else None
            if marker is not None and paragraphs is not None and article_citation is not None:
                opening = current.citation == article_citation and not current.lines
                if not opening:
                    blocks.append(current)
                    current = Block(None, article_key(article_citation), None, part, article_title, page_of)
                current.citation = paragraphs[1](article_citation, marker[1])
                current.paragraph = marker[1]
                line = line[marker.end() :]
            current.lines.append(line)
    blocks.append(current)
    return [p for block in blocks for p in _texts(block)]


def _article(
    articles: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]], line: str
) -> tuple[str, str] | None:
    for pattern, citation in articles:
        match = pattern.match(line)
        if match is not None:
            return citation(match), match.group(match.lastindex or 0).strip()
    return None


def _lines(page: str) -> list[str]:
    """The page's lines, a word hyphenated at a line end joined again."""
    lines = page.splitlines()
    joined: list[str] = []
    for line in lines:
        if joined and joined[-1].endswith("-") and line[:1].islower() and not joined[-1].endswith(" -"):
            joined[-1] = joined[-1][:-1] + line.lstrip()
        else:
            joined.append(line.rstrip())
    return joined


def _texts(block: Block) -> list[PassageText]:
    text = re.sub(r"\s+", " ", " ".join(block.lines)).strip() or (block.title or "")
    if not text:
        return []
    pieces = _pieces(text)
    return [
        PassageText(
            block.citation, block.article, block.paragraph, block.part, block.title, block.page, piece
        )
        for piece in pieces
    ]


def _pieces(text: str) -> list[str]:
    """``text`` in pieces of at most ``MAX_PASSAGE_CHARS``, cut after a sentence where one ends."""
    pieces: list[str] = []
    while len(text) > MAX_PASSAGE_CHARS:
        cut = max(text.rfind(". ", 0, MAX_PASSAGE_CHARS), text.rfind("; ", 0, MAX_PASSAGE_CHARS))
        cut = cut + 1 if cut > MAX_PASSAGE_CHARS // 2 else text.rfind(" ", 0, MAX_PASSAGE_CHARS)
        cut = cut if cut > 0 else MAX_PASSAGE_CHARS
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces
