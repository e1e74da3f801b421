"""What a CAD upload really is, judged by its content and checked against its file name.

Runs before any parser sees the file: a DWG version header, DXF sections (ASCII or binary),
an IFC STEP header with its FILE_SCHEMA, or an IFC-ZIP (a zip holding one ``.ifc``) whose
archive is checked for bombs without extracting it. Everything else is refused with a
stable code.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from archbuilder.platform.errors import BadRequest, Reason, Unprocessable

CadFormat = Literal["dwg", "dxf", "ifc", "ifczip"]

# Which extensions may carry which content.
EXTENSIONS: dict[str, CadFormat] = {"dwg": "dwg", "dxf": "dxf", "ifc": "ifc", "ifczip": "ifczip"}
SUPPORTED_IFC_SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3")

HEAD_BYTES = 64 * 1024
_BINARY_DXF = b"AutoCAD Binary DXF\r\n\x1a\x00"
_DWG_VERSION = re.compile(rb"^AC(?:10\d\d|1\.[0-9]{1,2}|2\.[0-9]{1,2})")
_OLE_COMPOUND = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Revit .rvt, old Office files
_STEP_MAGIC = b"ISO-10303-21;"
# A complete STEP file ends with its last entity (``#12=IFCWALL(...);``), the ENDSEC that closes
# the DATA section and then the trailer; comments and blank space may come between and after.
# A file cut off and given the trailer back lacks the ENDSEC or ends in a torn entity (or, when
# the cut fell between two entities, the reader may find its last entity missing).
_STEP_COMMENT = rb"/\*(?:[^*]|\*(?!/))*\*/"  # one way only to match: no backtracking blow-up
_STEP_TAIL = re.compile(
    rb";(?:\s|" + _STEP_COMMENT + rb")*ENDSEC\s*;(?:\s|" + _STEP_COMMENT + rb")*"
    rb"END-ISO-10303-21\s*;(?:\s|\x00|\x1a|" + _STEP_COMMENT + rb")*\Z"
)
_STEP_ENTITY = re.compile(rb"#(\d+)\s*=")
_STEP_ENTITY_BODY = re.compile(rb"\s*(?:[A-Za-z][A-Za-z0-9_]*\s*)?\(.*\)\s*;\Z", re.DOTALL)
STEP_TAIL_BYTES = 4096
_FILE_SCHEMA = re.compile(rb"FILE_SCHEMA\s*\(\s*\(\s*'([A-Za-z0-9_]+)'", re.IGNORECASE)
_ACADVER = re.compile(r"\$ACADVER\s*\r?\n\s*1\s*\r?\n\s*(AC\d{4})")
_DXF_START = re.compile(r"^\s*(?:999\s*\r?\n[^\n]*\r?\n\s*)*0\s*\r?\n\s*SECTION\s*\r?\n", re.IGNORECASE)


@dataclass(frozen=True)
class ArchiveLimits:
    """What an IFC-ZIP may hold. Real IFC text compresses about 5–20 times."""

    max_members: int = 16
    max_total_bytes: int = 1024 * 1024 * 1024
    max_ratio: float = 200.0


@dataclass(frozen=True)
class SniffResult:
    format: CadFormat
    version: str | None  # AC1032 for DWG and DXF, IFC4 / IFC2X3 for IFC and IFC-ZIP
    binary: bool = False  # binary DXF
    member: str | None = None  # the .ifc inside an IFC-ZIP
    uncompressed_bytes: int | None = None  # of that member


def sniff(data: bytes, filename: str, *, limits: ArchiveLimits | None = None) -> SniffResult:
    """The format of a whole uploaded file, or ``BadRequest``/``Unprocessable`` with a stable code."""
    name = PurePosixPath(filename.replace("\\", "/")).name or "file"
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    if extension == "rvt" or data.startswith(_OLE_COMPOUND):
        raise BadRequest(code="RVT_NOT_SUPPORTED", filename=name)
    if not data.strip():
        raise BadRequest(code="UNSUPPORTED_FILE_TYPE", filename=name)
    result = _detect(data, name, limits or ArchiveLimits())
    expected = EXTENSIONS.get(extension)
    if expected is None and extension != "zip":
        raise BadRequest(code="UNSUPPORTED_FILE_TYPE", filename=name)
    # A plain .zip is accepted only when it is an IFC-ZIP.
    allowed = {"ifczip"} if extension == "zip" else {expected}
    if result.format not in allowed:
        raise BadRequest(
            code="EXTENSION_MISMATCH", filename=name, extension=extension, detected=result.format.upper()
        )
    return result


def _detect(data: bytes, name: str, limits: ArchiveLimits) -> SniffResult:
    head = data[:HEAD_BYTES]
    if _DWG_VERSION.match(head):
        return SniffResult("dwg", head[:6].decode("ascii"))
    if head.startswith(_BINARY_DXF):
        return SniffResult("dxf", _binary_dxf_version(head), binary=True)
    if head.startswith(b"PK\x03\x04"):
        return _ifc_zip(data, name, limits)
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text_head.startswith(_STEP_MAGIC):
        schema = _ifc_schema(text_head, name)
        if not step_complete(data[-STEP_TAIL_BYTES:]):
            raise Unprocessable(code="FILE_TRUNCATED", filename=name, format="IFC")
        return SniffResult("ifc", schema)
    decoded = head.decode("latin-1")
    if _DXF_START.match(decoded):
        if not re.search(rb"\n\s*EOF\s*$", data[-64:]):
            raise Unprocessable(code="FILE_TRUNCATED", filename=name, format="DXF")
        found = _ACADVER.search(decoded)
        return SniffResult("dxf", found.group(1) if found else None)
    raise BadRequest(code="UNSUPPORTED_FILE_TYPE", filename=name)


def _ifc_schema(head: bytes, name: str) -> str:
    found = _FILE_SCHEMA.search(head)
    if found is None:
        raise Unprocessable(code="CAD_PARSE_FAILED", format="IFC", reason="no FILE_SCHEMA in the header")
    schema = found.group(1).decode("ascii").upper()
    # IFC4X3_ADD2 and similar name a schema family plus an addendum.
    family = next(
        (s for s in sorted(SUPPORTED_IFC_SCHEMAS, key=len, reverse=True) if schema.startswith(s)), None
    )
    if family is None:
        raise Unprocessable(code="IFC_SCHEMA_UNSUPPORTED", schema=schema)
    return family


def step_complete(tail: bytes) -> bool:
    """Whether the last bytes of a STEP file end it the way a complete file ends: its last entity
    whole (checked when it starts within ``tail``), the DATA section closed, then the trailer."""
    data = _step_data(tail)
    if data is None:
        return False
    starts = [found.end() for found in _STEP_ENTITY.finditer(data)]
    return not starts or _STEP_ENTITY_BODY.match(data, starts[-1]) is not None


def last_step_id(tail: bytes) -> int | None:
    """The id of the last entity (``#123=``) of a complete STEP file's last bytes, None when no
    entity starts within them."""
    data = _step_data(tail) or b""
    ids = _STEP_ENTITY.findall(data)
    return int(ids[-1]) if ids else None


def _step_data(tail: bytes) -> bytes | None:
    """The text up to the ``;`` before the ENDSEC that closes the DATA section right before the
    trailer, or None when the file does not end that way."""
    found = _STEP_TAIL.search(tail)
    return None if found is None else tail[: found.start() + 1]


def _binary_dxf_version(head: bytes) -> str | None:
    # Binary DXF keeps "$ACADVER" followed by group code 1 and a zero-terminated string.
    at = head.find(b"$ACADVER\x00")
    if at < 0:
        return None
    found = re.match(rb"\x01\x00?(AC\d{4})", head[at + 9 : at + 20])
    return found.group(1).decode("ascii") if found else None


def _ifc_zip(data: bytes, name: str, limits: ArchiveLimits) -> SniffResult:
    def reject(code: str, text: str, **params: object) -> Unprocessable:
        return Unprocessable(code="ARCHIVE_REJECTED", filename=name, **Reason(code, text, params).as_params())

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise reject("archive_unreadable", "not a readable zip archive") from exc
    if len(members) > limits.max_members:
        raise reject(
            "archive_too_many_members",
            f"{len(members)} members, at most {limits.max_members} allowed",
            count=len(members),
            limit=limits.max_members,
        )
    total = sum(m.file_size for m in members)
    if total > limits.max_total_bytes:
        raise reject(
            "archive_too_large",
            f"{total} bytes uncompressed, at most {limits.max_total_bytes} allowed",
            size_mb=_mb(total),
            limit_mb=_mb(limits.max_total_bytes),
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_ratio:
            raise reject(
                "archive_ratio",
                f"compression ratio {ratio:.0f} of {member.filename}, at most {limits.max_ratio:.0f}",
                ratio=round(ratio),
                member=member.filename,
                limit=round(limits.max_ratio),
            )
        if member.flag_bits & 0x1:
            raise reject("archive_encrypted", "encrypted members")
    ifcs = [m for m in members if not m.is_dir() and m.filename.lower().endswith(".ifc")]
    if len(ifcs) != 1:
        raise reject(
            "archive_ifc_count", f"{len(ifcs)} .ifc files inside, exactly one expected", count=len(ifcs)
        )
    member = ifcs[0]
    try:
        with archive.open(member) as fh:
            head = fh.read(HEAD_BYTES)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise reject("archive_member_unreadable", "the .ifc member cannot be read") from exc
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(_STEP_MAGIC):
        raise reject("archive_member_not_ifc", "the .ifc member is not an IFC STEP file")
    schema = _ifc_schema(head, name)
    return SniffResult("ifczip", schema, member=member.filename, uncompressed_bytes=member.file_size)


def read_ifc_zip_member(path: str, *, max_bytes: int) -> bytes:
    """The single ``.ifc`` of an IFC-ZIP, read with a hard cap whatever the archive declares."""
    with zipfile.ZipFile(path) as archive:
        ifcs = [m for m in archive.infolist() if m.filename.lower().endswith(".ifc")]
        if len(ifcs) != 1:
            reason = Reason("archive_ifc_count", "exactly one .ifc expected", {"count": len(ifcs)})
            raise Unprocessable(
                code="ARCHIVE_REJECTED", filename=PurePosixPath(path).name, **reason.as_params()
            )
        with archive.open(ifcs[0]) as fh:
            data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        reason = Reason(
            "archive_ifc_too_large",
            f"the .ifc is larger than {max_bytes} bytes",
            {"limit_mb": _mb(max_bytes)},
        )
        raise Unprocessable(code="ARCHIVE_REJECTED", filename=PurePosixPath(path).name, **reason.as_params())
    return data


def _mb(size_bytes: int) -> float:
    """A size in MiB to one decimal, for a reader."""
    return round(size_bytes / (1024 * 1024), 1)
