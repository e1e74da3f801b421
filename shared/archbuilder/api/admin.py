"""``api_admin``: the business view for operators, as JSON and as a page.

Only an operator credential (``services/operators.py``) opens these routes. A tenant's
credential, whatever its role, is answered 403: a valid tenant key or ID token is recognised
and refused, anything else is 401. The page signs in with an operator key once (a form, so no
key in a URL) and then carries an HttpOnly, SameSite=Strict session cookie limited to /admin.
"""

from __future__ import annotations

from flask import Request
from pydantic import Field

from archbuilder.api.common import authenticate
from archbuilder.billing.business_metrics import BusinessMetrics, business_metrics
from archbuilder.billing.business_page import PAGE_CSP, login_page, metrics_page
from archbuilder.domain.common import StrictModel
from archbuilder.platform.errors import PermissionDenied, Unauthenticated
from archbuilder.platform.http import Api, Reply, RequestContext
from archbuilder.platform.settings import Environment
from archbuilder.runtime import get_runtime
from archbuilder.services.operators import (
    SESSION_HOURS,
    Operator,
    authenticate_operator,
    end_session,
    is_operator_key,
    operator_of_session,
    start_session,
)

SESSION_COOKIE = "ab_operator"
_FORM_LIMIT = 4096


def authenticate_admin(request: Request) -> Operator:
    """An operator key in ``X-API-Key``; a tenant's valid credential is 403, anything else 401."""
    raw = request.headers.get("X-API-Key")
    store = get_runtime().store
    if is_operator_key(raw):
        return authenticate_operator(store, raw)
    if raw is None and "Authorization" not in request.headers:
        raise Unauthenticated()
    # Someone of a tenant (the check raises 401 if the credential is not valid at all).
    principal = authenticate(request)
    raise PermissionDenied(role=principal.role, action="operator:metrics")


API = Api(
    "api_admin",
    authenticate=authenticate_admin,
    default_language=lambda: get_runtime().settings.default_language,
    max_body_bytes=lambda: _FORM_LIMIT,
)


class MetricsQuery(StrictModel):
    period: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


@API.route(
    "GET",
    "/v1/admin/metrics",
    summary="The business view: revenue, movements, trials, dunning, margins, quotas, risk, quality",
    query=MetricsQuery,
    response=BusinessMetrics,
    errors=(401, 403, 422),
)
def get_metrics(ctx: RequestContext) -> BusinessMetrics:
    return business_metrics(get_runtime().store, period=ctx.query.period)


def _html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        body=body,
        status=status,
        content_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": PAGE_CSP, **(headers or {})},
    )


def _redirect(location: str, cookie: str | None = None) -> Reply:
    headers = {"Location": location, "Content-Security-Policy": PAGE_CSP}
    if cookie is not None:
        headers["Set-Cookie"] = cookie
    return Reply(body="", status=303, content_type="text/plain; charset=utf-8", headers=headers)


def _cookie(request: Request, value: str, max_age: int) -> str:
    secure = get_runtime().settings.env is Environment.prod or request.is_secure
    secure = secure or request.headers.get("X-Forwarded-Proto") == "https"
    attributes = [
        f"{SESSION_COOKIE}={value}",
        "Path=/admin",
        f"Max-Age={max_age}",
        "HttpOnly",
        "SameSite=Strict",
    ]
    return "; ".join(attributes + (["Secure"] if secure else []))


# The page routes authenticate themselves: without a session they answer with the sign-in
# form instead of a JSON 401.
@API.route(
    "GET",
    "/admin",
    summary="The operator page: the business view with charts",
    auth=False,
    query=MetricsQuery,
    content_types=("text/html",),
)
def admin_page(ctx: RequestContext) -> Reply:
    store = get_runtime().store
    try:
        operator = operator_of_session(store, ctx.request.cookies.get(SESSION_COOKIE))
    except Unauthenticated:
        return _redirect("/admin/login")
    return _html(metrics_page(business_metrics(store, period=ctx.query.period), operator=operator.name))


@API.route(
    "GET", "/admin/login", summary="Sign in to the operator page", auth=False, content_types=("text/html",)
)
def admin_login_form(ctx: RequestContext) -> Reply:
    return _html(login_page())


@API.route(
    "POST",
    "/admin/login",
    summary="Sign in with an operator key (form field `key`)",
    auth=False,
    content_types=("text/html",),
)
def admin_login(ctx: RequestContext) -> Reply:
    request = ctx.request
    if (request.content_length or 0) > _FORM_LIMIT:
        return _html(login_page(error="The form is too large."), status=413)
    try:
        token, _ = start_session(get_runtime().store, request.form.get("key", "").strip())
    except Unauthenticated:
        return _html(login_page(error="That is not a valid operator key."), status=401)
    return _redirect("/admin", _cookie(request, token, SESSION_HOURS * 3600))


@API.route(
    "POST", "/admin/logout", summary="Sign out of the operator page", auth=False, content_types=("text/html",)
)
def admin_logout(ctx: RequestContext) -> Reply:
    end_session(get_runtime().store, ctx.request.cookies.get(SESSION_COOKIE))
    return _redirect("/admin/login", _cookie(ctx.request, "", 0))
