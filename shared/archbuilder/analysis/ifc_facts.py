"""The facts of an open IFC file that the model analysis needs (``domain.model_facts``).

Runs in the CAD sandbox's child right after ``read_ifc``, on the same open file: one parse,
reusing what the reader found (containers, wall property sets). Everything here is a walk
over entities and relationships; no geometry is built (the vertex count of an element is the
number of points its representation holds, each shared item counted once per item and
memoised; faceted boundaries counted from the file's STEP text, ``_StepTopology``).
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from archbuilder.cad.ifc_properties import property_set
from archbuilder.domain.model_facts import MAX_REFS, ElementFact, ModelFacts, RefList, StoreyFact

HEAVIEST = 10  # elements listed by geometry weight
# Properties the compliance rules read, by the element class that should carry them.
REQUIRED_PROPERTIES = {
    "IfcWall": ("Pset_WallCommon", "IsExternal"),
    "IfcDoor": ("Pset_DoorCommon", "IsExternal"),
    "IfcWindow": ("Pset_WindowCommon", "IsExternal"),
}
# Spatial and abstract products that are not building elements.
_NOT_ELEMENTS = ("IfcSpatialElement", "IfcSpatialStructureElement", "IfcGrid", "IfcAnnotation", "IfcPort")


def ifc_facts(
    ifc: Any,
    mm_per_unit: float,
    file_bytes: int,
    *,
    parents: dict[int, Any] | None = None,
    known_properties: dict[tuple[int, str], dict[str, Any]] | None = None,
    step_text: Callable[[], bytes | None] | None = None,
) -> ModelFacts:
    """The facts of ``ifc`` (an ``ifcopenshell.file``); lengths scaled by ``mm_per_unit``.

    What the IFC reader already worked out on the same file is taken rather than read again:
    ``parents`` (entity id → its spatial container or whole), ``known_properties``
    ((entity id, property set name) → ``property_set`` of it); ``step_text`` gives the file's
    STEP text, from which faceted boundary representations are counted (``_StepTopology``)."""
    facts = ModelFacts(file_bytes=file_bytes)
    storey_of = _storeys(ifc, parents)
    kinds = _Kinds()
    elements = [p for p in ifc.by_type("IfcProduct") if kinds.is_element(p)]
    facts.products = len(elements)
    facts.has_length_unit = _has_length_unit(ifc)
    facts.has_map_conversion = bool(ifc.by_type("IfcMapConversion")) if ifc.schema != "IFC2X3" else False
    counts: Counter[str] = Counter()
    points = _PointCounter(ifc, kinds, step_text)
    weights: list[tuple[int, Any]] = []
    for element in elements:
        vertices = points.of_product(element)
        weights.append((vertices, element))
        facts.total_vertices += vertices
        storey = storey_of.get(element.id())
        if storey is not None:
            counts[storey] += 1
        if kinds.is_a(element, "IfcBuildingElementProxy"):
            facts.proxies.add(_fact(element, storey, vertices))
    facts.heaviest = _heaviest(weights, storey_of)
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
    typed = _types(ifc, storey_of, facts.types_used_once)
    _openings(ifc, storey_of, facts)
    for wall in ifc.by_type("IfcWall"):
        if wall.id() not in typed:
            _add(facts.walls_without_type, wall, storey_of)
    for space in ifc.by_type("IfcSpace"):
        if space.id() not in storey_of:
            _add(facts.spaces_outside_storeys, space, None)
    known = known_properties or {}
    for ifc_type, (pset, name) in REQUIRED_PROPERTIES.items():
        missing = RefList()
        for element in ifc.by_type(ifc_type):
            values = known.get((element.id(), pset))
            if values is None:
                values = property_set(element, pset)
            if name not in values:
                _add(missing, element, storey_of)
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


def _add(refs: RefList, element: Any, storey_of: dict[int, str] | None) -> None:
    """``refs.add`` of the element's fact, made only while the list keeps items (the count is
    exact either way)."""
    if len(refs.items) < MAX_REFS:
        refs.add(_fact(element, storey_of.get(element.id()) if storey_of else None, 0))
    else:
        refs.count += 1


def _heaviest(weights: list[tuple[int, Any]], storey_of: dict[int, str]) -> list[ElementFact]:
    """The HEAVIEST elements with points, by points then GlobalId; facts made for those only."""
    largest = heapq.nlargest(HEAVIEST, (vertices for vertices, _ in weights))
    if not largest:
        return []
    least = max(largest[-1], 1)  # the HEAVIEST-th weight: nothing lighter can be among them
    candidates = sorted(
        ((vertices, str(element.GlobalId), element) for vertices, element in weights if vertices >= least),
        key=lambda c: (-c[0], c[1]),
    )
    heaviest = candidates[:HEAVIEST]
    return [_fact(element, storey_of.get(element.id()), vertices) for vertices, _, element in heaviest]


def _storeys(ifc: Any, parents: dict[int, Any] | None = None) -> dict[int, str]:
    """Element entity id → GlobalId of the storey that contains it (through its wholes and
    spaces: a door in a wall aggregated into a storey is on that storey). ``parents``: the
    containers and wholes the IFC reader found (the first two relationships below)."""
    parent: dict[int, Any]
    if parents is not None:
        parent = dict(parents)
    else:
        parent = {}
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
    # Elements share their containers: the walk up from each container is made once.
    from_container: dict[int, str | None] = {}
    found: dict[int, str] = {}
    for entity_id, first in parent.items():
        if first is None:
            continue
        key = first.id()
        if key not in from_container:
            from_container[key] = _storey_above(first, parent)
        storey = from_container[key]
        if storey is not None:
            found[entity_id] = storey
    return found


def _storey_above(current: Any, parent: dict[int, Any]) -> str | None:
    for _ in range(16):
        if current is None:
            return None
        if current.is_a("IfcBuildingStorey"):
            return str(current.GlobalId)
        current = parent.get(current.id())
    return None


def _has_length_unit(ifc: Any) -> bool:
    return any(
        getattr(unit, "UnitType", None) == "LENGTHUNIT"
        for assignment in ifc.by_type("IfcUnitAssignment")
        for unit in assignment.Units or ()
    )


def _types(ifc: Any, storey_of: dict[int, str], used_once: RefList) -> set[int]:
    """Entity ids of the occurrences that have a type (``IsTypedBy`` in IFC4, an
    ``IfcRelDefinesByType`` in ``IsDefinedBy`` in IFC2X3: the same relationship either way).
    Types with exactly one occurrence (Revit's in-place families export so) go to ``used_once``,
    each named by its occurrence, which is what a viewer can select."""
    typed: set[int] = set()
    for rel in ifc.by_type("IfcRelDefinesByType"):
        occurrences: tuple[Any, ...] = tuple(rel.RelatedObjects or ())
        typed.update(o.id() for o in occurrences)
        if len(occurrences) == 1:
            only = occurrences[0]
            if only.is_a("IfcProduct"):
                fact = _fact(only, storey_of.get(only.id()), 0)
                type_name = rel.RelatingType.Name
                used_once.add(fact.model_copy(update={"name": str(type_name) if type_name else fact.name}))
    return typed


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
        if host is None:
            _add(facts.openings_without_host, opening, storey_of)
        elif not host.is_a("IfcWall") and not opening.HasFillings:
            continue  # a slab or roof opening with nothing in it: a shaft, a stair void
        elif not host.is_a("IfcWall") and any(
            f.RelatedBuildingElement.is_a() in ("IfcDoor", "IfcWindow") for f in opening.HasFillings
        ):
            _add(facts.openings_in_no_wall, opening, storey_of)
    for ifc_type in ("IfcDoor", "IfcWindow"):
        for element in ifc.by_type(ifc_type):
            if element.id() not in filled:
                _add(facts.unfilled_doors_windows, element, storey_of)


class _Kinds:
    """``is_a(supertype)`` answered once per IFC class: the answer depends on the class only,
    and asking the schema costs more than the entity's own class name."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], bool] = {}
        self._elements: dict[str, bool] = {}
        self._items: dict[str, str] = {}

    def is_a(self, entity: Any, supertype: str) -> bool:
        key = (entity.is_a(), supertype)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = bool(entity.is_a(supertype))
        return known

    def is_element(self, product: Any) -> bool:
        name = product.is_a()
        known = self._elements.get(name)
        if known is None:
            known = self._elements[name] = not any(product.is_a(t) for t in _NOT_ELEMENTS)
        return known

    def item(self, item: Any) -> str:
        """The first of ``_ITEM_KINDS`` the representation item is, else ``"other"``."""
        name = item.is_a()
        known = self._items.get(name)
        if known is None:
            known = self._items[name] = next((k for k in _ITEM_KINDS if item.is_a(k)), "other")
        return known


# Representation items counted by their kind (``_PointCounter._count``), first match wins.
_ITEM_KINDS = (
    "IfcMappedItem",
    "IfcSweptAreaSolid",
    "IfcBooleanResult",
    "IfcTessellatedFaceSet",
    "IfcPolyline",
    "IfcHalfSpaceSolid",
    "IfcCsgPrimitive3D",
    "IfcArbitraryClosedProfileDef",
    "IfcCompositeProfileDef",
)


class _PointCounter:
    """Vertices of a product's geometry, each representation item counted once and memoised:
    a mapped item counts what it maps, an extrusion twice its profile's points, a boolean both
    operands, a tessellation its coordinate list, anything else (boundary representations,
    curves) the distinct points under it: faceted boundaries from the STEP text where it has
    them (``_StepTopology``), the rest by one traversal (walking a brep's faces attribute by
    attribute measured three times slower). Placements are not counted where the item's kind
    is known."""

    def __init__(self, ifc: Any, kinds: _Kinds, step_text: Callable[[], bytes | None] | None = None) -> None:
        self.ifc = ifc
        self.kinds = kinds
        self.items: dict[int, int] = {}
        self.step_text = step_text
        self.topology: _StepTopology | None = None

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
        kind = self.kinds.item(item)
        if kind == "IfcMappedItem":
            return sum(self._item(i) for i in item.MappingSource.MappedRepresentation.Items or ())
        if kind == "IfcSweptAreaSolid":
            return 2 * self._profile(item.SweptArea)
        if kind == "IfcBooleanResult":
            return self._item(item.FirstOperand) + self._item(item.SecondOperand)
        if kind == "IfcTessellatedFaceSet":
            return len(item.Coordinates.CoordList)
        if kind == "IfcPolyline":
            return len(item.Points)
        if kind in ("IfcHalfSpaceSolid", "IfcCsgPrimitive3D"):
            return 0  # a clipping plane or a primitive: no vertices of its own
        return self._traversed(item)

    def _traversed(self, entity: Any) -> int:
        if entity.is_a() in _StepTopology.ITEMS and self.step_text is not None:
            if self.topology is None:
                self.topology = _StepTopology(self.step_text())
            counted = self.topology.count(entity.id())
            if counted is not None:
                return counted
        points = 0
        for inner in self.ifc.traverse(entity):
            kind = inner.is_a()
            if kind == "IfcCartesianPoint":
                points += 1
            elif kind in ("IfcCartesianPointList3D", "IfcCartesianPointList2D"):
                points += len(inner.CoordList)
        return points

    def _profile(self, profile: Any) -> int:
        kind = self.kinds.item(profile)
        if kind == "IfcArbitraryClosedProfileDef":
            curves = [profile.OuterCurve, *(getattr(profile, "InnerCurves", None) or ())]
            return sum(self._item(curve) for curve in curves)
        if kind == "IfcCompositeProfileDef":
            return sum(self._profile(p) for p in profile.Profiles)
        return 4  # a parametric profile (rectangle, circle, I-shape …): its outline's corners


class _StepTopology:
    """Faceted boundary representations counted from the file's STEP text, where the
    traversal would wrap every face, bound and loop as a Python object (the bulk of the facts'
    time on real files).

    One pass of a regular expression maps the id of every entity a faceted boundary is made of
    (shells, faces, bounds, poly loops) to its arguments, and of every Cartesian point to b"";
    an item's points are then the distinct point ids reached from it through those arguments,
    a level at a time with set operations: what ``file.traverse`` would count. Anything this
    does not know (an entity written another way, several on a line, a curved face, one of
    these ids defined twice) answers ``None`` and the item is traversed instead."""

    ITEMS = frozenset(
        ("IfcFacetedBrep", "IfcFacetedBrepWithVoids", "IfcFaceBasedSurfaceModel", "IfcShellBasedSurfaceModel")
    )
    # ``#12= IFCPOLYLOOP((#1,#2,#3));`` -> (b"#12", b"(#1,#2,#3));"),
    # ``#1= IFCCARTESIANPOINT(`` -> (b"#1", b"").
    _ENTITY = re.compile(
        rb"\n(#\d+)= ?IFC(?:CARTESIANPOINT|POLYLOOP"
        rb"|FACE(?:OUTERBOUND|BOUND|TEDBREP(?:WITHVOIDS)?|BASEDSURFACEMODEL)?"
        rb"|CLOSEDSHELL|OPENSHELL|CONNECTEDFACESET|SHELLBASEDSURFACEMODEL)\(((?<=POINT\()|[^;]*\);)"
    )
    _NOT_IDS = b"(); \t\r\n"  # deleted from arguments, which leaves ids and enumerations between commas
    _ENUMERATIONS = frozenset((b".T.", b".F.", b""))  # IfcFaceBound.Orientation; an empty list
    _LEVELS = 8  # item, shell or face set, face, bound, loop, point: deeper is not a faceted boundary

    def __init__(self, text: bytes | None) -> None:
        found = self._ENTITY.findall(text or b"")
        self.entities: dict[bytes, bytes] = dict(found)
        if len(self.entities) < len(found):  # an id defined twice: not ours to judge
            for token, n in Counter(token for token, _ in found).items():
                if n > 1:
                    del self.entities[token]

    def count(self, entity_id: int) -> int | None:
        """Distinct Cartesian points under the entity, or None when the text does not say."""
        get = self.entities.get
        frontier = {b"#%d" % entity_id}
        points: set[bytes] = set()
        for _ in range(self._LEVELS):
            arguments = list(map(get, frontier))
            if not all(arguments):  # points (b""), or entities the text does not say (None)
                if None in arguments:
                    return None
                if not any(arguments):  # only points: the last level
                    points |= frontier
                    return len(points)
                points |= {token for token, argument in zip(frontier, arguments, strict=True) if not argument}
                arguments = [argument for argument in arguments if argument]
            joined = b",".join(arguments).translate(None, self._NOT_IDS)  # type: ignore[arg-type]
            frontier = set(joined.split(b","))
            frontier -= self._ENUMERATIONS
            if not frontier:
                return len(points)
        return None
