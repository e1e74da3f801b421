"""A brief read from text (a ``BriefDraft``, from a model or the built-in reader) made into a
``Brief``, and the client error for a text that asks for a programme no brief can hold."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from archbuilder.ai.brief_reader import estimated_gross_m2, read_brief, say, with_required_rooms
from archbuilder.ai.outputs import BriefDraft
from archbuilder.domain.brief import Brief, Entrance, RoomType, Side
from archbuilder.domain.common import Language
from archbuilder.platform.errors import Unprocessable
from archbuilder.platform.i18n import validation_problem

# How a broken bound reads in any language: pydantic's error type → the symbol, the ctx key.
_BOUNDS = {
    "less_than_equal": ("≤", "le"),
    "less_than": ("<", "lt"),
    "greater_than": (">", "gt"),
    "greater_than_equal": ("≥", "ge"),
    "too_long": ("≤", "max_length"),
}


class PromptBriefInvalid(Unprocessable):
    """The text of a brief asks for a programme no brief can hold ("10000 bedrooms",
    "1000000 m²"): the caller's error (422), said like ``VALIDATION_FAILED`` for the same values
    sent as fields, with ``problems`` (each field and the bound it breaks) for the message and
    each field's problem in ``language`` (the text's)."""

    code = "PROMPT_BRIEF_INVALID"

    @classmethod
    def of(cls, exc: ValidationError, language: str) -> PromptBriefInvalid:
        errors = exc.errors(include_url=False, include_input=False)
        fields = [".".join(str(part) for part in error["loc"]) or "prompt" for error in errors]
        return cls(
            count=len(errors),
            fields=fields[:10],
            problems=[_problem(field, error) for field, error in zip(fields, errors, strict=True)][:10],
            errors=[
                {
                    "field": field,
                    "problem": validation_problem(error["type"], error.get("ctx"), language, error["msg"]),
                    "type": error["type"],
                }
                for field, error in zip(fields, errors, strict=True)
            ],
            location="prompt",
        )


def _problem(field: str, error: ErrorDetails) -> str:
    """``total_area_m2 ≤ 20000``: the field and the bound it breaks, in no language; the
    field alone when the error is not a bound."""
    symbol, key = _BOUNDS.get(error["type"], ("", ""))
    bound = (error.get("ctx") or {}).get(key)
    return f"{field} {symbol} {bound:g}" if symbol and isinstance(bound, int | float) else field


def draft_to_brief(draft: BriefDraft, *, region: str, language: str) -> tuple[Brief, list[str]]:
    """A valid ``Brief`` from a draft (an area estimated when none was given), or pydantic's
    ``ValidationError`` when the draft is not one.

    With no entrance in the text the brief's default applies (south, moved by ``Brief`` to the
    first free side when south is a party wall), and the answer says so.
    """
    draft = with_required_rooms(draft, region=region, language=language)  # what the code requires
    assumptions = list(draft.assumptions)
    given = {"entrance": Entrance(side=draft.entrance_side)} if draft.entrance_side else {}
    area = draft.total_area_m2
    if area is None:
        counts: dict[RoomType, int] = {}
        for room in draft.rooms:
            counts[room.type] = counts.get(room.type, 0) + room.count
        area = max(estimated_gross_m2(counts), 20.0)
        assumptions.append(say("no_area", language, value=f"{area:.0f}"))
    # Validated as one brief, so that an error names its place (``rooms.2.target_area_m2``).
    brief = Brief.model_validate(
        {
            "building_type": draft.building_type,
            "region": region,
            "language": Language(language),
            "total_area_m2": round(area, 1),
            "rooms": [
                {
                    "type": r.type,
                    "count": r.count,
                    "name": r.name,
                    "target_area_m2": r.target_area_m2,
                    "en_suite": r.en_suite,
                }
                for r in draft.rooms
            ],
            "adjacency": [{"a": a.a.value, "b": a.b.value, "kind": a.kind} for a in draft.adjacency],
            "open_kitchen": draft.open_kitchen,
            "party_walls": draft.party_walls,
            **given,
        }
    )
    moved = brief.entrance.side
    if not given and moved is not None and moved is not Side.south:
        assumptions.append(
            say(
                "entrance_off_party_wall",
                language,
                side=say(f"side_{moved}", language),
                blocked=say("side_south", language),
            )
        )
    return brief, assumptions


def read_plannable_brief(text: str, language: str, region: str) -> BriefDraft:
    """The built-in reader's draft of ``text``; ``PromptBriefInvalid`` when it is no valid brief.

    The reader reads by rule only what the text says and assumes the rest within the bounds of
    a brief, so a reading that is no valid brief (or no valid draft: a room count past what a
    draft holds) means the text itself asks for an impossible programme. That is the caller's
    error, whoever was asked to read the text, and no other reader would do better.
    """
    try:
        draft = read_brief(text, language, region)
        draft_to_brief(draft, region=region, language=language)
    except ValidationError as exc:
        raise PromptBriefInvalid.of(exc, language) from exc
    return draft
