"""The real dev server (`archbuilder serve`) as a subprocess, for end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from tests.conftest import REPO_ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def dev_server(data_dir: Path, **extra_env: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Start the server on a free port with its data in ``data_dir``; yield (base URL, env).

    Waits up to 30 s for /v1/health; the server's output is in ``data_dir/server.log``.
    """
    port = free_port()
    env = os.environ | {
        "PORT": str(port),
        "ARCHBUILDER_DATA_DIR": str(data_dir),
        "ARCHBUILDER_ENV": "local",
        **extra_env,
    }
    base = f"http://127.0.0.1:{port}"
    with (data_dir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [str(BIN / "archbuilder"), "serve"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{base}/v1/health", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert process.poll() is None, (data_dir / "server.log").read_text()
                assert time.monotonic() < deadline, "server did not start in 30 s"
                time.sleep(0.2)
            yield base, env
        finally:
            process.terminate()
            process.wait(timeout=10)


def admin_cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``archbuilder admin <args>`` against the server of ``env``; with ``check`` it must succeed
    (the assertion shows its output)."""
    done = subprocess.run(
        [str(BIN / "archbuilder"), "admin", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def create_tenant(env: dict[str, str], name: str, *options: str) -> dict[str, Any]:
    """``archbuilder admin create-tenant --name <name> <options> --json`` against the server of
    ``env`` (as the README does it); its JSON answer (tenant, ``api_key``)."""
    answer: dict[str, Any] = json.loads(
        admin_cli(env, "create-tenant", "--name", name, *options, "--json").stdout
    )
    return answer
