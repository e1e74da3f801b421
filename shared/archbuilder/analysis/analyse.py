"""``analyse(model, facts, model_id)``: the whole analysis of one ingested model.

Health and performance findings (``checks``), the area schedule (``areas``), a short,
ranked list of what to fix first, each pointing at its findings, and the design review of
each storey (``design_review``: advice, not findings). The recommendations are
written from templates (``analysis.yaml``, section ``advice``) with the findings' own
counts: nothing in them is not in a finding.
"""

from __future__ import annotations

import math
from collections import Counter

from archbuilder.analysis.areas import area_schedule
from archbuilder.analysis.checks import (
    bytes_per_element,
    health_findings,
    performance_findings,
    proxy_share_pct,
)
from archbuilder.analysis.design_review import design_review
from archbuilder.analysis.plan import Plan
from archbuilder.analysis.report import (
    SEVERITY_RANK,
    Finding,
    HeavyElement,
    ModelAnalysis,
    Performance,
    Recommendation,
    StoreyCount,
)
from archbuilder.domain.building import BuildingModel
from archbuilder.domain.model_facts import ModelFacts

MAX_RECOMMENDATIONS = 5
_WEIGHT = {"error": 10.0, "warning": 3.0, "info": 1.0}
# Findings that are one fix together (one recommendation for the group).
_ADVICE_OF = {
    "opening_without_host": "fix_openings",
    "opening_in_no_wall": "fix_openings",
    "door_window_fills_no_opening": "fix_openings",
    "door_without_wall": "fix_openings",
    "space_without_boundary": "fix_spaces",
    "zero_size_space": "fix_spaces",
    "spaces_overlap": "fix_spaces",
    "space_outside_storeys": "fix_spaces",
    "floor_not_covered": "add_spaces",
    "space_unnamed": "name_spaces",
    "space_unclassified": "name_spaces",
    "wall_without_thickness": "fix_walls",
    "wall_without_type": "fix_walls",
    "zero_size_wall": "fix_walls",
    "duplicate_elements": "remove_duplicates",
    "missing_property": "add_properties",
    "storey_elevation_noise": "round_storeys",
    "missing_units": "set_units",
    "missing_georeference": "georeference",
    "missing_georeference_ifc2x3": "georeference",
    "heavy_elements": "simplify_geometry",
    "bytes_per_element": "simplify_geometry",
    "proxy_share": "classify_proxies",
    "types_used_once": "replace_in_place_families",
}


def analyse(model: BuildingModel, facts: ModelFacts | None, model_id: str) -> ModelAnalysis:
    facts = facts or ModelFacts()
    plan = Plan(model)
    findings = health_findings(plan, facts) + performance_findings(facts)
    findings.sort(key=lambda f: (SEVERITY_RANK[f.severity], f.category != "health", f.code))
    for n, finding in enumerate(findings, start=1):
        finding.id = f"F{n}"
    counts = Counter(f.severity for f in findings)
    not_checked = [] if model.source.format == "ifc" else ["ifc_only_checks"]
    return ModelAnalysis(
        model_id=model_id,
        source_format=model.source.format,
        schema_name=model.source.schema_name,
        region=model.context.region,
        use=model.context.use,
        counts={s: counts.get(s, 0) for s in ("error", "warning", "info")},
        findings=findings,
        performance=_performance(facts),
        areas=area_schedule(plan),
        recommendations=recommendations(findings),
        design_review=design_review(plan),
        not_checked=not_checked,
    )


def recommendations(findings: list[Finding]) -> list[Recommendation]:
    """What to fix first: findings grouped by the fix they need, ranked by severity and how
    many elements they concern (each group's weight: its worst severity's weight times
    1 + log10 of its element count)."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(_ADVICE_OF.get(finding.code, finding.code), []).append(finding)

    def weight(items: list[Finding]) -> float:
        worst = max(_WEIGHT[f.severity] for f in items)
        return worst * (1.0 + math.log10(max(1, sum(f.count for f in items))))

    ranked = sorted(groups.items(), key=lambda kv: (-weight(kv[1]), kv[0]))
    return [
        Recommendation(
            rank=rank,
            code=code,
            params={"count": sum(f.count for f in items)},
            finding_ids=[f.id for f in items],
        )
        for rank, (code, items) in enumerate(ranked[:MAX_RECOMMENDATIONS], start=1)
    ]


def _performance(facts: ModelFacts) -> Performance:
    share = proxy_share_pct(facts)
    per_element = bytes_per_element(facts)
    return Performance(
        file_bytes=facts.file_bytes,
        elements=facts.products,
        bytes_per_element=round(per_element, 1) if per_element is not None else None,
        total_vertices=facts.total_vertices,
        proxy_share_pct=round(share, 1) if share is not None else None,
        types_used_once=facts.types_used_once.count,
        heaviest=[
            HeavyElement(ref=h.ref, type=h.ifc_type, name=h.name, vertices=h.vertices) for h in facts.heaviest
        ],
        per_storey=[StoreyCount(ref=s.ref, name=s.name, elements=s.elements) for s in facts.storeys],
    )
