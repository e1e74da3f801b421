"""The ``POST /v1/briefs:parse`` use case: who may ask, and the public answer (ARCHITECTURE.md §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from archbuilder.ai.tasks import parse_brief
from archbuilder.domain.brief import Brief
from archbuilder.domain.common import Language, RegionCode, StrictModel
from archbuilder.domain.permissions import require

if TYPE_CHECKING:
    from archbuilder.runtime import Runtime
    from archbuilder.services.identity import Principal


class BriefParseRequest(StrictModel):
    text: str = Field(min_length=1, max_length=4000)
    language: Language | None = None
    region: RegionCode | None = None


class BriefParsed(BaseModel):
    brief: Brief
    confidence: float
    assumptions: list[str]
    provider: str
    model: str


def parse_brief_text(
    principal: Principal, request: BriefParseRequest, runtime: Runtime, *, correlation_id: str | None = None
) -> BriefParsed:
    """Read the caller's text into a brief; the region defaults to the tenant's code region."""
    require(principal, "layouts:write")
    parsed = parse_brief(
        request.text,
        request.language.value if request.language else None,
        request.region or principal.code_region,
        tenant_id=principal.tenant_id,
        runtime=runtime,
        correlation_id=correlation_id,
    )
    return BriefParsed(
        brief=parsed.brief,
        confidence=parsed.confidence,
        assumptions=parsed.assumptions,
        provider=parsed.provider,
        model=parsed.model,
    )
