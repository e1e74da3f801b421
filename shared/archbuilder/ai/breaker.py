"""A circuit breaker per provider: closed → open after repeated failures → half-open → closed.

Time comes from an injected monotonic clock, so tests can move it forward. Instances are
shared by the threads of one process (functions-framework serves requests on threads).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 3
    open_s: float = 60.0
    half_open_calls: int = 1


class CircuitBreaker:
    def __init__(self, name: str, policy: BreakerPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.closed
        self._failures = 0
        self._opened_at = 0.0
        self._trials = 0

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current()

    def _current(self) -> BreakerState:
        if self._state is BreakerState.open and self._clock() - self._opened_at >= self._policy.open_s:
            self._state, self._trials = BreakerState.half_open, 0
        return self._state

    def allow(self) -> bool:
        """Whether a call may go through now (a half-open breaker lets a few trial calls pass)."""
        with self._lock:
            state = self._current()
            if state is BreakerState.closed:
                return True
            if state is BreakerState.half_open and self._trials < self._policy.half_open_calls:
                self._trials += 1
                return True
            return False

    def retry_in_s(self) -> float:
        """Seconds until an open breaker half-opens (0 when it is not open)."""
        with self._lock:
            if self._current() is not BreakerState.open:
                return 0.0
            return max(0.0, self._policy.open_s - (self._clock() - self._opened_at))

    def record_success(self) -> None:
        with self._lock:
            self._state, self._failures, self._trials = BreakerState.closed, 0, 0

    def record_failure(self) -> None:
        with self._lock:
            state = self._current()
            self._failures += 1
            if state is BreakerState.half_open or self._failures >= self._policy.failure_threshold:
                self._state, self._opened_at, self._trials = BreakerState.open, self._clock(), 0
