"""GDPR / KVKK: a tenant's export holds everything it owns; erasure leaves only a tombstone."""

from __future__ import annotations

import hashlib
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
    assert any(n.endswith("layout.json") for n in names)
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


def _archive(client: FlaskClient, job: dict) -> zipfile.ZipFile:  # type: ignore[type-arg]
    url = job["result"]["download_url"]
    response = client.get(url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url)
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_the_export_is_read_only_with_the_export_permission_and_holds_no_credentials(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    headers = tenant.headers
    hook = client.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["job.failed"]}, headers=headers
    ).json
    token = client.post(
        "/v1/members/invitations", json={"email": "later@example.com", "role": "viewer"}, headers=headers
    ).json["token"]
    started = client.post("/v1/privacy/export", headers=headers).json
    drain(runtime)

    # A viewer reads jobs, but the export's job holds a link to everything the tenant has.
    viewer = client.post("/v1/api-keys", json={"name": "v", "role": "viewer"}, headers=headers).json
    as_viewer = {"X-API-Key": viewer["api_key"]}
    for path in (f"/v1/jobs/{started['job_id']}", f"/v1/jobs/{started['job_id']}/events"):
        refused = client.get(path, headers=as_viewer)
        assert refused.status_code == 403 and "download_url" not in refused.get_data(as_text=True)
    project_id = new_project(client, tenant)
    layout_job = submit(client, tenant, project_id, BRIEF).json["job_id"]
    assert client.get(f"/v1/jobs/{layout_job}", headers=as_viewer).status_code == 200
    drain(runtime)

    job = client.get(f"/v1/jobs/{started['job_id']}", headers=headers).json
    archive = _archive(client, job)
    [stored_hook] = [n for n in archive.namelist() if n.startswith("documents/webhooks/")]
    assert json.loads(archive.read(stored_hook))["url"] == "http://127.0.0.1:9/hook"
    everything = b"".join(archive.read(n) for n in archive.namelist())
    assert hook["secret"].encode() not in everything and b'"secret"' not in everything
    # Invitations are stored under their token's hash; the archive names them by id.
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    assert not any(token_hash in n for n in archive.namelist())
    assert token_hash.encode() not in everything
    assert any(n.startswith("documents/invitations/inv_") for n in archive.namelist())


def test_the_tenants_regulation_documents_are_exported_and_erased_the_global_library_kept(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    from archbuilder.regulations.library import library_for
    from tests.functional.test_regulations import FIXTURES, _add_global_turkish, _upload

    _add_global_turkish(runtime)
    text = (FIXTURES / "tr_imar.txt").read_bytes()
    own = _upload(client, tenant, text, title="Ofis kuralları").json
    others = _upload(client, other_tenant, text, title="Başka ofis").json
    assert own["passages"] > 3 and others["id"] != own["id"]

    started = client.post("/v1/privacy/export", headers=tenant.headers)
    drain(runtime)
    job = client.get(f"/v1/jobs/{started.json['job_id']}", headers=tenant.headers).json
    archive = _archive(client, job)
    names = [n for n in archive.namelist() if n.startswith("documents/regulation_documents/")]
    assert names == [f"documents/regulation_documents/{own['id']}.json"]  # not the global one, not others'
    exported = json.loads(archive.read(names[0]))
    assert exported["document"]["title"] == "Ofis kuralları"
    assert len(exported["passages"]) == own["passages"]
    assert any(p["citation"] == "Madde 29 (1)" for p in exported["passages"])

    erased = client.post("/v1/privacy/erase", json={"confirm": "Demo Mimarlık"}, headers=tenant.headers)
    assert erased.status_code == 200
    library = library_for(runtime)
    assert library.document(tenant.tenant_id, own["id"]) is None
    assert [d.scope for d in library.documents(tenant.tenant_id)] == ["global"]
    assert library.document(other_tenant.tenant_id, others["id"]) is not None
