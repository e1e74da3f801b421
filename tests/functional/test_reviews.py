"""The review loop through the API: queue, corrections as new versions, approval, revision, diff."""

from __future__ import annotations

import hashlib
from typing import Any

from flask.testing import FlaskClient

from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials, drain
from tests.functional.test_api_layouts import BRIEF, new_project, submit


def test_review_loop(client: FlaskClient, runtime: Runtime, tenant: TenantCredentials) -> None:
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    layout_id = accepted["layout_id"]
    base = f"/v1/projects/{project_id}/layouts/{layout_id}"
    headers = tenant.headers

    queue = client.get("/v1/reviews", headers=headers).json["items"]
    assert [e["layout_id"] for e in queue] == [layout_id] and queue[0]["version"] == 1
    assigned = client.post(f"/v1/reviews/{layout_id}/assign", json={}, headers=headers).json
    assert assigned["status"] == "assigned" and assigned["assignee"].startswith("api_key:")

    v1 = client.get(f"{base}/versions/1", headers=headers).json
    room = next(r for r in v1["payload"]["rooms"] if r["type"] == "kitchen")
    corrected = client.post(
        f"{base}/review",
        json={
            "comments": "rename the kitchen",
            "corrections": [{"op": "rename_room", "room_id": room["id"], "name": "Açık Mutfak"}],
        },
        headers=headers,
    )
    assert corrected.status_code == 201, corrected.json
    assert corrected.json["new_version"] == 2 and corrected.json["layout"]["status"] == "requires_review"
    v2 = client.get(f"{base}/versions/2", headers=headers).json
    assert v2["parent_version"] == 1 and v2["source"] == "correction" and v2["compliance"]["summary"]
    assert next(r for r in v2["payload"]["rooms"] if r["id"] == room["id"])["name"] == "Açık Mutfak"
    assert client.get(f"{base}/versions/1", headers=headers).json["payload"] == v1["payload"]  # untouched

    diff = client.get(f"{base}/versions/1/diff/2", headers=headers).json
    assert diff["changes"] == [
        {"id": room["id"], "kind": "room", "change": "changed", "fields": ["name"], "area_delta_m2": 0.0}
    ]

    bad = client.post(
        f"{base}/review",
        json={"corrections": [{"op": "move_wall", "wall_id": "W1", "offset_mm": 500}]},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json["error"]["code"] == "CORRECTION_INVALID"

    approved = client.post(f"{base}/review", json={"decision": "approve", "version": 2}, headers=headers).json
    assert approved["layout"]["status"] == "approved" and approved["layout"]["approved_version"] == 2
    assert client.get("/v1/reviews", headers=headers).json["items"] == []

    export = client.get(f"{base}/versions/2/export", headers=headers)
    assert export.headers["X-Layout-Version"] == "2"
    assert export.headers["X-Layout-Checksum"] == "sha256:" + hashlib.sha256(export.data).hexdigest()

    history = client.get(f"{base}/decisions", headers=headers).json["items"]
    assert [d["decision"] for d in history] == ["corrected", "approve"]

    viewer = client.post("/v1/api-keys", json={"name": "v", "role": "viewer"}, headers=headers).json
    denied = client.post(
        f"{base}/review", json={"decision": "reject"}, headers={"X-API-Key": viewer["api_key"]}
    )
    assert denied.status_code == 403

    revised = client.post(f"{base}/revise", json={"feedback": "mutfak daha büyük olsun"}, headers=headers)
    assert revised.status_code == 202 and revised.json["new_version"] == 3
    drain(runtime)
    job = client.get(f"/v1/jobs/{revised.json['job_id']}", headers=headers).json
    assert job["status"] == "succeeded", job
    v3 = client.get(f"{base}/versions/3", headers=headers).json
    assert v3["parent_version"] == 2 and v3["metadata"]["feedback"] == "mutfak daha büyük olsun"
    layout = client.get(base, headers=headers).json
    assert layout["latest_version"] == 3 and layout["status"] == "requires_review"
    assert [v["version"] for v in layout["versions"]] == [1, 2, 3]


def test_auto_approval_policy(client: FlaskClient, runtime: Runtime, tenant: TenantCredentials) -> None:
    headers = tenant.headers
    assert client.get("/v1/review-policy", headers=headers).json == {"auto_approve": False}
    architect = client.post("/v1/api-keys", json={"name": "a", "role": "architect"}, headers=headers).json
    denied = client.put(
        "/v1/review-policy", json={"auto_approve": True}, headers={"X-API-Key": architect["api_key"]}
    )
    assert denied.status_code == 403
    assert client.put("/v1/review-policy", json={"auto_approve": True}, headers=headers).json == {
        "auto_approve": True
    }
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    layout = client.get(f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}", headers=headers).json
    version = client.get(
        f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}/versions/1", headers=headers
    ).json
    if version["compliance"]["summary"]["errors"]:
        assert layout["status"] == "requires_review"  # never auto-approved with error findings
    else:
        assert layout["status"] == "approved" and layout["approved_version"] == 1


def test_a_correction_the_checks_refuse_takes_no_version_number(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """A correction that applies but leaves a layout the checks refuse (422 ``LAYOUT_INVALID``)
    stores nothing and keeps no number: the next correction takes the number after the last
    version stored."""
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}"
    v1 = client.get(f"{base}/versions/1", headers=tenant.headers).json
    _, stored = _refused_move(client, tenant, base, v1["payload"])

    room = v1["payload"]["rooms"][0]
    renamed = client.post(
        f"{base}/review",
        json={"corrections": [{"op": "rename_room", "room_id": room["id"], "name": "Oda"}]},
        headers=tenant.headers,
    )
    assert renamed.status_code == 201 and renamed.json["new_version"] == stored + 1, renamed.json


def _refused_move(
    client: FlaskClient, tenant: TenantCredentials, base: str, payload: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """The first partition move (of big offsets) the checks refuse with ``LAYOUT_INVALID``, and
    the last version number stored meanwhile (moves the checks let through are versions)."""
    stored = 1
    for wall in (w for w in payload["walls"] if not w["is_exterior"]):
        for offset in (-2500, 2500, -1800, 1800):
            correction = {"op": "move_wall", "wall_id": wall["id"], "offset_mm": offset}
            answer = client.post(f"{base}/review", json={"corrections": [correction]}, headers=tenant.headers)
            if answer.status_code == 422 and answer.json["error"]["code"] == "LAYOUT_INVALID":
                return correction, stored
            if answer.status_code == 201:
                stored = answer.json["new_version"]
    raise AssertionError("no partition move the checks refuse")


def test_a_refused_correction_says_what_is_wrong_in_the_readers_language(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    """``LAYOUT_INVALID`` names each problem in the reader's language (rooms by their names);
    ``details.problems`` keeps the checks' English lines and ``details.problem_reasons`` their
    codes, for a client that words them itself."""
    from archbuilder.platform.i18n import catalogue

    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, BRIEF).json
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts/{accepted['layout_id']}"
    payload = client.get(f"{base}/versions/1", headers=tenant.headers).json["payload"]
    correction, _ = _refused_move(client, tenant, base, payload)
    english_words = ("door ", "room ", "wall ", "leaf", "swing", "outside", "boundary", "overlap")
    names = {r["name"] for r in payload["rooms"]}
    for language, opening in (
        ("tr", "doğrulamadan geçemedi"),
        ("de", "Prüfung nicht bestanden"),
        ("en", "failed validation"),
    ):
        answer = client.post(
            f"{base}/review",
            json={"corrections": [correction]},
            headers=tenant.headers | {"Accept-Language": language},
        )
        error = answer.json["error"]
        assert answer.status_code == 422 and error["code"] == "LAYOUT_INVALID"
        details = error["details"]
        assert details["problems"] and len(details["problem_reasons"]) == len(details["problems"])
        assert all(r["code"] in catalogue("reasons") for r in details["problem_reasons"])
        message = error["message"]
        assert opening in message
        named = [r["params"].get("room") for r in details["problem_reasons"] if r["params"].get("room")]
        assert all(name in names for name in named), named  # names, not ids
        assert all(name in message for name in named)
        if language != "en":
            assert not any(word in message for word in english_words), message
            assert not any(line in message for line in details["problems"])
