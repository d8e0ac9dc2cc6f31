"""The benchmark's baseline: Flowlytics' own server stack doing the least an ingest endpoint can do.

Same FastAPI + uvicorn (same worker count, same uvicorn options as `flowlytics serve`), the same ingest-key
dependency, the same body reader and JSON decoder, the same engine (`lineage_backend.db.make_engine`) and
unit of work (`Database.run`, a threadpool hop like the real routes), but the event is only appended as
raw JSON to a one-column table: `CREATE TABLE bench_raw (payload TEXT)`.

    python benchmarks/baseline_app.py --db-url URL --port N --workers K
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from sqlalchemy import Column, MetaData, Table, Text, insert, text
from starlette.concurrency import run_in_threadpool

from lineage_backend.api.deps import DatabaseDep, IngestPrincipal, SettingsDep
from lineage_backend.api.errors import install_error_handlers
from lineage_backend.api.schemas import BatchIngestResponse, BatchSummary
from lineage_backend.auth import ApiKeyAuthenticator
from lineage_backend.config import Settings
from lineage_backend.db import Database
from lineage_backend.errors import InvalidEventError
from lineage_backend.ingest.service import decode_json, read_body

bench_metadata = MetaData()
bench_raw = Table("bench_raw", bench_metadata, Column("payload", Text))
CREATE_SQL = "CREATE TABLE bench_raw (payload TEXT)"


async def _document(request: Request, limit: int) -> Any:
    body = await read_body(
        request.stream(),
        content_length=request.headers.get("content-length"),
        content_encoding=request.headers.get("content-encoding"),
        limit=limit,
    )
    return decode_json(body)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="Flowlytics benchmark baseline")
    app.state.settings = settings
    app.state.database = Database.from_url(settings.db_url)
    app.state.authenticators = [ApiKeyAuthenticator(settings)]
    install_error_handlers(app)

    @app.get("/health")
    async def health(database: DatabaseDep) -> dict[str, str]:
        await run_in_threadpool(database.read, lambda session: session.execute(text("SELECT 1")))
        return {"status": "ok"}

    @app.post("/api/v1/lineage", status_code=201, response_class=Response)
    async def post_event(
        request: Request, _: IngestPrincipal, database: DatabaseDep, settings: SettingsDep
    ) -> Response:
        document = await _document(request, settings.max_body_bytes)
        if not isinstance(document, dict):
            raise InvalidEventError("this endpoint takes one event (a JSON object)")
        payload = orjson.dumps(document).decode()
        await run_in_threadpool(
            database.run, lambda session: session.execute(insert(bench_raw), [{"payload": payload}])
        )
        return Response(status_code=201)

    @app.post("/api/v1/lineage/batch", response_model=BatchIngestResponse)
    async def post_batch(
        request: Request, _: IngestPrincipal, database: DatabaseDep, settings: SettingsDep
    ) -> BatchIngestResponse:
        document = await _document(request, settings.max_body_bytes)
        if not isinstance(document, list):
            raise InvalidEventError("the batch endpoint takes a JSON array of events")
        rows = [{"payload": orjson.dumps(event).decode()} for event in document]
        if rows:
            await run_in_threadpool(database.run, lambda session: session.execute(insert(bench_raw), rows))
        return BatchIngestResponse(
            status="success",
            summary=BatchSummary(received=len(rows), successful=len(rows), failed=0, retriable=0, non_retriable=0),
            failed_events=[],
        )

    return app


def create_app_from_env() -> FastAPI:
    """Entry for uvicorn's `--factory` workers, like `lineage_backend.app:create_app_from_env`."""
    return create_app(Settings.from_env())


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ["FLOWLYTICS_DB_URL"] = args.db_url
    # Exactly the uvicorn options of `flowlytics serve` (lineage_backend/cli.py).
    uvicorn.run(
        "baseline_app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
