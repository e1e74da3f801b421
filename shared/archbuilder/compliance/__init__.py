"""Compliance: building models checked rule by rule against their region's building code.

Public API (the layout worker, CAD ingestion and the planner call these):
``check_model``, ``layout_to_model``, ``render_report_html``, ``classify_space``,
``room_minimums``; the report model is ``ComplianceReport``.
"""

from __future__ import annotations

from datetime import date

from archbuilder.compliance.classification import classify_space
from archbuilder.compliance.conversion import layout_to_model
from archbuilder.compliance.engine import check
from archbuilder.compliance.html_report import render_report_html
from archbuilder.compliance.loader import RuleFileError, load_all, rules_for
from archbuilder.compliance.minimums import RoomMinimum, room_minimums
from archbuilder.compliance.report import ComplianceReport, Finding, Summary
from archbuilder.domain.building import BuildingModel

__all__ = [
    "ComplianceReport",
    "Finding",
    "RoomMinimum",
    "RuleFileError",
    "Summary",
    "check_model",
    "classify_space",
    "layout_to_model",
    "load_all",
    "render_report_html",
    "room_minimums",
    "rules_for",
]


def check_model(
    model: BuildingModel, *, region: str, language: str, on: date | None = None
) -> ComplianceReport:
    """Check ``model`` against the rules of ``region`` in force ``on`` (today by default)."""
    return check(model, region=region, language=language, on=on)
