"""What a CAD reader saw of a file beyond the building model: the facts a model analysis needs.

The building model (``domain.building``) keeps what compliance checks work on; the analysis
of an uploaded model also needs facts only the source file has: IFC GlobalIds of elements
the model leaves out (proxies, openings, types), how heavy each element's geometry is, which
property sets are missing, whether the file is georeferenced. The reader collects them in
the sandboxed child, next to the model, so the file is parsed once. Lists are capped at
``MAX_REFS`` entries; the counts beside them are exact.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_REFS = 200  # element references kept per list (the counts stay exact)


class ElementFact(BaseModel):
    """One element: its id in the source (IFC GlobalId, DXF handle) and what it is."""

    ref: str
    ifc_type: str
    name: str | None = None
    storey_ref: str | None = None
    vertices: int = Field(default=0, ge=0)  # points of its geometry, mapped items included


class RefList(BaseModel):
    """Elements with one property, as a count and the first MAX_REFS of them."""

    count: int = 0
    items: list[ElementFact] = Field(default_factory=list)

    def add(self, item: ElementFact) -> None:
        self.count += 1
        if len(self.items) < MAX_REFS:
            self.items.append(item)


class StoreyFact(BaseModel):
    ref: str
    name: str
    elevation_mm: float  # as written in the file, scaled to mm, not rounded
    elevation_raw: float = 0.0  # as written in the file, in its own length unit
    elements: int = 0  # elements contained in this storey (spatially)


class ModelFacts(BaseModel):
    """Facts of one source file for the analysis (see the module docstring)."""

    file_bytes: int = 0
    products: int = 0  # elements with a place in the building (IfcProduct less spatial ones)
    has_length_unit: bool = True
    has_map_conversion: bool | None = None  # None: the format has no such notion (DXF, DWG)
    storeys: list[StoreyFact] = Field(default_factory=list)
    heaviest: list[ElementFact] = Field(default_factory=list)  # by vertices, heaviest first
    total_vertices: int = 0
    proxies: RefList = Field(default_factory=RefList)  # IfcBuildingElementProxy
    types_used_once: RefList = Field(default_factory=RefList)  # the type, named by its occurrence
    openings_without_host: RefList = Field(default_factory=RefList)  # an opening that voids nothing
    openings_in_no_wall: RefList = Field(default_factory=RefList)  # voids something that is not a wall
    unfilled_doors_windows: RefList = Field(default_factory=RefList)  # a door or window filling no opening
    walls_without_type: RefList = Field(default_factory=RefList)
    spaces_outside_storeys: RefList = Field(default_factory=RefList)
    # "Pset_WallCommon.IsExternal" -> elements without that property
    missing_properties: dict[str, RefList] = Field(default_factory=dict)
