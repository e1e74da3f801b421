"""What the planner knows about each room type: daylight, wet, circulation, private,
preferred widths, the cost of walking through it, its place along a slot and as the entrance room.
"""

from __future__ import annotations

from archbuilder.domain.brief import RoomType

PRIVATE_ENTRY_COST = 12.0  # entering a bedroom or bathroom from a room rather than the hall
LARGE_WINDOW = frozenset({RoomType.living_room, RoomType.meeting_room, RoomType.reception})

# Net width below which a room is penalised (the hard minimum is PlannedRoom.min_width_mm).
PREFERRED_WIDTH_MM: dict[RoomType, float] = {
    RoomType.living_room: 3600.0,
    RoomType.dining_room: 2800.0,
    RoomType.kitchen: 2200.0,
    RoomType.bedroom: 2800.0,
    RoomType.bathroom: 1700.0,
    RoomType.wc: 1200.0,
    RoomType.hall: 1200.0,
    RoomType.corridor: 1200.0,
    RoomType.storage: 1200.0,
    RoomType.laundry: 1500.0,
    RoomType.office: 2600.0,
    RoomType.meeting_room: 3000.0,
    RoomType.reception: 3000.0,
    RoomType.technical: 1500.0,
}
# Cost of walking through a room to reach another: private rooms are dead ends.
THROUGH_COST: dict[RoomType, float] = {
    RoomType.hall: 0.0,
    RoomType.corridor: 0.0,
    RoomType.living_room: 1.0,
    RoomType.dining_room: 1.0,
    RoomType.reception: 1.0,
    RoomType.kitchen: 2.0,
    RoomType.office: 4.0,
    RoomType.meeting_room: 4.0,
    RoomType.storage: 6.0,
    RoomType.laundry: 6.0,
    RoomType.technical: 6.0,
    RoomType.bedroom: 20.0,
    RoomType.bathroom: 30.0,
    RoomType.wc: 30.0,
}
# Order of rooms along a slot, from the entrance end: public rooms first, wet rooms together.
SLOT_RANK: dict[RoomType, int] = {
    t: i
    for i, t in enumerate(
        [
            RoomType.reception,
            RoomType.living_room,
            RoomType.dining_room,
            RoomType.kitchen,
            RoomType.laundry,
            RoomType.wc,
            RoomType.bathroom,
            RoomType.storage,
            RoomType.technical,
            RoomType.meeting_room,
            RoomType.office,
            RoomType.bedroom,
            RoomType.hall,
            RoomType.corridor,
        ]
    )
}
ENTRANCE_ROOM_PENALTY: dict[RoomType, float] = {
    RoomType.hall: 0.0,
    RoomType.corridor: 0.0,
    RoomType.reception: 0.3,
    RoomType.living_room: 0.6,
    RoomType.dining_room: 1.0,
    RoomType.kitchen: 1.5,
    RoomType.office: 1.5,
    RoomType.meeting_room: 1.5,
    RoomType.storage: 3.0,
    RoomType.laundry: 3.0,
    RoomType.technical: 3.0,
    RoomType.bedroom: 4.0,
    RoomType.bathroom: 5.0,
    RoomType.wc: 5.0,
}
