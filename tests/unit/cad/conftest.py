"""Paths of the real test files in ../shared/data (never copied into the project)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA

IFC = SHARED_DATA / "ifc"
DXF = SHARED_DATA / "dxf"
DWG = SHARED_DATA / "dwg"


def data_file(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.exists():
        pytest.fail(f"shared test file missing: {path}")
    return path


def big_dxf(lines: int) -> str:
    """An R12 DXF of many wall lines, written as text (ezdxf would take seconds)."""
    parts = [
        "0\nSECTION\n2\nHEADER\n9\n$ACADVER\n1\nAC1009\n9\n$INSUNITS\n70\n4\n0\nENDSEC\n0\nSECTION\n2\nENTITIES\n"
    ]
    for i in range(lines):
        parts.append(
            f"0\nLINE\n8\nA-WALL\n10\n{i * 10.0}\n20\n0.0\n30\n0.0\n11\n{i * 10.0 + 5000}\n21\n{(i % 100) * 37.0}\n31\n0.0\n"
        )
    parts.append("0\nENDSEC\n0\nEOF\n")
    return "".join(parts)
