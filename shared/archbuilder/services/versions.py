"""Making a layout version: validate every variant, check compliance, review the design, store it
without overwriting.

Used by the layout worker (planned variants) and by reviews (a corrected payload), so a
version is checked the same way whoever made it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from archbuilder.domain.brief import Brief
from archbuilder.domain.layout import (
    LayoutPayload,
    LayoutVersionPublic,
    PlanResult,
    VariantSummary,
    payload_checksum,
)
from archbuilder.domain.timestamps import now
from archbuilder.layout.validation import layout_problems, rule_problems
from archbuilder.platform.errors import AlreadyExists, Unprocessable
from archbuilder.platform.logging import get_logger, log_fields
from archbuilder.repositories import TenantPaths, dump
from archbuilder.runtime import Runtime
from archbuilder.services.design_reviews import review_payload
from archbuilder.services.layouts import artifact_name, compliance_summary

_log = get_logger("archbuilder.versions")


def check_payload(payload: LayoutPayload, brief: Brief) -> None:
    """``LAYOUT_INVALID`` unless the payload passes the geometry checks and the region's minimums."""
    assert brief.footprint is not None and brief.region is not None
    # The region's minimums first: a room made too small or too narrow (a wall moved too far) is
    # what its reader must change, and the doors it no longer holds follow from it.
    problems = rule_problems(payload, brief.region, brief.building_type)
    problems += layout_problems(payload, brief.footprint.points())
    _log.info(
        "layout validated",
        extra=log_fields(
            metric="layout_validated", valid=not problems, code="LAYOUT_INVALID" if problems else None
        ),
    )
    if problems:
        shown = problems[:5]
        raise Unprocessable(
            code="LAYOUT_INVALID",
            problems=[p.text for p in shown],  # English, as before the problems had codes
            problem_reasons=[{"code": p.code, "params": dict(p.params)} for p in shown],
        )


def build_version(
    runtime: Runtime,
    paths: TenantPaths,
    *,
    brief: Brief,
    variants: list[PlanResult],
    project_id: str,
    layout_id: str,
    version: int,
    source: str,
    metadata: dict[str, Any],
    parent_version: int | None = None,
    created_by: str | None = None,
) -> LayoutVersionPublic:
    """Check every variant, store their compliance reports and payloads, and store the version
    with the design review of every variant (advice, kept without its words: read in any language).

    Create-if-absent: a concurrent writer of the same version number wins and this one is
    dropped. Returns the stored version.
    """
    from archbuilder.compliance import check_model, layout_to_model

    assert brief.region is not None and brief.language is not None
    for result in variants:
        check_payload(result.payload, brief)
    reports = [
        check_model(layout_to_model(result.payload, brief), region=brief.region, language=brief.language)
        for result in variants
    ]
    reviews = [review_payload(result.payload, brief) for result in variants]
    for report in reports:
        summary = compliance_summary(report).get("summary") or {}
        _log.info(
            "compliance checked",
            extra=log_fields(
                metric="compliance_checked", pass_rate=summary.get("pass_rate"), code_region=brief.region
            ),
        )
    folder = artifact_name(paths, project_id, layout_id, version, "json").rsplit("/", 1)[0]
    for rank, (result, report) in enumerate(zip(variants, reports, strict=True), start=1):
        runtime.blobs.put(
            f"{folder}/compliance-{rank}.json",
            report.model_dump_json().encode(),
            content_type="application/json",
        )
        if rank > 1:
            runtime.blobs.put(
                f"{folder}/variants/{rank}.json",
                result.payload.model_dump_json().encode(),
                content_type="application/json",
            )
    best = variants[0]
    record = LayoutVersionPublic(
        layout_id=layout_id,
        project_id=project_id,
        version=version,
        created_at=now(),
        source=source,
        payload=best.payload,
        # Every version keeps the brief it was made from (a revision edits it).
        metadata={"brief": brief.model_dump(mode="json"), **metadata},
        compliance=compliance_summary(reports[0]),
        design_review=reviews[0],
        variants=[
            VariantSummary(
                rank=rank,
                score=result.metadata.get("score"),
                room_count=len(result.payload.rooms),
                compliance=compliance_summary(report),
                design_review=review,
            )
            for rank, (result, report, review) in enumerate(
                zip(variants, reports, reviews, strict=True), start=1
            )
        ],
        parent_version=parent_version,
        created_by=created_by,
        checksum=payload_checksum(best.payload),
    )
    path = paths.version(project_id, layout_id, version)
    with contextlib.suppress(AlreadyExists):
        runtime.store.create(path, dump(record))
    stored = runtime.store.get(path)
    assert stored is not None
    return LayoutVersionPublic.model_validate(stored.data)


def has_error_findings(record: LayoutVersionPublic) -> bool:
    summary = (record.compliance or {}).get("summary") or {}
    return bool(summary.get("errors"))
