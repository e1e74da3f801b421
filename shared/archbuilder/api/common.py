"""What every HTTP function's ``Api`` shares: authentication, rate limits, audit, settings."""

from __future__ import annotations

from flask import Request

from archbuilder.platform.errors import ArchBuilderError
from archbuilder.platform.http import Api, RequestContext
from archbuilder.runtime import get_runtime
from archbuilder.services import audit, rate_limits
from archbuilder.services.identity import Principal, authenticate_api_key

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A tenant restricted to reading (unpaid past the grace period) may still pay, and take its data.
_ALWAYS_WRITABLE = ("/v1/billing/", "/v1/privacy/export")


def authenticate(request: Request) -> Principal:
    """The caller behind ``X-API-Key`` (Firebase ID tokens come with the identity issue)."""
    principal = authenticate_api_key(get_runtime().store, request.headers.get("X-API-Key"))
    if principal.read_only and request.method in _WRITES and not request.path.startswith(_ALWAYS_WRITABLE):
        raise ArchBuilderError(code="ACCOUNT_READ_ONLY", status=402)
    return principal


def rate_limit(principal: Principal) -> dict[str, str]:
    return rate_limits.enforce(
        get_runtime().store,
        tenant_id=principal.tenant_id,
        plan_name=principal.plan,
        api_key_id=principal.api_key_id,
    )


def record_audit(ctx: RequestContext, action: str, status: int) -> None:
    audit.record(
        get_runtime().store,
        ctx.principal,
        action=action,
        method=ctx.request.method,
        resource=ctx.request.path,
        status=status,
        correlation_id=ctx.correlation_id,
        # Behind the load balancer the client is the first address it saw.
        source_ip=(ctx.request.access_route[0] if ctx.request.access_route else ctx.request.remote_addr),
    )


def new_api(name: str) -> Api:
    return Api(
        name,
        authenticate=authenticate,
        rate_limit=rate_limit,
        audit=record_audit,
        default_language=lambda: get_runtime().settings.default_language,
        max_body_bytes=lambda: get_runtime().settings.max_body_bytes,
    )
