"""OpenLineage ingestion: Marquez-compatible single events and the OpenLineage batch endpoint."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from lineage_backend.api.deps import DatabaseDep, IngestPrincipal, SettingsDep
from lineage_backend.api.schemas import BatchIngestResponse
from lineage_backend.ingest.service import decode_json, ingest_batch, ingest_one, read_body

router = APIRouter(prefix="/api/v1/lineage", tags=["ingest"])

# The bodies are read raw (size caps, gzip) and validated by ingest/parse.py; this only tells OpenAPI
# readers (and the API fuzz tests) what to send.
_DATASET_SCHEMA = {
    "type": "object",
    "required": ["namespace", "name"],
    "properties": {"namespace": {"type": "string"}, "name": {"type": "string"}, "facets": {"type": "object"}},
}
_EVENT_SCHEMA = {
    "type": "object",
    "description": "An OpenLineage RunEvent, DatasetEvent or JobEvent",
    "required": ["eventTime", "producer"],
    "properties": {
        "eventTime": {"type": "string", "format": "date-time"},
        "producer": {"type": "string", "format": "uri"},
        "schemaURL": {"type": "string"},
        "eventType": {"type": "string", "enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
        "run": {
            "type": "object",
            "required": ["runId"],
            "properties": {"runId": {"type": "string"}, "facets": {"type": "object"}},
        },
        "job": {
            "type": "object",
            "required": ["namespace", "name"],
            "properties": {"namespace": {"type": "string"}, "name": {"type": "string"}, "facets": {"type": "object"}},
        },
        "inputs": {"type": "array", "items": _DATASET_SCHEMA},
        "outputs": {"type": "array", "items": _DATASET_SCHEMA},
        "dataset": _DATASET_SCHEMA,
    },
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def _body_and_document(request: Request, limit: int) -> tuple[bytes, object]:
    body = await read_body(
        request.stream(),
        content_length=request.headers.get("content-length"),
        content_encoding=request.headers.get("content-encoding"),
        limit=limit,
    )
    return body, decode_json(body)


@router.post(
    "",
    status_code=201,
    response_class=Response,
    summary="Receive one OpenLineage event",
    openapi_extra=_body(_EVENT_SCHEMA),
)
async def post_event(request: Request, _: IngestPrincipal, database: DatabaseDep, settings: SettingsDep) -> Response:
    body, document = await _body_and_document(request, settings.max_body_bytes)
    # Concurrent posts share a transaction (ingest/group_commit.py); this returns after its commit.
    await run_in_threadpool(lambda: ingest_one(database, document, rollups=settings.analytics_rollups, body=body))
    request.app.state.graph_index.invalidate()  # read-your-writes for this process's next graph query
    request.app.state.alerts.observe(document)  # after the commit; queues, never waits nor raises
    return Response(status_code=201)


@router.post(
    "/batch",
    response_model=BatchIngestResponse,
    summary="Receive a JSON array of OpenLineage events",
    openapi_extra=_body({"type": "array", "items": _EVENT_SCHEMA}),
)
async def post_batch(
    request: Request, _: IngestPrincipal, database: DatabaseDep, settings: SettingsDep, response: Response
) -> BatchIngestResponse:
    _body, document = await _body_and_document(request, settings.max_body_bytes)
    result = await run_in_threadpool(
        lambda: ingest_batch(
            database,
            document,
            max_events=settings.max_batch_events,
            rollups=settings.analytics_rollups,
        )
    )
    request.app.state.graph_index.invalidate()
    request.app.state.alerts.observe(document)
    if result.status == "failure":
        response.status_code = 422
    return result
