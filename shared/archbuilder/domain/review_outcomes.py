"""What a review decision comes to, for reporting: approved, corrected, rejected or sent back."""

from __future__ import annotations

from typing import Literal

ReviewOutcome = Literal["approved", "corrected", "rejected", "revision_requested"]


def review_outcome(decision: str | None, new_version: int | None) -> ReviewOutcome:
    """Corrected when the reviewer made a new version (whatever they decided with it), else what
    they decided: approve, reject, or anything that sends the layout back."""
    if new_version is not None or decision == "corrected":
        return "corrected"
    if decision == "approve":
        return "approved"
    if decision == "reject":
        return "rejected"
    return "revision_requested"
