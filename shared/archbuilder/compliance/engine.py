"""The rule engine: every rule of a region, on every space, door, stair, dwelling and storey
it applies to, with a pass, fail, not-applicable or cannot-check finding for each."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from archbuilder.compliance import geometry
from archbuilder.compliance.geometry import RoomPaths
from archbuilder.compliance.loader import RuleSet, rules_for
from archbuilder.compliance.messages import render
from archbuilder.compliance.report import (
    Citation,
    ComplianceReport,
    Finding,
    Reason,
    Status,
    Subject,
    grouped,
    summarise,
)
from archbuilder.compliance.schema import Condition, Metric, Rule, Scope
from archbuilder.compliance.travel import DoorLink, travel_distances
from archbuilder.compliance.units import (
    Quantity,
    display_unit,
    from_engine,
    rounded,
)
from archbuilder.domain.brief import RoomType
from archbuilder.domain.building import (
    BuildingModel,
    ModelDoor,
    ModelLevel,
    ModelSpace,
    ModelStair,
    ModelWindow,
)
from archbuilder.domain.common import builds_imperial
from archbuilder.domain.layout import Room

HABITABLE = frozenset({RoomType.living_room, RoomType.bedroom, RoomType.dining_room, RoomType.office})
# A layout's rooms under the smallest area the Revit add-in builds (ARCHITECTURE.md §4).
ADDIN_RULE_ID = "ADDIN-ROOM-AREA"
ADDIN_CITATION = Citation(
    document="ArchBuilder Revit add-in payload contract (ARCHITECTURE.md §4)",
    short="Revit add-in",
    article="area_m2 {:g}–{:g} m²".format(*Room.ADDIN_AREA_M2),  # the contract's field: no words
    status="verified",
)
# Comparisons forgive float noise, not design error: half a millimetre, 5 cm², …
_TOLERANCE = {
    Quantity.length: 0.5,
    Quantity.area: 0.0005,
    Quantity.volume: 0.0005,
    Quantity.ratio: 1e-6,
    Quantity.items: 1e-9,
}


@dataclass
class Measure:
    """A metric's value, or why there is none."""

    value: float | None = None
    missing: str | None = None  # the data that was not there → cannot_check
    reason: Reason | None = None  # → not_applicable (no windows …) or cannot_check (unreachable)
    space_id: str | None = None  # the space where a dwelling/storey metric was worst


@dataclass
class Target:
    subject: Subject
    space_id: str | None = None
    element_id: str | None = None
    space: ModelSpace | None = None
    door: ModelDoor | None = None
    stair: ModelStair | None = None
    level: ModelLevel | None = None
    dwelling: list[ModelSpace] = field(default_factory=list)


class ModelView:
    """The model indexed for the metrics, with per-space results cached."""

    def __init__(self, model: BuildingModel) -> None:
        self.model = model
        self.ctx = model.context
        self.spaces = {s.id: s for s in model.spaces}
        self.windows: dict[str, list[ModelWindow]] = {}
        for window in model.windows:
            if window.space_id is not None:
                self.windows.setdefault(window.space_id, []).append(window)
        self.unassigned_windows = any(w.space_id is None for w in model.windows)
        self.doors_of: dict[str, list[ModelDoor]] = {}
        for door in model.doors:
            for sid in door.space_ids:
                self.doors_of.setdefault(sid, []).append(door)
        self._paths: dict[str, RoomPaths] = {}
        self._cache: dict[tuple[str, str], float | None] = {}

    # -- spaces ---------------------------------------------------------------

    def outline(self, space: ModelSpace) -> list[tuple[float, float]] | None:
        return [(p.x, p.y) for p in space.boundary] if len(space.boundary) >= 3 else None

    def cached(self, kind: str, space: ModelSpace, compute: Callable[[], float | None]) -> float | None:
        key = (kind, space.id)
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def area(self, space: ModelSpace) -> float | None:
        def compute() -> float | None:
            outline = self.outline(space)
            return geometry.area_m2(outline) if outline else space.declared_area_m2

        return self.cached("area", space, compute)

    def paths(self, space: ModelSpace) -> RoomPaths | None:
        outline = self.outline(space)
        if outline is None:
            return None
        if space.id not in self._paths:
            self._paths[space.id] = RoomPaths(outline)
        return self._paths[space.id]

    @cached_property
    def dwellings(self) -> dict[str, list[ModelSpace]] | None:
        """Spaces by dwelling; None when the model does not say which space belongs where."""
        groups: dict[str, list[ModelSpace]] = {}
        for space in self.model.spaces:
            if space.dwelling_id is not None:
                groups.setdefault(space.dwelling_id, []).append(space)
        if groups:
            return groups
        if self.ctx.use == "house" or self.ctx.dwelling_units == 1:
            return {"1": list(self.model.spaces)}  # the whole model is the one dwelling
        return None

    def dwelling_of(self, space: ModelSpace) -> list[ModelSpace]:
        for spaces in (self.dwellings or {}).values():
            if any(s.id == space.id for s in spaces):
                return spaces
        return []

    def level_spaces(self, level: ModelLevel | None) -> list[ModelSpace]:
        return [s for s in self.model.spaces if level is None or s.level_id == level.id]

    def exits(self, level: ModelLevel | None) -> list[ModelDoor]:
        return [d for d in self.model.doors if d.is_entrance and (level is None or d.level_id == level.id)]

    def is_building_entrance(self, door: ModelDoor) -> bool | None:
        """Whether an entrance door is also the building's (None when the model cannot say).

        A unit's door is the building's entrance only when the building has several
        units and the door opens outside; a model that shows one dwelling of an
        apartment building (a generated layout) shows that unit's door, not the building's.
        """
        if not door.is_entrance:
            return False
        if self.ctx.use == "office":
            return True
        if self.ctx.dwelling_units is not None:
            return self.ctx.dwelling_units > 1 and len(door.space_ids) == 1
        if self.dwellings is not None and len(self.dwellings) == 1:
            return False
        return None

    # -- context --------------------------------------------------------------

    def occupant_load(self, rule: Rule, level: ModelLevel | None) -> float | None:
        if rule.occupant_load is None:
            return None
        areas = [self.area(s) for s in self.level_spaces(level)]
        if any(a is None for a in areas):
            return None
        return float(
            math.ceil(sum(a for a in areas if a is not None) / rule.occupant_load.area_per_person_m2)
        )

    def variables(self, rule: Rule, target: Target) -> dict[str, float | bool | None]:
        ctx = self.ctx
        dwelling = target.dwelling or (self.dwelling_of(target.space) if target.space else [])
        return {
            "floors_above_ground": ctx.floors_above_ground,
            "dwelling_units": ctx.dwelling_units,
            "building_height_m": ctx.building_height_m,
            "sprinklers": ctx.sprinklers,
            "has_lift": ctx.has_lift,
            "occupant_load": self.occupant_load(rule, target.level),
            "dwelling_rooms": float(sum(s.type in HABITABLE for s in dwelling)) if dwelling else None,
            "dwelling_has_wc": any(s.type is RoomType.wc for s in dwelling) if dwelling else None,
        }


# -- targets ---------------------------------------------------------------------------


def targets(rule: Rule, view: ModelView) -> list[Target] | Measure:
    """What the rule is evaluated on, or a Measure explaining why there is nothing."""
    scope = rule.scope
    model = view.model
    if scope is Scope.space:
        wanted = set(rule.applies_to.space_types)
        return [
            Target(Subject(kind="space", id=s.id, name=s.name), space_id=s.id, space=s)
            for s in model.spaces
            if s.type in wanted
        ]
    if scope is Scope.door:
        found: list[Target] = []
        for door in model.doors:
            kind = rule.applies_to.door_kind
            if kind == "building_entrance":
                is_building = view.is_building_entrance(door)
                if is_building is None:
                    return Measure(missing="dwelling_units")
                if not is_building:
                    continue
            elif (kind == "entrance" and not door.is_entrance) or (kind == "internal" and door.is_entrance):
                continue
            inner = door.space_ids[0] if door.space_ids else None
            found.append(
                Target(
                    Subject(kind="door", id=door.id, name=door.id),
                    space_id=inner,
                    element_id=door.id,
                    door=door,
                )
            )
        return found
    if scope is Scope.stair:
        return [
            Target(Subject(kind="stair", id=s.id, name=s.id), element_id=s.id, stair=s) for s in model.stairs
        ]
    if scope is Scope.dwelling:
        if view.dwellings is None:
            return Measure(missing="dwelling_id")
        return [
            Target(Subject(kind="dwelling", id=did, name=did), dwelling=spaces)
            for did, spaces in view.dwellings.items()
        ]
    if scope is Scope.storey:
        return [
            Target(Subject(kind="storey", id=level.id, name=level.name), level=level)
            for level in model.levels
        ]
    return [Target(Subject(kind="building"))]


# -- metrics ---------------------------------------------------------------------------


def _space_metric(rule: Rule, view: ModelView, space: ModelSpace) -> Measure:
    metric = rule.metric
    outline = view.outline(space)
    windows = view.windows.get(space.id, [])
    if metric is Metric.net_area:
        area = view.area(space)
        return Measure(area) if area is not None else Measure(missing="boundary")
    if metric is Metric.clear_height:
        height = space.clear_height_mm
        return Measure(height) if height is not None else Measure(missing="clear_height")
    if metric is Metric.volume:
        area = view.area(space)
        if area is None:
            return Measure(missing="boundary")
        if space.clear_height_mm is None:
            return Measure(missing="clear_height")
        return Measure(area * space.clear_height_mm / 1000)
    if metric in (Metric.narrow_side, Metric.clear_width):
        if outline is None:
            return Measure(missing="boundary")
        if metric is Metric.narrow_side:
            return Measure(view.cached("narrow", space, lambda: geometry.narrow_side_mm(outline)))
        paths = view.paths(space)
        assert paths is not None
        openings = [
            paths.entry_point((d.position.x, d.position.y))
            for d in view.doors_of.get(space.id, [])
            if d.position
        ]
        return Measure(view.cached("width", space, lambda: geometry.clear_width_mm(outline, openings)))
    if metric is Metric.opens_onto:
        return _opens_onto(rule, view, space)
    # Window metrics from here on.
    if not windows and view.unassigned_windows:
        return Measure(missing="window_space")
    if metric is Metric.window_count:
        return Measure(float(len(windows)))
    if any(w.width_mm is None or w.height_mm is None for w in windows):
        return Measure(missing="window_size")
    sizes = [(w.width_mm or 0.0, w.height_mm or 0.0, w.sill_height_mm) for w in windows]
    if metric is Metric.glazing_ratio:
        area = view.area(space)
        if not area:
            return Measure(missing="boundary")
        return Measure(sum(w * h for w, h, _ in sizes) / 1e6 / area)
    if metric is Metric.largest_window_area:
        return Measure(max((w * h / 1e6 for w, h, _ in sizes), default=0.0))
    if metric is Metric.window_sill:
        if not windows:
            return Measure(reason=Reason(kind="no_windows"))
        sills = [s for _, _, s in sizes]
        if any(s is None for s in sills):
            return Measure(missing="window_sill")
        return Measure(min(s for s in sills if s is not None))
    if metric is Metric.rescue_window_count:
        min_w, min_h = rule.arg_mm("min_width"), rule.arg_mm("min_height")
        max_sill = rule.arg_mm("max_sill") if "max_sill" in rule.metric_args else math.inf
        fitting = [
            w for w, h, s in sizes if w >= min_w - 0.5 and h >= min_h - 0.5 and (s or 0.0) <= max_sill + 0.5
        ]
        return Measure(float(len(fitting)))
    raise AssertionError(metric)


def _opens_onto(rule: Rule, view: ModelView, space: ModelSpace) -> Measure:
    """How many of the space's doors lead straight into a room of ``rule.neighbours``."""
    wanted = set(rule.neighbours)
    count = 0
    unknown = False
    for door in view.doors_of.get(space.id, []):
        others = [view.spaces.get(sid) for sid in door.space_ids if sid != space.id]
        types = [other.type for other in others if other is not None]
        count += 1 if any(t in wanted for t in types) else 0
        unknown = unknown or any(t is None for t in types)
    if count == 0 and unknown:
        return Measure(missing="space_type")  # an unclassified neighbour may be one of them
    return Measure(float(count))


def _door_metric(rule: Rule, door: ModelDoor) -> Measure:
    if rule.metric is Metric.door_clear_width:
        return (
            Measure(door.clear_width_mm) if door.clear_width_mm is not None else Measure(missing="door_width")
        )
    return Measure(door.height_mm) if door.height_mm is not None else Measure(missing="door_height")


def _stair_metric(rule: Rule, stair: ModelStair) -> Measure:
    values = {
        Metric.stair_width: ("stair_width", stair.clear_width_mm),
        Metric.riser: ("riser", stair.riser_mm),
        Metric.tread: ("tread", stair.tread_mm),
        Metric.headroom: ("headroom", stair.headroom_mm),
    }
    if rule.metric is Metric.step_formula:
        if stair.riser_mm is None or stair.tread_mm is None:
            return Measure(missing="riser" if stair.riser_mm is None else "tread")
        return Measure(2 * stair.riser_mm + stair.tread_mm)
    name, value = values[rule.metric]
    return Measure(value) if value is not None else Measure(missing=name)


def _walks(view: ModelView, spaces: list[ModelSpace], exits: list[ModelDoor]) -> Measure:
    """The longest shortest walk from any point of ``spaces`` to one of ``exits``."""
    if not exits:
        return Measure(missing="entrance_door")
    rooms: dict[str, RoomPaths] = {}
    for space in spaces:
        paths = view.paths(space)
        if paths is None:
            return Measure(missing="boundary")
        rooms[space.id] = paths
    ids = set(rooms)
    links = []
    for door in view.model.doors:
        if any(s in ids for s in door.space_ids):
            if door.position is None:
                return Measure(missing="door_position")
            links.append(DoorLink(door.id, (door.position.x, door.position.y), tuple(door.space_ids)))
    result = travel_distances(rooms, links, {d.id for d in exits})
    worst = max(result.values(), key=lambda r: r.distance_mm)
    if math.isinf(worst.distance_mm):
        return Measure(reason=Reason(kind="unreachable", detail=worst.space_id), space_id=worst.space_id)
    return Measure(worst.distance_mm, space_id=worst.space_id)


def _dwelling_metric(rule: Rule, view: ModelView, spaces: list[ModelSpace]) -> Measure:
    wanted = set(rule.applies_to.space_types)
    chosen = [s for s in spaces if not wanted or s.type in wanted]
    metric = rule.metric
    if metric is Metric.room_count:
        if not chosen and any(s.type is None for s in spaces):
            return Measure(missing="space_type")  # the missing room may be an unclassified one
        return Measure(float(len(chosen)))
    if metric is Metric.travel_distance:
        ids = {s.id for s in spaces}
        entrances = [d for d in view.model.doors if d.is_entrance and ids.intersection(d.space_ids)]
        return _walks(view, spaces, entrances)
    areas = [(s, view.area(s)) for s in chosen]
    if any(a is None for _, a in areas):
        return Measure(missing="boundary")
    if metric is Metric.dwelling_area:
        return Measure(sum(a for _, a in areas if a is not None))
    if not chosen:
        return Measure(0.0)
    if metric is Metric.largest_room_area:
        space, area = max(areas, key=lambda pair: pair[1] or 0.0)
        return Measure(area, space_id=space.id)
    if any(s.clear_height_mm is None for s in chosen):
        return Measure(missing="clear_height")
    volumes = [(s, (a or 0.0) * (s.clear_height_mm or 0.0) / 1000) for s, a in areas]
    space, volume = max(volumes, key=lambda pair: pair[1])
    return Measure(volume, space_id=space.id)


def _storey_metric(rule: Rule, view: ModelView, level: ModelLevel) -> Measure:
    exits = view.exits(level)
    widths = [d.clear_width_mm for d in exits]
    if rule.metric is Metric.floor_height:
        if level.height_mm is not None:
            return Measure(level.height_mm)
        above = sorted(lv.elevation_mm for lv in view.model.levels if lv.elevation_mm > level.elevation_mm)
        return Measure(above[0] - level.elevation_mm) if above else Measure(missing="level_height")
    if rule.metric is Metric.exit_count:
        return Measure(float(len(exits)))
    if any(w is None for w in widths):
        return Measure(missing="door_width")
    if rule.metric is Metric.exit_width:
        return Measure(sum(w for w in widths if w is not None))
    if rule.metric is Metric.widest_exit:
        return Measure(max((w for w in widths if w is not None), default=0.0))
    return _walks(view, view.level_spaces(level), exits)


def measure(rule: Rule, view: ModelView, target: Target) -> Measure:
    if target.space is not None and rule.scope is Scope.space:
        return _space_metric(rule, view, target.space)
    if target.door is not None:
        return _door_metric(rule, target.door)
    if target.stair is not None:
        return _stair_metric(rule, target.stair)
    if rule.scope is Scope.dwelling:
        return _dwelling_metric(rule, view, target.dwelling)
    if target.level is not None:
        return _storey_metric(rule, view, target.level)
    has_lift = view.ctx.has_lift
    return Measure(float(has_lift)) if has_lift is not None else Measure(missing="has_lift")


# -- evaluation ------------------------------------------------------------------------


class _Evaluation:
    def __init__(self, rules: RuleSet, view: ModelView, language: str) -> None:
        self.rules = rules
        self.view = view
        self.language = language
        self.imperial = builds_imperial(rules.region)

    def finding(
        self,
        rule: Rule,
        status: Status,
        subject: Subject,
        *,
        at: tuple[str | None, str | None] = (None, None),
        measured: float | None = None,
        limit: tuple[float, float | None] | None = None,
        reason: Reason | None = None,
    ) -> Finding:
        space_id, element_id = at
        unit = display_unit(rule.quantity, rule.unit, self.imperial)
        shown_limit: float | list[float] | None = None
        if limit is not None:
            low, high = limit
            shown_limit = (
                [rounded(from_engine(low, unit), unit), rounded(from_engine(high, unit), unit)]
                if high is not None
                else rounded(from_engine(low, unit), unit)
            )
        finding = Finding(
            rule_id=rule.id,
            status=status,
            severity=rule.severity,
            space_id=space_id,
            element_id=element_id,
            metric=rule.metric.value,
            measured=rounded(from_engine(measured, unit), unit) if measured is not None else None,
            limit=shown_limit,
            unit=unit,
            citation=Citation(
                document=rule.source.document,
                article=rule.source.article,
                short=rule.source.short,
                edition=rule.source.edition,
                status=rule.source.status,
                note=rule.source.note,
            ),
            message="",
            message_key=rule.message_key,
            subject=subject,
            reason=reason,
            rooms=_rooms_named(rule),
        )
        return finding

    def rule(self, rule: Rule) -> list[Finding]:
        building = Subject(kind="building")
        use = self.view.ctx.use
        if use is None:
            return [
                self.finding(
                    rule, "cannot_check", building, reason=Reason(kind="missing", detail="building_use")
                )
            ]
        if use not in rule.applies_to.building_use:
            return [self.finding(rule, "not_applicable", building, reason=Reason(kind="use", detail=use))]
        found = targets(rule, self.view)
        if isinstance(found, Measure):
            return [
                self.finding(
                    rule, "cannot_check", building, reason=Reason(kind="missing", detail=found.missing or "")
                )
            ]
        if not found:
            return [
                self.finding(
                    rule,
                    "not_applicable",
                    building,
                    reason=Reason(kind="no_targets", detail=_target_kind(rule)),
                )
            ]
        return [self.target(rule, t) for t in found]

    def target(self, rule: Rule, target: Target) -> Finding:
        where = (target.space_id, target.element_id)
        variables = self.view.variables(rule, target)
        for condition in rule.applies_to.conditions:
            actual = variables.get(condition.var)
            if actual is None:
                reason = Reason(kind="missing", detail=condition.var)
                return self.finding(rule, "cannot_check", target.subject, reason=reason, at=where)
            if not condition.holds(actual):
                shown = str(actual).lower() if isinstance(actual, bool) else f"{actual:g}"
                reason = Reason(kind="condition", detail=f"{condition.text()} ({condition.var} = {shown})")
                return self.finding(rule, "not_applicable", target.subject, reason=reason, at=where)
        if rule.applies_to.exempt_if and all(_holds(c, variables) for c in rule.applies_to.exempt_if):
            detail = " & ".join(c.text() for c in rule.applies_to.exempt_if)
            return self.finding(
                rule,
                "not_applicable",
                target.subject,
                reason=Reason(kind="condition", detail=detail),
                at=where,
            )
        load = variables["occupant_load"]
        if (rule.occupant_load is not None) and load is None:
            return self.finding(
                rule,
                "cannot_check",
                target.subject,
                reason=Reason(kind="missing", detail="occupant_load"),
                at=where,
            )
        measured = measure(rule, self.view, target)
        if measured.space_id is not None:
            where = (measured.space_id, target.element_id)
        if measured.value is None:
            if measured.reason is not None and measured.reason.kind == "no_windows":
                return self.finding(rule, "not_applicable", target.subject, reason=measured.reason, at=where)
            reason = measured.reason or Reason(kind="missing", detail=measured.missing or "")
            return self.finding(rule, "cannot_check", target.subject, reason=reason, at=where)
        limits = rule.limits(float(load) if load is not None else None)
        ok = _compare(rule, measured.value, limits)
        return self.finding(
            rule, "pass" if ok else "fail", target.subject, measured=measured.value, limit=limits, at=where
        )


def _rooms_named(rule: Rule) -> list[str]:
    """The room types a message names: those a presence rule looks for, or the neighbours."""
    if rule.metric is Metric.room_count:
        return [t.value for t in rule.applies_to.space_types]
    if rule.metric is Metric.opens_onto:
        return [t.value for t in rule.neighbours]
    return []


def _target_kind(rule: Rule) -> str:
    return {Scope.space: "space", Scope.door: "door", Scope.stair: "stair"}.get(rule.scope, rule.scope.value)


def _compare(rule: Rule, value: float, limits: tuple[float, float | None]) -> bool:
    tol = _TOLERANCE[rule.quantity]
    low, high = limits
    if rule.comparator == ">=":
        return value >= low - tol
    if rule.comparator == "<=":
        return value <= low + tol
    assert high is not None
    return low - tol <= value <= high + tol


def _holds(condition: Condition, variables: dict[str, float | bool | None]) -> bool:
    """An exemption holds only when its data is known (unknown → the rule is checked)."""
    actual = variables.get(condition.var)
    return actual is not None and condition.holds(actual)


def _with_alternatives(findings: list[Finding], rules: dict[str, Rule]) -> None:
    """A failed rule passes when one of its alternatives passed for the same subject."""
    passed = {(f.rule_id, f.subject.kind, f.subject.id) for f in findings if f.status == "pass"}
    for finding in findings:
        if finding.status != "fail" or finding.rule_id not in rules:  # engine findings have none
            continue
        for alternative in rules[finding.rule_id].alternatives:
            if (alternative, finding.subject.kind, finding.subject.id) in passed:
                finding.status = "pass"
                finding.satisfied_by = alternative
                break


def _unclassified(view: ModelView) -> list[Finding]:
    return [
        Finding(
            rule_id="SPACE-UNCLASSIFIED",
            status="cannot_check",
            severity="warning",
            space_id=space.id,
            metric="space_type",
            message="",
            message_key="space_unclassified",
            subject=Subject(kind="space", id=space.id, name=space.name),
            reason=Reason(kind="unclassified", detail=space.name),
        )
        for space in view.model.spaces
        if space.type is None
    ]


def _below_addin(view: ModelView, imperial: bool) -> list[Finding]:
    """A failed finding for every room of a layout under the add-in's smallest room.

    The payload model takes any positive area so that a check of a sent layout reports a
    room too small to build here instead of refusing the request. Drawings (DXF, DWG, IFC)
    are not add-in payloads: their shafts and niches are not reported.
    """
    if view.model.source.format != "layout":
        return []
    low = Room.ADDIN_AREA_M2[0]
    unit = display_unit(Quantity.area, "m2", imperial)
    found = []
    for space in view.model.spaces:
        area = space.declared_area_m2 if space.declared_area_m2 is not None else view.area(space)
        if area is None or area >= low - _TOLERANCE[Quantity.area]:
            continue
        found.append(
            Finding(
                rule_id=ADDIN_RULE_ID,
                status="fail",
                severity="error",
                space_id=space.id,
                metric=Metric.net_area.value,
                measured=rounded(from_engine(area, unit), unit),
                limit=rounded(from_engine(low, unit), unit),
                unit=unit,
                citation=ADDIN_CITATION,
                message="",
                message_key="area_min",
                subject=Subject(kind="space", id=space.id, name=space.name),
            )
        )
    return found


def check(model: BuildingModel, *, region: str, language: str, on: date | None = None) -> ComplianceReport:
    """Every rule in force for ``region`` on ``model``; messages in ``language``."""
    rules = rules_for(region, on)
    view = ModelView(model)
    evaluation = _Evaluation(rules, view, language)
    findings = _unclassified(view) + _below_addin(view, evaluation.imperial)
    for rule in rules.rules:
        findings.extend(evaluation.rule(rule))
    _with_alternatives(findings, rules.by_id())
    for finding in findings:
        finding.message = render(finding, language)
    by_space, by_rule = grouped(findings)
    return ComplianceReport(
        region=region,
        rules_version=rules.version,
        language=language,
        building_type=model.context.use,
        summary=summarise(findings),
        findings=findings,
        by_space=by_space,
        by_rule=by_rule,
        spaces={s.id: s.name for s in model.spaces},
    )
