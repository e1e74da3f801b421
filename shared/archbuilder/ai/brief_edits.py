"""Applying brief edits (``outputs.BriefEdit``) to a copy of a brief, one at a time, validated.

An edit is applied only if the brief it gives is still a valid ``Brief``; otherwise it is
set aside with the reason, and the next edit goes on from the last valid brief. Whether
the programme still fits its footprint is the planner's call, made afterwards. Every
outcome is said in the brief's language.

Room references (``room``, ``a``, ``b``) name a room by its name in the brief, else by
type (every room of that type). Resizing starts from the larger of the room's target and
its area in the version the feedback is about (``current_areas``), so "bigger" is bigger
than what the architect saw.

``open_kitchen`` sets the brief's field (the planner then builds an opening to the living
room). ``en_suite`` makes one bathroom or WC that ``room`` names open only into a bedroom
(of a request for several, one is split off), or with ``value`` false makes every one it
names reachable from the hall again; a bathroom added later is an ordinary one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from archbuilder.ai.brief_reader import say
from archbuilder.ai.outputs import BriefEdit, EditOp
from archbuilder.domain.brief import AdjacencyKind, Brief, RoomType
from archbuilder.domain.common import Language

MIN_TARGET_M2 = 5.0  # the add-in refuses rooms under 5 m²


@dataclass
class AppliedEdits:
    brief: Brief
    applied: list[BriefEdit] = field(default_factory=list)
    rejected: list[BriefEdit] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)


class _NotApplied(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


def apply_edits(
    brief: Brief,
    edits: list[BriefEdit],
    *,
    language: str,
    current_areas: Mapping[str, float] | None = None,
) -> AppliedEdits:
    """The brief with every edit that keeps it valid; ``current_areas``: room name or type → m²."""
    result = AppliedEdits(brief=brief)
    areas = {k.casefold(): v for k, v in (current_areas or {}).items()}
    for edit in edits:
        data = brief_data(result.brief)
        try:
            sentence = _apply(data, edit, language, areas)
            revised = Brief.model_validate(data)
        except _NotApplied as refusal:
            result.rejected.append(edit)
            result.sentences.append(say(refusal.key, language, **refusal.params))
            continue
        except ValidationError as exc:
            where = ".".join(map(str, exc.errors()[0]["loc"])) or "brief"
            result.rejected.append(edit)
            result.sentences.append(say("not_applied_invalid", language, edit=_describe(edit), field=where))
            continue
        result.brief = revised
        result.applied.append(edit)
        result.sentences.append(sentence)
    return result


def brief_data(brief: Brief) -> dict[str, Any]:
    """The brief as plain data (``Brief.model_validate`` makes it a brief again)."""
    return brief.model_dump(mode="json")


def resolve(rooms: list[dict[str, Any]], ref: str) -> list[int]:
    """Indexes of the room requests ``ref`` names: by name first, else by type."""
    wanted = ref.strip().casefold()
    named = [i for i, r in enumerate(rooms) if (r.get("name") or "").strip().casefold() == wanted]
    if named:
        return named
    as_type = wanted.replace(" ", "_").replace("-", "_")
    return [i for i, r in enumerate(rooms) if r["type"] == as_type]


def _apply(data: dict[str, Any], edit: BriefEdit, language: str, areas: Mapping[str, float]) -> str:
    rooms: list[dict[str, Any]] = data["rooms"]
    if edit.op in (EditOp.scale_room_area, EditOp.set_room_area):
        assert edit.room is not None
        found = _found(rooms, edit.room)
        sentences = []
        for i in found:
            room = rooms[i]
            before = _current_target(room, areas)
            after = edit.area_m2 if edit.op is EditOp.set_room_area else before * (edit.factor or 1.0)
            after = min(1000.0, max(MIN_TARGET_M2, math.floor(float(after or before) * 2 + 0.5) / 2))
            room["target_area_m2"] = after
            if room.get("min_area_m2") and room["min_area_m2"] > after:
                room["min_area_m2"] = after
            sentences.append(
                say("edit_area", language, room=_name(room, language), before=_num(before), after=_num(after))
            )
        return " ".join(sentences)
    if edit.op is EditOp.add_room:
        assert edit.type is not None and edit.count is not None
        same = [
            r for r in rooms if r["type"] == edit.type.value and not r.get("name") and not r.get("en_suite")
        ]
        if same:
            same[-1]["count"] = same[-1].get("count", 1) + edit.count
        else:
            rooms.append({"type": edit.type.value, "count": edit.count})
        return say("edit_add", language, count=edit.count, room=_type_name(edit.type, language))
    if edit.op is EditOp.remove_room:
        assert edit.room is not None
        found = _found(rooms, edit.room)
        label = _name(rooms[found[0]], language) if len(found) == 1 else _ref_name(edit.room, rooms, language)
        present = sum(rooms[i].get("count", 1) for i in found)
        wanted = present if edit.count is None else min(edit.count, present)
        removed = 0
        for i in reversed(found):  # the last request of that type first
            take = min(wanted - removed, rooms[i].get("count", 1))
            rooms[i]["count"] = rooms[i].get("count", 1) - take
            removed += take
        data["rooms"] = [r for r in rooms if r.get("count", 1) > 0]
        if not data["rooms"]:
            raise _NotApplied("not_applied_last_room", room=label)
        return say("edit_remove", language, count=removed, room=label)
    if edit.op is EditOp.adjacency:
        assert edit.a is not None and edit.b is not None and edit.kind is not None
        a, b = _found(rooms, edit.a), _found(rooms, edit.b)
        if a == b and sum(rooms[i].get("count", 1) for i in a) < 2:
            raise _NotApplied("not_applied_same_room", room=edit.a)
        pair = {_canonical(edit.a, rooms, a), _canonical(edit.b, rooms, b)}
        wishes = [w for w in data["adjacency"] if {w["a"], w["b"]} != pair]
        a_ref, b_ref = _canonical(edit.a, rooms, a), _canonical(edit.b, rooms, b)
        data["adjacency"] = [*wishes, {"a": a_ref, "b": b_ref, "kind": edit.kind.value}]
        key = {AdjacencyKind.avoid: "edit_avoid", AdjacencyKind.prefer: "edit_prefer"}.get(
            edit.kind, "edit_must"
        )
        return say(
            key,
            language,
            a=_ref_name(a_ref, rooms, language),
            b=_ref_name(b_ref, rooms, language),
        )
    if edit.op is EditOp.open_kitchen:
        assert edit.value is not None
        _found(rooms, RoomType.kitchen.value)
        data["open_kitchen"] = edit.value
        return say("edit_open_kitchen" if edit.value else "edit_closed_kitchen", language)
    if edit.op is EditOp.en_suite:
        assert edit.room is not None and edit.value is not None
        return _en_suite(data, edit.room, edit.value, language)
    assert edit.op is EditOp.entrance_side and edit.side is not None
    data["entrance"] = {"side": edit.side.value}
    return say("edit_entrance", language, side=say(f"side_{edit.side.value}", language))


_WET = (RoomType.bathroom.value, RoomType.wc.value)


def _en_suite(data: dict[str, Any], ref: str, value: bool, language: str) -> str:
    """One bathroom or WC that ``ref`` names opens only into a bedroom (``value`` false: none does)."""
    rooms: list[dict[str, Any]] = data["rooms"]
    found = _found(rooms, ref)
    if any(rooms[i]["type"] not in _WET for i in found):
        raise _NotApplied("not_applied_en_suite_type", room=ref)
    if not value:
        for i in found:
            rooms[i]["en_suite"] = False
        return say("edit_not_en_suite", language, room=_name(rooms[found[0]], language))
    if any(rooms[i].get("en_suite") for i in found):
        return say("edit_en_suite", language, room=_name(rooms[found[-1]], language))  # already so
    i = found[-1]  # the last one named: a bathroom just added, else the brief's last
    room = rooms[i]
    if room.get("count", 1) > 1:  # "make the bathroom en-suite" with 2 bathrooms: one of them
        room["count"] -= 1
        split = {**room, "count": 1, "en_suite": True, "name": None}  # a name stays with one request
        rooms.insert(i + 1, split)
        return say("edit_en_suite", language, room=_name(split, language))
    room["en_suite"] = True
    return say("edit_en_suite", language, room=_name(room, language))


def _found(rooms: list[dict[str, Any]], ref: str) -> list[int]:
    found = resolve(rooms, ref)
    if not found:
        raise _NotApplied("not_applied_no_room", room=ref)
    return found


def _canonical(ref: str, rooms: list[dict[str, Any]], found: list[int]) -> str:
    """How a wish names the rooms: the name when ``ref`` is a name, else the type."""
    first = rooms[found[0]]
    if (first.get("name") or "").strip().casefold() == ref.strip().casefold():
        return str(first["name"])
    return str(first["type"])


def _current_target(room: dict[str, Any], areas: Mapping[str, float]) -> float:
    from archbuilder.layout.programme import DEFAULT_AREA_M2  # the planner's data, loaded when used

    room_type = RoomType(room["type"])
    target = float(room.get("target_area_m2") or DEFAULT_AREA_M2[room_type])
    name = (room.get("name") or "").casefold()
    drawn = areas.get(name) if name else None
    if drawn is None:
        drawn = areas.get(room_type.value)
    return max(target, float(drawn or 0.0))


def _type_name(room_type: RoomType, language: str) -> str:
    from archbuilder.layout.programme import default_room_name

    return default_room_name(room_type, Language(language) if language in Language.__members__ else None)


def _name(room: dict[str, Any], language: str) -> str:
    return str(room.get("name") or _type_name(RoomType(room["type"]), language))


def _ref_name(ref: str, rooms: list[dict[str, Any]], language: str) -> str:
    try:
        return _type_name(RoomType(ref), language)
    except ValueError:
        return ref  # a room's own name


def _describe(edit: BriefEdit) -> str:
    return " ".join(f"{k}={v}" for k, v in edit.summary().items())


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
