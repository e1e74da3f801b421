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
    garbage.write_bytes(b"ISO-10303-21;\nHEADER;\n#1=IFCWALL(((\nEND-ISO-10303-21;\n")
    code, params = code_of(garbage, "ifc")
    assert code == "CAD_PARSE_FAILED" and params["format"] == "IFC"
    assert str(tmp_path) not in str(params["reason"])
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
