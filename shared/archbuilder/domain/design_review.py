"""The design review a layout version keeps: what an architect would say of the plan.

It is advice (entrance into the hall, rooms reached through other rooms, door swings,
proportions …), never a building-code finding: those are the compliance report's. The
measures come from ``layout/design_review.py``; a version stores them without words
(check ids, statuses, values, room ids and the catalogue key of each message) and the words
are rendered in the reader's language when it is read (``services/design_reviews.py``,
messages in ``platform/messages/design_review.yaml``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ReviewStatus = Literal["good", "advice", "problem", "not_applicable"]


class DesignCheck(BaseModel):
    """One check of the design review."""

    id: str  # entrance_into_hall, private_access, door_swings, proportions, corridor_share …
    status: ReviewStatus
    value: float | None = None  # the measured value, in ``unit``
    unit: str | None = None
    target: str | None = None  # what the check aims for, e.g. "≤ 2 : 1"
    # Room ids the check names (door or window ids for door swings and party walls).
    rooms: list[str] = Field(default_factory=list)
    message_key: str  # the message's key in the catalogue: "<check>.<status>" or a variant of it
    label: str | None = None  # the check's name in ``language``: set when read, never stored
    message: str | None = None  # the advice in ``language``: set when read, never stored


class VersionDesignReview(BaseModel):
    """The design review of one payload as a version stores it; ``language`` is set, and
    ``label`` and ``message`` of every check are filled, when it is read."""

    checks: list[DesignCheck]
    summary: dict[str, int]  # checks by status: good, advice, problem
    room_names: dict[str, str] = Field(default_factory=dict)  # the names of the rooms the checks name
    language: str | None = None


class DesignReviewReport(BaseModel):
    """``GET …/versions/{n}/design-review``: the review of a version (variant) in one language."""

    project_id: str
    layout_id: str
    version: int
    variant: int
    language: str
    title: str
    disclaimer: str  # it is not a building-code finding; the compliance report holds those
    checks: list[DesignCheck]
    summary: dict[str, int]
    # False for a version stored before versions kept their design review: it was measured
    # from the stored payload when read.
    stored: bool = True
