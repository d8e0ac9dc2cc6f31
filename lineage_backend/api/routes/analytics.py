"""Run analytics: execution statistics, step timing, critical paths, error categories, versions, rankings, cost."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from lineage_backend.analytics.buckets import Granularity
from lineage_backend.api.deps import DatabaseDep, ReadPrincipal, SettingsDep, rollups_current
from lineage_backend.api.responses import json_document
from lineage_backend.api.schemas import (
    CostOverviewResponse,
    CriticalPathResponse,
    DagVersionCollectionResponse,
    ErrorCategoryCollectionResponse,
    ExecutionsResponse,
    ExecutionSummaryResponse,
    RankingCollectionResponse,
    StepTimingCollectionResponse,
)
from lineage_backend.services import analytics

# Every route reads the rollups or the facts: what ingestion marked is recounted first (exact answers).
router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], dependencies=[Depends(rollups_current)])

From = Annotated[datetime | None, Query(alias="from", description="ISO-8601 UTC; default: 30 days before 'to'")]
To = Annotated[datetime | None, Query(alias="to", description="ISO-8601 UTC, exclusive; default: end of today")]
LevelQuery = Annotated[Literal["dag", "task"], Query(description="dag: DAG runs (batches); task: their tasks")]
DagFilter = Annotated[str | None, Query(alias="dagId", max_length=250)]
EnvFilter = Annotated[str | None, Query(max_length=100)]


def _range(start: datetime | None, end: datetime | None, days: int = 30) -> tuple[datetime, datetime]:
    _, default_end = analytics.default_range(days)
    end = end or default_end
    return start or end - timedelta(days=days), end


@router.get(
    "/executions",
    response_model=ExecutionsResponse,
    summary="Runs per time bucket and group",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV (format=csv)"}
    },
)
def executions(
    principal: ReadPrincipal,
    database: DatabaseDep,
    settings: SettingsDep,
    start: From = None,
    end: To = None,
    granularity: Annotated[Granularity, Query()] = "day",
    group_by: Annotated[Literal["dag", "job", "triggerType", "state", "env"] | None, Query(alias="groupBy")] = None,
    level: LevelQuery = "dag",
    dag_id: DagFilter = None,
    env: EnvFilter = None,
    format: Annotated[Literal["json", "csv"], Query(description="csv: the chart's data as a file")] = "json",
) -> Response:
    start, end = _range(start, end)
    document = database.read(
        lambda session: analytics.executions(
            session=session,
            principal=principal,
            env_by_namespace=settings.env_by_namespace,
            start=start,
            end=end,
            granularity=granularity,
            group_by=group_by,
            level=level,
            dag_id=dag_id,
            env=env,
            currency=settings.cost_rates.currency,
        )
    )
    if format == "csv":
        return Response(
            content=analytics.executions_csv(document),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="executions-{granularity}.csv"'},
        )
    return json_document(document)


@router.get(
    "/executions/summary", response_model=ExecutionSummaryResponse, summary="Figures for a range and the one before"
)
def executions_summary(
    principal: ReadPrincipal,
    database: DatabaseDep,
    settings: SettingsDep,
    start: From = None,
    end: To = None,
    level: LevelQuery = "dag",
    dag_id: DagFilter = None,
    env: EnvFilter = None,
) -> ExecutionSummaryResponse:
    start, end = _range(start, end)
    document = database.read(
        lambda session: analytics.summary(
            session=session,
            principal=principal,
            env_by_namespace=settings.env_by_namespace,
            start=start,
            end=end,
            level=level,
            dag_id=dag_id,
            env=env,
            currency=settings.cost_rates.currency,
        )
    )
    return ExecutionSummaryResponse.model_validate(document)


@router.get("/errors", response_model=ErrorCategoryCollectionResponse, summary="Error categories of failed runs")
def errors(
    principal: ReadPrincipal,
    database: DatabaseDep,
    start: From = None,
    end: To = None,
    dag_id: DagFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ErrorCategoryCollectionResponse:
    start, end = _range(start, end)
    items, total = database.read(
        lambda session: analytics.errors(
            session=session, principal=principal, start=start, end=end, dag_id=dag_id, limit=limit
        )
    )
    return ErrorCategoryCollectionResponse.model_validate({"items": items, "totalCount": total})


@router.get(
    "/dags/{dag_id}/steps", response_model=StepTimingCollectionResponse, summary="Per-task timing and critical path"
)
def steps(
    principal: ReadPrincipal,
    database: DatabaseDep,
    dag_id: Annotated[str, Path(max_length=250)],
    start: From = None,
    end: To = None,
) -> StepTimingCollectionResponse:
    start, end = _range(start, end)
    document = database.read(
        lambda session: analytics.steps(dag_id, session=session, principal=principal, start=start, end=end)
    )
    return StepTimingCollectionResponse.model_validate(document)


@router.get("/dags/{dag_id}/versions", response_model=DagVersionCollectionResponse, summary="Runs per DAG version")
def versions(
    principal: ReadPrincipal, database: DatabaseDep, dag_id: Annotated[str, Path(max_length=250)]
) -> DagVersionCollectionResponse:
    document = database.read(lambda session: analytics.versions(dag_id, session=session, principal=principal))
    return DagVersionCollectionResponse.model_validate(document)


@router.get("/runs/{run_id}/critical-path", response_model=CriticalPathResponse, summary="A DAG run's critical path")
def run_critical_path(
    principal: ReadPrincipal, database: DatabaseDep, run_id: Annotated[str, Path()]
) -> CriticalPathResponse:
    document = database.read(
        lambda session: analytics.critical_path_of_run(run_id, session=session, principal=principal)
    )
    return CriticalPathResponse.model_validate(document)


@router.get("/rankings", response_model=RankingCollectionResponse, summary="Slowest, most failing, fastest growing")
def rankings(
    principal: ReadPrincipal,
    database: DatabaseDep,
    metric: Annotated[
        Literal["slowest", "failing", "growing"],
        Query(description="slowest: p95 duration; failing: failed runs; growing: p95 change against the period before"),
    ] = "slowest",
    level: LevelQuery = "dag",
    start: From = None,
    end: To = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> RankingCollectionResponse:
    start, end = _range(start, end)
    document = database.read(
        lambda session: analytics.rankings(
            session=session, principal=principal, metric=metric, level=level, start=start, end=end, limit=limit
        )
    )
    return RankingCollectionResponse.model_validate(document)


@router.get("/cost", response_model=CostOverviewResponse, summary="Cost per day and DAG, projection, budgets")
def cost(
    principal: ReadPrincipal, database: DatabaseDep, settings: SettingsDep, dag_id: DagFilter = None
) -> CostOverviewResponse:
    document = database.read(
        lambda session: analytics.cost_overview(
            session=session,
            principal=principal,
            rates=settings.cost_rates,
            budgets=settings.cost_budgets,
            dag_id=dag_id,
        )
    )
    return CostOverviewResponse.model_validate(document)
