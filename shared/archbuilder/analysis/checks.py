"""Model health and performance findings, from the building model and the reader's facts.

Each check returns findings with the elements concerned (their source ids: IFC GlobalIds,
DXF handles) and never invents an element or a number: every value in a finding is
measured here. Thresholds are constants with the reason beside them (docs/analysis.md).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TypeVar

import shapely
from shapely import STRtree
from shapely.geometry import Polygon
from shapely.ops import unary_union

from archbuilder.analysis.plan import Plan
from archbuilder.analysis.report import ElementRef, Finding, Location, Severity
from archbuilder.domain.building import BuildingModel, ModelSpace, ModelWall
from archbuilder.domain.model_facts import ElementFact, ModelFacts, RefList

MAX_ELEMENTS_PER_FINDING = 50  # element references listed (the count says how many in all)
OVERLAP_M2 = 0.5  # two spaces sharing more floor than this overlap (less is drawing tolerance)
UNCOVERED_M2 = 2.0  # a wall-enclosed area without a space, smaller ones are shafts and ducts
COINCIDENT_MM = 5.0  # elements this close at both ends are drawn twice
ZERO_WALL_MM = 10.0  # a wall shorter than this is no wall
ZERO_SPACE_M2 = 0.05
HEAVY_VERTICES = 5_000  # one element with more points than this slows Revit and viewers
PROXY_SHARE_PCT = 10.0  # more proxies than this and classification-based checks go blind
TYPES_USED_ONCE = 10  # more one-off types than this smells of in-place families
BYTES_PER_ELEMENT = 50_000  # an IFC heavier than this per element carries unneeded geometry
_T = TypeVar("_T")
_GENERIC_NAME = re.compile(r"^\s*(space|room|raum|oda|pièce|espacio|local|s|r)?\s*[\d.\-_/]*\s*$", re.I)


def health_findings(plan: Plan, facts: ModelFacts) -> list[Finding]:
    model = plan.model
    out: list[Finding] = []
    ifc = model.source.format == "ifc"
    out += _space_findings(plan)
    out += _overlaps(plan)
    out += _uncovered(plan)
    out += _walls(model)
    out += _duplicates(model)
    if not ifc:
        doors = [d for d in model.doors if d.wall_id is None]
        out += _finding("door_without_wall", "warning", doors, lambda d: _ref(d.source_ref, "door", None))
    out += _from_refs("space_outside_storeys", "warning", facts.spaces_outside_storeys)
    out += _from_refs("opening_without_host", "warning", facts.openings_without_host)
    out += _from_refs("opening_in_no_wall", "warning", facts.openings_in_no_wall)
    out += _from_refs("door_window_fills_no_opening", "warning", facts.unfilled_doors_windows)
    out += _from_refs("wall_without_type", "info", facts.walls_without_type)
    for name, refs in sorted(facts.missing_properties.items()):
        out += _from_refs("missing_property", "warning", refs, {"property": name})
    out += _storey_noise(facts)
    if ifc and not facts.has_length_unit:
        out += [Finding(id="", category="health", code="missing_units", severity="error")]
    if ifc and facts.has_map_conversion is False:
        code = (
            "missing_georeference_ifc2x3" if model.source.schema_name == "IFC2X3" else "missing_georeference"
        )
        out += [Finding(id="", category="health", code=code, severity="info")]
    return out


def performance_findings(facts: ModelFacts) -> list[Finding]:
    out: list[Finding] = []
    heavy = [h for h in facts.heaviest if h.vertices > HEAVY_VERTICES]
    if heavy:
        out.append(
            Finding(
                id="",
                category="performance",
                code="heavy_elements",
                severity="warning",
                count=len(heavy),
                params={"limit": HEAVY_VERTICES, "most": heavy[0].vertices},
                elements=[_fact_ref(h) for h in heavy],
            )
        )
    share = proxy_share_pct(facts)
    if share is not None and share > PROXY_SHARE_PCT:
        out += _from_refs(
            "proxy_share",
            "warning",
            facts.proxies,
            {"share_pct": round(share, 1), "limit_pct": PROXY_SHARE_PCT},
        )
    if facts.types_used_once.count > TYPES_USED_ONCE:
        out += _from_refs("types_used_once", "info", facts.types_used_once, {"limit": TYPES_USED_ONCE})
    per_element = bytes_per_element(facts)
    if per_element is not None and per_element > BYTES_PER_ELEMENT:
        out.append(
            Finding(
                id="",
                category="performance",
                code="bytes_per_element",
                severity="info",
                count=facts.products,
                params={"bytes": round(per_element), "limit": BYTES_PER_ELEMENT},
            )
        )
    return out


def proxy_share_pct(facts: ModelFacts) -> float | None:
    return 100.0 * facts.proxies.count / facts.products if facts.products else None


def bytes_per_element(facts: ModelFacts) -> float | None:
    return facts.file_bytes / facts.products if facts.products else None


# -- spaces ----------------------------------------------------------------------------------


def _space_findings(plan: Plan) -> list[Finding]:
    model = plan.model
    no_boundary = [s for s in model.spaces if plan.shape(s) is None]
    tiny = [
        s for s in model.spaces if (shape := plan.shape(s)) is not None and shape.area / 1e6 < ZERO_SPACE_M2
    ]
    generic = [bool(_GENERIC_NAME.match(s.name or "")) for s in model.spaces]
    unnamed = [s for s, g in zip(model.spaces, generic, strict=True) if g]
    # Not unnamed: a space equal to an unnamed one has its name, so is unnamed too.
    unclassified = [s for s, g in zip(model.spaces, generic, strict=True) if s.type is None and not g]
    return [
        *_finding("space_without_boundary", "warning", no_boundary, _space_ref),
        *_finding("zero_size_space", "error", tiny, _space_ref),
        *_finding("space_unnamed", "info", unnamed, _space_ref),
        *_finding("space_unclassified", "warning", unclassified, _space_ref),
    ]


def _overlaps(plan: Plan) -> list[Finding]:
    out: list[Finding] = []
    by_level: dict[str, list[tuple[ModelSpace, Polygon]]] = defaultdict(list)
    for space in plan.model.spaces:
        shape = plan.shape(space)
        if shape is not None and shape.is_valid and shape.area > 0:
            by_level[space.level_id].append((space, shape))
    for spaces in by_level.values():
        # Candidate pairs from a spatial index: each space against the few whose boxes touch it.
        tree = STRtree([shape for _, shape in spaces])
        for i, j in zip(*tree.query([shape for _, shape in spaces], predicate="intersects"), strict=True):
            if i >= j:
                continue
            (a, shape_a), (b, shape_b) = spaces[i], spaces[j]
            common = shape_a.intersection(shape_b)
            shared = common.area / 1e6
            if shared > OVERLAP_M2:
                point = common.representative_point()
                out.append(
                    Finding(
                        id="",
                        category="health",
                        code="spaces_overlap",
                        severity="error",
                        params={"a": a.name, "b": b.name, "area_m2": round(shared, 2)},
                        elements=[_space_ref(a), _space_ref(b)],
                        location=Location(x=point.x, y=point.y, z=plan.elevation(a.level_id)),
                    )
                )
    return out


def _uncovered(plan: Plan) -> list[Finding]:
    """Areas enclosed by walls that no space covers (a room that was never drawn as a space)."""
    out: list[Finding] = []
    spaces = plan.model.spaces
    if not spaces:
        return out  # a drawing without spaces says so in its notices; every cell would be "uncovered"
    for level in sorted({s.level_id for s in spaces}):
        cells = plan.wall_cells(level)
        outlines = [plan.shape(s) for s in spaces if s.level_id == level]
        valid = [shape for shape in outlines if shape is not None and shape.is_valid]
        shapes = list(shapely.buffer(valid, 200, quad_segs=16, join_style="mitre"))  # each as .buffer()
        tree = STRtree(shapes)
        # A cell inside one space (the usual room) leaves nothing uncovered: no overlay for it.
        covered = set(tree.query(cells, predicate="covered_by")[0].tolist()) if cells else set()
        for n, cell in enumerate(cells):
            if n in covered:
                continue
            near = [shapes[k] for k in tree.query(cell, predicate="intersects")]
            # Cheap bound first: a cell its spaces nearly fill needs no exact difference.
            if cell.area - float(shapely.area(shapely.intersection(cell, near)).sum()) <= UNCOVERED_M2 * 1e6:
                continue
            left = cell.difference(unary_union(near)) if near else cell
            # Wall centrelines enclose the wall's half thickness too: only real floor counts.
            area = left.buffer(-150).area / 1e6 if not left.is_empty else 0.0
            if area > UNCOVERED_M2:
                point = left.representative_point()
                out.append(
                    Finding(
                        id="",
                        category="health",
                        code="floor_not_covered",
                        severity="warning",
                        params={"area_m2": round(area, 1), "level": plan.level_name(level)},
                        location=Location(x=point.x, y=point.y, z=plan.elevation(level)),
                    )
                )
    return out


# -- walls, doubles, storeys -------------------------------------------------------------------


def _walls(model: BuildingModel) -> list[Finding]:
    thin = [w for w in model.walls if not w.thickness_mm]
    short = [w for w in model.walls if math.dist((w.start.x, w.start.y), (w.end.x, w.end.y)) < ZERO_WALL_MM]
    return [
        *_finding("wall_without_thickness", "warning", thin, _wall_ref),
        *_finding("zero_size_wall", "error", short, _wall_ref),
    ]


def _duplicates(model: BuildingModel) -> list[Finding]:
    """Walls drawn twice (both ends within COINCIDENT_MM, either way round), doors and windows
    placed twice at one point."""
    places: dict[tuple[object, ...], list[tuple[str | None, str]]] = defaultdict(list)
    for wall in model.walls:
        a = (round(wall.start.x / COINCIDENT_MM), round(wall.start.y / COINCIDENT_MM))
        b = (round(wall.end.x / COINCIDENT_MM), round(wall.end.y / COINCIDENT_MM))
        places["wall", wall.level_id, *min(a, b), *max(a, b)].append((wall.source_ref, "wall"))
    for kind, openings in (("door", model.doors), ("window", model.windows)):
        for opening in openings:
            if opening.position is not None:
                x, y = round(opening.position.x / COINCIDENT_MM), round(opening.position.y / COINCIDENT_MM)
                places[kind, opening.level_id, x, y].append((opening.source_ref, kind))
    # Every element of a place held twice or more: the viewer selects the pair.
    doubles = [held for items in places.values() if len(items) > 1 for held in items]
    return _finding("duplicate_elements", "warning", doubles, lambda held: _ref(held[0], held[1], None))


def _storey_noise(facts: ModelFacts) -> list[Finding]:
    """Storey elevations with binary float noise (3100.000000000378 mm for 3.1 m)."""
    noisy = []
    for storey in facts.storeys:
        # Noise is in the digits the file wrote: 3.1000000000000378 (m) differs from 3.1 in the
        # 14th decimal; an intended value has at most a few decimals in any unit.
        raw = storey.elevation_raw
        if 0 < abs(raw - round(raw, 6)) < 1e-6:
            noisy.append(ElementRef(ref=storey.ref, type="IfcBuildingStorey", name=storey.name))
    return (
        [
            Finding(
                id="",
                category="health",
                code="storey_elevation_noise",
                severity="info",
                count=len(noisy),
                params={"storeys": ", ".join(r.name or r.ref for r in noisy)},
                elements=noisy,
            )
        ]
        if noisy
        else []
    )


# -- helpers ---------------------------------------------------------------------------------


def _finding(
    code: str,
    severity: Severity,
    items: Sequence[_T],
    ref: Callable[[_T], ElementRef],
    params: dict[str, str | int | float] | None = None,
) -> list[Finding]:
    """One finding about ``items``, the first MAX_ELEMENTS_PER_FINDING of them referenced
    (``ref``: the element reference of one item, made for those only)."""
    if not items:
        return []
    return [
        Finding(
            id="",
            category="health",
            code=code,
            severity=severity,
            count=len(items),
            params=params or {},
            elements=[ref(item) for item in items[:MAX_ELEMENTS_PER_FINDING]],
        )
    ]


def _from_refs(
    code: str, severity: Severity, refs: RefList, params: dict[str, str | int | float] | None = None
) -> list[Finding]:
    if not refs.count:
        return []
    category = "performance" if code in ("proxy_share", "types_used_once") else "health"
    return [
        Finding(
            id="",
            category=category,
            code=code,
            severity=severity,
            count=refs.count,
            params=params or {},
            elements=[_fact_ref(f) for f in refs.items[:MAX_ELEMENTS_PER_FINDING]],
        )
    ]


def _fact_ref(fact: ElementFact) -> ElementRef:
    return ElementRef(ref=fact.ref, type=fact.ifc_type, name=fact.name)


def _ref(source_ref: str | None, kind: str, name: str | None) -> ElementRef:
    return ElementRef(ref=source_ref or "?", type=kind, name=name)


def _wall_ref(wall: ModelWall) -> ElementRef:
    return _ref(wall.source_ref, "wall", None)


def _space_ref(space: ModelSpace) -> ElementRef:
    return ElementRef(ref=space.source_ref or space.id, type="space", name=space.name or None)
