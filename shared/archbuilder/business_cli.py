"""The operators' ``archbuilder admin`` commands: the business report and operator keys.

archbuilder admin report [--period YYYY-MM] [--json]
archbuilder admin create-operator-key --name NAME [--expires-in-days N] [--json]
archbuilder admin revoke-operator-key KEY_ID

``cli.py`` registers them (``add_commands``) and hands them the runtime the other admin
commands use (``run``). ``admin billing-report`` stays what it was: the first tables of
``admin report``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archbuilder.runtime import Runtime

COMMANDS = ("report", "create-operator-key", "revoke-operator-key")


def _period(value: str) -> str:
    if not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a month such as 2026-11")
    return value


def add_commands(admin_commands: Any) -> None:
    """Add the commands to ``archbuilder admin``'s subparsers."""
    report = admin_commands.add_parser(
        "report",
        help="the business view: MRR and its movements, trials, failed payments, AI margin, quotas, "
        "tenants at risk, generation success, review outcomes",
    )
    report.add_argument("--period", type=_period, help="the month, YYYY-MM (default: this month)")
    report.add_argument("--json", action="store_true")
    create = admin_commands.add_parser(
        "create-operator-key", help="a key for GET /v1/admin/metrics and the /admin page (printed once)"
    )
    create.add_argument("--name", required=True, help="whose key it is")
    create.add_argument("--expires-in-days", type=int, default=None)
    create.add_argument("--json", action="store_true", help="print only {key_id, api_key} as JSON")
    revoke = admin_commands.add_parser(
        "revoke-operator-key", help="revoke an operator key and its page sessions"
    )
    revoke.add_argument("key_id")


def run(args: argparse.Namespace, runtime: Callable[[], Runtime]) -> int | None:
    """Run the command if it is one of these; None when it is not."""
    command = getattr(args, "admin_command", None)
    if args.command != "admin" or command not in COMMANDS:
        return None
    if command == "report":
        from archbuilder.billing.business_metrics import business_metrics, write_business_report

        write_business_report(
            business_metrics(runtime().store, period=args.period), sys.stdout, as_json=args.json
        )
        return 0
    from archbuilder.services import operators

    if command == "create-operator-key":
        name = args.name.strip()
        if not name or len(name) > 100:
            sys.stderr.write("error: --name must be 1 to 100 characters\n")
            return 2
        if args.expires_in_days is not None and not 1 <= args.expires_in_days <= 3650:
            sys.stderr.write("error: --expires-in-days must be 1 to 3650\n")
            return 2
        created = operators.create_operator_key(
            runtime().store, name=name, expires_in_days=args.expires_in_days
        )
        if args.json:
            sys.stdout.write(json.dumps({"key_id": created.key.key_id, "api_key": created.api_key}) + "\n")
        else:
            sys.stdout.write(
                f"Operator key {created.key.key_id} ({name})\n"
                f"Key: {created.api_key}\n"
                "Keep this key now: it is shown only once. Send it as X-API-Key to /v1/admin/metrics,\n"
                "or sign in with it at /admin.\n"
            )
        return 0
    from archbuilder.platform.errors import NotFound

    try:
        revoked = operators.revoke_operator_key(runtime().store, args.key_id)
    except NotFound:
        sys.stderr.write(f"error: no operator key {args.key_id}\n")
        return 1
    sys.stdout.write(f"Revoked operator key {revoked.key_id} ({revoked.name})\n")
    return 0
