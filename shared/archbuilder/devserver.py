"""The local dev server: every function of the manifest on one port, embedded defaults.

HTTP functions are mounted at their route templates (the load balancer's job in the
cloud); Pub/Sub functions receive real CloudEvents from the in-process event bus that
the runtime wires from the same manifest.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Request, Response, request
from werkzeug.serving import WSGIRequestHandler, run_simple

from archbuilder.manifest import Manifest, load_manifest
from archbuilder.platform.http import Api
from archbuilder.platform.settings import Settings, get_settings
from archbuilder.ports import Query
from archbuilder.runtime import Runtime, build_runtime, set_runtime

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
    """Build the embedded runtime and serve every function until interrupted."""
    settings = settings or get_settings()
    runtime = build_runtime(settings)
    set_runtime(runtime)
    app = create_app()
    _start_scheduler(runtime)
    _banner(runtime, host, port)
    run_simple(
        host,
        port,
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
        request_handler=_RequestHandler,
    )


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


def _banner(runtime: Runtime, host: str, port: int) -> None:
    lines = [
        f"ArchBuilder Cloud (local) on http://{host}:{port}",
        f"  data folder: {runtime.settings.data_dir.resolve()}",
        f"  API explorer: http://{host}:{port}/docs",
    ]
    if not runtime.store.query(Query(collection="tenants", limit=1)):
        lines += [
            "  No tenant yet. Create one and get an API key with:",
            '    .venv/bin/archbuilder admin create-tenant --name "Demo Mimarlık" '
            "--region eu --code-region TR --language tr",
        ]
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
