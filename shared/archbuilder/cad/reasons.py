"""Why a CAD file was refused: a stable code for the client, the library's own words for the logs.

A reader's refusal reaches the client as an error code with a message in its language
(``platform/messages/errors.yaml``), never as a parser library's exception text ("ValueError:
cannot convert float NaN to integer" says nothing to an architect and tells an attacker which
parser and version runs here). The text is kept for the logs (``log_detail``).

The codes of a file the readers could not read:

- ``CAD_PARSE_FAILED`` (``format``): the library could not read the file's structure, or the
  reader failed on its content; damaged, or not really that format.
- ``INVALID_GEOMETRY`` (``format``): coordinates or sizes that are not finite numbers or lie
  further than ``MAX_COORDINATE`` from the origin (a stray or corrupted object).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from archbuilder.platform.errors import Unprocessable

CAD_PARSE_FAILED = "CAD_PARSE_FAILED"
INVALID_GEOMETRY = "INVALID_GEOMETRY"
REASON_CHARS = 200
# Larger than any real drawing's coordinates in any unit (the earth's circumference is 4e10 mm;
# georeferenced plans place their origin at most some 1e10 mm away), small enough that scaling
# to mm and every area computed from it stay finite.
MAX_COORDINATE = 1e12


class OutOfRange(Exception):  # noqa: N818 - reads as what it is: a number out of range
    """A coordinate or size that is not finite or beyond ``MAX_COORDINATE``. Not a ``ValueError``,
    so that a reader's skip-one-broken-entity handling does not swallow it."""


def checked(value: float) -> float:
    """``value`` as a float, or ``OutOfRange`` (NaN fails the comparison too)."""
    number = float(value)
    if not abs(number) <= MAX_COORDINATE:
        raise OutOfRange
    return number


def invalid_geometry(fmt: str) -> Unprocessable:
    return Unprocessable(code="INVALID_GEOMETRY", format=fmt)


def check_numbers(model: BaseModel, fmt: str) -> None:
    """``INVALID_GEOMETRY`` when any number of a finished model (in mm and m²) is not finite or
    beyond ``MAX_COORDINATE``: such a model cannot be stored as JSON or checked."""
    pending: list[object] = [model]
    # Every field, so that a number field added later is checked too. 30,000 rooms and 120,000
    # walls (a 20 MB DXF that takes ~40 s to read) take ~0.7 s.
    while pending:
        value = pending.pop()
        if isinstance(value, float):
            if not abs(value) <= MAX_COORDINATE:  # NaN fails the comparison too
                raise invalid_geometry(fmt)
        elif isinstance(value, BaseModel):
            pending.extend(value.__dict__.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())


def failure_code(exc: BaseException) -> str:
    """The code of a foreign library's failure while reading a file: numbers out of a float's
    range are the file's geometry, anything else is a file the reader cannot read."""
    return INVALID_GEOMETRY if isinstance(exc, OutOfRange | OverflowError) else CAD_PARSE_FAILED


def log_detail(exc: BaseException, path: str) -> str:
    """The library's exception as one line for the logs: its class and the first line of its
    text, with the server's folders taken out (only the file name stays)."""
    lines = str(exc).replace(path, Path(path).name).strip().splitlines()
    first = lines[0] if lines else ""
    return (f"{type(exc).__name__}: {first}" if first else type(exc).__name__)[:REASON_CHARS]
