"""The facts of an open IFC file that the model analysis needs (``domain.model_facts``).

Runs in the CAD sandbox's child right after ``read_ifc``, on the same open file: one parse.
Everything here is a walk over entities and relationships; no geometry is built (the vertex
count of an element is the number of points its representation holds, each shared item
counted once per item and memoised).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from archbuilder.cad.ifc_properties import property_set
from archbuilder.domain.model_facts import ElementFact, ModelFacts, RefList, StoreyFact

HEAVIEST = 10  # elements listed by geometry weight
# Properties the compliance rules read, by the element class that should carry them.
REQUIRED_PROPERTIES = {
    "IfcWall": ("Pset_WallCommon", "IsExternal"),
    "IfcDoor": ("Pset_DoorCommon", "IsExternal"),
    "IfcWindow": ("Pset_WindowCommon", "IsExternal"),
}
# Spatial and abstract products that are not building elements.
_NOT_ELEMENTS = ("IfcSpatialElement", "IfcSpatialStructureElement", "IfcGrid", "IfcAnnotation", "IfcPort")


def ifc_facts(ifc: Any, mm_per_unit: float, file_bytes: int) -> ModelFacts:
    """The facts of ``ifc`` (an ``ifcopenshell.file``); lengths scaled by ``mm_per_unit``."""
    facts = ModelFacts(file_bytes=file_bytes)
    storey_of = _storeys(ifc)
    elements = [p for p in ifc.by_type("IfcProduct") if not any(p.is_a(t) for t in _NOT_ELEMENTS)]
    facts.products = len(elements)
    facts.has_length_unit = _has_length_unit(ifc)
    facts.has_map_conversion = bool(ifc.by_type("IfcMapConversion")) if ifc.schema != "IFC2X3" else False
    counts: Counter[str] = Counter()
    points = _PointCounter(ifc)
    weighed: list[ElementFact] = []
    for element in elements:
        fact = _fact(element, storey_of.get(element.id()), points.of_product(element))
        weighed.append(fact)
        facts.total_vertices += fact.vertices
        if fact.storey_ref is not None:
            counts[fact.storey_ref] += 1
        if element.is_a("IfcBuildingElementProxy"):
            facts.proxies.add(fact)
    weighed.sort(key=lambda f: (-f.vertices, f.ref))
    facts.heaviest = [f for f in weighed[:HEAVIEST] if f.vertices > 0]
    facts.storeys = [
        StoreyFact(
            ref=str(s.GlobalId),
            name=str(s.Name or s.LongName or ""),
            elevation_mm=float(s.Elevation or 0.0) * mm_per_unit,
            elevation_raw=float(s.Elevation or 0.0),
            elements=counts[str(s.GlobalId)],
        )
        for s in sorted(ifc.by_type("IfcBuildingStorey"), key=lambda s: float(s.Elevation or 0.0))
    ]
    _types_used_once(ifc, storey_of, facts.types_used_once)
    _openings(ifc, storey_of, facts)
    for wall in ifc.by_type("IfcWall"):
        if not _typed(wall):
            facts.walls_without_type.add(_fact(wall, storey_of.get(wall.id()), 0))
    for space in ifc.by_type("IfcSpace"):
        if space.id() not in storey_of:
            facts.spaces_outside_storeys.add(_fact(space, None, 0))
    for ifc_type, (pset, name) in REQUIRED_PROPERTIES.items():
        missing = RefList()
        for element in ifc.by_type(ifc_type):
            if name not in property_set(element, pset):
                missing.add(_fact(element, storey_of.get(element.id()), 0))
        if missing.count:
            facts.missing_properties[f"{pset}.{name}"] = missing
    return facts


def _fact(element: Any, storey: str | None, vertices: int) -> ElementFact:
    name = getattr(element, "Name", None)
    return ElementFact(
        ref=str(element.GlobalId),
        ifc_type=str(element.is_a()),
        name=str(name) if name else None,
        storey_ref=storey,
        vertices=vertices,
    )


def _storeys(ifc: Any) -> dict[int, str]:
    """Element entity id → GlobalId of the storey that contains it (through its wholes and
    spaces: a door in a wall aggregated into a storey is on that storey)."""
    parent: dict[int, Any] = {}
    for rel in ifc.by_type("IfcRelAggregates"):
        for part in rel.RelatedObjects or ():
            parent.setdefault(part.id(), rel.RelatingObject)
    for rel in ifc.by_type("IfcRelContainedInSpatialStructure"):
        for part in rel.RelatedElements or ():
            parent[part.id()] = rel.RelatingStructure
    for rel in ifc.by_type("IfcRelFillsElement"):  # a door is where the wall it fills is
        opening = rel.RelatingOpeningElement
        parent.setdefault(rel.RelatedBuildingElement.id(), opening)
    for rel in ifc.by_type("IfcRelVoidsElement"):
        parent.setdefault(rel.RelatedOpeningElement.id(), rel.RelatingBuildingElement)
    found: dict[int, str] = {}
    for entity_id in parent:
        current = parent.get(entity_id)
        for _ in range(16):
            if current is None:
                break
            if current.is_a("IfcBuildingStorey"):
                found[entity_id] = str(current.GlobalId)
                break
            current = parent.get(current.id())
    return found


def _has_length_unit(ifc: Any) -> bool:
    return any(
        getattr(unit, "UnitType", None) == "LENGTHUNIT"
        for assignment in ifc.by_type("IfcUnitAssignment")
        for unit in assignment.Units or ()
    )


def _typed(element: Any) -> bool:
    relations = list(getattr(element, "IsTypedBy", None) or ())
    relations += [r for r in getattr(element, "IsDefinedBy", None) or () if r.is_a("IfcRelDefinesByType")]
    return bool(relations)


def _types_used_once(ifc: Any, storey_of: dict[int, str], out: RefList) -> None:
    """Types with exactly one occurrence (Revit's in-place families export so), each named by
    its occurrence, which is what a viewer can select."""
    for rel in ifc.by_type("IfcRelDefinesByType"):
        occurrences = list(rel.RelatedObjects or ())
        if len(occurrences) == 1:
            only = occurrences[0]
            if only.is_a("IfcProduct"):
                fact = _fact(only, storey_of.get(only.id()), 0)
                type_name = rel.RelatingType.Name
                out.add(fact.model_copy(update={"name": str(type_name) if type_name else fact.name}))


def _openings(ifc: Any, storey_of: dict[int, str], facts: ModelFacts) -> None:
    """Openings that void nothing or something other than a wall; doors and windows that fill
    no opening."""
    voided: dict[int, Any] = {}
    for rel in ifc.by_type("IfcRelVoidsElement"):
        voided[rel.RelatedOpeningElement.id()] = rel.RelatingBuildingElement
    filled: set[int] = set()
    for rel in ifc.by_type("IfcRelFillsElement"):
        filled.add(rel.RelatedBuildingElement.id())
    for opening in ifc.by_type("IfcOpeningElement"):
        host = voided.get(opening.id())
        fact = _fact(opening, storey_of.get(opening.id()), 0)
        if host is None:
            facts.openings_without_host.add(fact)
        elif not host.is_a("IfcWall") and not opening.HasFillings:
            continue  # a slab or roof opening with nothing in it: a shaft, a stair void
        elif not host.is_a("IfcWall") and any(
            f.RelatedBuildingElement.is_a() in ("IfcDoor", "IfcWindow") for f in opening.HasFillings
        ):
            facts.openings_in_no_wall.add(fact)
    for ifc_type in ("IfcDoor", "IfcWindow"):
        for element in ifc.by_type(ifc_type):
            if element.id() not in filled:
                facts.unfilled_doors_windows.add(_fact(element, storey_of.get(element.id()), 0))


class _PointCounter:
    """Vertices of a product's geometry, each representation item counted once and memoised:
    a mapped item counts what it maps, an extrusion twice its profile's points, a boolean both
    operands, a tessellation its coordinate list, anything else (boundary representations,
    curves) the distinct points under it (one traversal: walking a brep's faces attribute by
    attribute measured three times slower). Placements are not counted where the item's kind
    is known."""

    def __init__(self, ifc: Any) -> None:
        self.ifc = ifc
        self.items: dict[int, int] = {}

    def of_product(self, product: Any) -> int:
        shape = getattr(product, "Representation", None)
        if shape is None:
            return 0
        return sum(self._item(item) for rep in shape.Representations or () for item in rep.Items or ())

    def _item(self, item: Any) -> int:
        known = self.items.get(item.id())
        if known is not None:
            return known
        count = self._count(item)
        self.items[item.id()] = count
        return count

    def _count(self, item: Any) -> int:
        if item.is_a("IfcMappedItem"):
            return sum(self._item(i) for i in item.MappingSource.MappedRepresentation.Items or ())
        if item.is_a("IfcSweptAreaSolid"):
            return 2 * self._profile(item.SweptArea)
        if item.is_a("IfcBooleanResult"):
            return self._item(item.FirstOperand) + self._item(item.SecondOperand)
        if item.is_a("IfcTessellatedFaceSet"):
            return len(item.Coordinates.CoordList)
        if item.is_a("IfcPolyline"):
            return len(item.Points)
        if item.is_a("IfcHalfSpaceSolid") or item.is_a("IfcCsgPrimitive3D"):
            return 0  # a clipping plane or a primitive: no vertices of its own
        return self._traversed(item)

    def _traversed(self, entity: Any) -> int:
        points = 0
        for inner in self.ifc.traverse(entity):
            kind = inner.is_a()
            if kind == "IfcCartesianPoint":
                points += 1
            elif kind in ("IfcCartesianPointList3D", "IfcCartesianPointList2D"):
                points += len(inner.CoordList)
        return points

    def _profile(self, profile: Any) -> int:
        if profile.is_a("IfcArbitraryClosedProfileDef"):
            curves = [profile.OuterCurve, *(getattr(profile, "InnerCurves", None) or ())]
            return sum(self._item(curve) for curve in curves)
        if profile.is_a("IfcCompositeProfileDef"):
            return sum(self._profile(p) for p in profile.Profiles)
        return 4  # a parametric profile (rectangle, circle, I-shape …): its outline's corners
