"""Parse a CAD file in a child process with a wall-time and a memory limit.

A hostile or broken file may loop, exhaust memory or crash a C++ parser. The child is
forked from a ``forkserver`` (no threads or locks inherited from the caller; the parser
libraries already loaded there, so a child starts in milliseconds), caps its own address
space with ``RLIMIT_AS`` before it parses, and sends the building model back as JSON bytes
(never a pickle: the parent must not run anything a subverted parser sends).
The caller only ever sees a ``BuildingModel`` or an error with a stable code; a library's own
exception text goes to the logs, never into the error (``reasons``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from pydantic import ValidationError

from archbuilder.cad.reasons import REASON_CHARS, failure_code, log_detail
from archbuilder.domain.building import BuildingModel
from archbuilder.platform.errors import ArchBuilderError, BadRequest, Unprocessable
from archbuilder.platform.logging import get_logger, log_fields

FORMATS = ("dxf", "dwg", "ifc", "ifczip")
_log = get_logger("archbuilder.cad.sandbox")
_HEADROOM = 64 * 1024 * 1024  # below this much room above the bare interpreter, give up at once


# The readers' libraries, loaded once in the fork server so that each child starts in
# milliseconds instead of re-importing them (about 0.7 s a file with ``spawn``). Everything a
# reader imports lazily belongs here too: a module first imported in a child is imported again
# in every child (the EXPRESS rule modules alone cost ~25 ms on the first IFC4 attribute read).
_PRELOAD = [
    "archbuilder.cad.sandbox",
    "archbuilder.cad.dxf_reader",
    "archbuilder.cad.dwg_reader",
    "archbuilder.cad.ifc_reader",
    "archbuilder.cad.ifc_geometry",
    "archbuilder.analysis.ifc_facts",
    "archbuilder.cad.ifc_export",
    "archbuilder.cad.ifc_export_child",
    "ezdxf",
    "ezdxf.recover",
    "ezdwg",
    "numpy",
    "shapely",
    "shapely.ops",
    "shapely.prepared",
    "ifcopenshell",
    "ifcopenshell.geom",
    "ifcopenshell.util.element",
    "ifcopenshell.util.placement",
    "ifcopenshell.util.unit",
    "ifcopenshell.express.rules.IFC2X3",
    "ifcopenshell.express.rules.IFC4",
    "ifcopenshell.express.rules.IFC4X3",
    "ifcopenshell.api.aggregate",  # what the IFC export imports as it builds a file
    "ifcopenshell.api.context",
    "ifcopenshell.api.feature",
    "ifcopenshell.api.geometry",
    "ifcopenshell.api.project",
    "ifcopenshell.api.pset",
    "ifcopenshell.api.root",
    "ifcopenshell.api.spatial",
    "ifcopenshell.api.unit",
    "archbuilder.cad.fork_server",  # last: freezes all of the above out of the garbage collector
]


@functools.cache
def fork_context() -> multiprocessing.context.ForkServerContext:
    """A ``forkserver`` context: like ``spawn`` the children inherit no threads or locks of the
    caller (the fork server is a clean single-threaded process), but they fork from a server
    that has the parser libraries loaded already."""
    context = multiprocessing.get_context("forkserver")
    assert isinstance(context, multiprocessing.context.ForkServerContext)
    context.set_forkserver_preload(_PRELOAD)
    return context


def start_child(
    target: Callable[..., None], args: tuple[Any, ...], *, name: str
) -> tuple[multiprocessing.process.BaseProcess, Connection]:
    """Fork ``target(sender, *args)`` from the fork server; the child and the receiving end of
    its one-way pipe (EOF there once the child is gone). The caller ends with ``stop_child``."""
    context = fork_context()
    # The fork server starts (imports, warm-up: about a second) before ``__main__`` is hidden,
    # so the window in which other threads see a blank ``__main__`` stays a few milliseconds.
    multiprocessing.forkserver.ensure_running()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(sender, *args), name=name, daemon=True)
    with main_module_hidden():
        child.start()
    sender.close()  # so that a dead child shows as EOF on our end
    return child, receiver


def parse_in_sandbox(
    path: str, fmt: str, *, timeout_s: float, memory_mb: int, stats: dict[str, int] | None = None
) -> BuildingModel:
    """The model read from ``path`` (format from ``sniff``), or PARSE_TIMEOUT, PARSE_MEMORY_EXCEEDED,
    CAD_PARSE_FAILED or the reader's own coded error.

    ``timeout_s`` is wall time including the child's start (tens of ms once the fork server runs);
    ``memory_mb`` caps the child's whole address space, interpreter and parser libraries included
    (see docs/cad.md).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    child, receiver = start_child(_child, (path, fmt, memory_mb, timeout_s), name=f"cad-parse-{fmt}")
    deadline = time.monotonic() + timeout_s
    try:
        answered = receiver.poll(timeout_s)
        message = _receive(receiver, deadline, memory_mb) if answered else None
    finally:
        receiver.close()
        stop_child(child)
    label = _label(fmt)
    if not answered or child.exitcode == -signal.SIGXCPU or message == _LATE:
        raise Unprocessable(code="PARSE_TIMEOUT", limit_s=timeout_s)
    if message is None:
        raise _refused("CAD_PARSE_FAILED", label, f"the reader stopped unexpectedly ({exit_reason(child)})")
    header, payload = message
    kind = header.get("kind")
    detail = str(header.get("detail") or "")[:REASON_CHARS]
    if kind == "ok" and payload is not None:
        if stats is not None:
            stats["peak_rss_bytes"] = int(header.get("peak_rss_bytes", 0))
        try:
            return BuildingModel.model_validate_json(payload)
        except ValidationError as exc:
            # The file's fault, not a passing one (retrying reads it the same way): the child's
            # JSON writes a number that is not finite as null, which no coordinate accepts.
            raise _refused("INVALID_GEOMETRY", label, log_detail(exc, path)) from exc
    if kind == "memory":
        raise Unprocessable(code="PARSE_MEMORY_EXCEEDED", limit_mb=memory_mb)
    if kind == "coded" and isinstance(header.get("code"), str) and isinstance(header.get("params"), dict):
        # The same class as in the child, so that callers can catch BadRequest or Unprocessable.
        error_class = BadRequest if header.get("status") == 400 else Unprocessable
        params = {k: v for k, v in header["params"].items() if k not in ("code", "status")}
        error = error_class(code=header["code"][:64], **params)
        if detail:
            _log_refusal(error.code, label, detail)
        raise error
    code = header.get("code") if kind == "failed" else None
    if code not in ("CAD_PARSE_FAILED", "INVALID_GEOMETRY"):
        code, detail = "CAD_PARSE_FAILED", detail or "unreadable answer"
    raise _refused(str(code), label, detail)


def _refused(code: str, label: str, detail: str) -> Unprocessable:
    """A refusal with our own code; what the library said goes to the log only."""
    _log_refusal(code, label, detail)
    return Unprocessable(code=code, format=label)


def _log_refusal(code: str, label: str, detail: str) -> None:
    _log.warning("CAD file refused", extra=log_fields(code=code, format=label, detail=detail))


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def main_module_hidden() -> Iterator[None]:
    """Start children without re-running the caller's ``__main__`` in each of them.

    multiprocessing makes a child import the parent's main module (the functions-framework
    launcher, the dev server, a test runner) so that objects defined there unpickle; our child
    runs ``_child`` from this module and needs none of it, and re-importing a server costs
    ~0.1–0.3 s a file. While a child starts, ``__main__`` is a blank module: nothing to re-run."""
    with _MAIN_LOCK:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


_LATE = ({"kind": "late"}, None)
_HEADER_BYTES = 64 * 1024


def _receive(
    receiver: Connection, deadline: float, memory_mb: int
) -> tuple[dict[str, Any], bytes | None] | None:
    """The child's answer: a JSON header, and for "ok" the model's JSON bytes sent after it.

    Only bytes cross the pipe, never pickles: a parser subverted by a crafted file cannot make
    the parent run anything. ``None`` when the child died before answering in full."""
    try:
        header = json.loads(receiver.recv_bytes(_HEADER_BYTES))
        if not isinstance(header, dict):
            return None
        payload = None
        if header.get("kind") == "ok":
            if not receiver.poll(max(0.0, deadline - time.monotonic())):
                return _LATE
            payload = receiver.recv_bytes(memory_mb * 1024 * 1024)
    except (EOFError, OSError, ValueError):  # OSError also for an answer over the size cap
        return None
    return header, payload


def stop_child(child: multiprocessing.process.BaseProcess) -> None:
    child.join(0.5)
    if child.is_alive():
        child.kill()
        child.join(5)


def exit_reason(child: multiprocessing.process.BaseProcess) -> str:
    code = child.exitcode
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _label(fmt: str) -> str:
    return "IFC" if fmt == "ifczip" else fmt.upper()


def _child(sender: Connection, path: str, fmt: str, memory_mb: int, timeout_s: float) -> None:
    """Runs in the child: limit itself, read, send one message, exit."""
    import resource

    # One thread per native library: thread pools reserve address space the limit would refuse.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
        os.environ[name] = "1"
    limit = memory_mb * 1024 * 1024
    # Prepared now: after a MemoryError there may be no memory left to encode a reply.
    out_of_memory = json.dumps({"kind": "memory"}).encode()
    if limit < _mapped_bytes() + _HEADROOM:
        # The interpreter alone already needs about this much: no parse could succeed.
        sender.send_bytes(out_of_memory)
        sender.close()
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # CPU time as a backstop should the parent die before it can kill us.
    cpu = int(timeout_s) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    reply: dict[str, Any] | None = None
    payload = b""
    try:
        model = _read(path, fmt)
        # JSON bytes straight from pydantic's serializer, sent as they are: no str, no copy.
        payload = model.__pydantic_serializer__.to_json(model)
        del model
        # The child's own peak RSS: with a fork server it is not the caller's child, so the
        # caller's RUSAGE_CHILDREN cannot see it.
        reply = {"kind": "ok", "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    except MemoryError:
        reply = None
    except ArchBuilderError as exc:
        # A reader's refusal caused by a library's exception: that text is for the parent's log.
        cause = log_detail(exc.__cause__, path) if exc.__cause__ is not None else None
        reply = {
            "kind": "coded",
            "code": exc.code,
            "status": exc.status,
            "params": _plain(exc.params),
            "detail": cause,
        }
    except Exception as exc:  # noqa: BLE001 - every failure of a foreign parser becomes a coded error
        text = str(exc)
        is_memory = "bad_alloc" in text or "Cannot allocate memory" in text
        failed = {"kind": "failed", "code": failure_code(exc), "detail": log_detail(exc, path)}
        reply = None if is_memory else failed
    try:
        if reply is None:
            # The parse's garbage is gone with its frames; lift the soft limit to be able to reply.
            resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
            sender.send_bytes(out_of_memory)
        else:
            sender.send_bytes(json.dumps(reply).encode())
            if reply["kind"] == "ok":
                sender.send_bytes(payload)
    finally:
        sender.close()


def _mapped_bytes() -> int:
    """The address space this process already has mapped (VmSize), 0 where unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _read(path: str, fmt: str) -> BuildingModel:
    if fmt == "dxf":
        from archbuilder.cad.dxf_reader import read_dxf

        return read_dxf(path)
    if fmt == "dwg":
        from archbuilder.cad.dwg_reader import read_dwg

        return read_dwg(path)
    if fmt in ("ifc", "ifczip"):
        from archbuilder.cad.ifc_reader import read_ifc

        return read_ifc(path)
    raise ValueError(f"unknown format {fmt!r}")


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    # Only plain JSON values cross the pipe: an exception's params could hold anything.
    return {
        k: v if isinstance(v, str | int | float | bool | type(None)) else str(v) for k, v in params.items()
    }
