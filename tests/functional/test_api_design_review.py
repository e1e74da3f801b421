"""Every layout version keeps a design review (issue 15), read through the API in any language.

The review is advice an architect gives (entrance, access, door swings, proportions …), never a
building-code finding: it has its own route and its own section after the compliance findings.
"""

from __future__ import annotations

import html
from typing import Any

from flask.testing import FlaskClient

from archbuilder.domain.brief import Brief
from archbuilder.domain.layout import LayoutPayload
from archbuilder.layout.design_review import design_review
from archbuilder.platform.i18n import catalogue
from archbuilder.repositories import TenantPaths
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials, drain
from tests.functional.test_api_layouts import BRIEF, new_project, submit

# A party wall on the east, so that the party-wall check is measured and not "not applicable".
TERRACE = dict(BRIEF, party_walls=["east"], options={"variants": 2, "seed": 3})
CHECK_IDS = {
    "entrance_into_hall",
    "private_access",
    "door_swings",
    "swing_into_room",
    "proportions",
    "corridor_share",
    "wet_grouping",
    "living_daylight",
    "kitchen_living",
    "party_walls",
}
DE = {"Accept-Language": "de"}


def _planned(client: FlaskClient, runtime: Runtime, tenant: TenantCredentials) -> tuple[str, str, str]:
    """(project id, layout id, URL of version 1) of a layout planned from TERRACE."""
    project_id = new_project(client, tenant)
    accepted = submit(client, tenant, project_id, TERRACE)
    assert accepted.status_code == 202, accepted.json
    drain(runtime)
    layout_id = accepted.json["layout_id"]
    return project_id, layout_id, f"/v1/projects/{project_id}/layouts/{layout_id}/versions/1"


def _measures(checks: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What does not depend on the language."""
    return [(c["id"], c["status"], c["value"], c["unit"], c["target"], c["rooms"]) for c in checks]


def _get(client: FlaskClient, url: str, headers: dict[str, str], **query: Any) -> Any:
    response = client.get(url, query_string=query, headers=headers)
    assert response.status_code == 200, response.data[:500]
    return response


def test_a_planned_version_keeps_its_design_review_and_reads_it_in_tr_and_de(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id, layout_id, base = _planned(client, runtime, tenant)

    version = _get(client, base, tenant.headers).json
    review = version["design_review"]
    assert review is not None and review["language"] == "tr"  # the project's language
    assert {c["id"] for c in review["checks"]} == CHECK_IDS
    assert all(c["message"] and c["label"] for c in review["checks"])
    party = next(c for c in review["checks"] if c["id"] == "party_walls")
    assert party["status"] in ("good", "problem")  # the brief's party walls were used
    assert sum(review["summary"].values()) == sum(c["status"] != "not_applicable" for c in review["checks"])
    # Every variant carries its own review, like its compliance summary.
    assert version["variants"] and all(v["design_review"]["checks"] for v in version["variants"])
    assert version["variants"][0]["design_review"] == review

    german_version = _get(client, base, tenant.headers | DE).json["design_review"]
    assert german_version["language"] == "de"
    assert _measures(german_version["checks"]) == _measures(review["checks"])
    assert [c["message"] for c in german_version["checks"]] != [c["message"] for c in review["checks"]]

    turkish = _get(client, f"{base}/design-review", tenant.headers)
    german = _get(client, f"{base}/design-review", tenant.headers | DE)
    assert turkish.headers["Content-Language"] == "tr" and german.headers["Content-Language"] == "de"
    tr, de = turkish.json, german.json
    assert (tr["project_id"], tr["layout_id"], tr["version"], tr["variant"]) == (project_id, layout_id, 1, 1)
    assert tr["stored"] is True and tr["summary"] == de["summary"] == review["summary"]
    assert tr["title"] == "Tasarım değerlendirmesi" and de["title"] == "Entwurfsprüfung"
    assert de["disclaimer"] == catalogue("design_review")["disclaimer"]["de"]
    assert "Bauordnung" in de["disclaimer"] and "yönetmelik" in tr["disclaimer"].lower()
    assert _measures(tr["checks"]) == _measures(de["checks"]) == _measures(review["checks"])
    assert all(a["message"] != b["message"] for a, b in zip(tr["checks"], de["checks"], strict=True))
    assert [c["message"] for c in tr["checks"]] == [c["message"] for c in review["checks"]]

    # The stored measures, rendered again, say what the review module says of the payload.
    brief = Brief.model_validate(version["metadata"]["brief"])
    direct = design_review(
        LayoutPayload.model_validate(version["payload"]),
        "de",
        brief.building_type,
        brief.north_deg,
        brief.party_walls,
    )
    assert [c["message"] for c in de["checks"]] == [c.message for c in direct.checks]
    assert de["summary"] == direct.summary

    # Another variant answers its own review.
    second = _get(client, f"{base}/design-review", tenant.headers, variant=2).json
    assert second["variant"] == 2
    assert _measures(second["checks"]) == _measures(version["variants"][1]["design_review"]["checks"])


def test_the_html_page_is_self_contained_and_in_the_readers_language(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    _, _, base = _planned(client, runtime, tenant)
    page = _get(client, f"{base}/design-review", tenant.headers | DE, format="html")
    assert page.content_type.startswith("text/html")
    assert page.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    text = page.get_data(as_text=True)
    messages = catalogue("design_review")
    assert "<script" not in text.lower() and 'lang="de"' in text
    assert html.escape(messages["title"]["de"]) in text
    assert html.escape(messages["disclaimer"]["de"]) in text
    english = [v["en"] for k, v in messages.items() if k.startswith("check_")] + [messages["title"]["en"]]
    assert not [label for label in english if html.escape(label) in text]
    units = [v["en"] for k, v in messages.items() if k.startswith("unit_")]
    assert not [unit for unit in units if f" {unit}</td>" in text]
    for key in ("col_check", "col_status", "col_value", "col_advice"):
        assert f"<th>{html.escape(messages[key]['de'])}</th>" in text


def test_the_compliance_html_report_ends_with_the_design_review_as_its_own_section(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    _, _, base = _planned(client, runtime, tenant)
    messages = catalogue("design_review")
    page = _get(client, f"{base}/compliance", tenant.headers | DE, format="html").get_data(as_text=True)
    section = page.index('<section class="design-review"')
    code_disclaimer = page.index(html.escape(catalogue("compliance")["html_disclaimer"]["de"]))
    assert code_disclaimer < section, "the design review comes after the code findings"
    review = page[section:]
    assert review.count("<table") == 1 and "<h2>" + html.escape(messages["title"]["de"]) + "</h2>" in review
    assert html.escape(messages["disclaimer"]["de"]) in review
    assert "<script" not in page.lower()
    # The code findings' tables hold no design check: the two are kept apart.
    findings = page[:section]
    assert not [
        v["de"] for k, v in messages.items() if k.startswith("check_") if html.escape(v["de"]) in findings
    ]
    # In the tenant's language by default.
    turkish = _get(client, f"{base}/compliance", tenant.headers, format="html").get_data(as_text=True)
    assert html.escape(messages["title"]["tr"]) in turkish[turkish.index('<section class="design-review"') :]


def test_readers_without_the_permission_and_other_tenants_are_refused_like_the_compliance_route(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials, other_tenant: TenantCredentials
) -> None:
    _, _, base = _planned(client, runtime, tenant)
    keys = {
        role: client.post("/v1/api-keys", json={"name": role, "role": role}, headers=tenant.headers).json[
            "api_key"
        ]
        for role in ("viewer", "billing")
    }
    scoped = client.post(
        "/v1/api-keys", json={"name": "jobs only", "scopes": ["jobs:read"]}, headers=tenant.headers
    ).json["api_key"]
    for route in ("compliance", "design-review"):
        url = f"{base}/{route}"
        assert client.get(url, headers={"X-API-Key": keys["viewer"]}).status_code == 200
        for key in (keys["billing"], scoped):
            refused = client.get(url, headers={"X-API-Key": key})
            assert refused.status_code == 403, (route, refused.json)
            assert refused.json["error"]["code"] == "PERMISSION_DENIED"
        hidden = client.get(url, headers=other_tenant.headers)
        assert hidden.status_code == 404 and hidden.json["error"]["code"] == "NOT_FOUND"


def test_a_version_or_variant_that_does_not_exist_is_not_found(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id, layout_id, base = _planned(client, runtime, tenant)
    layouts = f"/v1/projects/{project_id}/layouts"
    for url, query, resource in (
        (f"{layouts}/{layout_id}/versions/9/design-review", {}, "version"),
        (f"{layouts}/{layout_id}/versions/9/design-review", {"format": "html"}, "version"),
        (f"{base}/design-review", {"variant": 5}, "variant"),
        (f"{layouts}/lay_missing/versions/1/design-review", {}, "layout"),
    ):
        response = client.get(url, query_string=query, headers=tenant.headers)
        assert response.status_code == 404, url
        assert response.json["error"]["code"] == "NOT_FOUND"
        assert response.json["error"]["details"]["resource"] == resource
    bad = client.get(f"{base}/design-review", query_string={"format": "pdf"}, headers=tenant.headers)
    assert bad.status_code == 422


def test_corrected_and_revised_versions_get_their_own_review(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id, layout_id, base = _planned(client, runtime, tenant)
    layout = f"/v1/projects/{project_id}/layouts/{layout_id}"
    v1 = _get(client, base, tenant.headers).json
    (entrance,) = next(c["rooms"] for c in v1["design_review"]["checks"] if c["id"] == "entrance_into_hall")
    corrected = client.post(
        f"{layout}/review",
        json={"corrections": [{"op": "rename_room", "room_id": entrance, "name": "Giriş «Yeni»"}]},
        headers=tenant.headers,
    )
    assert corrected.status_code == 201, corrected.json
    v2 = _get(client, f"{layout}/versions/2", tenant.headers).json
    assert v2["source"] == "correction" and v2["parent_version"] == 1
    # Measured on the corrected payload, not copied from the parent.
    assert v2["design_review"]["room_names"][entrance] == "Giriş «Yeni»"
    assert v1["design_review"]["room_names"][entrance] != "Giriş «Yeni»"
    assert _measures(v2["design_review"]["checks"]) == _measures(v1["design_review"]["checks"])

    revised = client.post(f"{layout}/revise", json={"feedback": "bigger kitchen"}, headers=tenant.headers)
    assert revised.status_code == 202, revised.json
    drain(runtime)
    v3 = _get(client, f"{layout}/versions/3", tenant.headers).json
    assert v3["parent_version"] is not None and v3["source"] not in ("correction",)
    assert {c["id"] for c in v3["design_review"]["checks"]} == CHECK_IDS


def test_a_version_stored_before_the_review_still_loads_and_is_measured_when_read(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    project_id, layout_id, base = _planned(client, runtime, tenant)
    before = _get(client, f"{base}/design-review", tenant.headers).json
    path = TenantPaths(tenant.tenant_id).version(project_id, layout_id, 1)
    stored = runtime.store.get(path)
    assert stored is not None and stored.data["design_review"] is not None
    old = {k: v for k, v in stored.data.items() if k != "design_review"}
    old["variants"] = [
        {k: v for k, v in variant.items() if k != "design_review"} for variant in old["variants"]
    ]
    runtime.store.set(path, old)

    version = _get(client, base, tenant.headers).json
    assert version["design_review"] is None and all(v["design_review"] is None for v in version["variants"])
    measured = _get(client, f"{base}/design-review", tenant.headers).json
    assert measured["stored"] is False
    assert _measures(measured["checks"]) == _measures(before["checks"])
    assert [c["message"] for c in measured["checks"]] == [c["message"] for c in before["checks"]]
    assert runtime.store.get(path).data.get("design_review") is None  # reading writes nothing  # type: ignore[union-attr]
    page = _get(client, f"{base}/compliance", tenant.headers, format="html").get_data(as_text=True)
    assert '<section class="design-review"' in page


def test_every_language_renders_every_check(
    client: FlaskClient, runtime: Runtime, tenant: TenantCredentials
) -> None:
    _, _, base = _planned(client, runtime, tenant)
    seen = []
    for language in ("tr", "en", "de", "fr", "es"):
        review = _get(client, f"{base}/design-review", tenant.headers | {"Accept-Language": language}).json
        assert review["language"] == language
        assert review["title"] == catalogue("design_review")["title"][language]
        assert all(c["message"] and "{" not in c["message"] for c in review["checks"])
        seen.append(review)
    assert len({tuple(c["message"] for c in r["checks"]) for r in seen}) == 5
    assert len({str(_measures(r["checks"])) for r in seen}) == 1
    # An unsupported language falls back to the project's.
    fallback = _get(client, f"{base}/design-review", tenant.headers | {"Accept-Language": "ja"}).json
    assert fallback["language"] == "tr"
