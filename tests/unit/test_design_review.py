"""The design review measures hand-built payloads: no planner code is involved."""

from __future__ import annotations

from archbuilder.domain.brief import RoomType, Side
from archbuilder.domain.layout import Door, LayoutPayload, Level, Window
from archbuilder.layout.design_review import design_review, measure
from tests.unit.payload_parts import door, flat_shell, rect_room, wall

EXT, INT = 250.0, 100.0


def _two_rooms(first: RoomType, doors: list[Door], windows: list[Window] | None = None) -> LayoutPayload:
    """An 8 x 5 m flat: R1 (west, 2.7 m wide) and a bedroom R2, one interior wall at x = 3000."""
    walls = [
        *flat_shell(),
        wall("W5", (3000, 250), (3000, 4750), False),  # drawn northwards: the hall is on its left
    ]
    rooms = [
        rect_room("R1", 250, 250, 2950, 4750, first, "Hol" if first == RoomType.hall else "Salon"),
        rect_room("R2", 3050, 250, 7750, 4750, RoomType.bedroom, "Yatak Odası"),
    ]
    return LayoutPayload(
        levels=[Level(name="Level 1", elevation_mm=0, height_mm=2800)],
        walls=walls,
        doors=doors,
        windows=windows or [],
        rooms=rooms,
    )


ENTRANCE = door("D1", "W1", 1375 / 7750, ["R1"], "R1", facing=False)


def test_a_hall_that_leads_into_the_bedroom_is_good() -> None:
    payload = _two_rooms(RoomType.hall, [ENTRANCE, door("D2", "W5", 0.5, ["R1", "R2"], "R2", facing=True)])
    m = measure(payload)
    assert m.entrance_into_hall is True
    assert m.through_room == []
    assert m.swing_into_room_pct == 100.0
    assert m.swing_clashes == []


def test_a_bedroom_reached_through_the_living_room_is_a_problem() -> None:
    # The same plan with a living room where the hall was: no circulation, nothing to judge against.
    living = _two_rooms(
        RoomType.living_room, [ENTRANCE, door("D2", "W5", 0.5, ["R1", "R2"], "R2", facing=True)]
    )
    assert measure(living).entrance_into_hall is None
    # With a corridor somewhere else in the plan, the bedroom off the living room is through-room.
    payload = living.model_copy(
        update={
            "rooms": [
                *living.rooms,
                rect_room("R3", 250, 2500, 2950, 4750, RoomType.corridor, "Koridor"),
            ],
            "doors": [*living.doors, door("D3", "W4", 0.2, ["R1", "R3"], "R3", facing=False)],
        }
    )
    m = measure(payload)
    assert m.entrance_into_hall is False
    assert m.through_room == ["R2"]
    review = design_review(payload, "tr")
    access = next(c for c in review.checks if c.id == "private_access")
    assert access.status == "problem"
    assert "Yatak Odası" in access.message and "holden" in access.message


def test_a_door_swinging_into_the_hall_is_counted_and_its_handing_matters() -> None:
    into_hall = _two_rooms(RoomType.hall, [ENTRANCE, door("D2", "W5", 0.5, ["R1", "R2"], "R1", facing=False)])
    assert measure(into_hall).swing_into_room_pct == 0.0
    # Without opens_into the swing side is read from flip_facing (the left of the wall is the hall).
    no_field = into_hall.model_copy(
        update={"doors": [ENTRANCE, into_hall.doors[1].model_copy(update={"opens_into": None})]}
    )
    assert measure(no_field).swing_into_room_pct == 0.0
    flipped = no_field.model_copy(
        update={"doors": [ENTRANCE, no_field.doors[1].model_copy(update={"flip_facing": True})]}
    )
    assert measure(flipped).swing_into_room_pct == 100.0


def test_two_leaves_sweeping_the_same_floor_clash() -> None:
    # A door from the hall near the bedroom's south-west corner and a garden door on the south
    # wall beside it: both leaves sweep the same corner of the bedroom.
    d2 = door("D2", "W5", 0.15, ["R1", "R2"], "R2", facing=True)
    d3 = door("D3", "W1", (3700 - 125) / 7750, ["R2"], "R2", facing=False)
    m = measure(_two_rooms(RoomType.hall, [ENTRANCE, d2, d3]))
    assert ("D2", "D3") in m.swing_clashes
    # Further along the south wall they pass.
    apart = d3.model_copy(update={"position_ratio": (6500 - 125) / 7750})
    assert measure(_two_rooms(RoomType.hall, [ENTRANCE, d2, apart])).swing_clashes == []


def test_a_leaf_that_swings_out_of_its_room_hits_awall() -> None:
    # A door at the very end of the wall, hinge at the far end: its leaf sweeps through the exterior wall.
    leaf = door("D2", "W5", 0.97, ["R1", "R2"], "R2", facing=True).model_copy(update={"flip_hand": True})
    assert ("D2", "wall") in measure(_two_rooms(RoomType.hall, [ENTRANCE, leaf])).swing_clashes


def test_windows_on_a_party_wall_and_the_living_room_sun() -> None:
    window = Window(
        id="N1", host_wall_id="W2", position_ratio=0.5, width_mm=1200, height_mm=1400,
        sill_height_mm=900, type_name="1200 x 1400mm", room_id="R2",
    )  # fmt: skip
    payload = _two_rooms(RoomType.hall, [ENTRANCE], [window])
    assert measure(payload, party_walls=[Side.east]).party_wall_openings == ["N1"]
    assert measure(payload, party_walls=[Side.west]).party_wall_openings == []
    # The entrance on the south wall is on a party wall when south is shared.
    assert "D1" in measure(payload, party_walls=[Side.south]).party_wall_openings
    living = _two_rooms(RoomType.living_room, [ENTRANCE], [window.model_copy(update={"room_id": "R1"})])
    # R1's window faces east: no sun from SE-W; rotate north by 90 degrees and it faces south.
    assert measure(living).living_sunlit is False
    assert measure(living, north_deg=90).living_sunlit is True


def test_the_review_speaks_the_readers_language_and_number_format() -> None:
    payload = _two_rooms(RoomType.hall, [ENTRANCE, door("D2", "W5", 0.5, ["R1", "R2"], "R2", facing=True)])
    de = design_review(payload, "de")
    share = next(c for c in de.checks if c.id == "corridor_share")
    assert share.value is not None and share.value > 12
    assert "Diele" in share.message and f"{share.value:g}".replace(".", ",") in share.message
    en = design_review(payload, "en")
    # A 2.7 m wide hall in an 8 m flat: the circulation share is the one problem.
    assert [c.id for c in en.checks if c.status == "problem"] == ["corridor_share"]
    assert en.checks[0].status == "good"
    assert all(c.message and "." not in c.message.split()[0] for c in en.checks)


def test_a_living_room_behind_a_bathroom_is_reached_through_it() -> None:
    """Any room the front door reaches only through a bedroom or bathroom is flagged."""
    payload = _two_rooms(RoomType.hall, [ENTRANCE, door("D2", "W5", 0.5, ["R1", "R2"], "R2", facing=True)])
    bath = payload.rooms[1].model_copy(update={"type": RoomType.bathroom, "name": "Banyo"})
    living = rect_room("R3", 3050, 2600, 7750, 4750, RoomType.living_room, "Salon")
    behind = payload.model_copy(
        update={
            "rooms": [payload.rooms[0], bath, living],
            "doors": [*payload.doors, door("D3", "W2", 0.8, ["R2", "R3"], "R3", facing=True)],
        }
    )
    assert measure(behind).through_room == ["R3"]
    # Given its own door from the hall it is not.
    reached = behind.model_copy(
        update={"doors": [*behind.doors, door("D4", "W5", 0.9, ["R1", "R3"], "R3", facing=True)]}
    )
    assert measure(reached).through_room == []


def test_a_wc_as_long_as_a_corridor_is_a_strip() -> None:
    wc = rect_room("R2", 3050, 250, 4050, 4750, RoomType.wc, "WC")  # 1.0 x 4.5 m
    payload = _two_rooms(RoomType.hall, [ENTRANCE]).model_copy(
        update={"rooms": [_two_rooms(RoomType.hall, []).rooms[0], wc]}
    )
    m = measure(payload)
    assert m.strips == ["R2"]
    check = next(c for c in design_review(payload, "de").checks if c.id == "proportions")
    assert check.status == "advice" and "WC" in check.message


def test_no_wet_room_beside_another_is_said_as_none() -> None:
    """Two WCs at the far ends of the flat: the advice says none shares a wall, not "only 0"."""
    wc1 = rect_room("R1", 250, 250, 1250, 2250, RoomType.wc, "WC 1")
    wc2 = rect_room("R2", 6750, 2750, 7750, 4750, RoomType.wc, "WC 2")
    payload = _two_rooms(RoomType.hall, []).model_copy(update={"rooms": [wc1, wc2]})
    assert measure(payload).wet_grouped == 0
    check = next(c for c in design_review(payload, "tr").checks if c.id == "wet_grouping")
    assert check.status == "advice" and check.message.startswith("Hiçbir ıslak hacim")


def _galley_and_living(opening: bool) -> LayoutPayload:
    """An 8 x 5 m flat: a 1.7 m deep kitchen along the north of a living room, joined by a
    cased opening (an open kitchen) or by a door."""
    kitchen = rect_room("R1", 250, 3050, 7750, 4750, RoomType.kitchen, "Küche")  # 7.5 x 1.7 m
    living = rect_room("R2", 250, 250, 7750, 2950, RoomType.living_room, "Wohnen")  # 7.5 x 2.7 m
    link = door("D2", "W5", 0.5, ["R1", "R2"], None if opening else "R1")
    if opening:
        link = link.model_copy(update={"family_name": "Opening", "type_name": "Opening 900 x 2100mm"})
    payload = _two_rooms(RoomType.living_room, []).model_copy(
        update={
            "rooms": [kitchen, living],
            "walls": [*flat_shell(), wall("W5", (250, 3000), (7750, 3000), False)],
            "doors": [link],
        }
    )
    return payload


def test_an_open_kitchen_is_judged_with_the_living_room_it_opens_into() -> None:
    """A galley along the living room is a kitchen wall of one space (7.5 x 4.5 m), not a 4.4 : 1
    corridor; behind a door the same kitchen is a room of its own and too long."""
    open_plan = measure(_galley_and_living(opening=True))
    closed = measure(_galley_and_living(opening=False))
    assert closed.aspects["R1"] > 4.0 and closed.worst_aspect > 2.5
    assert open_plan.aspects["R1"] < 2.0 and open_plan.worst_aspect < 2.5
