"""What ``POST …/review`` and ``POST …/revise`` answer: the layout as ``GET …/layouts/{id}`` shows it,
its versions listed (issue 17: the review answered ``"versions": []``)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials, drain
from tests.functional.test_api_layouts import BRIEF, new_project, submit


def _versions(layout: dict[str, Any]) -> list[int]:
    return [v["version"] for v in layout["versions"]]


def test_review_and_revise_answer_the_layout_with_its_versions(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id = new_project(client, tenant)
    layout_id = submit(client, tenant, project_id, BRIEF).json["layout_id"]
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts/{layout_id}"
    headers = tenant.headers
    kitchen = next(
        r
        for r in client.get(f"{base}/versions/1", headers=headers).json["payload"]["rooms"]
        if r["type"] == "kitchen"
    )

    corrected = client.post(
        f"{base}/review",
        json={"corrections": [{"op": "rename_room", "room_id": kitchen["id"], "name": "Mutfak"}]},
        headers=headers,
    )
    assert corrected.status_code == 201, corrected.json
    assert _versions(corrected.json["layout"]) == [1, 2]
    assert corrected.json["layout"] == client.get(base, headers=headers).json

    # A key that may only review (no layouts:read scope) gets the same answer.
    reviewer = client.post(
        "/v1/api-keys", json={"name": "r", "role": "architect", "scopes": ["layouts:review"]}, headers=headers
    )
    assert reviewer.status_code == 201, reviewer.json
    approved = client.post(
        f"{base}/review", json={"decision": "approve"}, headers={"X-API-Key": reviewer.json["api_key"]}
    )
    assert approved.status_code == 200, approved.json
    assert approved.json["layout"]["status"] == "approved" and _versions(approved.json["layout"]) == [1, 2]
    assert approved.json["layout"] == client.get(base, headers=headers).json

    revised = client.post(f"{base}/revise", json={"feedback": "mutfak daha büyük olsun"}, headers=headers)
    assert revised.status_code == 202, revised.json
    # Version 3 is being planned (it may already be stored): the versions that exist are listed.
    assert _versions(revised.json["layout"])[:2] == [1, 2]
    drain(runtime)
    assert _versions(client.get(base, headers=headers).json) == [1, 2, 3]
