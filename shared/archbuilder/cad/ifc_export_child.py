"""Build an IFC export in a child process that exits afterwards.

ifcopenshell 0.9 does not give back the native memory of the entities of a file it built once
the file is gone: about 0.4 KB an entity, some 220 KB for the IFC of a 3+1 (measured with
``VmRSS`` over 500 exports; Python's own heap stays flat, ``malloc_trim`` returns nothing).
A long-lived instance that serves exports would grow by that much with every IFC it renders.
The file is therefore built in a child forked from the CAD sandbox's fork server (ifcopenshell
and this module already loaded there, so a child starts in milliseconds); the child sends the
IFC text back as bytes and exits, and its memory goes with it.
"""

from __future__ import annotations

import traceback
from multiprocessing.connection import Connection
from typing import Any

from archbuilder.cad.sandbox import exit_reason, start_child, stop_child
from archbuilder.domain.layout import LayoutPayload
from archbuilder.platform.logging import get_logger, log_fields

TIMEOUT_S = 120.0  # a 3+1 takes about 0.1 s; the largest payloads the planner makes, a few seconds
_OK, _FAILED = b"\x00", b"\x01"
_log = get_logger("archbuilder.cad.ifc_export_child")


class IfcExportFailed(RuntimeError):
    """The child did not answer with the file: a fault of ours (500), logged with its cause."""


def layout_to_ifc_in_child(payload: LayoutPayload, **options: Any) -> bytes:
    """``ifc_export.layout_to_ifc(payload, **options)``, built in a child process."""
    child, receiver = start_child(_child, (payload.model_dump_json(), options), name="ifc-export")
    try:
        answer = receiver.recv_bytes() if receiver.poll(TIMEOUT_S) else None
    except (EOFError, OSError):
        answer = None
    finally:
        receiver.close()
        stop_child(child)
    if answer is None:
        reason = exit_reason(child) if child.exitcode is not None else f"no answer in {TIMEOUT_S:.0f} s"
        _log.error("IFC export failed", extra=log_fields(reason=reason))
        raise IfcExportFailed(f"the IFC export's child stopped without the file ({reason})")
    if answer[:1] != _OK:
        detail = answer[1:].decode("utf-8", "replace")
        _log.error("IFC export failed", extra=log_fields(reason="exception", detail=detail))
        raise IfcExportFailed(f"the IFC export failed in its child:\n{detail}")
    return answer[1:]


def _child(sender: Connection, payload_json: str, options: dict[str, Any]) -> None:
    """Runs in the child: build the file, send it (or the traceback), exit."""
    from archbuilder.cad.ifc_export import layout_to_ifc

    try:
        data = layout_to_ifc(LayoutPayload.model_validate_json(payload_json), **options)
        answer = _OK + data
    except Exception:  # noqa: BLE001 - our own code failed: the parent logs it and answers 500
        answer = _FAILED + traceback.format_exc().encode("utf-8", "replace")
    try:
        sender.send_bytes(answer)
    finally:
        sender.close()
