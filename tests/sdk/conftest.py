"""The dev server with one tenant for the SDK tests (one per module and xdist worker)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.dev_server import create_tenant as create_cli_tenant
from tests.e2e.dev_server import dev_server

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Api:
    base: str
    api_key: str
    log: Path  # the server's JSON log lines

    def log_entries(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
        return entries


def create_tenant(env: dict[str, str], name: str) -> str:
    """A professional tenant from the CLI, as the README does it; its API key."""
    options = ("--code-region", "TR", "--language", "en", "--plan", "professional")
    return str(create_cli_tenant(env, name, *options)["api_key"])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    data_dir = tmp_path_factory.mktemp("sdk-data")
    with dev_server(data_dir) as (base, env):
        yield Api(base, create_tenant(env, "SDK Test Mimarlık"), data_dir / "server.log")
