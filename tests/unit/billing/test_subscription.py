"""Snapshots from Stripe objects of the old (2020-08-27) and the pinned API shapes."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from archbuilder.billing.subscription import choose_subscription, snapshot_of, subscription_id_of_invoice
from tests.conftest import SHARED_DATA

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def payload(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((SHARED_DATA / "stripe" / f"{name}.json").read_text(encoding="utf-8"))
    return event["data"]["object"]


def with_our_price(sub: dict[str, Any]) -> dict[str, Any]:
    sub = copy.deepcopy(sub)
    sub["items"]["data"][0]["price"]["id"] = "price_archbuilder_professional_month_eur"
    return sub


def test_old_and_new_shapes_give_the_same_snapshot() -> None:
    old = with_our_price(payload("srm_customer.subscription.updated"))
    new = copy.deepcopy(old)
    item = new["items"]["data"][0]
    item["current_period_start"] = new.pop("current_period_start")
    item["current_period_end"] = new.pop("current_period_end")
    new.pop("plan", None)
    a = snapshot_of(old, customer_id=None, fetched_at=NOW, grace_days=7)
    b = snapshot_of(new, customer_id=None, fetched_at=NOW, grace_days=7)
    assert a == b
    assert (a.plan, a.status, a.currency, a.interval, a.amount) == (
        "professional",
        "active",
        "USD",
        "month",
        1500,
    )
    assert a.current_period_end is not None and a.current_period_end.year == 2022


def test_an_unknown_price_is_the_free_plan_unless_its_metadata_names_one() -> None:
    sub = payload("srm_customer.subscription.created")
    assert snapshot_of(sub, customer_id=None, fetched_at=NOW, grace_days=7).plan == "free"
    named = copy.deepcopy(sub)
    named["items"]["data"][0]["price"]["metadata"] = {"archbuilder_plan": "enterprise"}
    assert snapshot_of(named, customer_id=None, fetched_at=NOW, grace_days=7).plan == "enterprise"


def test_grace_period_starts_when_the_unpaid_invoice_was_finalized() -> None:
    sub = with_our_price(payload("srm_customer.subscription.updated")) | {"status": "past_due"}
    invoice = payload("srm_invoice.payment_failed")
    sub["latest_invoice"] = invoice
    snap = snapshot_of(sub, customer_id=None, fetched_at=NOW, grace_days=7)
    assert snap.payment_failed_at == datetime.fromtimestamp(
        invoice["status_transitions"]["finalized_at"], UTC
    )
    assert snap.grace_ends_at is not None and (snap.grace_ends_at - snap.payment_failed_at).days == 7


def test_invoice_subscription_in_both_shapes() -> None:
    old = payload("srm_invoice.paid") | {"subscription": "sub_old"}
    assert subscription_id_of_invoice(old) == "sub_old"
    new = payload("gitpay_invoice.paid") | {
        "subscription": None,
        "parent": {"subscription_details": {"subscription": "sub_new"}},
    }
    assert subscription_id_of_invoice(new) == "sub_new"
    assert subscription_id_of_invoice(payload("gitpay_invoice.paid")) is None


def test_a_live_subscription_wins_over_a_newer_canceled_one() -> None:
    live = {"id": "sub_a", "status": "active", "created": 100}
    canceled = {"id": "sub_b", "status": "canceled", "created": 200}
    newer = {"id": "sub_c", "status": "trialing", "created": 300}
    assert choose_subscription([canceled, live]) is live
    assert choose_subscription([live, canceled, newer]) is newer
    assert choose_subscription([]) is None
