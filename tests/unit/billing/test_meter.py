"""Usage to Stripe meter events: each record once, lost replies resent under the same identifier."""

from __future__ import annotations

import pytest

from archbuilder.billing.account import ensure_customer
from archbuilder.billing.errors import StripeUnavailable
from archbuilder.billing.fake_stripe import FakeStripe
from archbuilder.billing.gateway import RecordingGateway, billing_for
from archbuilder.billing.meter import send_pending_usage
from archbuilder.billing.usage_ledger import ledger_records, new_usage_record, record_usage, release_record
from archbuilder.ports import Query
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials


def test_lost_replies_are_resent_and_counted_once(
    stripe_env: FakeStripe, runtime: Runtime, tenant: TenantCredentials
) -> None:
    _, gateway = billing_for(runtime)
    customer = ensure_customer(runtime.store, gateway, tenant.tenant_id)
    for i in range(6):
        record_usage(
            runtime.store, new_usage_record(tenant.tenant_id, "cad_upload", 10 + i, source=f"up-{i}")
        )
    stripe_env.lose_meter_responses(2)
    with pytest.raises(StripeUnavailable):
        send_pending_usage(runtime.store, gateway, tenant.tenant_id)
    assert sum(r.meter_status == "pending" for r in ledger_records(runtime.store, tenant.tenant_id)) == 2
    run = send_pending_usage(runtime.store, gateway, tenant.tenant_id)
    assert run.sent == 2
    assert stripe_env.meter_receipts == 8  # two identifiers arrived twice…
    assert stripe_env.meter_totals() == {
        (customer, "archbuilder_cad_megabytes"): sum(range(10, 16))
    }  # …once counted
    assert send_pending_usage(runtime.store, gateway, tenant.tenant_id).sent == 0
    assert all(r.sent_at is not None for r in ledger_records(runtime.store, tenant.tenant_id))


def test_without_a_customer_records_are_skipped(
    stripe_env: FakeStripe, runtime: Runtime, tenant: TenantCredentials
) -> None:
    _, gateway = billing_for(runtime)
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "layout", 1, source="j"))
    assert send_pending_usage(runtime.store, gateway, tenant.tenant_id).skipped == 1
    assert stripe_env.meter_receipts == 0


def test_without_a_key_calls_are_recorded_not_sent(runtime: Runtime, tenant: TenantCredentials) -> None:
    _, gateway = billing_for(runtime)
    assert isinstance(gateway, RecordingGateway)
    ensure_customer(runtime.store, gateway, tenant.tenant_id)
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "layout", 1, source="j"))
    send_pending_usage(runtime.store, gateway, tenant.tenant_id)
    recorded = [r.data["path"] for r in runtime.store.query(Query(collection="stripe_requests"))]
    assert sorted(recorded) == ["/v1/billing/meter_events", "/v1/customers"]


class _ReleasedWhileSending:
    """Stripe out of reach, while the record being sent is given back (an upload that
    expired meanwhile): what the meter sees when maintenance releases a record mid-send."""

    def __init__(self, runtime: Runtime, tenant_id: str) -> None:
        self.runtime, self.tenant_id = runtime, tenant_id

    def send_meter_event(
        self, *, event_name: str, identifier: str, customer_id: str, value: int, timestamp: int
    ) -> None:
        released = self.runtime.store.transaction(
            lambda txn: release_record(txn, self.tenant_id, identifier, reason="upload_expired")
        )
        assert released is not None
        raise StripeUnavailable(action="send meter events")


def test_a_record_given_back_during_a_failed_send_is_not_sent_later(
    stripe_env: FakeStripe, runtime: Runtime, tenant: TenantCredentials
) -> None:
    _, gateway = billing_for(runtime)
    ensure_customer(runtime.store, gateway, tenant.tenant_id)
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "cad_upload", 12, source="up-1"))
    with pytest.raises(StripeUnavailable):
        send_pending_usage(runtime.store, _ReleasedWhileSending(runtime, tenant.tenant_id), tenant.tenant_id)  # type: ignore[arg-type]
    [record] = ledger_records(runtime.store, tenant.tenant_id)
    assert (record.meter_status, record.released_at is not None) == ("skipped", True)
    assert send_pending_usage(runtime.store, gateway, tenant.tenant_id).sent == 0
    assert stripe_env.meter_receipts == 0 and stripe_env.meter_totals() == {}
