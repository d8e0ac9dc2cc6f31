"""People-maintained metadata on nodes and edges, with its audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from lineage_backend.api.deps import MAX_OFFSET, AdminPrincipal, DatabaseDep, ReadPrincipal
from lineage_backend.api.schemas import (
    AuditCollectionResponse,
    EdgeMetadataPatch,
    EdgeMetadataResponse,
    NodeMetadataDetailResponse,
    NodeMetadataPatch,
)
from lineage_backend.services import metadata

router = APIRouter(prefix="/api/v1", tags=["metadata"])

Source = Annotated[str, Query(description="node id where the edge starts")]
Target = Annotated[str, Query(description="node id where the edge ends")]


@router.get("/nodes/{node_id:path}/metadata/history", response_model=AuditCollectionResponse)
def node_history(
    principal: ReadPrincipal,
    database: DatabaseDep,
    node_id: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditCollectionResponse:
    return database.read(
        lambda session: metadata.metadata_history(
            node_id, session=session, principal=principal, limit=limit, offset=offset
        )
    )


@router.get("/nodes/{node_id:path}/metadata", response_model=NodeMetadataDetailResponse)
def node_metadata(principal: ReadPrincipal, database: DatabaseDep, node_id: str) -> NodeMetadataDetailResponse:
    return database.read(lambda session: metadata.get_node_metadata(node_id, session=session, principal=principal))


@router.patch("/nodes/{node_id:path}/metadata", response_model=NodeMetadataDetailResponse)
def edit_node_metadata(
    request: Request, principal: AdminPrincipal, database: DatabaseDep, node_id: str, patch: NodeMetadataPatch
) -> NodeMetadataDetailResponse:
    edited = database.run(
        lambda session: metadata.patch_node_metadata(node_id, patch, session=session, principal=principal)
    )
    request.app.state.graph_index.invalidate()  # graph and impact answers show the edit at once
    return edited


@router.get("/edges/metadata", response_model=EdgeMetadataResponse)
def edge_metadata(
    principal: ReadPrincipal, database: DatabaseDep, source: Source, target: Target
) -> EdgeMetadataResponse:
    return database.read(
        lambda session: metadata.get_edge_metadata(source, target, session=session, principal=principal)
    )


@router.patch("/edges/metadata", response_model=EdgeMetadataResponse)
def edit_edge_metadata(
    request: Request,
    principal: AdminPrincipal,
    database: DatabaseDep,
    source: Source,
    target: Target,
    patch: EdgeMetadataPatch,
) -> EdgeMetadataResponse:
    edited = database.run(
        lambda session: metadata.patch_edge_metadata(source, target, patch, session=session, principal=principal)
    )
    request.app.state.graph_index.invalidate()
    return edited


@router.get("/edges/metadata/history", response_model=AuditCollectionResponse)
def edge_history(
    principal: ReadPrincipal,
    database: DatabaseDep,
    source: Source,
    target: Target,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditCollectionResponse:
    return database.read(
        lambda session: metadata.metadata_history(
            metadata.edge_target(source, target), session=session, principal=principal, limit=limit, offset=offset
        )
    )
