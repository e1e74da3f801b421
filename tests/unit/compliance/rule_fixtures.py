"""One passing and one failing building model per rule, generated from the rule itself.

For a rule, ``fixture(rule, passing)`` draws the smallest model the rule applies to:
context facts that meet its conditions (and miss its exemptions), then the element the
metric measures, sized just inside or just outside the limit.
"""

from __future__ import annotations

import math

from archbuilder.compliance.schema import Metric, Rule, Scope
from archbuilder.domain.building import (
    BuildingContext,
    BuildingModel,
    ModelDoor,
    ModelLevel,
    ModelPoint,
    ModelSpace,
    ModelStair,
    ModelWindow,
    SourceInfo,
)

DIRECT_VARS = ("floors_above_ground", "dwelling_units", "building_height_m", "sprinklers", "has_lift")


def _pick(rule: Rule) -> dict[str, float | bool]:
    """Values for the context variables that satisfy every condition and break an exemption."""
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    chosen: dict[str, float | bool] = {}
    for c in rule.applies_to.conditions:
        if isinstance(c.value, bool):
            chosen[c.var] = c.value if c.op == "==" else not c.value
        elif c.op in (">=", ">"):
            lower[c.var] = max(lower.get(c.var, -math.inf), c.value + (1 if c.op == ">" else 0))
        elif c.op in ("<=", "<"):
            upper[c.var] = min(upper.get(c.var, math.inf), c.value - (1 if c.op == "<" else 0))
        else:
            chosen[c.var] = c.value
    for var in set(lower) | set(upper):
        small = 5.0 if var == "occupant_load" else upper.get(var, 0.0)  # a small load needs no filler
        chosen[var] = lower[var] if var in lower else max(0.0, min(upper[var], small))
    for c in rule.applies_to.exempt_if[:1]:
        if c.var in chosen:
            continue
        if isinstance(c.value, bool):
            chosen[c.var] = not c.value
        else:
            chosen[c.var] = c.value + 1 if c.op in ("<=", "<", "==") else max(0.0, c.value - 1)
    return chosen


def _rect(x0: float, y0: float, w: float, d: float) -> list[ModelPoint]:
    return [
        ModelPoint(x=x0, y=y0),
        ModelPoint(x=x0 + w, y=y0),
        ModelPoint(x=x0 + w, y=y0 + d),
        ModelPoint(x=x0, y=y0 + d),
    ]


def _value(rule: Rule, passing: bool, load: float | None) -> float:
    low, high = rule.limits(load)
    if rule.comparator == "between":
        assert high is not None
        return (low + high) / 2 if passing else low * 0.9
    if rule.quantity.value == "count":
        return math.ceil(low) if passing else math.ceil(low) - 1
    if rule.comparator == ">=":
        return low * 1.05 + 1e-3 if passing else low * 0.9
    return low * 0.95 if passing else low * 1.1 + 1


def fixture(rule: Rule, passing: bool) -> BuildingModel:
    facts = _pick(rule)
    use = rule.applies_to.building_use[0].value
    if rule.applies_to.door_kind == "building_entrance" and use != "office":
        facts.setdefault("dwelling_units", 2)
    load = float(facts.pop("occupant_load", 5)) if rule.occupant_load else None
    context = BuildingContext(
        region=rule.region, use=use, **{k: v for k, v in facts.items() if k in DIRECT_VARS}
    )
    residential = use != "office"
    room_type = rule.applies_to.space_types[0] if rule.applies_to.space_types else None
    spaces: list[ModelSpace] = []
    doors: list[ModelDoor] = []
    windows: list[ModelWindow] = []
    stairs: list[ModelStair] = []
    level = ModelLevel(id="L1", name="L1", height_mm=2800)

    def space(sid: str, rtype: object, boundary: list[ModelPoint], height: float = 2800) -> ModelSpace:
        made = ModelSpace(
            id=sid,
            name=sid,
            type=rtype,
            level_id="L1",
            boundary=boundary,
            clear_height_mm=height,
            dwelling_id="1" if residential else None,
        )
        spaces.append(made)
        return made

    value = _value(rule, passing, load)
    metric = rule.metric
    if metric is Metric.net_area:
        side = math.sqrt(value) * 1000
        space("S1", room_type, _rect(0, 0, side, side))
    elif metric in (Metric.narrow_side, Metric.clear_width):
        space("S1", room_type, _rect(0, 0, value, max(6000.0, 2 * value)))
    elif metric is Metric.clear_height:
        space("S1", room_type, _rect(0, 0, 4000, 4000), height=value)
    elif metric in (
        Metric.window_count,
        Metric.glazing_ratio,
        Metric.window_sill,
        Metric.largest_window_area,
        Metric.rescue_window_count,
    ):
        space("S1", room_type, _rect(0, 0, 4000, 2500))  # 10 m²
        if metric is Metric.window_count:
            sizes = [(1200.0, 1400.0, 900.0)] * int(value)
        elif metric is Metric.glazing_ratio:
            sizes = [(1000.0, value * 10_000, 900.0)]
        elif metric is Metric.window_sill:
            sizes = [(1200.0, 1400.0, value)]
        elif metric is Metric.largest_window_area:
            sizes = [(1000.0, value * 1000, 900.0)]
        else:
            w, h = rule.arg_mm("min_width"), rule.arg_mm("min_height")
            scale = 1.05 if passing else 0.8
            sizes = [(w * scale, h * scale, 500.0)]
        windows = [
            ModelWindow(id=f"N{i}", level_id="L1", width_mm=w, height_mm=h, sill_height_mm=s, space_id="S1")
            for i, (w, h, s) in enumerate(sizes)
        ]
    elif metric is Metric.opens_onto:
        # The space, one of its forbidden neighbours and a hall; its door leads into the
        # neighbour when failing, into the hall when passing. Two main rooms besides, so a
        # one-room exemption (FR CSP R.1331-30) does not hold.
        space("S1", room_type, _rect(0, 0, 1200, 1500))
        space("S2", rule.neighbours[0], _rect(1300, 0, 3000, 3000))
        space("S3", "hall", _rect(0, 1600, 1200, 1400))
        space("S4", "living_room", _rect(4400, 0, 4000, 4000))
        space("S5", "bedroom", _rect(8500, 0, 3000, 3000))
        into = "S3" if passing else "S2"
        position = ModelPoint(x=600, y=1550) if passing else ModelPoint(x=1250, y=750)
        doors.append(
            ModelDoor(
                id="D1",
                level_id="L1",
                position=position,
                clear_width_mm=800,
                height_mm=2100,
                space_ids=["S1", into],
                is_entrance=False,
            )
        )
    elif rule.scope is Scope.door:
        space("S1", "living_room", _rect(0, 0, 4000, 4000))
        space("S2", "bedroom", _rect(4100, 0, 4000, 4000))
        entrance = rule.applies_to.door_kind in ("entrance", "building_entrance")
        doors.append(
            ModelDoor(
                id="D1",
                level_id="L1",
                position=ModelPoint(x=4050, y=2000) if not entrance else ModelPoint(x=-50, y=2000),
                clear_width_mm=value if metric is Metric.door_clear_width else 900,
                height_mm=value if metric is Metric.door_height else 2100,
                space_ids=["S1"] if entrance else ["S1", "S2"],
                is_entrance=entrance,
            )
        )
    elif rule.scope is Scope.stair:
        space("S1", "hall", _rect(0, 0, 4000, 4000))
        fields = {"clear_width_mm": 1200.0, "riser_mm": 170.0, "tread_mm": 280.0, "headroom_mm": 2200.0}
        key = {
            Metric.stair_width: "clear_width_mm",
            Metric.riser: "riser_mm",
            Metric.tread: "tread_mm",
            Metric.headroom: "headroom_mm",
        }
        if metric is Metric.step_formula:
            fields["riser_mm"], fields["tread_mm"] = 160.0, value - 320.0
        else:
            fields[key[metric]] = value
        stairs.append(ModelStair(id="T1", level_id="L1", **fields))
    elif metric is Metric.room_count:
        space("S0", "storage" if room_type != "storage" else "hall", _rect(0, 0, 2000, 2000))
        for i in range(int(value)):
            space(f"S{i + 1}", room_type, _rect(3000 * (i + 1), 0, 2500, 2500))
    elif metric is Metric.dwelling_area:
        side = math.sqrt(value) * 1000
        space("S1", room_type or "living_room", _rect(0, 0, side, side))
    elif metric is Metric.largest_room_area:
        side = math.sqrt(value) * 1000
        space(
            "S1", room_type, _rect(0, 0, side, side), height=2800 if passing else 1000
        )  # fail the volume too
    elif metric is Metric.largest_room_volume:
        area = 10.0 if passing else 5.0  # under the area alternative when failing
        side = math.sqrt(area) * 1000
        space("S1", room_type, _rect(0, 0, side, side), height=value / area * 1000)
    elif metric in (Metric.travel_distance, Metric.exit_travel_distance):
        length = math.sqrt(value**2 - 500**2)
        space("S1", "living_room" if residential else "office", _rect(0, 0, length, 1000))
        doors.append(
            ModelDoor(
                id="D1",
                level_id="L1",
                position=ModelPoint(x=-50, y=500),
                clear_width_mm=1000,
                height_mm=2100,
                space_ids=["S1"],
                is_entrance=True,
            )
        )
    elif metric is Metric.floor_height:
        level = ModelLevel(id="L1", name="L1", height_mm=value)
        space("S1", "living_room", _rect(0, 0, 4000, 4000))
    elif metric in (Metric.exit_count, Metric.exit_width, Metric.widest_exit):
        space("S1", "office" if not residential else "living_room", _rect(0, 0, 4000, 4000))
        count = int(value) if metric is Metric.exit_count else 1
        width = value if metric is not Metric.exit_count else 1000
        doors.extend(
            ModelDoor(
                id=f"D{i}",
                level_id="L1",
                position=ModelPoint(x=-50, y=500 + i * 100),
                clear_width_mm=width,
                height_mm=2100,
                space_ids=["S1"],
                is_entrance=True,
            )
            for i in range(count)
        )
    elif metric is Metric.lift_present:
        space("S1", "living_room", _rect(0, 0, 4000, 4000))
        context = context.model_copy(update={"has_lift": bool(value)})
    else:
        raise AssertionError(metric)

    if load is not None and rule.occupant_load is not None:
        have = sum(_area(s) for s in spaces)
        missing = load * rule.occupant_load.area_per_person_m2 - have - 0.5
        if missing > 0:
            side = math.sqrt(missing) * 1000
            space("FILL", "storage", _rect(0, -side - 5000, side, side))
            if metric in (Metric.travel_distance, Metric.exit_travel_distance):
                doors.append(
                    ModelDoor(
                        id="DF",
                        level_id="L1",
                        position=ModelPoint(x=side / 2, y=-5000 + 50),
                        clear_width_mm=1000,
                        height_mm=2100,
                        space_ids=["FILL"],
                        is_entrance=True,
                    )
                )
    return BuildingModel(
        source=SourceInfo(format="layout"),
        context=context,
        levels=[level],
        spaces=spaces,
        doors=doors,
        windows=windows,
        stairs=stairs,
    )


def _area(space: ModelSpace) -> float:
    from archbuilder.compliance.geometry import area_m2

    return area_m2([(p.x, p.y) for p in space.boundary])
