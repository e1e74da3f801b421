"""``api_regulations``: the regulation library. A tenant's own documents (added with the file in
the body, or PUT to a signed upload URL as a CAD file is and indexed by ``cad_ingest``; read in a
sandbox either way) and the global library the operator curates (``archbuilder admin regulations
add``): search, passages, and answers from the library only."""

from __future__ import annotations

import base64
import binascii

from pydantic import Field

from archbuilder.api.common import authenticate, rate_limit, record_audit, resource_language
from archbuilder.domain.common import Language, RegionCode, StrictModel
from archbuilder.domain.permissions import require
from archbuilder.platform.errors import ArchBuilderError
from archbuilder.platform.http import Api, Reply, RequestContext
from archbuilder.regulations.library import library_for
from archbuilder.regulations.model import (
    Answer,
    DocumentList,
    PassagePublic,
    RegulationDocument,
    SearchResults,
)
from archbuilder.regulations.sandbox import Limits
from archbuilder.runtime import get_runtime
from archbuilder.services import regulation_uploads, regulations
from archbuilder.services.regulation_uploads import RegulationUploadCreate, RegulationUploadCreated

LIMITS = Limits()
# The file travels base64-encoded in the JSON body: 4/3 of its size, plus the other fields.
MAX_BODY_BYTES = LIMITS.max_bytes * 4 // 3 + 64 * 1024

API = Api(
    "api_regulations",
    authenticate=authenticate,
    rate_limit=rate_limit,
    audit=record_audit,
    resource_language=resource_language,
    default_language=lambda: get_runtime().settings.default_language,
    max_body_bytes=lambda: MAX_BODY_BYTES,
)


class DocumentCreate(StrictModel):
    filename: str = Field(
        min_length=1, max_length=200, description=".txt, .html, .docx or .pdf (with a text layer)"
    )
    content_base64: str = Field(min_length=4, max_length=MAX_BODY_BYTES, description="the file, base64")
    region: RegionCode
    language: Language
    title: str = Field(min_length=1, max_length=300)
    short: str | None = Field(default=None, max_length=60, description='what rules cite it as: "PAİY", "MBO"')
    edition: str | None = Field(default=None, max_length=100)


class SearchQuery(StrictModel):
    q: str = Field(min_length=1, max_length=500)
    region: RegionCode | None = None
    language: Language | None = None
    limit: int = Field(default=10, ge=1, le=50)


class AskRequest(StrictModel):
    question: str = Field(min_length=1, max_length=1000)
    region: RegionCode | None = None  # default: the tenant's code region
    language: Language | None = None  # the passages' language (and the answer's); default: any


@API.route(
    "POST",
    "/v1/regulations/documents",
    summary="Add a document to the tenant's regulation library (the file base64 in the body)",
    body=DocumentCreate,
    response=RegulationDocument,
    status=201,
    errors=(403, 413, 422),
)
def add_document(ctx: RequestContext) -> RegulationDocument:
    body: DocumentCreate = ctx.body
    try:
        data = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ArchBuilderError(code="REGULATION_CONTENT_INVALID", status=422) from exc
    return regulations.add_tenant_document(
        library_for(get_runtime()),
        ctx.principal,
        limits=LIMITS,
        ocr_url=get_runtime().settings.ocr_url,
        filename=body.filename,
        data=data,
        region=body.region,
        language=body.language.value,
        title=body.title,
        short=body.short,
        edition=body.edition,
    )


@API.route(
    "POST",
    "/v1/regulations/uploads",
    summary="Start a regulation document upload (up to 64 MiB): returns the URL to PUT the file to "
    "and the job that indexes it",
    body=RegulationUploadCreate,
    response=RegulationUploadCreated,
    status=201,
    errors=(403, 413, 422, 501),
)
def create_regulation_upload(ctx: RequestContext) -> Reply:
    runtime = get_runtime()
    settings = runtime.settings
    require(ctx.principal, regulations.WRITE)
    library_for(runtime)  # 501 where there is no library to add to, before anything is signed
    created = regulation_uploads.create_upload(
        runtime.store,
        runtime.uploads,
        ctx.principal,
        ctx.body,
        language=ctx.language,
        url_ttl_s=settings.upload_url_ttl_s,
        # The local upload URL (PUT /v1/uploads/…) takes no more than max_upload_bytes.
        max_bytes=min(regulation_uploads.UPLOAD_LIMITS.max_bytes, settings.max_upload_bytes),
    )
    if created.upload_url.startswith("/"):
        # The local bucket's URL is a path on this server.
        created.upload_url = ctx.request.host_url.rstrip("/") + created.upload_url
    return Reply(body=created, status=201)


@API.route(
    "GET",
    "/v1/regulations/documents",
    summary="The documents of the tenant's library and the global one",
    response=DocumentList,
    errors=(403,),
)
def list_documents(ctx: RequestContext) -> DocumentList:
    return regulations.list_documents(library_for(get_runtime()), ctx.principal)


@API.route(
    "GET",
    "/v1/regulations/documents/<document_id>",
    summary="A regulation document",
    response=RegulationDocument,
    errors=(403, 404),
)
def get_document(ctx: RequestContext, document_id: str) -> RegulationDocument:
    return regulations.get_document(library_for(get_runtime()), ctx.principal, document_id)


@API.route(
    "DELETE",
    "/v1/regulations/documents/<document_id>",
    summary="Remove a document of the tenant's own library",
    status=204,
    errors=(403, 404),
)
def delete_document(ctx: RequestContext, document_id: str) -> Reply:
    regulations.delete_document(library_for(get_runtime()), ctx.principal, document_id)
    return Reply(status=204)


@API.route(
    "GET",
    "/v1/regulations/documents/<document_id>/passages/<passage_id>",
    summary="A passage of a regulation document: its citation, page and text",
    response=PassagePublic,
    errors=(403, 404),
)
def get_passage(ctx: RequestContext, document_id: str, passage_id: str) -> PassagePublic:
    return regulations.get_passage(library_for(get_runtime()), ctx.principal, document_id, passage_id)


@API.route(
    "GET",
    "/v1/regulations/search",
    summary="Search the tenant's and the global library (stemmed full text, BM25)",
    query=SearchQuery,
    response=SearchResults,
    errors=(403, 422),
)
def search_regulations(ctx: RequestContext) -> SearchResults:
    query: SearchQuery = ctx.query
    return regulations.search(
        library_for(get_runtime()),
        ctx.principal,
        query.q,
        region=query.region,
        language=query.language.value if query.language else None,
        limit=query.limit,
    )


@API.route(
    "POST",
    "/v1/regulations:ask",
    summary="Answer a question from the library only: its passages with their citations",
    body=AskRequest,
    response=Answer,
    errors=(403, 422),
)
def ask_regulations(ctx: RequestContext) -> Answer:
    body: AskRequest = ctx.body
    language = body.language.value if body.language else None
    if language is not None and ctx.requested_language is None:
        ctx.language = language
    runtime = get_runtime()
    return regulations.ask(
        library_for(runtime),
        ctx.principal,
        body.question,
        region=body.region or ctx.principal.code_region,
        language=language,
        reply_language=ctx.language,
        runtime=runtime,
    )
