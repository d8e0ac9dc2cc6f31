from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from lineage_backend.api.deps import MAX_OFFSET, DatabaseDep, ReadPrincipal, SettingsDep
from lineage_backend.api.schemas import RunCollectionResponse, RunResponse
from lineage_backend.services.runs import get_run, list_runs

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])


@router.get("", response_model=RunCollectionResponse, summary="Runs, newest first")
def runs(
    principal: ReadPrincipal,
    database: DatabaseDep,
    job_node_id: Annotated[str | None, Query(alias="jobNodeId", description="job:<namespace>:<name>")] = None,
    state: Annotated[str | None, Query(description="RUNNING, COMPLETED, FAILED or ABORTED")] = None,
    since: Annotated[datetime | None, Query(description="ISO-8601; runs started at or after")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> RunCollectionResponse:
    items, total = database.read(
        lambda session: list_runs(
            session=session,
            principal=principal,
            job_node_id=job_node_id,
            state=state,
            since=since,
            limit=limit,
            offset=offset,
        )
    )
    return RunCollectionResponse(items=items, total_count=total)


@router.get("/{run_id}", response_model=RunResponse, summary="One run with its inputs, outputs and facets")
def run(
    request: Request,
    principal: ReadPrincipal,
    database: DatabaseDep,
    settings: SettingsDep,
    run_id: Annotated[str, Path()],
) -> RunResponse:
    currency = settings.cost_rates.currency
    request.app.state.rollups.catch_up_run(run_id)  # its cost comes from its fact: counted first
    return database.read(lambda session: get_run(run_id, session=session, principal=principal, currency=currency))
