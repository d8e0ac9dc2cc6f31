"""OpenLineage ingestion: Marquez-compatible single events and the OpenLineage batch endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from lineage_backend.api.deps import DatabaseDep, IngestPrincipal, SettingsDep
from lineage_backend.api.schemas import BatchIngestResponse
from lineage_backend.ingest.service import decode_json, ingest_batch, ingest_one, read_body

router = APIRouter(prefix="/api/v1/lineage", tags=["ingest"])


async def _document(request: Request, limit: int) -> object:
    body = await read_body(
        request.stream(),
        content_length=request.headers.get("content-length"),
        content_encoding=request.headers.get("content-encoding"),
        limit=limit,
    )
    return decode_json(body)


@router.post("", status_code=201, response_class=Response, summary="Receive one OpenLineage event")
async def post_event(request: Request, _: IngestPrincipal, database: DatabaseDep, settings: SettingsDep) -> Response:
    document = await _document(request, settings.max_body_bytes)
    await run_in_threadpool(lambda: ingest_one(database, document, cost_rates=settings.cost_rates))
    request.app.state.graph_index.invalidate()  # read-your-writes for this process's next graph query
    return Response(status_code=201)


@router.post("/batch", response_model=BatchIngestResponse, summary="Receive a JSON array of OpenLineage events")
async def post_batch(
    request: Request, _: IngestPrincipal, database: DatabaseDep, settings: SettingsDep, response: Response
) -> BatchIngestResponse:
    document = await _document(request, settings.max_body_bytes)
    result = await run_in_threadpool(
        lambda: ingest_batch(database, document, max_events=settings.max_batch_events, cost_rates=settings.cost_rates)
    )
    request.app.state.graph_index.invalidate()
    if result.status == "failure":
        response.status_code = 422
    return result
