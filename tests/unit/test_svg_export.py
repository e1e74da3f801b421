"""The SVG plan is well-formed, self-contained, flipped to y-up and escapes room names."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from archbuilder.cad.svg_export import layout_to_svg
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import CodeRegion, Language
from archbuilder.domain.layout import LayoutPayload
from archbuilder.layout.planner import SpinePlanner

SVG = "{http://www.w3.org/2000/svg}"


def planned(name: str) -> LayoutPayload:
    brief = Brief.model_validate(
        {
            "footprint": {"width_mm": 12000, "depth_mm": 9000},
            "rooms": [
                {"type": "living_room", "name": name},
                {"type": "kitchen"},
                {"type": "bedroom", "count": 2},
                {"type": "bathroom"},
                {"type": "hall"},
            ],
        }
    ).resolved(CodeRegion.TR, Language.en)
    return SpinePlanner().plan(brief).payload


def test_svg_has_every_element_and_escapes_text() -> None:
    payload = planned('Salon <b>&"x"</b>')
    text = layout_to_svg(payload)
    root = ET.fromstring(text)  # well-formed despite the markup in the name
    assert root.tag == f"{SVG}svg"
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    assert len(groups["walls"]) == len(payload.walls)
    assert len(groups["rooms"]) == len(payload.rooms)
    assert len(groups["doors"].findall(f"{SVG}path")) == len(payload.doors)
    labels = [t.text for t in groups["labels"]]
    assert 'Salon <b>&"x"</b>' in labels
    assert f"{payload.rooms[0].area_m2:.1f} m²" in labels
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "<image" not in text and "href" not in text


def test_y_axis_is_flipped_so_north_is_up() -> None:
    payload = planned("Salon")
    root = ET.fromstring(layout_to_svg(payload))
    polygons = {p.get("data-room"): p.get("points") for p in root.iter(f"{SVG}polygon") if p.get("data-room")}

    def middle_y(room_id: str) -> float:
        room = next(r for r in payload.rooms if r.id == room_id)
        return sum(p.y for p in room.boundary) / len(room.boundary)

    def svg_middle_y(points: str | None) -> float:
        assert points is not None
        ys = [float(xy.split(",")[1]) for xy in points.split()]
        return sum(ys) / len(ys)

    north = max(polygons, key=middle_y)
    south = min(polygons, key=middle_y)
    assert middle_y(north) > middle_y(south)
    assert svg_middle_y(polygons[north]) < svg_middle_y(polygons[south])


def test_a_long_name_in_a_narrow_room_is_set_smaller_so_it_stays_in_its_room() -> None:
    """A room's name takes at most 90 % of the room's width at its label (a generous 0.58 of
    the text height per character), down to a floor; a short name keeps the full size."""
    payload = planned("Salon")
    narrowest = min(payload.rooms, key=lambda r: max(p.x for p in r.boundary) - min(p.x for p in r.boundary))
    width = max(p.x for p in narrowest.boundary) - min(p.x for p in narrowest.boundary)
    narrowest.name = "Ebeveyn Banyosu ve Giyinme Odası"[: max(8, int(width / 100))]
    root = ET.fromstring(layout_to_svg(payload))
    labels = {t.text: float(t.get("font-size") or 0) for t in root.iter(f"{SVG}text")}
    size = labels[narrowest.name]
    fits = (size - 0.5) * 0.58 * len(narrowest.name) <= 0.9 * width  # the size is written rounded
    assert size < 260 and (fits or size == 140), (size, width)
    assert labels["Salon"] == 260
