"""Quota and feature gates, the ledger, read-only after the grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from archbuilder.billing.entitlement import is_read_only, require_writable
from archbuilder.billing.errors import AccountReadOnly, FeatureNotInPlan, PlanLimitReached
from archbuilder.billing.quotas import check_quota, consume_quota, require_feature
from archbuilder.billing.usage_ledger import (
    aggregate_usage,
    new_usage_record,
    period_of,
    read_totals,
    record_usage,
)
from archbuilder.runtime import Runtime
from tests.conftest import TenantCredentials


def use(runtime: Runtime, tenant: TenantCredentials, kind: str, count: int, **extra: Any) -> None:
    for i in range(count):
        record_usage(
            runtime.store, new_usage_record(tenant.tenant_id, kind, 1, source=f"job-{kind}-{i}", **extra)
        )


def test_the_quota_stops_at_the_limit_and_names_the_next_plan(
    runtime: Runtime, tenant: TenantCredentials
) -> None:
    use(runtime, tenant, "layout", 9)
    check = check_quota(runtime.store, tenant.tenant_id, "layouts")
    assert (check.used, check.limit, check.warning) == (9, 10, True)
    assert check.headers() == {"X-Quota-Warning": "layouts=100%"}
    use(runtime, tenant, "layout", 10)  # ids 0..8 exist: only job 9 is new
    with pytest.raises(PlanLimitReached) as refused:
        check_quota(runtime.store, tenant.tenant_id, "layouts")
    assert refused.value.status == 402
    assert refused.value.params == {
        "quota": "layouts",
        "plan": "free",
        "limit": 10,
        "used": 10,
        "requested": 1,
        "next_plan": "professional",
        "next_limit": 200,
    }


def test_below_80_percent_there_is_no_warning(runtime: Runtime, tenant: TenantCredentials) -> None:
    use(runtime, tenant, "compliance_check", 5)
    check = check_quota(runtime.store, tenant.tenant_id, "compliance_checks")
    assert not check.warning and check.headers() == {}


def test_a_paid_plan_lifts_the_limit(runtime: Runtime, tenant: TenantCredentials) -> None:
    use(runtime, tenant, "layout", 10)
    runtime.store.update(f"tenants/{tenant.tenant_id}", {"plan": "professional"})
    assert check_quota(runtime.store, tenant.tenant_id, "layouts").limit == 200


def test_file_size_is_per_file(runtime: Runtime, tenant: TenantCredentials) -> None:
    assert check_quota(runtime.store, tenant.tenant_id, "cad_file_mb", 25).used == 0
    with pytest.raises(PlanLimitReached) as refused:
        check_quota(runtime.store, tenant.tenant_id, "cad_file_mb", 26)
    assert refused.value.params["next_limit"] == 200


def test_consume_is_atomic_and_idempotent(runtime: Runtime, tenant: TenantCredentials) -> None:
    for i in range(10):
        consume_quota(runtime.store, new_usage_record(tenant.tenant_id, "layout", 1, source=f"job-{i}"))
    # A retry of a recorded job passes and is not counted twice; a new one is refused.
    assert consume_quota(runtime.store, new_usage_record(tenant.tenant_id, "layout", 1, source="job-3")) == []
    with pytest.raises(PlanLimitReached):
        consume_quota(runtime.store, new_usage_record(tenant.tenant_id, "layout", 1, source="job-10"))
    period = period_of(datetime.now(UTC))
    assert read_totals(runtime.store, tenant.tenant_id, period).layouts == 10
    assert aggregate_usage(runtime.store, tenant.tenant_id, period) == read_totals(
        runtime.store, tenant.tenant_id, period
    )


def test_ai_spend_counts_against_the_budget(runtime: Runtime, tenant: TenantCredentials) -> None:
    record_usage(runtime.store, new_usage_record(tenant.tenant_id, "ai", 30_000, source="r1", cost=0.85))
    check = check_quota(runtime.store, tenant.tenant_id, "ai_budget_usd_cents", 10)
    assert (check.used, check.limit, check.warning) == (85, 100, True)
    with pytest.raises(PlanLimitReached):
        consume_quota(runtime.store, new_usage_record(tenant.tenant_id, "ai", 9_000, source="r2", cost=0.2))


def test_features_follow_the_plan(runtime: Runtime, tenant: TenantCredentials) -> None:
    with pytest.raises(FeatureNotInPlan) as refused:
        require_feature(runtime.store, tenant.tenant_id, "ifc_export")
    assert refused.value.params == {"feature": "ifc_export", "plan": "free", "next_plan": "professional"}
    with pytest.raises(FeatureNotInPlan) as refused:
        require_feature(runtime.store, tenant.tenant_id, "priority_queue")
    assert refused.value.params["next_plan"] == "enterprise"
    require_feature(runtime.store, tenant.tenant_id, "regions", "TR")
    with pytest.raises(FeatureNotInPlan):
        require_feature(runtime.store, tenant.tenant_id, "regions", "DE-BY")
    runtime.store.update(f"tenants/{tenant.tenant_id}", {"plan": "professional"})
    require_feature(runtime.store, tenant.tenant_id, "ifc_export")
    require_feature(runtime.store, tenant.tenant_id, "regions", "DE-BY")


def test_read_only_after_the_grace_period(runtime: Runtime, tenant: TenantCredentials) -> None:
    failed = datetime.now(UTC) - timedelta(days=3)
    snapshot = {
        "status": "past_due",
        "plan": "professional",
        "payment_failed_at": failed.isoformat(),
        "grace_ends_at": (failed + timedelta(days=7)).isoformat(),
        "fetched_at": datetime.now(UTC).isoformat(),
    }
    runtime.store.update(f"tenants/{tenant.tenant_id}", {"subscription": snapshot, "plan": "professional"})
    doc = runtime.store.get(f"tenants/{tenant.tenant_id}")
    assert doc is not None
    assert not is_read_only(doc.data)
    assert is_read_only(doc.data, at=failed + timedelta(days=7, seconds=1))
    require_writable(runtime.store, tenant.tenant_id)
    runtime.store.update(f"tenants/{tenant.tenant_id}", {"subscription.status": "unpaid"})
    with pytest.raises(AccountReadOnly):
        require_writable(runtime.store, tenant.tenant_id)
    # Reads still see the paid plan while payment is sorted out.
    assert check_quota(runtime.store, tenant.tenant_id, "layouts").plan == "professional"


def test_a_record_must_use_its_kinds_unit() -> None:
    from archbuilder.billing.usage_ledger import UsageRecord

    with pytest.raises(ValueError):
        UsageRecord(
            id="u_1",
            tenant_id="t",
            kind="ai",
            quantity=1,
            unit="MB",
            period="2026-11",
            created_at=datetime.now(UTC),
        )


def test_consume_reads_the_tenant_its_counters_and_the_record_once_each(
    runtime: Runtime, tenant: TenantCredentials
) -> None:
    from archbuilder.platform.store_counts import CountingDocumentStore, counting

    store = CountingDocumentStore(runtime.store)
    record = new_usage_record(tenant.tenant_id, "layout", 1, source="job-counted")
    with counting() as counts:
        consume_quota(store, record)
    # The tenant (its plan), the month's counters, the record (absent); the record and counters written.
    assert (counts.reads, counts.writes, counts.transactions) == (3, 2, 1)
    with counting() as counts:
        assert consume_quota(store, record) == []  # a retry: read, nothing written
    assert (counts.reads, counts.writes) == (3, 0)
    assert read_totals(runtime.store, tenant.tenant_id, record.period).layouts == 1


def test_totals_remove_takes_back_what_add_counted_and_never_goes_below_zero() -> None:
    from archbuilder.billing.usage_ledger import UsageTotals

    records = [
        new_usage_record("t", "layout", 2, source="a"),
        new_usage_record("t", "compliance_check", 1, source="b"),
        new_usage_record("t", "cad_upload", 7, source="c"),
        new_usage_record("t", "ai", 1200, source="d", cost=0.123456),
    ]
    totals = UsageTotals(period=records[0].period)
    for record in records:
        totals.add(record)
    assert totals.model_dump() == {
        "period": records[0].period,
        "layouts": 2,
        "compliance_checks": 1,
        "cad_uploads": 1,
        "cad_megabytes": 7,
        "ai_tokens": 1200,
        "ai_cost_usd": 0.123456,
        "records": 4,
    }
    for record in records:
        totals.remove(record)
    assert totals == UsageTotals(period=records[0].period)
    totals.remove(records[3])  # nothing left to take back
    assert totals == UsageTotals(period=records[0].period)
