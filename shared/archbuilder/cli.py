"""The ``archbuilder`` command: run the local server and administer tenants.

archbuilder serve [--host 127.0.0.1] [--port 8080]
archbuilder admin create-tenant --name NAME --region eu --code-region TR --language tr [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from archbuilder.domain.common import REGION_PATTERN, DataRegion, Language


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="archbuilder", description="ArchBuilder Cloud")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run every function on one port with embedded defaults")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))

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
    return parser


def _region(value: str) -> str:
    if not re.match(REGION_PATTERN, value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a region such as TR, DE, DE-BY, ES-CT or US")
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from archbuilder.devserver import serve

        serve(args.host, args.port)
        return 0
    if args.command == "admin" and args.admin_command == "create-tenant":
        return _create_tenant(args)
    if args.command == "admin" and args.admin_command == "billing-report":
        from archbuilder.billing.report import billing_report, write_report
        from archbuilder.runtime import get_runtime

        write_report(billing_report(get_runtime().store), sys.stdout, as_json=args.json)
        return 0
    return 2


def _create_tenant(args: argparse.Namespace) -> int:
    from archbuilder.runtime import get_runtime
    from archbuilder.services.identity import create_tenant

    name = args.name.strip()
    if not name or len(name) > 200:
        sys.stderr.write("error: --name must be 1 to 200 characters\n")
        return 2
    tenant, key = create_tenant(
        get_runtime().store,
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
