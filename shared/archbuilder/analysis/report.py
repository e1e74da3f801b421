"""The model analysis as stored and served: findings, performance, area schedule, advice.

Stored without words (codes and values) when the model is ingested; ``wording.worded`` puts
the sentences in the reader's language when it is read, so one analysis serves every
language.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["error", "warning", "info"]
Category = Literal["health", "performance", "areas"]
SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


class ElementRef(BaseModel):
    """An element of the source file: IFC GlobalId or DXF handle, and what it is."""

    ref: str
    type: str | None = None  # IfcWall, IfcSpace … or the model's own kind (space, wall, door)
    name: str | None = None


class Location(BaseModel):
    """A point of the model to look at (mm, the model's plan coordinates; z the storey's)."""

    x: float
    y: float
    z: float = 0.0


class Finding(BaseModel):
    id: str  # F1, F2 … in the order of the report
    category: Category
    code: str  # a key of platform/messages/analysis.yaml
    severity: Severity
    count: int = Field(default=1, ge=0)  # how many elements or cases the finding stands for
    params: dict[str, str | int | float] = Field(default_factory=dict)
    elements: list[ElementRef] = Field(default_factory=list)  # the first of them (see count)
    location: Location | None = None
    message: str | None = None  # worded on reading


class HeavyElement(BaseModel):
    ref: str
    type: str
    name: str | None = None
    vertices: int


class StoreyCount(BaseModel):
    ref: str
    name: str
    elements: int


class Performance(BaseModel):
    file_bytes: int
    elements: int
    bytes_per_element: float | None = None
    total_vertices: int = 0
    proxy_share_pct: float | None = None
    types_used_once: int = 0
    heaviest: list[HeavyElement] = Field(default_factory=list)
    per_storey: list[StoreyCount] = Field(default_factory=list)


class AreaRow(BaseModel):
    """One storey, or one space type of one storey."""

    level: str
    space_type: str | None = None  # None on a storey's total row
    spaces: int = 0
    net_m2: float = 0.0
    gross_m2: float | None = None
    efficiency_pct: float | None = None  # net / gross
    usual_pct: tuple[float, float] | None = None  # the usual efficiency range for the building's use
    within_usual: bool | None = None


class Recommendation(BaseModel):
    rank: int
    code: str  # a key of the "advice" section of analysis.yaml
    params: dict[str, str | int | float] = Field(default_factory=dict)
    finding_ids: list[str]
    text: str | None = None  # worded on reading


ReviewStatus = Literal["good", "advice", "problem", "not_applicable", "not_assessable"]


class ReviewItem(BaseModel):
    """One check of a storey's design review (``analysis/design_review.py``): its status, the
    measured value and the spaces it names, or why the model cannot answer it."""

    id: str  # entrance_into_hall, private_access … room_daylight (check_<id> in design_review.yaml)
    status: ReviewStatus
    value: float | None = None
    unit: str | None = None
    target: str | None = None
    rooms: list[str] = Field(default_factory=list)  # the spaces' names
    message_key: str | None = None  # a key of design_review.yaml; None when not assessable
    reason: str | None = None  # not assessable: reason_<reason> in design_review.yaml
    unjudged: list[str] = Field(default_factory=list)  # spaces left out: no door in the model
    message: str | None = None  # worded on reading


class StoreyReview(BaseModel):
    """The design review of one storey: advice, not a finding of the health list."""

    level: str
    spaces: int = 0  # spaces with an outline and a room type, the ones reviewed
    reason: str | None = None  # set when the storey cannot be reviewed at all
    checks: list[ReviewItem] = Field(default_factory=list)
    summary: dict[str, int] = Field(default_factory=dict)  # checks by status


class ModelAnalysis(BaseModel):
    schema_version: Literal["1.0"] = "1.0"
    model_id: str
    source_format: str
    schema_name: str | None = None
    region: str | None = None
    use: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)  # findings by severity
    findings: list[Finding] = Field(default_factory=list)
    performance: Performance
    areas: list[AreaRow] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    design_review: list[StoreyReview] = Field(default_factory=list)  # per storey
    compliance_url: str | None = None  # the model's compliance report
    language: str | None = None  # set when worded
    # Who wrote the recommendations' sentences, set when worded: "builtin" (the templates) or
    # the model provider that phrased them (openai, gemini).
    phrased_by: str | None = None
    not_checked: list[str] = Field(default_factory=list)  # what this source cannot tell (codes)
