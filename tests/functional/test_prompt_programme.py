"""A plain-language brief becomes a plan its region's code accepts (issue 17).

"3+1 daire, 110 m², mutfak salona açık" was read with one bathroom and no WC, and the plan then
failed TR-PAIY-29-ROOMS-WC. The brief now gets the WC the code requires (said in Turkish) and
the kitchen opens into the salon without a door. The same prompt style in another region adds
only what that region's rules require.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials, drain


def _plan(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, region: str, language: str, prompt: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(the 202 answer, version 1, its compliance report) of ``prompt`` in a project of ``region``."""
    project = client.post(
        "/v1/projects",
        json={"name": "Issue 17", "code_region": region, "language": language},
        headers=tenant.headers,
    )
    assert project.status_code == 201, project.json
    base = f"/v1/projects/{project.json['id']}/layouts"
    accepted = client.post(base, json={"prompt": prompt}, headers=tenant.headers)
    assert accepted.status_code == 202, accepted.json
    drain(runtime)
    job = client.get(f"/v1/jobs/{accepted.json['job_id']}", headers=tenant.headers).json
    assert job["status"] == "succeeded", job
    version = f"{base}/{accepted.json['layout_id']}/versions/1"
    payload = client.get(version, headers=tenant.headers).json
    report = client.get(f"{version}/compliance", headers=tenant.headers).json
    return accepted.json, payload, report


def _kitchen_link(payload: dict[str, Any]) -> dict[str, Any]:
    types = {r["id"]: r["type"] for r in payload["payload"]["rooms"]}
    return next(
        d
        for d in payload["payload"]["doors"]
        if sorted(types.get(c, c) for c in d["connects"]) == ["kitchen", "living_room"]
    )


@pytest.mark.parametrize(
    ("region", "language", "prompt", "wc"),
    [
        ("TR", "tr", "3+1 daire, 110 m², mutfak salona açık", 1),
        ("DE", "de", "3-Zimmer-Wohnung, 80 qm, offene Küche", 0),
    ],
)
def test_a_prompt_plans_what_the_code_requires(
    client: FlaskClient,
    runtime: Runtime,
    tenant: TenantCredentials,
    region: str,
    language: str,
    prompt: str,
    wc: int,
) -> None:
    accepted, version, report = _plan(client, runtime, tenant, region, language, prompt)
    rooms = [r["type"] for r in version["payload"]["rooms"]]
    assert rooms.count("wc") == wc
    if wc:
        assert "1 × WC eklendi: PAİY m.29(1) bu konutta bunu şart koşuyor." in accepted["assumptions"]
    # No rule of the region's room programme fails, and none fails at all for the TR brief.
    failed = [f["rule_id"] for f in report["findings"] if f["status"] == "fail" and f["severity"] == "error"]
    assert not [rule for rule in failed if "ROOMS" in rule]
    if region == "TR":
        assert failed == []
    # The open kitchen: a cased opening to the living room, no leaf.
    assert _kitchen_link(version)["family_name"] == "Opening"
