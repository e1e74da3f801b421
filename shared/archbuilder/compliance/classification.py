"""Space type from a room name in tr, en, de, fr or es (``Yatak Odası 2`` → bedroom), and in
Russian, which IFC files from Renga carry (``Спальня`` → bedroom; read as a Latin transliteration).

CAD files carry names, rarely types. A name that matches nothing stays unclassified
(``None``); the engine reports it as its own finding instead of skipping the room.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from archbuilder.domain.brief import RoomType

# Phrases in normalised form (lower case, no accents, Turkish letters folded to ASCII;
# Turkish compound forms such as "banyosu", "mutfağı" are listed as they are written).
# The longest phrase found in the name wins, so "yemek odasi" beats "oda" style fragments
# and "salle de bain" beats "salle".
_PHRASES: dict[RoomType, tuple[str, ...]] = {
    RoomType.living_room: (
        "gostinaya",
        "zal",
        "salon",
        "salonu",
        "oturma odasi",
        "oturma",
        "misafir odasi",
        "living room",
        "living",
        "lounge",
        "sitting room",
        "family room",
        "great room",
        "wohnzimmer",
        "wohnraum",
        "wohnen",
        "sejour",
        "salle de sejour",
        "piece de vie",
        "sala de estar",
        "estar",
        "sala",
    ),
    RoomType.dining_room: (
        "stolovaya",
        "yemek odasi",
        "dining room",
        "dining",
        "esszimmer",
        "essraum",
        "essen",
        "salle a manger",
        "comedor",
    ),
    RoomType.kitchen: (
        "kukhnya",
        "mutfak",
        "mutfagi",
        "pisirme yeri",
        "kitchen",
        "kitchenette",
        "kuche",
        "kueche",
        "kochnische",
        "cuisine",
        "coin cuisine",
        "cocina",
    ),
    RoomType.bedroom: (
        "spalnya",
        "detskaya",
        "yatak odasi",
        "yatak",
        "cocuk odasi",
        "bedroom",
        "bed room",
        "master bedroom",
        "nursery",
        "schlafzimmer",
        "kinderzimmer",
        "gastezimmer",
        "schlafen",
        "chambre",
        "chambre a coucher",
        "dormitorio",
        "habitacion",
        "alcoba",
    ),
    RoomType.bathroom: (
        "vannaya",
        "sanuzel",
        "s u",
        "banyo",
        "banyosu",
        "bathroom",
        "bath",
        "shower room",
        "badezimmer",
        "bad",
        "duschbad",
        "salle de bain",
        "salle de bains",
        "salle d eau",
        "bano",
        "cuarto de bano",
    ),
    RoomType.wc: (
        "tualet",
        "ubornaya",
        "wc",
        "tuvalet",
        "tuvaleti",
        "toilet",
        "toilets",
        "restroom",
        "powder room",
        "half bath",
        "gaste wc",
        "toilette",
        "toiletten",
        "toilettes",
        "aseo",
        "inodoro",
    ),
    RoomType.hall: (
        "prikhozhaya",
        "kholl",
        "tambur",
        "vestibyul",
        "hol",
        "holu",
        "antre",
        "giris",
        "giris holu",
        "hall",
        "entrance hall",
        "entry",
        "foyer",
        "lobby",
        "diele",
        "eingang",
        "windfang",
        "entree",
        "vestibule",
        "recibidor",
        "vestibulo",
        "zaguan",
    ),
    RoomType.corridor: (
        "koridor",
        "koridor",
        "koridoru",
        "corridor",
        "hallway",
        "passage",
        "flur",
        "gang",
        "couloir",
        "degagement",
        "pasillo",
        "distribuidor",
    ),
    RoomType.storage: (
        "kladovaya",
        "garderobnaya",
        "depo",
        "deposu",
        "kiler",
        "vestiyer",
        "storage",
        "store room",
        "closet",
        "pantry",
        "abstellraum",
        "abstellkammer",
        "speisekammer",
        "vorratsraum",
        "cellier",
        "rangement",
        "placard",
        "trastero",
        "despensa",
        "almacen",
    ),
    RoomType.laundry: (
        "prachechnaya",
        "postirochnaya",
        "camasir odasi",
        "camasirhane",
        "laundry",
        "utility room",
        "utility",
        "hauswirtschaftsraum",
        "waschkuche",
        "buanderie",
        "lavadero",
        "lavanderia",
    ),
    RoomType.office: (
        "buero",
        "kabinet",
        "calisma odasi",
        "ofis",
        "office",
        "study",
        "home office",
        "arbeitszimmer",
        "buro",
        "bureau",
        "despacho",
        "oficina",
        "estudio",
    ),
    RoomType.meeting_room: (
        "toplanti odasi",
        "toplanti",
        "meeting room",
        "meeting",
        "conference room",
        "boardroom",
        "besprechungsraum",
        "konferenzraum",
        "salle de reunion",
        "sala de reuniones",
    ),
    RoomType.reception: ("resepsiyon", "reception", "empfang", "accueil", "recepcion"),
    RoomType.technical: (
        "kotelnaya",
        "tekhpomeshchenie",
        "teknik oda",
        "kazan dairesi",
        "technical room",
        "plant room",
        "mechanical room",
        "technikraum",
        "heizraum",
        "hausanschlussraum",
        "local technique",
        "chaufferie",
        "cuarto de instalaciones",
        "sala de maquinas",
    ),
}
# German compounds put the head last: "Gästebad", "Kinderschlafzimmer", "Abstellflur".
_GERMAN_HEADS: dict[str, RoomType] = {
    "schlafzimmer": RoomType.bedroom,
    "wohnzimmer": RoomType.living_room,
    "kuche": RoomType.kitchen,
    "bad": RoomType.bathroom,
    "flur": RoomType.corridor,
    "wc": RoomType.wc,
    "zimmer": RoomType.bedroom,
}
# Russian letters to Latin (a plain transliteration, lower case; ъ and ь are dropped).
_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip
_TURKISH = str.maketrans({"ı": "i", "İ": "i", "ş": "s", "Ş": "s", "ğ": "g", "Ğ": "g", "ç": "c", "Ç": "c"})


def normalise(name: str) -> str:
    """Lower case ASCII words: ``Yatak Odası 2`` → ``yatak odasi``, ``Küche`` → ``kuche``,
    ``Прихожая`` → ``prikhozhaya``."""
    text = name.translate(_TURKISH).lower().translate(_CYRILLIC)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("ß", "ss")
    words = re.findall(r"[a-z]+", text)
    return " ".join(words)


@lru_cache(maxsize=1)
def _index() -> list[tuple[str, RoomType]]:
    pairs = [(phrase, room) for room, phrases in _PHRASES.items() for phrase in phrases]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def classify_space(name: str) -> RoomType | None:
    """The room type a name means, or None when no known word is in it."""
    text = normalise(name)
    if not text:
        return None
    padded = f" {text} "
    for phrase, room in _index():
        if f" {phrase} " in padded:
            return room
    for word in text.split():
        for head, room in _GERMAN_HEADS.items():
            if len(word) > len(head) and word.endswith(head):
                return room
    return None
