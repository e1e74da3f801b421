"""The OpenAPI document's components: one per model, unique titles (generators name their
classes after them), none that no operation reaches. The generated clients themselves are
tested in tests/e2e/test_openapi_clients.py."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, computed_field
from pydantic.json_schema import models_json_schema

from archbuilder.api.openapi import _distinct_titles, _refs_in, build_openapi


class Room(BaseModel):
    width_mm: int
    depth_mm: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def area_m2(self) -> float:
        return self.width_mm * self.depth_mm / 1e6


def test_components_have_unique_titles_and_are_all_reached() -> None:
    document = build_openapi()
    schemas: dict[str, Any] = document["components"]["schemas"]
    titles = [schema.get("title", name) for name, schema in schemas.items()]
    assert sorted(t for t in titles if titles.count(t) > 1) == []
    reached: set[str] = set()
    pending = _refs_in(document["paths"])
    while pending:
        name = pending.pop()
        reached.add(name)
        pending |= _refs_in(schemas[name]) - reached
    assert set(schemas) == reached
    assert not [name for name in schemas if name.endswith(("-Input", "-Output", "Query"))]


def test_a_model_read_and_written_differently_gets_two_titles() -> None:
    _, definitions = models_json_schema(
        [(Room, "validation"), (Room, "serialization")], ref_template="#/components/schemas/{model}"
    )
    schemas = definitions["$defs"]
    assert {name: s["title"] for name, s in schemas.items()} == {"Room-Input": "Room", "Room-Output": "Room"}
    _distinct_titles(schemas)
    assert {name: s["title"] for name, s in schemas.items()} == {
        "Room-Input": "RoomInput",
        "Room-Output": "RoomOutput",
    }
