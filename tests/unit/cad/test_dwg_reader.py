"""DWG through ezdwg's DXF conversion into the DXF reader, on real AutoCAD 2000 and 2018 files."""

from __future__ import annotations

from pathlib import Path

import pytest

from archbuilder.cad.dwg_reader import converter_available, dwg_version, read_dwg
from archbuilder.platform.errors import ArchBuilderError
from tests.unit.cad.conftest import DWG, data_file

needs_converter = pytest.mark.skipif(
    not converter_available(), reason="ezdwg is not installed (pip install ezdwg==0.17.0)"
)


@needs_converter
def test_floor_plan_r2018() -> None:
    model = read_dwg(data_file(DWG, "ewp_floor_plan_R2018.dwg"))
    assert model.source.format == "dwg" and model.source.schema_name == "AC1032"
    # The header says mm, but the dimension texts (264, 435 …) measure centimetres.
    assert model.source.original_units == "cm"
    assert any("$INSUNITS says mm" in w for w in model.warnings)
    assert len(model.walls) == 13
    assert all(60 <= (w.thickness_mm or 0) <= 500 for w in model.walls)


@needs_converter
def test_r2000_sample() -> None:
    model = read_dwg(data_file(DWG, "acadsharp_sample_AC1015_R2000.dwg"))
    assert model.source.schema_name == "AC1015"
    assert model.source.original_units == "in"


@needs_converter
def test_aec_objects_are_reported() -> None:
    model = read_dwg(data_file(DWG, "acadsharp_AecObjects_R2018.dwg"))
    assert model.walls == [] and model.spaces == []
    assert any("AutoCAD Architecture" in w and "export IFC" in w for w in model.warnings)


@needs_converter
@pytest.mark.slow
def test_electrical_plan() -> None:
    model = read_dwg(data_file(DWG, "ewp_electrical_plan_R2018.dwg"))
    assert model.source.schema_name == "AC1032"
    assert model.warnings  # everything sits on a symbols layer: what was doubted is said


def test_versions_ezdwg_cannot_read(tmp_path: Path) -> None:
    old = tmp_path / "old.dwg"
    old.write_bytes(b"AC1009" + bytes(200))  # R11/R12
    assert dwg_version(old) == "AC1009"
    with pytest.raises(ArchBuilderError) as caught:
        read_dwg(old)
    assert caught.value.code == "DWG_VERSION_UNSUPPORTED" and caught.value.params == {"version": "AC1009"}


@needs_converter
def test_truncated_dwg_is_a_coded_error(tmp_path: Path) -> None:
    data = (DWG / "ewp_floor_plan_R2018.dwg").read_bytes()
    cut = tmp_path / "cut.dwg"
    cut.write_bytes(data[:2000])
    with pytest.raises(ArchBuilderError) as caught:
        read_dwg(cut)
    assert caught.value.code == "CAD_PARSE_FAILED"
    assert caught.value.params["format"] == "DWG"
