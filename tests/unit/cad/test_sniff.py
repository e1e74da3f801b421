"""Format sniffing: real files, wrong extensions, truncated files, hostile archives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from ezdxf.filemanagement import new as new_drawing

from archbuilder.cad.sniff import ArchiveLimits, sniff
from archbuilder.platform.errors import ArchBuilderError
from archbuilder.platform.i18n import translate
from tests.unit.cad.conftest import DWG, DXF, IFC


@pytest.mark.parametrize(
    ("folder", "name", "fmt", "version"),
    [
        (DWG, "ewp_floor_plan_R2018.dwg", "dwg", "AC1032"),
        (DWG, "acadsharp_sample_AC1015_R2000.dwg", "dwg", "AC1015"),
        (DXF, "barcelona_plan_R2013.dxf", "dxf", "AC1027"),
        (DXF, "barcelona_pabellon_R2000.dxf", "dxf", "AC1015"),
        (DXF, "barcelona_plan_exported_R12.dxf", "dxf", "AC1009"),
        (IFC, "duplex_apartment_IFC2X3.ifc", "ifc", "IFC2X3"),
        (IFC, "AC20-FZK-Haus_IFC4.ifc", "ifc", "IFC4"),
        (IFC, "IfcOpenHouse_IFC4.ifc", "ifc", "IFC4"),
    ],
)
def test_real_files(folder: Path, name: str, fmt: str, version: str) -> None:
    result = sniff((folder / name).read_bytes(), name)
    assert (result.format, result.version) == (fmt, version)


def code_of(data: bytes, name: str, limits: ArchiveLimits | None = None) -> str:
    with pytest.raises(ArchBuilderError) as caught:
        sniff(data, name, limits=limits)
    return caught.value.code


def test_content_must_match_the_extension() -> None:
    dxf = (DXF / "barcelona_plan_R2013.dxf").read_bytes()
    assert code_of(dxf, "plan.ifc") == "EXTENSION_MISMATCH"
    assert code_of((IFC / "IfcOpenHouse_IFC4.ifc").read_bytes(), "house.dwg") == "EXTENSION_MISMATCH"
    assert code_of(dxf, "plan.pdf") == "UNSUPPORTED_FILE_TYPE"
    assert sniff(dxf, "C:\\Users\\a\\PLAN.DXF").format == "dxf"


def test_unknown_empty_and_revit_files() -> None:
    assert code_of(b"%PDF-1.7\n...", "plan.dxf") == "UNSUPPORTED_FILE_TYPE"
    assert code_of(b"   \n", "plan.dxf") == "UNSUPPORTED_FILE_TYPE"
    assert code_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "house.rvt") == "RVT_NOT_SUPPORTED"


def test_truncated_files() -> None:
    ifc = (IFC / "IfcOpenHouse_IFC4.ifc").read_bytes()
    assert code_of(ifc[: len(ifc) // 2], "house.ifc") == "FILE_TRUNCATED"
    dxf = (DXF / "barcelona_plan_R2013.dxf").read_bytes()
    assert code_of(dxf[: len(dxf) // 2], "plan.dxf") == "FILE_TRUNCATED"


@pytest.mark.parametrize(
    "trailer",
    [b"\nEND-ISO-10303-21;\n", b"\nENDSEC;\nEND-ISO-10303-21;\n", b";\r\nENDSEC;\r\nEND-ISO-10303-21;\r\n"],
)
def test_a_cut_off_ifc_given_its_trailer_back_is_still_truncated(trailer: bytes) -> None:
    """Issue 16: the trailer alone passed; the DATA section must close (ENDSEC) after a whole
    last entity, right before it."""
    ifc = (IFC / "IfcOpenHouse_IFC4.ifc").read_bytes()
    cut = ifc[: len(ifc) // 2]
    assert not cut.rstrip().endswith(b";")  # cut inside an entity
    assert code_of(cut + trailer, "house.ifc") == "FILE_TRUNCATED"
    # Comments and blank space around the end are still a complete file.
    whole = (
        ifc.rstrip().removesuffix(b"END-ISO-10303-21;") + b"/* signed */\n\nEND-ISO-10303-21;\n/* end */\n"
    )
    assert sniff(whole, "house.ifc").format == "ifc"


def test_unsupported_ifc_schema() -> None:
    data = (
        (IFC / "IfcOpenHouse_IFC4.ifc")
        .read_bytes()
        .replace(b"FILE_SCHEMA(('IFC4'))", b"FILE_SCHEMA(('IFC2X2'))")
    )
    assert b"IFC2X2" in data
    assert code_of(data, "old.ifc") == "IFC_SCHEMA_UNSUPPORTED"


def test_binary_dxf(tmp_path: Path) -> None:
    doc = new_drawing("R2010")
    doc.modelspace().add_line((0, 0), (1000, 0), dxfattribs={"layer": "A-WALL"})
    path = tmp_path / "plan.dxf"
    doc.saveas(path, fmt="bin")
    result = sniff(path.read_bytes(), "plan.dxf")
    assert (result.format, result.binary, result.version) == ("dxf", True, "AC1024")


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_ifc_zip() -> None:
    ifc = (IFC / "IfcOpenHouse_IFC4.ifc").read_bytes()
    result = sniff(zipped({"house/IfcOpenHouse.ifc": ifc, "readme.txt": b"hello"}), "house.ifczip")
    assert (result.format, result.version, result.member) == ("ifczip", "IFC4", "house/IfcOpenHouse.ifc")
    assert result.uncompressed_bytes == len(ifc)
    assert sniff(zipped({"a.ifc": ifc}), "house.zip").format == "ifczip"


def test_zip_bomb_by_ratio() -> None:
    bomb = zipped({"bomb.ifc": b"ISO-10303-21;\nHEADER;\n" + b"\0" * 50_000_000})
    assert len(bomb) < 100_000
    assert code_of(bomb, "bomb.ifczip") == "ARCHIVE_REJECTED"


def test_zip_bomb_by_size_and_members() -> None:
    ifc = (IFC / "IfcOpenHouse_IFC4.ifc").read_bytes()
    assert (
        code_of(zipped({"a.ifc": ifc}), "a.ifczip", ArchiveLimits(max_total_bytes=len(ifc) - 1))
        == "ARCHIVE_REJECTED"
    )
    many = zipped({f"f{i}.txt": b"x" for i in range(20)} | {"a.ifc": ifc})
    assert code_of(many, "a.ifczip") == "ARCHIVE_REJECTED"
    assert code_of(zipped({"a.ifc": ifc, "b.ifc": ifc}), "a.ifczip") == "ARCHIVE_REJECTED"
    assert code_of(zipped({"a.ifc": b"not step"}), "a.ifczip") == "ARCHIVE_REJECTED"
    assert code_of(b"PK\x03\x04" + b"garbage" * 10, "a.ifczip") == "ARCHIVE_REJECTED"


def test_a_rejected_archive_says_why_in_the_readers_language() -> None:
    ifc = (IFC / "IfcOpenHouse_IFC4.ifc").read_bytes()
    with pytest.raises(ArchBuilderError) as caught:
        sniff(zipped({"a.ifc": ifc, "b.ifc": ifc}), "a.ifczip")
    error = caught.value
    assert (error.params["reason_code"], error.params["reason_params"]) == ("archive_ifc_count", {"count": 2})
    assert translate(error.code, "de", error.params) == (
        "Das Archiv a.ifczip wurde abgelehnt (2 .ifc-Dateien darin, genau eine erwartet); "
        "laden Sie die .ifc-Datei selbst hoch."
    )
    assert "exactly one" not in translate(error.code, "tr", error.params)
