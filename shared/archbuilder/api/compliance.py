"""``api_compliance``: check a layout (sent or stored) against a region's building code,
and list the rules with their citations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from archbuilder.api.common import new_api
from archbuilder.billing.quotas import consume_quota, require_feature
from archbuilder.billing.usage_ledger import new_usage_record
from archbuilder.compliance import (
    ComplianceReport,
    check_model,
    layout_to_model,
    render_report_html,
    rules_for,
)
from archbuilder.compliance.schema import Rule
from archbuilder.domain.brief import Brief, BuildingType, RoomRequest, RoomType
from archbuilder.domain.common import Language, RegionCode, StrictModel
from archbuilder.domain.layout import LayoutPayload
from archbuilder.domain.permissions import require
from archbuilder.platform.http import Reply, RequestContext
from archbuilder.runtime import get_runtime
from archbuilder.services import layouts, uploads

API = new_api("api_compliance")
CHECK_PERMISSION = "compliance:run"
HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
}


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
    layout: LayoutPayload | None = None
    layout_ref: LayoutRef | None = None
    model_ref: ModelRef | None = None
    context: BuildingFacts | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CheckRequest:
        given = [n for n in ("layout", "layout_ref", "model_ref") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of layout, layout_ref or model_ref")
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
    principal = ctx.principal
    require(principal, CHECK_PERMISSION)
    body: CheckRequest = ctx.body
    region = body.region or principal.code_region
    language = (body.language.value if body.language else None) or ctx.language
    runtime = get_runtime()
    store = runtime.store
    require_feature(store, principal.tenant_id, "regions", region)
    consume_quota(
        store,
        new_usage_record(principal.tenant_id, "compliance_check", 1, source=ctx.correlation_id),
        bus=runtime.bus,
    )
    if body.model_ref is not None:
        ref_model = body.model_ref
        stored_model = uploads.load_building_model(
            store, runtime.blobs, principal, ref_model.project_id, ref_model.model_id
        )
        if body.context is not None:
            facts = body.context.model_dump(exclude_none=True)
            stored_model = stored_model.model_copy(
                update={"context": stored_model.context.model_copy(update=facts)}
            )
        report = check_model(stored_model, region=region, language=language)
        if ctx.query.format == "html":
            return Reply(
                body=render_report_html(report, language),
                content_type="text/html; charset=utf-8",
                headers=HTML_HEADERS,
            )
        return report
    layout_ref: dict[str, str | int] | None = None
    building_type = body.building_type
    if body.layout_ref is not None:
        ref = body.layout_ref
        # Read as the caller: another tenant's ids name nothing in this tenant's subtree (404).
        stored = layouts.get_version(
            store, runtime.blobs, principal, ref.project_id, ref.layout_id, ref.version
        )
        payload = stored.payload
        layout_ref = ref.model_dump()
        if building_type is None:
            building_type = layouts.get_layout(
                store, principal, ref.project_id, ref.layout_id
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
    model = layout_to_model(payload, brief, layout_ref=layout_ref)
    if body.context is not None:
        facts = body.context.model_dump(exclude_none=True)
        model = model.model_copy(update={"context": model.context.model_copy(update=facts)})
    report = check_model(model, region=region, language=language)
    if ctx.query.format == "html":
        return Reply(
            body=render_report_html(report, language),
            content_type="text/html; charset=utf-8",
            headers=HTML_HEADERS,
        )
    return report


@API.route(
    "GET",
    "/v1/compliance/rules",
    summary="The rules in force for a region, with citations",
    query=RulesQuery,
    response=RuleList,
    errors=(422,),
)
def list_rules(ctx: RequestContext) -> RuleList:
    rules = rules_for(ctx.query.region)
    return RuleList(
        region=rules.region, rules_version=rules.version, count=len(rules.rules), rules=list(rules.rules)
    )
