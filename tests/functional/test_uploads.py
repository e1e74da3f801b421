"""CAD uploads end to end in-process: signed URL, PUT, Storage CloudEvent, cad_ingest, model."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cloudevents.conversion import to_binary
from flask.testing import FlaskClient
from functions_framework import create_app

from archbuilder.domain.timestamps import now
from archbuilder.platform.events import storage_finalized_event
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from tests.conftest import REPO_ROOT, SHARED_DATA, TenantCredentials, drain

IFC = SHARED_DATA / "ifc" / "AC20-FZK-Haus_IFC4.ifc"
DXF = SHARED_DATA / "dxf" / "barcelona_plan_R2013.dxf"


def new_project(client: FlaskClient, tenant: TenantCredentials) -> str:
    return str(client.post("/v1/projects", json={"name": "Upload"}, headers=tenant.headers).json["id"])


def start_upload(
    client: FlaskClient, tenant: TenantCredentials, project_id: str, name: str, data: bytes, **extra: Any
) -> Any:
    body = {
        "filename": name,
        "size_bytes": len(data),
        "content_type": "application/octet-stream",
        "sha256": hashlib.sha256(data).hexdigest(),
    } | extra
    return client.post(f"/v1/projects/{project_id}/uploads", json=body, headers=tenant.headers)


def put(client: FlaskClient, url: str, data: bytes, headers: dict[str, str]) -> Any:
    path = url.split("://", 1)[-1].split("/", 1)[1]
    return client.put("/" + path, data=data, headers=headers)


def upload_file(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, path: Path, name: str | None = None
) -> tuple[str, dict[str, Any]]:
    project_id = new_project(client, tenant)
    data = path.read_bytes()
    started = start_upload(client, tenant, project_id, name or path.name, data)
    assert started.status_code == 201, started.json
    assert put(client, started.json["upload_url"], data, started.json["headers"]).status_code == 200
    drain(runtime)
    model = client.get(f"/v1/projects/{project_id}/models/{started.json['model_id']}", headers=tenant.headers)
    assert model.status_code == 200
    return project_id, model.json


def test_an_ifc_upload_becomes_a_checked_model(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    _, model = upload_file(client, runtime, tenant, IFC)
    assert model["status"] == "ready", model
    assert model["format"] == "ifc" and model["schema"] == "IFC4"
    assert model["stats"]["spaces"] == 7 and model["stats"]["levels"] == 2
    names = {s["name"] for s in model["spaces"]}
    assert any("Schlafzimmer" in n for n in names)
    assert any(s["type"] == "bedroom" for s in model["spaces"])
    assert model["compliance"]["summary"]["passed"] + model["compliance"]["summary"]["errors"] > 0


def test_a_dxf_upload_becomes_a_model(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    _, model = upload_file(client, runtime, tenant, DXF)
    assert model["status"] == "ready", model
    assert model["format"] == "dxf" and model["stats"]["walls"] > 0


def test_a_file_that_is_not_cad_fails_its_own_job(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, tmp_path: Path
) -> None:
    junk = tmp_path / "plan.dxf"
    junk.write_bytes(b"\x00\x01 this is not a drawing " * 100)
    project_id, model = upload_file(client, runtime, tenant, junk)
    assert model["status"] == "failed" and model["error"]["code"], model
    assert model["error"]["message"] and model["error"]["message"] != model["error"]["code"]
    # The service goes on: a real file in the same project still ingests.
    _, good = upload_file(client, runtime, tenant, IFC)
    assert good["status"] == "ready"


def test_signed_url_refuses_other_bytes_and_a_second_put(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    data = IFC.read_bytes()
    started = start_upload(client, tenant, project_id, IFC.name, data).json
    url, headers = started["upload_url"], started["headers"]
    assert put(client, url, data[:-10] + b"0123456789", headers).status_code == 400
    assert put(client, url + "x", data, headers).status_code == 403
    assert put(client, url, data, {"Content-Type": "text/plain"}).status_code == 400
    assert put(client, url, data, headers).status_code == 200
    assert put(client, url, data, headers).status_code == 409
    drain(runtime)


def test_redelivered_storage_event_changes_nothing(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id, model = upload_file(client, runtime, tenant, IFC)
    upload_doc = runtime.store.query(Query(f"tenants/{tenant.tenant_id}/projects/{project_id}/uploads"))[0]
    name = upload_doc.data["object_name"]
    data = runtime.uploads.get(name)
    assert data is not None
    generation = int(
        runtime.store.get(f"tenants/{tenant.tenant_id}/projects/{project_id}/models/{model['id']}").data[
            "generation"
        ]
    )  # type: ignore[union-attr]
    event = storage_finalized_event(
        bucket="uploads",
        name=name,
        generation=generation,
        size=len(data),
        content_type="application/octet-stream",
        md5_base64="",
        created_at=now(),
    )
    worker = create_app(
        target="cad_ingest",
        source=str(REPO_ROOT / "functions/cad_ingest/main.py"),
        signature_type="cloudevent",
    ).test_client()
    before = runtime.store.get(f"tenants/{tenant.tenant_id}/projects/{project_id}/models/{model['id']}")
    headers, body = to_binary(event)
    assert worker.post("/", headers=headers, data=body).status_code == 200
    after = runtime.store.get(f"tenants/{tenant.tenant_id}/projects/{project_id}/models/{model['id']}")
    assert before is not None and after is not None and before.data == after.data


def test_upload_limits_and_isolation(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    too_big = client.post(
        f"/v1/projects/{project_id}/uploads",
        headers=tenant.headers,
        json={"filename": "big.ifc", "size_bytes": runtime.settings.max_upload_bytes + 1, "sha256": "0" * 64},
    )
    assert too_big.status_code == 413 and too_big.json["error"]["code"] == "UPLOAD_TOO_LARGE"
    wrong_type = client.post(
        f"/v1/projects/{project_id}/uploads",
        headers=tenant.headers,
        json={"filename": "notes.pdf", "size_bytes": 10, "sha256": "0" * 64},
    )
    assert wrong_type.status_code == 422
    started = start_upload(client, tenant, project_id, "a.ifc", b"x" * 10).json
    assert (
        client.get(
            f"/v1/projects/{project_id}/models/{started['model_id']}", headers=other_tenant.headers
        ).status_code
        == 404
    )
    pending = client.get(
        f"/v1/projects/{project_id}/models/{started['model_id']}", headers=tenant.headers
    ).json
    assert pending["status"] == "awaiting_upload"


def test_an_ingested_model_can_be_checked_again_by_reference(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id, model = upload_file(client, runtime, tenant, IFC)
    response = client.post(
        "/v1/compliance/check",
        json={
            "model_ref": {"project_id": project_id, "model_id": model["id"]},
            "region": "DE",
            "language": "de",
        },
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.json
    report = response.json
    assert report["region"] == "DE" and report["findings"]
    assert report["summary"] == {**report["summary"]}  # shape present


def test_a_chunked_put_to_the_local_upload_url_is_read_whole(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from tests.functional.test_security import _Chunks

    project_id = new_project(client, tenant)
    data = DXF.read_bytes()
    started = start_upload(client, tenant, project_id, DXF.name, data).json
    path = "/" + started["upload_url"].split("://", 1)[-1].split("/", 1)[1]
    environ = EnvironBuilder(
        path=path, method="PUT", headers=started["headers"] | {"Transfer-Encoding": "chunked"}
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    pieces = [data[i : i + 65_536] for i in range(0, len(data), 65_536)]  # one piece per read
    environ.update({"wsgi.input": _Chunks(pieces), "wsgi.input_terminated": True})
    assert client.open(Request(environ)).status_code == 200
    drain(runtime)
    model = client.get(f"/v1/projects/{project_id}/models/{started['model_id']}", headers=tenant.headers)
    assert model.json["status"] == "ready", model.json


def drawing(entities: str, *, insunits: int | str = 6) -> bytes:
    """An R12 DXF written as text: a header with ``$INSUNITS`` and the given ENTITIES."""
    header = f"0\nSECTION\n2\nHEADER\n9\n$ACADVER\n1\nAC1009\n9\n$INSUNITS\n70\n{insunits}\n0\nENDSEC\n"
    return (header + f"0\nSECTION\n2\nENTITIES\n{entities}0\nENDSEC\n0\nEOF\n").encode("ascii")


def wall_line(x0: str, y0: str, x1: str, y1: str) -> str:
    return f"0\nLINE\n8\nA-WALL\n10\n{x0}\n20\n{y0}\n30\n0.0\n11\n{x1}\n21\n{y1}\n31\n0.0\n"


def ingest_bytes(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, name: str, data: bytes
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Upload ``data`` and return the model and the job as the client reads them, in German."""
    project_id = new_project(client, tenant)
    started = start_upload(client, tenant, project_id, name, data)
    assert started.status_code == 201, started.json
    assert put(client, started.json["upload_url"], data, started.json["headers"]).status_code == 200
    drain(runtime)
    german = {**tenant.headers, "Accept-Language": "de"}
    model = client.get(f"/v1/projects/{project_id}/models/{started.json['model_id']}", headers=german)
    job = client.get(f"/v1/jobs/{started.json['job_id']}", headers=german)
    assert model.status_code == 200 and job.status_code == 200, (model.json, job.json)
    return model.json or {}, job.json or {}


@pytest.mark.parametrize("value", ["1e308", "inf", "nan"])
def test_a_drawing_with_coordinates_out_of_range_fails_once_with_a_translated_reason(
    value: str, client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """Issue 16: a 15 KB DXF with a 1e308 coordinate (infinite in mm) was parsed three times,
    logged three stack traces and ended JOB_ATTEMPTS_EXHAUSTED. A bad file fails once."""
    entities = wall_line("0.0", "0.0", "12.0", "0.0") + wall_line("0.0", "0.2", value, "0.2")
    model, job = ingest_bytes(client, runtime, tenant, "far.dxf", drawing(entities))
    assert model["status"] == "failed" and model["error"]["code"] == "INVALID_GEOMETRY", model["error"]
    assert (job["status"], job["attempts"], job["error"]["code"]) == ("failed", 1, "INVALID_GEOMETRY")
    message = model["error"]["message"]
    assert "DXF-Datei" in message and "Koordinaten" in message and "{" not in message, message


def test_a_file_no_library_can_read_fails_in_our_words_not_the_librarys(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """Issue 16: the client read ezdxf's and numpy's exception text ("ValueError: …")."""
    model, job = ingest_bytes(client, runtime, tenant, "units.dxf", drawing("", insunits="nan"))
    assert model["error"]["code"] == job["error"]["code"] == "CAD_PARSE_FAILED"
    message = model["error"]["message"]
    assert message.startswith("Die DXF-Datei konnte nicht gelesen werden: Sie ist beschädigt"), message
    assert job["error"]["message"] == message and "Invalid tag" not in str((model, job))
