"""Each export read back by a second, independent reader: names and counts as written.

DXF through dxfgrabber's default ``readfile``, which decodes the file in the code page its
header names (so Turkish and German labels and "m²" come back exactly only if the header tells
the truth); IFC through web-ifc (tools/node/ifc_summary.cjs), compared with what ifcopenshell
reads, header included.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dxfgrabber
import pytest
from ezdxf import recover

from archbuilder.cad.dxf_export import envelope, layout_to_dxf
from archbuilder.cad.ifc_export import layout_to_ifc
from archbuilder.domain.brief import Brief
from archbuilder.domain.layout import LayoutPayload
from archbuilder.domain.project import Units
from archbuilder.layout.planner import SpinePlanner
from archbuilder.layout.type_names import opening_type_name

ifcopenshell = pytest.importorskip("ifcopenshell", reason="ifcopenshell is not installed")

NODE_DIR = Path(__file__).resolve().parents[3] / "tools" / "node"
ROOM_NAMES = {
    "living_room": "Oturma Odası",
    "kitchen": "Küche",
    "bedroom": "Çalışma Odası ğ",
    "bathroom": "Banyo ş",
}
ORGANISATION = "Kadıköy Mimarlık Ltd. Şti."
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def plan(region: str) -> LayoutPayload:
    brief = Brief.model_validate(
        {
            "footprint": {"width_mm": 12000, "depth_mm": 9000},
            "entrance": {"side": "south"},
            "open_kitchen": True,  # a cased opening as well as doors
            "rooms": [{"type": t, "name": n} for t, n in ROOM_NAMES.items()] + [{"type": "hall"}],
        }
    ).resolved(region, "tr")
    return SpinePlanner().plan(brief).payload


@pytest.fixture(scope="module")
def payloads() -> dict[Units, LayoutPayload]:
    return {Units.metric: plan("TR"), Units.imperial: plan("US")}


def expected_label(name: str, number: str, area_m2: float, units: Units) -> str:
    area = f"{area_m2 / 0.09290304:.0f} ft²" if units is Units.imperial else f"{area_m2:.1f} m²"
    return f"{name}\\P{number}\\P{area}"


@pytest.mark.parametrize("units", list(Units))
def test_dxf_reads_back_through_dxfgrabber(
    payloads: dict[Units, LayoutPayload], units: Units, tmp_path: Path
) -> None:
    payload = payloads[units]
    data = layout_to_dxf(payload, units=units)
    path = tmp_path / "layout.dxf"
    path.write_bytes(data)
    drawing = dxfgrabber.readfile(str(path))

    assert drawing.header["$ACADVER"] == "AC1018"
    assert drawing.header["$DWGCODEPAGE"] == "ANSI_1254"  # Turkish names
    assert drawing.header["$INSUNITS"] == (1 if units is Units.imperial else 4)
    labels = sorted(e.raw_text for e in drawing.entities if e.dxftype == "MTEXT" and e.layer == "A-AREA-IDEN")
    assert labels == sorted(expected_label(r.name, r.number, r.area_m2, units) for r in payload.rooms)
    assert (
        any("Küche" in t for t in labels) and any("ş" in t for t in labels) and any("ğ" in t for t in labels)
    )

    counts = Counter((e.dxftype, e.layer) for e in drawing.entities)
    assert counts[("LWPOLYLINE", "A-WALL")] == len(payload.walls)
    assert counts[("LWPOLYLINE", "A-AREA")] == len(payload.rooms)
    assert counts[("ARC", "A-DOOR")] == len([d for d in payload.doors if not d.is_opening])
    # dxfgrabber skips DIMENSION entities but reads their rendered blocks: width and depth.
    dimensions = [b for b in drawing.blocks if b.name.startswith("*D")]
    texts = sorted(e.raw_text for b in dimensions for e in b if e.dxftype == "MTEXT")
    assert texts == (sorted(["39'4 1/2\"", "29'6 3/8\""]) if units is Units.imperial else ["12000", "9000"])
    # ezdxf reads the same entities, and the two dimensions.
    with path.open("rb") as stream:
        doc, _ = recover.read(stream)
    read = Counter((e.dxftype(), e.dxf.layer) for e in doc.modelspace())
    assert read.pop(("DIMENSION", "A-ANNO-DIMS")) == 2
    assert read == counts

    scale = 1 / 25.4 if units is Units.imperial else 1.0
    minx, miny, maxx, maxy = (v * scale for v in envelope(payload.walls) or (0, 0, 0, 0))
    extmin, extmax = drawing.header["$EXTMIN"], drawing.header["$EXTMAX"]
    assert extmin[0] < minx and extmin[1] < miny and extmax[0] >= maxx and extmax[1] >= maxy
    assert max(abs(v) for v in (*extmin, *extmax)) < 1e6  # not AutoCAD's "nothing drawn" ±1e20


def web_ifc_summary(path: Path) -> dict[str, Any]:
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "web-ifc").is_dir():
        pytest.fail("web-ifc is not installed: make emulators (npm ci in tools/node)")
    done = subprocess.run(
        ["node", str(NODE_DIR / "ifc_summary.cjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def ifcopenshell_summary(path: Path) -> dict[str, Any]:
    f = ifcopenshell.open(str(path))
    header = f.header.file_name
    summary: dict[str, Any] = {
        "schema": f.schema,
        "file_name": {
            "name": header.name,
            "time_stamp": header.time_stamp,
            "author": list(header.author),
            "organization": list(header.organization),
            "preprocessor_version": header.preprocessor_version,
            "originating_system": header.originating_system,
            "authorization": header.authorization,
        },
    }
    for ifc_class in ("IfcSpace", "IfcDoor", "IfcWindow", "IfcWall"):
        summary[ifc_class] = [
            {"name": e.Name, "long_name": getattr(e, "LongName", None), "tag": getattr(e, "Tag", None)}
            for e in f.by_type(ifc_class)
        ]
    return summary


def by_name(elements: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((e["name"] or "", e["long_name"] or "", e["tag"] or "") for e in elements)


@pytest.mark.parametrize("units", list(Units))
def test_ifc_reads_back_the_same_through_web_ifc(
    payloads: dict[Units, LayoutPayload], units: Units, tmp_path: Path
) -> None:
    payload = payloads[units]
    path = tmp_path / "lay_x-v2.ifc"
    path.write_bytes(
        layout_to_ifc(
            payload, project_name="Demo", units=units, file_name=path.name, organisation=ORGANISATION,
            timestamp=WHEN,
        )
    )  # fmt: skip
    web = web_ifc_summary(path)
    ours = ifcopenshell_summary(path)

    assert web["schema"] == ours["schema"] == "IFC4"
    assert web["file_name"] == ours["file_name"]
    header = web["file_name"]
    assert header["name"] == "lay_x-v2.ifc"
    assert header["time_stamp"] == "2026-03-01T09:30:00+00:00"
    assert header["author"] == header["organization"] == [ORGANISATION]
    assert header["authorization"] == ORGANISATION
    assert header["originating_system"] == "ArchBuilder Cloud 0.1.0"
    for ifc_class in ("IfcSpace", "IfcDoor", "IfcWindow", "IfcWall"):
        assert by_name(web[ifc_class]) == by_name(ours[ifc_class]), ifc_class

    imperial = units is Units.imperial
    assert sorted(s["long_name"] for s in web["IfcSpace"]) == sorted(r.name for r in payload.rooms)
    assert sorted(s["name"] for s in web["IfcSpace"]) == sorted(r.number for r in payload.rooms)
    doors = [d for d in payload.doors if not d.is_opening]
    assert sorted((d["tag"], d["name"]) for d in web["IfcDoor"]) == sorted(
        (d.id, opening_type_name(d.width_mm, d.height_mm, imperial=imperial)) for d in doors
    )
    assert sorted((w["tag"], w["name"]) for w in web["IfcWindow"]) == sorted(
        (w.id, opening_type_name(w.width_mm, w.height_mm, imperial=imperial)) for w in payload.windows
    )
    assert len(web["IfcWall"]) == len(payload.walls)
    names = [d["name"] for d in web["IfcDoor"] + web["IfcWindow"]]
    assert all(n.endswith("mm") for n in names) if not imperial else all(n.endswith('"') for n in names)
