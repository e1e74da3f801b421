"""Reading an architect's feedback on a layout as brief edits, without a model (tr, en, de, fr, es).

The feedback is cut into clauses (punctuation and "and"/"ve"/"und"/"et"/"y"); each clause
gives one kind of edit for the rooms it names:

- an entrance with a side ("entrance on the north", "giriş kuzeyden") → ``entrance_side``;
- an open kitchen ("make the kitchen open", "mutfak açık olsun", "Küche offen") →
  ``open_kitchen`` true; a closed or separate one ("kapalı mutfak", "cuisine fermée") → false;
- an en-suite ("make the bathroom en-suite", "banyo yatak odasına açılsın", "Bad nur vom
  Schlafzimmer aus") → ``en_suite`` for the bathroom (or WC) the clause names, else a
  bathroom; with "add" ("ebeveyn banyosu ekle"), or naming only a bedroom ("make the master
  bedroom en-suite"), a bathroom is added first;
- two rooms and a relation ("bedrooms away from the entrance", "yatak odaları girişten
  uzak") → ``adjacency`` (away from → avoid, next to → prefer, not next to → avoid); the
  entrance is the hall;
- an area ("kitchen 15 m²") → ``set_room_area``; bigger or smaller ("daha büyük",
  "größer", "plus grande", "más grande", "20 % bigger") → ``scale_room_area``;
- fewer or without ("one bedroom less", "ohne WC") → ``remove_room``;
- more or add ("add a WC", "bir banyo daha") → ``add_room``.

A clause that names rooms and nothing else repeats the previous clause's edit for them
("bedrooms away from the entrance and the kitchen"), or waits for the next one ("the
kitchen and the living room bigger"). Whatever gives no edit is returned verbatim as not
understood. The feedback is only ever read for these patterns: it cannot instruct anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archbuilder.ai.brief_reader import (
    AREA,
    AWAY_FROM,
    CLOSED_KITCHEN,
    ENSUITE,
    LANGUAGES,
    NEXT_TO,
    OPEN_KITCHEN,
    ROOM_WORDS,
    area_m2,
    count_before,
    detect_language,
    negated,
    normalised,
    say,
)
from archbuilder.ai.outputs import BriefEdit, EditOp, RevisionDraft, brief_edit
from archbuilder.domain.brief import AdjacencyKind, RoomType, Side

_CLAUSES = re.compile(
    r"[.;!?\n]+|,|\s(?:and|but|also|then|ve|ama|ayrıca|sonra|und|aber|sowie|außerdem|et|mais|puis|y|e|pero"
    r"|además)\s"
)

# Room words feedback uses and a brief rarely does: Turkish plurals ("yatak odaları").
_MORE_ROOM_WORDS: dict[str, list[tuple[RoomType, str]]] = {
    "tr": [
        (RoomType.bedroom, r"yatak\s+oda\w*"),
        (RoomType.office, r"çal[ıi]şma\s+oda\w*"),
        (RoomType.meeting_room, r"toplant[ıi]\s+oda\w*"),
        (RoomType.living_room, r"oturma\s+oda\w*"),
        (RoomType.dining_room, r"yemek\s+oda\w*"),
        (RoomType.laundry, r"çamaş[ıi]r\s+oda\w*"),
    ],
}
# The entrance, read as the hall (the room a plan is entered by).
_ENTRANCE_ROOM: dict[str, str] = {
    "en": r"entrance(?:\s+hall)?|entry|front\s+door|hallways?|\bhalls?\b",
    "tr": r"giriş\w*|antre\w*|\bhol\w*",
    "de": r"eingang\w*|haustür\w*|\bdiele\w*|\bflur\w*",
    "fr": r"entrée\w*|vestibule\w*|\bhall\b",
    "es": r"entrada\w*|recibidor\w*|vestíbulo\w*|\bhall\b",
}
_ENTRANCE_WORD: dict[str, str] = {
    "en": r"entrance|entry|front\s+door",
    "tr": r"giriş\w*",
    "de": r"eingang\w*|haustür\w*",
    "fr": r"entrée\w*",
    "es": r"entrada\w*|puerta\s+principal",
}
# Sides per language; the ambiguous ones ("est" is also "is", "sur" also "on") need a cue.
_SIDE_WORDS: dict[str, dict[Side, str]] = {
    "en": {Side.north: r"\bnorth", Side.south: r"\bsouth", Side.east: r"\beast", Side.west: r"\bwest"},
    "tr": {Side.north: r"kuzey", Side.south: r"güney", Side.east: r"doğu", Side.west: r"bat[ıi]"},
    "de": {Side.north: r"\bnord", Side.south: r"\bsüd", Side.east: r"\bost", Side.west: r"\bwest"},
    "fr": {
        Side.north: r"\bnord\b",
        Side.south: r"\bsud\b",
        Side.east: r"(?:l['’]|côté\s+|façade\s+|orienté\w*\s+|plein\s+)est\b",
        Side.west: r"\bouest\b",
    },
    "es": {
        Side.north: r"\bnorte\b",
        Side.south: r"\bsur\b",
        Side.east: r"(?:al|el|del|lado|hacia\s+el|por\s+el|fachada)\s+este\b",
        Side.west: r"\boeste\b",
    },
}
_AWAY = (
    rf"{AWAY_FROM}|uza[kğ]\w*|weg\s+vo[nm]|entfernt\s+vo[nm]|abseits|fern\s+vo[nm]|à\s+l['’]écart\s+d\w*"
    r"|alejad\w*\s+de\w*|lejos"
)
_NEAR = rf"{NEXT_TO}|closer\s+to|näher\s+(?:an|zu)\w*|in\s+der\s+nähe|plus\s+près|más\s+cerca"
_NEGATION: dict[str, str] = {
    "en": r"\bnot\b|n['’]t\b|\bnever\b",
    "tr": r"olmas[ıi]n|değil|istemiyor\w*",
    "de": r"\bnicht\b|\bkein\w*",
    "fr": r"\bne\b|\bpas\b|\bn['’]",
    "es": r"\bno\b|\bnunca\b",
}
_BIGGER: dict[str, str] = {
    "en": (
        r"bigger|larger|more\s+spacious|more\s+(?:room|space)|enlarge\w*|increase\w*|expand\w*|extend\w*"
        r"|wider|grow"
    ),
    "tr": r"büyü\w*|büyük\w*|geniş\w*|ferah\w*",
    "de": r"größer\w*|vergrößer\w*|mehr\s+platz|breiter\w*|geräumiger\w*|erweiter\w*",
    "fr": r"plus\s+grand\w*|agrandi\w*|plus\s+spacieu\w*|plus\s+large\w*|plus\s+d['’]espace",
    "es": r"más\s+grande\w*|más\s+ampli\w*|ampli\w*|agrand\w*|más\s+espacio\w*",
}
_SMALLER: dict[str, str] = {
    "en": r"smaller|reduce\w*|shrink\w*|less\s+(?:room|space)|decrease\w*|narrower|tighter",
    "tr": r"küçü\w*|küçük\w*|daralt\w*|daha\s+az\s+(?:yer|alan)\w*",
    "de": r"kleiner\w*|verkleiner\w*|weniger\s+platz|schmaler\w*",
    "fr": r"plus\s+petit\w*|moins\s+grand\w*|rédui\w*|rétréci\w*|moins\s+d['’]espace",
    "es": r"más\s+pequeñ\w*|más\s+chic\w*|reduc\w*|menos\s+espacio|achic\w*",
}
_MUCH: dict[str, str] = {
    "en": r"\bmuch\b|a\s+lot|significantly|considerably|\bfar\b",
    "tr": r"\bçok\b|\bepey\w*|oldukça",
    "de": r"\bviel\b|deutlich|wesentlich|erheblich",
    "fr": r"beaucoup|nettement|\bbien\b",
    "es": r"\bmucho\b|bastante|considerablemente",
}
_SLIGHTLY: dict[str, str] = {
    "en": r"a\s+(?:bit|little)|slightly|somewhat",
    "tr": r"\bbiraz\b|hafif\w*",
    "de": r"\betwas\b|ein\s+bisschen|ein\s+wenig|leicht",
    "fr": r"un\s+peu|légèrement",
    "es": r"un\s+poco|\balgo\b|ligeramente",
}
_PERCENT = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(?:%|percent|per\s+cent|prozent|pour\s*cent|por\s+ciento)|(?:%|yüzde)\s*(\d+(?:[.,]\d+)?)"
)
# "Fewer" words remove one room when no number is given; the others remove every room named.
_FEWER: dict[str, str] = {
    "en": r"\bless\b|\bfewer\b",
    "tr": r"\beksi\w*|\baz\b",
    "de": r"\bweniger\b",
    "fr": r"\bmoins\b",
    "es": r"\bmenos\b",
}
_REMOVE: dict[str, str] = {
    "en": r"\bremove\w*|\bdelete\w*|\bdrop\w*|\bwithout\b|\bno\b|get\s+rid\s+of|\bskip\b|don['’]?t\s+need",
    "tr": r"kald[ıi]r\w*|ç[ıi]kar\w*|\bsil\w*|olmas[ıi]n|istemiyor\w*|gerek\s+yok|\biptal\w*",
    "de": r"entfern\w*|streich\w*|\bohne\b|\bkein\w*|weglass\w*|\bweg\b",
    "fr": r"supprim\w*|enlev\w*|retir\w*|\bsans\b|pas\s+de\b",
    "es": r"\bquit\w*|elimin\w*|\bsin\b|suprim\w*|\bsobra\w*",
}
# A bathroom that opens only into a bedroom, said the way feedback says it.
_OPENS_INTO_BEDROOM: dict[str, str] = {
    "en": (
        r"(?:open\w*|accessed|reached|entered)\s+(?:only\s+)?(?:in(?:to)?|from|through|via|off)\s+(?:the\s+|a\s+)?"
        r"(?:master\s+|main\s+|primary\s+)?bedroom"
    ),
    "tr": r"yatak\s+odas[ıi]na\s+açıl\w*|yatak\s+odas[ıi]ndan\s+(?:giril\w*|giriş\w*)",
    "de": (
        r"(?:nur\s+)?vo[mn]\s+(?:eltern)?schlafzimmer\s+(?:aus\s+)?(?:zugänglich|begehbar|erreichbar)"
        r"|zum\s+(?:eltern)?schlafzimmer\s+(?:hin\s+)?(?:öffnen|offen|geöffnet)"
    ),
    "fr": (
        r"(?:accessible|ouvr\w*|donn\w*)\s+(?:uniquement\s+|seulement\s+)?(?:depuis|sur|dans|par)"
        r"\s+la\s+chambre"
    ),
    "es": (
        r"(?:abra|abre|se\s+abra|acceso|accesible)\s+(?:solo\s+|sólo\s+|únicamente\s+)?(?:al|desde\s+el|por\s+el)"
        r"\s+dormitorio"
    ),
}
# Turkish denies with the verb: "açılmasın", "olmasın".
_NOT_VERB_TR = r"\w+m[ae]s[ıi]n\b|\w+m[ae]y\w*\b"
_ADD: dict[str, str] = {
    "en": r"\badd\w*|\banother\b|\bextra\b|\badditional\b|\bmore\b|\bplus\b|\bnew\b",
    "tr": r"\bekle\w*|\bilave\w*|\bdaha\b|\bfazla\w*|\bek\b",
    "de": r"zusätzlich\w*|\bnoch\b|hinzu\w*|ergänz\w*|\bweitere\w*|\bmehr\b|\bextra\b|\bneue\w*",
    "fr": r"\bajout\w*|de\s+plus\b|en\s+plus\b|supplémentaire\w*|\bautre\b|\bnouvel\w*",
    "es": r"\bañad\w*|\bagreg\w*|adicional\w*|\botr[oa]s?\b|\bmás\b|\bnuev[oa]s?\b|\bextra\b",
}


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    ref: str  # a room type value, or a room's name as the brief gives it
    type: RoomType


@dataclass
class _Reading:
    edits: list[BriefEdit]
    not_understood: list[str]
    assumptions: list[str]


def read_feedback(feedback: str, language: str, rooms: Sequence[Mapping[str, Any]] = ()) -> RevisionDraft:
    """Edits from ``feedback``; ``rooms`` are the brief's rooms (``type``, ``name``), for names.

    ``language`` is the brief's: the assumptions are said in it. The feedback is read in
    the language it is written in (detected; every language is tried, the reading with the
    most edits wins).
    """
    names = [(str(r["name"]), RoomType(r["type"])) for r in rooms if r.get("name")]
    detected = detect_language(feedback)
    order = list(dict.fromkeys([*(x for x in (detected, language) if x in LANGUAGES), *LANGUAGES]))
    best: _Reading | None = None
    for lang in order:
        reading = _read(feedback, lang, names, say_in=language if language in LANGUAGES else "en")
        if best is None or (len(reading.edits), -len(reading.not_understood)) > (
            len(best.edits),
            -len(best.not_understood),
        ):
            best = reading
    assert best is not None
    clauses = len(_clauses(feedback)) or 1
    understood = max(0, clauses - len(best.not_understood))
    confidence = 0.2 + 0.6 * understood / clauses if best.edits else 0.1
    return RevisionDraft(
        edits=best.edits[:20],
        not_understood=best.not_understood,
        assumptions=best.assumptions,
        confidence=round(confidence, 2),
    )


def _clauses(feedback: str) -> list[tuple[str, str]]:
    """(normalised, as written) pieces of the feedback."""
    pieces = []
    for raw in _CLAUSES.split(feedback):
        text = raw.strip(" \t-–—:\"'“”«»„")
        if text:
            pieces.append((normalised(text), text))
    return pieces


def _read(feedback: str, lang: str, names: list[tuple[str, RoomType]], *, say_in: str) -> _Reading:
    reading = _Reading(edits=[], not_understood=[], assumptions=[])
    previous: list[BriefEdit] = []
    waiting: list[tuple[list[_Mention], str]] = []
    for text, raw in _clauses(feedback):
        mentions = _mentions(text, lang, names)
        edits = _clause_edits(text, raw, lang, mentions, reading, say_in=say_in)
        if edits:
            for earlier, _ in waiting:
                edits = [*_repeat(edits, earlier), *edits]
            waiting = []
        elif mentions and previous:
            edits = _repeat(previous, mentions)
        elif mentions:
            waiting.append((mentions, raw))
            continue
        if not edits:
            reading.not_understood.append(raw)
            continue
        reading.edits += [e for e in edits if e not in reading.edits]
        previous = edits
    reading.not_understood += [raw for _, raw in waiting]
    return reading


def _repeat(edits: list[BriefEdit], mentions: list[_Mention]) -> list[BriefEdit]:
    """The edits of another clause, made for these rooms ("… and the kitchen")."""
    model = edits[-1]
    out: list[BriefEdit] = []
    for mention in mentions:
        if model.op is EditOp.adjacency:
            if mention.ref != model.a:
                out.append(model.model_copy(update={"b": mention.ref}))
        elif model.op is EditOp.add_room:
            out.append(model.model_copy(update={"type": mention.type}))
        elif model.op in (EditOp.scale_room_area, EditOp.set_room_area, EditOp.remove_room):
            out.append(model.model_copy(update={"room": mention.ref}))
    return out


def _clause_edits(
    text: str, raw: str, lang: str, mentions: list[_Mention], reading: _Reading, *, say_in: str
) -> list[BriefEdit]:
    side = _entrance_side(text, lang)
    if side is not None:
        return [brief_edit(EditOp.entrance_side, side=side)]
    kitchen = _kitchen(text, lang)
    if kitchen is not None:
        return [kitchen]
    en_suite = _en_suite(text, lang, mentions)
    if en_suite:
        return en_suite
    adjacency = _adjacency(text, lang, mentions)
    if adjacency is not None:
        return [adjacency]
    if not mentions:
        return []
    area = next(iter(AREA.finditer(text)), None)
    if area is not None:
        value = round(area_m2(area, lang), 1)
        return [brief_edit(EditOp.set_room_area, room=m.ref, area_m2=value) for m in mentions]
    factor = _factor(text, lang, raw, reading, say_in=say_in)
    if factor is not None:
        return [brief_edit(EditOp.scale_room_area, room=m.ref, factor=factor) for m in mentions]
    if re.search(_FEWER[lang], text) or re.search(_REMOVE[lang], text):
        fewer = re.search(_FEWER[lang], text) is not None
        out = []
        for m in mentions:
            count = count_before(text, m.start, lang)
            out.append(brief_edit(EditOp.remove_room, room=m.ref, count=count or (1 if fewer else None)))
        return out
    if re.search(_ADD[lang], text):
        return [
            brief_edit(EditOp.add_room, type=m.type, count=count_before(text, m.start, lang) or 1)
            for m in mentions
        ]
    return []


def _mentions(text: str, lang: str, names: Iterable[tuple[str, RoomType]]) -> list[_Mention]:
    """The rooms a clause names, in order: the brief's room names, room words, the entrance."""
    found: list[_Mention] = []

    def add(match: re.Match[str], ref: str, room_type: RoomType) -> None:
        start, end = match.span()
        if any(m.start < end and start < m.end for m in found):
            return
        found.append(_Mention(start, end, ref, room_type))

    for name, room_type in names:
        for match in re.finditer(rf"(?<!\w){re.escape(normalised(name))}(?!\w)", text):
            add(match, name, room_type)
    for room_type, pattern in [*_MORE_ROOM_WORDS.get(lang, []), *ROOM_WORDS[lang]]:
        for match in re.finditer(pattern, text):
            add(match, room_type.value, room_type)
    for match in re.finditer(_ENTRANCE_ROOM[lang], text):
        add(match, RoomType.hall.value, RoomType.hall)
    return sorted(found, key=lambda m: m.start)


def _entrance_side(text: str, lang: str) -> Side | None:
    if not re.search(_ENTRANCE_WORD[lang], text) or re.search(rf"{_AWAY}|{_NEAR}", text):
        return None
    for side, pattern in _SIDE_WORDS[lang].items():
        if re.search(pattern, text):
            return side
    return None


def _denied(text: str, span: tuple[int, int], lang: str) -> bool:
    """The clause says no to what it names ("don't open the kitchen", "açılmasın")."""
    return (
        negated(text, span, lang)
        or re.search(_NEGATION[lang], text) is not None
        or (lang == "tr" and re.search(_NOT_VERB_TR, text) is not None)
    )


def _kitchen(text: str, lang: str) -> BriefEdit | None:
    """An open kitchen (``open_kitchen`` true) or a closed one (false)."""
    if re.search(CLOSED_KITCHEN, text):
        return brief_edit(EditOp.open_kitchen, value=False)
    match = re.search(OPEN_KITCHEN, text)
    if match is None:
        return None
    return brief_edit(EditOp.open_kitchen, value=not _denied(text, match.span(), lang))


def _en_suite(text: str, lang: str, mentions: list[_Mention]) -> list[BriefEdit]:
    """An en-suite: the bathroom or WC the clause names, else a bathroom added for it."""
    match = re.search(ENSUITE, text) or re.search(_OPENS_INTO_BEDROOM[lang], text)
    if match is None:
        return []
    denied = _denied(text, match.span(), lang)
    wet = next((m for m in mentions if m.type in (RoomType.bathroom, RoomType.wc)), None)
    if denied:
        return [brief_edit(EditOp.en_suite, room=wet.ref if wet else RoomType.bathroom.value, value=False)]
    bedroom = any(m.type is RoomType.bedroom for m in mentions)
    if re.search(_ADD[lang], text) or (wet is None and bedroom):
        # "add an en-suite", "make the master bedroom en-suite": a bathroom of its own
        room_type = wet.type if wet else RoomType.bathroom
        count = (count_before(text, wet.start, lang) if wet else None) or 1
        return [
            brief_edit(EditOp.add_room, type=room_type, count=count),
            brief_edit(EditOp.en_suite, room=room_type.value, value=True),
        ]
    return [brief_edit(EditOp.en_suite, room=wet.ref if wet else RoomType.bathroom.value, value=True)]


def _adjacency(text: str, lang: str, mentions: list[_Mention]) -> BriefEdit | None:
    kinds = []
    for pattern, kind in ((_AWAY, AdjacencyKind.avoid), (_NEAR, AdjacencyKind.prefer)):
        match = re.search(pattern, text)
        if match is not None:
            kinds.append((match, kind))
    if not kinds:
        return None
    match, kind = min(kinds, key=lambda item: item[0].start())
    if kind is AdjacencyKind.prefer and re.search(_NEGATION[lang], text):
        kind = AdjacencyKind.avoid
    before = [m for m in mentions if m.end <= match.start()]
    after = [m for m in mentions if m.start >= match.end()]
    if lang == "tr" and len(before) >= 2:
        # Turkish postpositions follow both rooms: "yatak odaları girişten uzak".
        a, b = before[-2], before[-1]
    elif before and after:
        a, b = before[-1], after[0]
    else:
        return None
    if a.ref == b.ref:
        return None
    return brief_edit(EditOp.adjacency, a=a.ref, b=b.ref, kind=kind)


def _factor(text: str, lang: str, raw: str, reading: _Reading, *, say_in: str) -> float | None:
    bigger = re.search(_BIGGER[lang], text)
    smaller = re.search(_SMALLER[lang], text)
    if not bigger and not smaller:
        return None
    grow = bigger is not None and (smaller is None or bigger.start() < smaller.start())
    percent = _PERCENT.search(text)
    if percent:
        share = float((percent.group(1) or percent.group(2)).replace(",", ".")) / 100
        factor = 1 + share if grow else 1 - share
        return round(min(4.0, max(0.25, factor)), 2)
    if re.search(_MUCH[lang], text):
        factor = 1.5 if grow else 0.67
    elif re.search(_SLIGHTLY[lang], text):
        factor = 1.1 if grow else 0.9
    else:
        factor = 1.25 if grow else 0.8
    change = f"{'+' if factor > 1 else '−'}{abs(round((factor - 1) * 100))} %"
    reading.assumptions.append(say("feedback_amount", say_in, phrase=raw, change=change))
    return factor
