"""Reading the analysis of an ingested model (computed and stored by ``cad_ingest``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archbuilder.analysis.report import ModelAnalysis
from archbuilder.ports import BlobStore, DocumentStore
from archbuilder.repositories import TenantPaths
from archbuilder.services.identity import Principal
from archbuilder.services.uploads import load_building_model, model_artifact, require_ready_model

if TYPE_CHECKING:
    # Annotations only: the wording pulls in the design review and shapely, which a JSON read
    # loads when it words the analysis, never at api_projects' cold start.
    from archbuilder.analysis.wording import Advice
    from archbuilder.runtime import Runtime


def load_analysis(
    store: DocumentStore, blobs: BlobStore, principal: Principal, project_id: str, model_id: str
) -> ModelAnalysis:
    """The stored analysis of a ready model, read as the caller (tenant-scoped, ``models:read``;
    MODEL_NOT_READY while it is being ingested). A model ingested before analyses existed is
    analysed now from its stored model, without the file's own facts (its IFC-only checks are
    then missing)."""
    require_ready_model(store, principal, project_id, model_id)
    raw = blobs.get(model_artifact(TenantPaths(principal.tenant_id), project_id, model_id, "analysis"))
    if raw is None:
        from archbuilder.analysis.analyse import analyse  # shapely: only for models this old

        model = load_building_model(store, blobs, principal, project_id, model_id)
        analysis = analyse(model, None, model_id)
    else:
        analysis = ModelAnalysis.model_validate_json(raw)
    analysis.compliance_url = f"/v1/projects/{project_id}/models/{model_id}"
    return analysis


def phrased_advice(runtime: Runtime, principal: Principal, analysis: ModelAnalysis, language: str) -> Advice:
    """The recommendations' sentences in ``language``: phrased by a model provider through the
    AI router (cost on the caller's tenant, kept per analysis content and language), else the
    templates. Made when the analysis is read, since that is when its language is known."""
    from archbuilder.ai.tasks import phrase_recommendations  # the AI layer: only when read as JSON or HTML

    return phrase_recommendations(analysis, language, tenant_id=principal.tenant_id, runtime=runtime)
