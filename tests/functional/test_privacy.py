"""GDPR / KVKK: a tenant's export holds everything it owns; erasure leaves only a tombstone."""

from __future__ import annotations

import io
import json
import zipfile

from flask.testing import FlaskClient

from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from archbuilder.services.privacy import TENANT_TREE
from tests.conftest import TenantCredentials, drain
from tests.functional.test_api_layouts import BRIEF, new_project, submit


def _collections(runtime: Runtime) -> set[str]:
    import sqlite3

    db = sqlite3.connect(runtime.settings.data_dir / "documents.sqlite3")
    return {row[0] for row in db.execute("SELECT DISTINCT collection FROM documents")}


def _tree_names(tree: dict, prefix: str = "") -> set[str]:  # type: ignore[type-arg]
    names = set()
    for name, below in tree.items():
        names.add(prefix + name)
        names |= _tree_names(below, prefix + name + "/*/")
    return names


def test_export_then_erase(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    headers = tenant.headers
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    other_project = new_project(client, other_tenant)
    drain(runtime)

    # Every collection our services wrote under tenants/{t} is in the tree the export walks.
    written = {c for c in _collections(runtime) if c.startswith(f"tenants/{tenant.tenant_id}/")}
    known = _tree_names(TENANT_TREE)
    for collection in written:
        relative = collection[len(f"tenants/{tenant.tenant_id}/") :]
        pattern = "/".join("*" if i % 2 else part for i, part in enumerate(relative.split("/")))
        assert pattern in known, f"{relative} is not in privacy.TENANT_TREE"

    started = client.post("/v1/privacy/export", headers=headers)
    assert started.status_code == 202
    drain(runtime)
    job = client.get(f"/v1/jobs/{started.json['job_id']}", headers=headers).json
    assert job["status"] == "succeeded", job
    url = job["result"]["download_url"]
    archive = client.get(url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url)
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert "documents/tenant.json" in names
    assert any(
        n.startswith(f"documents/projects/{project_id}/layouts/{accepted['layout_id']}/versions/")
        for n in names
    )
    assert any(n.endswith("layout.dxf") for n in names)
    assert not any(other_project in n for n in names)
    assert client.get(url.rsplit(".", 1)[0] + ".forged").status_code == 403

    viewer = client.post("/v1/api-keys", json={"name": "v", "role": "admin"}, headers=headers).json
    assert (
        client.post(
            "/v1/privacy/erase", json={"confirm": "Demo Mimarlık"}, headers={"X-API-Key": viewer["api_key"]}
        ).status_code
        == 403
    )
    wrong = client.post("/v1/privacy/erase", json={"confirm": "demo"}, headers=headers)
    assert wrong.status_code == 400 and wrong.json["error"]["code"] == "ERASE_NOT_CONFIRMED"
    erased = client.post("/v1/privacy/erase", json={"confirm": "Demo Mimarlık"}, headers=headers)
    assert erased.status_code == 200 and erased.json["erased"]["documents"] > 5

    assert client.get("/v1/me", headers=headers).status_code == 401
    assert not [c for c in _collections(runtime) if c.startswith(f"tenants/{tenant.tenant_id}")]
    assert runtime.blobs.list(f"tenants/{tenant.tenant_id}/") == []
    assert runtime.store.query(Query("api_keys", where=[])) and not [
        k for k in runtime.store.query(Query("api_keys")) if k.data["tenant_id"] == tenant.tenant_id
    ]
    tombstone = runtime.store.get(f"erasures/{tenant.tenant_id}")
    assert tombstone is not None and "Demo" not in json.dumps(tombstone.data)
    assert client.get(f"/v1/projects/{other_project}", headers=other_tenant.headers).status_code == 200
