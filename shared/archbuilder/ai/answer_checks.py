"""Checks of a model's prose against the data it was given: the numbers it writes, the
references it makes, the language it writes in, the citations it gives.

A model may phrase; it may not add facts. These checks are the ``check`` of the tasks that
let a model write sentences (``tasks.phrase_recommendations``, ``tasks.answer_from_passages``):
an answer that fails one is ``OutputInvalid``, and the router falls back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from archbuilder.ai.language_model import OutputInvalid

# A number written as a word of its own: 12, 1,500, 1.500, 19,4, 1 500 (narrow spaces).
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\u00a0\u202f]\d+)*(?!\w)")
# A word that mixes digits with letters: a finding id (F3), a schema (IFC2X3), a GlobalId.
_CODED = re.compile(r"[\w$]*\d[\w$]*")
_FINDING_ID = re.compile(r"[Ff]\d+")
# Words with digits a sentence may use although no finding holds them.
_PLAIN_CODES = frozenset({"ifc2x3", "ifc4", "ifc4x3", "m2", "2d", "3d"})

# Words and letters that mark each language in prose about a building model. A language's
# score is how many of its markers a text holds: the text must score for the language asked
# and no other language may score higher.
_MARKERS: dict[str, re.Pattern[str]] = {
    lang: re.compile(pattern)  # on case-folded text (IGNORECASE would make ı an i)
    for lang, pattern in {
        "en": r"\b(?:the|and|of|to|with|for|each|them|they|is|are|it|its|their|elements?|walls?|spaces?"
        r"|doors?|windows?|rooms?|fix|add|give|delete|name)\b",
        "tr": r"[ğış]|\b(?:ve|bir|için|ile|bu|olarak|öğe\w*|duvar\w*|mahal\w*|kapı\w*|pencere\w*|kat\w*)\b",
        "de": r"ß|\b(?:der|die|das|und|mit|sie|ihre?n?|für|nicht|eine?[nmrs]?|im|zu|wände|räume|türen"
        r"|fenster|elemente?)\b",
        "fr": r"\b(?:les|des|le|et|une?|pour|avec|dans|du|aux?|sont|murs?|portes?|fenêtres?|espaces?"
        r"|éléments?|pièces?)\b",
        "es": r"ñ|\b(?:los|las|el|y|una?|para|con|del|al|muros?|puertas?|ventanas?|espacios?"
        r"|elementos?)\b",
    }.items()
}


def numbers_in(text: str) -> list[str]:
    return _NUMBER.findall(text)


def number_values(token: str) -> set[float]:
    """What a written number may mean: ``1,500`` is 1500 in English and 1.5 in German."""
    plain = token.replace("\u00a0", "").replace("\u202f", "")
    values: set[float] = set()
    for decimal, thousands in ((",", "."), (".", ",")):
        digits = plain.replace(thousands, "")
        if digits.count(decimal) <= 1:
            try:
                values.add(float(digits.replace(decimal, ".")))
            except ValueError:
                continue
    return values


def number_allowed(token: str, allowed: Iterable[float]) -> bool:
    """Whether ``token`` writes one of ``allowed`` (a fraction may be rounded, nothing else)."""
    written = number_values(token)
    for value in allowed:
        forms = {float(value)}
        if float(value) != round(value):
            forms |= {float(round(value)), round(value, 1), round(value, 2)}
        if written & forms:
            return True
    return False


def check_numbers(text: str, allowed: Iterable[float], *, where: str) -> None:
    known = list(allowed)
    for token in numbers_in(text):
        if not number_allowed(token, known):
            raise OutputInvalid(reason="a number that is not in the data", number=token, item=where)


def check_coded_words(
    text: str, pointed: set[str], known_ids: set[str], given: set[str], *, where: str
) -> None:
    """Words with digits must be finding ids the item points at, or words the data holds."""
    for word in _CODED.findall(text):
        if not any(c.isalpha() or c in "_$" for c in word):
            continue  # a plain number: check_numbers judges it
        if _FINDING_ID.fullmatch(word):
            word = word.upper()
            if word not in known_ids:
                raise OutputInvalid(reason="a finding that does not exist", finding=word, item=where)
            if word not in pointed:
                raise OutputInvalid(reason="a finding the item does not point at", finding=word, item=where)
            continue
        if word.casefold() not in given and word.casefold() not in _PLAIN_CODES:
            raise OutputInvalid(reason="a reference that is not in the data", word=word[:40], item=where)


def coded_words(text: str) -> set[str]:
    """The words with digits of ``text``, case-folded (what the data itself may be quoted as)."""
    return {w.casefold() for w in _CODED.findall(text)}


def language_scores(text: str) -> dict[str, int]:
    low = unicodedata.normalize("NFC", text).casefold()
    return {lang: len(pattern.findall(low)) for lang, pattern in _MARKERS.items()}


def check_language(text: str, language: str) -> None:
    """The text carries markers of ``language``, and no other language's more."""
    scores = language_scores(text)
    own = scores.get(language, 0)
    other = max((score for lang, score in scores.items() if lang != language), default=0)
    if own == 0 or other > own:
        best = max(scores, key=lambda lang: scores[lang])
        raise OutputInvalid(reason="not written in the language asked", language=language, looks_like=best)


_CITED = re.compile(r"\[([^\[\]]{1,200})\]")


def normalised_cite(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


def check_citations(text: str, cites: Iterable[str]) -> list[str]:
    """The citations ``[…]`` of ``text``: at least one, each one of ``cites``. Several in one
    bracket are separated by ``;``."""
    known = {normalised_cite(c) for c in cites}
    cited = [part for group in _CITED.findall(text) for part in group.split(";") if part.strip()]
    if not cited:
        raise OutputInvalid(reason="cites no passage")
    for cite in cited:
        if normalised_cite(cite) not in known:
            raise OutputInvalid(reason="cites a passage that was not retrieved", cite=cite[:80])
    return cited
