"""When to retry: 429 and 503 only, a bounded number of times, honouring ``Retry-After``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429, 503})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date; ``None`` when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of one call answered 429 or 503 (nothing else is retried).

    At most ``max_retries`` retries (so ``1 + max_retries`` attempts). The wait before each is the
    answer's ``Retry-After`` when it sent one, else exponential backoff
    (``backoff_base_s × 2^n``, at most ``backoff_max_s``, with jitter). A ``Retry-After`` longer
    than ``max_retry_after_s`` is not waited for: the error is raised at once, with it.
    """

    max_retries: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    max_retry_after_s: float = 60.0

    def delay(self, retry: int, status: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``retry`` (0-based), or ``None``: do not retry."""
        if status not in RETRY_STATUSES or retry >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after_s else None
        backoff = min(self.backoff_max_s, self.backoff_base_s * (2.0**retry))
        return backoff * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


NO_RETRIES = RetryPolicy(max_retries=0)
