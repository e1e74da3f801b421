"""Usage to Stripe: each ledger record becomes one Billing Meter event, counted once.

The record id is the meter event ``identifier``. A record is claimed (``sending`` with a
short lease) before the call and marked ``sent`` with ``sent_at`` in a transaction after
it, so a sent record is never sent again; if the process dies between the call and the
mark, the lease runs out and the record goes again under the same identifier, which Stripe
deduplicates. A failed call puts the record back to ``pending`` and the run raises, so the
event is redelivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from archbuilder.billing.errors import StripeUnavailable
from archbuilder.billing.gateway import BillingGateway
from archbuilder.billing.usage_ledger import UsageKind, UsageRecord, ledger_path
from archbuilder.domain.timestamps import format_timestamp, now
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import DocumentStore, Filter, Query, Transaction

# The Stripe meter each kind of record goes to (docs/billing.md: create these meters).
METER_EVENT_NAMES: dict[UsageKind, str] = {
    UsageKind.layout: "archbuilder_layouts",
    UsageKind.compliance_check: "archbuilder_compliance_checks",
    UsageKind.cad_upload: "archbuilder_cad_megabytes",
    UsageKind.ai: "archbuilder_ai_tokens",
}
CLAIM_LEASE = timedelta(seconds=120)
# Stripe refuses meter events dated more than 35 days back.
MAX_RECORD_AGE = timedelta(days=35)
_BATCH = 200
_log = get_logger("archbuilder.billing.meter")


@dataclass
class MeterRun:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def send_pending_usage(store: DocumentStore, gateway: BillingGateway, tenant_id: str) -> MeterRun:
    """Send every unsent record of the tenant; raises ``StripeUnavailable`` if any call failed."""
    run = MeterRun()
    tenant = store.get(f"tenants/{tenant_id}")
    customer_id = str(tenant.data.get("stripe_customer_id") or "") if tenant else ""
    seen: set[str] = set()
    while True:
        batch = [r for r in _due(store, tenant_id) if r.id not in seen]
        if not batch:
            break
        for record in batch:
            seen.add(record.id)
            _send_one(store, gateway, record, customer_id, run)
    if run.failed:
        raise StripeUnavailable(action="send meter events", failed=run.failed)
    return run


def _due(store: DocumentStore, tenant_id: str) -> list[UsageRecord]:
    collection = f"tenants/{tenant_id}/usage_ledger"
    pending = store.query(Query(collection, where=[Filter("meter_status", "==", "pending")], limit=_BATCH))
    stuck = store.query(
        Query(
            collection,
            where=[
                Filter("meter_status", "==", "sending"),
                Filter("meter_lease_until", "<", format_timestamp(now())),
            ],
            limit=_BATCH,
        )
    )
    return [UsageRecord.model_validate(row.data) for row in [*pending, *stuck]]


def _send_one(
    store: DocumentStore, gateway: BillingGateway, record: UsageRecord, customer_id: str, run: MeterRun
) -> None:
    path = ledger_path(record.tenant_id, record.id)
    moment = now()
    if not customer_id or record.created_at < moment - MAX_RECORD_AGE:
        reason = "no_customer" if not customer_id else "too_old"
        if _transition(
            store, path, {"meter_status": "skipped", "meter_skip_reason": reason}, claimable_only=True
        ):
            run.skipped += 1
        return
    if not _transition(
        store,
        path,
        {"meter_status": "sending", "meter_lease_until": format_timestamp(moment + CLAIM_LEASE)},
        claimable_only=True,
    ):
        return  # another worker has it, or it was sent meanwhile
    try:
        gateway.send_meter_event(
            event_name=METER_EVENT_NAMES[record.kind],
            identifier=record.id,
            customer_id=customer_id,
            value=record.quantity,
            timestamp=_unix(record.created_at),
        )
    except StripeUnavailable:
        run.failed += 1
        _transition(store, path, {"meter_status": "pending", "meter_lease_until": None}, claimable_only=False)
        return
    _transition(
        store,
        path,
        {"meter_status": "sent", "sent_at": format_timestamp(now()), "meter_lease_until": None},
        claimable_only=False,
    )
    run.sent += 1
    _log.debug("usage sent", extra=log_fields(record_id=record.id, kind=record.kind.value))


def _transition(store: DocumentStore, path: str, fields: dict[str, Any], *, claimable_only: bool) -> bool:
    """Apply ``fields`` unless the record is already sent (or, for a claim, leased to someone else).

    A record given back (``released_at``, ``usage_ledger.release_record``) while it was being
    sent is not claimed or put back to ``pending`` again: it becomes ``skipped``, so a failed
    send is not retried for usage the tenant no longer owes. (One whose send succeeded stays
    ``sent``: Stripe has counted it.)"""

    def change(txn: Transaction) -> bool:
        found = txn.get(path)
        if found is None or found.data.get("meter_status") in ("sent", "skipped"):
            return False
        if found.data.get("released_at") and fields.get("meter_status") in ("sending", "pending"):
            txn.update(
                path, {"meter_status": "skipped", "meter_skip_reason": "released", "meter_lease_until": None}
            )
            return False
        if claimable_only and found.data.get("meter_status") == "sending":
            lease = found.data.get("meter_lease_until")
            if lease and lease >= format_timestamp(now()):
                return False
        txn.update(path, fields)
        return True

    return store.transaction(change)


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())
