"""Rate limits per API key and per tenant: token buckets kept in the document store.

Each bucket holds up to ``per_minute`` tokens and refills continuously at ``per_minute``
per minute; a request takes one token from its key's bucket and one from its tenant's,
in one transaction. Buckets live at ``rate_limits/{tenant}`` and
``rate_limits/{tenant}~{key}``; they also count requests per key and day (usage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from archbuilder.domain.plans import plan
from archbuilder.domain.timestamps import now
from archbuilder.platform.errors import ArchBuilderError
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.ports import DocumentStore, Transaction

_log = get_logger("archbuilder.rate_limits")


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # seconds until the bucket is full again
    retry_after_s: int  # seconds until one token is back (0 when allowed)

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` headers (IETF draft) and, when refused, ``Retry-After``."""
        values = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }
        if not self.allowed:
            values["Retry-After"] = str(self.retry_after_s)
        return values


class RateLimited(ArchBuilderError):
    code = "RATE_LIMITED"
    status = 429

    def __init__(self, decision: RateDecision) -> None:
        super().__init__(retry_after_s=decision.retry_after_s, limit=decision.limit)
        self.headers = decision.headers()


@dataclass
class _Bucket:
    path: str
    capacity: int
    tokens: float
    requests_today: int
    day: str

    def refill(self, elapsed_s: float) -> None:
        self.tokens = min(float(self.capacity), self.tokens + elapsed_s * self.capacity / 60)


def consume(store: DocumentStore, *, tenant_id: str, plan_name: str, api_key_id: str | None) -> RateDecision:
    """Take one token for this request; the decision says whether it may go on."""
    limits = plan(plan_name).rate_limit
    buckets = [(f"rate_limits/{tenant_id}", limits.per_tenant_per_minute)]
    if api_key_id:
        buckets.append((f"rate_limits/{tenant_id}~{api_key_id}", limits.per_key_per_minute))
    moment = now()

    def take(txn: Transaction) -> RateDecision:
        loaded = [_load(txn, path, capacity, moment) for path, capacity in buckets]
        allowed = all(b.tokens >= 1 for b in loaded)
        if allowed:
            for bucket in loaded:
                bucket.tokens -= 1
                bucket.requests_today += 1
        for bucket in loaded:
            txn.set(
                bucket.path,
                {
                    "tokens": bucket.tokens,
                    "capacity": bucket.capacity,
                    "updated_at": moment.timestamp(),
                    "day": bucket.day,
                    "requests_today": bucket.requests_today,
                },
            )
        # The tightest bucket is the one the client must respect.
        tight = min(loaded, key=lambda b: b.tokens / b.capacity)
        rate_per_s = tight.capacity / 60
        return RateDecision(
            allowed=allowed,
            limit=tight.capacity,
            remaining=max(0, math.floor(tight.tokens)),
            reset_s=math.ceil((tight.capacity - tight.tokens) / rate_per_s),
            retry_after_s=0 if allowed else max(1, math.ceil((1 - tight.tokens) / rate_per_s)),
        )

    decision = store.transaction(take, max_attempts=10)
    if not decision.allowed:
        _log.warning("rate limited", extra=log_fields(metric="rate_limit_hit", limit=decision.limit))
    return decision


def _load(txn: Transaction, path: str, capacity: int, moment: datetime) -> _Bucket:
    day = moment.strftime("%Y-%m-%d")
    snapshot = txn.get(path)
    if snapshot is None:
        return _Bucket(path, capacity, float(capacity), 0, day)
    data = snapshot.data
    bucket = _Bucket(
        path,
        capacity,
        float(data.get("tokens", capacity)),
        int(data.get("requests_today", 0)) if data.get("day") == day else 0,
        day,
    )
    bucket.refill(max(0.0, moment.timestamp() - float(data.get("updated_at", moment.timestamp()))))
    return bucket


def enforce(
    store: DocumentStore, *, tenant_id: str, plan_name: str, api_key_id: str | None
) -> dict[str, str]:
    """Consume a token; the ``RateLimit-*`` headers, or ``RateLimited`` (429) when out of tokens."""
    decision = consume(store, tenant_id=tenant_id, plan_name=plan_name, api_key_id=api_key_id)
    if not decision.allowed:
        raise RateLimited(decision)
    return decision.headers()
