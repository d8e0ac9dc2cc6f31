"""Batch health: batches (root runs), their metrics, processes, data quality and trends."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from lineage_backend.api.deps import MAX_OFFSET, DatabaseDep, ReadPrincipal, SettingsDep
from lineage_backend.api.schemas import (
    BatchCollectionResponse,
    BatchResponse,
    DqResponse,
    ProcessCollectionResponse,
    TrendResponse,
)
from lineage_backend.errors import InvalidParameterError
from lineage_backend.services import baselines, batches

router = APIRouter(prefix="/api/v1/batches", tags=["batches"])

Sort = Annotated[str, Query(description=f"one of {', '.join(batches.SORT_KEYS)}")]
Order = Annotated[Literal["asc", "desc"], Query()]
StatusFilter = Annotated[str | None, Query(description="comma-separated statuses, e.g. FAILED,ABORTED")]


@router.get("", response_model=BatchCollectionResponse, summary="Batches (root runs), newest first")
def list_batches(
    principal: ReadPrincipal,
    database: DatabaseDep,
    settings: SettingsDep,
    since: Annotated[datetime | None, Query(description="ISO-8601; default: 7 days ago")] = None,
    until: Annotated[datetime | None, Query()] = None,
    env: Annotated[str | None, Query(max_length=100)] = None,
    dag_id: Annotated[str | None, Query(alias="dagId")] = None,
    airflow_run_id: Annotated[
        str | None, Query(alias="airflowRunId", description="with dagId: the batch of this Airflow DAG run")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> BatchCollectionResponse:
    if airflow_run_id and not dag_id:
        raise InvalidParameterError("airflowRunId needs dagId: pass both to find the batch of an Airflow DAG run")
    if since is None:
        # A specific DAG run is looked up whatever its age; lists default to the last 7 days.
        since = (
            datetime(1970, 1, 1, tzinfo=timezone.utc)
            if airflow_run_id
            else datetime.now(timezone.utc) - timedelta(days=7)
        )
    if until is not None and until <= since:
        raise InvalidParameterError("until must be after since")
    items, total = database.read(
        lambda session: batches.list_batches(
            session=session,
            principal=principal,
            env_by_namespace=settings.env_by_namespace,
            since=since,
            until=until,
            env=env,
            dag_id=dag_id,
            limit=limit,
            offset=offset,
            airflow_run_id=airflow_run_id,
        )
    )
    return BatchCollectionResponse(items=items, total_count=total)


@router.get("/trends", response_model=TrendResponse, summary="Daily duration, success rate, rows and DQ rate")
def trends(
    principal: ReadPrincipal,
    database: DatabaseDep,
    dag_id: Annotated[str | None, Query(alias="dagId")] = None,
    job_node_id: Annotated[str | None, Query(alias="jobNodeId")] = None,
    days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> TrendResponse:
    return database.read(
        lambda session: batches.trends(
            session=session, principal=principal, job_node_id_=job_node_id, dag_id=dag_id, days=days
        )
    )


@router.get("/{batch_id}", response_model=BatchResponse, summary="Batch metrics and health")
def batch(principal: ReadPrincipal, database: DatabaseDep, settings: SettingsDep, batch_id: str) -> BatchResponse:
    return database.read(
        lambda session: batches.get_batch(
            batch_id, session=session, principal=principal, env_by_namespace=settings.env_by_namespace
        )
    )


def _page_size(page_size: int) -> int:
    if page_size not in batches.PAGE_SIZES:
        raise InvalidParameterError(f"page_size must be one of {', '.join(map(str, batches.PAGE_SIZES))}")
    return page_size


@router.get("/{batch_id}/processes", response_model=ProcessCollectionResponse, summary="Process rows, sorted")
def processes(
    principal: ReadPrincipal,
    database: DatabaseDep,
    settings: SettingsDep,
    batch_id: str,
    sort: Sort = "startedAt",
    order: Order = "asc",
    status: StatusFilter = None,
    page: Annotated[int, Query(ge=1, le=MAX_OFFSET)] = 1,
    page_size: Annotated[int, Query()] = 25,
) -> ProcessCollectionResponse:
    size = _page_size(page_size)
    items, total = database.read(
        lambda session: batches.process_page(
            batch_id,
            session=session,
            principal=principal,
            sort=sort,
            order=order,
            status=status,
            page=page,
            page_size=size,
            anomaly=baselines.anomaly_config(settings),
        )
    )
    return ProcessCollectionResponse(
        items=items,
        total_count=total,
        page=page,
        page_size=size,
        can_mark_normal=baselines.may_mark_normal(principal),
    )


@router.get(
    "/{batch_id}/processes.csv",
    summary="The process rows as CSV (same sort and filters)",
    response_class=Response,
    responses={
        200: {"description": "The process rows as CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
def processes_csv(
    principal: ReadPrincipal,
    database: DatabaseDep,
    batch_id: str,
    sort: Sort = "startedAt",
    order: Order = "asc",
    status: StatusFilter = None,
) -> Response:
    rows = database.read(
        lambda session: batches.list_processes(
            batch_id, session=session, principal=principal, sort=sort, order=order, status=status
        )
    )
    # The id in the path may be any emitter's run id (non-UUIDs are accepted): keep the file name plain, or a
    # character outside Latin-1 fails the header and quotes or CR/LF would reach it.
    filename = f"batch-{re.sub(r'[^A-Za-z0-9._-]+', '_', batch_id)[:36]}-processes.csv"
    return Response(
        content=batches.processes_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{batch_id}/dq", response_model=DqResponse, summary="Data-quality assertions, failed first")
def data_quality(principal: ReadPrincipal, database: DatabaseDep, batch_id: str) -> DqResponse:
    return database.read(lambda session: batches.batch_dq(batch_id, session=session, principal=principal))
