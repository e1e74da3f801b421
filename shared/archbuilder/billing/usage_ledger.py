"""The usage ledger: one record per billable unit of work, written once under an idempotent id.

Records live at ``tenants/{t}/usage_ledger/{id}``; the same transaction adds them to the
month's counters at ``tenants/{t}/usage/{YYYY-MM}``, which the quota gates read. A second
write with the same id changes nothing, so a retried job or upload is counted once. The
record id is also the Stripe meter event identifier (see ``meter``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from archbuilder.domain.timestamps import Timestamp, format_timestamp, now
from archbuilder.ports import DocumentStore, EventBus, Filter, Query, Snapshot, Transaction
from archbuilder.repositories import dump

USAGE_EVENTS_TOPIC = "usage-events"
RECORD_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class UsageKind(StrEnum):
    layout = "layout"  # one generated layout (unit "layout")
    compliance_check = "compliance_check"  # one compliance check (unit "check")
    cad_upload = "cad_upload"  # one ingested CAD file; quantity = megabytes (unit "MB")
    ai = "ai"  # language-model tokens (unit "token"); cost = what the provider charged us, USD


UNITS: dict[UsageKind, str] = {
    UsageKind.layout: "layout",
    UsageKind.compliance_check: "check",
    UsageKind.cad_upload: "MB",
    UsageKind.ai: "token",
}

MeterStatus = Literal["pending", "sending", "sent", "skipped"]


class UsageRecord(BaseModel):
    """One ledger entry. ``id`` is idempotent: build it with ``usage_record_id``."""

    id: str = Field(pattern=RECORD_ID_PATTERN)
    tenant_id: str
    kind: UsageKind
    quantity: int = Field(ge=0)
    unit: str
    cost: float | None = Field(default=None, ge=0)  # USD, for kind "ai"
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    created_at: Timestamp
    source: str | None = None  # what it was for: a job, upload or request id
    meter_status: MeterStatus = "pending"
    meter_lease_until: Timestamp | None = None
    sent_at: Timestamp | None = None
    # Set when the work it paid for never happened (``release_record``): no longer counted.
    released_at: Timestamp | None = None
    release_reason: str | None = None

    @model_validator(mode="after")
    def _unit_matches_kind(self) -> UsageRecord:
        if self.unit != UNITS[self.kind]:
            raise ValueError(f"kind {self.kind.value} is counted in {UNITS[self.kind]!r}, not {self.unit!r}")
        return self


class UsageTotals(BaseModel):
    """Usage of one tenant in one period (the counters document, or the ledger summed)."""

    period: str
    layouts: int = 0
    compliance_checks: int = 0
    cad_uploads: int = 0
    cad_megabytes: int = 0
    ai_tokens: int = 0
    ai_cost_usd: float = 0.0
    records: int = 0
    # What the AI router's calls cost this month (``ai/ledger.py`` keeps it in the same counters
    # document, with its own call records): read here, never written by this model.
    ai_cost_micro_usd: int = Field(default=0, exclude=True)

    def ai_spend_usd(self) -> float:
        """The month's AI spend: the router's calls and any ``ai`` usage record's cost."""
        return round(self.ai_cost_usd + self.ai_cost_micro_usd / 1_000_000, 6)

    def add(self, record: UsageRecord, *, sign: Literal[1, -1] = 1) -> None:
        """Count ``record``; with ``sign=-1`` take back what it counted (never below zero)."""
        quantity = sign * record.quantity
        self.records = max(0, self.records + sign)
        if record.kind is UsageKind.layout:
            self.layouts = max(0, self.layouts + quantity)
        elif record.kind is UsageKind.compliance_check:
            self.compliance_checks = max(0, self.compliance_checks + quantity)
        elif record.kind is UsageKind.cad_upload:
            self.cad_uploads = max(0, self.cad_uploads + sign)
            self.cad_megabytes = max(0, self.cad_megabytes + quantity)
        else:
            self.ai_tokens = max(0, self.ai_tokens + quantity)
            self.ai_cost_usd = max(0.0, round(self.ai_cost_usd + sign * (record.cost or 0.0), 6))

    def remove(self, record: UsageRecord) -> None:
        """Take back what ``add`` counted for ``record`` (never below zero)."""
        self.add(record, sign=-1)


def period_of(moment: datetime) -> str:
    """The billing period (calendar month, UTC) of a moment: ``2026-11``."""
    return moment.strftime("%Y-%m")


def usage_record_id(tenant_id: str, kind: UsageKind | str, source: str) -> str:
    """A deterministic record id for ``source`` (a job id, an upload id, a request id…).

    Unique across tenants, because Stripe deduplicates meter events per account.
    """
    digest = hashlib.sha256(f"{tenant_id}\x1f{UsageKind(kind).value}\x1f{source}".encode()).hexdigest()
    return "u_" + digest[:40]


def new_usage_record(
    tenant_id: str,
    kind: UsageKind | str,
    quantity: int,
    *,
    source: str,
    cost: float | None = None,
    at: datetime | None = None,
) -> UsageRecord:
    """A record for ``quantity`` units of ``kind`` done for ``source``, dated now."""
    moment = at or now()
    usage_kind = UsageKind(kind)
    return UsageRecord(
        id=usage_record_id(tenant_id, usage_kind, source),
        tenant_id=tenant_id,
        kind=usage_kind,
        quantity=quantity,
        unit=UNITS[usage_kind],
        cost=cost,
        period=period_of(moment),
        created_at=moment,
        source=source,
    )


def ledger_path(tenant_id: str, record_id: str) -> str:
    return f"tenants/{tenant_id}/usage_ledger/{record_id}"


def counters_path(tenant_id: str, period: str) -> str:
    return f"tenants/{tenant_id}/usage/{period}"


def totals_of(counters: Snapshot | None, period: str) -> UsageTotals:
    """The totals in a counters document as read (``counters_path``), zero if there is none."""
    return UsageTotals.model_validate(counters.data) if counters else UsageTotals(period=period)


def read_totals(txn: Transaction | DocumentStore, tenant_id: str, period: str) -> UsageTotals:
    return totals_of(txn.get(counters_path(tenant_id, period)), period)


def write_record(txn: Transaction, record: UsageRecord) -> bool:
    """Add ``record`` and its counters inside ``txn``; False (and nothing written) if it exists.

    The caller must have read nothing it later writes besides through this function.
    """
    if txn.get(ledger_path(record.tenant_id, record.id)) is not None:
        return False
    add_record(txn, record, txn.get(counters_path(record.tenant_id, record.period)))
    return True


def add_record(txn: Transaction, record: UsageRecord, counters: Snapshot | None) -> None:
    """Create ``record`` and add it to its month's counters, ``counters`` being that document
    as read in ``txn`` (the caller has also read that the record is not in the ledger yet)."""
    totals = totals_of(counters, record.period)
    totals.add(record)
    txn.create(ledger_path(record.tenant_id, record.id), dump(record))
    # The AI ledger (ai/ledger.py) keeps its spend in the same document: keep its fields.
    kept = dict(counters.data) if counters else {}
    txn.set(counters_path(record.tenant_id, record.period), kept | totals.model_dump())


def release_record(txn: Transaction, tenant_id: str, record_id: str, *, reason: str) -> UsageRecord | None:
    """Give back what the record ``record_id`` counted, inside ``txn``: the record stays in the
    ledger marked ``released_at`` (its id keeps a retried charge from counting again) and its
    units leave its month's counters. Returns the record, or None (nothing written) when there
    is no such record or it was released already: a second release gives nothing back twice.

    A record not yet sent to Stripe is marked ``skipped`` and never is; one already sent stays
    billed (logged by the caller). Reads, then writes: call it before the transaction's writes.
    """
    path = ledger_path(tenant_id, record_id)
    found = txn.get(path)
    if found is None or found.data.get("released_at"):
        return None
    record = UsageRecord.model_validate(found.data)
    counters = txn.get(counters_path(tenant_id, record.period))
    kept = dict(counters.data) if counters else {}
    totals = totals_of(counters, record.period)
    totals.remove(record)
    moment = now()
    fields: dict[str, Any] = {"released_at": format_timestamp(moment), "release_reason": reason}
    if record.meter_status == "pending":
        fields |= {"meter_status": "skipped", "meter_skip_reason": "released"}
    txn.update(path, fields)
    txn.set(counters_path(tenant_id, record.period), kept | totals.model_dump())
    return record.model_copy(update={"released_at": moment, "release_reason": reason})


def record_usage(store: DocumentStore, record: UsageRecord, *, bus: EventBus | None = None) -> bool:
    """Write ``record`` once (True if it is new) and, with a bus, ask for it to be metered."""
    created = store.transaction(lambda txn: write_record(txn, record))
    if created and bus is not None:
        publish_usage(bus, record.tenant_id)
    return created


def publish_usage(bus: EventBus, tenant_id: str) -> None:
    """Tell the billing worker that the tenant has records to send to Stripe."""
    bus.publish(USAGE_EVENTS_TOPIC, {"tenant_id": tenant_id}, attributes={"tenant_id": tenant_id})


def ledger_records(store: DocumentStore, tenant_id: str, *, period: str | None = None) -> list[UsageRecord]:
    """The tenant's usage records (the AI router's call records, ``ai/ledger.py``, share the
    collection: they have no ``unit`` and are left out; their spend is in the counters)."""
    where = [Filter("period", "==", period)] if period else []
    rows = store.query(Query(collection=f"tenants/{tenant_id}/usage_ledger", where=where))
    return [UsageRecord.model_validate(row.data) for row in rows if "unit" in row.data]


def aggregate_usage(store: DocumentStore, tenant_id: str, period: str) -> UsageTotals:
    """The period's usage summed from the ledger itself (the counters are a cache of this)."""
    totals = UsageTotals(period=period)
    for record in ledger_records(store, tenant_id, period=period):
        if record.released_at is None:
            totals.add(record)
    return totals


def storage_path(tenant_id: str) -> str:
    return f"tenants/{tenant_id}/usage/totals"


def record_storage(store: DocumentStore, tenant_id: str, delta_bytes: int) -> int:
    """Add (or with a negative delta, release) stored bytes; returns the new total."""

    def change(txn: Transaction) -> int:
        found = txn.get(storage_path(tenant_id))
        data: Mapping[str, Any] = found.data if found else {}
        total = max(0, int(data.get("storage_bytes", 0)) + delta_bytes)
        txn.set(storage_path(tenant_id), {"storage_bytes": total})
        return total

    return store.transaction(change)
