"""Lineage graph, impact analysis and search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from lineage_backend.api.deps import DatabaseDep, ReadPrincipal
from lineage_backend.api.responses import json_document
from lineage_backend.api.schemas import GraphResponse, GraphVersionResponse, ImpactResponse, SearchResponse
from lineage_backend.graph.index import GraphIndex
from lineage_backend.services import graph as graph_service

router = APIRouter(prefix="/api/v1", tags=["lineage"])

NodeIdQuery = Annotated[
    str | None, Query(alias="nodeId", description="job:<namespace>:<name> or dataset:<namespace>:<name>")
]


def _index(request: Request) -> GraphIndex:
    index: GraphIndex = request.app.state.graph_index
    return index


@router.get("/graph", response_model=GraphResponse, summary="Lineage around a node or an Airflow DAG")
def lineage_graph(
    request: Request,
    principal: ReadPrincipal,
    database: DatabaseDep,
    node_id: NodeIdQuery = None,
    dag_id: Annotated[str | None, Query(alias="dagId", description="start from every job of this DAG")] = None,
    direction: Literal["upstream", "downstream", "both"] = "both",
    depth: Annotated[int, Query(ge=0, le=100, description="hops from the start (dataset→job→dataset is 2)")] = 4,
    level: Literal["job", "column"] = "job",
    as_of: Annotated[datetime | None, Query(alias="asOf", description="lineage as it was at this time")] = None,
    collapse: Annotated[
        bool, Query(description="group Airflow tasks under their DAG, Spark actions under their app")
    ] = True,
    expand: Annotated[list[str], Query(description="group node ids to show expanded")] = [],  # noqa: B006
    max_nodes: Annotated[int, Query(alias="maxNodes", ge=1, le=20000)] = graph_service.DEFAULT_MAX_NODES,
) -> Response:
    index = _index(request)
    if level == "column":
        return json_document(
            database.read(
                lambda session: graph_service.column_graph(
                    session=session,
                    index=index,
                    principal=principal,
                    node_id=node_id,
                    dag_id=dag_id,
                    direction=direction,
                    depth=depth,
                    max_nodes=max_nodes,
                )
            )
        )
    return json_document(
        database.read(
            lambda session: graph_service.lineage_graph(
                session=session,
                index=index,
                principal=principal,
                node_id=node_id,
                dag_id=dag_id,
                direction=direction,
                depth=depth,
                as_of=as_of,
                collapse=collapse,
                expand=expand,
                max_nodes=max_nodes,
            )
        )
    )


@router.get(
    "/graph/version", response_model=GraphVersionResponse, summary="Changes whenever new lineage or runs arrive"
)
def version(_: ReadPrincipal, database: DatabaseDep) -> GraphVersionResponse:
    return GraphVersionResponse(version=database.read(lambda session: graph_service.graph_version(session=session)))


@router.get("/impact", response_model=ImpactResponse, summary="Downstream impact, or upstream culprits")
def impact(
    request: Request,
    principal: ReadPrincipal,
    database: DatabaseDep,
    node_id: Annotated[str, Query(alias="nodeId", description="job:<namespace>:<name> or dataset:<namespace>:<name>")],
    depth: Annotated[int | None, Query(ge=1, le=10000, description="omit for the whole blast radius")] = None,
    direction: Literal["downstream", "upstream"] = "downstream",
    limit: Annotated[
        int | None, Query(ge=1, le=100000, description="only the first N items; the summary still counts all")
    ] = None,
) -> Response:
    index = _index(request)
    return json_document(
        database.read(
            lambda session: graph_service.impact(
                session=session,
                index=index,
                principal=principal,
                node_id=node_id,
                depth=depth,
                direction=direction,
                limit=limit,
            )
        )
    )


@router.get("/search", response_model=SearchResponse, summary="Jobs and datasets by name or namespace, ranked")
def search(
    principal: ReadPrincipal,
    database: DatabaseDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    type: Annotated[Literal["job", "dataset"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> SearchResponse:
    return database.read(
        lambda session: graph_service.search(session=session, principal=principal, q=q, type_=type, limit=limit)
    )
