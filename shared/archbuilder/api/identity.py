"""``api_identity``: health, who am I, API keys, and the API's own documentation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from archbuilder import __version__
from archbuilder.adapters.local.file_blobs import FolderBlobStore
from archbuilder.api.common import client_ip, new_api
from archbuilder.domain.project import PageQuery
from archbuilder.domain.tenancy import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyPublic,
    ApiKeyRotate,
    InvitationAccept,
    InvitationAccepted,
    InvitationCreate,
    InvitationCreated,
    Me,
    MemberChanged,
    MemberList,
    MemberRemoved,
    MemberRemoveQuery,
    MemberUpdate,
)
from archbuilder.platform.errors import NotFound
from archbuilder.platform.http import Reply, RequestContext
from archbuilder.runtime import get_runtime
from archbuilder.services import audit, identity, members, privacy, webhooks
from archbuilder.services.audit import AuditPage, AuditQuery

API = new_api("api_identity")


class Health(BaseModel):
    status: str
    version: str
    environment: str


class WebhookList(BaseModel):
    items: list[webhooks.WebhookPublic]


class Erased(BaseModel):
    erased: dict[str, int]  # how many documents, files and API keys were deleted


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document (its top-level members; the rest is OpenAPI's own schema)."""

    model_config = ConfigDict(extra="allow")
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


@API.route("GET", "/v1/health", summary="Liveness and version", response=Health, auth=False)
def health(ctx: RequestContext) -> Health:
    settings = get_runtime().settings
    return Health(status="ok", version=__version__, environment=settings.env.value)


@API.route("GET", "/v1/me", summary="The caller's tenant, role and defaults", response=Me, errors=(401,))
def me(ctx: RequestContext) -> Me:
    return identity.me(get_runtime().store, ctx.principal)


@API.route(
    "POST",
    "/v1/api-keys",
    summary="Create an API key (shown once)",
    body=ApiKeyCreate,
    response=ApiKeyCreated,
    status=201,
    errors=(401, 403, 422),
)
def create_api_key(ctx: RequestContext) -> ApiKeyCreated:
    return identity.create_api_key(get_runtime().store, ctx.principal, ctx.body)


@API.route(
    "GET",
    "/v1/api-keys",
    summary="List the tenant's API keys",
    query=PageQuery,
    response=ApiKeyList,
    errors=(401, 403),
)
def list_api_keys(ctx: RequestContext) -> ApiKeyList:
    return identity.list_api_keys(
        get_runtime().store, ctx.principal, page_size=ctx.query.page_size, page_token=ctx.query.page_token
    )


@API.route(
    "DELETE",
    "/v1/api-keys/<key_id>",
    summary="Revoke an API key",
    response=ApiKeyPublic,
    errors=(401, 403, 404, 409),
)
def revoke_api_key(ctx: RequestContext, key_id: str) -> ApiKeyPublic:
    return identity.revoke_api_key(get_runtime().store, ctx.principal, key_id)


@API.route(
    "POST",
    "/v1/api-keys/<key_id>/rotate",
    summary="Replace an API key: the new key is shown once, the old one works until the overlap ends",
    body=ApiKeyRotate,
    response=ApiKeyCreated,
    status=201,
    errors=(401, 403, 404, 409, 422),
)
def rotate_api_key(ctx: RequestContext, key_id: str) -> Reply:
    created = identity.rotate_api_key(get_runtime().store, ctx.principal, key_id, ctx.body)
    return Reply(body=created, status=201)


@API.route(
    "POST",
    "/v1/members/invitations",
    summary="Invite a person by email with a role (the token is shown once)",
    body=InvitationCreate,
    response=InvitationCreated,
    status=201,
    errors=(401, 403, 409, 422),
)
def invite_member(ctx: RequestContext) -> Reply:
    return Reply(body=members.invite(get_runtime().store, ctx.principal, ctx.body), status=201)


@API.route(
    "POST",
    "/v1/members/invitations:accept",
    summary=(
        "Accept an invitation as the signed-in person (Authorization: Bearer <Firebase ID token>, "
        "no tenant claim needed; the token in the body); then refresh the ID token"
    ),
    body=InvitationAccept,
    response=InvitationAccepted,
    auth=False,
    errors=(401, 402, 403, 404, 409, 410, 422),
)
def accept_invitation(ctx: RequestContext) -> InvitationAccepted:
    token = ctx.body.token
    # Not behind the API's authentication: the person has no tenant claim yet. The ID token
    # is verified here (signature, expiry, revocation) without asking for membership.
    authorization = ctx.request.headers.get("Authorization", "")
    id_token = authorization[7:].strip() if authorization.startswith("Bearer ") else None
    runtime = get_runtime()
    accepted, principal = members.accept(runtime.store, runtime.claims, token, id_token)
    ctx.principal = principal  # audited as the new member
    return accepted


@API.route(
    "GET",
    "/v1/members",
    summary="The tenant's members",
    query=PageQuery,
    response=MemberList,
    errors=(401, 403, 422),
)
def list_members(ctx: RequestContext) -> MemberList:
    return members.list_members(
        get_runtime().store, ctx.principal, page_size=ctx.query.page_size, page_token=ctx.query.page_token
    )


@API.route(
    "PATCH",
    "/v1/members/<uid>",
    summary="Change a member's role (their claims follow; their app should refresh its ID token)",
    body=MemberUpdate,
    response=MemberChanged,
    errors=(401, 403, 404, 409, 422),
)
def change_member_role(ctx: RequestContext, uid: str) -> MemberChanged:
    runtime = get_runtime()
    return members.change_role(runtime.store, runtime.claims, ctx.principal, uid, ctx.body)


@API.route(
    "DELETE",
    "/v1/members/<uid>",
    summary=(
        "Remove a member (never the last owner); with erase=true (owners) also pseudonymise "
        "their audit entries and review history"
    ),
    query=MemberRemoveQuery,
    response=MemberRemoved,
    errors=(401, 403, 404, 409, 422),
)
def remove_member(ctx: RequestContext, uid: str) -> MemberRemoved:
    runtime = get_runtime()
    removed = members.remove(runtime.store, runtime.claims, ctx.principal, uid, erase=ctx.query.erase)
    if removed.erased and removed.pseudonym:
        # This request's own entry must not name the erased person either.
        ctx.audited = False
        audit.record(
            runtime.store,
            members.erased_principal(ctx.principal, uid, removed.pseudonym),
            action="remove_member",
            method=ctx.request.method,
            resource=f"/v1/members/{removed.pseudonym}",
            status=200,
            correlation_id=ctx.correlation_id,
            source_ip=client_ip(ctx.request),
        )
    return removed


@API.route(
    "GET",
    "/v1/audit-log",
    summary="The tenant's audit log, newest first (owners and admins)",
    query=AuditQuery,
    response=AuditPage,
    errors=(401, 403, 422),
)
def audit_log(ctx: RequestContext) -> AuditPage:
    return audit.list_entries(get_runtime().store, ctx.principal, ctx.query)


@API.route(
    "POST",
    "/v1/webhooks",
    summary="Subscribe a URL to events (the signing secret is shown once)",
    body=webhooks.WebhookCreate,
    response=webhooks.WebhookCreated,
    status=201,
    errors=(400, 403, 422),
)
def create_webhook(ctx: RequestContext) -> Reply:
    return Reply(body=webhooks.create_webhook(get_runtime(), ctx.principal, ctx.body), status=201)


@API.route("GET", "/v1/webhooks", summary="The tenant's webhooks", response=WebhookList, errors=(403,))
def list_webhooks(ctx: RequestContext) -> WebhookList:
    return WebhookList(items=webhooks.list_webhooks(get_runtime(), ctx.principal))


@API.route("DELETE", "/v1/webhooks/<webhook_id>", summary="Remove a webhook", status=204, errors=(403, 404))
def delete_webhook(ctx: RequestContext, webhook_id: str) -> Reply:
    webhooks.delete_webhook(get_runtime(), ctx.principal, webhook_id)
    return Reply(status=204)


@API.route(
    "GET",
    "/v1/webhooks/<webhook_id>/deliveries",
    summary="Delivery attempts of a webhook, newest first",
    response=webhooks.DeliveryList,
    errors=(403, 404),
)
def list_deliveries(ctx: RequestContext, webhook_id: str) -> webhooks.DeliveryList:
    return webhooks.list_deliveries(get_runtime(), ctx.principal, webhook_id)


@API.route(
    "POST",
    "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/retry",
    summary="Send a delivery again now (also a dead-lettered one)",
    response=webhooks.Delivery,
    errors=(403, 404),
)
def retry_delivery(ctx: RequestContext, webhook_id: str, delivery_id: str) -> webhooks.Delivery:
    return webhooks.retry_delivery(get_runtime(), ctx.principal, webhook_id, delivery_id)


@API.route(
    "POST",
    "/v1/privacy/export",
    summary="Export everything the tenant owns as one archive (202 + job)",
    response=privacy.PrivacyJobAccepted,
    status=202,
    errors=(403,),
)
def privacy_export(ctx: RequestContext) -> Reply:
    return Reply(body=privacy.request_export(get_runtime(), ctx.principal), status=202)


@API.route(
    "POST",
    "/v1/privacy/erase",
    summary="Erase the tenant everywhere (owner only; confirm with the tenant name)",
    body=privacy.EraseRequest,
    response=Erased,
    errors=(400, 403),
)
def privacy_erase(ctx: RequestContext) -> Erased:
    counts = privacy.erase_tenant(get_runtime(), ctx.principal, ctx.body)
    # The tenant's audit log is gone with it; the erasure tombstone is the record.
    ctx.audited = False
    return Erased(erased=counts)


@API.route(
    "GET",
    "/v1/downloads/<token>",
    summary="Local stand-in for a signed Cloud Storage download URL",
    auth=False,
    errors=(403, 404),
    content_types=("application/octet-stream",),
)
def download(ctx: RequestContext, token: str) -> Reply:
    bucket = get_runtime().blobs
    if not isinstance(bucket, FolderBlobStore):
        raise NotFound(code="ROUTE_NOT_FOUND", method="GET", path="/v1/downloads/…")
    name, data = bucket.read_signed_download(token)
    filename = name.rsplit("/", 1)[-1]
    return Reply(
        body=data,
        content_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@API.route("GET", "/v1/openapi.json", summary="This API as OpenAPI 3.1", response=OpenApiDocument, auth=False)
def openapi_document(ctx: RequestContext) -> Reply:
    from archbuilder.api.openapi import build_openapi

    return Reply(body=build_openapi(), headers={"Cache-Control": "public, max-age=300"})


@API.route("GET", "/docs", summary="Interactive API explorer", auth=False, content_types=("text/html",))
def docs_page(ctx: RequestContext) -> Reply:
    from archbuilder.api.openapi import explorer_page

    return Reply(body=explorer_page(), content_type="text/html; charset=utf-8", headers=_EXPLORER_HEADERS)


@API.route(
    "GET",
    "/docs/<path:asset>",
    summary="Explorer assets",
    auth=False,
    content_types=("application/javascript", "text/css", "image/png"),
)
def docs_asset(ctx: RequestContext, asset: str) -> Reply:
    from archbuilder.api.openapi import explorer_asset

    content, content_type = explorer_asset(asset)
    return Reply(body=content, content_type=content_type, headers={"Cache-Control": "public, max-age=3600"})


# The explorer runs its own script and styles, all served from /docs.
_EXPLORER_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-cache",
}
