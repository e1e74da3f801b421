"""Parsing in a child process: same model as in-process, and hostile files fail alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from archbuilder.cad.dxf_reader import read_dxf
from archbuilder.cad.sandbox import parse_in_sandbox
from archbuilder.platform.errors import ArchBuilderError, Unprocessable
from tests.unit.cad.conftest import DXF, IFC, big_dxf


def code_of(
    path: Path, fmt: str, *, timeout_s: float = 60, memory_mb: int = 1024
) -> tuple[str, dict[str, object]]:
    with pytest.raises(ArchBuilderError) as caught:
        parse_in_sandbox(str(path), fmt, timeout_s=timeout_s, memory_mb=memory_mb)
    return caught.value.code, caught.value.params


def test_same_model_as_in_process() -> None:
    path = DXF / "barcelona_plan_R2013.dxf"
    assert parse_in_sandbox(str(path), "dxf", timeout_s=60, memory_mb=1024) == read_dxf(path)


def test_ifc_in_the_sandbox() -> None:
    model = parse_in_sandbox(str(IFC / "IfcOpenHouse_IFC4.ifc"), "ifc", timeout_s=60, memory_mb=1024)
    assert len(model.walls) == 4 and len(model.windows) == 5


@pytest.fixture(scope="module")
def huge_dxf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "huge.dxf"
    path.write_text(big_dxf(100_000), encoding="ascii")
    return path


def test_time_limit(huge_dxf: Path) -> None:
    code, params = code_of(huge_dxf, "dxf", timeout_s=1.0)
    assert (code, params) == ("PARSE_TIMEOUT", {"limit_s": 1.0})


@pytest.mark.slow
def test_memory_limit(huge_dxf: Path) -> None:
    code, params = code_of(huge_dxf, "dxf", memory_mb=200)
    assert (code, params) == ("PARSE_MEMORY_EXCEEDED", {"limit_mb": 200})


def test_a_limit_below_the_bare_interpreter() -> None:
    assert code_of(DXF / "barcelona_plan_R2013.dxf", "dxf", memory_mb=50)[0] == "PARSE_MEMORY_EXCEEDED"


def test_broken_files_fail_with_a_reason(tmp_path: Path) -> None:
    ifc = tmp_path / "cut.ifc"
    ifc.write_bytes((IFC / "IfcOpenHouse_IFC4.ifc").read_bytes()[:3000])
    assert code_of(ifc, "ifc") == ("FILE_TRUNCATED", {"filename": "cut.ifc", "format": "IFC"})
    garbage = tmp_path / "garbage.ifc"
    garbage.write_bytes(b"ISO-10303-21;\nHEADER;\n#1=IFCWALL((());\nENDSEC;\nEND-ISO-10303-21;\n")
    assert code_of(garbage, "ifc") == ("CAD_PARSE_FAILED", {"format": "IFC"})
    dxf = tmp_path / "cut.dxf"
    dxf.write_bytes(b"0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n8\nA-WALL\n90\n99999999\n")
    model_or_error = None
    try:
        model_or_error = parse_in_sandbox(str(dxf), "dxf", timeout_s=60, memory_mb=1024)
    except ArchBuilderError as exc:
        model_or_error = exc.code
    assert model_or_error is not None  # the caller is still here, whatever the file


def test_coded_errors_cross_the_boundary(tmp_path: Path) -> None:
    old = tmp_path / "old.dwg"
    old.write_bytes(b"AC1009" + bytes(200))
    with pytest.raises(Unprocessable) as caught:
        parse_in_sandbox(str(old), "dwg", timeout_s=60, memory_mb=1024)
    assert (caught.value.code, caught.value.params) == ("DWG_VERSION_UNSUPPORTED", {"version": "AC1009"})


def test_unknown_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_in_sandbox("x", "pdf", timeout_s=1, memory_mb=512)


def test_importing_the_cad_modules_loads_no_parser() -> None:
    import subprocess
    import sys

    code = (
        "import sys, archbuilder.cad.sniff, archbuilder.cad.sandbox, archbuilder.cad.dxf_reader, "
        "archbuilder.cad.dwg_reader, archbuilder.cad.ifc_reader, archbuilder.cad.ifc_export; "
        "print(sorted(m for m in ('ifcopenshell', 'ezdwg', 'ezdxf', 'shapely', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def nested_blocks(path: Path) -> Path:
    """A million wall polylines of 50 vertices from a 60 KB file: a block of one polyline, a block
    of 100 references to it, a block of 100 references to that, placed as a 10 × 10 MINSERT."""
    from ezdxf.filemanagement import new as new_drawing

    doc = new_drawing("R2010")
    doc.header["$INSUNITS"] = 4
    doc.blocks.new("B0").add_lwpolyline([(i * 100, (i % 2) * 200) for i in range(50)])
    for level in (1, 2):
        block = doc.blocks.new(f"B{level}")
        for k in range(100):
            block.add_blockref(f"B{level - 1}", (k * 10, 0))
    grid = doc.modelspace().add_blockref("B2", (0, 0), dxfattribs={"layer": "A-WALL"})
    grid.grid(size=(10, 10), spacing=(1000, 1000))
    doc.saveas(path)
    return path


def test_blocks_of_blocks_are_refused_before_they_are_exploded(tmp_path: Path) -> None:
    """Issue 16: references were counted as they were exploded, so a small file of nested blocks
    was refused only after half a million copies (minutes with polylines). Counted from the
    blocks' own entity lists before anything is exploded, it is refused within the time the
    file takes to read."""
    path = nested_blocks(tmp_path / "nested.dxf")
    assert path.stat().st_size < 100_000
    assert code_of(path, "dxf", timeout_s=10) == ("TOO_MANY_ENTITIES", {"limit": 500_000})


def test_a_library_failure_is_told_in_our_words_and_logged_in_its_own(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 16: "ValueError: cannot convert float NaN to integer" reached the client. Now the
    code says what happened, in the client's language; the library's text is in the log."""
    dxf = tmp_path / "units.dxf"
    dxf.write_text(
        "0\nSECTION\n2\nHEADER\n9\n$INSUNITS\n70\nnan\n0\nENDSEC\n0\nSECTION\n2\nENTITIES\n0\nENDSEC\n0\nEOF\n"
    )
    ifc = tmp_path / "header.ifc"
    ifc.write_bytes(
        b"ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n#1=IFCWALL($);\nENDSEC;\nEND-ISO-10303-21;\n"
    )
    with caplog.at_level("WARNING", logger="archbuilder.cad.sandbox"):
        assert code_of(dxf, "dxf") == ("CAD_PARSE_FAILED", {"format": "DXF"})
        assert code_of(ifc, "ifc") == ("CAD_PARSE_FAILED", {"format": "IFC"})
    logged = [getattr(r, "fields", {}) for r in caplog.records if r.name == "archbuilder.cad.sandbox"]
    assert [(f["code"], f["format"]) for f in logged] == [
        ("CAD_PARSE_FAILED", "DXF"),
        ("CAD_PARSE_FAILED", "IFC"),
    ]
    assert 'Invalid tag (70, "nan")' in logged[0]["detail"] and "SPF header" in logged[1]["detail"]
    assert str(tmp_path) not in caplog.text


@pytest.mark.parametrize("value", ["1e308", "inf", "nan"])
def test_coordinates_out_of_range_are_invalid_geometry_through_the_sandbox(
    tmp_path: Path, value: str
) -> None:
    """Issue 16: an infinite coordinate left the child as JSON null, and the parent's validation
    error was taken for a passing fault (retried, three stack traces)."""
    path = tmp_path / "far.dxf"
    path.write_text(
        "0\nSECTION\n2\nHEADER\n9\n$INSUNITS\n70\n6\n0\nENDSEC\n0\nSECTION\n2\nENTITIES\n"
        "0\nLINE\n8\nA-WALL\n10\n0.0\n20\n0.0\n30\n0.0\n11\n12.0\n21\n0.0\n31\n0.0\n"
        f"0\nLINE\n8\nA-WALL\n10\n0.0\n20\n0.2\n30\n0.0\n11\n{value}\n21\n0.2\n31\n0.0\n"
        "0\nENDSEC\n0\nEOF\n"
    )
    assert code_of(path, "dxf") == ("INVALID_GEOMETRY", {"format": "DXF"})
