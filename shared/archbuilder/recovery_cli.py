"""The operators' recovery commands: backups, restores and a job's debug bundle.

archbuilder admin backup --to DEST [--json]
archbuilder admin restore --from SRC [--database DB] [--json]
archbuilder admin debug-bundle --tenant T --job J [--out FILE] [--logs FILE ...]

DEST and SRC are folders on the embedded default and on the Firestore emulator,
``gs://bucket/prefix`` on Google Cloud (``services/backups.py``). ``cli.py`` registers them
(``add_commands``) and hands them the runtime the other admin commands use (``run``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archbuilder.runtime import Runtime

COMMANDS = ("backup", "restore", "debug-bundle")
EXIT_NOT_RESTORED = 1


def add_commands(admin_commands: Any) -> None:
    """Add the commands to ``archbuilder admin``'s subparsers."""
    backup = admin_commands.add_parser(
        "backup", help="a consistent copy of every document and object (folder, or gs:// on Google Cloud)"
    )
    backup.add_argument("--to", required=True, dest="destination", help="a new folder, or gs://bucket/prefix")
    backup.add_argument("--json", action="store_true", help="print the backup's manifest as JSON")
    restore = admin_commands.add_parser(
        "restore", help="bring a backup back (objects, then documents) and check it against its inventory"
    )
    restore.add_argument("--from", required=True, dest="source", help="the backup's folder or gs:// prefix")
    restore.add_argument(
        "--database", help="Google Cloud: import into this database instead (a scratch one to inspect first)"
    )
    restore.add_argument("--json", action="store_true")
    bundle = admin_commands.add_parser(
        "debug-bundle",
        help="a job's documents, events, log lines and versions in one scrubbed zip, for support",
    )
    bundle.add_argument("--tenant", required=True)
    bundle.add_argument("--job", required=True)
    bundle.add_argument("--out", type=Path, help="the zip to write (default: debug-<job>.zip here)")
    bundle.add_argument(
        "--logs",
        type=Path,
        action="append",
        help="a log file: our JSON lines, or `gcloud logging read … --format=json` output (repeatable; "
        "default: the dev server's <data folder>/logs/archbuilder.jsonl)",
    )


def run(args: argparse.Namespace, runtime: Callable[[], Runtime]) -> int | None:
    """Run the command if it is one of these; None when it is not."""
    command = getattr(args, "admin_command", None)
    if args.command != "admin" or command not in COMMANDS:
        return None
    if command == "debug-bundle":
        return _debug_bundle(args, runtime())
    from archbuilder.services import backups

    try:
        if command == "backup":
            made = backups.backup(runtime(), args.destination)
            _print_backup(made, as_json=args.json)
            return 0
        restored = backups.restore(runtime(), args.source, database=args.database)
    except backups.BackupError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    _print_restore(restored, as_json=args.json)
    return 0 if restored.documents.restored and restored.objects.restored else EXIT_NOT_RESTORED


def _print_backup(made: Any, *, as_json: bool) -> None:
    manifest = made.manifest
    if as_json:
        sys.stdout.write(json.dumps({"location": made.location, **manifest}) + "\n")
        return
    groups = ", ".join(f"{k} {v}" for k, v in manifest["documents"]["by_collection"].items())
    sys.stdout.write(
        f"Backup in {made.location} ({manifest['kind']}, {manifest['created_at']}, "
        f"{manifest['duration_s']} s)\n"
        f"Documents: {manifest['documents']['count']} ({groups})\n"
        f"Objects:   {manifest['objects']['artifacts']} artifacts, {manifest['objects']['uploads']} uploads\n"
        f"Restore:   archbuilder admin restore --from {made.location}\n"
    )


def _print_restore(restored: Any, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(
            json.dumps(
                {
                    "location": restored.location,
                    "backup_created_at": restored.manifest["created_at"],
                    "documents": restored.documents.summary(),
                    "objects": restored.objects.summary(),
                    "objects_written": restored.objects_written,
                    "documents_restored": restored.documents.restored,
                    "objects_restored": restored.objects.restored,
                    "duration_s": restored.duration_s,
                }
            )
            + "\n"
        )
        return
    sys.stdout.write(
        f"Restored {restored.location} (backup of {restored.manifest['created_at']}) "
        f"in {restored.duration_s} s\n"
        f"Documents: {restored.documents.summary()}\n"
        f"Objects:   {restored.objects.summary()} ({restored.objects_written} written)\n"
    )


def _debug_bundle(args: argparse.Namespace, runtime: Runtime) -> int:
    from archbuilder.platform.errors import ArchBuilderError
    from archbuilder.services.debug_bundle import default_log_files, gather, write_bundle

    logs = args.logs or default_log_files(runtime)
    try:
        bundle = gather(runtime, args.tenant, args.job, logs)
    except ArchBuilderError as exc:
        sys.stderr.write(f"error: no job {args.job} of tenant {args.tenant} ({exc.code})\n")
        return 1
    target = write_bundle(bundle, args.out or Path(f"debug-{args.job}.zip"))
    sys.stdout.write(
        f"{target}: {len(bundle.documents)} documents, {len(bundle.events)} events, "
        f"{len(bundle.log_lines)} log lines, versions {bundle.versions or 'none'}\n"
    )
    return 0
