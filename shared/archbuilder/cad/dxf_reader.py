"""DXF (R12 to current) → BuildingModel with ezdxf.

What a drawing means is guessed from layer and block names, because DXF has no rooms or
walls, only lines and text. The reader:

* opens the file in ezdxf's recover mode, so damaged files are read as far as they go;
* scales to millimetres from ``$INSUNITS`` and checks that against the geometry's extents
  (a drawing that claims inches but measures 116 × 49 units is a 116 m plan in metres);
* explodes block references (INSERT, MINSERT) into their entities, except door and window
  blocks, which become doors and windows; how many entities that makes (blocks of blocks
  included) is counted against the limit before anything is exploded;
* refuses coordinates that are not finite or absurdly far out (``reasons.MAX_COORDINATE``);
* takes walls from lines and polylines on wall layers, pairing parallel lines into one
  centreline with a thickness, and thin closed rectangles as one wall each;
* takes rooms from closed polylines and hatches on room layers, or else from the faces of
  the wall graph, and names them from the TEXT/MTEXT label inside (the room ``type`` is
  left for the compliance module's classifier);
* takes doors from door blocks and from swing arcs on door layers, windows from window
  blocks and closed outlines on window layers.

Everything skipped is counted in the model's notices (``cad.notices``).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archbuilder.cad.notices import notice, set_notices, three_digits
from archbuilder.cad.reasons import OutOfRange, check_numbers, checked, invalid_geometry
from archbuilder.domain.building import (
    BuildingModel,
    ModelDoor,
    ModelLevel,
    ModelNotice,
    ModelPoint,
    ModelSpace,
    ModelWall,
    ModelWindow,
    SourceInfo,
)
from archbuilder.platform.errors import Unprocessable

# $INSUNITS code → (name, millimetres per unit). Codes not listed count as unknown.
INSUNITS: dict[int, tuple[str, float]] = {
    1: ("in", 25.4),
    2: ("ft", 304.8),
    4: ("mm", 1.0),
    5: ("cm", 10.0),
    6: ("m", 1000.0),
    10: ("yd", 914.4),
    14: ("dm", 100.0),
}
# Tried in this order when the declared unit gives an implausible building size.
_GUESS_ORDER = (4, 5, 6, 1, 2)
# A plan's larger side, in metres, that a building drawing plausibly has.
PLAUSIBLE_EXTENT_M = (5.0, 2000.0)
MAX_ENTITIES = 500_000
MAX_BLOCK_DEPTH = 8


@dataclass(frozen=True)
class LayerNames:
    """Words that mark a layer (or a block name) as walls, rooms, doors or windows.

    A layer matches when one of its words (split at anything not a letter or digit) is
    one of these with a plural or inflection ending, case-insensitively: ``A-WALL``, ``Walls``, ``Wände``,
    ``DUVAR_DIS`` and ``Muros`` are all walls. Offices configure their own.
    """

    walls: tuple[str, ...] = (
        "wall", "wand", "wände", "waende", "mauer", "mur", "muro", "duvar", "cloison", "tabique", "parede",
    )  # fmt: skip
    rooms: tuple[str, ...] = (
        "room", "area", "space", "raum", "räume", "raeume", "fläche", "flaeche", "zone", "oda", "mahal",
        "alan", "piece", "pièce", "local", "espacio", "habitacion", "habitación", "recinto",
    )  # fmt: skip
    doors: tuple[str, ...] = ("door", "tür", "tuer", "türe", "porte", "puerta", "kapı", "kapi")
    windows: tuple[str, ...] = ("window", "glaz", "fenster", "fenêtre", "fenetre", "ventana", "pencere")
    # A drawing has a few dozen layer names and thousands of entities on them: decide each name once.
    _known: dict[str, str | None] = field(default_factory=dict, init=False, compare=False, repr=False)

    def kind(self, name: str) -> str | None:
        if name not in self._known:
            self._known[name] = self._kind(name)
        return self._known[name]

    def _kind(self, name: str) -> str | None:
        words = [w for w in re.split(r"[^\w]+|_", name.casefold()) if w]
        # Doors and windows first: "A-DOOR-WALL-OPENING" is about a door.
        for kind, keys in (
            ("door", self.doors),
            ("window", self.windows),
            ("wall", self.walls),
            ("room", self.rooms),
        ):
            if any(_is_word(w, k) for w in words for k in keys):
                return kind
        return None


# Plural and inflection endings in the five languages: "Türen", "Duvarlar", "Muros", "Glazing".
_ENDINGS = ("", "s", "es", "e", "n", "en", "er", "ler", "lar", "leri", "ları", "ing", "wall", "walls")


def _is_word(word: str, key: str) -> bool:
    """``word`` is ``key`` with an ending, or a number or a digit-suffixed code after it (WALL1)."""
    if not word.startswith(key):
        return False
    rest = word[len(key) :]
    return rest in _ENDINGS or rest.isdigit()


@dataclass
class _Segment:
    a: tuple[float, float]
    b: tuple[float, float]

    length: float = field(init=False)  # asked for ~25 times per segment while pairing wall faces

    def __post_init__(self) -> None:
        self.length = math.dist(self.a, self.b)


@dataclass
class _Collected:
    """Geometry in drawing units, before scaling."""

    wall_segments: list[_Segment] = field(default_factory=list)
    wall_rectangles: list[list[tuple[float, float]]] = field(default_factory=list)
    room_outlines: list[tuple[list[tuple[float, float]], str]] = field(default_factory=list)
    labels: list[tuple[tuple[float, float], str]] = field(default_factory=list)
    door_blocks: list[tuple[tuple[float, float], float, str]] = field(default_factory=list)  # at, width, ref
    window_blocks: list[tuple[tuple[float, float], float, str]] = field(default_factory=list)
    door_arcs: list[tuple[tuple[float, float], float, tuple[float, float], tuple[float, float], str]] = field(
        default_factory=list
    )  # centre, radius, start point, end point, handle
    window_outlines: list[tuple[list[tuple[float, float]], str]] = field(default_factory=list)
    other_segments: list[_Segment] = field(default_factory=list)  # lines on layers of no known kind
    line_blocks: dict[str, bool] = field(default_factory=dict)  # block name → holds only LINEs
    extent_points: list[tuple[float, float]] = field(default_factory=list)
    entity_count: int = 0
    # What was skipped: (notice code, entity type or "") → how many.
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)


def read_dxf(
    path: str | Path,
    *,
    layers: LayerNames | None = None,
    max_entities: int = MAX_ENTITIES,
    declared_insunits: int | None = None,
    source_format: str = "dxf",
    version: str | None = None,
) -> BuildingModel:
    """The building model of one DXF file. ``declared_insunits`` overrides the header
    (the DWG reader knows the DWG's own)."""
    names = layers or LayerNames()
    label = "DWG" if source_format == "dwg" else "DXF"
    notices: list[ModelNotice] = []
    doc = _open(str(path), notices, label)
    if _exploded_count(doc, max_entities) > max_entities:
        raise Unprocessable(code="TOO_MANY_ENTITIES", limit=max_entities)

    collected = _Collected()
    try:
        _collect(doc.modelspace(), names, collected, depth=0, max_entities=max_entities, parent_layer=None)
    except OutOfRange as exc:
        raise invalid_geometry(label) from exc

    insunits = declared_insunits if declared_insunits is not None else doc.header.get("$INSUNITS")
    dxfversion = str(doc.dxfversion)
    # The document is done with: let its entities go before the model is built (peak memory).
    del doc
    unit_name, scale = _units(insunits, collected.extent_points, notices)
    model = _model(collected, scale, notices)
    check_numbers(model, label)
    for (code, kind), count in sorted(collected.skipped.items()):
        notices.append(notice(code, count=count, kind=kind) if kind else notice(code, count=count))
    model.source = SourceInfo(
        format="dwg" if source_format == "dwg" else "dxf",
        schema_name=version or dxfversion,
        application=None,
        original_units=unit_name,
    )
    return set_notices(model, notices)


def _open(path: str, notices: list[ModelNotice], label: str) -> Any:
    """The document, read strictly (fast) or, when that fails, in ezdxf's recover mode.

    Recover mode repairs damaged files but reads every tag three times over (about 3× slower),
    so it is kept for the files that need it, as ezdxf's documentation advises."""
    from ezdxf import recover
    from ezdxf.filemanagement import readfile

    try:
        return readfile(path)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001, S110 - whatever the strict reader trips on, recover mode gets a go
        pass
    try:
        doc, auditor = recover.readfile(path)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a file neither reader can read: the library's text is logged
        raise Unprocessable(code="CAD_PARSE_FAILED", format=label) from exc
    errors = len(auditor.errors) if auditor.has_errors else 0
    notices.append(notice("dxf_recovered", count=errors))
    return doc


# --- collecting ---------------------------------------------------------------------------


def _exploded_count(doc: Any, max_entities: int) -> int:
    """How many entities the model space holds with every block reference exploded (MINSERT
    rows × columns, blocks of blocks to ``MAX_BLOCK_DEPTH``), from each block's own entity list,
    without exploding anything: 2,000 references to a block of 5,000 lines are 10 million
    entities whatever the file's size. Door and window blocks count as exploded too (the reader
    reads their content for their size). Stops counting once past ``max_entities``."""
    blocks = doc.blocks
    known: dict[tuple[str, int], int] = {}  # (block, depth) → its entities, exploded

    def block(name: str, depth: int) -> int:
        if (name, depth) not in known:
            content = blocks.get(name)
            known[(name, depth)] = 0 if content is None else entities(content, depth)
        return known[(name, depth)]

    def entities(layout: Iterable[Any], depth: int) -> int:
        total = 0
        for entity in layout:
            total += 1
            if entity.dxftype() == "INSERT" and depth < MAX_BLOCK_DEPTH:
                total += max(1, int(entity.mcount)) * block(str(entity.dxf.name), depth + 1)
            if total > max_entities:
                break
        return total

    return entities(doc.modelspace(), 0)


def _collect(
    entities: Iterable[Any],
    names: LayerNames,
    out: _Collected,
    *,
    depth: int,
    max_entities: int,
    parent_layer: str | None,
) -> None:
    from ezdxf.lldxf.const import DXFError

    for entity in entities:
        _count(out, max_entities)
        kind = entity.dxftype()
        try:
            layer = _layer_of(entity, parent_layer)
            if kind == "INSERT":
                _insert(entity, layer, names, out, depth=depth, max_entities=max_entities)
            else:
                _primitive(entity, kind, layer, names, out)
        except (DXFError, ValueError, TypeError, AttributeError, ArithmeticError):
            # One broken entity (a reference to a missing block, a bad attribute) is skipped.
            out.skipped["skipped_broken_entities", kind] += 1


def _insert(
    entity: Any, layer: str, names: LayerNames, out: _Collected, *, depth: int, max_entities: int
) -> None:
    block_kind = names.kind(entity.dxf.name) or names.kind(layer)
    if block_kind in ("door", "window"):
        box, radii = _block_shape(entity, out, max_entities)
        if box is not None:
            (x0, y0), (x1, y1) = box
            width = max(x1 - x0, y1 - y0)
            # A door symbol's swing arc has the leaf's width as its radius.
            if block_kind == "door" and radii:
                width = max(radii)
            at = ((x0 + x1) / 2, (y0 + y1) / 2)
            target = out.door_blocks if block_kind == "door" else out.window_blocks
            target.append((at, width, entity.dxf.handle or entity.dxf.name))
            out.extent_points.append(at)
            return
    if depth >= MAX_BLOCK_DEPTH:
        out.skipped["skipped_nested_blocks", ""] += 1
        return
    references = entity.multi_insert() if entity.mcount > 1 else [entity]
    for reference in references:
        if _lines_only(reference, out):
            _insert_lines(reference, layer, names, out, max_entities=max_entities)
            continue
        _collect(
            reference.virtual_entities(),
            names,
            out,
            depth=depth + 1,
            max_entities=max_entities,
            parent_layer=layer,
        )


def _lines_only(reference: Any, out: _Collected) -> bool:
    """Whether the referenced block holds nothing but LINEs (decided once per block)."""
    name = str(reference.dxf.name)
    if name not in out.line_blocks:
        block = reference.block()
        out.line_blocks[name] = block is not None and all(e.dxftype() == "LINE" for e in block)
    return out.line_blocks[name]


def _insert_lines(
    reference: Any, layer: str, names: LayerNames, out: _Collected, *, max_entities: int
) -> None:
    """A block of plain lines (exported plans are often one such block): each line's two ends
    through the reference's matrix, without copying every line as ``virtual_entities`` would."""
    matrix = reference.matrix44()
    for line in reference.block():
        _count(out, max_entities)
        start, end = matrix.transform_vertices((line.dxf.start, line.dxf.end))
        _line(_xy(start), _xy(end), names.kind(_layer_of(line, layer)), out)


def _count(out: _Collected, max_entities: int) -> None:
    out.entity_count += 1
    if out.entity_count > max_entities:
        raise Unprocessable(code="TOO_MANY_ENTITIES", limit=max_entities)


def _layer_of(entity: Any, parent_layer: str | None) -> str:
    """The entity's layer; block content on layer 0 takes the reference's layer."""
    layer = str(entity.dxf.get("layer", "0"))
    return parent_layer if layer == "0" and parent_layer is not None else layer


def _block_shape(
    entity: Any, out: _Collected, max_entities: int
) -> tuple[tuple[tuple[float, float], tuple[float, float]] | None, list[float]]:
    """The box of a door or window block's content and the radii of its arcs, from one pass
    over its exploded entities, each counted against the limit."""
    points: list[tuple[float, float]] = []
    radii: list[float] = []
    for sub in entity.virtual_entities():
        _count(out, max_entities)
        points.extend(_points(sub))
        if sub.dxftype() == "ARC":
            radii.append(checked(sub.dxf.radius))
    if not points:
        return None, radii
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return ((min(xs), min(ys)), (max(xs), max(ys))), radii


def _points(entity: Any) -> list[tuple[float, float]]:
    kind = entity.dxftype()
    if kind == "LINE":
        return [_xy(entity.dxf.start), _xy(entity.dxf.end)]
    if kind == "ARC":
        return [_xy(entity.start_point), _xy(entity.end_point), _xy(entity.dxf.center)]
    if kind == "CIRCLE":
        (x, y), r = _xy(entity.dxf.center), checked(entity.dxf.radius)
        return [(x - r, y - r), (x + r, y + r)]
    if kind in ("LWPOLYLINE", "POLYLINE"):
        return _polyline_points(entity)
    return []


def _xy(v: Any) -> tuple[float, float]:
    """A point's x and y; ``OutOfRange`` for coordinates that are not finite or absurdly far."""
    return (checked(v[0]), checked(v[1]))


def _polyline_points(entity: Any) -> list[tuple[float, float]]:
    # Bulges (arc segments) count as their chords: good enough for outlines and walls.
    vertices = entity.vertices_in_wcs() if entity.dxftype() == "LWPOLYLINE" else entity.points_in_wcs()
    return [_xy(v) for v in vertices]


def _line(a: tuple[float, float], b: tuple[float, float], layer_kind: str | None, out: _Collected) -> None:
    out.extent_points.extend((a, b))
    if layer_kind == "wall":
        out.wall_segments.append(_Segment(a, b))
    elif layer_kind is None:
        out.other_segments.append(_Segment(a, b))


def _primitive(entity: Any, kind: str, layer: str, names: LayerNames, out: _Collected) -> None:
    layer_kind = names.kind(layer)
    if kind in ("TEXT", "MTEXT", "ATTRIB"):
        text = entity.plain_text() if kind == "MTEXT" else str(entity.dxf.text)
        at = _xy(entity.dxf.insert)
        if text.strip():
            out.labels.append((at, text))
        return
    if kind == "LINE":
        _line(_xy(entity.dxf.start), _xy(entity.dxf.end), layer_kind, out)
        return
    if kind in ("LWPOLYLINE", "POLYLINE"):
        if kind == "POLYLINE" and (entity.is_poly_face_mesh or entity.is_polygon_mesh):
            out.skipped["skipped_meshes", ""] += 1
            return
        points = _dedupe(_polyline_points(entity))
        out.extent_points.extend(points)
        closed = bool(entity.is_closed) or (len(points) > 3 and math.dist(points[0], points[-1]) < 1e-9)
        if closed and points[0] == points[-1]:
            points = points[:-1]
        if layer_kind == "wall":
            if closed and _thin_rectangle(points) is not None:
                out.wall_rectangles.append(points)
            else:
                ring = [*points, points[0]] if closed else points
                out.wall_segments.extend(_Segment(p, q) for p, q in zip(ring, ring[1:], strict=False))
        elif layer_kind == "room" and closed and len(points) >= 3:
            out.room_outlines.append((points, entity.dxf.handle or ""))
        elif layer_kind == "window" and closed and len(points) >= 3:
            out.window_outlines.append((points, entity.dxf.handle or ""))
        elif layer_kind is None:
            ring = [*points, points[0]] if closed else points
            out.other_segments.extend(_Segment(p, q) for p, q in zip(ring, ring[1:], strict=False))
        return
    if kind == "HATCH":
        if layer_kind == "room":
            for boundary in entity.paths.rendering_paths(entity.dxf.hatch_style):
                vertices = getattr(boundary, "vertices", None)
                if vertices and len(vertices) >= 3:
                    outline = _dedupe([_xy(v) for v in vertices])
                    out.room_outlines.append((outline, entity.dxf.handle or ""))
                else:
                    out.skipped["skipped_curved_hatches", ""] += 1
        return
    if kind == "ARC":
        c, r = _xy(entity.dxf.center), checked(entity.dxf.radius)
        out.extent_points.extend([(c[0] - r, c[1] - r), (c[0] + r, c[1] + r)])
        if layer_kind == "door":
            sweep = (entity.dxf.end_angle - entity.dxf.start_angle) % 360
            if 60 <= sweep <= 120:
                out.door_arcs.append(
                    (c, r, _xy(entity.start_point), _xy(entity.end_point), entity.dxf.handle or "")
                )
        elif layer_kind == "wall":
            out.skipped["skipped_wall_arcs", ""] += 1
        return
    if kind == "CIRCLE":
        c, r = _xy(entity.dxf.center), checked(entity.dxf.radius)
        out.extent_points.extend([(c[0] - r, c[1] - r), (c[0] + r, c[1] + r)])
        return
    if kind in ("DIMENSION", "ARC_DIMENSION", "LARGE_RADIAL_DIMENSION", "LEADER", "MULTILEADER"):
        return  # annotation, never building geometry
    if kind in ("ACAD_PROXY_ENTITY",) or kind.startswith("AEC"):
        out.skipped["skipped_custom_objects", ""] += 1


def _dedupe(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    result: list[tuple[float, float]] = []
    for p in points:
        if not result or math.dist(p, result[-1]) > 1e-9:
            result.append(p)
    return result


def _thin_rectangle(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(length, width) of a four-cornered outline at least three times as long as wide."""
    if len(points) != 4:
        return None
    sides = [math.dist(points[i], points[(i + 1) % 4]) for i in range(4)]
    long_side, short_side = max(sides[0], sides[1]), min(sides[0], sides[1])
    if short_side <= 0 or abs(sides[0] - sides[2]) > 1e-6 * long_side + 1e-9 or long_side < 3 * short_side:
        return None
    return long_side, short_side


# --- units ---------------------------------------------------------------------------------


def _units(
    insunits: Any, points: list[tuple[float, float]], notices: list[ModelNotice]
) -> tuple[str | None, float]:
    """The unit's name and millimetres per drawing unit, checked against the geometry."""
    code = int(insunits) if isinstance(insunits, int | float) and math.isfinite(insunits) else 0
    declared = INSUNITS.get(code)
    extent = _robust_extent(points)
    if extent <= 0:
        return (declared[0], declared[1]) if declared else (None, 1.0)
    low, high = PLAUSIBLE_EXTENT_M

    def plausible(mm_per_unit: float) -> bool:
        return low <= extent * mm_per_unit / 1000 <= high

    if declared and plausible(declared[1]):
        return declared
    guess = next((INSUNITS[c] for c in _GUESS_ORDER if plausible(INSUNITS[c][1])), None)
    if guess is None:
        fallback = declared or INSUNITS[4]
        notices.append(notice("units_implausible", extent=three_digits(extent), unit=fallback[0]))
        return fallback
    if declared:
        notices.append(
            notice(
                "units_contradict",
                declared=declared[0],
                declared_m=three_digits(extent * declared[1] / 1000),
                unit=guess[0],
                unit_m=three_digits(extent * guess[1] / 1000),
            )
        )
    else:
        notices.append(notice("units_guessed", unit=guess[0]))
    return guess


def _robust_extent(points: list[tuple[float, float]]) -> float:
    """The larger side of the extents, ignoring the outermost 1 % (a stray far-away point)."""
    if len(points) < 2:
        return 0.0
    xs, ys = sorted(p[0] for p in points), sorted(p[1] for p in points)
    k = len(points) // 100
    return max(xs[-1 - k] - xs[k], ys[-1 - k] - ys[k])


# --- the model ----------------------------------------------------------------------------

LEVEL_ID = "L0"


def _model(c: _Collected, scale: float, notices: list[ModelNotice]) -> BuildingModel:
    def mm(p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] * scale, p[1] * scale)

    segments = [_Segment(mm(s.a), mm(s.b)) for s in c.wall_segments]
    walls = _walls_from_segments(segments) + _walls_from_rectangles(
        [[mm(p) for p in r] for r in c.wall_rectangles]
    )
    if not walls and c.other_segments:
        # No wall layer at all (everything on layer 0, as exported by many tools): only
        # parallel pairs a plausible wall thickness apart are taken, and said to be a guess.
        others = [_Segment(mm(s.a), mm(s.b)) for s in c.other_segments]
        walls = [
            w
            for w in _walls_from_segments(others, thickness=GUESSED_WALL_THICKNESS_MM)
            if w[2] is not None and math.dist(w[0], w[1]) >= MIN_GUESSED_WALL_MM
        ]
        if walls:
            segments = others
            notices.append(
                notice(
                    "walls_guessed",
                    count=len(walls),
                    min_mm=round(GUESSED_WALL_THICKNESS_MM[0]),
                    max_mm=round(GUESSED_WALL_THICKNESS_MM[1]),
                )
            )
    wall_models = [
        ModelWall(
            id=f"W{i + 1}",
            level_id=LEVEL_ID,
            start=ModelPoint(x=a[0], y=a[1]),
            end=ModelPoint(x=b[0], y=b[1]),
            thickness_mm=t,
        )
        for i, (a, b, t) in enumerate(walls)
    ]
    # Thin closed wall outlines bound rooms too.
    for r in c.wall_rectangles:
        ring = [mm(p) for p in r]
        segments.extend(_Segment(p, q) for p, q in zip(ring, [*ring[1:], ring[0]], strict=True))
    spaces = _spaces(c, mm, segments, notices)
    doors = [
        ModelDoor(
            id=f"D{i + 1}", level_id=LEVEL_ID, position=_pt(mm(at)), clear_width_mm=w * scale, source_ref=ref
        )
        for i, (at, w, ref) in enumerate(c.door_blocks)
    ]
    nearest = _SegmentIndex(segments if c.door_arcs else [])
    for centre, radius, start, end, ref in c.door_arcs:
        hinge = mm(centre)
        # The closed leaf lies along the wall: the opening's centre is half a leaf from the hinge.
        leaf_end = nearest.nearer(mm(start), mm(end))
        at = ((hinge[0] + leaf_end[0]) / 2, (hinge[1] + leaf_end[1]) / 2)
        doors.append(
            ModelDoor(
                id=f"D{len(doors) + 1}",
                level_id=LEVEL_ID,
                position=_pt(at),
                clear_width_mm=radius * scale,
                source_ref=ref,
            )
        )
    windows = [
        ModelWindow(
            id=f"WIN{i + 1}", level_id=LEVEL_ID, position=_pt(mm(at)), width_mm=w * scale, source_ref=ref
        )
        for i, (at, w, ref) in enumerate(c.window_blocks)
    ]
    for outline, ref in c.window_outlines:
        pts = [mm(p) for p in outline]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        windows.append(
            ModelWindow(
                id=f"WIN{len(windows) + 1}",
                level_id=LEVEL_ID,
                position=_pt(((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)),
                width_mm=max(max(xs) - min(xs), max(ys) - min(ys)),
                source_ref=ref,
            )
        )
    if not wall_models:
        notices.append(notice("no_walls"))
    return BuildingModel(
        source=SourceInfo(format="dxf"),
        levels=[ModelLevel(id=LEVEL_ID, name="Plan", elevation_mm=0)],
        spaces=spaces,
        walls=wall_models,
        doors=doors,
        windows=windows,
    )


def _pt(p: tuple[float, float]) -> ModelPoint:
    return ModelPoint(x=p[0], y=p[1])


class _SegmentIndex:
    """The wall segments in an R-tree: distance to the nearest one without trying them all."""

    def __init__(self, segments: list[_Segment]) -> None:
        from shapely import STRtree
        from shapely.geometry import LineString

        self.tree = STRtree([LineString([s.a, s.b]) for s in segments]) if segments else None

    def distance(self, p: tuple[float, float]) -> float:
        from shapely.geometry import Point

        assert self.tree is not None
        _, distances = self.tree.query_nearest(Point(p), return_distance=True)
        return float(distances[0])

    def nearer(self, p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float]:
        """Whichever of two points lies nearer to a wall (``p`` on a tie or without walls)."""
        if self.tree is None:
            return p
        return p if self.distance(p) <= self.distance(q) else q


# Wall faces drawn as two parallel lines this far apart (mm) are one wall.
WALL_THICKNESS_MM = (40.0, 800.0)
MIN_WALL_SEGMENT_MM = 100.0
# Stricter when there is no wall layer, so that furniture and hatching rarely pass as walls.
GUESSED_WALL_THICKNESS_MM = (60.0, 500.0)
MIN_GUESSED_WALL_MM = 500.0


def _walls_from_segments(
    segments: list[_Segment], *, thickness: tuple[float, float] = WALL_THICKNESS_MM
) -> list[tuple[tuple[float, float], tuple[float, float], float | None]]:
    """Centrelines: parallel faces paired into one wall with a thickness, the rest as drawn."""
    usable = [s for s in segments if s.length >= MIN_WALL_SEGMENT_MM]
    by_angle: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(usable):
        by_angle[_angle_bucket(s)].append(i)
    partner: dict[int, tuple[int, float]] = {}
    reach = thickness[1] + 50.0
    near = _near_faces(usable, reach)
    for bucket, members in by_angle.items():
        # Sort this and the neighbouring directions by offset across the direction, so that
        # only faces within a wall's thickness of each other are compared.
        theta = math.radians(bucket + 0.5)
        nx, ny = -math.sin(theta), math.cos(theta)
        pool = sorted(
            {j for b in (bucket - 1, bucket, bucket + 1) for j in by_angle.get(b % 180, [])},
            key=lambda j: _offset(usable[j], nx, ny),
        )
        offsets = [_offset(usable[j], nx, ny) for j in pool]
        rank = {j: k for k, j in enumerate(pool)}
        for i in members:
            here = _offset(usable[i], nx, ny)
            # Faces within reach across the direction (the offset window) and near in the plane
            # (the R-tree), in offset order: aligned walls far along a grid line are not tried.
            window = sorted(rank[j] for j in near[i] if j in rank and abs(offsets[rank[j]] - here) <= reach)
            best: tuple[int, float] | None = None
            for j in (pool[k] for k in window):
                if j == i:
                    continue
                found = _pair(usable[i], usable[j], thickness)
                if found is not None and (best is None or found < best[1]):
                    best = (j, found)
            if best is not None:
                partner[i] = best
    walls: list[tuple[tuple[float, float], tuple[float, float], float | None]] = []
    used: set[int] = set()
    for i, (j, distance) in partner.items():
        if i in used or j in used or partner.get(j, (-1, 0.0))[0] != i:
            continue  # only mutual nearest faces pair up
        used.update((i, j))
        a, b = _centreline(usable[i], usable[j])
        walls.append((a, b, distance))
    walls.extend((s.a, s.b, None) for i, s in enumerate(usable) if i not in used)
    return walls


def _near_faces(usable: list[_Segment], reach: float) -> list[list[int]]:
    """For each face, the faces that could be its partner: closer than ``reach`` plus the drift
    of a face that is parallel within ``_pair``'s tolerance (1 % of its length)."""
    import numpy as np
    from shapely import STRtree, linestrings

    near: list[list[int]] = [[] for _ in usable]
    if not usable:
        return near
    lines: Any = linestrings(np.array([(s.a, s.b) for s in usable], dtype=float))  # all at once
    distance = reach + 0.01 * max(s.length for s in usable)
    found = STRtree(lines).query(lines, predicate="dwithin", distance=distance)
    for i, j in zip(found[0].tolist(), found[1].tolist(), strict=True):
        near[i].append(j)
    return near


def _offset(s: _Segment, nx: float, ny: float) -> float:
    return (s.a[0] + s.b[0]) / 2 * nx + (s.a[1] + s.b[1]) / 2 * ny


def _angle_bucket(s: _Segment) -> int:
    angle = math.degrees(math.atan2(s.b[1] - s.a[1], s.b[0] - s.a[0])) % 180
    return int(angle) % 180


def _pair(s: _Segment, t: _Segment, thickness: tuple[float, float]) -> float | None:
    """The distance between two faces of one wall, or None when they are not that."""
    ux, uy = (s.b[0] - s.a[0]) / s.length, (s.b[1] - s.a[1]) / s.length
    vx, vy = (t.b[0] - t.a[0]) / t.length, (t.b[1] - t.a[1]) / t.length
    if abs(ux * vy - uy * vx) > 0.01:  # not parallel within about half a degree
        return None
    offset = abs((t.a[0] - s.a[0]) * -uy + (t.a[1] - s.a[1]) * ux)
    if not thickness[0] <= offset <= thickness[1]:
        return None
    t0 = (t.a[0] - s.a[0]) * ux + (t.a[1] - s.a[1]) * uy
    t1 = (t.b[0] - s.a[0]) * ux + (t.b[1] - s.a[1]) * uy
    overlap = min(s.length, max(t0, t1)) - max(0.0, min(t0, t1))
    if overlap < 0.5 * min(s.length, t.length):
        return None
    return offset


def _centreline(s: _Segment, t: _Segment) -> tuple[tuple[float, float], tuple[float, float]]:
    ux, uy = (s.b[0] - s.a[0]) / s.length, (s.b[1] - s.a[1]) / s.length
    t0 = (t.a[0] - s.a[0]) * ux + (t.a[1] - s.a[1]) * uy
    t1 = (t.b[0] - s.a[0]) * ux + (t.b[1] - s.a[1]) * uy
    lo, hi = max(0.0, min(t0, t1)), min(s.length, max(t0, t1))
    normal = (t.a[0] - s.a[0]) * -uy + (t.a[1] - s.a[1]) * ux
    nx, ny = -uy * normal / 2, ux * normal / 2
    return (
        (s.a[0] + ux * lo + nx, s.a[1] + uy * lo + ny),
        (s.a[0] + ux * hi + nx, s.a[1] + uy * hi + ny),
    )


def _walls_from_rectangles(
    rectangles: list[list[tuple[float, float]]],
) -> list[tuple[tuple[float, float], tuple[float, float], float | None]]:
    walls: list[tuple[tuple[float, float], tuple[float, float], float | None]] = []
    for r in rectangles:
        p0, p1, p2, p3 = r
        if math.dist(p0, p1) >= math.dist(p1, p2):
            a, b, width = _mid(p0, p3), _mid(p1, p2), math.dist(p1, p2)
        else:
            a, b, width = _mid(p0, p1), _mid(p3, p2), math.dist(p0, p1)
        walls.append((a, b, width))
    return walls


def _mid(p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float]:
    return ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)


# --- spaces -------------------------------------------------------------------------------

MIN_ROOM_M2 = 1.0
MAX_ROOM_M2 = 5000.0
MIN_ROOM_WIDTH_MM = 600.0
_NUMBER_ONLY = re.compile(r"^[\s\d.,:;×x*/+\-=()m²2]*$")


def _spaces(c: _Collected, mm: Any, segments: list[_Segment], notices: list[ModelNotice]) -> list[ModelSpace]:
    from shapely import STRtree
    from shapely.geometry import LineString, Point, Polygon
    from shapely.geometry.polygon import orient
    from shapely.ops import polygonize, unary_union

    outlines: list[tuple[Polygon, str | None]] = []
    for outline, ref in c.room_outlines:
        polygon = Polygon([mm(p) for p in outline])
        if not polygon.is_valid:
            polygon = polygon.buffer(0)
        if isinstance(polygon, Polygon) and polygon.area / 1e6 >= MIN_ROOM_M2:
            outlines.append((polygon, ref or None))
        else:
            c.skipped["skipped_room_outlines", ""] += 1
    from_walls = False
    if not outlines and segments:
        # No room layer: the rooms are the faces that the wall lines enclose.
        lines = unary_union([LineString([s.a, s.b]) for s in segments])
        for face in polygonize(lines):
            area_m2 = face.area / 1e6
            if not MIN_ROOM_M2 <= area_m2 <= MAX_ROOM_M2:
                continue
            if face.buffer(-MIN_ROOM_WIDTH_MM / 2).is_empty:
                continue  # the core between a wall's two faces, not a room
            outlines.append((face, None))
        from_walls = True
    labels = [(Point(mm(at)), name) for at, text in c.labels if (name := _label_name(text)) is not None]
    # An R-tree of the label points: each outline asks only for the labels it contains.
    label_tree = STRtree([point for point, _ in labels])
    spaces: list[ModelSpace] = []
    unnamed = unlabelled_faces = 0
    for polygon, handle in sorted(outlines, key=lambda o: (-o[0].area, o[1] or "")):
        hits = sorted(int(i) for i in label_tree.query(polygon, predicate="contains")) if labels else []
        inside = [labels[i][1] for i in hits]
        if not inside and from_walls:
            unlabelled_faces += 1  # an enclosed face is a room only when a label says so
            continue
        if not inside:
            unnamed += 1
        ring = list(orient(polygon, sign=1.0).exterior.coords)[:-1]
        spaces.append(
            ModelSpace(
                id=f"S{len(spaces) + 1}",
                name=inside[0] if inside else f"Space {len(spaces) + 1}",
                level_id=LEVEL_ID,
                boundary=[ModelPoint(x=x, y=y) for x, y in ring],
                source_ref=handle,
            )
        )
    if from_walls and spaces:
        notices.append(notice("spaces_from_walls", count=len(spaces)))
    if unnamed:
        notices.append(notice("spaces_unnamed", count=unnamed))
    if unlabelled_faces:
        notices.append(notice("faces_unlabelled", count=unlabelled_faces))
    return spaces


def _label_name(text: str) -> str | None:
    """The first line of a label that is a name rather than a number or an area."""
    for line in text.replace("\\P", "\n").splitlines():
        line = line.strip()
        if line and not _NUMBER_ONLY.match(line) and any(ch.isalpha() for ch in line):
            return line[:120]
    return None


def iter_layers(path: str | Path) -> Iterator[str]:
    """Layer names of a DXF file, for configuring ``LayerNames``."""
    from ezdxf import recover

    doc, _ = recover.readfile(str(path))
    for layer in doc.layers:
        yield str(layer.dxf.name)
