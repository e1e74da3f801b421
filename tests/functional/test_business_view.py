"""The business view through GET /v1/admin/metrics: a seeded month of tenants whose subscriptions
moved by signed Stripe events through the real webhook, and who is allowed to see it."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from archbuilder.api.admin import API
from archbuilder.billing.business_metrics import business_metrics, write_business_report
from archbuilder.billing.fake_stripe import FakeStripe
from archbuilder.billing.usage_ledger import counters_path
from archbuilder.domain.tenancy import ApiKeyCreate, Role
from archbuilder.manifest import load_manifest
from archbuilder.runtime import Runtime
from archbuilder.services.identity import authenticate_api_key, create_api_key
from archbuilder.services.operators import create_operator_key, revoke_operator_key
from tests.business_month import WEBHOOK_SECRET, Month, seed_month
from tests.conftest import TenantCredentials


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


@pytest.fixture
def month(fake: FakeStripe, runtime: Runtime, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> Month:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_business")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("STRIPE_API_BASE", fake.url)
    return seed_month(runtime, client, fake)


def _operator(runtime: Runtime) -> dict[str, str]:
    return {"X-API-Key": create_operator_key(runtime.store, name="Ops on call").api_key}


def test_every_admin_route_goes_to_api_admin() -> None:
    manifest = load_manifest()
    for route in API.routes:
        spec = manifest.route_for(re.sub(r"<[^>]+>", "x1", route.path))
        assert spec is not None and spec.name == "api_admin", route.path


def test_the_seeded_month_in_figures(runtime: Runtime, client: FlaskClient, month: Month) -> None:
    answer = client.get("/v1/admin/metrics", headers=_operator(runtime))
    assert answer.status_code == 200, answer.json
    body: dict[str, Any] = answer.json
    t = {letter: credentials.tenant_id for letter, credentials in month.tenants.items()}

    # MRR by plan and currency (active and past due; a yearly price counts a twelfth).
    mrr = {
        (line["plan"], line["currency"]): (line["subscriptions"], line["mrr"])
        for line in body["billing"]["mrr"]
    }
    assert mrr == {
        ("professional", "TRY"): (2, 3980.0),  # A, E (paid again)
        ("professional", "EUR"): (2, 98.0),  # C after its downgrade, F past due
        ("enterprise", "EUR"): (1, 207.5),  # B: 2,490 a year
        ("professional", "USD"): (2, 118.0),  # D after its trial, I
    }
    movements = {
        (m["movement"], m["currency"]): (m["subscriptions"], m["mrr_delta"]) for m in body["movements"]
    }
    assert movements == {
        ("new", "TRY"): (2, 3980.0),
        ("new", "EUR"): (3, 347.0),  # B 49, C 249, F 49
        ("new", "USD"): (3, 417.0),  # D 59 (its trial converting), G 299, I 59
        ("expansion", "EUR"): (1, 158.5),
        ("contraction", "EUR"): (1, -200.0),
        ("churn", "USD"): (1, -299.0),
    }
    assert body["trials"] == {
        "started": 2,
        "converted": 1,
        "lost": 1,
        "trialing_now": 0,
        "conversion_rate": 0.5,
    }
    assert body["payments"] == {"failed": 2, "recovered": 1, "failing_now": 1, "recovery_rate": 0.5}

    # AI cost against revenue: A pays 1,990 lira (59 dollars at the plans' own ratio).
    margins = {m["tenant_id"]: m for m in body["margins"]}
    assert margins[t["A"]]["revenue_usd"] == 59.0 and margins[t["A"]]["ai_cost_usd"] == 2.5
    assert margins[t["A"]]["margin_usd"] == 56.5
    assert margins[t["H"]]["revenue_usd"] == 0.0 and margins[t["H"]]["margin_usd"] == -0.9
    assert body["margins"][0]["tenant_id"] == t["H"]  # the worst margin first
    assert margins[t["B"]]["ai_cost_usd"] == 12.0

    quotas = {u["plan"]: {q["quota"]: q for q in u["quotas"]} for u in body["quota_usage"]}
    assert quotas["professional"]["layouts"]["used"] == 160 + 3 + 1 + 2  # A's import, jobs; I
    assert quotas["professional"]["layouts"]["tenants_over_80"] == 1
    assert quotas["free"]["layouts"]["tenants_at_limit"] == 1  # H
    assert {u["plan"]: u["tenants"] for u in body["quota_usage"]} == {
        "free": 3,
        "professional": 6,
        "enterprise": 1,
    }

    risk = {r["tenant_id"]: r["reasons"] for r in body["at_risk"]}
    assert risk == {t["F"]: ["payment_failing"], t["H"]: ["quota_hit"], t["I"]: ["usage_falling"]}

    assert body["generation"] == {
        "jobs": 4,
        "succeeded": 3,
        "failed": 1,
        "unfinished": 0,
        "success_rate": 0.75,
        "failures_by_code": {"PROGRAMME_DOES_NOT_FIT": 1},
    }
    assert body["reviews"] == {
        "decisions": 3,
        "approved": 1,
        "corrected": 1,
        "rejected": 1,
        "revision_requested": 0,
    }
    # The AI spend survives the usage records written after it into the same counters document.
    counters = runtime.store.get(counters_path(t["A"], body["period"]))
    assert counters is not None and counters.data["ai_cost_micro_usd"] == 2_500_000

    # The CLI's report is the same computation, printed.
    out = io.StringIO()
    write_business_report(business_metrics(runtime.store), out)
    text = out.getvalue()
    assert "Billing report" in text and "Subscription movements" in text
    assert "Trials: started 2, converted 1, lost 1" in text and "success 75.0 %" in text


def test_only_an_operator_sees_the_metrics(
    runtime: Runtime, client: FlaskClient, tenant: TenantCredentials
) -> None:
    assert client.get("/v1/admin/metrics").status_code == 401
    assert client.get("/v1/admin/metrics", headers={"X-API-Key": "ab_op_not-a-key"}).status_code == 401
    assert client.get("/v1/admin/metrics", headers={"X-API-Key": "ab_live_nope"}).status_code == 401
    # Every tenant role, the owner included, is refused: a tenant key is never an operator's.
    owner = authenticate_api_key(runtime.store, tenant.api_key)
    for role in Role:
        key = create_api_key(runtime.store, owner, ApiKeyCreate(name=role.value, role=role)).api_key
        refused = client.get("/v1/admin/metrics", headers={"X-API-Key": key})
        assert refused.status_code == 403, role
        assert refused.json["error"]["code"] == "PERMISSION_DENIED"
    created = create_operator_key(runtime.store, name="Ops")
    headers = {"X-API-Key": created.api_key}
    assert client.get("/v1/admin/metrics", headers=headers).status_code == 200
    assert client.get("/v1/admin/metrics?period=2026-13", headers=headers).status_code == 422
    # An operator key opens no tenant route.
    assert client.get("/v1/me", headers=headers).status_code == 401
    assert client.get("/v1/billing/subscription", headers=headers).status_code == 401

    # The page: a sign-in form, a session cookie, and the session ends with the key.
    assert client.get("/admin").status_code == 303
    assert client.post("/admin/login", data={"key": tenant.api_key}).status_code == 401
    signed_in = client.post("/admin/login", data={"key": created.api_key})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/admin"
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    page = client.get("/admin")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "<script" not in page.get_data(as_text=True) and "<svg" in page.get_data(as_text=True)
    revoke_operator_key(runtime.store, created.key.key_id)
    assert client.get("/admin").status_code == 303
    assert client.get("/v1/admin/metrics", headers=headers).status_code == 401
