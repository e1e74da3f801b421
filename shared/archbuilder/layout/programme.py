"""The room programme: the brief's room requests expanded into the rooms a planner places.

Areas are net floor areas (inside the walls) in m². The add-in builds rooms from 1 m², so a
WC or a store is planned at its own size (the region's minimum, else the defaults below).
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Polygon

from archbuilder.domain.brief import AdjacencyKind, Brief, RoomType
from archbuilder.domain.common import Language
from archbuilder.layout.room_minimums import RoomMinimum, room_minimums
from archbuilder.platform.errors import Unprocessable

MIN_ROOM_AREA_M2 = 1.0  # the add-in refuses rooms under 1 m² (ARCHITECTURE.md §4)

DEFAULT_AREA_M2: dict[RoomType, float] = {
    RoomType.living_room: 25.0,
    RoomType.dining_room: 12.0,
    RoomType.kitchen: 10.0,
    RoomType.bedroom: 12.0,
    RoomType.bathroom: 5.0,
    RoomType.wc: 2.0,
    RoomType.hall: 6.0,
    RoomType.corridor: 6.0,
    RoomType.storage: 2.5,
    RoomType.laundry: 4.0,
    RoomType.office: 12.0,
    RoomType.meeting_room: 16.0,
    RoomType.reception: 15.0,
    RoomType.technical: 3.0,
}

# Smallest sensible size when the brief gives none; never below MIN_ROOM_AREA_M2.
DEFAULT_MIN_AREA_M2: dict[RoomType, float] = {
    RoomType.living_room: 12.0,
    RoomType.dining_room: 8.0,
    RoomType.kitchen: 6.0,
    RoomType.bedroom: 8.0,
    RoomType.bathroom: 3.5,
    RoomType.wc: 1.5,
    RoomType.hall: 3.0,
    RoomType.corridor: 3.0,
    RoomType.storage: 1.0,
    RoomType.laundry: 3.0,
    RoomType.office: 8.0,
    RoomType.meeting_room: 10.0,
    RoomType.reception: 8.0,
    RoomType.technical: 2.0,
}

CIRCULATION_TYPES = frozenset({RoomType.hall, RoomType.corridor})

DEFAULT_NAMES: dict[Language, dict[RoomType, str]] = {
    Language.tr: {
        RoomType.living_room: "Salon",
        RoomType.dining_room: "Yemek Odası",
        RoomType.kitchen: "Mutfak",
        RoomType.bedroom: "Yatak Odası",
        RoomType.bathroom: "Banyo",
        RoomType.wc: "WC",
        RoomType.hall: "Hol",
        RoomType.corridor: "Koridor",
        RoomType.storage: "Depo",
        RoomType.laundry: "Çamaşır Odası",
        RoomType.office: "Ofis",
        RoomType.meeting_room: "Toplantı Odası",
        RoomType.reception: "Resepsiyon",
        RoomType.technical: "Teknik Oda",
    },
    Language.en: {
        RoomType.living_room: "Living Room",
        RoomType.dining_room: "Dining Room",
        RoomType.kitchen: "Kitchen",
        RoomType.bedroom: "Bedroom",
        RoomType.bathroom: "Bathroom",
        RoomType.wc: "WC",
        RoomType.hall: "Hall",
        RoomType.corridor: "Corridor",
        RoomType.storage: "Storage",
        RoomType.laundry: "Laundry",
        RoomType.office: "Office",
        RoomType.meeting_room: "Meeting Room",
        RoomType.reception: "Reception",
        RoomType.technical: "Technical Room",
    },
    Language.de: {
        RoomType.living_room: "Wohnzimmer",
        RoomType.dining_room: "Esszimmer",
        RoomType.kitchen: "Küche",
        RoomType.bedroom: "Schlafzimmer",
        RoomType.bathroom: "Badezimmer",
        RoomType.wc: "WC",
        RoomType.hall: "Diele",
        RoomType.corridor: "Flur",
        RoomType.storage: "Abstellraum",
        RoomType.laundry: "Waschküche",
        RoomType.office: "Büro",
        RoomType.meeting_room: "Besprechungsraum",
        RoomType.reception: "Empfang",
        RoomType.technical: "Technikraum",
    },
    Language.fr: {
        RoomType.living_room: "Séjour",
        RoomType.dining_room: "Salle à manger",
        RoomType.kitchen: "Cuisine",
        RoomType.bedroom: "Chambre",
        RoomType.bathroom: "Salle de bains",
        RoomType.wc: "WC",
        RoomType.hall: "Entrée",
        RoomType.corridor: "Couloir",
        RoomType.storage: "Rangement",
        RoomType.laundry: "Buanderie",
        RoomType.office: "Bureau",
        RoomType.meeting_room: "Salle de réunion",
        RoomType.reception: "Accueil",
        RoomType.technical: "Local technique",
    },
    Language.es: {
        RoomType.living_room: "Salón",
        RoomType.dining_room: "Comedor",
        RoomType.kitchen: "Cocina",
        RoomType.bedroom: "Dormitorio",
        RoomType.bathroom: "Baño",
        RoomType.wc: "Aseo",
        RoomType.hall: "Vestíbulo",
        RoomType.corridor: "Pasillo",
        RoomType.storage: "Trastero",
        RoomType.laundry: "Lavadero",
        RoomType.office: "Oficina",
        RoomType.meeting_room: "Sala de reuniones",
        RoomType.reception: "Recepción",
        RoomType.technical: "Cuarto técnico",
    },
}


# Narrowest net width the planner gives a room, on top of the region's narrow side:
# furniture needs it even where no rule asks for it.
PLANNER_MIN_WIDTH_MM: dict[RoomType, float] = {
    RoomType.living_room: 2000.0,
    RoomType.dining_room: 2000.0,
    RoomType.kitchen: 1800.0,
    RoomType.bedroom: 2000.0,
    RoomType.office: 2000.0,
    RoomType.meeting_room: 2000.0,
    RoomType.reception: 2000.0,
    RoomType.bathroom: 1500.0,
    RoomType.wc: 1000.0,
    RoomType.laundry: 1200.0,
    RoomType.storage: 900.0,
    RoomType.technical: 1200.0,
    RoomType.hall: 1200.0,
    RoomType.corridor: 1200.0,
}


# A kitchenette open to the living room: one counter and the walkway in front of it.
OPEN_KITCHEN_MIN_WIDTH_MM = 1500.0


@dataclass(frozen=True)
class PlannedRoom:
    key: str
    type: RoomType
    name: str
    target_area_m2: float
    min_area_m2: float
    min_width_mm: float = 0.0
    request_name: str | None = None
    en_suite: bool = False  # opens only into a bedroom


def region_minimums(brief: Brief) -> dict[RoomType, RoomMinimum]:
    """The brief's region minimums (none when the brief has no region yet)."""
    if brief.region is None:
        return {}
    return room_minimums(brief.region, brief.building_type)


def default_room_name(room_type: RoomType, language: Language | None) -> str:
    """The room type's name in the brief's language (English when none is set)."""
    return DEFAULT_NAMES[language or Language.en][room_type]


def expand_programme(brief: Brief) -> list[PlannedRoom]:
    """One PlannedRoom per room to place, keys R1..Rn in brief order."""
    rooms: list[PlannedRoom] = []
    rules = region_minimums(brief)
    for request in brief.rooms:
        base_name = request.name or default_room_name(request.type, brief.language)
        rule = rules.get(request.type)
        target = request.target_area_m2 or DEFAULT_AREA_M2[request.type]
        minimum = request.min_area_m2 or min(DEFAULT_MIN_AREA_M2[request.type], target)
        minimum = max(minimum, MIN_ROOM_AREA_M2, (rule.area_m2 or 0.0) if rule else 0.0)
        target = max(target, minimum)
        furniture = PLANNER_MIN_WIDTH_MM[request.type]
        if request.type == RoomType.kitchen and brief.open_kitchen:
            furniture = OPEN_KITCHEN_MIN_WIDTH_MM
        width = max(furniture, (rule.narrow_side_mm or 0.0) if rule else 0.0)
        for i in range(request.count):
            name = f"{base_name} {i + 1}" if request.count > 1 else base_name
            rooms.append(
                PlannedRoom(
                    key=f"R{len(rooms) + 1}",
                    type=request.type,
                    name=name,
                    target_area_m2=target,
                    min_area_m2=minimum,
                    min_width_mm=width,
                    request_name=request.name,
                    en_suite=request.en_suite,
                )
            )
    return rooms


def needs_added_corridor(rooms: list[PlannedRoom]) -> bool:
    """True when the planner adds a corridor: no hall or corridor and more than 2 rooms."""
    return len(rooms) > 2 and not any(r.type in CIRCULATION_TYPES for r in rooms)


def net_interior_area_m2(brief: Brief) -> float:
    """Floor area inside the exterior walls."""
    assert brief.footprint is not None
    outline = Polygon(brief.footprint.points())
    inner = outline.buffer(-brief.exterior_wall_mm, join_style="mitre")
    return float(inner.area) / 1e6


def check_programme_fits(brief: Brief) -> None:
    """Fast pre-check: refuse what can never fit, with the most precise reason.

    ADJACENCY_IMPOSSIBLE when a must-wish names a room the programme lacks,
    ROOM_DIMENSION_DOES_NOT_FIT when no square of a room's minimum narrow side fits inside
    the exterior walls, PROGRAMME_TOO_LARGE when the minimum areas exceed the net area.
    """
    rooms = expand_programme(brief)
    for wish in brief.adjacency:
        if wish.kind != AdjacencyKind.must:
            continue
        a, b = rooms_matching(rooms, wish.a), rooms_matching(rooms, wish.b)
        if not a or not b or {r.key for r in a} | {r.key for r in b} == {a[0].key}:
            raise Unprocessable(code="ADJACENCY_IMPOSSIBLE", a=wish.a, b=wish.b)
    inner = _inner(brief)
    widest = widest_square_mm(inner)
    for room in sorted(rooms, key=lambda r: -r.min_width_mm):
        if room.min_width_mm > widest:
            raise Unprocessable(
                code="ROOM_DIMENSION_DOES_NOT_FIT",
                room=room.name,
                min_narrow_side_mm=round(room.min_width_mm),
                available_mm=round(widest),
            )
    required = sum(r.min_area_m2 for r in rooms)
    if needs_added_corridor(rooms):
        required += DEFAULT_MIN_AREA_M2[RoomType.corridor]
    available = float(inner.area) / 1e6
    if required > available:
        raise Unprocessable(
            code="PROGRAMME_TOO_LARGE",
            required_m2=round(required, 1),
            available_m2=round(available, 1),
        )


def rooms_matching(rooms: list[PlannedRoom], ref: str) -> list[PlannedRoom]:
    """Rooms an adjacency wish names: by room name (as given or as planned), else by type."""
    wanted = ref.strip().casefold()
    named = [r for r in rooms if wanted in {r.name.casefold(), (r.request_name or "").casefold()}]
    return named or [r for r in rooms if r.type.value == wanted]


def widest_square_mm(shape: Polygon) -> float:
    """Side of the largest axis-aligned square inside a rectilinear shape (to 10 mm)."""
    lo, hi = 0.0, min(shape.bounds[2] - shape.bounds[0], shape.bounds[3] - shape.bounds[1])
    while hi - lo > 10:
        mid = (lo + hi) / 2
        if shape.buffer(-mid / 2, join_style="mitre").is_empty:
            hi = mid
        else:
            lo = mid
    return lo


def _inner(brief: Brief) -> Polygon:
    assert brief.footprint is not None
    inner = Polygon(brief.footprint.points()).buffer(-brief.exterior_wall_mm, join_style="mitre")
    return inner if isinstance(inner, Polygon) else Polygon()
