"""Namespaces, jobs and datasets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lineage_backend.api.deps import MAX_OFFSET, DatabaseDep, ReadPrincipal
from lineage_backend.api.schemas import (
    DatasetCollectionResponse,
    DatasetResponse,
    DatasetStatusResponse,
    JobCollectionResponse,
    JobResponse,
    NamespaceCollectionResponse,
)
from lineage_backend.services import catalog

router = APIRouter(prefix="/api/v1", tags=["catalog"])

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Text = Annotated[str | None, Query(max_length=1000)]


@router.get("/namespaces", response_model=NamespaceCollectionResponse)
def namespaces(
    principal: ReadPrincipal, database: DatabaseDep, q: Text = None, limit: Limit = 100, offset: Offset = 0
) -> NamespaceCollectionResponse:
    items, total = database.read(
        lambda session: catalog.list_namespaces(session=session, principal=principal, q=q, limit=limit, offset=offset)
    )
    return NamespaceCollectionResponse(items=items, total_count=total)


@router.get("/jobs", response_model=JobCollectionResponse)
def jobs(
    principal: ReadPrincipal,
    database: DatabaseDep,
    namespace: Text = None,
    q: Text = None,
    dag_id: Annotated[str | None, Query(alias="dagId", description="jobs of this Airflow DAG")] = None,
    task_id: Annotated[str | None, Query(alias="taskId", description="with dagId: the job of this task")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> JobCollectionResponse:
    items, total = database.read(
        lambda session: catalog.list_jobs(
            session=session,
            principal=principal,
            namespace=namespace,
            q=q,
            limit=limit,
            offset=offset,
            dag_id=dag_id,
            task_id=task_id,
        )
    )
    return JobCollectionResponse(items=items, total_count=total)


# `:path` because node ids hold '/' (postgres://host:5432) and Starlette decodes %2F before routing.
@router.get("/jobs/{node_id:path}", response_model=JobResponse)
def job(principal: ReadPrincipal, database: DatabaseDep, node_id: str) -> JobResponse:
    return database.read(lambda session: catalog.get_job(node_id, session=session, principal=principal))


@router.get("/datasets", response_model=DatasetCollectionResponse)
def datasets(
    _: ReadPrincipal,
    database: DatabaseDep,
    namespace: Text = None,
    q: Text = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> DatasetCollectionResponse:
    items, total = database.read(
        lambda session: catalog.list_datasets(session=session, namespace=namespace, q=q, limit=limit, offset=offset)
    )
    return DatasetCollectionResponse(items=items, total_count=total)


# Declared before the catch-all detail route: `{node_id:path}` would swallow the "/status" suffix.
@router.get("/datasets/{node_id:path}/status", response_model=DatasetStatusResponse)
def dataset_status(principal: ReadPrincipal, database: DatabaseDep, node_id: str) -> DatasetStatusResponse:
    return database.read(lambda session: catalog.dataset_status(node_id, session=session, principal=principal))


@router.get("/datasets/{node_id:path}", response_model=DatasetResponse)
def dataset(principal: ReadPrincipal, database: DatabaseDep, node_id: str) -> DatasetResponse:
    return database.read(lambda session: catalog.get_dataset(node_id, session=session, principal=principal))
