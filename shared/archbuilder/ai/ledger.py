"""The usage ledger (one record per paid call) and the monthly AI budget of a tenant.

``tenants/{t}/usage_ledger/{id}`` is what the billing worker consumes: kind ``ai``,
provider, model, tokens, cost, prompt version, latency. The id is derived from the
provider's response id, so recording the same call twice writes one record. The month's
spend is kept beside it in ``tenants/{t}/usage/{yyyy-mm}`` (field ``ai_cost_micro_usd``),
updated in the same transaction, so the budget check before a call is one read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archbuilder.domain.timestamps import format_timestamp
from archbuilder.ports import DocumentStore, Transaction
from archbuilder.repositories import TenantPaths


def period_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def ledger_id(provider: str, response_id: str) -> str:
    return "ai-" + hashlib.sha256(f"{provider}:{response_id}".encode()).hexdigest()[:40]


@dataclass(frozen=True)
class LedgerRecord:
    id: str
    tenant_id: str
    provider: str
    model: str
    task: str
    prompt_version: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_micro_usd: int
    price_version: str
    latency_ms: int
    created_at: datetime
    correlation_id: str | None = None

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": "ai",
            "tenant_id": self.tenant_id,
            "provider": self.provider,
            "model": self.model,
            "task": self.task,
            "prompt_version": self.prompt_version,
            "tokens": {
                "input": self.input_tokens,
                "output": self.output_tokens,
                "cached": self.cached_tokens,
                "reasoning": self.reasoning_tokens,
            },
            "cost_micro_usd": self.cost_micro_usd,
            "cost_usd": self.cost_micro_usd / 1_000_000,
            "currency": "USD",
            "price_version": self.price_version,
            "latency_ms": self.latency_ms,
            "period": period_of(self.created_at),
            "correlation_id": self.correlation_id,
            "created_at": format_timestamp(self.created_at),
        }


class UsageLedger:
    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    def spent_usd(self, tenant_id: str, moment: datetime) -> float:
        """What the tenant's AI calls cost in the month of ``moment``."""
        snapshot = self._store.get(_usage_path(tenant_id, moment))
        micro = int(snapshot.data.get("ai_cost_micro_usd", 0)) if snapshot else 0
        return micro / 1_000_000

    def record(self, record: LedgerRecord) -> bool:
        """Write the record and add its cost to the month; False when it was already there."""
        path = f"{TenantPaths(record.tenant_id).root}/usage_ledger/{record.id}"
        usage_path = _usage_path(record.tenant_id, record.created_at)

        def write(txn: Transaction) -> bool:
            if txn.get(path) is not None:
                return False
            usage = txn.get(usage_path)
            data: dict[str, Any] = (
                dict(usage.data) if usage is not None else {"period": period_of(record.created_at)}
            )
            data["ai_cost_micro_usd"] = int(data.get("ai_cost_micro_usd", 0)) + record.cost_micro_usd
            data["ai_calls"] = int(data.get("ai_calls", 0)) + 1
            txn.create(path, record.document())
            txn.set(usage_path, data)
            return True

        return self._store.transaction(write)


def _usage_path(tenant_id: str, moment: datetime) -> str:
    return f"{TenantPaths(tenant_id).root}/usage/{period_of(moment)}"
