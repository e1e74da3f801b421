"""Billing end to end through the dev-server app: Checkout, webhook, worker, gates, report, proof."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench.billing_proof import load_templates, run_proof, sign
from flask.testing import FlaskClient

from archbuilder.ai.ledger import LedgerRecord, UsageLedger, ledger_id
from archbuilder.api.billing import API, WEBHOOK_API
from archbuilder.billing.fake_stripe import FakeStripe
from archbuilder.billing.report import billing_report, write_report
from archbuilder.billing.usage_ledger import aggregate_usage, new_usage_record, record_usage
from archbuilder.domain.tenancy import ApiKeyCreate, Role
from archbuilder.manifest import load_manifest
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from archbuilder.services.identity import authenticate_api_key, create_api_key
from tests.conftest import TenantCredentials, drain

SECRET = "whsec_functional"


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


@pytest.fixture
def stripe_env(fake: FakeStripe, monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_functional")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("STRIPE_API_BASE", fake.url)
    return fake


def post_event(
    client: FlaskClient, event: dict[str, object], secret: str = SECRET
) -> tuple[int, dict[str, object]]:
    body = json.dumps(event).encode()
    response = client.post(
        "/v1/billing/webhook",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body, secret)},
    )
    return response.status_code, response.json or {}


def subscription_event(kind: str, sub: dict[str, object], event_id: str) -> dict[str, object]:
    event = load_templates()["srm_customer.subscription.created"]
    return event | {"id": event_id, "type": kind, "created": int(time.time()), "data": {"object": sub}}


def fake_subscription(
    fake: FakeStripe, customer: str, price: str, status: str = "active"
) -> dict[str, object]:
    now = int(time.time())
    sub: dict[str, object] = {
        "id": fake.new_id("sub"),
        "object": "subscription",
        "customer": customer,
        "status": status,
        "created": now,
        "cancel_at_period_end": False,
        "metadata": {},
        "latest_invoice": None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "price": {
                        "id": price,
                        "currency": "try",
                        "unit_amount": 199000,
                        "recurring": {"interval": "month"},
                    },
                    "quantity": 1,
                    "current_period_start": now,
                    "current_period_end": now + 30 * 86400,
                }
            ],
        },
    }
    fake.put_subscription(sub)
    return sub


def test_every_billing_route_goes_to_its_function() -> None:
    manifest = load_manifest()
    for api in (API, WEBHOOK_API):
        for route in api.routes:
            spec = manifest.route_for(re.sub(r"<[^>]+>", "x1", route.path))
            assert spec is not None and spec.name == api.name, route.path


def test_checkout_webhook_and_subscription(
    stripe_env: FakeStripe, runtime: Runtime, client: FlaskClient, tenant: TenantCredentials
) -> None:
    created = client.post("/v1/billing/checkout", json={"plan": "professional"}, headers=tenant.headers)
    assert created.status_code == 201, created.json
    assert created.json["url"].startswith(stripe_env.url)
    session = stripe_env.checkout_sessions[created.json["id"]]
    # A Turkish tenant pays in lira by default; the tenant is the client reference.
    assert session["client_reference_id"] == tenant.tenant_id
    assert session["line_items_requested"] == [
        {"price": "price_archbuilder_professional_month_try", "quantity": "1"}
    ]
    customer = str(session["customer"])
    assert stripe_env.customers[customer]["metadata"] == {"tenant_id": tenant.tenant_id}

    # Stripe's event says "incomplete", but Stripe now says "active": the worker believes Stripe.
    sub = fake_subscription(stripe_env, customer, "price_archbuilder_professional_month_try")
    status, ack = post_event(
        client, subscription_event("customer.subscription.created", sub | {"status": "incomplete"}, "evt_1")
    )
    assert (status, ack) == (200, {"received": True, "duplicate": False})
    drain(runtime)
    body = client.get("/v1/billing/subscription", headers=tenant.headers).json
    assert (body["plan"], body["status"], body["currency"], body["amount"]) == (
        "professional",
        "active",
        "TRY",
        199000,
    )
    assert body["features"]["ifc_export"] is True and body["next_plan"] == "enterprise"
    assert {q["quota"]: q["limit"] for q in body["quotas"]}["layouts"] == 200
    # The rate limiter reads the tenant's plan too.
    assert authenticate_api_key(runtime.store, tenant.api_key).plan == "professional"

    again = client.post("/v1/billing/checkout", json={"plan": "enterprise"}, headers=tenant.headers)
    assert (again.status_code, again.json["error"]["code"]) == (409, "SUBSCRIPTION_EXISTS")
    portal = client.post("/v1/billing/portal", headers=tenant.headers)
    assert portal.status_code == 201 and stripe_env.portal_sessions[portal.json["id"]]["customer"] == customer

    # Cancelled in Stripe: a late "created" replayed under a new id changes nothing back.
    sub["status"] = "canceled"
    post_event(client, subscription_event("customer.subscription.deleted", sub, "evt_2"))
    post_event(
        client, subscription_event("customer.subscription.created", sub | {"status": "active"}, "evt_3")
    )
    drain(runtime)
    body = client.get("/v1/billing/subscription", headers=tenant.headers).json
    assert (body["plan"], body["status"]) == ("free", "canceled")


def test_a_replayed_event_is_acknowledged_and_ignored(
    stripe_env: FakeStripe, runtime: Runtime, client: FlaskClient
) -> None:
    event = load_templates()["srm_invoice.paid"]
    assert post_event(client, event)[1]["duplicate"] is False
    assert post_event(client, event)[1]["duplicate"] is True
    drain(runtime)
    doc = runtime.store.get(f"stripe_events/{event['id']}")
    assert doc is not None and doc.data["outcome"] == "unknown_tenant" and doc.data["published_at"]
    assert stripe_env.requests == []  # nobody of ours: Stripe was not even asked


def test_unsigned_or_badly_signed_events_are_refused(
    stripe_env: FakeStripe, runtime: Runtime, client: FlaskClient
) -> None:
    event = load_templates()["srm_checkout.session.completed"]
    assert post_event(client, event, secret="whsec_wrong")[0] == 400
    body = json.dumps(event).encode()
    unsigned = client.post("/v1/billing/webhook", data=body, headers={"Content-Type": "application/json"})
    assert (unsigned.status_code, unsigned.json["error"]["code"]) == (400, "WEBHOOK_SIGNATURE_INVALID")
    stale = client.post(
        "/v1/billing/webhook",
        data=body,
        headers={"Stripe-Signature": sign(body, SECRET, int(time.time()) - 3600)},
    )
    assert stale.status_code == 400
    assert runtime.store.query(Query(collection="stripe_events")) == []


def test_without_a_secret_the_webhook_trusts_nothing(runtime: Runtime, client: FlaskClient) -> None:
    event = load_templates()["srm_invoice.paid"]
    status, body = post_event(client, event)
    assert status == 503 and body["error"]["code"] == "BILLING_NOT_CONFIGURED"  # type: ignore[index]


def test_usage_is_readable_by_viewers_but_checkout_needs_billing_rights(
    runtime: Runtime, client: FlaskClient, tenant: TenantCredentials
) -> None:
    owner = authenticate_api_key(runtime.store, tenant.api_key)
    viewer = create_api_key(runtime.store, owner, ApiKeyCreate(name="v", role=Role.viewer)).api_key
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "layout", 1, source="job-1"))
    usage = client.get("/v1/usage", headers={"X-API-Key": viewer})
    assert usage.status_code == 200
    assert usage.json["totals"]["layouts"] == 1
    assert client.get("/v1/usage?period=2026-13", headers={"X-API-Key": viewer}).status_code == 422
    refused = client.post(
        "/v1/billing/checkout", json={"plan": "professional"}, headers={"X-API-Key": viewer}
    )
    assert refused.status_code == 403
    assert client.get("/v1/billing/subscription", headers={"X-API-Key": viewer}).status_code == 403
    # No key: calls are recorded, the link is a stand-in.
    free = client.post("/v1/billing/checkout", json={"plan": "free"}, headers=tenant.headers)
    assert (free.status_code, free.json["error"]["code"]) == (422, "PLAN_NOT_PURCHASABLE")
    recorded = client.post(
        "/v1/billing/checkout", json={"plan": "enterprise", "interval": "year"}, headers=tenant.headers
    )
    assert recorded.status_code == 201 and ".invalid/" in recorded.json["url"]


def test_the_ai_routers_spend_shows_in_usage_and_the_ai_budget(
    runtime: Runtime, client: FlaskClient, tenant: TenantCredentials
) -> None:
    # The AI router keeps its call records and spend (micro-USD) beside the usage ledger.
    moment = datetime.now(UTC)
    call = LedgerRecord(
        id=ledger_id("openai", "resp_1"), tenant_id=tenant.tenant_id, provider="openai", model="gpt",
        task="brief", prompt_version="v1", input_tokens=900, output_tokens=300, cached_tokens=0,
        reasoning_tokens=0, cost_micro_usd=420_000, price_version="p1", latency_ms=800, created_at=moment,
    )  # fmt: skip
    assert UsageLedger(runtime.store).record(call)
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "layout", 1, source="job-1"))
    usage = client.get("/v1/usage", headers=tenant.headers).json
    assert usage["totals"]["ai_cost_usd"] == 0.42 and usage["totals"]["layouts"] == 1
    budget = next(q for q in usage["quotas"] if q["quota"] == "ai_budget_usd_cents")
    assert budget["used"] == 42
    period = usage["period"]
    assert (
        aggregate_usage(runtime.store, tenant.tenant_id, period).layouts == 1
    )  # the call record is no usage record
    counters = runtime.store.get(f"tenants/{tenant.tenant_id}/usage/{period}")
    assert (
        counters is not None and counters.data["ai_cost_micro_usd"] == 420_000
    )  # kept by the layout's record


def test_the_billing_report(
    stripe_env: FakeStripe, runtime: Runtime, client: FlaskClient, tenant: TenantCredentials
) -> None:
    client.post(
        "/v1/billing/checkout", json={"plan": "professional", "currency": "EUR"}, headers=tenant.headers
    )
    customer = str(runtime.store.get(f"tenants/{tenant.tenant_id}").data["stripe_customer_id"])  # type: ignore[union-attr]
    sub = fake_subscription(stripe_env, customer, "price_archbuilder_professional_year_eur")
    sub["items"]["data"][0]["price"] |= {
        "currency": "eur",
        "unit_amount": 49000,
        "recurring": {"interval": "year"},
    }  # type: ignore[index]
    sub["cancel_at_period_end"] = True
    post_event(client, subscription_event("customer.subscription.updated", sub, "evt_r"))
    drain(runtime)
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "compliance_check", 3, source="c"))
    report = billing_report(runtime.store)
    assert report.active == 1
    assert [(r.plan, r.currency, r.mrr) for r in report.mrr] == [("professional", "EUR", 40.83)]
    assert [(t.tenant_id, t.reason) for t in report.at_risk] == [(tenant.tenant_id, "cancelling")]
    assert report.usage_by_plan[0].usage.compliance_checks == 3
    out = io.StringIO()
    write_report(report, out)
    assert "MRR by plan and currency" in out.getvalue() and "cancelling" in out.getvalue()
    write_report(report, out := io.StringIO(), as_json=True)
    assert json.loads(out.getvalue())["trialing"] == 0


@pytest.mark.slow
def test_proof_1000_shuffled_duplicated_events(tmp_path: Path) -> None:
    """The issue's proof at 1,000 deliveries (``python -m bench.billing_proof`` runs 10,000)."""
    result = run_proof(1_000, tmp_path)
    assert result.figures["http_statuses"] == {200: 1_000}
    assert result.duplicates_acknowledged == 1_000 - result.distinct_events
    assert result.state_mismatches_vs_in_order == [] and result.state_mismatches_vs_expected == []
    # Shuffling matters: the last payload seen would have been the wrong state for some tenants.
    assert result.naive_last_payload_mismatches > 0
    assert result.usage_mismatches == [] and result.unsent_records == 0 and result.dead_letters == 0
    assert result.meter_receipts == result.meter_identifiers + result.lost_meter_responses


def post_raw(client: FlaskClient, body: bytes, *, signed_at: int | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/billing/webhook",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body, SECRET, signed_at)},
    )


def _invoice_paid(**changes: object) -> dict[str, object]:
    return load_templates()["srm_invoice.paid"] | changes


def _with_object(**fields: object) -> dict[str, object]:
    event = _invoice_paid()
    data = dict(event["data"])  # type: ignore[call-overload]
    data["object"] = dict(data["object"]) | fields
    return event | {"data": data}


@pytest.mark.parametrize(
    "body",
    [
        b"[1,2,3]",
        b"null",
        b'"evt_1"',
        json.dumps(_invoice_paid(id=123)).encode(),
        json.dumps(_invoice_paid(id={"id": "evt_1"})).encode(),
        json.dumps(_invoice_paid(type=["invoice.paid"])).encode(),
        json.dumps(_invoice_paid(created=float("nan"))).encode(),  # Python writes NaN, and reads it
        json.dumps(_invoice_paid(created="1700000000")).encode(),
        json.dumps(_invoice_paid(created=1.7e9)).encode(),
        json.dumps(_invoice_paid(data=[1, 2, 3])).encode(),
        json.dumps(_invoice_paid(data={"object": [1]})).encode(),
        json.dumps(_with_object(customer=42)).encode(),
        json.dumps(_with_object(metadata={"tenant_id": 7})).encode(),
        json.dumps(_with_object(parent="in_1")).encode(),
        json.dumps(_with_object(lines={"data": [1]})).encode(),
        b'{"id": "evt_1", "type": "invoice.paid", "created": 1, "data": {"object": {}}, "x": Infinity}',
    ],
    ids=[
        "array",
        "null",
        "string",
        "id-number",
        "id-object",
        "type-array",
        "created-NaN",
        "created-string",
        "created-float",
        "data-array",
        "object-array",
        "customer-number",
        "metadata-number",
        "parent-string",
        "lines-numbers",
        "Infinity",
    ],
)
def test_a_signed_body_that_is_no_stripe_event_is_a_400_not_a_crash(
    stripe_env: FakeStripe,
    runtime: Runtime,
    client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
) -> None:
    answer = post_raw(client, body)
    assert (answer.status_code, answer.json["error"]["code"]) == (400, "WEBHOOK_PAYLOAD_INVALID"), answer.json
    assert runtime.store.query(Query(collection="stripe_events")) == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_an_event_dated_ahead_of_the_clock_is_refused(
    stripe_env: FakeStripe, runtime: Runtime, client: FlaskClient
) -> None:
    """Stripe's tolerance (300 s) holds both ways: a signature or an event from an hour ahead
    is refused; a signature a minute ahead (clock skew) passes."""
    body = json.dumps(_invoice_paid()).encode()
    ahead = post_raw(client, body, signed_at=int(time.time()) + 3600)
    assert (ahead.status_code, ahead.json["error"]["code"]) == (400, "WEBHOOK_SIGNATURE_INVALID")
    created_ahead = post_raw(client, json.dumps(_invoice_paid(created=int(time.time()) + 3600)).encode())
    assert (created_ahead.status_code, created_ahead.json["error"]["code"]) == (
        400,
        "WEBHOOK_PAYLOAD_INVALID",
    )
    assert runtime.store.query(Query(collection="stripe_events")) == []
    skewed = post_raw(client, body, signed_at=int(time.time()) + 60)
    assert skewed.status_code == 200, skewed.json
