"""The analysis of uploaded models (issue 19), through the whole upload path and the API.

Every real file in ../shared/data gets an analysis whose findings are asserted, an HTML
report in the project's language and a BCF 2.1 file that validates against buildingSMART's
XSD (tests/fixtures/bcf21, verbatim from BCF-XML's release_2_1 branch) and whose components
are elements of the file. Defective IFC files built here in memory show what each check
finds: an opening in no wall, two coincident walls, a space without a boundary.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.api
import ifcopenshell.util.element
import numpy as np
import pytest
from flask.testing import FlaskClient
from lxml import etree

from archbuilder.runtime import Runtime
from tests.conftest import SHARED_DATA, TenantCredentials
from tests.functional.test_ingest_shared_data import EXPECTED, SLOW, ingest

BCF_XSD = Path(__file__).parent.parent / "fixtures" / "bcf21"

# What the analysis finds in each real file: (code, property for missing_property) -> count.
FINDINGS: dict[str, dict[tuple[str, str], int] | None] = {
    "dwg/acadsharp_AecObjects_R2018.dwg": {},
    "dwg/acadsharp_sample_AC1015_R2000.dwg": {("space_unclassified", ""): 1},
    "dwg/ewp_floor_plan_R2018.dwg": {},
    "dwg/ewp_electrical_plan_R2018.dwg": None,  # slow (marked): counts not pinned
    "dxf/barcelona_pabellon_R2000.dxf": {("door_without_wall", ""): 8, ("wall_without_thickness", ""): 136},
    "dxf/barcelona_plan_R2013.dxf": {("door_without_wall", ""): 8, ("wall_without_thickness", ""): 20},
    "dxf/barcelona_plan_exported_R12.dxf": None,  # slow (marked): counts not pinned
    "ifc/AC20-FZK-Haus_IFC4.ifc": {
        ("missing_property", "Pset_DoorCommon.IsExternal"): 5,
        ("missing_property", "Pset_WallCommon.IsExternal"): 13,
        ("missing_property", "Pset_WindowCommon.IsExternal"): 11,
        ("space_unclassified", ""): 1,
        ("missing_georeference", ""): 1,
    },
    "ifc/IfcOpenHouse_IFC4.ifc": {
        ("door_window_fills_no_opening", ""): 5,
        ("missing_property", "Pset_DoorCommon.IsExternal"): 1,
        ("missing_property", "Pset_WallCommon.IsExternal"): 4,
        ("missing_property", "Pset_WindowCommon.IsExternal"): 5,
        ("missing_georeference", ""): 1,
        ("wall_without_type", ""): 4,
    },
    "ifc/barcelona_pavilion_IFC4.ifc": {
        ("door_window_fills_no_opening", ""): 41,
        ("missing_property", "Pset_DoorCommon.IsExternal"): 6,
        ("missing_property", "Pset_WallCommon.IsExternal"): 13,
        ("missing_property", "Pset_WindowCommon.IsExternal"): 35,
        ("wall_without_thickness", ""): 4,
        ("proxy_share", ""): 19,
        ("missing_georeference", ""): 1,
        ("wall_without_type", ""): 13,
    },
    "ifc/duplex_apartment_IFC2X3.ifc": {
        ("duplicate_elements", ""): 12,
        ("floor_not_covered", ""): 1,
        ("opening_in_no_wall", ""): 2,
        ("space_unclassified", ""): 2,
        ("missing_georeference_ifc2x3", ""): 1,
        ("space_unnamed", ""): 1,
        ("storey_elevation_noise", ""): 2,
        ("wall_without_type", ""): 57,
        ("types_used_once", ""): 11,
    },
    "ifc/xbim_House_IFC2X3.ifc": {
        ("missing_property", "Pset_DoorCommon.IsExternal"): 19,
        ("missing_property", "Pset_WallCommon.IsExternal"): 46,
        ("missing_property", "Pset_WindowCommon.IsExternal"): 23,
        ("space_unclassified", ""): 5,
        ("missing_georeference_ifc2x3", ""): 1,
        ("wall_without_type", ""): 46,
        ("types_used_once", ""): 18,
    },
    "ifc/xbim_SampleHouse4_IFC4.ifc": {
        ("space_unclassified", ""): 1,
        ("missing_georeference", ""): 1,
        ("types_used_once", ""): 12,
    },
}


def analysis_of(
    client: FlaskClient,
    tenant: TenantCredentials,
    project_id: str,
    model_id: str,
    fmt: str = "json",
    **headers: str,
) -> Any:
    answer = client.get(
        f"/v1/projects/{project_id}/models/{model_id}/analysis?format={fmt}", headers=tenant.headers | headers
    )
    assert answer.status_code == 200, answer.data[:500]
    return answer


def validate_bcf(data: bytes) -> dict[str, list[str]]:
    """Every XML file of the BCF zip against its BCF 2.1 XSD; topic guid -> selected IfcGuids."""
    schemas = {
        name: etree.XMLSchema(etree.parse(str(BCF_XSD / f"{name}.xsd")))
        for name in ("markup", "visinfo", "project", "version")
    }
    kinds = {".bcf": "markup", ".bcfv": "visinfo", ".bcfp": "project", ".version": "version"}
    selected: dict[str, list[str]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert "bcf.version" in names and "project.bcfp" in names
        for name in names:
            kind = next((k for suffix, k in kinds.items() if name.endswith(suffix)), None)
            if kind is None:
                continue
            document = etree.fromstring(archive.read(name))
            assert schemas[kind].validate(document), (name, schemas[kind].error_log.last_error)
            if kind == "visinfo":
                topic = name.split("/")[0]
                selected.setdefault(topic, []).extend(document.xpath("//Selection/Component/@IfcGuid"))
            if kind == "markup":
                selected.setdefault(name.split("/")[0], [])
    return selected


def found(analysis: dict[str, Any]) -> dict[tuple[str, str], int]:
    counts: Counter[tuple[str, str]] = Counter()
    for f in analysis["findings"]:
        counts[f["code"], str(f["params"].get("property", ""))] += f["count"]
    return dict(counts)


@pytest.mark.parametrize(
    "relative", [pytest.param(k, marks=pytest.mark.slow) if k in SLOW else k for k in sorted(EXPECTED)]
)
def test_every_real_file_has_an_analysis_a_report_and_a_valid_bcf(
    relative: str, client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    path = SHARED_DATA / relative
    project_id, model = ingest(client, runtime, tenant, path, path.name)
    assert model["status"] == "ready", model.get("error")
    analysis = analysis_of(client, tenant, project_id, model["id"], **{"Accept-Language": "en"}).json
    expected = FINDINGS[relative]
    if expected is not None:
        assert found(analysis) == expected
    severities = Counter(f["severity"] for f in analysis["findings"])
    assert analysis["counts"] == {s: severities[s] for s in ("error", "warning", "info")}
    # Every recommendation points at findings that exist; nothing is advised without one.
    ids = {f["id"] for f in analysis["findings"]}
    assert all(
        r["finding_ids"] and set(r["finding_ids"]) <= ids and r["text"] for r in analysis["recommendations"]
    )
    assert bool(analysis["recommendations"]) == bool(analysis["findings"])
    assert all(f["message"] and "{" not in f["message"] for f in analysis["findings"])

    page = analysis_of(client, tenant, project_id, model["id"], "html").data.decode()
    assert page.startswith("<!doctype html>") and "Model analizi" in page  # the project's language: tr
    assert "<script" not in page

    bcf = analysis_of(client, tenant, project_id, model["id"], "bcf")
    assert bcf.headers["Content-Type"] == "application/zip"
    selected = validate_bcf(bcf.data)
    assert len(selected) == len(analysis["findings"])
    if path.suffix == ".ifc":
        ifc = ifcopenshell.open(str(path))
        guids = [g for topic in selected.values() for g in topic]
        assert guids or not any(f["elements"] for f in analysis["findings"])
        for guid in guids:
            ifc.by_guid(guid)  # raises when the file has no such element


def test_counts_agree_with_ifcopenshell_on_its_own(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """Proxies, walls without IsExternal and storeys, counted by ifcopenshell's own utilities."""
    path = SHARED_DATA / "ifc" / "barcelona_pavilion_IFC4.ifc"
    project_id, model = ingest(client, runtime, tenant, path, path.name)
    analysis = analysis_of(client, tenant, project_id, model["id"]).json
    ifc = ifcopenshell.open(str(path))
    proxies = len(ifc.by_type("IfcBuildingElementProxy"))
    no_external = sum(
        1
        for wall in ifc.by_type("IfcWall")
        if "IsExternal" not in ifcopenshell.util.element.get_psets(wall).get("Pset_WallCommon", {})
    )
    counts = found(analysis)
    assert counts["proxy_share", ""] == proxies == 19
    assert counts["missing_property", "Pset_WallCommon.IsExternal"] == no_external
    assert analysis["performance"]["proxy_share_pct"] == pytest.approx(
        100 * proxies / analysis["performance"]["elements"], abs=0.1
    )


def defective_ifc(path: Path) -> dict[str, str]:
    """An IFC4 file with the defects a model check must find; returns their GlobalIds."""
    run = ifcopenshell.api.run
    f = run("project.create_file", version="IFC4")
    project = run("root.create_entity", f, ifc_class="IfcProject", name="Defects")
    run("unit.assign_unit", f)
    model = run("context.add_context", f, context_type="Model")
    body = run(
        "context.add_context",
        f,
        context_type="Model",
        context_identifier="Body",
        target_view="MODEL_VIEW",
        parent=model,
    )
    axis = run(
        "context.add_context",
        f,
        context_type="Model",
        context_identifier="Axis",
        target_view="GRAPH_VIEW",
        parent=model,
    )
    site = run("root.create_entity", f, ifc_class="IfcSite", name="Site")
    building = run("root.create_entity", f, ifc_class="IfcBuilding", name="Building")
    storey = run("root.create_entity", f, ifc_class="IfcBuildingStorey", name="Ground")
    run("aggregate.assign_object", f, relating_object=project, products=[site])
    run("aggregate.assign_object", f, relating_object=site, products=[building])
    run("aggregate.assign_object", f, relating_object=building, products=[storey])
    ids: dict[str, str] = {}
    for name, y in (("Wall A", 0.0), ("Wall A copy", 0.0), ("Wall B", 4.0)):
        wall = run("root.create_entity", f, ifc_class="IfcWall", name=name)
        matrix = np.eye(4)
        matrix[1, 3] = y
        run("geometry.edit_object_placement", f, product=wall, matrix=matrix)
        shape = run(
            "geometry.add_wall_representation", f, context=body, length=5.0, height=3.0, thickness=0.2
        )
        run("geometry.assign_representation", f, product=wall, representation=shape)
        line = run("geometry.add_axis_representation", f, context=axis, axis=[(0.0, 0.0), (5.0, 0.0)])
        run("geometry.assign_representation", f, product=wall, representation=line)
        run("spatial.assign_container", f, relating_structure=storey, products=[wall])
        ids[name] = wall.GlobalId
    ids["opening"] = run("root.create_entity", f, ifc_class="IfcOpeningElement", name="Lost opening").GlobalId
    space = run("root.create_entity", f, ifc_class="IfcSpace", name="101")
    space.LongName = "Bedroom"
    run("aggregate.assign_object", f, relating_object=storey, products=[space])
    ids["space"] = space.GlobalId
    f.write(str(path))
    return ids


def test_a_defective_model_gets_each_defect_with_its_elements(
    tmp_path: Path, client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    path = tmp_path / "defects.ifc"
    ids = defective_ifc(path)
    project_id, model = ingest(client, runtime, tenant, path, path.name)
    assert model["status"] == "ready", model.get("error")
    analysis = analysis_of(client, tenant, project_id, model["id"], **{"Accept-Language": "de"}).json
    by_code = {f["code"]: f for f in analysis["findings"]}
    refs = {code: {e["ref"] for e in f["elements"]} for code, f in by_code.items()}
    assert refs["duplicate_elements"] == {ids["Wall A"], ids["Wall A copy"]}
    assert refs["opening_without_host"] == {ids["opening"]}
    assert refs["space_without_boundary"] == {ids["space"]}
    assert "space_unclassified" not in by_code  # "Bedroom" names its type
    assert by_code["duplicate_elements"]["message"] == "2 Element(e) doppelt an derselben Stelle gezeichnet"
    ranked = [r["code"] for r in analysis["recommendations"]]
    assert {"remove_duplicates", "fix_spaces", "fix_openings"} <= set(ranked)
    selected = validate_bcf(analysis_of(client, tenant, project_id, model["id"], "bcf").data)
    assert {ids["Wall A"], ids["Wall A copy"]} in [set(g) for g in selected.values()]


def test_the_analysis_is_the_tenants_own(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    path = SHARED_DATA / "ifc" / "IfcOpenHouse_IFC4.ifc"
    project_id, model = ingest(client, runtime, tenant, path, path.name)
    stranger = client.get(
        f"/v1/projects/{project_id}/models/{model['id']}/analysis", headers=other_tenant.headers
    )
    assert stranger.status_code == 404
    bad = client.get(
        f"/v1/projects/{project_id}/models/{model['id']}/analysis?format=pdf", headers=tenant.headers
    )
    assert bad.status_code == 422 and bad.json["error"]["code"] == "VALIDATION_FAILED"


# The design review of each real IFC, per storey: check -> status ("—": the storey cannot be
# reviewed at all, with its reason). Checks the model never answers (door handing, north,
# party walls) are not assessable on every reviewed storey and not listed here.
REVIEWS: dict[str, dict[str, dict[str, str] | str]] = {
    # Ground floor: Flur (hall) with the front door and doors to Schlafzimmer, Bad and Buero;
    # Wohnen and Küche have no interior door in the file (open to the hall). The attic's one
    # space, "Galerie", has no room type.
    "ifc/AC20-FZK-Haus_IFC4.ifc": {
        "Erdgeschoss": {
            "entrance_into_hall": "good",
            "private_access": "good",
            "proportions": "good",
            "corridor_share": "good",
            "wet_grouping": "not_applicable",
            "room_daylight": "good",
            "kitchen_living": "good",
        },
        "Dachgeschoss": "no_typed_spaces",
    },
    # Two mirrored dwellings: foyers with the front doors; the kitchens are 2.6 : 1 galleys with
    # no window of their own; the two bathrooms of level 1 are in different dwellings; "Stair"
    # and "Room" have no room type. Level 2: bedrooms and bathrooms off the hallways.
    "ifc/duplex_apartment_IFC2X3.ifc": {
        "T/FDN": "no_spaces",
        "Level 1": {
            "entrance_into_hall": "good",
            "private_access": "good",
            "proportions": "problem",
            "corridor_share": "not_assessable",
            "wet_grouping": "advice",
            "room_daylight": "problem",
            "kitchen_living": "good",
        },
        "Level 2": {
            "entrance_into_hall": "not_assessable",
            "private_access": "good",
            "proportions": "good",
            "corridor_share": "advice",
            "wet_grouping": "good",
            "room_daylight": "good",
            "kitchen_living": "not_applicable",
        },
        "Roof": "no_typed_spaces",
    },
    # The file's doors bound no space: they are put between spaces from their position.
    "ifc/xbim_House_IFC2X3.ifc": {
        "Уровень 1": {
            "entrance_into_hall": "good",
            "private_access": "good",
            "proportions": "good",
            "corridor_share": "not_assessable",  # the garage (Гараж) has no room type
            "room_daylight": "good",
        },
        "Уровень 2": {"entrance_into_hall": "not_assessable", "corridor_share": "not_assessable"},
        "Кровля": "no_spaces",
    },
    # The bedroom's only door opens from the living room.
    "ifc/xbim_SampleHouse4_IFC4.ifc": {
        "Ground Floor": {
            "entrance_into_hall": "good",
            "private_access": "problem",
            "proportions": "good",
            "corridor_share": "good",
            "room_daylight": "good",
        },
        "Roof": "no_typed_spaces",
    },
    "ifc/IfcOpenHouse_IFC4.ifc": {"Level 0": "no_spaces"},
    "ifc/barcelona_pavilion_IFC4.ifc": {"Level 0": "no_spaces"},
}
NEVER_KNOWN = {"door_swings", "swing_into_room", "living_daylight", "party_walls"}


@pytest.mark.parametrize("relative", sorted(REVIEWS))
def test_the_design_review_of_each_storey(
    relative: str, client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    path = SHARED_DATA / relative
    project_id, model = ingest(client, runtime, tenant, path, path.name)
    analysis = analysis_of(client, tenant, project_id, model["id"], **{"Accept-Language": "en"}).json
    storeys = {s["level"]: s for s in analysis["design_review"]}
    assert list(storeys) == list(REVIEWS[relative])
    for level, expected in REVIEWS[relative].items():
        storey = storeys[level]
        checks = {c["id"]: c for c in storey["checks"]}
        assert len(checks) == 11 and all(c["message"] and "{" not in c["message"] for c in checks.values())
        assert storey["summary"] == dict(Counter(c["status"] for c in checks.values())) | {
            s: 0
            for s in ("good", "advice", "problem", "not_applicable", "not_assessable")
            if s not in {c["status"] for c in checks.values()}
        }
        if isinstance(expected, str):  # nothing to review: every check says why
            assert storey["reason"] == expected and storey["spaces"] == 0
            assert {c["status"] for c in checks.values()} == {"not_assessable"}
            assert {c["reason"] for c in checks.values()} == {expected}
            continue
        assert storey["reason"] is None and storey["spaces"] > 0
        assert {k: checks[k]["status"] for k in expected} == expected
        for never in NEVER_KNOWN:
            assert checks[never]["status"] == "not_assessable" and checks[never]["reason"]
    # The review is advice: no finding of the health list comes from it.
    assert not {f["code"] for f in analysis["findings"]} & set(NEVER_KNOWN | {"private_access"})


def test_the_review_measures_what_the_file_holds(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """FZK-Haus' ground floor, measured from the file: the hall's share of the spaces' areas
    (their own quantities), the front door into the hall, the rooms the file gives no door."""
    path = SHARED_DATA / "ifc" / "AC20-FZK-Haus_IFC4.ifc"
    project_id, model = ingest(client, runtime, tenant, path, path.name)
    analysis = analysis_of(client, tenant, project_id, model["id"], **{"Accept-Language": "en"}).json
    ground = {c["id"]: c for c in analysis["design_review"][0]["checks"]}
    ifc = ifcopenshell.open(str(path))
    areas = {  # ArchiCAD names a space by its number, and the room in LongName
        s.LongName: ifcopenshell.util.element.get_psets(s)["BaseQuantities"]["NetFloorArea"]
        for s in ifc.by_type("IfcSpace")
        if s.LongName != "Galerie"
    }
    assert ground["corridor_share"]["value"] == pytest.approx(
        100 * areas["Flur"] / sum(areas.values()), abs=0.2
    )
    assert ground["entrance_into_hall"]["rooms"] == ["Flur"]
    # Küche bounds no door in the file (IfcRelSpaceBoundary): not judged, and said so.
    kitchen = next(s for s in ifc.by_type("IfcSpace") if s.LongName == "Küche")
    assert not any(b.RelatedBuildingElement.is_a("IfcDoor") for b in kitchen.BoundedBy or ())
    assert ground["private_access"]["unjudged"] == ["Küche"]
    assert "Küche" in ground["private_access"]["message"]
    assert ground["proportions"]["value"] <= 2.0


def test_a_drawing_without_typed_spaces_is_not_assessable(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    for relative, reason in (
        ("dxf/barcelona_plan_R2013.dxf", "no_spaces"),
        ("dwg/acadsharp_sample_AC1015_R2000.dwg", "no_typed_spaces"),  # one space, unclassified
    ):
        path = SHARED_DATA / relative
        project_id, model = ingest(client, runtime, tenant, path, path.name)
        analysis = analysis_of(client, tenant, project_id, model["id"], **{"Accept-Language": "en"}).json
        assert analysis["design_review"], relative
        for storey in analysis["design_review"]:
            assert storey["reason"] == reason
            assert {c["status"] for c in storey["checks"]} == {"not_assessable"}
            assert storey["summary"]["not_assessable"] == 11


def test_the_design_review_is_worded_in_the_readers_language(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    path = SHARED_DATA / "ifc" / "AC20-FZK-Haus_IFC4.ifc"
    project_id, model = ingest(client, runtime, tenant, path, path.name)
    for language, entrance, north, heading in (
        (
            "de",
            "Die Wohnungstür öffnet in die Diele.",
            "Das Modell gibt die Nordrichtung nicht an.",
            "Entwurfsprüfung",
        ),
        (
            "tr",
            "Giriş kapısı hole açılıyor.",
            "Model kuzeyin nerede olduğunu söylemiyor.",
            "Tasarım değerlendirmesi",
        ),
    ):
        analysis = analysis_of(client, tenant, project_id, model["id"], **{"Accept-Language": language}).json
        checks = {c["id"]: c for c in analysis["design_review"][0]["checks"]}
        assert checks["entrance_into_hall"]["message"] == entrance
        assert checks["living_daylight"]["message"] == north
        attic = analysis["design_review"][1]["checks"][0]["message"]
        assert attic and "{" not in attic and attic != "reason_no_typed_spaces"
        page = analysis_of(
            client, tenant, project_id, model["id"], "html", **{"Accept-Language": language}
        ).data.decode()
        assert f"<h2>{heading}</h2>" in page and "<h3>Erdgeschoss</h3>" in page
        assert entrance in page and north in page


def test_api_projects_cold_start_loads_no_geometry_library() -> None:
    """Reading projects and models must not pay for shapely (the analysis's geometry and the
    design review load it only when an analysis is made or worded)."""
    import subprocess
    import sys

    probe = "import sys, archbuilder.api.projects; print(sorted(m for m in ('shapely', 'ifcopenshell') if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
