"""The system under load, on 127.0.0.1 only: the embedded default or the emulator stack.

Each starts with a fresh temporary data folder, writes its JSON log lines to one file, and
offers its document store to the runner (tenants before the run, the ledger check after).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from archbuilder.ports import DocumentStore

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # loopback only: nothing here ever listens on or calls another address


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - our loopback URL
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} after {timeout_s:.0f} s")


class Stack:
    """A started system: ``base_url``, the server's ``pid``, its ``log`` file, its ``store``."""

    name = "stack"

    def __init__(self, work: Path) -> None:
        self.work = work
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log = work / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The process serving HTTP (the one to sample in a soak)."""
        assert self.process is not None
        return self.process.pid

    def pids(self) -> list[int]:
        """Every process of the stack (the server and what it started: planning children,
        CAD parse children, emulators)."""
        assert self.process is not None
        return _descendants(self.process.pid)

    def store(self) -> DocumentStore:
        raise NotImplementedError

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)  # its own session: started with start_new_session
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class EmbeddedStack(Stack):
    """``archbuilder serve``: SQLite, a folder of blobs, the in-process event bus, one process."""

    name = "embedded default"

    def start(self) -> None:
        env = os.environ | {
            "PORT": str(self.port),
            "ARCHBUILDER_DATA_DIR": str(self.work / "data"),
            "XDG_RUNTIME_DIR": str(self.work),  # its discovery file stays in the run's folder
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("ARCHBUILDER_GCP_PROJECT", "FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST"):
            env.pop(name, None)
        with self.log.open("wb") as out, (self.work / "server.err").open("wb") as err:
            self.process = subprocess.Popen(
                [str(BIN / "archbuilder"), "serve", "--host", HOST, "--port", str(self.port)],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        _wait_healthy(f"{self.base_url}/v1/health", self.process, timeout_s=60)

    def store(self) -> DocumentStore:
        from archbuilder.adapters.local.sqlite_store import SqliteDocumentStore

        return SqliteDocumentStore(self.work / "data" / "documents.sqlite3")


class EmulatedStack(Stack):
    """``tools/run_emulated.py``: Firestore, Pub/Sub, fake-gcs and Auth emulators; each event
    function in its own functions-framework process; the HTTP functions in ``archbuilder serve``."""

    name = "emulated (Firestore, Pub/Sub, fake-gcs)"

    def start(self) -> None:
        env_file = self.work / "client.env"
        env = os.environ | {"PYTHONUNBUFFERED": "1", "XDG_RUNTIME_DIR": str(self.work)}
        with self.log.open("wb") as out, (self.work / "server.err").open("wb") as err:
            self.process = subprocess.Popen(
                [
                    str(BIN / "python"),
                    "-m",
                    "tools.run_emulated",
                    "--port",
                    str(self.port),
                    "--env-file",
                    str(env_file),
                    "--data-dir",
                    str(self.work / "data"),
                    "--no-auth",
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        deadline = time.monotonic() + 240
        while not env_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"tools.run_emulated exited with {self.process.returncode}: "
                    + (self.work / "server.err").read_text(errors="replace")[-2000:]
                )
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator stack did not start in 240 s")
            time.sleep(0.5)
        self.client_env = dict(
            line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line
        )

    @property
    def pid(self) -> int:
        serving = [pid for pid in self.pids() if b"serve" in _cmdline(pid)]
        return serving[0] if serving else super().pid

    def store(self) -> DocumentStore:
        os.environ.update(self.client_env)
        from archbuilder.adapters.gcp.runtime import build_gcp_runtime
        from archbuilder.platform.settings import Settings

        return build_gcp_runtime(Settings()).store


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after ``pid (comm)``, from the state (field 3) on;
    None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = stat_fields(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))  # by parent pid
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def create_tenants(store: DocumentStore, count: int, plan: str = "professional") -> list[dict[str, Any]]:
    """``count`` tenants with one owner API key each (the service behind
    ``archbuilder admin create-tenant``), in the regions and languages the product serves."""
    from archbuilder.domain.common import DataRegion, Language
    from archbuilder.services.identity import create_tenant

    regions = [("TR", Language.tr), ("DE", Language.de), ("FR", Language.fr), ("ES", Language.es)]
    tenants = []
    for number in range(count):
        code_region, language = regions[number % len(regions)]
        tenant, key = create_tenant(
            store,
            name=f"Load tenant {number + 1}",
            data_region=DataRegion("eu"),
            code_region=code_region,
            language=language,
            plan=plan,
        )
        tenants.append({"tenant_id": tenant.id, "api_key": key.api_key, "code_region": code_region})
    return tenants
