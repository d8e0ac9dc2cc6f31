"""Against a real `flowlytics serve` process: the real openlineage-python HTTP transport, concurrent
emitters, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from lineage_backend.db import Database
from lineage_backend.store.models import RawEvent
from tests.conftest import INGEST, INGEST_KEY, READ, serve_flowlytics
from tests.lineage_backend.events import dataset, output_stats, parent_facet, run_event

FLOWLYTICS = [sys.executable, "-m", "lineage_backend.cli"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Database]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
    else:
        base = request.getfixturevalue("postgres_url")
        name = f"live_{uuid.uuid4().hex[:8]}"
        admin = Database.from_url(base)
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        admin.engine.dispose()
        url = base.rsplit("/", 1)[0] + f"/{name}"
    # Two workers: the concurrency test races requests across processes, not just threads.
    with serve_flowlytics(url, "--workers", "2") as served:
        yield served


def stored_events(database: Database) -> int:
    return database.read(lambda s: s.execute(select(func.count()).select_from(RawEvent)).scalar_one())


def test_real_openlineage_client_posts_with_api_key_and_gzip(server: tuple[str, Database]) -> None:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import output_statistics_output_dataset, parent_run
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpCompression, HttpConfig, HttpTransport
    from openlineage.client.uuid import generate_new_uuid

    base, database = server
    config = HttpConfig(
        url=base + "/",
        endpoint="api/v1/lineage",
        auth=ApiKeyTokenProvider({"apiKey": INGEST_KEY}),
        compression=HttpCompression.GZIP,
    )
    client = OpenLineageClient(transport=HttpTransport(config))
    parent_id, run_id = str(generate_new_uuid()), str(generate_new_uuid())
    producer = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
    facets = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent_id), job=parent_run.Job(namespace="spark", name="app")
        )
    }
    output = OutputDataset(
        namespace="s3://bucket",
        name="/warehouse/orders",
        outputFacets={
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=42, size=1024
            )
        },
    )
    for state, when in ((RunState.START, "2024-05-01T10:00:00Z"), (RunState.COMPLETE, "2024-05-01T10:02:30Z")):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=when,
                producer=producer,
                run=Run(runId=run_id, facets=facets),
                job=Job(namespace="spark", name="app.write_orders"),
                inputs=[InputDataset(namespace="s3://bucket", name="/raw/orders")],
                outputs=[output],
            )
        )
    run = httpx.get(f"{base}/api/v1/runs/{run_id}", headers=READ).json()
    assert run["state"] == "COMPLETED" and run["durationSeconds"] == 150.0
    assert run["parentRunId"] == parent_id
    assert run["outputs"] == [
        {"namespace": "s3://bucket", "name": "/warehouse/orders", "rowCount": 42, "bytes": 1024, "fileCount": None}
    ]
    assert stored_events(database) == 2

    # A wrong key is refused, and the client surfaces it.
    bad = OpenLineageClient(
        transport=HttpTransport(HttpConfig(url=base + "/", auth=ApiKeyTokenProvider({"apiKey": "nope"})))
    )
    with pytest.raises(Exception, match="401"):
        bad.emit(
            RunEvent(
                eventType=RunState.START,
                eventTime="2024-05-01T10:00:00Z",
                producer=producer,
                run=Run(runId=str(generate_new_uuid())),
                job=Job(namespace="spark", name="x"),
            )
        )
    assert stored_events(database) == 2


def test_concurrent_emitters_lose_nothing(server: tuple[str, Database]) -> None:
    base, database = server
    runs = [str(uuid.uuid4()) for _ in range(40)]
    dag_run = str(uuid.uuid4())
    events = []
    for i, run_id in enumerate(runs):
        parent = {"parent": parent_facet(dag_run, "hot_dag")}
        shared = {**dataset("pg", "shared.table"), "outputFacets": output_stats(i)}  # every run touches one row
        events.append(run_event("START", run_id=run_id, job=f"hot_dag.t{i % 5}", seconds=i, run_facets=parent))
        events.append(
            run_event(
                "COMPLETE", run_id=run_id, job=f"hot_dag.t{i % 5}", seconds=i + 1, outputs=[shared], run_facets=parent
            )
        )

    def post(event: dict) -> int:
        with httpx.Client(timeout=60) as http:
            return http.post(f"{base}/api/v1/lineage", json=event, headers=INGEST).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, events + events[:20]))  # duplicates race with originals
    assert statuses.count(201) == len(statuses)
    assert stored_events(database) == len(events)
    listed = httpx.get(f"{base}/api/v1/runs?limit=100", headers=READ).json()
    assert listed["totalCount"] == len(runs)
    assert {r["state"] for r in listed["items"]} == {"COMPLETED"}
    assert all(r["parentRunId"] == dag_run for r in listed["items"])


def test_cli_replay_posts_a_file_and_reports_rejections(server: tuple[str, Database], tmp_path: Path) -> None:
    base, database = server
    path = tmp_path / "events.ndjson"
    bad = run_event("START")
    bad["producer"] = "x"
    path.write_text("\n".join(json.dumps(e) for e in [run_event("START"), run_event("COMPLETE"), bad]))
    result = subprocess.run(
        [*FLOWLYTICS, "replay", str(path), "--url", base, "--api-key", INGEST_KEY], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "posted 3 events, 1 rejected" in result.stdout
    assert "event 2: [2].producer" in result.stderr
    assert stored_events(database) == 2


def test_cli_without_database_explains_what_to_pass() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FLOWLYTICS_DB_URL"}
    result = subprocess.run([*FLOWLYTICS, "db", "migrate"], capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "--db-url" in result.stderr
