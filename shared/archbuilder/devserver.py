"""The local dev server: every function of the manifest on one port, embedded defaults.

HTTP functions are mounted at their route templates (the load balancer's job in the
cloud); Pub/Sub functions receive real CloudEvents from the in-process event bus that
the runtime wires from the same manifest.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from flask import Flask, Request, Response, request
from pydantic import BaseModel
from werkzeug.serving import WSGIRequestHandler, make_server

from archbuilder.cli import DEFAULT_PORT
from archbuilder.manifest import Manifest, load_manifest
from archbuilder.platform.http import Api
from archbuilder.platform.logging import log_to_file
from archbuilder.platform.settings import Settings, get_settings
from archbuilder.ports import Query
from archbuilder.runtime import Runtime, build_runtime, set_runtime

LOG_FILE = "archbuilder.jsonl"  # under <data folder>/logs/, rotated to .1, .2, .3
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(manifest: Manifest | None = None) -> Flask:
    """A WSGI app that routes each request to the HTTP function that owns its path."""
    manifest = manifest or load_manifest()
    entry_points: dict[str, Callable[[Request], Any]] = {
        spec.name: spec.load() for spec in manifest.http_functions()
    }
    # Unknown paths still answer in the platform's error shape.
    fallback = Api("devserver")
    app = Flask("archbuilder")

    @app.route("/", defaults={"path": ""}, methods=_METHODS)
    @app.route("/<path:path>", methods=_METHODS)
    def dispatch(path: str) -> Response:
        spec = manifest.route_for(request.path)
        if spec is None:
            return fallback.handle(request)
        response: Response = entry_points[spec.name](request)
        return response

    @app.errorhandler(404)
    def unrouted(_: Exception) -> Response:
        # Paths Flask's own rule cannot match (a newline in the path) still get our routing
        # and our error shape, not Flask's HTML page.
        spec = manifest.route_for(request.path)
        if spec is None:
            return fallback.handle(request)
        routed: Response = entry_points[spec.name](request)
        return routed

    return app


def serve(host: str, port: int, settings: Settings | None = None) -> None:
    """Build the embedded runtime and serve every function until interrupted.

    On the embedded runtime the server says where its data folder is in a discovery file
    (``discovery_file``), so that ``archbuilder admin …`` in another terminal writes to the
    same folder; the file goes when the server stops (Ctrl-C or SIGTERM)."""
    settings = settings or get_settings()
    runtime = build_runtime(settings)
    set_runtime(runtime)
    # A copy of the log lines in the data folder: `archbuilder admin debug-bundle` reads them.
    log_to_file(settings.data_dir / "logs" / LOG_FILE)
    app = create_app()
    # Bound before anything is announced: a second server on a taken port fails here.
    server = make_server(host, port, app, threaded=True, request_handler=_RequestHandler)
    _start_scheduler(runtime)
    _banner(runtime, host, server.port)
    written = None
    if not settings.uses_google_cloud:
        written = write_discovery(
            ServerInfo(
                pid=os.getpid(), host=host, port=server.port, data_dir=str(settings.data_dir.resolve())
            )
        )
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)  # so that the finally below runs
    try:
        server.log_startup()
        server.serve_forever()
    finally:
        server.server_close()
        if written is not None:
            remove_discovery(written)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


# -- discovery: which data folder the local server on a port uses -------------------------


class ServerInfo(BaseModel):
    """What a running dev server says about itself. Never a secret: a pid, where it listens
    and the path of its data folder."""

    pid: int
    host: str
    port: int
    data_dir: str


def discovery_dir() -> Path:
    """The per-user folder of discovery files: ``$XDG_RUNTIME_DIR/archbuilder`` (a private
    folder the system clears at logout), else ``~/.cache/archbuilder/servers``."""
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        return Path(runtime_dir) / "archbuilder"
    return Path.home() / ".cache" / "archbuilder" / "servers"


def discovery_file(port: int) -> Path:
    return discovery_dir() / f"server-{port}.json"


def write_discovery(info: ServerInfo) -> Path | None:
    """Write ``info`` for the server's port (readable by its user only); None when the folder
    cannot be written (the server runs on, the CLI then needs ARCHBUILDER_DATA_DIR)."""
    path = discovery_file(info.port)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{info.pid}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
            fh.write(info.model_dump_json())
        partial.replace(path)  # a reader never sees half a file
    except OSError as exc:
        sys.stderr.write(f"  (no discovery file in {path.parent}: {exc.strerror})\n")
        return None
    return path


def remove_discovery(path: Path) -> None:
    """Remove the discovery file if it is still this process's."""
    found = read_discovery_file(path)
    if found is not None and found.pid == os.getpid():
        path.unlink(missing_ok=True)


def read_discovery_file(path: Path) -> ServerInfo | None:
    """The file's content when it is this user's and not writable by others, else None."""
    try:
        status = path.stat()
        if hasattr(os, "getuid") and (status.st_uid != os.getuid() or status.st_mode & 0o022):
            return None
        return ServerInfo.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def running_server(port: int) -> ServerInfo | None:
    """The dev server on ``port`` of this machine, when one is running and said where its data is."""
    info = read_discovery_file(discovery_file(port))
    if info is None or not _alive(info.pid) or not _listening(info.host, info.port):
        return None  # left behind by a server that was killed
    return info


def _alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # signal 0 is CTRL_C_EVENT there: the port check decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: the port check decides
    return True


def _listening(host: str, port: int) -> bool:
    address = "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else host  # noqa: S104 - compared, not bound
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's access line would print the raw path, with the uids, ids and invitation
    tokens in it. Each function already logs one line per request, naming the route template."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


def _start_scheduler(runtime: Runtime, every_s: float = 60.0) -> None:
    """Publish to ``maintenance`` every minute, as Cloud Scheduler does in the cloud."""

    def tick() -> None:
        while True:
            time.sleep(every_s)
            runtime.bus.publish("maintenance", {})

    threading.Thread(target=tick, name="scheduler", daemon=True).start()


def create_tenant_command(settings: Settings, port: int) -> str:
    """The command that creates a tenant in this server's data, exactly: the CLI finds the
    server's folder by its port (``running_server``), and is told both when they are not the
    defaults (so the command also works where the discovery file cannot be written)."""
    variables = []
    if port != DEFAULT_PORT:
        variables.append(f"PORT={port}")
    if "data_dir" in settings.model_fields_set:
        variables.append(f"ARCHBUILDER_DATA_DIR={shlex.quote(str(settings.data_dir.resolve()))}")
    command = (
        '.venv/bin/archbuilder admin create-tenant --name "Demo Mimarlık" '
        "--region eu --code-region TR --language tr"
    )
    return " ".join([*variables, command])


def _banner(runtime: Runtime, host: str, port: int) -> None:
    lines = [
        f"ArchBuilder Cloud (local) on http://{host}:{port}",
        f"  data folder: {runtime.settings.data_dir.resolve()}",
        f"  API explorer: http://{host}:{port}/docs",
    ]
    if not runtime.store.query(Query(collection="tenants", limit=1)):
        lines += [
            "  No tenant yet. Create one and get an API key, in another terminal, with:",
            f"    {create_tenant_command(runtime.settings, port)}",
        ]
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
