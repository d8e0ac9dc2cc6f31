"""POST /api/v1/lineage and /api/v1/lineage/batch, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lineage_backend.app import create_app
from lineage_backend.db import Database
from lineage_backend.store.models import Job, LineageEdge, RawEvent, Run, RunDataset
from tests.conftest import ADMIN_KEY, INGEST, READ, make_settings
from tests.lineage_backend.events import dataset, output_stats, run_event


def count(database: Database, model: type) -> int:
    return database.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def test_single_event_is_stored_with_201_and_empty_body(client: TestClient, database: Database) -> None:
    response = client.post("/api/v1/lineage", json=run_event("START", outputs=[dataset("pg", "t")]), headers=INGEST)
    assert response.status_code == 201
    assert response.content == b""
    assert count(database, RawEvent) == 1
    assert count(database, Run) == 1
    assert count(database, LineageEdge) == 1


def test_gzip_body_is_accepted(client: TestClient, database: Database) -> None:
    body = gzip.compress(json.dumps(run_event("COMPLETE")).encode())
    response = client.post(
        "/api/v1/lineage",
        content=body,
        headers={**INGEST, "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert count(database, Run) == 1


def test_same_event_twice_changes_nothing(client: TestClient, database: Database) -> None:
    run_id = str(uuid.uuid4())
    event = run_event("COMPLETE", run_id=run_id, outputs=[{**dataset("pg", "t"), "outputFacets": output_stats(10)}])
    for _ in range(3):
        assert client.post("/api/v1/lineage", json=event, headers=INGEST).status_code == 201
    assert count(database, RawEvent) == 1
    run = client.get(f"/api/v1/runs/{run_id}", headers=READ).json()
    assert run["eventCount"] == 1
    assert run["outputs"] == [{"namespace": "pg", "name": "t", "rowCount": 10, "bytes": None, "fileCount": None}]


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), (READ, 403), ({"Authorization": f"Bearer {ADMIN_KEY}"}, 403)],
)
def test_ingest_needs_an_ingest_key(
    client: TestClient, database: Database, headers: dict[str, str], status: int
) -> None:
    response = client.post("/api/v1/lineage", json=run_event("START"), headers=headers)
    assert response.status_code == status
    assert "ingest key" in response.json()["detail"]
    assert count(database, RawEvent) == 0


def test_bad_json_is_400_and_stores_nothing(client: TestClient, database: Database) -> None:
    response = client.post("/api/v1/lineage", content=b'{"eventTime": ', headers=INGEST)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]
    assert count(database, RawEvent) == 0


def test_broken_gzip_is_400(client: TestClient) -> None:
    response = client.post("/api/v1/lineage", content=b"not gzip", headers={**INGEST, "Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in response.json()["detail"]


def test_invalid_event_is_422_naming_the_field(client: TestClient, database: Database) -> None:
    event = run_event("START")
    del event["job"]["namespace"]
    response = client.post("/api/v1/lineage", json=event, headers=INGEST)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("event.job.namespace: required")
    assert count(database, RawEvent) == 0


def test_array_on_single_endpoint_points_to_batch(client: TestClient) -> None:
    response = client.post("/api/v1/lineage", json=[run_event("START")], headers=INGEST)
    assert response.status_code == 422
    assert "/api/v1/lineage/batch" in response.json()["detail"]


def test_body_size_limit_is_413_also_after_gunzip(database: Database) -> None:
    app = create_app(make_settings(max_body_bytes=2000), database=database)
    with TestClient(app) as small:
        big = run_event("START", run_facets={"blob": {"data": "x" * 5000}})
        assert small.post("/api/v1/lineage", json=big, headers=INGEST).status_code == 413
        bomb = gzip.compress(json.dumps(big).encode())
        assert len(bomb) < 2000
        response = small.post("/api/v1/lineage", content=bomb, headers={**INGEST, "Content-Encoding": "gzip"})
        assert response.status_code == 413
        assert "decompressed" in response.json()["detail"]
    assert count(database, RawEvent) == 0


def test_batch_reports_per_event_outcome_and_stores_the_good_ones(client: TestClient, database: Database) -> None:
    bad = run_event("START")
    bad["producer"] = "nope"
    events = [run_event("START"), bad, run_event("COMPLETE"), {"foo": 1}]
    response = client.post("/api/v1/lineage/batch", json=events, headers=INGEST)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "partial_success"
    assert body["summary"] == {"received": 4, "successful": 2, "failed": 2, "retriable": 0, "nonRetriable": 2}
    assert [item["index"] for item in body["failedEvents"]] == [1, 3]
    assert body["failedEvents"][0]["reason"].startswith("[1].producer")
    assert count(database, RawEvent) == 2


def test_batch_of_only_bad_events_is_422(client: TestClient, database: Database) -> None:
    response = client.post("/api/v1/lineage/batch", json=[{"x": 1}], headers=INGEST)
    assert response.status_code == 422
    assert response.json()["status"] == "failure"
    assert client.post("/api/v1/lineage/batch", json={"not": "a list"}, headers=INGEST).status_code == 422


def test_batch_success_and_duplicates_within_it(client: TestClient, database: Database) -> None:
    event = run_event("START")
    response = client.post("/api/v1/lineage/batch", json=[event, event, run_event("COMPLETE")], headers=INGEST)
    assert response.json()["status"] == "success"
    assert count(database, RawEvent) == 2


def test_child_before_parent_keeps_links(client: TestClient, database: Database) -> None:
    from tests.lineage_backend.events import parent_facet

    dag_run, task_run = str(uuid.uuid4()), str(uuid.uuid4())
    child = run_event("COMPLETE", run_id=task_run, job="dag.task", run_facets={"parent": parent_facet(dag_run, "dag")})
    assert client.post("/api/v1/lineage", json=child, headers=INGEST).status_code == 201
    # Before the parent's own events, the child already points at it.
    assert client.get(f"/api/v1/runs/{task_run}", headers=READ).json()["parentRunId"] == dag_run
    assert client.get(f"/api/v1/runs/{dag_run}", headers=READ).status_code == 404  # placeholder, not a run yet
    client.post("/api/v1/lineage", json=run_event("START", run_id=dag_run, job="dag"), headers=INGEST)
    task = client.get(f"/api/v1/runs/{task_run}", headers=READ).json()
    assert task["parentRunId"] == dag_run and task["rootRunId"] == dag_run
    assert client.get(f"/api/v1/runs/{dag_run}", headers=READ).json()["job"]["name"] == "dag"
    assert count(database, Job) == 2
    assert count(database, RunDataset) == 0


def test_batch_of_only_bad_events_says_why_in_detail(client: TestClient) -> None:
    """Regression (fuzzing): a 422 from the batch endpoint carried no `detail` like every other error."""
    response = client.post("/api/v1/lineage/batch", json=[{"eventTime": "2024-01-01T00:00:00Z"}], headers=INGEST)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("none of the 1 events was stored; the first problem: [0].producer")


def test_a_mutated_event_that_could_not_be_stored_is_422_and_stores_nothing(
    client: TestClient, database: Database
) -> None:
    """Regression (fuzzing): these were 500s (SQLite or PostgreSQL) with the raw event half-handled."""
    lineage = {
        "fields": {"a": {"inputFields": [{"namespace": "n", "name": "s", "transformations": [{"masking": -1}]}]}}
    }
    bad = [
        run_event("START", outputs=[{"namespace": "n", "name": "t", "facets": {"columnLineage": lineage}}]),
        run_event("START", outputs=[{"namespace": "n", "name": "x" * 1001}]),
        run_event("START", outputs=[{"namespace": "n", "name": "\x00"}]),
        {**run_event("START"), "eventTime": "0001-01-01T00:00:00+01:00"},
    ]
    for event in bad:
        response = client.post("/api/v1/lineage", json=event, headers=INGEST)
        assert response.status_code == 422, response.text
    assert count(database, RawEvent) == 0 and count(database, Job) == 0
