"""The ``archbuilder`` command: run the local server and administer tenants.

archbuilder serve [--host 127.0.0.1] [--port 8080]
archbuilder admin create-tenant --name NAME --region eu --code-region TR --language tr [--json]

The admin commands write where ``ARCHBUILDER_DATA_DIR`` says; without it, to the data folder of
the dev server running on ``PORT`` (8080 by default), which it finds in the discovery file the
server writes (``devserver.running_server``); with neither, to the default folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from archbuilder import business_cli, recovery_cli, regulations_cli
from archbuilder.domain.common import REGION_PATTERN, DataRegion, Language

if TYPE_CHECKING:
    from archbuilder.platform.settings import Settings
    from archbuilder.runtime import Runtime

DEFAULT_PORT = 8080


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="archbuilder", description="ArchBuilder Cloud")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run every function on one port with embedded defaults")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=_port_from_environment())

    admin = commands.add_parser("admin", help="administer tenants")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_commands.add_parser("create-tenant", help="create a tenant and print its first API key")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--region", choices=[r.value for r in DataRegion], default="eu", help="data-residency region"
    )
    create.add_argument(
        "--code-region", type=_region, default="TR", help="building-code region: TR, DE, DE-BY, ES-CT, US …"
    )
    create.add_argument("--language", choices=[lang.value for lang in Language], default="en")
    create.add_argument(
        "--plan",
        choices=["free", "professional", "enterprise"],
        default="free",
        help="plan for a tenant billed outside Stripe (Stripe decides once it has a customer)",
    )
    create.add_argument("--json", action="store_true", help="print only {tenant_id, api_key} as JSON")
    report = admin_commands.add_parser("billing-report", help="MRR, active tenants, usage, churn signals")
    report.add_argument("--json", action="store_true")
    business_cli.add_commands(admin_commands)  # report, operator keys
    recovery_cli.add_commands(admin_commands)  # backup, restore, debug-bundle
    regulations_cli.add_commands(admin_commands)  # the global regulation library
    return parser


def _port_from_environment() -> int:
    try:
        return int(os.environ.get("PORT", DEFAULT_PORT))
    except ValueError:
        return DEFAULT_PORT


def _serve_settings() -> Settings:
    """The settings of ``archbuilder serve``: briefs are planned in one child process per core
    this process may use (at most 64) unless ``ARCHBUILDER_PLANNER_PROCESSES`` (or ``.env``)
    says otherwise (0: in the server's own process)."""
    from archbuilder.platform.settings import get_settings

    settings = get_settings()
    if "planner_processes" in settings.model_fields_set:
        return settings
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    # model_copy does not validate: the setting's own bound applies here by hand.
    return settings.model_copy(update={"planner_processes": min(cores, 64)})


def _admin_runtime() -> Runtime:
    """The runtime the admin commands write to: ``ARCHBUILDER_DATA_DIR`` (or a Google project)
    when set, else the data folder of the dev server running on ``PORT``, else the default."""
    from archbuilder.devserver import running_server
    from archbuilder.platform.settings import get_settings
    from archbuilder.runtime import build_runtime, get_runtime, set_runtime

    settings = get_settings()
    if settings.uses_google_cloud or "data_dir" in settings.model_fields_set:
        return get_runtime()
    port = _port_from_environment()
    server = running_server(port)
    if server is None:
        return get_runtime()
    data_dir = Path(server.data_dir)
    if data_dir != settings.data_dir.resolve():
        sys.stderr.write(f"Using the data folder of the server on port {port}: {data_dir}\n")
    runtime = build_runtime(settings.model_copy(update={"data_dir": data_dir}))
    set_runtime(runtime)
    return runtime


def _region(value: str) -> str:
    if not re.match(REGION_PATTERN, value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a region such as TR, DE, DE-BY, ES-CT or US")
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from archbuilder.devserver import serve

        serve(args.host, args.port, _serve_settings())
        return 0
    if args.command == "admin" and args.admin_command == "create-tenant":
        return _create_tenant(args)
    handled = business_cli.run(args, _admin_runtime)
    if handled is not None:
        return handled
    handled = recovery_cli.run(args, _admin_runtime)
    if handled is not None:
        return handled
    handled = regulations_cli.run(args, _admin_runtime)
    if handled is not None:
        return handled
    if args.command == "admin" and args.admin_command == "billing-report":
        from archbuilder.billing.report import billing_report, write_report

        write_report(billing_report(_admin_runtime().store), sys.stdout, as_json=args.json)
        return 0
    return 2


def _create_tenant(args: argparse.Namespace) -> int:
    from archbuilder.services.identity import create_tenant

    name = args.name.strip()
    if not name or len(name) > 200:
        sys.stderr.write("error: --name must be 1 to 200 characters\n")
        return 2
    tenant, key = create_tenant(
        _admin_runtime().store,
        name=name,
        data_region=DataRegion(args.region),
        code_region=args.code_region,
        language=Language(args.language),
        plan=args.plan,
    )
    if args.json:
        sys.stdout.write(json.dumps({"tenant_id": tenant.id, "api_key": key.api_key}) + "\n")
    else:
        sys.stdout.write(
            f"Tenant:  {tenant.id} ({tenant.name}, data region {tenant.data_region.value}, "
            f"code region {tenant.code_region}, language {tenant.language.value})\n"
            f"API key: {key.api_key}\n"
            "Keep this key now: it is shown only once. Send it as the X-API-Key header.\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
