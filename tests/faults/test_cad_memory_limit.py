"""A CAD parse child stopped by its memory limit: that upload's job fails once with a reason in
the reader's language, and the same instance goes on ingesting the next file.

The limit is the sandbox's own (``RLIMIT_AS`` on the fork-server child, ``parse_memory_mb``);
128 MB, the lowest the settings allow, is below what reading the shared IFC file needs.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from archbuilder.runtime import Runtime, get_runtime, set_runtime
from tests.conftest import SHARED_DATA, TenantCredentials
from tests.faults.conftest import CapturingBus, deliver, function_client

IFC = SHARED_DATA / "ifc" / "AC20-FZK-Haus_IFC4.ifc"


def upload(client: FlaskClient, tenant: TenantCredentials, project: str, path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    started = client.post(
        f"/v1/projects/{project}/uploads",
        json={
            "filename": path.name,
            "size_bytes": len(data),
            "content_type": "application/octet-stream",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        headers=tenant.headers,
    )
    assert started.status_code == 201, started.json
    url = started.json["upload_url"].split("://", 1)[-1].split("/", 1)[1]
    assert client.put("/" + url, data=data, headers=started.json["headers"]).status_code == 200
    return dict(started.json)


def test_a_parse_over_the_memory_limit_fails_its_job_and_the_instance_keeps_serving(
    runtime: Runtime, tenant: TenantCredentials, client: FlaskClient, bus: CapturingBus
) -> None:
    worker = function_client("cad_ingest")
    german = {**tenant.headers, "Accept-Language": "de"}
    project = client.post("/v1/projects", json={"name": "Memory"}, headers=tenant.headers).json["id"]

    generous = get_runtime()
    set_runtime(replace(generous, settings=generous.settings.model_copy(update={"parse_memory_mb": 128})))
    heavy = upload(client, tenant, project, IFC)
    events = bus.take()
    for captured in [*events, *events]:  # and its redelivery: failed once, not parsed again
        assert deliver(worker, captured.event) == 200
    model = client.get(f"/v1/projects/{project}/models/{heavy['model_id']}", headers=german).json
    job = client.get(f"/v1/jobs/{heavy['job_id']}", headers=german).json
    assert model["status"] == "failed" and model["error"]["code"] == "PARSE_MEMORY_EXCEEDED", model
    assert "128 MB" in model["error"]["message"] and "Speicher" in model["error"]["message"]
    assert (job["status"], job["attempts"], job["error"]["code"]) == ("failed", 1, "PARSE_MEMORY_EXCEEDED")

    # The same process, its normal limit back: the next upload (the same file) is read.
    set_runtime(generous)
    fine = upload(client, tenant, project, IFC)
    for captured in bus.take():
        assert deliver(worker, captured.event) == 200
    model = client.get(f"/v1/projects/{project}/models/{fine['model_id']}", headers=tenant.headers).json
    assert model["status"] == "ready" and model["stats"]["spaces"] == 7, model
