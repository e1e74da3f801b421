"""What an authenticated request costs in store operations, and the per-instance cache of API
keys that saves two of them: counted from the access lines (``store_reads``), through HTTP.

The runtime's store is counted as ``build_runtime`` counts it in production
(``CountingDocumentStore``); each request's figures are read from its own ``request`` log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.i18n import translate_stage
from archbuilder.platform.settings import Settings
from archbuilder.platform.store_counts import CountingDocumentStore
from archbuilder.runtime import Runtime
from archbuilder.services.identity import hash_key
from tests.conftest import TenantCredentials, drain, make_tenant
from tests.functional.test_api_layouts import BRIEF


class AccessLines(logging.Handler):
    """The fields of every ``request`` line the HTTP functions log."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "request":
            self.lines.append(dict(getattr(record, "fields", {})))


@pytest.fixture
def access(runtime: Runtime) -> Iterator[AccessLines]:
    runtime.store = CountingDocumentStore(runtime.store)
    handler = AccessLines()
    logger = logging.getLogger("archbuilder.http")
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


def get(client: FlaskClient, access: AccessLines, url: str, key: str) -> tuple[int, dict[str, Any]]:
    """Status and the access line's fields of one GET."""
    response = client.get(url, headers={"X-API-Key": key})
    return response.status_code, access.lines[-1]


def new_key(client: FlaskClient, tenant: TenantCredentials, **body: Any) -> dict[str, Any]:
    created = client.post(
        "/v1/api-keys", json={"name": "add-in", "role": "architect", **body}, headers=tenant.headers
    )
    assert created.status_code == 201, created.json
    return dict(created.json)


def test_a_repeated_get_reads_the_key_and_tenant_once_and_a_job_poll_reads_one_document(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, access: AccessLines
) -> None:
    project = client.post("/v1/projects", json={"name": "Kadıköy"}, headers=tenant.headers).json["id"]
    job_id = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=tenant.headers).json["job_id"]
    drain(runtime)
    key = new_key(client, tenant)["api_key"]  # not yet used: nothing kept for it

    status, first = get(client, access, f"/v1/jobs/{job_id}", key)
    assert status == 200
    status, second = get(client, access, f"/v1/jobs/{job_id}", key)
    assert status == 200
    # The first request read the key and its tenant; the second found both kept.
    assert second["store_reads"] == first["store_reads"] - 2
    # What is left: the rate-limit transaction (two buckets read and written) and the job, once:
    # the job carries its project's language, so neither the project nor the job is read again.
    assert (second["store_reads"], second["store_writes"], second["store_transactions"]) == (3, 2, 1)
    assert client.get(f"/v1/jobs/{job_id}", headers={"X-API-Key": key}).json["message"] == "Tamamlandı"


def test_a_revoked_or_rotated_key_is_refused_at_once_on_the_same_instance(
    client: FlaskClient, tenant: TenantCredentials, access: AccessLines
) -> None:
    revoked = new_key(client, tenant)
    assert get(client, access, "/v1/me", revoked["api_key"])[0] == 200  # kept now
    assert client.delete(f"/v1/api-keys/{revoked['id']}", headers=tenant.headers).status_code == 200
    status, line = get(client, access, "/v1/me", revoked["api_key"])
    assert status == 401 and line["store_reads"] == 1  # read again, found revoked

    rotated = new_key(client, tenant)
    assert get(client, access, "/v1/me", rotated["api_key"])[0] == 200
    replacement = client.post(
        f"/v1/api-keys/{rotated['id']}/rotate", json={"overlap_hours": 0}, headers=tenant.headers
    )
    assert replacement.status_code == 201, replacement.json
    assert get(client, access, "/v1/me", rotated["api_key"])[0] == 401
    assert get(client, access, "/v1/me", replacement.json["api_key"])[0] == 200


def test_a_tenant_changed_through_this_instance_applies_at_once(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, access: AccessLines
) -> None:
    me = client.get("/v1/me", headers=tenant.headers).json
    assert me["plan"] == "professional"
    # A plan change (the billing worker) and a suspension (an operator), written through the store.
    runtime.store.update(f"tenants/{tenant.tenant_id}", {"plan": "enterprise"})
    assert client.get("/v1/me", headers=tenant.headers).json["plan"] == "enterprise"
    runtime.store.update(f"tenants/{tenant.tenant_id}", {"status": "suspended"})
    assert get(client, access, "/v1/me", tenant.api_key)[0] == 401


def test_a_failed_lookup_is_never_kept(
    client: FlaskClient, tenant: TenantCredentials, access: AccessLines
) -> None:
    unknown = "ab_live_" + "x" * 43
    for _ in range(3):
        status, line = get(client, access, "/v1/me", unknown)
        assert status == 401 and line["store_reads"] == 1  # asked the store every time
    expired = new_key(client, tenant, expires_in_days=1)
    assert get(client, access, "/v1/me", expired["api_key"])[0] == 200


def test_each_key_answers_for_its_own_tenant(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, access: AccessLines
) -> None:
    other = make_tenant(runtime, name="Other Architects GmbH", language="de")
    for _ in range(2):
        assert client.get("/v1/me", headers=tenant.headers).json["tenant_id"] == tenant.tenant_id
        assert client.get("/v1/me", headers=other.headers).json["tenant_id"] == other.tenant_id
    project = client.post("/v1/projects", json={"name": "Moda"}, headers=tenant.headers).json["id"]
    assert client.get(f"/v1/projects/{project}", headers=other.headers).status_code == 404


@pytest.fixture
def short_ttl(settings: Settings) -> Settings:
    settings.api_key_cache_ttl_s = 0.5
    return settings


def test_another_instances_revocation_applies_within_the_ttl(
    short_ttl: Settings, client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    assert runtime.credentials.ttl_s == 0.5
    assert client.get("/v1/me", headers=tenant.headers).status_code == 200
    # Another instance (its own connection to the same database) revokes the key: this one does
    # not see the write, and answers from what it kept until that expires.
    elsewhere = SqliteDocumentStore(Path(short_ttl.data_dir) / "documents.sqlite3")
    elsewhere.update(f"api_keys/{hash_key(tenant.api_key)}", {"revoked_at": format_timestamp(now())})
    assert client.get("/v1/me", headers=tenant.headers).status_code == 200
    time.sleep(0.6)
    assert client.get("/v1/me", headers=tenant.headers).status_code == 401


def test_a_job_answers_in_its_projects_language_and_an_older_job_still_does(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, access: AccessLines
) -> None:
    created = client.post("/v1/projects", json={"name": "Berlin", "language": "de"}, headers=tenant.headers)
    project = created.json["id"]
    job_id = client.post(f"/v1/projects/{project}/layouts", json=BRIEF, headers=tenant.headers).json["job_id"]
    drain(runtime)
    path = f"tenants/{tenant.tenant_id}/jobs/{job_id}"
    stored = runtime.store.get(path)
    assert stored is not None and stored.data["language"] == "de"
    german = translate_stage(stored.data["stage"], "de")
    assert german != translate_stage(stored.data["stage"], "tr")  # the tenant speaks Turkish
    answer = client.get(f"/v1/jobs/{job_id}", headers=tenant.headers)
    assert answer.json["message"] == german and answer.headers["Content-Language"] == "de"
    assert access.lines[-1]["store_reads"] == 3

    # A job made before jobs kept their language: its project is read for it.
    runtime.store.set(path, {k: v for k, v in stored.data.items() if k != "language"})
    answer = client.get(f"/v1/jobs/{job_id}", headers=tenant.headers)
    assert answer.json["message"] == german and answer.headers["Content-Language"] == "de"
    assert access.lines[-1]["store_reads"] == 4
    # Accept-Language still wins, and then nothing else is read.
    english = client.get(f"/v1/jobs/{job_id}", headers=tenant.headers | {"Accept-Language": "en"})
    assert english.headers["Content-Language"] == "en" and access.lines[-1]["store_reads"] == 3
