from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from lineage_backend import __version__
from lineage_backend.api.deps import DatabaseDep
from lineage_backend.api.schemas import HealthResponse

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse, summary="Liveness and database reachability (no auth)")
async def health(database: DatabaseDep, response: Response) -> HealthResponse:
    def ping() -> None:
        database.read(lambda session: session.execute(text("SELECT 1")))

    try:
        await run_in_threadpool(ping)
    except Exception as error:
        response.status_code = 503
        return HealthResponse(
            status="unavailable", database=f"unreachable: {type(error).__name__}", version=__version__
        )
    return HealthResponse(status="ok", database="ok", version=__version__)
