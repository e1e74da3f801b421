"""The CLI in a second terminal writes to the running dev server's data folder (issue 17).

With ``ARCHBUILDER_DATA_DIR`` set for the server only, ``archbuilder admin create-tenant`` used
to write to the default folder, and the key it printed answered 401. The server now leaves a
discovery file (its pid, port and data folder, never a secret) in a per-user folder, and its
start-up hint prints the exact command.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from archbuilder.devserver import ServerInfo, discovery_file, running_server
from tests.e2e.dev_server import dev_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BIN = Path(sys.executable).parent


def test_create_tenant_finds_the_servers_data_folder(tmp_path: Path) -> None:
    data_dir, run_dir, elsewhere = tmp_path / "data", tmp_path / "run", tmp_path / "elsewhere"
    for folder in (data_dir, run_dir, elsewhere):
        folder.mkdir()
    with dev_server(data_dir, XDG_RUNTIME_DIR=str(run_dir)) as (base, env):
        port = int(env["PORT"])
        # The second terminal: no ARCHBUILDER_DATA_DIR, another working directory, same PORT.
        cli_env = {k: v for k, v in env.items() if k != "ARCHBUILDER_DATA_DIR"}
        created = subprocess.run(
            [str(BIN / "archbuilder"), "admin", "create-tenant", "--name", "Demo", "--json"],
            cwd=elsewhere,
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert created.returncode == 0, created.stderr
        assert f"server on port {port}: {data_dir.resolve()}" in created.stderr
        key = json.loads(created.stdout)["api_key"]
        answer = requests.get(f"{base}/v1/projects", headers={"X-API-Key": key}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert not (elsewhere / ".archbuilder").exists()

        # The discovery file: this user's only, and nothing in it but where the server is.
        path = run_dir / "archbuilder" / f"server-{port}.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert set(json.loads(path.read_text())) == {"pid", "host", "port", "data_dir"}
        assert key not in path.read_text()
    # Gone with the server (SIGTERM).
    assert not path.exists()
    log = (data_dir / "server.log").read_text()
    assert (
        f"PORT={port} ARCHBUILDER_DATA_DIR={data_dir.resolve()} .venv/bin/archbuilder admin create-tenant"
        in log
    )


def test_a_discovery_file_is_trusted_only_when_its_server_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    path = discovery_file(48080)
    path.parent.mkdir(mode=0o700)
    # Left behind by a server that was killed: its process is gone.
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = ServerInfo(pid=int(finished.stdout), host="127.0.0.1", port=48080, data_dir=str(tmp_path))
    path.write_text(dead.model_dump_json())
    path.chmod(0o600)
    assert running_server(48080) is None
    # A live process that does not listen on the port (a reused pid) is not the server either.
    path.write_text(dead.model_copy(update={"pid": os.getpid()}).model_dump_json())
    assert running_server(48080) is None
    # A process that runs and listens: trusted, unless others may write the file.
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = int(listening.getsockname()[1])
        live = dead.model_copy(update={"pid": os.getpid(), "port": port})
        discovery_file(port).write_text(live.model_dump_json())
        discovery_file(port).chmod(0o600)
        assert running_server(port) == live
        discovery_file(port).chmod(0o666)
        assert running_server(port) is None
