"""Quantity and property sets read by ``ifc_properties`` agree with ``ifcopenshell.util.element``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archbuilder.cad.ifc_properties import definitions, property_set, quantity_sets
from tests.unit.cad.conftest import IFC, data_file

ifcopenshell = pytest.importorskip("ifcopenshell", reason="ifcopenshell is not installed")
util = pytest.importorskip("ifcopenshell.util.element")


def _numbers(sets: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """The simple numeric quantities of ``get_psets`` output (without its ``id`` entries)."""
    return {
        name: {k: float(v) for k, v in values.items() if k != "id" and isinstance(v, int | float)}
        for name, values in sets.items()
    }


@pytest.mark.parametrize("name", sorted(p.name for p in IFC.glob("*.ifc")))
def test_the_sets_the_reader_reads_match_ifcopenshell_util(name: str) -> None:
    ifc = ifcopenshell.open(str(data_file(IFC, name)))
    for element in ifc.by_type("IfcSpace") + ifc.by_type("IfcWall"):
        ours = quantity_sets(element)
        theirs = _numbers(util.get_psets(element, qtos_only=True))
        assert {k: v for k, v in ours.items() if v} == {k: v for k, v in theirs.items() if v}, element
        common = util.get_pset(element, "Pset_WallCommon") or {}
        known = definitions(element)
        assert property_set(element, "Pset_WallCommon", known).get("IsExternal") == common.get("IsExternal")


def test_a_set_of_definitions_in_one_relation_is_read(tmp_path: Path) -> None:
    """IFC4 lets one IfcRelDefinesByProperties carry an IfcPropertySetDefinitionSet."""
    path = tmp_path / "set.ifc"
    path.write_text(
        "ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nFILE_NAME('set.ifc','',(''),(''),'','','');\n"
        "FILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n"
        "#1=IFCSPACE('0aaaaaaaaaaaaaaaaaaaaa',$,'1',$,$,$,$,'Kitchen',.ELEMENT.,.INTERNAL.,$);\n"
        "#2=IFCQUANTITYAREA('NetFloorArea',$,$,12.5,$);\n"
        "#3=IFCELEMENTQUANTITY('0bbbbbbbbbbbbbbbbbbbbb',$,'Qto_SpaceBaseQuantities',$,$,(#2));\n"
        "#4=IFCPROPERTYSINGLEVALUE('IsExternal',$,IFCBOOLEAN(.F.),$);\n"
        "#5=IFCPROPERTYSET('0ccccccccccccccccccccc',$,'Pset_SpaceCommon',$,(#4));\n"
        "#6=IFCRELDEFINESBYPROPERTIES('0ddddddddddddddddddddd',$,$,$,(#1),IFCPROPERTYSETDEFINITIONSET((#3,#5)));\n"
        "ENDSEC;\nEND-ISO-10303-21;\n",
        encoding="ascii",
    )
    ifc = ifcopenshell.open(str(path))  # kept: its entities read through the open file
    space = ifc.by_type("IfcSpace")[0]
    assert quantity_sets(space) == {"Qto_SpaceBaseQuantities": {"NetFloorArea": 12.5}}
    assert property_set(space, "Pset_SpaceCommon") == {"IsExternal": False}
