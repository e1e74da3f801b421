"""Citations as keys: the article a rule cites ("m.29(1)", "§47(1)", "R.111-2", "R304.1") and
the article a passage is ("Madde 29 (1)", "§ 47 Abs. 1", "Article R111-2", "Section R304.1")
reduced to the same (article, paragraph) pair, so that a finding finds its passage."""

from __future__ import annotations

import re

_PREFIX = re.compile(
    r"^(?:geçici\s+madde|madde|m\.|§|art(?:ikel|icle|ículo|\.)?|section|sec\.)\s*",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^([A-Z]?\.?\s?\d+(?:[.-]\d+)*[a-z]?)", re.IGNORECASE)
_PARAGRAPH = re.compile(r"^\s*(?:\((\d+)\)|Abs\.\s*(\d+)|,\s*([IVX]+)\b)")


def article_key(citation: str) -> str | None:
    """The article of a citation, upper case without dots or spaces inside it: "Madde 29 (1)"
    → "29", "Article R.111-2" → "R111-2", "Section R311.7.1" → "R311.7.1"; None when the
    citation names no numbered article ("Konutlar bölümü")."""
    key, _ = citation_key(citation)
    return key


def citation_key(citation: str) -> tuple[str | None, str | None]:
    """(article, paragraph) of a citation: "m.29(1)" → ("29", "1"), "§ 48 Abs. 2" → ("48", "2"),
    "Art. 12.3" → ("12.3", None); "SUA 1 §4.1" → ("4.1", None) (what follows the last §)."""
    text = citation.strip()
    if re.match(r"^(?:table|tab\.|tabla)\s", text, re.IGNORECASE):
        return None, None  # a table is not an article ("Tab. 1" of a standard is no "§ 1")
    if "§" in text:
        text = "§" + text.rsplit("§", 1)[1]
    geçici = text.lower().startswith("geçici")
    text = _PREFIX.sub("", text, count=1)
    match = _ARTICLE.match(text)
    if match is None:
        return None, None
    article = re.sub(r"[\s]", "", match[1]).upper()
    article = re.sub(r"^([A-Z])\.", r"\1", article)  # R.111-2 → R111-2
    if geçici:
        article = "G" + article
    rest = text[match.end() :]
    paragraph = _PARAGRAPH.match(rest)
    number = next((g for g in paragraph.groups() if g), None) if paragraph else None
    return article, number
