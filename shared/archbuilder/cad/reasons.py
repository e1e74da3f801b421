"""The one-line reason a CAD file was refused, as callers may see it."""

from __future__ import annotations

from pathlib import Path

REASON_CHARS = 200


def refusal_reason(exc: BaseException, path: str, *, with_type: bool = False) -> str:
    """The first line of ``exc`` with the server's folders taken out (only the file name stays);
    ``with_type`` puts the exception's class in front (a foreign parser's own failure)."""
    lines = str(exc).replace(path, Path(path).name).strip().splitlines()
    first = lines[0] if lines else ""
    if with_type or not first:
        first = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return first[:REASON_CHARS]
