"""The compliance report (ARCHITECTURE.md §4): summary, findings, and the same findings
grouped by space and by rule. Field names of the §4 shape are the public contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["pass", "fail", "not_applicable", "cannot_check"]


class Citation(BaseModel):
    document: str
    article: str
    short: str
    edition: str | None = None
    status: Literal["verified", "unverified", "derived"]
    # A code for what the source says about its article ("paragraph_unverified"), worded in
    # the reader's language where the citation is shown.
    note: str | None = None


class PassageRef(BaseModel):
    """The passage of a regulation library (the tenant's or the global one) that a citation names."""

    document_id: str
    document: str  # the document's title
    edition: str | None = None
    article: str | None  # the passage's citation as the document writes it ("Madde 29 (1)")
    page: int | None = None
    snippet: str
    link: str  # GET it with the caller's credential: the passage and its whole text


class Subject(BaseModel):
    """What a finding is about: a space, a door, a stair, a dwelling, a storey, the building."""

    kind: Literal["space", "door", "stair", "dwelling", "storey", "building"]
    id: str | None = None
    name: str | None = None


class Reason(BaseModel):
    """Why a rule was not applicable or could not be checked."""

    kind: Literal["condition", "missing", "use", "no_targets", "no_windows", "unclassified", "unreachable"]
    detail: str = ""  # the condition, the missing data, the building use …


class Finding(BaseModel):
    rule_id: str
    status: Status
    severity: Literal["error", "warning", "info"]
    space_id: str | None = None
    element_id: str | None = None  # the door, stair or window when the rule is about one
    metric: str
    measured: float | None = None
    limit: float | list[float] | None = None
    unit: str | None = None
    citation: Citation | None = None
    # The cited article's text in a library the reader sees (added when the report is read).
    passage: PassageRef | None = None
    message: str
    message_key: str
    subject: Subject
    reason: Reason | None = None
    satisfied_by: str | None = None  # the alternative rule that passed instead
    rooms: list[str] = Field(default_factory=list)  # room types a presence rule looks for


class Summary(BaseModel):
    errors: int
    warnings: int
    passed: int
    not_applicable: int
    cannot_check: int
    pass_rate: float | None  # passed ÷ (passed + failed); None when nothing was evaluated


class ComplianceReport(BaseModel):
    region: str
    rules_version: str
    language: str
    building_type: str | None = None
    summary: Summary
    findings: list[Finding]
    by_space: dict[str, list[int]] = Field(default_factory=dict)  # space id → finding indexes
    by_rule: dict[str, list[int]] = Field(default_factory=dict)  # rule id → finding indexes
    spaces: dict[str, str] = Field(default_factory=dict)  # space id → name, for the groups

    @property
    def has_errors(self) -> bool:
        return self.summary.errors > 0


def summarise(findings: list[Finding]) -> Summary:
    passed = sum(f.status == "pass" for f in findings)
    failed = [f for f in findings if f.status == "fail"]
    errors = sum(f.severity == "error" for f in failed)
    evaluated = passed + len(failed)
    return Summary(
        errors=errors,
        warnings=len(failed) - errors,
        passed=passed,
        not_applicable=sum(f.status == "not_applicable" for f in findings),
        cannot_check=sum(f.status == "cannot_check" for f in findings),
        pass_rate=round(passed / evaluated, 4) if evaluated else None,
    )


def grouped(findings: list[Finding]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    by_space: dict[str, list[int]] = {}
    by_rule: dict[str, list[int]] = {}
    for index, finding in enumerate(findings):
        if finding.space_id is not None:
            by_space.setdefault(finding.space_id, []).append(index)
        by_rule.setdefault(finding.rule_id, []).append(index)
    return by_space, by_rule
