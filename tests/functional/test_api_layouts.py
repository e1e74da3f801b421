"""From brief to stored layout through the dev server: api_layouts, the bus and layout_worker."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from ezdxf import recover
from flask.testing import FlaskClient

from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials, drain

BRIEF: dict[str, Any] = {
    "building_type": "apartment",
    "footprint": {"width_mm": 12000, "depth_mm": 9000},
    "entrance": {"side": "south"},
    "level_height_mm": 2800,
    "rooms": [
        {"type": "living_room", "name": "Salon", "target_area_m2": 28},
        {"type": "kitchen", "target_area_m2": 10},
        {"type": "bedroom", "count": 2, "target_area_m2": 12},
        {"type": "bathroom", "target_area_m2": 5},
        {"type": "wc"},
        {"type": "hall"},
    ],
}


def new_project(client: FlaskClient, tenant: TenantCredentials) -> str:
    response = client.post("/v1/projects", json={"name": "Kadıköy"}, headers=tenant.headers)
    assert response.status_code == 201
    return str(response.json["id"])


def submit(
    client: FlaskClient, tenant: TenantCredentials, project_id: str, brief: dict[str, Any], **headers: str
):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/projects/{project_id}/layouts", json=brief, headers=tenant.headers | headers)


def test_brief_becomes_a_stored_revit_layout(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF)
    assert accepted.status_code == 202
    job_id, layout_id = accepted.json["job_id"], accepted.json["layout_id"]
    assert accepted.json["status"] == "queued"
    drain(runtime)

    job = client.get(f"/v1/jobs/{job_id}", headers=tenant.headers).json
    assert job["status"] == "succeeded", job
    assert job["progress"] == 100 and job["result"] == {"layout_id": layout_id, "version": 1}
    assert job["message"] == "Tamamlandı"  # the tenant's language

    layout = client.get(f"/v1/projects/{project_id}/layouts/{layout_id}", headers=tenant.headers).json
    assert layout["status"] == "requires_review" and layout["latest_version"] == 1
    assert [v["version"] for v in layout["versions"]] == [1]
    assert layout["brief"]["region"] == "TR"

    version = client.get(
        f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1", headers=tenant.headers
    ).json
    payload = version["payload"]
    wall_ids = {w["id"] for w in payload["walls"]}
    room_ids = {r["id"] for r in payload["rooms"]}
    assert all(d["host_wall_id"] in wall_ids for d in payload["doors"])
    assert all(w["host_wall_id"] in wall_ids for w in payload["windows"])
    assert all(set(d["connects"]) <= room_ids for d in payload["doors"])
    assert sorted(r["type"] for r in payload["rooms"]) == sorted(
        ["living_room", "kitchen", "bedroom", "bedroom", "bathroom", "wc", "hall"]
    )
    assert "Salon" in {r["name"] for r in payload["rooms"]}
    assert payload["levels"][0]["height_mm"] == 2800

    exported = client.get(
        f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1/export?format=json", headers=tenant.headers
    )
    assert exported.status_code == 200 and exported.json == payload

    # The job stores the Revit payload only; the DXF is rendered on its first export and kept.
    folder = f"tenants/{tenant.tenant_id}/projects/{project_id}/layouts/{layout_id}/versions/1"
    assert runtime.blobs.get(f"{folder}/layout.json") is not None
    assert runtime.blobs.get(f"{folder}/layout.dxf") is None
    dxf = client.get(
        f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1/export?format=dxf", headers=tenant.headers
    )
    assert dxf.status_code == 200 and "attachment" in dxf.headers["Content-Disposition"]
    assert runtime.blobs.get(f"{folder}/layout.tr.dxf") == dxf.data  # numbers as Turkish writes them
    again = client.get(
        f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1/export?format=dxf", headers=tenant.headers
    )
    assert again.data == dxf.data  # the kept file, not a second rendering
    doc, _ = recover.read(io.BytesIO(dxf.data))  # in the code page its header names
    assert doc.header["$INSUNITS"] == 4 and doc.header["$DWGCODEPAGE"] == "ANSI_1254"  # mm; Turkish names
    layers = {layer.dxf.name for layer in doc.layers}
    assert {"A-WALL", "A-DOOR", "A-GLAZ", "A-AREA-IDEN"} <= layers
    labels = " ".join(
        e.plain_text() if e.dxftype() == "MTEXT" else e.dxf.text for e in doc.modelspace().query("TEXT MTEXT")
    )
    assert "Salon" in labels


def test_idempotency_key_returns_the_same_job(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    first = submit(client, tenant, project_id, BRIEF, **{"Idempotency-Key": "brief-42"})
    again = submit(client, tenant, project_id, BRIEF, **{"Idempotency-Key": "brief-42"})
    assert first.status_code == again.status_code == 202
    assert first.json == again.json
    other = dict(BRIEF, level_height_mm=3000)
    conflict = submit(client, tenant, project_id, other, **{"Idempotency-Key": "brief-42"})
    assert conflict.status_code == 409 and conflict.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    drain(runtime)
    layouts = client.get(f"/v1/projects/{project_id}/layouts", headers=tenant.headers).json["items"]
    assert len(layouts) == 1


def test_programme_larger_than_the_footprint_is_refused_before_anything_is_stored(
    client: FlaskClient, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    brief = {"footprint": {"width_mm": 6000, "depth_mm": 5000}, "rooms": [{"type": "bedroom", "count": 8}]}
    response = submit(client, tenant, project_id, brief)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "PROGRAMME_TOO_LARGE"
    assert "Oda programı" in error["message"]  # tenant default: tr
    assert error["details"]["required_m2"] > error["details"]["available_m2"]
    assert client.get(f"/v1/projects/{project_id}/layouts", headers=tenant.headers).json["items"] == []


@pytest.mark.parametrize(
    ("brief", "field"),
    [
        (
            {"footprint": {"width_mm": 9000, "depth_mm": 9000}, "rooms": [{"type": "ballroom"}]},
            "rooms.0.type",
        ),
        (
            {
                "footprint": {"polygon": [{"x": 0, "y": 0}, {"x": 9000, "y": 0}, {"x": 9000, "y": 9000}]},
                "rooms": [{"type": "kitchen"}],
            },
            "footprint",
        ),
        ({"footprint": {"width_mm": 9000, "depth_mm": 9000}, "rooms": []}, "body"),
        ({"rooms": [{"type": "kitchen"}]}, "body"),
    ],
)
def test_bad_briefs_are_422_with_the_field(
    client: FlaskClient, tenant: TenantCredentials, brief: dict[str, Any], field: str
) -> None:
    project_id = new_project(client, tenant)
    response = submit(client, tenant, project_id, brief, **{"Accept-Language": "es"})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert any(e["field"].startswith(field) or field == "body" for e in error["details"]["errors"])
    assert "no son válidos" in error["message"]


def test_a_house_is_planned_off_its_party_wall(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """Party walls through the API: the default entrance (south) moves off a south party wall,
    no window is on it, and an entrance asked for on a party wall is refused."""
    project_id = new_project(client, tenant)
    house = {
        "building_type": "house",
        "footprint": {"width_mm": 10000, "depth_mm": 9000},
        "party_walls": ["south"],
        "rooms": [
            {"type": "living_room"},
            {"type": "kitchen"},
            {"type": "bedroom", "count": 2},
            {"type": "bathroom"},
            {"type": "hall"},
        ],
    }
    accepted = submit(client, tenant, project_id, house)
    assert accepted.status_code == 202
    drain(runtime)
    layout_id = accepted.json["layout_id"]
    version = client.get(f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1", headers=tenant.headers)
    payload = version.json["payload"]
    south = {w["id"] for w in payload["walls"] if w["is_exterior"] and w["start"]["y"] == w["end"]["y"] < 500}
    assert payload["windows"] and not any(n["host_wall_id"] in south for n in payload["windows"])
    entrance = next(d for d in payload["doors"] if len(d["connects"]) == 1)
    walls = {w["id"]: w for w in payload["walls"]}
    assert walls[entrance["host_wall_id"]]["start"]["y"] > 8000  # on the north facade
    refused = submit(client, tenant, project_id, {**house, "entrance": {"side": "south"}})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "VALIDATION_FAILED"


def test_another_tenants_project_and_layouts_are_not_found(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts"
    for path in (
        base,
        f"{base}/{accepted['layout_id']}",
        f"{base}/{accepted['layout_id']}/versions/1",
        f"{base}/{accepted['layout_id']}/versions/1/export?format=dxf",
        f"/v1/jobs/{accepted['job_id']}",
    ):
        assert client.get(path, headers=other_tenant.headers).status_code == 404, path
    assert submit(client, other_tenant, project_id, BRIEF).status_code == 404


def test_unknown_export_format_is_refused(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    response = client.get(
        f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}/versions/1/export?format=pdf",
        headers=tenant.headers,
    )
    assert response.status_code == 422 and response.json["error"]["code"] == "UNSUPPORTED_EXPORT_FORMAT"
    missing = client.get(
        f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}/versions/2", headers=tenant.headers
    )
    assert missing.status_code == 404


def test_variants_compliance_and_exports(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    brief = dict(BRIEF, options={"variants": 3, "seed": 7})
    accepted = submit(client, tenant, project_id, brief).json
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}/versions/1"
    version = client.get(base, headers=tenant.headers).json
    ranks = [v["rank"] for v in version["variants"]]
    assert ranks[0] == 1 and ranks == sorted(ranks) and 1 <= len(ranks) <= 3
    assert version["compliance"]["summary"]["passed"] > 0
    assert version["compliance"]["region"] == "TR"
    if len(ranks) > 1:
        second = client.get(base, query_string={"variant": 2}, headers=tenant.headers).json
        assert second["variant"] == 2 and second["payload"] != version["payload"]
    assert client.get(base, query_string={"variant": 5}, headers=tenant.headers).status_code == 404

    report = client.get(f"{base}/compliance", headers=tenant.headers).json
    assert report["region"] == "TR" and report["findings"]
    assert all(f["citation"]["document"] for f in report["findings"] if f["status"] in ("pass", "fail"))
    english = client.get(f"{base}/compliance", headers=tenant.headers | {"Accept-Language": "en"}).json
    assert english["summary"] == report["summary"]
    page = client.get(f"{base}/compliance", query_string={"format": "html"}, headers=tenant.headers)
    assert (
        page.status_code == 200 and page.content_type.startswith("text/html") and b"<script" not in page.data
    )

    svg = client.get(f"{base}/export", query_string={"format": "svg"}, headers=tenant.headers)
    assert svg.status_code == 200 and svg.content_type == "image/svg+xml" and b"<svg" in svg.data
    assert b"Salon" in svg.data


def test_a_prompt_alone_becomes_a_layout(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, {"prompt": "3+1 daire, 110 m², mutfak salona açık"})
    assert accepted.status_code == 202, accepted.json
    assert accepted.json["assumptions"]
    drain(runtime)
    job = client.get(f"/v1/jobs/{accepted.json['job_id']}", headers=tenant.headers).json
    assert job["status"] == "succeeded", job
    layout = client.get(
        f"/v1/projects/{project_id}/layouts/{accepted.json['layout_id']}", headers=tenant.headers
    ).json
    rooms = [r["type"] for r in layout["brief"]["rooms"] for _ in range(r["count"])]
    assert rooms.count("bedroom") == 3 and rooms.count("living_room") == 1
    assert layout["brief"]["total_area_m2"] == 110
    vague = submit(client, tenant, project_id, {"prompt": "merhaba"})
    # The built-in reader still answers, and says what it had to assume.
    assert vague.status_code in (202, 422)
    if vague.status_code == 202:
        assert vague.json["assumptions"]


def test_ifc_export_reads_back_with_the_version_facts(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, tmp_path: Any
) -> None:
    import ifcopenshell
    import ifcopenshell.util.element

    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}/versions/1"
    payload = client.get(base, headers=tenant.headers).json["payload"]
    exported = client.get(f"{base}/export", query_string={"format": "ifc"}, headers=tenant.headers)
    assert exported.status_code == 200
    path = tmp_path / "layout.ifc"
    path.write_bytes(exported.data)
    model = ifcopenshell.open(str(path))
    assert len(model.by_type("IfcSpace")) == len(payload["rooms"])
    (building,) = model.by_type("IfcBuilding")
    psets = ifcopenshell.util.element.get_psets(building)
    facts = next(v for k, v in psets.items() if k.startswith("ArchBuilder"))
    assert str(1) in {str(v) for v in facts.values()}  # the version number travels with the file


def test_an_imperial_project_exports_in_inches_and_the_ifc_header_names_the_tenant(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, tmp_path: Any
) -> None:
    import ifcopenshell

    created = client.post(
        "/v1/projects",
        json={"name": "Brooklyn", "code_region": "US", "units": "imperial"},
        headers=tenant.headers,
    )
    assert created.status_code == 201
    accepted = submit(client, tenant, created.json["id"], BRIEF).json
    drain(runtime)
    base = f"/v1/projects/{created.json['id']}/layouts/{accepted['layout_id']}/versions/1"
    payload = client.get(base, headers=tenant.headers).json["payload"]
    assert all(d["type_name"].endswith('"') or d["type_name"].endswith('" opening') for d in payload["doors"])

    dxf = client.get(f"{base}/export", query_string={"format": "dxf"}, headers=tenant.headers)
    assert dxf.status_code == 200
    doc, _ = recover.read(io.BytesIO(dxf.data))
    assert doc.header["$INSUNITS"] == 1 and doc.header["$MEASUREMENT"] == 0  # inches, imperial
    labels = [e.plain_text() for e in doc.modelspace().query("MTEXT")]
    assert len(labels) == len(payload["rooms"]) and all(t.endswith(" ft²") for t in labels)

    ifc = client.get(f"{base}/export", query_string={"format": "ifc"}, headers=tenant.headers)
    assert ifc.status_code == 200
    filename = ifc.headers["Content-Disposition"].split('filename="')[1].rstrip('"')
    path = tmp_path / filename
    path.write_bytes(ifc.data)
    header = ifcopenshell.open(str(path)).header.file_name
    assert header.name == filename == f"{accepted['layout_id']}-v1.ifc"
    assert tuple(header.organization) == ("Demo Mimarlık",)  # the tenant's name (tests/conftest.py)
    assert header.originating_system.startswith("ArchBuilder Cloud ")
    assert tenant.api_key not in ifc.data.decode("utf-8")


@contextlib.contextmanager
def workers_held(runtime: Runtime) -> Iterator[None]:
    """Keep the event workers busy for the block, so a job submitted in it stays queued."""
    release = threading.Event()
    runtime.bus.subscribe("test-hold-events", lambda _event: release.wait(30))
    for _ in range(8):
        runtime.bus.publish("test-hold-events", {})
    try:
        yield
    finally:
        release.set()


def sse_events(chunks: Iterable[bytes]) -> list[str]:
    return [block for block in b"".join(chunks).decode().split("\n\n") if block]


def test_a_revoked_key_loses_its_job_stream_while_the_job_waits(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """Nothing changes in the job: the periodic check ends the stream all the same."""
    key = client.post("/v1/api-keys", json={"name": "add-in"}, headers=tenant.headers).json
    project_id = new_project(client, tenant)
    with workers_held(runtime):
        job_id = submit(client, tenant, project_id, BRIEF).json["job_id"]
        stream = client.get(
            f"/v1/jobs/{job_id}/events", headers={"X-API-Key": key["api_key"]}, buffered=False
        )
        assert stream.status_code == 200
        chunks = iter(stream.response)
        assert next(chunks).startswith(b"event: progress")
        assert client.delete(f"/v1/api-keys/{key['id']}", headers=tenant.headers).status_code == 200
        started = time.monotonic()
        rest = sse_events(chunks)  # the job is still queued: only the re-check can end this
        assert time.monotonic() - started < 30
    assert len(rest) == 1 and rest[0].startswith("event: error"), rest
    assert json.loads(rest[0].split("data: ", 1)[1])["error"]["code"] == "UNAUTHENTICATED"
    stream.close()
    drain(runtime)


def test_a_revoked_key_gets_no_more_progress_of_its_job(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """Revoked while the job waits, then the job runs: the next change is not sent, the
    stream ends with an error instead of the progress and the end."""
    key = client.post("/v1/api-keys", json={"name": "add-in"}, headers=tenant.headers).json
    project_id = new_project(client, tenant)
    with workers_held(runtime):
        job_id = submit(client, tenant, project_id, BRIEF).json["job_id"]
        stream = client.get(
            f"/v1/jobs/{job_id}/events", headers={"X-API-Key": key["api_key"]}, buffered=False
        )
        chunks = iter(stream.response)
        first = next(chunks)
        assert client.delete(f"/v1/api-keys/{key['id']}", headers=tenant.headers).status_code == 200
    drain(runtime)  # the job has finished
    rest = sse_events(chunks)
    stream.close()
    assert json.loads(first.decode().split("data: ", 1)[1])["status"] == "queued"
    assert [e.split("\n", 1)[0] for e in rest] == ["event: error"], rest
    assert client.get(f"/v1/jobs/{job_id}", headers=tenant.headers).json["status"] == "succeeded"
