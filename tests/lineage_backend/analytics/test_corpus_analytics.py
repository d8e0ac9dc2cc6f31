"""Analytics of real events (../shared/corpus/openlineage): the dbt run agrees with its models, and the
Airflow provider's runs carry their trigger type."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from lineage_backend.analytics.buckets import bucket_start
from lineage_backend.analytics.sketch import exact_quantile
from lineage_backend.ingest.parse import parse_time
from tests.conftest import CORPUS, INGEST, READ

DBT = "generated/dbt-1.9.11-duckdb/artifacts-mode/dbt-ol_run_with_catalog.ndjson"
AIRFLOW = "compatibility-tests/consumer/scenarios/airflow/events"


def post(client: TestClient, events: list[dict[str, Any]]) -> None:
    response = client.post("/api/v1/lineage/batch", json=events, headers=INGEST)
    assert response.status_code == 200 and response.json()["status"] == "success", response.text


def day_range(moment: datetime) -> dict[str, str]:
    start = bucket_start(moment, "day")
    return {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()}


def test_dbt_run_analytics_agree_with_its_models(corpus_dir: Path, client: TestClient) -> None:
    events = [json.loads(line) for line in (CORPUS / DBT).read_text().splitlines() if line.strip()]
    post(client, events)
    spans: dict[str, dict[str, Any]] = {}
    for event in events:
        span = spans.setdefault(event["run"]["runId"], {"job": event["job"]["name"], "parent": None})
        moment = parse_time(event["eventTime"], "t")
        span["start" if event["eventType"] == "START" else "end"] = moment
        span["parent"] = (event["run"]["facets"].get("parent") or {}).get("run", {}).get("runId")
        span.setdefault("reads", set()).update(f"{d['namespace']}/{d['name']}" for d in event.get("inputs") or [])
        span.setdefault("writes", set()).update(f"{d['namespace']}/{d['name']}" for d in event.get("outputs") or [])
    (root_id,) = [run_id for run_id, span in spans.items() if span["parent"] is None]
    models = {run_id: span for run_id, span in spans.items() if span["parent"] == root_id}
    durations = [(s["end"] - s["start"]).total_seconds() for s in models.values()]
    params = day_range(spans[root_id]["start"])

    tasks = client.get("/api/v1/analytics/executions?" + urlencode({**params, "level": "task"}), headers=READ).json()
    points = [p for p in tasks["series"][0]["points"] if p["total"]]
    assert len(points) == 1 and points[0]["total"] == len(models) == points[0]["succeeded"]
    assert abs(points[0]["avgDurationSeconds"] - sum(durations) / len(durations)) < 1e-6
    exact = exact_quantile(durations, 0.95)
    assert exact and abs(points[0]["p95DurationSeconds"] - exact) / exact <= 0.02

    dags = client.get("/api/v1/analytics/executions?" + urlencode(params), headers=READ).json()
    (point,) = [p for p in dags["series"][0]["points"] if p["total"]]
    root = spans[root_id]
    assert (
        point["total"] == 1 and abs(point["avgDurationSeconds"] - (root["end"] - root["start"]).total_seconds()) < 1e-6
    )

    # No task graph in dbt events: the critical path follows the lineage between the models.
    path = client.get(f"/api/v1/analytics/runs/{root_id}/critical-path", headers=READ).json()
    names = [step["jobNodeId"].rsplit(":", 1)[-1] for step in path["steps"]]
    expected = [max(models.values(), key=lambda s: s["end"])]
    while True:
        ups = [s for s in models.values() if s["writes"] & expected[-1]["reads"] and s is not expected[-1]]
        if not ups:
            break
        expected.append(max(ups, key=lambda s: s["end"]))
    assert names == [s["job"] for s in reversed(expected)]
    assert len(path["steps"]) + len(path["others"]) == len(models)
    assert len(names) >= 2, "a dbt model that reads a staging model depends on it"


def test_airflow_provider_runs_carry_their_trigger_type(corpus_dir: Path, client: TestClient) -> None:
    folder = CORPUS / AIRFLOW
    events = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    post(client, events)
    first = min(parse_time(e["eventTime"], "t") for e in events)
    params = {**day_range(first), "groupBy": "triggerType", "level": "task"}
    body = client.get("/api/v1/analytics/executions?" + urlencode(params), headers=READ).json()
    totals = {s["key"]: sum(p["total"] for p in s["points"]) for s in body["series"]}
    assert totals.get("manual", 0) > 0
