"""/api/v1/analytics/*: figures against hand-computed answers, empty buckets, day edges, CSV, critical paths,
error categories, versions, rankings, cost, per-DAG visibility and 401/403/404/422."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from lineage_backend.analytics.cost import parse_cost_budgets, parse_cost_rates
from lineage_backend.analytics.sketch import exact_quantile
from lineage_backend.app import create_app
from lineage_backend.auth import READ, Principal
from lineage_backend.db import Database
from tests.conftest import INGEST, make_settings
from tests.conftest import READ as READ_HEADERS
from tests.lineage_backend.events import PRODUCER, dataset

UTC = timezone.utc
DAY = datetime(2024, 5, 1, tzinfo=UTC)  # a Wednesday
ALICE = {"x-user": "alice"}
TASK_GRAPH = {
    "extract": ["transform_a", "transform_b"],
    "transform_a": ["load"],
    "transform_b": ["load"],
    "load": [],
}
RATES = '{"currency": "EUR", "runtimePerHour": [{"pattern": "sales*", "price": 3.6}], "defaultRuntimePerHour": 0}'


class OnlySales:
    """alice may read DAG `sales` (in any namespace); bob may read `sales` of the Airflow whose OpenLineage
    namespace the `x-namespace` header names, and other deployments' DAGs when `x-foreign: yes`."""

    async def authenticate(self, request: Request) -> Principal | None:
        user = request.headers.get("x-user")
        if user == "bob":
            return Principal(
                name="bob",
                scopes=frozenset({READ}),
                readable_dag_ids=frozenset({"sales"}),
                dag_namespace=request.headers.get("x-namespace", "airflow"),
                sees_foreign_dags=request.headers.get("x-foreign") == "yes",
            )
        if user != "alice":
            return None
        return Principal(name="alice", scopes=frozenset({READ}), readable_dag_ids=frozenset({"sales"}))


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event(kind: str, run_id: str, job: str, moment: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": iso(moment),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id, "facets": extra.get("run_facets", {})},
        "job": {"namespace": "airflow", "name": job, "facets": extra.get("job_facets", {})},
        "inputs": extra.get("inputs", []),
        "outputs": extra.get("outputs", []),
    }


def dag_run(
    dag: str,
    start: datetime,
    tasks: dict[str, tuple[float, float, str]],
    *,
    run_type: str,
    version: int,
    final: str,
    errors: dict[str, str] | None = None,
) -> tuple[str, list[dict[str, Any]], dict[str, str]]:
    """A DAG run with tasks at (start minute, end minute, final event type) after `start`."""
    run_id = str(uuid.uuid4())
    dag_facets = {
        "airflowDagRun": {"dag": {"dag_id": dag}, "dagRun": {"run_type": run_type, "dag_version_number": version}}
    }
    job_facets = {
        "jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"},
        "airflow": {"tasks": {t: {"downstream_task_ids": d} for t, d in TASK_GRAPH.items()}} if dag == "sales" else {},
    }
    events = [event("START", run_id, dag, start, run_facets=dag_facets, job_facets=job_facets)]
    ids = {}
    end = start
    for task, (begin, finish, kind) in tasks.items():
        task_id = ids[task] = str(uuid.uuid4())
        facets = {
            "parent": {"run": {"runId": run_id}, "job": {"namespace": "airflow", "name": dag}},
            "airflow": {"dag": {"dag_id": dag}, "dagRun": {"run_type": run_type, "dag_version_number": version}},
        }
        job = f"{dag}.{task}"
        task_type = {"jobType": {"jobType": "TASK", "integration": "AIRFLOW", "processingType": "BATCH"}}
        events.append(
            event("START", task_id, job, start + timedelta(minutes=begin), run_facets=facets, job_facets=task_type)
        )
        done = dict(facets)
        if errors and task in errors:
            done["errorMessage"] = {"message": errors[task], "programmingLanguage": "python"}
        outputs = [{**dataset("pg", f"{job}_out"), "outputFacets": {"outputStatistics": {"rowCount": 10}}}]
        events.append(
            event(
                kind,
                task_id,
                job,
                start + timedelta(minutes=finish),
                run_facets=done,
                job_facets=task_type,
                outputs=outputs,
            )
        )
        end = max(end, start + timedelta(minutes=finish))
    events.append(event(final, run_id, dag, end + timedelta(seconds=30), run_facets=dag_facets, job_facets=job_facets))
    return run_id, events, ids


@pytest.fixture
def scenario(database: Database) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    settings = make_settings(
        cost_rates=parse_cost_rates(RATES), cost_budgets=parse_cost_budgets('[{"dagId": "sales", "monthly": 100}]')
    )
    app = create_app(settings, database=database, authenticators=[OnlySales()])
    runs: dict[str, Any] = {}
    all_events = []
    # Day 1, 10:00: a clean diamond; transform_b finishes last of the two branches.
    runs["r1"], events, runs["r1_tasks"] = dag_run(
        "sales",
        DAY + timedelta(hours=10),
        {
            "extract": (0, 5, "COMPLETE"),
            "transform_a": (6, 10, "COMPLETE"),
            "transform_b": (5.5, 20, "COMPLETE"),
            "load": (21, 25, "COMPLETE"),
        },
        run_type="scheduled",
        version=1,
        final="COMPLETE",
    )
    all_events += events
    # Day 1, 23:50, crossing midnight: transform_b fails.
    runs["r2"], events, runs["r2_tasks"] = dag_run(
        "sales",
        DAY + timedelta(hours=23, minutes=50),
        {"extract": (0, 2, "COMPLETE"), "transform_a": (3, 4, "COMPLETE"), "transform_b": (3, 30, "FAIL")},
        run_type="manual",
        version=2,
        final="FAIL",
        errors={"transform_b": "ValueError: order 9056 missing in '/data/a.csv'"},
    )
    all_events += events
    # Day 3: fails again with the same category of error.
    runs["r3"], events, runs["r3_tasks"] = dag_run(
        "sales",
        DAY + timedelta(days=2, hours=8),
        {"extract": (0, 1, "COMPLETE"), "transform_b": (2, 3, "FAIL")},
        run_type="scheduled",
        version=2,
        final="FAIL",
        errors={"transform_b": "ValueError: order 17 missing in '/data/b.csv'"},
    )
    all_events += events
    # Another DAG that alice may not read.
    runs["hr"], events, _ = dag_run(
        "hr", DAY + timedelta(hours=11), {"pay": (0, 60, "COMPLETE")}, run_type="manual", version=1, final="COMPLETE"
    )
    all_events += events
    with TestClient(app) as client:
        # Out of order and twice: analytics must not care.
        shuffled = list(reversed(all_events)) + all_events[::3]
        response = client.post("/api/v1/lineage/batch", json=shuffled, headers=INGEST)
        assert response.status_code == 200, response.text
        assert response.json()["summary"]["failed"] == 0
        yield client, runs


def dag_minutes(tasks: dict[str, tuple[float, float, str]]) -> float:
    return max(end for _, end, _ in tasks.values()) + 0.5


R1 = 25.5 * 60
R2 = 30.5 * 60
R3 = 3.5 * 60
HR = 60.5 * 60


def q(path: str, **params: Any) -> str:
    from urllib.parse import urlencode

    return f"{path}?{urlencode(params)}" if params else path


RANGE = {"from": iso(DAY), "to": iso(DAY + timedelta(days=4))}


def test_executions_by_day_with_empty_buckets_and_a_run_crossing_midnight(
    scenario: tuple[TestClient, dict[str, Any]],
) -> None:
    client, _ = scenario
    body = client.get(q("/api/v1/analytics/executions", granularity="day", **RANGE), headers=READ_HEADERS).json()
    assert body["granularity"] == "day" and body["currency"] == "EUR"
    (series,) = body["series"]
    points = series["points"]
    assert [p["bucket"] for p in points] == [iso(DAY + timedelta(days=d)) for d in range(4)]
    # Day 1 holds r1, hr and r2 (it started before midnight, it counts where it started).
    assert [(p["total"], p["succeeded"], p["failed"]) for p in points] == [(3, 2, 1), (0, 0, 0), (1, 0, 1), (0, 0, 0)]
    assert points[0]["successRate"] == pytest.approx(2 / 3)
    assert points[1]["successRate"] is None and points[1]["p95DurationSeconds"] is None
    assert points[0]["avgDurationSeconds"] == pytest.approx((R1 + R2 + HR) / 3)
    for point, durations in ((points[0], [R1, R2, HR]), (points[2], [R3])):
        for field, level in (("p50DurationSeconds", 0.5), ("p95DurationSeconds", 0.95)):
            exact = exact_quantile(durations, level)
            assert exact is not None and abs(point[field] - exact) / exact <= 0.02
    # Cost: the rate card prices sales* at 3.6 per hour, i.e. 0.001 per second; hr costs nothing.
    assert points[0]["cost"] == pytest.approx((R1 + R2) / 1000) and points[0]["costBilled"] == 0
    assert body["costBasis"] == "estimated"


def test_executions_grouped_filtered_and_at_task_level(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, _ = scenario
    by_dag = client.get(q("/api/v1/analytics/executions", groupBy="dag", **RANGE), headers=READ_HEADERS).json()
    assert {s["key"]: sum(p["total"] for p in s["points"]) for s in by_dag["series"]} == {"sales": 3, "hr": 1}
    by_trigger = client.get(
        q("/api/v1/analytics/executions", groupBy="triggerType", **RANGE), headers=READ_HEADERS
    ).json()
    assert {s["key"]: sum(p["total"] for p in s["points"]) for s in by_trigger["series"]} == {
        "manual": 2,
        "scheduled": 2,
    }
    tasks = client.get(
        q("/api/v1/analytics/executions", level="task", dagId="sales", groupBy="state", **RANGE), headers=READ_HEADERS
    ).json()
    assert {s["key"]: sum(p["total"] for p in s["points"]) for s in tasks["series"]} == {"COMPLETED": 7, "FAILED": 2}
    rows = client.get(
        q("/api/v1/analytics/executions", level="task", groupBy="job", dagId="sales", **RANGE), headers=READ_HEADERS
    ).json()
    assert {s["key"]: sum(p["rowsWritten"] for p in s["points"]) for s in rows["series"]} == {
        "job:airflow:sales.extract": 30,
        "job:airflow:sales.transform_a": 20,
        "job:airflow:sales.transform_b": 30,
        "job:airflow:sales.load": 10,
    }
    hourly = client.get(q("/api/v1/analytics/executions", granularity="hour", **RANGE), headers=READ_HEADERS).json()
    (series,) = hourly["series"]
    assert len(series["points"]) == 96 and sum(p["total"] for p in series["points"]) == 4
    assert [p["bucket"] for p in series["points"] if p["total"]] == [
        iso(DAY + timedelta(hours=10)),
        iso(DAY + timedelta(hours=11)),
        iso(DAY + timedelta(hours=23)),
        iso(DAY + timedelta(days=2, hours=8)),
    ]
    minutes = client.get(
        q(
            "/api/v1/analytics/executions",
            granularity="minute",
            **{"from": iso(DAY + timedelta(hours=10)), "to": iso(DAY + timedelta(hours=11))},
        ),
        headers=READ_HEADERS,
    ).json()
    assert [p["total"] for p in minutes["series"][0]["points"]][:2] == [1, 0] and len(
        minutes["series"][0]["points"]
    ) == 60
    weekly = client.get(q("/api/v1/analytics/executions", granularity="week", **RANGE), headers=READ_HEADERS).json()
    assert [(p["bucket"], p["total"]) for p in weekly["series"][0]["points"]] == [(iso(DAY - timedelta(days=2)), 4)]
    env = client.get(q("/api/v1/analytics/executions", env="airflow", **RANGE), headers=READ_HEADERS).json()
    assert sum(p["total"] for p in env["series"][0]["points"]) == 4
    other_env = client.get(q("/api/v1/analytics/executions", env="prod", **RANGE), headers=READ_HEADERS).json()
    assert sum(p["total"] for p in other_env["series"][0]["points"]) == 0


def test_csv_exports_exactly_the_chart_data(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, _ = scenario
    params = {"groupBy": "dag", **RANGE}
    chart = client.get(q("/api/v1/analytics/executions", **params), headers=READ_HEADERS).json()
    response = client.get(q("/api/v1/analytics/executions", format="csv", **params), headers=READ_HEADERS)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == sum(len(s["points"]) for s in chart["series"])
    for row, (series, point) in zip(rows, [(s, p) for s in chart["series"] for p in s["points"]], strict=True):
        assert row["series"] == series["key"] and int(row["total"]) == point["total"]
        assert datetime.fromisoformat(row["bucket"]) == datetime.fromisoformat(point["bucket"].replace("Z", "+00:00"))


def test_csv_cells_cannot_run_as_formulas(database: Database) -> None:
    with TestClient(create_app(make_settings(), database=database)) as client:
        run_id = str(uuid.uuid4())
        dag = "=HYPERLINK(1)"
        facets = {"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}}
        for kind, minute in (("START", 0), ("COMPLETE", 1)):
            client.post(
                "/api/v1/lineage",
                json=event(kind, run_id, dag, DAY + timedelta(minutes=minute), job_facets=facets),
                headers=INGEST,
            )
        text = client.get(
            q("/api/v1/analytics/executions", groupBy="dag", format="csv", **RANGE), headers=READ_HEADERS
        ).text
        assert "\n'=HYPERLINK(1)," in text


def test_summary_compares_with_the_previous_period(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, _ = scenario
    body = client.get(
        q(
            "/api/v1/analytics/executions/summary",
            **{"from": iso(DAY + timedelta(days=2)), "to": iso(DAY + timedelta(days=4))},
        ),
        headers=READ_HEADERS,
    ).json()
    assert (body["total"], body["failed"], body["successRate"]) == (1, 1, 0.0)
    assert body["previous"]["from"] == iso(DAY) and body["previous"]["to"] == iso(DAY + timedelta(days=2))
    assert (body["previous"]["total"], body["previous"]["succeeded"]) == (3, 2)
    # Not on day edges: read from the hour rollups.
    partial = client.get(
        q(
            "/api/v1/analytics/executions/summary",
            dagId="sales",
            **{"from": iso(DAY + timedelta(hours=10)), "to": iso(DAY + timedelta(hours=11))},
        ),
        headers=READ_HEADERS,
    ).json()
    assert partial["total"] == 1 and partial["previous"]["total"] == 0


def test_error_categories_merge_variable_parts(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, runs = scenario
    body = client.get(q("/api/v1/analytics/errors", dagId="sales", **RANGE), headers=READ_HEADERS).json()
    (category,) = [c for c in body["items"] if c["exceptionType"] == "ValueError"]
    assert category["count"] == 2 and category["jobs"] == ["job:airflow:sales.transform_b"]
    assert category["pattern"] == "order <num> missing in <str>"
    assert category["exampleRunId"] == runs["r3_tasks"]["transform_b"]  # the newest
    assert category["firstSeen"] < category["lastSeen"]


def test_critical_path_of_a_diamond_run(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, runs = scenario
    body = client.get(f"/api/v1/analytics/runs/{runs['r1']}/critical-path", headers=READ_HEADERS).json()
    assert [s["jobNodeId"].rsplit(".", 1)[-1] for s in body["steps"]] == ["extract", "transform_b", "load"]
    assert [s["runSeconds"] for s in body["steps"]] == [300.0, 870.0, 240.0]
    assert [s["waitSeconds"] for s in body["steps"]] == [0.0, 30.0, 60.0]
    assert body["totalSeconds"] == 25 * 60
    assert body["others"] == [{"jobNodeId": "job:airflow:sales.transform_a", "slackSeconds": 660.0}]


def test_critical_path_lists_every_task_with_its_tries_for_the_gantt(
    scenario: tuple[TestClient, dict[str, Any]],
) -> None:
    client, runs = scenario
    body = client.get(f"/api/v1/analytics/runs/{runs['r1']}/critical-path", headers=READ_HEADERS).json()
    start = DAY + timedelta(hours=10)
    assert body["state"] == "COMPLETED"
    assert body["dagRunStartedAt"] == iso(start) and body["dagRunEndedAt"] == iso(
        start + timedelta(seconds=25 * 60 + 30)
    )
    # First to start first: extract 0, transform_b 5.5, transform_a 6, load 21 minutes in.
    assert [t["taskId"] for t in body["tasks"]] == ["extract", "transform_b", "transform_a", "load"]
    (load,) = [t for t in body["tasks"] if t["taskId"] == "load"]
    assert load["jobNodeId"] == "job:airflow:sales.load" and load["state"] == "COMPLETED"
    # Waits: extract from the run's start; transform_a 1 min after extract (0→5, starts 6); load after transform_b.
    assert {t["taskId"]: t["waitSeconds"] for t in body["tasks"]} == {
        "extract": 0.0,
        "transform_b": 30.0,
        "transform_a": 60.0,
        "load": 60.0,
    }
    assert load["attempts"] == [
        {
            "runId": runs["r1_tasks"]["load"],
            "state": "COMPLETED",
            "startedAt": iso(start + timedelta(minutes=21)),
            "endedAt": iso(start + timedelta(minutes=25)),
        }
    ]


def test_critical_path_of_a_run_with_a_retried_and_a_running_task(database: Database) -> None:
    """A task tried twice shows both tries; a task still running has no end and no slack."""
    app = create_app(make_settings(), database=database)
    start = DAY + timedelta(days=5, hours=6)
    run_id, events, ids = dag_run(
        "sales",
        start,
        {"extract": (0, 2, "COMPLETE"), "transform_a": (3, 4, "COMPLETE"), "transform_b": (3, 5, "FAIL")},
        run_type="scheduled",
        version=3,
        final="COMPLETE",
    )
    events = [e for e in events if e["run"]["runId"] != run_id or e["eventType"] == "START"]  # the DAG still runs
    template = next(e for e in events if e["run"]["runId"] == ids["transform_b"])
    retry = str(uuid.uuid4())
    for kind, minute in (("START", 6), ("COMPLETE", 9)):
        events.append(
            {
                **template,
                "eventType": kind,
                "eventTime": iso(start + timedelta(minutes=minute)),
                "run": {**template["run"], "runId": retry},
            }
        )
    load = next(e for e in events if e["run"]["runId"] == ids["transform_a"])
    running = str(uuid.uuid4())
    events.append(
        {
            **load,
            "eventType": "START",
            "eventTime": iso(start + timedelta(minutes=10)),
            "job": {**load["job"], "name": "sales.load"},
            "run": {**load["run"], "runId": running},
        }
    )
    with TestClient(app) as client:
        assert client.post("/api/v1/lineage/batch", json=events, headers=INGEST).status_code == 200
        body = client.get(f"/api/v1/analytics/runs/{run_id}/critical-path", headers=READ_HEADERS).json()
    assert body["state"] == "RUNNING" and body["dagRunEndedAt"] is None
    tasks = {t["taskId"]: t for t in body["tasks"]}
    assert [(a["state"], a["runId"]) for a in tasks["transform_b"]["attempts"]] == [
        ("FAILED", ids["transform_b"]),
        ("COMPLETED", retry),
    ]
    assert tasks["transform_b"]["state"] == "COMPLETED"
    assert tasks["load"]["attempts"] == [
        {"runId": running, "state": "RUNNING", "startedAt": iso(start + timedelta(minutes=10)), "endedAt": None}
    ]
    assert [s["jobNodeId"] for s in body["steps"]][-1] == "job:airflow:sales.transform_b"
    assert body["steps"][-1]["tries"] == 2
    assert {"jobNodeId": "job:airflow:sales.load", "slackSeconds": None} in body["others"]


def test_step_timing_counts_the_critical_path_and_ranks_bottlenecks(
    scenario: tuple[TestClient, dict[str, Any]],
) -> None:
    client, _ = scenario
    body = client.get(q("/api/v1/analytics/dags/sales/steps", **RANGE), headers=READ_HEADERS).json()
    assert body["dagRuns"] == 3
    steps = {item["taskId"]: item for item in body["items"]}
    assert steps["transform_b"]["runs"] == 3 and steps["transform_b"]["failureRate"] == pytest.approx(2 / 3)
    assert steps["transform_b"]["criticalPathRuns"] == 3
    assert steps["extract"]["criticalPathRuns"] == 3 and steps["transform_a"]["criticalPathRuns"] == 0
    assert steps["extract"]["avgDurationSeconds"] == pytest.approx((300 + 120 + 60) / 3)
    # transform_a waits after extract: 60 s in r1, 60 s in r2.
    assert steps["transform_a"]["avgWaitSeconds"] == pytest.approx(60.0)
    assert steps["load"]["shareOfDagRunTime"] == pytest.approx(240 / (R1 + R2 + R3))
    assert [b["jobNodeId"] for b in body["bottlenecks"]][:2] == [
        "job:airflow:sales.transform_b",
        "job:airflow:sales.extract",
    ]


def test_versions_compare_runs_per_dag_version(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, _ = scenario
    body = client.get("/api/v1/analytics/dags/sales/versions", headers=READ_HEADERS).json()
    assert [(v["dagVersion"], v["runs"], v["successRate"]) for v in body["items"]] == [("1", 1, 1.0), ("2", 2, 0.0)]
    assert body["items"][1]["p95DurationSeconds"] == R2


def test_rankings(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, _ = scenario
    slowest = client.get(q("/api/v1/analytics/rankings", metric="slowest", **RANGE), headers=READ_HEADERS).json()
    assert slowest["items"][0]["jobNodeId"] == "job:airflow:hr"
    failing = client.get(
        q("/api/v1/analytics/rankings", metric="failing", level="task", **RANGE), headers=READ_HEADERS
    ).json()
    assert [(i["jobNodeId"], i["value"]) for i in failing["items"]] == [("job:airflow:sales.transform_b", 2.0)]
    growing = client.get(
        q(
            "/api/v1/analytics/rankings",
            metric="growing",
            level="task",
            **{"from": iso(DAY + timedelta(days=2)), "to": iso(DAY + timedelta(days=4))},
        ),
        headers=READ_HEADERS,
    ).json()
    assert all(item["previousP95DurationSeconds"] for item in growing["items"])
    extract = next(i for i in growing["items"] if i["jobNodeId"].endswith("extract"))
    assert extract["value"] == pytest.approx((60 - 300) / 300, rel=0.03)


def test_run_cost_and_cost_overview(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, runs = scenario
    run = client.get(f"/api/v1/runs/{runs['r1']}", headers=READ_HEADERS).json()
    assert run["cost"] == {
        "amount": pytest.approx(R1 / 1000),
        "estimated": pytest.approx(R1 / 1000),
        "billed": 0.0,
        "currency": "EUR",
        "basis": "estimated",
    }
    body = client.get("/api/v1/analytics/cost", headers=READ_HEADERS).json()
    assert body["currency"] == "EUR" and body["rateCardConfigured"] is True
    assert len(body["days"]) == 28 and body["projection"]["basis"] == "estimated"
    assert body["budgets"][0]["dagId"] == "sales" and body["budgets"][0]["monthlyAmount"] == 100


def test_users_see_only_the_dags_they_may_read(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, runs = scenario
    by_dag = client.get(q("/api/v1/analytics/executions", groupBy="dag", **RANGE), headers=ALICE).json()
    assert [s["key"] for s in by_dag["series"]] == ["sales"]
    summary = client.get(q("/api/v1/analytics/executions/summary", **RANGE), headers=ALICE).json()
    assert summary["total"] == 3
    assert client.get("/api/v1/analytics/dags/hr/steps", headers=ALICE).status_code == 404
    assert client.get("/api/v1/analytics/dags/hr/versions", headers=ALICE).status_code == 404
    assert client.get(f"/api/v1/analytics/runs/{runs['hr']}/critical-path", headers=ALICE).status_code == 404
    assert client.get(q("/api/v1/analytics/errors", dagId="hr"), headers=ALICE).status_code == 404
    slowest = client.get(q("/api/v1/analytics/rankings", **RANGE), headers=ALICE).json()
    assert {i["jobNodeId"] for i in slowest["items"]} == {"job:airflow:sales"}
    assert client.get("/api/v1/analytics/cost?dagId=hr", headers=ALICE).status_code == 404


def test_a_dag_is_matched_together_with_its_namespace(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    """services/visibility.py: reading `sales` in one Airflow does not show another deployment's `sales`;
    such readers are answered from the hour rollups, which keep the job (and so its namespace)."""
    client, runs = scenario

    def seen(**headers: str) -> tuple[list[str], int, int]:
        who = {"x-user": "bob", **headers}
        by_dag = client.get(q("/api/v1/analytics/executions", groupBy="dag", **RANGE), headers=who).json()
        summary = client.get(q("/api/v1/analytics/executions/summary", **RANGE), headers=who).json()
        path = client.get(f"/api/v1/analytics/runs/{runs['r1']}/critical-path", headers=who)  # a run of sales
        keys = sorted(s["key"] for s in by_dag["series"] if any(p["total"] for p in s["points"]))
        return keys, summary["total"], path.status_code

    alice = client.get(q("/api/v1/analytics/executions/summary", **RANGE), headers=ALICE).json()["total"]
    assert seen() == (["sales"], alice, 200)  # this Airflow's namespace: as for alice
    keys, total, status = seen(**{"x-namespace": "my_airflow"})  # the events' namespace is another deployment's
    assert (keys, total, status) == ([], 0, 404)
    keys, total, status = seen(**{"x-namespace": "my_airflow", "x-foreign": "yes"})
    assert "sales" in keys and "hr" in keys and total > alice and status == 200


ROUTES = [
    "/api/v1/analytics/executions",
    "/api/v1/analytics/executions/summary",
    "/api/v1/analytics/errors",
    "/api/v1/analytics/dags/sales/steps",
    "/api/v1/analytics/dags/sales/versions",
    "/api/v1/analytics/runs/{r1}/critical-path",
    "/api/v1/analytics/rankings",
    "/api/v1/analytics/cost",
]


def test_every_route_needs_read_access(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, runs = scenario
    for route in ROUTES:
        path = route.format(r1=runs["r1"])
        assert client.get(path).status_code == 401, path
        assert client.get(path).json()["detail"].startswith("Not authenticated")
        assert client.get(path, headers=INGEST).status_code == 403, path
        assert client.get(path, headers=READ_HEADERS).status_code == 200, path


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/v1/analytics/executions?granularity=fortnight", "granularity"),
        ("/api/v1/analytics/executions?groupBy=colour", "groupBy"),
        ("/api/v1/analytics/executions?level=stage", "level"),
        ("/api/v1/analytics/executions?from=yesterday", "from"),
        ("/api/v1/analytics/executions?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z", "'to' must be after 'from'"),
        (
            "/api/v1/analytics/executions?granularity=minute&from=2024-01-01T00:00:00Z&to=2024-05-01T00:00:00Z",
            "coarser granularity",
        ),
        ("/api/v1/analytics/executions?format=xlsx", "format"),
        (
            "/api/v1/analytics/executions/summary?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z",
            "'to' must be after",
        ),
        ("/api/v1/analytics/errors?limit=0", "limit"),
        ("/api/v1/analytics/dags/sales/steps?to=2020-01-01T00:00:00Z&from=2021-01-01T00:00:00Z", "'to' must be after"),
        ("/api/v1/analytics/rankings?metric=tallest", "metric"),
        ("/api/v1/analytics/runs/not a run id!/critical-path", None),
    ],
)
def test_bad_parameters_get_a_422_that_says_what_is_wrong(
    scenario: tuple[TestClient, dict[str, Any]], path: str, message: str | None
) -> None:
    client, _ = scenario
    response = client.get(path, headers=READ_HEADERS)
    if message is None:  # a run id that is not a UUID is hashed to one: simply not found
        assert response.status_code == 404
        return
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_unknown_dags_and_runs_are_404(scenario: tuple[TestClient, dict[str, Any]]) -> None:
    client, _ = scenario
    for path in (
        "/api/v1/analytics/dags/nope/steps",
        "/api/v1/analytics/dags/nope/versions",
        f"/api/v1/analytics/runs/{uuid.uuid4()}/critical-path",
        "/api/v1/analytics/errors?dagId=nope",
        "/api/v1/analytics/cost?dagId=nope",
    ):
        response = client.get(path, headers=READ_HEADERS)
        assert response.status_code == 404, path
        assert "GET /api/v1/" in response.json()["detail"]


def test_json_rate_cards_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage_backend.config import Settings

    monkeypatch.setenv("FLOWLYTICS_COST_RATES", json.dumps({"defaultRuntimePerHour": 2}))
    monkeypatch.setenv("FLOWLYTICS_COST_BUDGETS", json.dumps([{"owner": "team", "monthly": 9}]))
    settings = Settings.from_env("sqlite://")
    assert settings.cost_rates.default_runtime_per_hour == 2 and settings.cost_budgets[0].owner == "team"
