"""Workflow drafts: plain controlled English → model, paraphrase, Mermaid, issues and a DAG draft.

Nothing here writes a DAG file anywhere: the code is returned for download and review.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from lineage_backend.api.deps import MAX_ROW_ID, DatabaseDep, ReadPrincipal
from lineage_backend.api.workflow_schemas import (
    CatalogEventResponse,
    CatalogOperationResponse,
    DraftRequest,
    DraftResponse,
    RewriteRequest,
    RewriteResponse,
    SavedDraftCollectionResponse,
    SavedDraftPatch,
    SavedDraftRequest,
    SavedDraftResponse,
    WorkflowCatalogResponse,
)
from lineage_backend.errors import ConfigurationError, NotFoundError
from lineage_backend.services import workflows
from lineage_backend.workflows.catalog import Catalog, CatalogConfigError, CatalogOperation, load_operations

router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])
DraftId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="id of a saved draft")]


def deployment_operations(request: Request) -> list[CatalogOperation]:
    """The reviewed operations of this deployment, read once per app (a restart picks up edits)."""
    state = request.app.state
    if getattr(state, "workflow_operations", None) is None:
        try:
            state.workflow_operations = load_operations(state.settings.workflow_operations)
        except CatalogConfigError as error:
            raise ConfigurationError(
                f"the workflow operations configured in FLOWLYTICS_WORKFLOW_OPERATIONS / [flowlytics] "
                f"workflow_operations cannot be used: {error}"
            ) from None
    operations: list[CatalogOperation] = state.workflow_operations
    return operations


def catalog_for(request: Request, database: DatabaseDep) -> Catalog:
    operations = deployment_operations(request)
    assets = getattr(request.app.state, "workflow_assets", None)
    return database.read(lambda session: workflows.build_catalog(session=session, operations=operations, assets=assets))


CatalogDep = Annotated[Catalog, Depends(catalog_for)]


@router.post(
    "/drafts", response_model=DraftResponse, summary="Read a workflow description; say it back, draw it, check it"
)
def draft(principal: ReadPrincipal, catalog: CatalogDep, body: DraftRequest) -> DraftResponse:
    return workflows.draft_text(body.text, catalog, dag_id=body.dag_id)


@router.post(
    "/rewrite",
    response_model=RewriteResponse,
    summary="Optional model engine: free English → controlled English (shown to the person before use)",
)
def rewrite(request: Request, principal: ReadPrincipal, catalog: CatalogDep, body: RewriteRequest) -> RewriteResponse:
    from lineage_backend.workflows.engine import EngineUnavailableError, configured_model

    # A host or a test may hand a model object in; else the configured one. Off by default.
    model = getattr(request.app.state, "workflow_model", None)
    if model is None:
        settings = request.app.state.settings
        try:
            model = configured_model(
                settings.workflow_model, settings.workflow_model_url, settings.workflow_model_api_key
            )
        except EngineUnavailableError as error:
            raise NotFoundError(
                f"{error}. Write controlled English and POST it to /api/v1/workflows/drafts, or configure "
                "FLOWLYTICS_WORKFLOW_MODEL ([flowlytics] workflow_model)"
            ) from None
    return workflows.rewrite_text(body.text, catalog, model)


@router.get("/catalog", response_model=WorkflowCatalogResponse, summary="Events and operations a draft may use")
def catalog(principal: ReadPrincipal, catalog: CatalogDep) -> WorkflowCatalogResponse:
    return WorkflowCatalogResponse(
        events=[CatalogEventResponse.model_validate(event.model_dump()) for event in catalog.events],
        operations=[CatalogOperationResponse.model_validate(op.model_dump()) for op in catalog.operations],
    )


@router.get("/saved", response_model=SavedDraftCollectionResponse, summary="Your saved drafts, newest first")
def saved(
    principal: ReadPrincipal,
    database: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SavedDraftCollectionResponse:
    items, total = database.read(
        lambda session: workflows.list_saved(session=session, principal=principal, limit=limit, offset=offset)
    )
    return SavedDraftCollectionResponse(items=items, total_count=total)


@router.post("/saved", response_model=SavedDraftResponse, status_code=201, summary="Save a draft")
def save(
    principal: ReadPrincipal, database: DatabaseDep, catalog: CatalogDep, body: SavedDraftRequest
) -> SavedDraftResponse:
    return database.run(lambda session: workflows.save(body, catalog, session=session, principal=principal))


@router.get("/saved/{draft_id}", response_model=SavedDraftResponse, summary="Open a saved draft")
def open_saved(
    principal: ReadPrincipal, database: DatabaseDep, catalog: CatalogDep, draft_id: DraftId
) -> SavedDraftResponse:
    return database.read(lambda session: workflows.open_saved(draft_id, catalog, session=session, principal=principal))


@router.patch("/saved/{draft_id}", response_model=SavedDraftResponse, summary="Rename or edit a saved draft")
def update_saved(
    principal: ReadPrincipal, database: DatabaseDep, catalog: CatalogDep, draft_id: DraftId, patch: SavedDraftPatch
) -> SavedDraftResponse:
    return database.run(
        lambda session: workflows.update(draft_id, patch, catalog, session=session, principal=principal)
    )


@router.delete("/saved/{draft_id}", status_code=204, response_class=Response, summary="Delete a saved draft")
def delete_saved(principal: ReadPrincipal, database: DatabaseDep, draft_id: DraftId) -> Response:
    database.run(lambda session: workflows.delete(draft_id, session=session, principal=principal))
    return Response(status_code=204)
