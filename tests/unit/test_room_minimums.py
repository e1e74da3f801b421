"""layout/data/room_minimums.yaml: every region sizes WCs and stores, or says that no code does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from archbuilder.domain.brief import BuildingType, RoomType
from archbuilder.layout import room_minimums as module
from archbuilder.layout.room_minimums import DATA_FILE, room_minimums

REGIONS = ("TR", "DE", "DE-BY", "FR", "FR-13", "ES", "ES-CT", "US")
DWELLINGS = (BuildingType.apartment, BuildingType.house)


@pytest.mark.parametrize("building_type", DWELLINGS)
@pytest.mark.parametrize("region", REGIONS)
def test_every_region_has_a_wc_and_a_storage_entry(region: str, building_type: BuildingType) -> None:
    minimums = room_minimums(region, building_type)
    for room_type in (RoomType.wc, RoomType.storage):
        sized = [r for r in minimums[room_type].rules if {"area_m2", "narrow_side_mm"} & set(r.limits)]
        unsized = [r for r in minimums[room_type].rules if not r.limits]
        assert sized or unsized, (region, room_type)
        for ref in sized + unsized:
            assert ref.citation and ref.status in ("verified", "unverified", "derived", "rule-data")
        assert all(ref.note for ref in unsized), "an entry without a minimum says why"


def test_the_wc_minimums() -> None:
    tr = room_minimums("TR", BuildingType.apartment)[RoomType.wc]
    assert (tr.area_m2, tr.narrow_side_mm) == (1.2, 1000)
    us = room_minimums("US", BuildingType.house)[RoomType.wc]
    assert us.area_m2 is None and us.narrow_side_mm == 762
    assert next(r for r in us.rules if r.id == "US-IRC-R307.1-WC").status == "unverified"
    for region in ("DE", "FR", "ES", "ES-CT"):
        wc = room_minimums(region, BuildingType.apartment)[RoomType.wc]
        assert wc.area_m2 is None and wc.narrow_side_mm is None  # the planner's defaults apply


def test_no_code_sizes_a_storage_room() -> None:
    for region in REGIONS:
        store = room_minimums(region, BuildingType.apartment)[RoomType.storage]
        assert store.area_m2 is None and store.narrow_side_mm is None, region


def _raw() -> dict[str, list[dict[str, Any]]]:
    loaded: dict[str, list[dict[str, Any]]] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"status": "seen somewhere"}, "status"),
        ({"citation": ""}, "citation is missing"),
        ({"no_minimum": True, "area_m2": 1.0}, "no_minimum with a minimum"),
        ({"note": None}, "needs a note"),
    ],
)
def test_a_bad_entry_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, Any], problem: str
) -> None:
    data = _raw()
    entry = next(r for r in data["TR"] if r["id"] == "TR-PAIY-29-STOR")
    entry.update(change)
    path = tmp_path / "room_minimums.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(module, "DATA_FILE", path)
    module._data.cache_clear()
    try:
        with pytest.raises(ValueError, match=problem):
            module._data()
    finally:
        module._data.cache_clear()


def test_an_entry_without_limits_must_say_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _raw()
    entry = next(r for r in data["TR"] if r["id"] == "TR-PAIY-29-STOR")
    del entry["no_minimum"]
    path = tmp_path / "room_minimums.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(module, "DATA_FILE", path)
    module._data.cache_clear()
    try:
        with pytest.raises(ValueError, match="sets no limit"):
            module._data()
    finally:
        module._data.cache_clear()
