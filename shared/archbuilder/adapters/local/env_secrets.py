"""Secrets from the environment (and ``.env``): the embedded default for Secret Manager."""

from __future__ import annotations

import os
from collections.abc import Mapping

from archbuilder.platform.errors import SecretMissing


class EnvironmentSecrets:
    """``get("stripe-api-key")`` reads ``ARCHBUILDER_SECRET_STRIPE_API_KEY``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ if environ is not None else os.environ

    @staticmethod
    def variable_name(name: str) -> str:
        return "ARCHBUILDER_SECRET_" + name.upper().replace("-", "_").replace(".", "_")

    def get(self, name: str) -> str:
        value = self._environ.get(self.variable_name(name))
        if not value:
            # The name is safe to report; the value never is.
            raise SecretMissing(name=name)
        return value
