"""Reading a brief written in plain language, without a model (tr, en, de, fr, es).

Regional conventions are counted the way people there mean them:

- Turkish ``3+1``: three bedrooms and one living room (``salon``).
- German ``3-Zimmer``: three rooms including the living room, so two bedrooms; kitchen,
  bath and hall are not counted. A half room (``3,5 Zimmer``) is a dining area.
- French ``T3``/``F3``/``3 pièces``: three main rooms, so two bedrooms and a séjour.
- Spanish ``3 dormitorios``/``3 habitaciones`` and English ``3 bed``: bedrooms.

Areas become gross m² (square feet converted). Whatever is not in the text is assumed,
and every assumption is said in the brief's language.

The fields that shape the plan are set only from words that mean them: an open kitchen
(``open_kitchen``, "açık mutfak", "offene Küche"), an en-suite bathroom (a bathroom with
``en_suite``, "ebeveyn banyosu", "Elternbad") and party walls (``party_walls``): the sides a
text names ("Brandwand im Osten", "mur mitoyen à l'ouest"), or, for a terrace or row house
("Reihenhaus", "bitişik nizam"), the two sides either side of the entrance, for an
end-of-terrace or semi-detached house one of them, said as an assumption. A word that only
hints at a shared wall ("maison mitoyenne", "köşe", a roof terrace) sets none.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from archbuilder.ai.outputs import AdjacencyDraft, BriefDraft
from archbuilder.domain.brief import AdjacencyKind, BuildingType, RoomType, Side

SQ_FT_TO_M2 = 0.09290304
MAX_COUNT = 30
_SAYINGS = Path(__file__).with_name("data") / "sayings.yaml"
LANGUAGES = ("tr", "en", "de", "fr", "es")

# Typical gross area per room, to estimate a total when the text gives none
# (net room areas plus ~25 % for walls and circulation).
_TYPICAL_M2 = {
    RoomType.living_room: 25.0,
    RoomType.dining_room: 12.0,
    RoomType.kitchen: 10.0,
    RoomType.bedroom: 12.0,
    RoomType.bathroom: 5.0,
    RoomType.wc: 2.5,
    RoomType.hall: 6.0,
    RoomType.corridor: 6.0,
    RoomType.storage: 4.0,
    RoomType.laundry: 5.0,
    RoomType.office: 12.0,
    RoomType.meeting_room: 16.0,
    RoomType.reception: 15.0,
    RoomType.technical: 5.0,
}

_NUMBER_WORDS: dict[str, dict[str, int]] = {
    "en": {"one": 1, "a": 1, "an": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6},
    "tr": {"bir": 1, "iki": 2, "üç": 3, "dört": 4, "beş": 5, "altı": 6},
    "de": {
        "ein": 1,
        "eine": 1,
        "einem": 1,
        "einer": 1,
        "zwei": 2,
        "drei": 3,
        "vier": 4,
        "fünf": 5,
        "sechs": 6,
    },
    "fr": {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6},
    "es": {"un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6},
}

# Room words per language (regular expressions on lower-cased text). Order matters only
# within one language: longer phrases first, so "salle de bains" is not also a "salle".
_ROOM_WORDS: dict[str, list[tuple[RoomType, str]]] = {
    "en": [
        (RoomType.bathroom, r"(?:full\s+)?bath(?:room)?s?\b|\bba\b"),
        (RoomType.wc, r"half[\s-]baths?|powder\s+rooms?|guest\s+(?:wc|toilet)s?|\bwcs?\b|toilets?"),
        (RoomType.bedroom, r"bed(?:room)?s?\b|\bbr\b|\bbd\b"),
        (RoomType.living_room, r"living\s*(?:room|area)s?|lounges?|family\s+rooms?|great\s+rooms?"),
        (RoomType.dining_room, r"dining\s*(?:room|area)?s?"),
        (RoomType.kitchen, r"kitchens?\b"),
        (RoomType.office, r"home\s+offices?|stud(?:y|ies)\b|offices?\b"),
        (RoomType.meeting_room, r"meeting\s+rooms?|conference\s+rooms?"),
        (RoomType.reception, r"receptions?\b|lobby"),
        (RoomType.storage, r"storage(?:\s+rooms?)?|pantry|pantries"),
        (RoomType.laundry, r"laundry(?:\s+rooms?)?|utility\s+rooms?"),
        (RoomType.hall, r"entrance\s+halls?|foyer"),
    ],
    "tr": [
        (RoomType.bedroom, r"yatak\s+odas[ıi]\w*"),
        (RoomType.office, r"çal[ıi]şma\s+odas[ıi]\w*|ofis\s+odas[ıi]\w*"),
        (RoomType.meeting_room, r"toplant[ıi]\s+odas[ıi]\w*|toplant[ıi]\s+salon\w*"),
        (RoomType.living_room, r"salon\w*|oturma\s+odas[ıi]\w*"),
        (RoomType.dining_room, r"yemek\s+odas[ıi]\w*"),
        (RoomType.kitchen, r"mutfa[kğ]\w*"),
        (RoomType.bathroom, r"banyo\w*"),
        (RoomType.wc, r"tuvalet\w*|\bwc\b|lavabo\w*"),
        (RoomType.storage, r"kiler\w*|depo\w*"),
        (RoomType.laundry, r"çamaş[ıi]r\s+odas[ıi]\w*"),
        (RoomType.reception, r"resepsiyon\w*|karşılama\w*"),
        (RoomType.hall, r"antre\w*|giriş\s+hol\w*"),
    ],
    "de": [
        (RoomType.bedroom, r"schlafzimmer\w*|kinderzimmer\w*"),
        (RoomType.living_room, r"wohnzimmer\w*|wohnraum\w*|wohnbereich\w*"),
        (RoomType.dining_room, r"esszimmer\w*|essbereich\w*|essplatz\w*"),
        (RoomType.kitchen, r"\w*küche\w*"),
        (RoomType.wc, r"gäste-?wc\w*|\bwcs?\b|toilette\w*"),
        (RoomType.bathroom, r"badezimmer\w*|duschbad\w*|\bbädern?\b|\bbad\b|\bbads\b"),
        (RoomType.office, r"arbeitszimmer\w*|büroräume\b|büros\b|einzelbüros?\b|homeoffice"),
        (RoomType.meeting_room, r"besprechungsr[äa]um\w*|konferenzr[äa]um\w*"),
        (RoomType.reception, r"empfang\w*"),
        (RoomType.storage, r"abstellr[äa]um\w*|speisekammer\w*"),
        (RoomType.laundry, r"hauswirtschaftsr[äa]um\w*|waschküche\w*"),
        (RoomType.hall, r"diele\w*|flur\w*"),
    ],
    "fr": [
        (RoomType.bathroom, r"salles?\s+de\s+bains?|salles?\s+d['’]eau"),
        (RoomType.meeting_room, r"salles?\s+de\s+réunion"),
        (RoomType.dining_room, r"salles?\s+à\s+manger|coin\s+repas"),
        (RoomType.bedroom, r"chambres?"),
        (RoomType.living_room, r"séjours?|salons?|pièces?\s+à\s+vivre"),
        (RoomType.kitchen, r"cuisines?"),
        (RoomType.wc, r"\bwcs?\b|toilettes?"),
        (RoomType.office, r"bureaux\b|bureau\b"),
        (RoomType.reception, r"accueil\b|réception\b"),
        (RoomType.storage, r"cellier\w*|rangement\w*|débarras"),
        (RoomType.laundry, r"buanderie\w*"),
        (RoomType.hall, r"\bentrée\b"),
    ],
    "es": [
        (RoomType.bedroom, r"dormitorios?|habitaciones|habitación|recámaras?"),
        (RoomType.wc, r"aseos?\b|\bwc\b|medio\s+baño"),
        (RoomType.bathroom, r"baños?\b"),
        (RoomType.meeting_room, r"salas?\s+de\s+reuniones"),
        (RoomType.living_room, r"salón|salones|sala\s+de\s+estar|estar\b"),
        (RoomType.dining_room, r"comedor\w*"),
        (RoomType.kitchen, r"cocinas?"),
        (RoomType.office, r"despachos?|oficinas?\s+individuales|estudio\s+de\s+trabajo"),
        (RoomType.reception, r"recepción"),
        (RoomType.storage, r"trastero\w*|despensa\w*"),
        (RoomType.laundry, r"lavadero\w*|cuarto\s+de\s+lavado"),
        (RoomType.hall, r"recibidor\w*|vestíbulo\w*"),
    ],
}

_BUILDING_WORDS: dict[BuildingType, str] = {
    BuildingType.office: (
        r"office\s+(?:space|floor|building|for)|offices?\s+of\s+\d|coworking|bürofläche|büroetage|büro\s+(?:für|mit)"
        r"|bürogebäude|plateau\s+de\s+bureaux|bureaux\s+(?:de|pour)|oficina\s+(?:de|para)|oficinas\s+de|ofis\s+kat"
        r"|ofis\b|\bbüro\b"
    ),
    BuildingType.house: (
        r"\bhouse\b|bungalow|ranch|cottage|villa|townhouse|detached|müstakil|\bev\b|dubleks\s+villa|haus\b"
        r"|einfamilienhaus|doppelhaus\w*|reihenhaus|maison|pavillon|\bcasa\b|chalet|unifamiliar|adosado"
        r"|row\s*house|terraced|mid[\s-]?terrace|end[\s-]+(?:of[\s-]+)?terrace|semi[\s-]?detached|pareado|pareada"
    ),
    BuildingType.apartment: (
        r"apartment|flat\b|condo|daire|wohnung|appartement|\bpiso\b|apartamento|\bstudio\b|estudio\b"
    ),
}

_APARTMENT_WORD = {"en": "apartment", "tr": "daire", "de": "Wohnung", "fr": "appartement", "es": "piso"}

_SIDES: dict[Side, str] = {
    Side.north: r"north\w*|kuzey\w*|nord\w*|norden|norte",
    Side.south: r"south\w*|güney\w*|süd\w*|\bsud\b|\bsur\b",
    Side.east: r"east\w*|doğu\w*|\bost\w*|\best\b|\beste\b",
    Side.west: r"west\w*|bat[ıi]\w*|ouest|oeste",
}
_ENTRANCE = r"entrance|entry|front\s+door|giriş\w*|eingang\w*|entrée|entrada"
_ORIENTATION = (
    r"(?:fac\w+|bakmal\w*|bakan|bakıyor|cephe\w*|ausgerichtet|orient\w*|exposé\w*|nach|vers|hacia|to\s+the)"
)
_OPEN_KITCHEN = (
    r"open[\s-]*(?:plan\s+)?kitchen|open[\s-]*plan\s+(?:[^\W\d_]+\s*(?:/|,|&|-)?\s*){1,4}?kitchen"
    r"|kitchen\s+open\w*|open\s+(?:up\s+)?the\s+kitchen|açık\s+mutfak|amerikan\s+mutfa\w*"
    r"|mutfa\w*\s+salon\w*\s+açık|mutfa\w*\s+(?:salon\w*\s+)?açıl\w*|mutfa\w*\s+açık|offene\w*\s+küche"
    r"|küche\s+offen|küche\s+(?:zum\s+wohn\w*\s+)?öffnen|wohnküche|cuisine\s+ouverte|cuisine\s+américaine"
    r"|ouvrir\s+la\s+cuisine|cocina\s+abierta|cocina\s+americana|cocina\s+integrada|abrir\s+la\s+cocina"
)
# A kitchen with a door: the default, named so that feedback can ask for it back.
_CLOSED_KITCHEN = (
    r"(?:closed|separate|enclosed)\s+kitchen|kitchen\s+(?:closed|separate)\w*|close\s+(?:off\s+)?the\s+kitchen"
    r"|kapal[ıi]\s+mutfak|mutfa\w*\s+kapal[ıi]|ayr[ıi]\s+mutfak|mutfa\w*\s+ayr[ıi]|geschlossene\w*\s+küche"
    r"|küche\s+(?:geschlossen|separat|abgetrennt)|separate\w*\s+küche|cuisine\s+(?:fermée|séparée|indépendante)"
    r"|cocina\s+(?:cerrada|independiente|separada)"
)
# Words that say "not" just before an open kitchen ("keine offene Küche"), or after it in Turkish.
_NOT_BEFORE: dict[str, str] = {
    "en": r"\b(?:no|not|without|never|don['’]?t\s+want)\b(?:\s+(?:an?|the))?\s*$",
    "tr": r"(?!)",
    "de": r"\b(?:kein\w*|ohne|nicht)\b(?:\s+(?:eine?n?|die))?\s*$",
    "fr": r"\b(?:pas\s+d[e'’]|sans|ni)\s*(?:une?\s+|la\s+)?$",
    "es": r"\b(?:sin|no|nada\s+de)\b(?:\s+(?:una?|la))?\s*$",
}
_NOT_AFTER_TR = r"^\s*(?:[^\W\d_]+\s+)?(?:istemiyor\w*|istemem\w*|olmas[ıi]n|olmayacak|olmamal[ıi]|değil|yok)"
# An en-suite: a bathroom that opens only into a bedroom. The bathroom word inside (or right
# beside) the phrase is that bathroom, not another one.
_ENSUITE = (
    r"en[\s-]?suites?(?:\s+(?:bath(?:room)?s?|shower\s+rooms?))?|master\s+(?:bath(?:room)?s?|suite)"
    r"|primary\s+(?:bath(?:room)?s?|suite)|ebeveyn\s+banyo\w*|banyolu\s+(?:ebeveyn\s+)?yatak\s+odas\w*"
    r"|elternbad\w*|bad\s+en\s+suite|suite\s+parentale|salles?\s+d['’]eau\s+(?:attenante|privative)s?"
    r"|salles?\s+de\s+bains?\s+(?:attenante|privative)s?|baños?\s+en\s+suite|baños?\s+privados?"
    r"|(?:dormitorio|habitación)\s+principal\s+con\s+baño"
)
# "3 bathrooms, one of them en-suite": the en-suite is one of the bathrooms counted.
_AMONG = (
    r"of\s+(?:them|which)|including|incl\.|biri\w*|davon|darunter|\bdont\b|incluid\w*|de\s+(?:ellos|los\s+cuales)"
    r"|[,(]\s*(?:one|uno|una|eine?s?|une)(?:\s+(?:with|mit|avec|con))?\s*$"
)
_EVERY = {
    "en": r"\b(?:each|every|all)\b",
    "tr": r"\bher\b",
    "de": r"\b(?:jede[sm]?|alle)\b",
    "fr": r"\b(?:chaque|toutes)\b",
    "es": r"\b(?:cada|todos)\b",
}

# Party walls: sides shared with a neighbour. Side words per language; the ambiguous ones
# need a cue (French "est" is also "is", Spanish "este" also "this", "sur" "on").
_PARTY_SIDES: dict[str, dict[Side, str]] = {
    "en": {
        Side.north: r"north(?:ern)?",
        Side.east: r"east(?:ern)?",
        Side.south: r"south(?:ern)?",
        Side.west: r"west(?:ern)?",
    },
    "tr": {
        Side.north: r"kuzey\w*",
        Side.east: r"doğu(?!m)\w*",
        Side.south: r"güney\w*",
        Side.west: r"bat[ıi]\w*",
    },
    "de": {
        Side.north: r"nord\w*|nördlich\w*",
        Side.east: r"ost\w*|östlich\w*",
        Side.south: r"süd\w*",
        Side.west: r"west\w*",
    },
    "fr": {
        Side.north: r"nord",
        Side.east: r"(?:l['’]|côté\s+|façade\s+|pignon\s+|plein\s+)est",
        Side.south: r"sud",
        Side.west: r"(?:l['’])?ouest",
    },
    "es": {
        Side.north: r"norte",
        Side.east: r"(?:al|el|del|lado|hacia\s+el|por\s+el|fachada|y)\s+este",
        Side.south: r"sur",
        Side.west: r"oeste",
    },
}
# A wall shared with a neighbour, named with its side ("Brandwand im Osten").
_PARTY_WALL: dict[str, str] = {
    "en": r"party[\s-]walls?|shared\s+walls?|common\s+walls?|adjoining\s+walls?|neighbou?rs?['’]?s?\s+walls?",
    "tr": r"komşu\s+duvar\w*|ortak\s+duvar\w*|kalkan\s+duvar\w*|komşuya\s+bitişik\w*",
    "de": r"brandw[äa]nd\w*|kommunw[äa]nd\w*|grenzw[äa]nd\w*|nachbarw[äa]nd\w*|grenzbebauung",
    "fr": r"murs?\s+mitoyens?|mitoyen\w*",
    "es": r"(?:paredes?\s+|muros?\s+)?medianer[ao]s?|paredes?\s+compartid[ao]s?",
}
# The same words when no side comes with them: a shared wall, side unknown, so none is set.
_PARTY_HINT: dict[str, str] = {**_PARTY_WALL, "fr": r"murs?\s+mitoyens?|maisons?\s+mitoyennes?|mitoyenneté"}
# Between a wall word and its sides (before the sides only a few words that say "side").
_PARTY_FILL_AFTER = r"(?:[\s'’-]+(?!entrance|entry|giriş|eingang|entrée|entrada)[^\W\d_]+){0,4}?[\s'’-]+"
_PARTY_FILL_BEFORE = (
    r"(?:[\s-]+(?:sides?|fa[cç]ades?|seite\w*|cephe\w*|taraf\w*|yan\w*|côté|lado|wall\s+is\s+an?|is\s+an?"
    r"|ist\s+eine?|the|die|der|la|le|el))*[\s'’-]+"
)
# A terrace or row house shares the two sides either side of its entrance.
_ROW_HOUSE: dict[str, str] = {
    "en": (
        r"mid[\s-]?terrace\w*|terraced?\s+(?:house|home)s?|row\s*(?:house|home)s?|town-?houses?"
        r"|(?:party|shared|common)\s+walls?\s+(?:on\s+)?both\s+sides"
    ),
    "tr": r"bitişik\s+nizam\w*|s[ıi]ra\s+ev\w*|iki\s+yan\w*\s+(?:komşu|bitişik)\w*",
    "de": (
        r"reihenmittelhaus\w*|reihenhaus\w*|mittelhaus\w*|beidseitig\w*\s+(?:angebaut|grenzständig|brandw\w*)"
        r"|brandw[äa]nde?\s+(?:auf\s+|an\s+)?beiden\s+seiten"
    ),
    "fr": r"maisons?\s+en\s+bande|(?:maisons?\s+|murs?\s+)?mitoyen\w*\s+des\s+deux\s+côtés",
    "es": (
        r"(?:casa|vivienda|chalet|unifamiliar)\w*\s+adosad[ao]s?|(?:^|\bun\s+|\bel\s+)adosado\b|entre\s+medianeras"
        r"|(?:casas?|viviendas?)\s+en\s+hilera|medianeras?\s+a\s+ambos\s+lados"
    ),
}
# An end-of-terrace or semi-detached house shares one of them.
_END_HOUSE: dict[str, str] = {
    "en": r"end[\s-]+(?:of[\s-]+)?terrace\w*|end[\s-]unit|semi[\s-]?detached",
    "tr": r"ikiz\s+nizam\w*|ikiz\s+(?:ev|villa)\w*",
    "de": (
        r"reihenendhaus\w*|reiheneckhaus\w*|doppelhaushälfte\w*|doppelhaus\b|\bdhh\b"
        r"|einseitig\w*\s+angebaut"
    ),
    "fr": (
        r"(?:maison|villa|pavillon)s?\s+jumelée?s?|jumelée?s?\s+(?:par|d['’]un|sur\s+un)\b|semi[\s-]mitoyenn?e?s?"
        r"|mitoyenn?e?s?\s+(?:d['’]un|sur\s+un)\s+(?:seul\s+)?côté"
        r"|en\s+bout\s+de\s+bande"
    ),
    "es": (
        r"pareado\w*|pareada\w*|adosad[ao]s?\s+(?:de\s+|en\s+)?esquina|esquina\w*\s+adosad\w*"
        r"|una\s+(?:sola\s+)?medianera|medianera\s+a\s+un\s+lado"
    ),
}
# Turkish zoning: a corner plot in "bitişik nizam" touches one neighbour only ("köşe" alone says nothing).
_CORNER_TR = r"köşe\w*"
_NEXT_TO = (
    r"next\s+to|adjacent\s+to|beside|near|close\s+to|yan[ıi]nda|bitişi\w*|yak[ıi]n\w*|neben|angrenzend\s+an|nahe"
    r"|à\s+côté\s+d[eu]|près\s+d[eu]|attenante?\s+à|junto\s+a[l]?|al\s+lado\s+de[l]?|cerca\s+de[l]?"
)
_AWAY_FROM = r"away\s+from|far\s+from|uzak\w*|weit\s+weg\s+von|entfernt\s+von|loin\s+d[eu]|lejos\s+de[l]?"

_NUM = r"\d{1,3}(?:[.,\s\u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_M2 = (
    r"m²|m2\b|m\^2|qm\b|sqm\b|sq\.?\s*m\b|square\s+met(?:er|re)s?|metros?\s+cuadrados|mètres?\s+carrés"
    r"|quadratmeter|metrekare|mq\b"
)
_FT2 = r"sq\.?\s*ft\.?|sqft|square\s+f(?:ee|oo)t|ft²|ft2\b|\bsf\b|pies\s+cuadrados|pieds\s+carrés"
_AREA = re.compile(rf"(?P<num>{_NUM})\s*(?:(?P<m2>{_M2})|(?P<ft2>{_FT2}))")


@dataclass
class _Reading:
    language: str
    text: str
    rooms: Counter[RoomType] = field(default_factory=Counter)
    targets: dict[RoomType, float] = field(default_factory=dict)
    adjacency: list[AdjacencyDraft] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    evidence: int = 0  # how many facts came from the text, not from defaults
    open_kitchen: bool = False
    en_suite: int = 0  # bathrooms that open only into a bedroom (besides ``rooms``)
    party_walls: list[Side] = field(default_factory=list)
    # Phrases read as an en-suite or a party wall: their words are not read again as a room,
    # a "next to" wish or an orientation.
    ensuite_spans: list[tuple[int, int]] = field(default_factory=list)
    party_spans: list[tuple[int, int]] = field(default_factory=list)


@cache
def _sayings() -> dict[str, dict[str, str]]:
    with _SAYINGS.open(encoding="utf-8") as fh:
        data: dict[str, dict[str, str]] = yaml.safe_load(fh)
    return data


def say(key: str, language: str, **params: object) -> str:
    """A built-in sentence (``data/sayings.yaml``) in ``language``."""
    entry = _sayings()[key]
    return (entry.get(language) or entry["en"]).format(**params)


def normalised(text: str) -> str:
    """NFC, lower case (Turkish dotted capital I kept as i), single spaces."""
    text = unicodedata.normalize("NFC", text).replace("İ", "i")
    return re.sub(r"\s+", " ", text.lower()).strip()


_LANGUAGE_MARKERS: dict[str, str] = {
    "tr": r"\d\s*\+\s*\d|daire|oda|salon|mutfak|banyo|metrekare|[ğışı]|\bve\b|\bile\b|olmal",
    "de": r"zimmer|wohnung|küche|\bbad\b|bäder|\bmit\b|\bund\b|\bder\b|\bdie\b|\bdas\b|ß|qm\b",
    "fr": r"\bt\d\b|\bf\d\b|pièces?|chambres?|cuisine|séjour|salle|\bavec\b|\bet\b|\bde\b|\bune?\b",
    "es": r"piso|dormitorios?|habitaci|baños?|cocina|salón|\bcon\b|\by\b|\bde\b|ñ",
    "en": r"\bbed|\bbath|kitchen|living|\bwith\b|\band\b|\bthe\b|sq\.?\s*ft|square|house|apartment",
}


def detect_language(text: str) -> str | None:
    """The most likely of the five languages, or None when nothing points to one."""
    low = normalised(text)
    scores = {lang: len(re.findall(pattern, low)) for lang, pattern in _LANGUAGE_MARKERS.items()}
    best = max(scores.values())
    if best == 0:
        return None
    # Ties go to the first language in a stable order (strong regional markers first).
    return next(lang for lang in ("tr", "de", "fr", "es", "en") if scores[lang] == best)


def parse_number(raw: str, language: str) -> float:
    """``1,500`` (en) and ``1.500`` (de) are thousands; ``85,5`` is a decimal comma."""
    s = re.sub(r"[\s\u00a0\u202f]", "", raw)
    if "," in s and "." in s:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        return float(s.replace(thousands, "").replace(decimal, "."))
    if "," in s:
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", s) and language == "en":
            return float(s.replace(",", ""))
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", s) and len(s.split(",")[-1]) == 3 and int(s.split(",")[0]) > 0:
            # "1,500" outside English is still more often thousands than three decimals.
            return float(s.replace(",", ""))
        return float(s.replace(",", "."))
    if "." in s and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s) and language != "en":
        return float(s.replace(".", ""))
    return float(s)


def _count_before(text: str, start: int, language: str) -> int | None:
    """The number written just before a room word ("2 große Schlafzimmer", "three bedrooms")."""
    window = text[max(0, start - 24) : start]
    words = "|".join(sorted(_NUMBER_WORDS.get(language, {}), key=len, reverse=True))
    number = rf"(\d+(?:[.,]5)?|{words})" if words else r"(\d+(?:[.,]5)?)"
    found = re.search(rf"(?:^|[^\w.,+]){number}\s*[-x×]?\s*(?:[^\W\d_]+\s+)?$", window)
    if not found:
        return None
    token = found.group(1)
    if token[0].isdigit():
        value = float(token.replace(",", "."))
        # Beyond what one brief can hold (RoomDraft allows 30): not a room count.
        return int(value) if 1 <= value <= MAX_COUNT else None
    return _NUMBER_WORDS[language].get(token)


def read_brief(text: str, language: str | None = None, region: str | None = None) -> BriefDraft:
    """Read ``text`` into a draft brief, saying what was assumed."""
    low = normalised(text)
    lang = language if language in LANGUAGES else (detect_language(text) or "en")
    assert lang is not None
    reading = _Reading(language=lang, text=low)
    reading.ensuite_spans = [m.span() for m in re.finditer(_ENSUITE, low)]
    party = _party_phrases(reading)
    building_type = _building_type(reading)
    area = _areas(reading)
    convention = _regional_counts(reading)
    _room_words(reading, building_type, skip=convention)
    _wishes(reading, building_type)
    entrance = _entrance(low, skip=reading.party_spans)
    _party_walls(reading, party, entrance)
    _defaults(reading, building_type)
    if area is None:
        counted = Counter(reading.rooms)
        counted[RoomType.bathroom] += reading.en_suite
        area = round(sum(_TYPICAL_M2[t] * n for t, n in counted.items()) * 1.25 / 5) * 5
        area = max(area, 20.0)
        reading.assumptions.append(say("no_area", lang, value=_fmt(area)))
    # Validated as one draft, so that a count past what a draft holds ("20 bedrooms plus
    # 20 bedrooms") is reported at its place in the list (``rooms.2.count``).
    rooms: list[dict[str, object]] = []
    for room_type, count in sorted(reading.rooms.items(), key=lambda item: list(RoomType).index(item[0])):
        if count > 0:
            target = reading.targets.get(room_type)
            rooms.append(
                {"type": room_type, "count": count, "name": None, "target_area_m2": target, "en_suite": False}
            )
        if room_type is RoomType.bathroom and reading.en_suite:
            rooms.append(
                {
                    "type": RoomType.bathroom,
                    "count": reading.en_suite,
                    "name": None,
                    "target_area_m2": None,
                    "en_suite": True,
                }
            )
    confidence = min(0.95, 0.35 + 0.15 * min(reading.evidence, 4))
    return BriefDraft.model_validate(
        {
            "building_type": building_type,
            "total_area_m2": round(area, 1),
            "rooms": rooms,
            "adjacency": reading.adjacency,
            "entrance_side": entrance,
            "open_kitchen": reading.open_kitchen,
            "party_walls": reading.party_walls,
            "confidence": round(confidence, 2),
            "assumptions": reading.assumptions,
        }
    )


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _building_type(reading: _Reading) -> BuildingType:
    for building_type, pattern in _BUILDING_WORDS.items():
        if re.search(pattern, reading.text):
            reading.evidence += 1
            return building_type
    name = _APARTMENT_WORD.get(reading.language, "apartment")
    reading.assumptions.append(say("building_type_default", reading.language, building_type=name))
    return BuildingType.apartment


def _areas(reading: _Reading) -> float | None:
    """The gross area (the largest one given); smaller areas after a room word become its target."""
    found: list[tuple[float, int, bool, float]] = []
    for match in _AREA.finditer(reading.text):
        value = parse_number(match.group("num"), reading.language)
        in_feet = match.group("ft2") is not None
        found.append((value * SQ_FT_TO_M2 if in_feet else value, match.start(), in_feet, value))
    if not found:
        return None
    total = max(found, key=lambda item: item[0])
    for m2, start, _, _ in found:
        if m2 == total[0] and start == total[1]:
            continue
        room = _room_word_before(reading, start)
        if room is not None:
            reading.targets[room] = round(m2, 1)
    m2, _, in_feet, raw = total
    if in_feet:
        reading.assumptions.append(
            say("area_converted", reading.language, value_ft2=_fmt(raw), value_m2=_fmt(round(m2, 1)))
        )
    reading.evidence += 1
    return m2


def _room_word_before(reading: _Reading, start: int) -> RoomType | None:
    window = reading.text[max(0, start - 30) : start]
    last: tuple[int, RoomType] | None = None
    for room_type, pattern in _ROOM_WORDS[reading.language]:
        for match in re.finditer(pattern, window):
            if last is None or match.start() > last[0]:
                last = (match.start(), room_type)
    return last[1] if last else None


def _regional_counts(reading: _Reading) -> set[RoomType]:
    """Counts written the regional way; returns the room types they settle."""
    text, lang = reading.text, reading.language
    turkish = re.search(r"(?<![\d.,])(\d)\s*\+\s*(\d)(?![\d])", text)
    if turkish:
        bedrooms, living = int(turkish.group(1)), int(turkish.group(2))
        if living == 0:  # 1+0 is a studio: one room that is living and sleeping space
            bedrooms, living = 0, 1
        return _settle(reading, turkish.group(0), bedrooms, living)
    german = re.search(r"(\d+)(?:[,.](5))?\s*-?\s*(?:zimmer|zi\.?)(?:\s*-?\s*(?:wohnung|whg))?", text)
    if german:
        rooms = int(german.group(1))
        settled = _settle(reading, german.group(0), max(rooms - 1, 0), 1)
        if german.group(2):
            reading.rooms[RoomType.dining_room] += 1
            reading.assumptions.append(say("half_room", lang))
        return settled
    french = re.search(r"\b[tf]\s?(\d)\b|(\d)\s*pièces?(?!\s+(?:à|d))", text)
    if french and (lang == "fr" or french.group(1) is not None and lang not in ("en",)):
        rooms = int(french.group(1) or french.group(2))
        return _settle(reading, french.group(0), max(rooms - 1, 0), 1)
    english = re.search(r"(\d+)\s*(?:br|bd)\s*/?\s*(\d+(?:\.5)?)\s*ba\b", text)
    if english:
        baths = float(english.group(2))
        reading.rooms[RoomType.bedroom] = int(english.group(1))
        reading.rooms[RoomType.bathroom] = int(baths)
        if baths % 1:
            reading.rooms[RoomType.wc] += 1
        reading.evidence += 2
        return {RoomType.bedroom, RoomType.bathroom, RoomType.wc}
    if re.search(r"\bstudio\b|\bestudio\b|\bstüdyo\b|einzimmer", text):
        reading.rooms[RoomType.living_room] = 1
        reading.evidence += 1
        return {RoomType.bedroom, RoomType.living_room}
    return set()


def _settle(reading: _Reading, phrase: str, bedrooms: int, living: int) -> set[RoomType]:
    reading.rooms[RoomType.bedroom] = bedrooms
    reading.rooms[RoomType.living_room] = living
    reading.evidence += 2
    reading.assumptions.append(
        say(
            "rooms_from_convention", reading.language, phrase=phrase.strip(), bedrooms=bedrooms, living=living
        )
    )
    return {RoomType.bedroom, RoomType.living_room}


def _room_words(reading: _Reading, building_type: BuildingType, *, skip: set[RoomType]) -> None:
    taken: list[tuple[int, int]] = []
    explicit_bedrooms: int | None = None
    for room_type, pattern in _ROOM_WORDS[reading.language]:
        for match in re.finditer(pattern, reading.text):
            span = match.span()
            if any(a < span[1] and span[0] < b for a, b in taken):
                continue
            taken.append(span)
            if room_type in (RoomType.bathroom, RoomType.wc) and _beside(
                reading.text, span, reading.ensuite_spans
            ):
                continue  # "baño en suite", "ebeveyn banyosu": the en-suite itself (see _wishes)
            if (
                room_type is RoomType.office
                and building_type is BuildingType.office
                and _is_building_word(reading.text, span)
            ):
                continue
            raw = _count_before(reading.text, span[0], reading.language)
            fraction = _half_count(reading.text, span[0])
            count = raw if raw is not None else 1
            if room_type is RoomType.bedroom and room_type in skip:
                if raw is not None:
                    explicit_bedrooms = raw  # "3-Zimmer-Wohnung mit 2 Schlafzimmern": the explicit count wins
                continue
            if room_type in skip:
                continue
            if room_type is RoomType.bathroom and fraction:
                reading.rooms[RoomType.wc] += 1
            if raw is None and reading.rooms[room_type]:
                continue  # mentioned again without a number: the same room
            reading.rooms[room_type] = (
                max(reading.rooms[room_type], count)
                if raw is None
                else (
                    reading.rooms[room_type] + count
                    if _is_addition(reading.text, span[0])
                    else max(reading.rooms[room_type], count)
                )
            )
            reading.evidence += 1
    if explicit_bedrooms is not None:
        reading.rooms[RoomType.bedroom] = explicit_bedrooms


def _half_count(text: str, start: int) -> bool:
    return bool(re.search(r"\d\.5\s*(?:[^\W\d_]+\s+)?$", text[max(0, start - 12) : start]))


def _is_addition(text: str, start: int) -> bool:
    # "plus 1 bathroom", "+ bir banyo", "additional": a count on top of one already given
    return bool(
        re.search(
            r"(?:plus|\+|additional|extra|zusätzlich\w*|en\s+plus|adicional\w*|ek)\s*\S*\s*$",
            text[max(0, start - 20) : start],
        )
    )


def _is_building_word(text: str, span: tuple[int, int]) -> bool:
    """ "office for 12 people" names the building, "4 offices" names rooms."""
    after = text[span[1] : span[1] + 12]
    return bool(re.match(r"\s*(?:space|floor|building|for|of\s+\d)", after)) and not re.search(
        r"\d\s*$", text[max(0, span[0] - 4) : span[0]]
    )


def _wishes(reading: _Reading, building_type: BuildingType) -> None:
    text, lang = reading.text, reading.language
    _open_kitchen(reading, building_type)
    _en_suite(reading)
    skip = [*reading.ensuite_spans, *reading.party_spans]
    for relation, kind in ((_NEXT_TO, AdjacencyKind.prefer), (_AWAY_FROM, AdjacencyKind.avoid)):
        for match in re.finditer(relation, text):
            if _overlaps(match.span(), skip):
                continue  # "salle d'eau attenante à la chambre" is the en-suite; "bitişik nizam" a party wall
            if lang == "tr":
                # Turkish postpositions follow both rooms: "mutfak salonun yanında".
                pair = _rooms_before(reading, match.start(), 2)
                before, after = (pair[0], pair[1]) if len(pair) == 2 else (None, None)
            else:
                before = _nearest_room(reading, match.start(), backwards=True)
                after = _nearest_room(reading, match.end(), backwards=False)
            if before and after and before != after:
                _add_adjacency(reading, before, after, kind)
    sides = "|".join(_SIDES.values())
    for orientation in re.finditer(rf"((?:\w+\s+){{0,3}}(?:{sides})\w*\s*(?:{_ORIENTATION})?)", text):
        if _overlaps(orientation.span(), reading.party_spans):
            continue  # "Brandwand im Osten" names a party wall, not an orientation
        if not re.search(_ENTRANCE, text[max(0, orientation.start() - 25) : orientation.end()]):
            phrase = reading_phrase(orientation.group(1))
            reading.assumptions.append(say("orientation_kept", lang, phrase=phrase))
        break


def _open_kitchen(reading: _Reading, building_type: BuildingType) -> None:
    """An open kitchen: ``open_kitchen``, and for a home the kitchen–living must wish it always gave."""
    match = re.search(_OPEN_KITCHEN, reading.text)
    if match is None or negated(reading.text, match.span(), reading.language):
        return  # none, or "keine offene Küche", "açık mutfak istemiyoruz"
    reading.open_kitchen = True
    reading.evidence += 1
    if building_type is not BuildingType.office:
        _add_adjacency(reading, RoomType.kitchen, RoomType.living_room, AdjacencyKind.must)


def negated(text: str, span: tuple[int, int], language: str) -> bool:
    """Whether the phrase at ``span`` of normalised ``text`` is denied ("no open kitchen",
    "açık mutfak istemiyoruz")."""
    lang = language if language in LANGUAGES else "en"
    if lang == "tr":
        return re.search(_NOT_AFTER_TR, text[span[1] : span[1] + 30]) is not None
    return re.search(_NOT_BEFORE[lang], text[max(0, span[0] - 25) : span[0]]) is not None


def _en_suite(reading: _Reading) -> None:
    """En-suite bathrooms, kept apart from the other bathrooms (``BriefRoomDraft.en_suite``)."""
    text, lang = reading.text, reading.language
    count = 0
    among = False
    for start, _ in reading.ensuite_spans:
        before = text[max(0, start - 30) : start]
        if re.search(_EVERY[lang], before):
            found = max(reading.rooms[RoomType.bedroom], 1)  # "every bedroom with an en-suite"
        else:
            found = _count_before(text, start, lang) or 1
        count = max(count, found)  # one en-suite said twice ("suite parentale avec salle d'eau attenante")
        among = among or re.search(_AMONG, before) is not None
    if not count:
        return
    if reading.rooms[RoomType.bedroom]:
        count = min(count, reading.rooms[RoomType.bedroom])  # one per bedroom
    if among:  # "3 bathrooms, one of them en-suite"
        reading.rooms[RoomType.bathroom] = max(reading.rooms[RoomType.bathroom] - count, 0)
    reading.en_suite = count
    reading.evidence += 1
    reading.assumptions.append(say("ensuite", lang, count=count))


def _beside(text: str, span: tuple[int, int], phrases: list[tuple[int, int]]) -> bool:
    """Whether ``span`` is inside one of ``phrases`` or touches it (only a space or a hyphen between)."""
    for a, b in phrases:
        gap = text[span[1] : a] if span[1] <= a else text[b : span[0]] if b <= span[0] else ""
        if len(gap) <= 2 and re.fullmatch(r"[\s-]*", gap):
            return True
    return False


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in spans)


def _side_list(language: str) -> str:
    """One side or several ("east and west", "à l'est et à l'ouest") in ``language``."""
    one = "|".join(rf"\b(?:{pattern})\b" for pattern in _PARTY_SIDES[language].values())
    joint = (
        r"(?:\s*(?:,|/|&|\band\b|\bund\b|\bve\b|\bet\b|\by\b)?\s*(?:the\s+|à\s+|au\s+|im\s+|al\s+|el\s+)?)"
    )
    return rf"(?:{one})(?:{joint}(?:{one}))*"


@dataclass
class _PartyPhrases:
    explicit: list[Side]  # sides named with a party-wall word
    end: re.Match[str] | None  # an end-of-terrace or semi-detached house
    row: re.Match[str] | None  # a terrace or row house
    corner: re.Match[str] | None  # Turkish "köşe" with "bitişik nizam"


def _party_phrases(reading: _Reading) -> _PartyPhrases:
    """What the text says about party walls; their spans go to ``reading.party_spans``."""
    lang, text = reading.language, reading.text
    sides_list, wall = _side_list(lang), _PARTY_WALL[lang]
    found: list[Side] = []
    for pattern in (
        rf"(?:{wall}){_PARTY_FILL_AFTER}(?P<sides>{sides_list})",
        rf"(?P<sides>{sides_list}){_PARTY_FILL_BEFORE}(?:{wall})",
    ):
        for match in re.finditer(pattern, text):
            if _overlaps(match.span(), reading.party_spans):
                continue
            reading.party_spans.append(match.span())
            named = match.group("sides")
            found += [
                side for side, word in _PARTY_SIDES[lang].items() if re.search(rf"\b(?:{word})\b", named)
            ]
    end = re.search(_END_HOUSE[lang], text)
    row = re.search(_ROW_HOUSE[lang], text)
    corner = re.search(_CORNER_TR, text) if lang == "tr" and row else None
    reading.party_spans += [m.span() for m in (end, row, corner) if m is not None]
    return _PartyPhrases(sorted(set(found), key=list(Side).index), end, row, corner)


def _party_walls(reading: _Reading, party: _PartyPhrases, entrance: Side | None) -> None:
    """``party_walls``: the sides named, else those a house type implies, else none.

    A terrace or row house shares the two sides either side of its entrance (east and west
    when the entrance is south or north, or not given: the brief's default entrance is
    south); an end-of-terrace or semi-detached house the first of them. Both are said as an
    assumption. A party-wall word without a side sets nothing and says so.
    """
    text, lang = reading.text, reading.language
    if party.explicit:
        reading.party_walls = party.explicit
        reading.evidence += 1
        return
    flanks = [Side.north, Side.south] if entrance in (Side.east, Side.west) else [Side.east, Side.west]
    if party.end is not None or (party.row is not None and party.corner is not None):
        phrase = party.end.group(0) if party.end is not None else _joined(party.row, party.corner)
        reading.party_walls = flanks[:1]
        side = say(f"side_{flanks[0]}", lang)
        reading.assumptions.append(say("party_wall_end", lang, phrase=phrase.strip(), side=side))
        reading.evidence += 1
        return
    if party.row is not None:
        reading.party_walls = flanks
        sides = say("sides_pair", lang, a=say(f"side_{flanks[0]}", lang), b=say(f"side_{flanks[1]}", lang))
        reading.assumptions.append(
            say("party_walls_row", lang, phrase=party.row.group(0).strip(), sides=sides)
        )
        reading.evidence += 1
        return
    hint = re.search(_PARTY_HINT[lang], text)
    if hint is not None:
        reading.assumptions.append(say("party_walls_unclear", lang, phrase=hint.group(0)))


def _joined(first: re.Match[str] | None, second: re.Match[str] | None) -> str:
    words = sorted((m for m in (first, second) if m is not None), key=lambda m: m.start())
    return " … ".join(m.group(0).strip() for m in words)


def reading_phrase(raw: str) -> str:
    return raw.strip(" ,.;")


def _rooms_before(reading: _Reading, at: int, how_many: int) -> list[RoomType]:
    window = reading.text[max(0, at - 40) : at]
    found: list[tuple[int, RoomType]] = []
    for room_type, pattern in _ROOM_WORDS[reading.language]:
        found += [(match.start(), room_type) for match in re.finditer(pattern, window)]
    return [room_type for _, room_type in sorted(found)][-how_many:]


def _nearest_room(reading: _Reading, at: int, *, backwards: bool) -> RoomType | None:
    window = reading.text[max(0, at - 30) : at] if backwards else reading.text[at : at + 30]
    best: tuple[int, RoomType] | None = None
    for room_type, pattern in _ROOM_WORDS[reading.language]:
        for match in re.finditer(pattern, window):
            distance = len(window) - match.end() if backwards else match.start()
            if best is None or distance < best[0]:
                best = (distance, room_type)
    return best[1] if best else None


def _add_adjacency(reading: _Reading, a: RoomType, b: RoomType, kind: AdjacencyKind) -> None:
    if any({x.a, x.b} == {a, b} for x in reading.adjacency):
        return
    reading.adjacency.append(AdjacencyDraft(a=a, b=b, kind=kind))
    reading.evidence += 1


def _defaults(reading: _Reading, building_type: BuildingType) -> None:
    rooms, lang = reading.rooms, reading.language
    if building_type is BuildingType.office:
        if not rooms[RoomType.office] and not rooms[RoomType.meeting_room]:
            rooms[RoomType.office] = 1
        if not rooms[RoomType.wc] and not rooms[RoomType.bathroom]:
            rooms[RoomType.wc] = 1
            reading.assumptions.append(say("default_wc", lang))
        return
    if not any(rooms[t] for t in (RoomType.bedroom, RoomType.living_room)):
        rooms[RoomType.bedroom] = 1
        reading.assumptions.append(say("no_rooms", lang))
    if not rooms[RoomType.living_room]:
        rooms[RoomType.living_room] = 1
        reading.assumptions.append(say("default_living", lang))
    if not rooms[RoomType.kitchen]:
        rooms[RoomType.kitchen] = 1
        reading.assumptions.append(say("default_kitchen", lang))
    if not rooms[RoomType.bathroom]:
        rooms[RoomType.bathroom] = 1
        reading.assumptions.append(say("default_bathroom", lang))
    if not rooms[RoomType.hall] and not rooms[RoomType.corridor]:
        rooms[RoomType.hall] = 1
        reading.assumptions.append(say("default_hall", lang))


def with_required_rooms(draft: BriefDraft, *, region: str, language: str) -> BriefDraft:
    """``draft`` with the rooms the region's code requires that it lacks (a WC in a Turkish
    3+1), each said as an assumption in ``language``; read from the compliance rules
    (``compliance.required_rooms``). The reading itself stays what the text says: this fills the
    programme a plan is made from, whoever read the text."""
    from archbuilder.compliance.required_rooms import required_rooms
    from archbuilder.domain.common import Language
    from archbuilder.layout.programme import default_room_name

    counts: Counter[RoomType] = Counter()
    for room in draft.rooms:
        counts[room.type] += room.count
    try:
        needed = required_rooms(region, draft.building_type, counts)
    except ValueError:  # not a building-code region: the brief's validation says so
        return draft
    if not needed:
        return draft
    lang = language if language in LANGUAGES else "en"
    rooms = [room.model_dump() for room in draft.rooms]
    said = list(draft.assumptions)
    for item in needed:
        rooms.append(
            {"type": item.type, "count": item.count, "name": None, "target_area_m2": None, "en_suite": False}
        )
        name = default_room_name(item.type, Language(lang))
        said.append(say("required_by_code", lang, count=item.count, room=name, citation=item.citation))
    return BriefDraft.model_validate({**draft.model_dump(), "rooms": rooms, "assumptions": said})


def _entrance(text: str, skip: list[tuple[int, int]]) -> Side | None:
    """The side written nearest an entrance word (not a party wall's side)."""
    for match in re.finditer(_ENTRANCE, text):
        lo = max(0, match.start() - 25)
        window = text[lo : match.end() + 30]
        near: list[tuple[int, Side]] = []
        for side, pattern in _SIDES.items():
            for found in re.finditer(pattern, window):
                span = (lo + found.start(), lo + found.end())
                if not _overlaps(span, skip):
                    near.append((min(abs(span[0] - match.end()), abs(match.start() - span[1])), side))
        if near:
            return min(near, key=lambda item: item[0])[1]
    return None


def estimated_gross_m2(rooms: Mapping[RoomType, int]) -> float:
    """A gross area for a room mix: typical net areas plus a quarter."""
    return math.ceil(sum(_TYPICAL_M2[t] * n for t, n in rooms.items()) * 1.25)


# -- shared with the feedback reader (feedback_reader.py) ------------------------------

ROOM_WORDS = _ROOM_WORDS
AREA = _AREA
NEXT_TO, AWAY_FROM, OPEN_KITCHEN, CLOSED_KITCHEN = _NEXT_TO, _AWAY_FROM, _OPEN_KITCHEN, _CLOSED_KITCHEN
ENSUITE = _ENSUITE


def count_before(text: str, start: int, language: str) -> int | None:
    """The number written just before position ``start`` of normalised ``text``, if any."""
    return _count_before(text, start, language)


def area_m2(match: re.Match[str], language: str) -> float:
    """The m² of an ``AREA`` match (square feet converted)."""
    value = parse_number(match.group("num"), language)
    return value * SQ_FT_TO_M2 if match.group("ft2") is not None else value
