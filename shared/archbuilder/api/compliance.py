"""``api_compliance``: check a layout (sent or stored) against a region's building code,
and list the rules with their citations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from archbuilder.api.common import REPORT_HTML_HEADERS, new_api, project_language
from archbuilder.billing.quotas import check_quota, consume_quota, require_feature
from archbuilder.billing.usage_ledger import new_usage_record
from archbuilder.compliance import (
    ComplianceReport,
    check_model,
    layout_to_model,
    render_report_html,
    rules_for,
)
from archbuilder.compliance.report import PassageRef
from archbuilder.compliance.schema import Rule
from archbuilder.domain.brief import Brief, BuildingType, RoomRequest, RoomType
from archbuilder.domain.building import BuildingModel
from archbuilder.domain.common import Language, RegionCode, StrictModel, invalid
from archbuilder.domain.ids import new_id
from archbuilder.domain.layout import LayoutPayload
from archbuilder.domain.permissions import require
from archbuilder.platform.http import Reply, RequestContext
from archbuilder.regulations.library import optional_library
from archbuilder.runtime import get_runtime
from archbuilder.services import layouts, uploads
from archbuilder.services.identity import Principal
from archbuilder.services.regulations import link_report, rule_passages

API = new_api("api_compliance")
CHECK_PERMISSION = "compliance:run"


class LayoutRef(StrictModel):
    project_id: str = Field(min_length=1, max_length=64)
    layout_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1)


class ModelRef(StrictModel):
    project_id: str = Field(min_length=1, max_length=64)
    model_id: str = Field(min_length=1, max_length=64)


class BuildingFacts(StrictModel):
    """What the layout cannot show about the building; rules that need it say so otherwise."""

    floors_above_ground: int | None = Field(default=None, ge=0, le=200)
    dwelling_units: int | None = Field(default=None, ge=0, le=10_000)
    building_height_m: float | None = Field(default=None, ge=0, le=1000)
    sprinklers: bool | None = None
    has_lift: bool | None = None


class CheckRequest(StrictModel):
    region: RegionCode | None = None  # default: the tenant's code region
    building_type: BuildingType | None = None  # default: the stored brief's, else apartment
    language: Language | None = None  # default: the caller's language
    layout: LayoutPayload | None = None  # rooms of any area > 0: too small is a finding, not a 422
    layout_ref: LayoutRef | None = None
    model_ref: ModelRef | None = None
    context: BuildingFacts | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CheckRequest:
        given = [n for n in ("layout", "layout_ref", "model_ref") if getattr(self, n) is not None]
        if len(given) != 1:
            raise invalid("check_one_source")
        return self


class CheckQuery(StrictModel):
    format: Literal["json", "html"] = "json"


class RulesQuery(StrictModel):
    region: RegionCode


class RuleList(BaseModel):
    region: str
    rules_version: str
    count: int
    rules: list[Rule]
    # Rule id → the passage of its article, for the rules whose text is in a regulation
    # library the caller sees (the tenant's or the global one).
    in_library: dict[str, PassageRef] = {}


@API.route(
    "POST",
    "/v1/compliance/check",
    summary="Check a layout against the region's building code (format=html for a printable page)",
    body=CheckRequest,
    query=CheckQuery,
    response=ComplianceReport,
    errors=(403, 404, 422),
    content_types=("application/json", "text/html"),
)
def check(ctx: RequestContext) -> ComplianceReport | Reply:
    """Checked against the quota first, counted only once the report is made: a 404 or a 422
    uses no check. ``consume_quota`` still refuses (402) when a concurrent call took the last."""
    principal = ctx.principal
    require(principal, CHECK_PERMISSION)
    body: CheckRequest = ctx.body
    region = body.region or principal.code_region
    language = body.language.value if body.language else _reader_language(ctx, body)
    ctx.language = language  # the answer's, errors included (Content-Language)
    runtime = get_runtime()
    require_feature(runtime.store, principal.tenant_id, "regions", region)
    check_quota(runtime.store, principal.tenant_id, "compliance_checks")
    report = _linked(_report(body, principal, region, language), principal)
    # Each check made is one unit: the source is ours, never the caller's correlation id (a
    # client that sends one id with every request would otherwise be counted once, ever).
    consume_quota(
        runtime.store,
        new_usage_record(principal.tenant_id, "compliance_check", 1, source=new_id("chk")),
        bus=runtime.bus,
    )
    if ctx.query.format == "html":
        return Reply(
            body=render_report_html(report, language),
            content_type="text/html; charset=utf-8",
            headers=dict(REPORT_HTML_HEADERS),
        )
    return report


def _linked(report: ComplianceReport, principal: Principal) -> ComplianceReport:
    """The report with each finding's passage from a regulation library the tenant sees."""
    library = optional_library(get_runtime())
    return report if library is None else link_report(library, principal.tenant_id, report)


def _reader_language(ctx: RequestContext, body: CheckRequest) -> str:
    """The language of the report when the body does not name one: Accept-Language, else the
    language of the stored layout's or model's project, else the caller's."""
    ref = body.layout_ref or body.model_ref
    return ctx.language_for(project_language(ctx.principal, ref.project_id) if ref else None)


def _report(body: CheckRequest, principal: Principal, region: str, language: str) -> ComplianceReport:
    """The report on the model or layout the request names (404 when it names nothing)."""
    model = (
        _stored_model(body.model_ref, principal) if body.model_ref else _layout_model(body, principal, region)
    )
    if body.context is not None:
        facts = body.context.model_dump(exclude_none=True)
        model = model.model_copy(update={"context": model.context.model_copy(update=facts)})
    return check_model(model, region=region, language=language)


def _stored_model(ref: ModelRef, principal: Principal) -> BuildingModel:
    runtime = get_runtime()
    return uploads.load_building_model(runtime.store, runtime.blobs, principal, ref.project_id, ref.model_id)


def _layout_model(body: CheckRequest, principal: Principal, region: str) -> BuildingModel:
    """The sent layout, or the stored version ``layout_ref`` names, as a building model."""
    layout_ref: dict[str, str | int] | None = None
    building_type = body.building_type
    if body.layout_ref is not None:
        runtime = get_runtime()
        ref = body.layout_ref
        # Read as the caller: another tenant's ids name nothing in this tenant's subtree (404).
        stored = layouts.get_version(
            runtime.store, runtime.blobs, principal, ref.project_id, ref.layout_id, ref.version
        )
        payload = stored.payload
        layout_ref = ref.model_dump()
        if building_type is None:
            building_type = layouts.get_layout(
                runtime.store, principal, ref.project_id, ref.layout_id
            ).brief.building_type
    else:
        assert body.layout is not None
        payload = body.layout
    brief = Brief(
        building_type=building_type or BuildingType.apartment,
        region=region,
        total_area_m2=max(11.0, sum(r.area_m2 for r in payload.rooms)),
        rooms=[RoomRequest(type=RoomType.living_room)],
    )
    return layout_to_model(payload, brief, layout_ref=layout_ref)


@API.route(
    "GET",
    "/v1/compliance/rules",
    summary="The rules in force for a region, with citations",
    query=RulesQuery,
    response=RuleList,
    errors=(403, 422),
)
def list_rules(ctx: RequestContext) -> RuleList:
    """The rules a check applies, for whoever may run one (``compliance:run``)."""
    require(ctx.principal, CHECK_PERMISSION)
    rules = rules_for(ctx.query.region)
    library = optional_library(get_runtime())
    in_library = (
        rule_passages(library, ctx.principal.tenant_id, rules.region, rules.rules)
        if library is not None
        else {}
    )
    return RuleList(
        region=rules.region,
        rules_version=rules.version,
        count=len(rules.rules),
        rules=list(rules.rules),
        in_library=in_library,
    )
