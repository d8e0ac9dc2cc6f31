"""Anomalies: runs whose metrics left their learned band; a person may mark one normal."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from lineage_backend.api.alert_schemas import AnomalyCollectionResponse, BaselineResponse
from lineage_backend.api.deps import MAX_ROW_ID, AdminPrincipal, DatabaseDep, ReadPrincipal, SettingsDep
from lineage_backend.services import alerts, baselines

router = APIRouter(tags=["anomalies"])


@router.get("/api/v1/anomalies", response_model=AnomalyCollectionResponse, summary="Anomalies, newest first")
def anomalies(
    principal: ReadPrincipal,
    database: DatabaseDep,
    job_node_id: Annotated[str | None, Query(alias="jobNodeId", description="job:<namespace>:<name>")] = None,
    dag_id: Annotated[str | None, Query(alias="dagId")] = None,
    metric: Annotated[
        str | None, Query(description="durationSeconds, rowsRead, rowsWritten, dqErrorRate, freshness")
    ] = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AnomalyCollectionResponse:
    items, total = database.read(
        lambda session: alerts.list_anomalies(
            session=session,
            principal=principal,
            job_node_id=job_node_id,
            dag_id=dag_id,
            metric=metric,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
    )
    return AnomalyCollectionResponse(items=items, total_count=total)


@router.get(
    "/api/v1/anomalies/baseline",
    response_model=BaselineResponse,
    summary="A job's band of normal: its last runs of one metric, each with the band it was judged against",
)
def baseline(
    principal: ReadPrincipal,
    database: DatabaseDep,
    settings: SettingsDep,
    job_node_id: Annotated[str, Query(alias="jobNodeId", min_length=1, description="job:<namespace>:<name>")],
    metric: Annotated[str, Query(description="durationSeconds, rowsRead, rowsWritten or dqErrorRate")] = (
        "durationSeconds"
    ),
    limit: Annotated[int, Query(ge=1, le=baselines.MAX_POINTS)] = 30,
) -> BaselineResponse:
    return database.read(
        lambda session: baselines.job_baseline(
            job_node_id, metric, limit, baselines.anomaly_config(settings), session=session, principal=principal
        )
    )


@router.post(
    "/api/v1/anomalies/{anomaly_id}/mark-normal",
    response_model=AnomalyCollectionResponse,
    summary="This flagged value was normal: let it teach the baseline",
)
def mark_anomaly_normal(
    principal: AdminPrincipal, database: DatabaseDep, anomaly_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
) -> AnomalyCollectionResponse:
    items = database.run(
        lambda session: alerts.mark_normal(session=session, principal=principal, anomaly_id=anomaly_id)
    )
    return AnomalyCollectionResponse(items=items, total_count=len(items))


@router.post(
    "/api/v1/runs/{run_id}/mark-normal",
    response_model=AnomalyCollectionResponse,
    summary="Every anomaly of this run was normal",
)
def mark_run_normal(
    principal: AdminPrincipal, database: DatabaseDep, run_id: Annotated[str, Path()]
) -> AnomalyCollectionResponse:
    items = database.run(lambda session: alerts.mark_normal(session=session, principal=principal, run_id=run_id))
    return AnomalyCollectionResponse(items=items, total_count=len(items))
