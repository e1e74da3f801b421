"""A seeded month of tenants for the business view: subscriptions moved by real, signed Stripe
events through the webhook, usage in the ledgers, real layout jobs and reviews through the API.

``seed_month`` returns the tenants by letter and the figures the business view must show.
The Stripe side is the fake (``FakeStripe``): each step sets the customer's subscription in it,
posts a signed event of the right type to ``/v1/billing/webhook`` and lets the worker re-read it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.billing_proof import load_templates, sign
from flask.testing import FlaskClient

from archbuilder.ai.ledger import LedgerRecord, UsageLedger
from archbuilder.billing.fake_stripe import FakeStripe
from archbuilder.billing.usage_ledger import new_usage_record, record_usage
from archbuilder.domain.brief import Brief
from archbuilder.domain.layout import PlanResult
from archbuilder.domain.plans import plan
from archbuilder.platform.errors import Unprocessable
from archbuilder.runtime import Runtime, set_runtime
from tests.conftest import TenantCredentials, drain, make_tenant
from tests.functional.test_api_layouts import BRIEF, new_project, submit

WEBHOOK_SECRET = "whsec_business_month"


class RefusingPlanner:
    """A planner adapter that refuses every brief, as the real one does one that cannot fit."""

    name = "refusing"

    def plan(self, brief: Brief) -> PlanResult:
        raise Unprocessable(code="PROGRAMME_DOES_NOT_FIT", reason="seeded refusal")

    def plan_variants(self, brief: Brief) -> list[PlanResult]:
        return [self.plan(brief)]


@dataclass
class Month:
    tenants: dict[str, TenantCredentials]
    layout_jobs: int = 0


class _Stripe:
    def __init__(self, fake: FakeStripe, client: FlaskClient, runtime: Runtime) -> None:
        self.fake, self.client, self.runtime = fake, client, runtime
        self.events = 0

    def subscription(
        self, tenant: TenantCredentials, plan_name: str, interval: str, currency: str
    ) -> dict[str, Any]:
        now = int(time.time())
        sub: dict[str, Any] = {
            "id": self.fake.new_id("sub"),
            "object": "subscription",
            "customer": self.fake.new_id("cus"),
            "status": "active",
            "created": now,
            "cancel_at_period_end": False,
            "metadata": {"tenant_id": tenant.tenant_id},
            "latest_invoice": None,
            "items": {"object": "list", "data": []},
        }
        self.price(sub, plan_name, interval, currency)
        return sub

    def price(self, sub: dict[str, Any], plan_name: str, interval: str, currency: str) -> None:
        now = int(time.time())
        entry = plan(plan_name)
        sub["items"]["data"] = [
            {
                "id": "si_" + sub["id"],
                "price": {
                    "id": entry.stripe_prices[interval][currency],  # type: ignore[index]
                    "currency": currency.lower(),
                    "unit_amount": entry.prices[interval][currency],  # type: ignore[index]
                    "recurring": {"interval": interval},
                },
                "quantity": 1,
                "current_period_start": now,
                "current_period_end": now + 30 * 86400,
            }
        ]

    def send(self, sub: dict[str, Any], kind: str, obj: dict[str, Any] | None = None) -> None:
        """Stripe's state is ``sub`` now; ``kind`` tells us (signed, through the webhook)."""
        self.fake.put_subscription(json.loads(json.dumps(sub)))
        self.events += 1
        template = load_templates()["srm_customer.subscription.created"]
        event = template | {
            "id": f"evt_month_{self.events:04d}",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj or sub},
        }
        body = json.dumps(event).encode()
        answer = self.client.post(
            "/v1/billing/webhook",
            data=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": sign(body, WEBHOOK_SECRET)},
        )
        assert answer.status_code == 200, answer.json
        drain(self.runtime)

    def fail_payment(self, sub: dict[str, Any], status: str = "past_due") -> None:
        invoice = {
            "id": self.fake.new_id("in"),
            "object": "invoice",
            "customer": sub["customer"],
            "subscription": sub["id"],
            "status": "open",
            "due_date": int(time.time()) - 3600,
            "created": int(time.time()) - 7200,
        }
        self.fake.put_invoice(invoice)
        sub |= {"status": status, "latest_invoice": invoice["id"]}
        self.send(sub, "invoice.payment_failed", invoice)

    def pay(self, sub: dict[str, Any]) -> None:
        invoice_id = sub["latest_invoice"]
        invoice = dict(self.fake.invoices[invoice_id]) | {"status": "paid"}
        self.fake.put_invoice(invoice)
        sub |= {"status": "active"}
        self.send(sub, "invoice.paid", invoice)


def _ai_spend(runtime: Runtime, tenant: TenantCredentials, usd: float, call: str) -> None:
    UsageLedger(runtime.store).record(
        LedgerRecord(
            id=f"ai-{tenant.tenant_id}-{call}"[:60],
            tenant_id=tenant.tenant_id,
            provider="openai",
            model="gpt-seeded",
            task="brief_reader",
            prompt_version="v1",
            input_tokens=1000,
            output_tokens=200,
            cached_tokens=0,
            reasoning_tokens=0,
            cost_micro_usd=round(usd * 1_000_000),
            price_version="seed",
            latency_ms=900,
            created_at=datetime.now(UTC),
        )
    )


def seed_month(runtime: Runtime, client: FlaskClient, fake: FakeStripe) -> Month:
    """Ten tenants and their month (see docs/operations.md, "Business view", for the story)."""
    names = {
        "A": ("Anadolu Mimarlık", "tr"),
        "B": ("Berlin Bau GmbH", "de"),
        "C": ("Costa Arquitectos", "es"),
        "D": ("Delta Design LLC", "en"),
        "E": ("Ege Yapı", "tr"),
        "F": ("Fjord Studio", "de"),
        "G": ("Gamma Homes", "en"),
        "H": ("Hisar Proje", "tr"),
        "I": ("Ivy Plans", "en"),
        "J": ("Juniper Trial Co", "en"),
    }
    tenants = {
        letter: make_tenant(runtime, name=name, language=language, plan="free")
        for letter, (name, language) in names.items()
    }
    stripe = _Stripe(fake, client, runtime)

    # A: new, professional, monthly, lira.
    a = stripe.subscription(tenants["A"], "professional", "month", "TRY")
    stripe.send(a, "customer.subscription.created")
    # B: new on professional in euro, then up to enterprise, yearly.
    b = stripe.subscription(tenants["B"], "professional", "month", "EUR")
    stripe.send(b, "customer.subscription.created")
    stripe.price(b, "enterprise", "year", "EUR")
    stripe.send(b, "customer.subscription.updated")
    # C: new on enterprise, then down to professional.
    c = stripe.subscription(tenants["C"], "enterprise", "month", "EUR")
    stripe.send(c, "customer.subscription.created")
    stripe.price(c, "professional", "month", "EUR")
    stripe.send(c, "customer.subscription.updated")
    # D: a trial that converts.
    d = stripe.subscription(tenants["D"], "professional", "month", "USD") | {"status": "trialing"}
    stripe.send(d, "customer.subscription.created")
    d["status"] = "active"
    stripe.send(d, "customer.subscription.updated")
    # E: a payment fails, then is paid.
    e = stripe.subscription(tenants["E"], "professional", "month", "TRY")
    stripe.send(e, "customer.subscription.created")
    stripe.fail_payment(e)
    stripe.pay(e)
    # F: a payment fails and is still failing.
    f = stripe.subscription(tenants["F"], "professional", "month", "EUR")
    stripe.send(f, "customer.subscription.created")
    stripe.fail_payment(f)
    # G: new on enterprise in dollars, then cancelled.
    g = stripe.subscription(tenants["G"], "enterprise", "month", "USD")
    stripe.send(g, "customer.subscription.created")
    g |= {"status": "canceled", "canceled_at": int(time.time())}
    stripe.send(g, "customer.subscription.deleted")
    # I: new, professional in dollars (its usage falls, below).
    i = stripe.subscription(tenants["I"], "professional", "month", "USD")
    stripe.send(i, "customer.subscription.created")
    # J: a trial that ends without paying.
    j = stripe.subscription(tenants["J"], "professional", "month", "USD") | {"status": "trialing"}
    stripe.send(j, "customer.subscription.created")
    j["status"] = "canceled"
    stripe.send(j, "customer.subscription.deleted")

    # Usage. Last month is the day before this month began.
    this_month = datetime.now(UTC)
    last_month = this_month.replace(day=1, hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    _ai_spend(runtime, tenants["A"], 2.5, "a1")
    _ai_spend(runtime, tenants["B"], 12.0, "b1")
    _ai_spend(runtime, tenants["H"], 0.9, "h1")
    for letter, kind, amount, when, source in [
        ("A", "layout", 160, this_month, "import-a"),  # recorded after its AI spend: both stay counted
        ("H", "layout", 10, last_month, "import-h-last"),
        ("H", "layout", 10, this_month, "import-h"),  # the free plan's 10, month after month
        ("I", "layout", 120, last_month, "import-i-last"),
        ("I", "layout", 2, this_month, "import-i"),
    ]:
        tenant_id = tenants[letter].tenant_id
        record_usage(runtime.store, new_usage_record(tenant_id, kind, amount, source=source, at=when))

    # Generation and review, for real: three layouts of A reviewed three ways, one refused.
    project_id = new_project(client, tenants["A"])
    layouts = []
    for _ in range(3):
        accepted = submit(client, tenants["A"], project_id, BRIEF)
        assert accepted.status_code == 202, accepted.json
        layouts.append(accepted.json["layout_id"])
    drain(runtime)
    base = f"/v1/projects/{project_id}/layouts"
    headers = tenants["A"].headers
    approve = client.post(f"{base}/{layouts[0]}/review", json={"decision": "approve"}, headers=headers)
    assert approve.status_code in (200, 201), approve.json
    v1 = client.get(f"{base}/{layouts[1]}/versions/1", headers=headers).json
    room = v1["payload"]["rooms"][0]
    corrected = client.post(
        f"{base}/{layouts[1]}/review",
        json={"corrections": [{"op": "rename_room", "room_id": room["id"], "name": "Salon"}]},
        headers=headers,
    )
    assert corrected.status_code == 201, corrected.json
    reject = client.post(f"{base}/{layouts[2]}/review", json={"decision": "reject"}, headers=headers)
    assert reject.status_code in (200, 201), reject.json
    set_runtime(replace(runtime, planner=RefusingPlanner()))
    try:
        refused = submit(client, tenants["A"], project_id, BRIEF)
        assert refused.status_code == 202, refused.json
        drain(runtime)
    finally:
        set_runtime(runtime)
    return Month(tenants=tenants, layout_jobs=4)
