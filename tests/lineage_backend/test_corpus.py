"""Every real event in ../shared/corpus/openlineage ingests, and what is derived from it is right.

Expectations come from a deliberately simple reading of the raw events (an oracle), plus hand-checked
facts about the Airflow, dbt and Spark scenarios.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lineage_backend.db import Database
from lineage_backend.ingest.parse import normalise_run_id, parse_time
from lineage_backend.store.models import Dataset, Job, LineageEdge, RawEvent
from tests.conftest import CORPUS, INGEST, READ

TERMINAL = {"COMPLETE": "COMPLETED", "FAIL": "FAILED", "ABORT": "ABORTED"}


def corpus_files(category: str) -> list[dict[str, Any]]:
    index = CORPUS / "index.json"
    if not index.is_file():
        return []
    return [entry for entry in json.loads(index.read_text()) if entry["category"] == category]


def load_events(entry: dict[str, Any]) -> list[dict[str, Any]]:
    text = (CORPUS / entry["file"]).read_text()
    if entry["format"] == "ndjson":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    document = json.loads(text)
    return document if isinstance(document, list) else [document]


def post_all(client: TestClient, events: list[dict[str, Any]]) -> None:
    response = client.post("/api/v1/lineage/batch", json=events, headers=INGEST)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "success", response.json()["failedEvents"]


def count(database: Database, model: type) -> int:
    return database.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def expected_runs(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per run: the state of its terminal event if it has one, else RUNNING; parent; output rows."""
    runs: dict[str, dict[str, Any]] = defaultdict(lambda: {"terminal": None, "parent": None, "rows": {}})
    for event in events:
        if "run" not in event:
            continue
        run = runs[normalise_run_id(event["run"]["runId"], "r")]
        run["job"] = event["job"]["name"]
        when = parse_time(event["eventTime"], "t")
        kind = (event.get("eventType") or "RUNNING").upper()
        if kind in TERMINAL and (run["terminal"] is None or when >= run["terminal"][0]):
            run["terminal"] = (when, TERMINAL[kind])
        facets = event["run"].get("facets") or {}
        parent = facets.get("parent") or facets.get("parentRun")
        if parent:
            run["parent"] = normalise_run_id(parent["run"]["runId"], "p")
        for output in event.get("outputs") or []:
            rows = ((output.get("outputFacets") or {}).get("outputStatistics") or {}).get("rowCount")
            if rows is not None:
                key = (output["namespace"], output["name"])
                if key not in run["rows"] or when >= run["rows"][key][0]:
                    run["rows"][key] = (when, rows)
    return runs


@pytest.mark.parametrize("entry", corpus_files("events"), ids=lambda e: e["file"])
def test_real_event_file_ingests_and_derives_the_right_rows(
    corpus_dir: Path, entry: dict[str, Any], client: TestClient, database: Database
) -> None:
    events = load_events(entry)
    post_all(client, events)
    distinct = {json.dumps(e, sort_keys=True) for e in events}
    assert count(database, RawEvent) == len(distinct)

    jobs = {(e["job"]["namespace"], e["job"]["name"]) for e in events if "job" in e}
    stored_jobs = set(database.read(lambda s: s.execute(select(Job.namespace, Job.name)).all()))
    assert jobs <= {tuple(j) for j in stored_jobs}

    datasets = {(d["namespace"], d["name"]) for e in events for d in (e.get("inputs") or []) + (e.get("outputs") or [])}
    datasets |= {(e["dataset"]["namespace"], e["dataset"]["name"]) for e in events if "dataset" in e and "run" not in e}
    stored_datasets = {
        tuple(d) for d in database.read(lambda s: s.execute(select(Dataset.namespace, Dataset.name)).all())
    }
    assert datasets <= stored_datasets

    edges = {
        (e["job"]["namespace"], e["job"]["name"], d["namespace"], d["name"], direction)
        for e in events
        if "job" in e
        for direction, key in (("IN", "inputs"), ("OUT", "outputs"))
        for d in e.get(key) or []
    }
    stored_edges = {
        tuple(row)
        for row in database.read(
            lambda s: s.execute(
                select(Job.namespace, Job.name, Dataset.namespace, Dataset.name, LineageEdge.direction)
                .join(Job, Job.id == LineageEdge.job_id)
                .join(Dataset, Dataset.id == LineageEdge.dataset_id)
            ).all()
        )
    }
    assert edges == stored_edges

    for run_id, expected in expected_runs(events).items():
        run = client.get(f"/api/v1/runs/{run_id}", headers=READ).json()
        assert run["job"]["name"] == expected["job"]
        assert run["state"] == (expected["terminal"][1] if expected["terminal"] else "RUNNING"), run_id
        assert run["parentRunId"] == expected["parent"]
        rows = {(o["namespace"], o["name"]): o["rowCount"] for o in run["outputs"]}
        for key, (_, count_) in expected["rows"].items():
            assert rows[key] == count_


@pytest.mark.parametrize("entry", corpus_files("invalid"), ids=lambda e: e["file"])
def test_invalid_file_gets_a_4xx_naming_the_problem_and_stores_nothing(
    corpus_dir: Path, entry: dict[str, Any], client: TestClient, database: Database
) -> None:
    body = (CORPUS / entry["file"]).read_bytes()
    response = client.post("/api/v1/lineage", content=body, headers={**INGEST, "Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    detail = response.json()["detail"]
    assert isinstance(detail, str) and len(detail) > 20
    assert count(database, RawEvent) == 0 and count(database, Job) == 0 and count(database, Dataset) == 0


def _scenario(folder: str) -> list[dict[str, Any]]:
    files = sorted((CORPUS / folder).glob("*.json"))
    return [json.loads(f.read_text()) for f in files]


def test_airflow_scenario_task_runs_hang_under_their_dag_runs(corpus_dir: Path, client: TestClient) -> None:
    events = _scenario("compatibility-tests/consumer/scenarios/airflow/events")
    post_all(client, list(reversed(events)))  # arrival order must not matter
    runs = client.get("/api/v1/runs?limit=100", headers=READ).json()["items"]
    dags = {r["job"]["name"]: r for r in runs if "." not in r["job"]["name"]}
    assert set(dags) == {"BQ", "dag", "gcs_hook"}
    assert all(r["state"] == "COMPLETED" for r in runs)
    tasks = [r for r in runs if "." in r["job"]["name"]]
    assert len(tasks) == 13  # BQ: 3, dag: 1, gcs_hook: 9
    for task in tasks:
        dag = dags[task["job"]["name"].split(".")[0]]
        assert task["parentRunId"] == dag["runId"] and task["rootRunId"] == dag["runId"]
    upload = next(t for t in tasks if t["job"]["name"] == "BQ.upload")
    assert [o["name"] for o in upload["outputs"]] == ["mock-project.test.upload"]
    job = client.get("/api/v1/jobs/" + quote(f"job:{upload['job']['namespace']}:BQ", safe=""), headers=READ).json()
    assert job["dagId"] == "BQ"


def test_dbt_run_models_form_the_dependency_graph_the_events_describe(corpus_dir: Path, client: TestClient) -> None:
    path = CORPUS / "generated/dbt-1.9.11-duckdb/artifacts-mode/dbt-ol_run_with_catalog.ndjson"
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    post_all(client, events)
    models = {e["job"]["name"]: e for e in events if e.get("eventType") == "COMPLETE" and e.get("outputs")}
    assert models, "the dbt run should have model COMPLETE events with outputs"
    for name, event in models.items():
        job = client.get(
            "/api/v1/jobs/" + quote(f"job:{event['job']['namespace']}:{name}", safe=""), headers=READ
        ).json()
        assert set(job["inputs"]) == {f"dataset:{d['namespace']}:{d['name']}" for d in event["inputs"]}
        assert set(job["outputs"]) == {f"dataset:{d['namespace']}:{d['name']}" for d in event["outputs"]}
        run = client.get(f"/api/v1/runs/{event['run']['runId']}", headers=READ).json()
        parent = event["run"]["facets"]["parent"]
        assert run["parentRunId"] == parent["run"]["runId"]
        assert run["state"] == "COMPLETED"


def test_spark_actions_hang_under_their_application(corpus_dir: Path, client: TestClient) -> None:
    events = _scenario("compatibility-tests/consumer/scenarios/spark_dataproc_simple_producer_test_complete/events")
    post_all(client, events)
    runs = client.get("/api/v1/runs?limit=100", headers=READ).json()["items"]
    children = [r for r in runs if r["parentRunId"]]
    assert children, "Spark action runs carry a parent facet"
    parent_ids = {r["parentRunId"] for r in children}
    for parent_id in parent_ids:
        parent = client.get(f"/api/v1/runs/{parent_id}", headers=READ)
        if parent.status_code == 200:
            assert parent.json()["job"]["name"] != ""
    assert any(o["rowCount"] for r in runs for o in r["outputs"]) or any(r["outputs"] for r in runs)


def test_dbt_graph_matches_the_model_dependencies(corpus_dir: Path, client: TestClient) -> None:
    """Through the graph API: each model's upstream at depth 2 is exactly the models and sources it read."""
    path = CORPUS / "generated/dbt-1.9.11-duckdb/artifacts-mode/dbt-ol_run_with_catalog.ndjson"
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    post_all(client, events)
    writes = [e for e in events if e.get("eventType") == "COMPLETE" and e.get("outputs")]
    assert writes
    for event in writes:
        for output in event["outputs"]:
            node = f"dataset:{output['namespace']}:{output['name']}"
            body = client.get(
                "/api/v1/graph",
                params={"nodeId": node, "direction": "upstream", "depth": 2, "collapse": "false"},
                headers=READ,
            ).json()
            upstream = {n["id"] for n in body["nodes"] if n["distance"] == 2}
            expected = {
                f"dataset:{d['namespace']}:{d['name']}"
                for e in writes
                for o in e["outputs"]
                if (o["namespace"], o["name"]) == (output["namespace"], output["name"])
                for d in e["inputs"]
            }
            assert upstream == expected, node
            producers = {n["id"] for n in body["nodes"] if n["distance"] == 1}
            assert f"job:{event['job']['namespace']}:{event['job']['name']}" in producers
