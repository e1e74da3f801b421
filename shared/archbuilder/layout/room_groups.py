"""Room types grouped the way an architect groups them; the planner and the design review
(and anything else that reads a plan) share these."""

from __future__ import annotations

from archbuilder.domain.brief import RoomType

# Rooms people stay in: they need daylight and proportions one can furnish.
HABITABLE = frozenset(
    {
        RoomType.living_room,
        RoomType.dining_room,
        RoomType.kitchen,
        RoomType.bedroom,
        RoomType.office,
        RoomType.meeting_room,
        RoomType.reception,
    }
)
WET = frozenset({RoomType.bathroom, RoomType.wc, RoomType.laundry})
CIRCULATION = frozenset({RoomType.hall, RoomType.corridor})
# Rooms one never walks through to reach another (an en-suite is reached through its bedroom).
PRIVATE = frozenset({RoomType.bedroom, RoomType.bathroom, RoomType.wc})
