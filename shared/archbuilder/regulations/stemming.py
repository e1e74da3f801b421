"""Words of a text as stems, per language (Snowball), for the lexical index and its queries.

The same function stems what is indexed and what is asked, so "yatak odaları" and
"yatak odası" meet at the same stems. Stop words are left out of queries only.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

LANGUAGES = {"tr": "turkish", "de": "german", "fr": "french", "es": "spanish", "en": "english"}
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_TR_VOWELS = set("aeıioöuü")
# Left out of queries only (never of what is indexed): articles, pronouns, prepositions,
# conjunctions, auxiliary and modal verbs and the words that frame a question ("how much",
# "must … be", "kaç … olmalı"). Words with a meaning in a rule (minimum, height, at most) stay.
_STOP_WORDS = {
    "tr": "ve veya ile ya için bir bu şu o da de en az çok olan olarak gibi daha ne nedir kaç hangi "
    "mi mı mu mü midir mıdır mudur müdür nasıl neler kadar göre her hem ise ki acaba olmalı olmalıdır "
    "olur olabilir olması olmak gerekir gerekiyor gereken gerek lazım var yok",
    "de": "der die das den dem des ein eine einer eines einem einen und oder aber mit für von vom zu zum zur "
    "im in ins an am auf aus bei bis nach über unter vor durch um ist sind sein seid war wird werden hat "
    "haben kann können darf dürfen muss müssen soll sollen sollte wie was wer welche welcher welches "
    "welchen wann wo ob man es sie er wir ich ab als auch nicht noch nur so dass viel viele wieviel "
    "brauche braucht brauchen benötigt nötig",
    "fr": "le la les l un une des du de d au aux et ou avec pour par dans en sur sous à est sont être a ont "
    "avoir doit doivent faut peut peuvent quel quelle quels quelles combien comment quoi que qu qui où "
    "quand ce cet cette ces il elle on y se sa son ses leur leurs ne pas il-y faire fait",
    "es": "el la los las lo un una unos unas del al de a y e o u con sin para por en es son ser está están "
    "estar ha han haber hay que qué cuál cuáles cuánto cuánta cuántos cuántas cómo cuándo dónde debe "
    "deben puede pueden tener tiene tienen se su sus necesita necesitan",
    "en": "the a an and or but with for of to in on at by from into as is are was were be been being has "
    "have had do does did can could shall should will would must may might need needs needed what which "
    "who when where how much many there it its this that these those they we you i if than so not",
}
_local = threading.local()  # Snowball stemmers keep state: one per thread and language


def _stemmer(language: str) -> Any:
    stemmers: dict[str, Any] = _local.__dict__.setdefault("stemmers", {})
    if language not in stemmers:
        import snowballstemmer  # type: ignore[import-untyped]

        stemmers[language] = snowballstemmer.stemmer(LANGUAGES.get(language, "english"))
    return stemmers[language]


def fold(word: str, language: str) -> str:
    """Lower case as the language writes it (Turkish İ → i, I → ı)."""
    if language == "tr":
        word = word.replace("İ", "i").replace("I", "ı")
    return unicodedata.normalize("NFC", word.lower())


@cache
def stop_words(language: str) -> frozenset[str]:
    return frozenset(_STOP_WORDS.get(language, "").split())


@lru_cache(maxsize=100_000)  # Snowball is pure Python (~0.3 ms a word): snippets stem every word of a hit
def stem(word: str, language: str) -> str:
    """The stem of one word: Snowball for de, fr, es and en; for Turkish our suffix stripper
    (``turkish_stem``), because Snowball's Turkish stemmer does not bring a bare noun and its
    inflections together ("oda" → "o", "odası" → "odas", "odaları" → "oda")."""
    folded = fold(word, language)
    if language == "tr":
        return _plain(turkish_stem(folded))
    result: str = _stemmer(language).stemWord(folded)
    return _plain(result)


# Nominal endings (plural, possessive, case), longest first. Stripping them to a rest of at
# least three letters with a vowel makes every form of a noun meet at one key; the key need
# not be a word ("pencere" and "pencereleri" both become "pencer"), it only has to agree.
_TR_SUFFIX_TEXT = (
    "larının lerinin larına lerine larında lerinde larından lerinden "
    "ları leri ların lerin lara lere larda lerde lardan lerden lar ler "
    "sının sinin sunun sünün sına sine suna süne sında sinde sunda sünde "
    "sından sinden sundan sünden ndan nden nda nde nın nin nun nün "
    "sı si su sü ın in un ün dan den tan ten da de ta te "
    "ya ye yı yi yu yü na ne ı i u ü a e"
)
_TR_SUFFIXES = sorted(_TR_SUFFIX_TEXT.split(), key=len, reverse=True)


def turkish_stem(word: str) -> str:
    """A lower-cased Turkish word without its nominal endings (at most three), with a final
    ğ softened back to k ("mutfağı" → "mutfak")."""
    for _ in range(3):
        for suffix in _TR_SUFFIXES:
            rest = word[: -len(suffix)]
            if word.endswith(suffix) and len(rest) >= 3 and any(c in _TR_VOWELS for c in rest):
                word = rest
                break
        else:
            break
    return word[:-1] + "k" if word.endswith("ğ") else word


def _plain(word: str) -> str:
    # Diacritics do not separate stems (écrit "pièce" / "piece", "Höhe" / "Hoehe" aside).
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ı", "i")


def words(text: str) -> Iterator[tuple[int, int, str]]:
    """Every word of ``text`` with its start and end offsets."""
    for match in _WORD.finditer(text):
        yield match.start(), match.end(), match.group()


def stems(text: str, language: str) -> list[str]:
    """The stems of every word of ``text``, in order (what the index holds)."""
    return [stem(word, language) for _, _, word in words(text)]


def query_stems(text: str, language: str) -> list[str]:
    """The distinct stems of a question, without its stop words."""
    seen: dict[str, None] = {}
    for _, _, word in words(text):
        if fold(word, language) in stop_words(language):
            continue
        seen.setdefault(stem(word, language), None)
    return list(seen)
