"""Run analytics and per-DAG visibility when two Airflow deployments (OpenLineage namespaces) both have a DAG
`sales`: every figure follows services/visibility.py exactly, also where the answer comes from the day
rollups (which keep the DAG's namespace since migration 0007) rather than the hour rollups."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from starlette.requests import Request

from lineage_backend.analytics.cost import parse_cost_budgets
from lineage_backend.analytics.sketch import exact_quantile
from lineage_backend.app import create_app
from lineage_backend.auth import READ, Principal
from lineage_backend.db import Database
from lineage_backend.store.models import RunRollup
from tests.conftest import INGEST, make_settings
from tests.conftest import READ as ADMIN_READ
from tests.lineage_backend.events import PRODUCER

UTC = timezone.utc
DAY = datetime(2024, 5, 1, tzinfo=UTC)
HERE, THERE, SPARK = "airflow", "other_airflow", "spark://cluster"


@dataclass(frozen=True)
class DagRun:
    label: str
    namespace: str
    dag: str | None  # None: a Spark application, outside Airflow
    start: datetime
    seconds: float
    final: str  # COMPLETE | FAIL
    error: str | None = None


RUNS = [
    DagRun("here_sales_1", HERE, "sales", DAY + timedelta(hours=10), 600, "COMPLETE"),
    DagRun("here_sales_2", HERE, "sales", DAY + timedelta(days=1, hours=10), 1200, "FAIL", "ValueError: order 17 lost"),
    DagRun("there_sales_1", THERE, "sales", DAY + timedelta(hours=12), 60, "COMPLETE"),
    DagRun("there_sales_2", THERE, "sales", DAY + timedelta(hours=13), 120, "COMPLETE"),
    DagRun("there_sales_3", THERE, "sales", DAY + timedelta(days=2, hours=1), 30, "FAIL", "KeyError: 'customer'"),
    DagRun("here_hr", HERE, "hr", DAY + timedelta(hours=11), 300, "COMPLETE"),
    DagRun("spark_app", SPARK, None, DAY + timedelta(hours=9, minutes=30), 100, "COMPLETE"),
]

# Who sees which runs, written out by hand from the rule in services/visibility.py.
SEEN = {
    "admin": {r.label for r in RUNS},
    # may read `sales` of this Airflow (namespace "airflow"); other deployments' DAGs stay hidden
    "bob": {"here_sales_1", "here_sales_2", "spark_app"},
    # the same user of the other deployment
    "bob_there": {"there_sales_1", "there_sales_2", "there_sales_3", "spark_app"},
    # may read `sales` here and sees other deployments' DAGs
    "bob_foreign": {"here_sales_1", "here_sales_2", "there_sales_1", "there_sales_2", "there_sales_3", "spark_app"},
    # may read `sales` without a namespace: `sales` of every deployment
    "carol": {"here_sales_1", "here_sales_2", "there_sales_1", "there_sales_2", "there_sales_3", "spark_app"},
    # may read `hr` in the other deployment, which has no `hr`
    "dave": {"spark_app"},
}
PRINCIPALS = {
    "bob": Principal("bob", frozenset({READ}), frozenset({"sales"}), HERE),
    "bob_there": Principal("bob", frozenset({READ}), frozenset({"sales"}), THERE),
    "bob_foreign": Principal("bob", frozenset({READ}), frozenset({"sales"}), HERE, sees_foreign_dags=True),
    "carol": Principal("carol", frozenset({READ}), frozenset({"sales"})),
    "dave": Principal("dave", frozenset({READ}), frozenset({"hr"}), THERE),
}


class ByHeader:
    async def authenticate(self, request: Request) -> Principal | None:
        return PRINCIPALS.get(request.headers.get("x-who", ""))


def headers(who: str) -> dict[str, str]:
    return ADMIN_READ if who == "admin" else {"x-who": who}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def events_of(run: DagRun) -> list[dict[str, Any]]:
    run_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    job = run.dag or "nightly_app"
    run_facets: dict[str, Any] = {}
    job_facets: dict[str, Any] = {}
    if run.dag:
        run_facets = {
            "airflowDagRun": {"dag": {"dag_id": run.dag}, "dagRun": {"run_type": "scheduled", "dag_version_number": 1}}
        }
        job_facets = {"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}}
    end = run.start + timedelta(seconds=run.seconds)
    done = dict(run_facets)
    if run.error:
        done["errorMessage"] = {"message": run.error, "programmingLanguage": "python"}

    def event(kind: str, moment: datetime, rid: str, name: str, facets: dict[str, Any]) -> dict[str, Any]:
        return {
            "eventType": kind,
            "eventTime": iso(moment),
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": rid, "facets": facets},
            "job": {"namespace": run.namespace, "name": name, "facets": job_facets if name == job else {}},
            "inputs": [],
            "outputs": [],
        }

    found = [event("START", run.start, run_id, job, run_facets), event(run.final, end, run_id, job, done)]
    if run.dag:  # one task, so that steps and task-level figures have something to count
        parent = {
            "parent": {"run": {"runId": run_id}, "job": {"namespace": run.namespace, "name": job}},
            "airflow": {"dag": {"dag_id": run.dag}, "dagRun": {"run_type": "scheduled", "dag_version_number": 1}},
        }
        found.append(event("START", run.start + timedelta(seconds=1), task_id, f"{job}.work", parent))
        found.append(event("COMPLETE", end - timedelta(seconds=1), task_id, f"{job}.work", parent))
    return found


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    settings = make_settings(
        cost_budgets=parse_cost_budgets('[{"dagId": "sales", "monthly": 100}, {"dagId": "hr", "monthly": 50}]')
    )
    app = create_app(settings, database=database, authenticators=[ByHeader()])
    with TestClient(app) as test_client:
        response = test_client.post(
            "/api/v1/lineage/batch", json=[e for run in RUNS for e in events_of(run)], headers=INGEST
        )
        assert response.status_code == 200, response.text
        assert response.json()["summary"]["failed"] == 0
        yield test_client


def get(client: TestClient, who: str, path: str, **params: Any) -> Any:
    response = client.get(f"{path}?{urlencode(params)}" if params else path, headers=headers(who))
    assert response.status_code == 200, (who, path, response.text)
    return response.json()


DAYS = {"from": iso(DAY), "to": iso(DAY + timedelta(days=3)), "granularity": "day"}


def expected_days(labels: set[str]) -> list[tuple[int, int, float | None]]:
    """(total, failed, exact p95 duration) per day of DAYS, from the runs alone."""
    found = []
    for offset in range(3):
        runs = [r for r in RUNS if r.label in labels and (r.start - DAY).days == offset]
        found.append((len(runs), sum(r.final == "FAIL" for r in runs), exact_quantile([r.seconds for r in runs], 0.95)))
    return found


def days_of(document: dict[str, Any]) -> list[tuple[int, int, float | None]]:
    (series,) = document["series"]
    return [(p["total"], p["failed"], p["p95DurationSeconds"]) for p in series["points"]]


def assert_days(got: list[tuple[int, int, float | None]], want: list[tuple[int, int, float | None]]) -> None:
    assert [g[:2] for g in got] == [w[:2] for w in want]
    for (_, _, got_p95), (_, _, want_p95) in zip(got, want, strict=True):
        assert (got_p95 is None) == (want_p95 is None)
        if want_p95 is not None:
            assert got_p95 == pytest.approx(want_p95, rel=0.02)


@pytest.mark.parametrize("who", sorted(SEEN))
def test_executions_summary_and_breakdowns_follow_the_visibility_rule(client: TestClient, who: str) -> None:
    seen = SEEN[who]
    assert_days(days_of(get(client, who, "/api/v1/analytics/executions", **DAYS)), expected_days(seen))
    summary = get(client, who, "/api/v1/analytics/executions/summary", **{k: DAYS[k] for k in ("from", "to")})
    assert summary["total"] == len(seen)
    by_dag = get(client, who, "/api/v1/analytics/executions", groupBy="dag", **DAYS)
    totals = {s["key"]: sum(p["total"] for p in s["points"]) for s in by_dag["series"]}
    want: dict[str, int] = {}
    for run in RUNS:
        if run.label in seen:
            want[run.dag or "(no DAG)"] = want.get(run.dag or "(no DAG)", 0) + 1
    assert totals == want
    tasks = get(
        client, who, "/api/v1/analytics/executions/summary", level="task", **{k: DAYS[k] for k in ("from", "to")}
    )
    assert tasks["total"] == sum(1 for r in RUNS if r.label in seen and r.dag)
    # Minutes come from the runs' facts: the same rule there.
    minutes = get(
        client,
        who,
        "/api/v1/analytics/executions",
        granularity="minute",
        **{"from": iso(DAY + timedelta(hours=9)), "to": iso(DAY + timedelta(hours=14))},
    )
    assert sum(p["total"] for p in minutes["series"][0]["points"]) == sum(
        1 for r in RUNS if r.label in seen and (r.start - DAY) < timedelta(hours=14)
    )


@pytest.mark.parametrize("who", sorted(SEEN))
def test_error_categories_follow_the_visibility_rule(client: TestClient, who: str) -> None:
    document = get(client, who, "/api/v1/analytics/errors", **{k: DAYS[k] for k in ("from", "to")})
    types = sorted(item["exceptionType"] or "" for item in document["items"])
    assert types == sorted(r.error.split(":")[0] for r in RUNS if r.label in SEEN[who] and r.error)


@pytest.mark.parametrize(
    ("who", "dag_runs"),
    # dagId=sales names this Airflow's `sales` when it has one, else `sales` of every namespace
    [("admin", 5), ("bob", 2), ("bob_there", 3), ("bob_foreign", 2), ("carol", 5)],
)
def test_a_dag_id_parameter_names_the_dag_of_the_readers_airflow(client: TestClient, who: str, dag_runs: int) -> None:
    executions = get(client, who, "/api/v1/analytics/executions", dagId="sales", **DAYS)
    assert sum(p["total"] for p in executions["series"][0]["points"]) == dag_runs
    steps = get(client, who, "/api/v1/analytics/dags/sales/steps", **{k: DAYS[k] for k in ("from", "to")})
    assert steps["dagRuns"] == dag_runs
    versions = get(client, who, "/api/v1/analytics/dags/sales/versions")
    assert sum(item["runs"] for item in versions["items"]) == dag_runs


def test_a_dag_seen_nowhere_is_404_and_its_budget_hidden(client: TestClient) -> None:
    # dave may read `hr`, but only in the other deployment, which has none: exactly as for GET /jobs.
    for path in ("/api/v1/analytics/dags/hr/steps", "/api/v1/analytics/dags/hr/versions"):
        assert client.get(path, headers=headers("dave")).status_code == 404
        assert client.get(path, headers=headers("admin")).status_code == 200
    assert client.get("/api/v1/analytics/errors?dagId=hr", headers=headers("dave")).status_code == 404
    jobs = client.get("/api/v1/jobs", headers=headers("dave")).json()
    assert not any(item.get("dagId") == "hr" for item in jobs["items"])

    def budgets(who: str) -> list[str]:
        return sorted(b["dagId"] for b in get(client, who, "/api/v1/analytics/cost")["budgets"])

    assert budgets("admin") == ["hr", "sales"]
    assert budgets("bob") == ["sales"]
    assert budgets("dave") == []


def test_day_rollups_alone_answer_restricted_readers(client: TestClient, database: Database) -> None:
    """Without the hour rollups (which keep the job), day-aligned queries give the same figures: the day
    rows carry the namespace that the rule needs."""
    before = {who: days_of(get(client, who, "/api/v1/analytics/executions", **DAYS)) for who in SEEN}
    weeks = {
        who: get(
            client,
            who,
            "/api/v1/analytics/executions",
            granularity="week",
            **{"from": iso(DAY - timedelta(days=2)), "to": iso(DAY + timedelta(days=5))},
        )
        for who in SEEN
    }
    count = database.read(lambda s: s.execute(select(func.count()).where(RunRollup.grain == "hour")).scalar_one())
    assert count > 0
    database.run(lambda s: s.execute(delete(RunRollup).where(RunRollup.grain == "hour")))
    for who, want in before.items():
        assert days_of(get(client, who, "/api/v1/analytics/executions", **DAYS)) == want
        assert_days(want, expected_days(SEEN[who]))
        again = get(
            client,
            who,
            "/api/v1/analytics/executions",
            granularity="week",
            **{"from": iso(DAY - timedelta(days=2)), "to": iso(DAY + timedelta(days=5))},
        )
        assert again == weeks[who]
        assert sum(p["total"] for p in again["series"][0]["points"]) == len(SEEN[who])


def test_retention_keeps_what_the_analytics_answer(client: TestClient, database: Database) -> None:
    """`flowlytics db clean` deletes the runs (all of them here: they are from 2024) and their facts; the
    rollups stay, so the day and week figures of every reader do not change."""
    from lineage_backend.services.retention import clean

    weeks = {"granularity": "week", "from": iso(DAY - timedelta(days=2)), "to": iso(DAY + timedelta(days=5))}
    before = {
        who: (
            get(client, who, "/api/v1/analytics/executions", **DAYS),
            get(client, who, "/api/v1/analytics/executions", **weeks),
        )
        for who in SEEN
    }
    assert clean(database, timedelta(days=90)).runs == sum(2 if r.dag else 1 for r in RUNS)
    assert client.get("/api/v1/runs", headers=headers("admin")).json()["totalCount"] == 0
    for who, (days, by_week) in before.items():
        assert get(client, who, "/api/v1/analytics/executions", **DAYS) == days
        assert get(client, who, "/api/v1/analytics/executions", **weeks) == by_week
        assert_days(days_of(days), expected_days(SEEN[who]))
