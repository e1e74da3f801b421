"""``archbuilder admin regulations …``: the global regulation library the operator curates.

archbuilder admin regulations add FILE --region TR --language tr --title TITLE
    [--short PAİY] [--edition E] [--json]
archbuilder admin regulations list [--json]
archbuilder admin regulations remove DOCUMENT_ID
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archbuilder.domain.common import REGION_PATTERN, Language

if TYPE_CHECKING:
    from archbuilder.runtime import Runtime


def add_commands(admin_commands: Any) -> None:
    """Add ``regulations`` to ``archbuilder admin``'s subparsers."""
    regulations = admin_commands.add_parser("regulations", help="the global regulation library")
    commands = regulations.add_subparsers(dest="regulations_command", required=True)
    add = commands.add_parser("add", help="read a document (txt, html, docx, pdf) into the global library")
    add.add_argument("file", type=Path)
    add.add_argument("--region", required=True, type=_region, help="TR, DE, DE-BY, FR, ES-CT, US …")
    add.add_argument("--language", required=True, choices=[lang.value for lang in Language])
    add.add_argument("--title", required=True)
    add.add_argument("--short", help='what the rules cite it as ("PAİY", "MBO"): links findings to it')
    add.add_argument("--edition")
    add.add_argument("--json", action="store_true")
    listing = commands.add_parser("list", help="the documents of the global library")
    listing.add_argument("--json", action="store_true")
    remove = commands.add_parser("remove", help="remove a document from the global library")
    remove.add_argument("document_id")


def _region(value: str) -> str:
    if not re.match(REGION_PATTERN, value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a region such as TR, DE, DE-BY, ES-CT or US")
    return value


def run(args: argparse.Namespace, runtime: Callable[[], Runtime]) -> int | None:
    """Run the command if it is one of these; None when it is not."""
    if args.command != "admin" or getattr(args, "admin_command", None) != "regulations":
        return None
    from archbuilder.platform.errors import ArchBuilderError
    from archbuilder.platform.i18n import translate
    from archbuilder.regulations.library import library_for
    from archbuilder.regulations.model import GLOBAL
    from archbuilder.services import regulations

    try:
        library = library_for(runtime())
        if args.regulations_command == "add":
            document = regulations.add_document(
                library,
                GLOBAL,
                filename=args.file.name,
                data=args.file.read_bytes(),
                region=args.region,
                language=args.language,
                title=args.title.strip(),
                short=args.short,
                edition=args.edition,
            )
            if args.json:
                sys.stdout.write(document.model_dump_json() + "\n")
            else:
                sys.stdout.write(
                    f"Added {document.id}: {document.title} ({document.region}, {document.language}), "
                    f"{document.pages} page(s), {document.passages} passage(s)\n"
                )
            return 0
        if args.regulations_command == "list":
            documents = library.documents(GLOBAL)
            if args.json:
                sys.stdout.write(json.dumps([d.model_dump(mode="json") for d in documents]) + "\n")
            for d in [] if args.json else documents:
                sys.stdout.write(f"{d.id}\t{d.region}\t{d.language}\t{d.passages}\t{d.title}\n")
            return 0
        if library.remove(GLOBAL, args.document_id):
            sys.stdout.write(f"Removed {args.document_id}\n")
            return 0
        sys.stderr.write(f"error: no document {args.document_id} in the global library\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"error: {exc.strerror or exc}: {args.file}\n")
        return 1
    except ArchBuilderError as exc:
        sys.stderr.write(f"error: {exc.code}: {translate(exc.code, 'en', exc.params, exc.status)}\n")
        return 1
