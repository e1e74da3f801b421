"""Secrets from Secret Manager: by name and version, cached for a while.

A value is cached per (name, version) for ``ttl_s`` so that a hot path does not call the
API on every request, while a rotated secret (a new ``latest``) is picked up within the TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from google.api_core import exceptions as gexc
from google.cloud import secretmanager

from archbuilder.platform.errors import SecretMissing


class SecretManagerSecrets:
    def __init__(
        self,
        project: str,
        *,
        client: secretmanager.SecretManagerServiceClient | None = None,
        ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._project = project
        self._client = client or secretmanager.SecretManagerServiceClient()
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str:
        return self.get_version(name, "latest")

    def get_version(self, name: str, version: str) -> str:
        """The value of ``version`` (a number or ``latest``); ``SecretMissing`` if there is none."""
        key = (name, version)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        path = self._client.secret_version_path(self._project, name, version)
        try:
            response = self._client.access_secret_version(name=path)
        except (gexc.NotFound, gexc.FailedPrecondition, gexc.PermissionDenied) as exc:
            # Absent, disabled or destroyed, or not ours to read: the name is safe to report.
            raise SecretMissing(name=name, version=version) from exc
        value = bytes(response.payload.data).decode("utf-8")
        with self._lock:
            self._cache[key] = (value, now + self._ttl_s)
        return value

    def invalidate(self, name: str | None = None) -> None:
        with self._lock:
            for key in [k for k in self._cache if name is None or k[0] == name]:
                del self._cache[key]
