"""validate_layout checks each door's swing against ``opens_into`` and the plan around it.

Hand-made payloads, no planner: an 8 x 5 m flat, R1 west and R2 east of an interior wall W5
drawn northwards at x = 3000 (its left, the facing side, is R1), an entrance on the south wall.
"""

from __future__ import annotations

import pytest

from archbuilder.domain.layout import Door, LayoutPayload, Level
from archbuilder.layout.validation import validate_layout
from tests.unit.payload_parts import door, flat_shell, rect_room, wall

EXT, INT = 250.0, 100.0
FOOTPRINT = [(0.0, 0.0), (8000.0, 0.0), (8000.0, 5000.0), (0.0, 5000.0)]
SOUTH = 7750.0  # length of W1


# W1 runs east along the south wall: its left is inside, R1 at x < 2950.
ENTRANCE = door("D1", "W1", (1500 - 125) / SOUTH, ["R1"], "R1")
INNER = door("D2", "W5", 0.5, ["R1", "R2"], "R1")  # W5 runs north: its left (west) is R1


def flat(*doors: Door, corridor: bool = False) -> LayoutPayload:
    """The flat; with ``corridor`` R2 is a 700 mm corridor and R3 lies east of it, past W6."""
    walls = [
        *flat_shell(),
        wall("W5", (3000, 250), (3000, 4750), False),
    ]
    rooms = [rect_room("R1", 250, 250, 2950, 4750), rect_room("R2", 3050, 250, 7750, 4750)]
    if corridor:
        walls.append(wall("W6", (3800, 250), (3800, 4750), False))  # drawn north: R2 on its left
        rooms = [rooms[0], rect_room("R2", 3050, 250, 3750, 4750), rect_room("R3", 3850, 250, 7750, 4750)]
    return LayoutPayload(
        levels=[Level(name="Level 1", elevation_mm=0, height_mm=2800)],
        walls=walls,
        doors=list(doors),
        windows=[],
        rooms=rooms,
    )


def swing_problems(payload: LayoutPayload) -> list[str]:
    return [p for p in validate_layout(payload, FOOTPRINT) if "swing" in p or "opens_into" in p]


def test_the_base_flat_is_valid() -> None:
    assert validate_layout(flat(ENTRANCE, INNER), FOOTPRINT) == []


@pytest.mark.parametrize(
    ("hand", "facing", "into"),
    [(False, False, "R1"), (True, False, "R1"), (False, True, "R2"), (True, True, "R2")],
)
def test_every_handing_is_valid_when_opens_into_names_the_swing_side(
    hand: bool, facing: bool, into: str
) -> None:
    inner = door("D2", "W5", 0.5, ["R1", "R2"], into, hand=hand, facing=facing)
    assert validate_layout(flat(ENTRANCE, inner), FOOTPRINT) == []


def test_opens_into_must_be_a_room_the_door_connects() -> None:
    problems = validate_layout(flat(ENTRANCE, INNER.model_copy(update={"opens_into": "R9"})), FOOTPRINT)
    assert problems == ["door D2: opens_into 'R9' is not a room it connects (R1, R2)"]


def test_exterior_only_for_an_entrance_door() -> None:
    inner = INNER.model_copy(update={"opens_into": "exterior"})
    assert validate_layout(flat(ENTRANCE, inner), FOOTPRINT) == [
        "door D2: opens_into 'exterior', but it connects two rooms"
    ]
    # An entrance whose leaf swings outside: flip_facing puts it on the right of W1, south.
    outward = ENTRANCE.model_copy(update={"opens_into": "exterior", "flip_facing": True})
    assert validate_layout(flat(outward, INNER), FOOTPRINT) == []
    # ... and saying so while the leaf swings in is caught.
    assert swing_problems(flat(ENTRANCE.model_copy(update={"opens_into": "exterior"}), INNER)) == [
        "door D1: the leaf swings into R1, not exterior (flip_facing=False)"
    ]


def test_opens_into_must_agree_with_flip_facing() -> None:
    wrong = INNER.model_copy(update={"opens_into": "R2"})
    assert swing_problems(flat(ENTRANCE, wrong)) == [
        "door D2: the leaf swings into R1, not R2 (flip_facing=False)"
    ]
    assert swing_problems(flat(ENTRANCE, wrong.model_copy(update={"flip_facing": True}))) == []


def test_a_swing_that_leaves_its_room_is_reported() -> None:
    # A 900 mm leaf swinging into a 700 mm corridor sweeps through the corridor's far wall.
    into_r3 = door("D3", "W6", 0.8, ["R2", "R3"], "R3", facing=True)
    into_corridor = door("D2", "W5", 0.5, ["R1", "R2"], "R2", facing=True)
    assert swing_problems(flat(ENTRANCE, into_corridor, into_r3, corridor=True)) == [
        "door D2: the leaf's swing leaves room R2"
    ]
    # Swinging into the room instead, it sweeps floor only.
    into_room = into_corridor.model_copy(update={"opens_into": "R1", "flip_facing": False})
    assert validate_layout(flat(ENTRANCE, into_room, into_r3, corridor=True), FOOTPRINT) == []


def test_two_swings_into_the_same_room_must_not_overlap() -> None:
    # A door from R1 near R2's south-west corner and a garden door on the south wall beside it.
    d2 = door("D2", "W5", 0.15, ["R1", "R2"], "R2", facing=True)
    d3 = door("D3", "W1", (3700 - 125) / SOUTH, ["R2"], "R2")
    assert swing_problems(flat(ENTRANCE, d2, d3)) == ["doors D2 and D3: swings overlap in R2"]
    # Further along the south wall they pass.
    apart = d3.model_copy(update={"position_ratio": (6500 - 125) / SOUTH})
    assert swing_problems(flat(ENTRANCE, d2, apart)) == []
    # Swinging into different rooms, they cannot meet.
    into_r1 = d2.model_copy(update={"opens_into": "R1", "flip_facing": False})
    assert swing_problems(flat(ENTRANCE, into_r1, d3)) == []


def test_a_swing_must_not_cross_another_doorway() -> None:
    # The entrance (opening x 1950-2850 on the south wall, leaf swinging outside) and D2 low on
    # W5, its leaf swinging west across the floor just inside the entrance.
    entrance = door("D5", "W1", (2400 - 125) / SOUTH, ["R1"], "exterior", facing=True)
    low = door("D2", "W5", 510 / 4500, ["R1", "R2"], "R1")
    assert swing_problems(flat(entrance, low)) == ["door D2: the leaf's swing crosses the doorway of door D5"]
    # Swinging east, or higher up the wall, it leaves the entrance clear.
    assert (
        swing_problems(flat(entrance, low.model_copy(update={"opens_into": "R2", "flip_facing": True}))) == []
    )
    assert validate_layout(flat(entrance, low.model_copy(update={"position_ratio": 0.5})), FOOTPRINT) == []


def test_doors_of_older_payloads_are_not_swing_checked() -> None:
    # The corridor door of the test above, without opens_into: valid as before the field existed.
    into_corridor = door("D2", "W5", 0.5, ["R1", "R2"], None, facing=True)
    into_r3 = door("D3", "W6", 0.8, ["R2", "R3"], None, facing=True)
    entrance = ENTRANCE.model_copy(update={"opens_into": None})
    assert validate_layout(flat(entrance, into_corridor, into_r3, corridor=True), FOOTPRINT) == []
