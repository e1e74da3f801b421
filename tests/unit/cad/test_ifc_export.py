"""IFC4 export of a planned layout: valid, complete, and read back to the same rooms."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import Polygon

from archbuilder.cad.ifc_export import LAYOUT_PSET, layout_to_ifc
from archbuilder.cad.ifc_reader import read_ifc
from archbuilder.compliance import ComplianceReport, check_model, layout_to_model
from archbuilder.domain.brief import Brief
from archbuilder.domain.building import BuildingModel
from archbuilder.domain.common import CodeRegion, Language
from archbuilder.domain.layout import OPENING_FAMILY, LayoutPayload, payload_checksum
from archbuilder.layout.planner import SpinePlanner

ifcopenshell = pytest.importorskip("ifcopenshell", reason="ifcopenshell is not installed")


@pytest.fixture(scope="module")
def brief() -> Brief:
    return Brief.model_validate(
        {
            "footprint": {
                "polygon": [
                    {"x": 0, "y": 0},
                    {"x": 12000, "y": 0},
                    {"x": 12000, "y": 5000},
                    {"x": 6000, "y": 5000},
                    {"x": 6000, "y": 10000},
                    {"x": 0, "y": 10000},
                ]
            },
            "rooms": [
                {"type": "living_room", "name": "Salon"},
                {"type": "kitchen"},
                {"type": "bedroom", "count": 2},
                {"type": "bathroom"},
                {"type": "hall"},
            ],
        }
    ).resolved(CodeRegion.TR, Language.tr)


@pytest.fixture(scope="module")
def payload(brief: Brief) -> LayoutPayload:
    return SpinePlanner().plan(brief).payload


@pytest.fixture(scope="module")
def exported(payload: LayoutPayload, tmp_path_factory: pytest.TempPathFactory) -> str:
    data = layout_to_ifc(payload, project_name="Demo Konut")
    assert isinstance(data, bytes) and data.startswith(b"ISO-10303-21;")
    path = tmp_path_factory.mktemp("export") / "layout.ifc"
    path.write_bytes(data)
    return str(path)


def test_counts_and_names(exported: str, payload: LayoutPayload) -> None:
    f = ifcopenshell.open(exported)
    assert f.schema == "IFC4"
    assert f.by_type("IfcProject")[0].Name == "Demo Konut"
    assert len(f.by_type("IfcSite")) == 1 and len(f.by_type("IfcBuilding")) == 1
    assert [s.Name for s in f.by_type("IfcBuildingStorey")] == [lv.name for lv in payload.levels]
    assert len(f.by_type("IfcWall")) == len(payload.walls)
    assert len(f.by_type("IfcDoor")) == len(payload.doors)
    assert len(f.by_type("IfcWindow")) == len(payload.windows)
    assert len(f.by_type("IfcOpeningElement")) == len(payload.doors) + len(payload.windows)
    assert sorted(s.LongName for s in f.by_type("IfcSpace")) == sorted(r.name for r in payload.rooms)
    for element in f.by_type("IfcDoor") + f.by_type("IfcWindow"):
        opening = element.FillsVoids[0].RelatingOpeningElement
        assert opening.VoidsElements[0].RelatingBuildingElement.is_a("IfcWall")


def test_schema_validation(exported: str) -> None:
    import ifcopenshell.validate

    logger = ifcopenshell.validate.json_logger()
    ifcopenshell.validate.validate(ifcopenshell.open(exported), logger, express_rules=False)
    assert logger.statements == []


def test_round_trip_through_our_reader(exported: str, payload: LayoutPayload) -> None:
    model: BuildingModel = read_ifc(exported)
    assert model.warnings == []
    spaces = {s.name: s for s in model.spaces}
    assert set(spaces) == {r.name for r in payload.rooms}
    for room in payload.rooms:
        space = spaces[room.name]
        assert space.declared_area_m2 == pytest.approx(room.area_m2, rel=0.01)
        outline = Polygon([(p.x, p.y) for p in space.boundary])
        assert outline.area / 1e6 == pytest.approx(room.area_m2, rel=0.01)
        assert outline.equals_exact(Polygon([(p.x, p.y) for p in room.boundary]).normalize(), 1.0) or (
            outline.symmetric_difference(Polygon([(p.x, p.y) for p in room.boundary])).area < 1e4
        )
    by_ends = {(round(w.start.x), round(w.start.y), round(w.end.x), round(w.end.y)): w for w in model.walls}
    for wall in payload.walls:
        read = by_ends[(round(wall.start.x), round(wall.start.y), round(wall.end.x), round(wall.end.y))]
        assert read.thickness_mm == pytest.approx(wall.thickness_mm)
        assert read.height_mm == pytest.approx(wall.height_mm)
        assert read.is_exterior == wall.is_exterior
    assert sorted(d.clear_width_mm or 0 for d in model.doors) == sorted(d.width_mm for d in payload.doors)
    assert all(d.wall_id for d in model.doors + model.windows)  # type: ignore[operator]
    room_names = {r.id: r.name for r in payload.rooms}
    space_names = {s.id: s.name for s in model.spaces}
    expected = sorted(sorted(room_names[c] for c in d.connects) for d in payload.doors)
    assert sorted(sorted(space_names[s] for s in d.space_ids) for d in model.doors) == expected
    assert sorted(w.sill_height_mm or 0 for w in model.windows) == pytest.approx(
        sorted(w.sill_height_mm for w in payload.windows)
    )


@pytest.fixture(scope="module")
def report(payload: LayoutPayload, brief: Brief) -> ComplianceReport:
    return check_model(layout_to_model(payload, brief), region="TR", language="tr")


@pytest.fixture(scope="module")
def annotated(
    payload: LayoutPayload, brief: Brief, report: ComplianceReport, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The same layout exported with its brief, compliance report and version metadata."""
    data = layout_to_ifc(
        payload,
        project_name="Demo Konut",
        brief=brief,
        compliance=report,
        version=3,
        checksum=payload_checksum(payload),
        planner="spine",
    )
    path = tmp_path_factory.mktemp("export") / "annotated.ifc"
    path.write_bytes(data)
    return str(path)


def test_brief_and_compliance_in_the_layout_pset(
    annotated: str, payload: LayoutPayload, brief: Brief, report: ComplianceReport
) -> None:
    import json

    import ifcopenshell.util.element

    f = ifcopenshell.open(annotated)
    building = f.by_type("IfcBuilding")[0]
    props = ifcopenshell.util.element.get_pset(building, LAYOUT_PSET)
    assert props is not None
    assert props["SchemaVersion"] == payload.schema_version == "1.0"
    assert props["VersionNumber"] == 3
    assert props["Checksum"] == payload_checksum(payload)
    assert props["Planner"] == "spine"
    assert props["Region"] == "TR" == report.region
    assert props["BuildingType"] == "apartment"
    assert props["ComplianceRulesVersion"] == report.rules_version
    assert props["ComplianceErrors"] == report.summary.errors
    assert props["ComplianceWarnings"] == report.summary.warnings
    assert props["CompliancePassed"] == report.summary.passed
    assert report.summary.pass_rate is not None
    assert props["CompliancePassRate"] == pytest.approx(report.summary.pass_rate)
    assert json.loads(props["Brief"]) == brief.model_dump(mode="json", exclude_none=True)
    # Long values are IfcText (IfcLabel is limited to 255 characters), counts are integers.
    values = {
        p.Name: p.NominalValue for p in building.IsDefinedBy[0].RelatingPropertyDefinition.HasProperties
    }
    assert values["Brief"].is_a("IfcText") and len(values["Brief"].wrappedValue) > 255
    assert values["VersionNumber"].is_a("IfcInteger") and values["CompliancePassRate"].is_a("IfcReal")


def test_the_stored_compliance_summary_is_accepted_too(
    payload: LayoutPayload, report: ComplianceReport
) -> None:
    """What a version keeps (``{region, rules_version, summary}``) works as well as the report."""
    from archbuilder.cad.ifc_export import layout_properties

    stored = {"region": "DE", "rules_version": "x", "summary": report.summary.model_dump(mode="json")}
    props = layout_properties(payload, compliance=stored)
    assert props["Region"] == "DE" and props["ComplianceRulesVersion"] == "x"
    assert props["ComplianceErrors"] == report.summary.errors
    assert "Brief" not in props and "VersionNumber" not in props  # not given: not written
    assert layout_properties(payload) == {"Generator": "ArchBuilder", "SchemaVersion": "1.0"}


def test_the_annotated_file_is_valid_and_reads_back(annotated: str, payload: LayoutPayload) -> None:
    import ifcopenshell.validate

    logger = ifcopenshell.validate.json_logger()
    ifcopenshell.validate.validate(ifcopenshell.open(annotated), logger, express_rules=False)
    assert logger.statements == []
    model = read_ifc(annotated)
    assert model.warnings == []
    assert sorted(s.name for s in model.spaces) == sorted(r.name for r in payload.rooms)


def test_common_property_sets_on_every_element(exported: str, payload: LayoutPayload) -> None:
    import ifcopenshell.util.element

    f = ifcopenshell.open(exported)
    for ifc_class, pset in (
        ("IfcWall", "Pset_WallCommon"),
        ("IfcDoor", "Pset_DoorCommon"),
        ("IfcWindow", "Pset_WindowCommon"),
        ("IfcSpace", "Pset_SpaceCommon"),
    ):
        elements = f.by_type(ifc_class)
        assert elements
        for element in elements:
            props = ifcopenshell.util.element.get_pset(element, pset)
            assert props and props.get("Reference"), (ifc_class, element.GlobalId)
            assert isinstance(props.get("IsExternal"), bool), (ifc_class, props)
    areas = {
        s.LongName: ifcopenshell.util.element.get_pset(s, "Pset_SpaceCommon") for s in f.by_type("IfcSpace")
    }
    for room in payload.rooms:
        assert areas[room.name]["NetPlannedArea"] == pytest.approx(room.area_m2)
        assert areas[room.name]["IsExternal"] is False
    exterior = {w.id for w in payload.walls if w.is_exterior}
    for wall in f.by_type("IfcWall"):
        assert ifcopenshell.util.element.get_pset(wall, "Pset_WallCommon")["IsExternal"] is (
            wall.Tag in exterior
        )


def test_header_names_the_file_the_tenant_and_archbuilder(payload: LayoutPayload) -> None:
    """FILE_NAME: not ``'/dev/null'`` by ``'Nobody'``, but the file, the tenant and the time."""
    from datetime import UTC, datetime

    from archbuilder import __version__

    data = layout_to_ifc(
        payload, project_name="Demo Konut", file_name="lay_1-v3.ifc", organisation="Kadıköy Mimarlık",
        timestamp=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )  # fmt: skip
    header = ifcopenshell.file.from_string(data.decode("utf-8")).header.file_name
    assert header.name == "lay_1-v3.ifc"
    assert header.time_stamp == "2026-03-01T09:30:00+00:00"
    assert tuple(header.author) == tuple(header.organization) == ("Kadıköy Mimarlık",)
    assert header.authorization == "Kadıköy Mimarlık"
    assert header.originating_system == f"ArchBuilder Cloud {__version__}"
    default = ifcopenshell.file.from_string(
        layout_to_ifc(payload, project_name="x").decode()
    ).header.file_name
    assert default.name == "layout.ifc" and default.authorization != "Nobody"
    assert default.time_stamp.endswith("+00:00")


@pytest.mark.parametrize("units", ["metric", "imperial"])
def test_door_and_window_names_are_their_sizes(payload: LayoutPayload, units: str, tmp_path: Path) -> None:
    from archbuilder.domain.project import Units
    from archbuilder.layout.type_names import opening_type_name

    imperial = units == "imperial"
    # The second door as a cased opening: the IfcOpeningElement alone, named "… opening".
    doors = [
        d.model_copy(update={"family_name": OPENING_FAMILY}) if i == 1 else d
        for i, d in enumerate(payload.doors)
    ]
    payload = payload.model_copy(update={"doors": doors})
    path = tmp_path / "names.ifc"
    path.write_bytes(layout_to_ifc(payload, project_name="Names", units=Units(units)))
    f = ifcopenshell.open(str(path))
    for element in f.by_type("IfcDoor") + f.by_type("IfcWindow"):
        assert element.Name == opening_type_name(
            element.OverallWidth, element.OverallHeight, imperial=imperial
        )
    assert ('"' in f.by_type("IfcDoor")[0].Name) == imperial
    cased = [d for d in payload.doors if d.is_opening]
    assert len(cased) == 1 and len(f.by_type("IfcDoor")) == len(payload.doors) - 1
    openings = {o.Tag: o.Name for o in f.by_type("IfcOpeningElement") if o.Tag}
    for door in cased:
        assert (
            openings[door.id]
            == f"{opening_type_name(door.width_mm, door.height_mm, imperial=imperial)} opening"
        )
