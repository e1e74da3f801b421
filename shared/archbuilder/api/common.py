"""What every HTTP function's ``Api`` shares: authentication, rate limits, audit, settings."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flask import Request

from archbuilder.domain.job import Job
from archbuilder.platform.errors import ArchBuilderError, Unauthenticated
from archbuilder.platform.http import Api, RequestContext
from archbuilder.repositories import TenantPaths
from archbuilder.runtime import get_runtime
from archbuilder.services import audit, rate_limits
from archbuilder.services.identity import Principal, authenticate_api_key, principal_for_member

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Our self-contained HTML reports (compliance, design review, model analysis): inline styles
# only, nothing else may load, and no page may frame them.
REPORT_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
}
# A tenant restricted to reading (unpaid past the grace period) may still pay, and take its data.
_ALWAYS_WRITABLE = ("/v1/billing/", "/v1/privacy/export")


# Routes where a revoked Firebase session must stop at once (revocation costs a lookup).
_SENSITIVE = ("/v1/api-keys", "/v1/billing", "/v1/privacy", "/v1/webhooks", "/v1/members")


def authenticate(request: Request) -> Principal:
    """The caller: a person (``Authorization: Bearer <Firebase ID token>``) or a machine (``X-API-Key``)."""
    runtime = get_runtime()
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer ") and "X-API-Key" not in request.headers:
        project = runtime.settings.firebase_project
        if not project:
            raise Unauthenticated()
        sensitive = request.method == "DELETE" or request.path.startswith(_SENSITIVE)
        identity = _verifier(project).verify(authorization[7:].strip(), check_revoked=sensitive)
        principal = principal_for_member(
            runtime.store, tenant_id=identity.tenant_id, role=identity.role, uid=identity.uid
        )
    else:
        principal = authenticate_api_key(runtime.store, request.headers.get("X-API-Key"), runtime.credentials)
    if principal.read_only and request.method in _WRITES and not request.path.startswith(_ALWAYS_WRITABLE):
        raise ArchBuilderError(code="ACCOUNT_READ_ONLY", status=402)
    return principal


@lru_cache(maxsize=4)
def _verifier(project: str) -> Any:
    from archbuilder.adapters.gcp.firebase_auth import FirebaseTokenVerifier

    return FirebaseTokenVerifier(project)


def rate_limit(principal: Principal) -> dict[str, str]:
    return rate_limits.enforce(
        get_runtime().store,
        tenant_id=principal.tenant_id,
        plan_name=principal.plan,
        api_key_id=principal.api_key_id,
    )


def client_ip(request: Request) -> str | None:
    """The caller's address as the trusted proxy saw it, for audit entries.

    X-Forwarded-For arrives as "<whatever the client sent…>, <client>, <load balancer>": only
    what the trusted proxies appended counts, counted from the right
    (``ARCHBUILDER_TRUSTED_PROXY_HOPS``, set where a proxy is in front; 0 by default, and then
    the header, which anyone may write, is ignored). Without such an entry (no header, too few
    entries, not an address) the socket's peer is the caller.
    """
    hops = get_runtime().settings.trusted_proxy_hops
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if hops and len(forwarded) > hops:
        try:
            return str(ipaddress.ip_address(forwarded[-(hops + 1)]))
        except ValueError:
            pass
    return request.remote_addr


def record_audit(ctx: RequestContext, action: str, status: int) -> None:
    audit.record(
        get_runtime().store,
        ctx.principal,
        action=action,
        method=ctx.request.method,
        resource=ctx.request.path,
        status=status,
        correlation_id=ctx.correlation_id,
        source_ip=client_ip(ctx.request),
    )


def project_language(principal: Principal, project_id: str) -> str | None:
    """The language of the caller's project ``project_id``, or None when there is no such
    project (read in the caller's tenant only: another tenant's id names nothing)."""
    try:
        snapshot = get_runtime().store.get(TenantPaths(principal.tenant_id).project(project_id))
    except ArchBuilderError:  # a malformed id
        return None
    language = snapshot.data.get("language") if snapshot is not None else None
    return language if isinstance(language, str) else None


def resource_language(ctx: RequestContext, params: Mapping[str, Any]) -> str | None:
    """The language of the project a request is about: the project in its path. Everything
    about a project (its reports, reviews, exports, job messages and errors about its
    resources) is in the project's language unless the caller asks for another with
    Accept-Language. A route about a job (``/v1/jobs/<job_id>``) finds the language on the job
    it reads anyway (``job_language``), so that polling a job reads one document."""
    project_id = params.get("project_id")
    if isinstance(project_id, str):
        return project_language(ctx.principal, project_id)
    return None


def job_language(principal: Principal, job: Job) -> str | None:
    """The language of the project a job is about: kept on the job since it was created, else
    (a job older than that) read from its project; None for a job about no project (``-``: a
    privacy export), which speaks the tenant's language."""
    if job.language or job.project_id == "-":
        return job.language
    return project_language(principal, job.project_id)


def new_api(name: str) -> Api:
    return Api(
        name,
        authenticate=authenticate,
        rate_limit=rate_limit,
        audit=record_audit,
        resource_language=resource_language,
        default_language=lambda: get_runtime().settings.default_language,
        max_body_bytes=lambda: get_runtime().settings.max_body_bytes,
    )
