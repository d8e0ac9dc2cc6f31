"""Batch health through the API: status mapping, metrics and colours, sorting, paging, CSV, DQ, trends."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from lineage_backend.app import create_app
from lineage_backend.auth import READ as READ_SCOPE
from lineage_backend.auth import Principal
from lineage_backend.db import Database
from tests.conftest import ADMIN_KEY, INGEST, READ, make_settings
from tests.lineage_backend.events import dataset, output_stats, parent_facet, run_event

SINCE = {"since": "2024-01-01T00:00:00Z"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


class Dag:
    """Emits what the Airflow provider emits for one DAG run."""

    def __init__(self, client: TestClient, dag: str, tasks: list[str], *, start: float = 0, env: str | None = None):
        self.client, self.dag, self.run_id, self.start = client, dag, str(uuid.uuid4()), start
        job_facets: dict[str, Any] = {
            "jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"},
            "airflow": {"tasks": {task: {"operator": "x"} for task in tasks}, "taskTree": {}, "taskGroups": {}},
        }
        run_facets = {"tags": {"tags": [{"key": "env", "value": env}]}} if env else {}
        self.post(
            run_event("START", run_id=self.run_id, job=dag, seconds=start, job_facets=job_facets, run_facets=run_facets)
        )

    def post(self, *events: dict[str, Any]) -> None:
        response = self.client.post("/api/v1/lineage/batch", json=list(events), headers=INGEST)
        assert response.json()["status"] == "success", response.json()

    def task(
        self,
        task: str,
        outcome: str | None,
        *,
        at: float,
        took: float = 10,
        try_number: int = 1,
        rows_in: int | None = None,
        rows_out: int | None = None,
        stats: dict[str, int] | None = None,
        failed_assertions: int = 0,
    ) -> str:
        run_id = str(uuid.uuid4())
        facets: dict[str, Any] = {
            "parent": parent_facet(self.run_id, self.dag),
            "airflow": {
                "taskInstance": {"try_number": try_number, "log_url": f"http://airflow/{task}?try={try_number}"},
                "dag": {"dag_id": self.dag},
            },
        }
        job = f"{self.dag}.{task}"
        self.post(run_event("START", run_id=run_id, job=job, seconds=self.start + at, run_facets=facets))
        if outcome is None:
            return run_id
        if stats:
            facets["flowlytics_stats"] = stats
        if outcome == "FAIL":
            facets["errorMessage"] = {
                "message": f"{task} broke",
                "programmingLanguage": "python",
                "stackTrace": "Traceback (most recent call last): ...",
            }
        inputs = []
        if rows_in is not None:
            input_facets: dict[str, Any] = {"inputStatistics": {"rowCount": rows_in}}
            if failed_assertions:
                input_facets["dataQualityAssertions"] = {
                    "assertions": [
                        {"assertion": "not_null", "success": False, "column": f"c{i}"} for i in range(failed_assertions)
                    ]
                    + [{"assertion": "unique", "success": True, "column": "id"}]
                }
            inputs = [{**dataset("pg", f"{self.dag}.{task}.in"), "inputFacets": input_facets}]
        outputs = (
            [{**dataset("pg", f"{self.dag}.{task}.out"), "outputFacets": output_stats(rows_out)}]
            if rows_out is not None
            else []
        )
        self.post(
            run_event(
                outcome,
                run_id=run_id,
                job=job,
                seconds=self.start + at + took,
                run_facets=facets,
                inputs=inputs,
                outputs=outputs,
            )
        )
        return run_id

    def finish(self, outcome: str, tasks_state: dict[str, str], *, at: float) -> None:
        facets = {
            "airflowState": {
                "dagRunState": "success" if outcome == "COMPLETE" else "failed",
                "tasksState": tasks_state,
                "tasksDuration": {},
            }
        }
        self.post(run_event(outcome, run_id=self.run_id, job=self.dag, seconds=self.start + at, run_facets=facets))


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=READ)
    assert response.status_code == 200, response.text
    return response.json()


def test_running_batch_counts_pending_tasks_retries_and_statistics(client: TestClient) -> None:
    dag = Dag(client, "sales", ["extract", "transform", "load", "report"])
    dag.task(
        "extract",
        "COMPLETE",
        at=1,
        took=100,
        rows_in=1000,
        rows_out=990,
        stats={"rowsInserted": 900, "rowsUpdated": 90, "dqFailedRows": 5},
    )
    dag.task("transform", "FAIL", at=120, try_number=1)
    second = dag.task("transform", "COMPLETE", at=200, try_number=2, rows_in=990, rows_out=990)
    dag.task("load", None, at=300)
    batch = get(client, f"/api/v1/batches/{dag.run_id}")
    assert (batch["totalProcesses"], batch["succeeded"], batch["running"], batch["pending"], batch["failed"]) == (
        4,
        2,
        1,
        1,
        0,
    )
    assert batch["successRate"] == 1.0 and batch["health"] == "GREEN"
    assert batch["state"] == "RUNNING" and batch["refreshAfterSeconds"] == 30
    assert batch["rowsRead"] == 1990 and batch["dqErrors"] == 5
    assert batch["dqErrorRate"] == pytest.approx(5 / 1990)
    rows = {p["name"]: p for p in get(client, f"/api/v1/batches/{dag.run_id}/processes", sort="name")["items"]}
    assert rows["transform"]["tries"] == 2 and rows["transform"]["runId"] == second
    assert rows["transform"]["status"] == "SUCCESS" and rows["transform"]["logUrl"].endswith("try=2")
    extract = rows["extract"]
    assert (extract["rowsRead"], extract["rowsWritten"], extract["rowsInserted"], extract["rowsUpdated"]) == (
        1000,
        990,
        900,
        90,
    )
    assert extract["durationSeconds"] == 100 and extract["readThroughput"] == 10.0 and extract["writeThroughput"] == 9.9
    assert extract["dqErrorRate"] == 0.005 and extract["dqWarning"] is False
    assert rows["load"]["status"] == "RUNNING" and rows["load"]["endedAt"] is None
    assert rows["report"]["status"] == "PENDING" and rows["report"]["runId"] is None


def test_finished_batch_maps_skipped_and_upstream_failed(client: TestClient) -> None:
    dag = Dag(client, "payments", ["extract", "reconcile", "publish", "notify"])
    dag.task("extract", "COMPLETE", at=1)
    dag.task("reconcile", "FAIL", at=20)
    dag.task("notify", "COMPLETE", at=25)  # a skipped task also emits COMPLETE
    dag.finish(
        "FAIL", {"extract": "success", "reconcile": "failed", "publish": "upstream_failed", "notify": "skipped"}, at=40
    )
    batch = get(client, f"/api/v1/batches/{dag.run_id}")
    assert (batch["succeeded"], batch["failed"], batch["aborted"], batch["skipped"], batch["pending"]) == (
        1,
        1,
        1,
        1,
        0,
    )
    assert batch["successRate"] == 0.5 and batch["health"] == "RED"
    assert batch["state"] == "FAILED" and batch["refreshAfterSeconds"] is None and batch["durationSeconds"] == 40
    failed = get(client, f"/api/v1/batches/{dag.run_id}/processes", status="FAILED")["items"]
    assert [p["name"] for p in failed] == ["reconcile"] and failed[0]["errorMessage"] == "reconcile broke"
    run = get(client, f"/api/v1/runs/{failed[0]['runId']}")
    assert run["stackTrace"].startswith("Traceback") and run["batchId"] == dag.run_id and run["tryNumber"] == 1


def test_health_colours(client: TestClient) -> None:
    yellow = Dag(client, "ten", [f"t{i}" for i in range(10)])
    for i in range(10):
        yellow.task(f"t{i}", "FAIL" if i == 0 else "COMPLETE", at=i)
    body = get(client, f"/api/v1/batches/{yellow.run_id}")
    assert body["successRate"] == 0.9 and body["health"] == "YELLOW"

    critical = Dag(client, "crit", [f"t{i}" for i in range(20)], start=1000)
    for i in range(20):
        critical.task(f"t{i}", "FAIL" if i == 0 else "COMPLETE", at=i)
    assert get(client, f"/api/v1/batches/{critical.run_id}")["health"] == "YELLOW"  # 95 %
    path = "/api/v1/nodes/" + quote("job:airflow:crit.t0", safe="") + "/metadata"
    assert client.patch(path, json={"criticality": "critical"}, headers=ADMIN).status_code == 200
    body = get(client, f"/api/v1/batches/{critical.run_id}")
    assert body["health"] == "RED" and body["criticalFailures"] == ["job:airflow:crit.t0"]


def test_sorting_on_every_column_and_paging_on_the_server(client: TestClient) -> None:
    dag = Dag(client, "big", [f"task_{i:02d}" for i in range(60)])
    for i in range(60):
        dag.task(
            f"task_{i:02d}", "COMPLETE", at=i, took=1 + i % 7, rows_in=1000 + i, rows_out=None if i % 10 == 0 else i * 3
        )
    page = get(
        client, f"/api/v1/batches/{dag.run_id}/processes", sort="rowsWritten", order="desc", page=1, page_size=25
    )
    assert page["totalCount"] == 60 and page["pageSize"] == 25 and len(page["items"]) == 25
    assert page["items"][0]["name"] == "task_59"
    last = get(
        client, f"/api/v1/batches/{dag.run_id}/processes", sort="rowsWritten", order="desc", page=3, page_size=25
    )
    assert len(last["items"]) == 10 and all(p["rowsWritten"] is None for p in last["items"][-6:])  # empty values last
    for key in (
        "name",
        "status",
        "startedAt",
        "endedAt",
        "durationSeconds",
        "rowsRead",
        "rowsWritten",
        "readThroughput",
        "writeThroughput",
        "tries",
        "dqErrors",
    ):
        items = get(client, f"/api/v1/batches/{dag.run_id}/processes", sort=key, page_size=100)["items"]
        values = [p[key] for p in items if p[key] is not None]
        assert values == sorted(values), key


def test_csv_export_matches_the_table_and_neutralises_formulas(client: TestClient) -> None:
    dag = Dag(client, "exp", ['=HYPERLINK("http://evil")', "plain"])
    dag.task('=HYPERLINK("http://evil")', "COMPLETE", at=1, rows_out=5)
    dag.task("plain", "FAIL", at=2)
    response = client.get(f"/api/v1/batches/{dag.run_id}/processes.csv", params={"sort": "name"}, headers=READ)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["Process", "Status", "Start"]
    assert rows[1][0] == '\'=HYPERLINK("http://evil")' and rows[1][1] == "SUCCESS" and rows[1][6] == "5"
    assert rows[2][0] == "plain" and rows[2][1] == "FAILED"
    only_failed = client.get(f"/api/v1/batches/{dag.run_id}/processes.csv", params={"status": "FAILED"}, headers=READ)
    assert len(list(csv.reader(io.StringIO(only_failed.text)))) == 2


@pytest.mark.parametrize("run_id", ["nightly<svg onload=x>\u00e9\u4e2d", "a\r\nSet-Cookie: x=1", 'q"uote;name'])
def test_csv_export_of_a_batch_with_a_hostile_run_id_has_a_plain_file_name(client: TestClient, run_id: str) -> None:
    """Regression: non-UUID run ids are accepted (mapped to a name-based UUID), and the file name was built
    from the raw id in the path, so a run id outside Latin-1 gave a 500 and CR/LF went towards the header.
    The file name now keeps letters, digits, `.`, `_` and `-` only."""
    response = client.post("/api/v1/lineage", json=run_event("COMPLETE", run_id=run_id, job="odd"), headers=INGEST)
    assert response.status_code == 201, response.text
    response = client.get(f"/api/v1/batches/{quote(run_id, safe='')}/processes.csv", headers=READ)
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    filename = disposition.removeprefix('attachment; filename="').removesuffix('"')
    assert disposition == f'attachment; filename="{filename}"'
    assert filename.endswith("-processes.csv") and all(c.isascii() and (c.isalnum() or c in "._-") for c in filename)


def test_dq_summary_and_detail(client: TestClient) -> None:
    dag = Dag(client, "dq", ["clean", "check"])
    dag.task("clean", "COMPLETE", at=1, rows_in=100, rows_out=98, stats={"rowsInvalid": 2})
    dag.task("check", "COMPLETE", at=5, rows_in=1000, failed_assertions=2)
    batch = get(client, f"/api/v1/batches/{dag.run_id}")
    assert batch["dqErrors"] == 4 and batch["dqWarnings"] == ["clean"]  # 2 % on clean, 0.2 % on check
    detail = get(client, f"/api/v1/batches/{dag.run_id}/dq")
    assert detail["failed"] == 2 and detail["total"] == 3
    assert [a["success"] for a in detail["items"]] == [False, False, True]
    assert detail["items"][0]["column"] == "c0" and detail["items"][0]["process"] == "check"


def test_batch_list_filters_env_dag_and_time(client: TestClient) -> None:
    prod = Dag(client, "a", ["t"], start=0, env="prod")
    dev = Dag(client, "b", ["t"], start=3600, env="dev")
    Dag(client, "c", ["t"], start=7200)
    body = get(client, "/api/v1/batches", **SINCE)
    assert [b["batchId"] for b in body["items"]][:2] != [] and body["totalCount"] == 3
    assert body["items"][0]["job"]["name"] == "c" and body["items"][0]["env"] == "airflow"
    assert body["items"][0]["pending"] == 1 and body["items"][0]["health"] == "GREEN"
    assert [b["batchId"] for b in get(client, "/api/v1/batches", env="prod", **SINCE)["items"]] == [prod.run_id]
    assert [b["batchId"] for b in get(client, "/api/v1/batches", dagId="b", **SINCE)["items"]] == [dev.run_id]
    window = get(client, "/api/v1/batches", since="2024-05-01T12:30:00Z", until="2024-05-01T13:30:00Z")
    assert [b["batchId"] for b in window["items"]] == [dev.run_id]
    assert get(client, "/api/v1/batches")["totalCount"] == 0  # default window: the last 7 days


def test_environment_map_by_namespace(database: Database) -> None:
    settings = make_settings(env_by_namespace={"airflow": "staging"})
    with TestClient(create_app(settings, database=database)) as client:
        Dag(client, "m", ["t"])
        assert get(client, "/api/v1/batches", **SINCE)["items"][0]["env"] == "staging"
        assert get(client, "/api/v1/batches", env="staging", **SINCE)["totalCount"] == 1


def test_nested_runs_belong_to_the_top_batch_whatever_the_order(client: TestClient) -> None:
    dag_run, task_run, spark_run = (str(uuid.uuid4()) for _ in range(3))
    events = [
        run_event(
            "COMPLETE",
            run_id=spark_run,
            job="spark_app",
            namespace="spark",
            seconds=5,
            run_facets={"parent": parent_facet(task_run, "nest.t")},
        ),
        run_event(
            "COMPLETE", run_id=task_run, job="nest.t", seconds=9, run_facets={"parent": parent_facet(dag_run, "nest")}
        ),
        run_event("START", run_id=dag_run, job="nest", seconds=0),
    ]
    for event in events:
        client.post("/api/v1/lineage", json=event, headers=INGEST)
    batches = get(client, "/api/v1/batches", **SINCE)
    assert [b["batchId"] for b in batches["items"]] == [dag_run]
    names = {p["name"] for p in get(client, f"/api/v1/batches/{dag_run}/processes")["items"]}
    assert names == {"t", "spark_app"}  # Airflow tasks by task id
    not_a_batch = client.get(f"/api/v1/batches/{spark_run}", headers=READ)
    assert not_a_batch.status_code == 404 and dag_run in not_a_batch.json()["detail"]


def test_trends_per_day(client: TestClient) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)

    def iso(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    # Runs start a minute into their UTC day, whatever the time now: "now - 21 minutes" was yesterday when
    # the test ran just after midnight (it failed that way on a fresh-clone run at 00:06 UTC).
    midnight = now.replace(hour=0, minute=0, second=0)
    for days_ago, outcome, minutes in ((0, "COMPLETE", 10), (0, "FAIL", 20), (2, "COMPLETE", 30)):
        run_id = str(uuid.uuid4())
        start = midnight - timedelta(days=days_ago) + timedelta(minutes=1)
        for kind, moment in (("START", start), (outcome, start + timedelta(minutes=minutes))):
            event = run_event(kind, run_id=run_id, job="trend_dag")
            event["eventTime"] = iso(moment)
            client.post("/api/v1/lineage", json=event, headers=INGEST)
    body = get(client, "/api/v1/batches/trends", jobNodeId="job:airflow:trend_dag", days=7)
    assert len(body["points"]) == 7
    today, two_days_ago = body["points"][-1], body["points"][-3]
    assert today["batches"] == 2 and today["successRate"] == 0.5 and today["avgDurationSeconds"] == 900
    assert two_days_ago["batches"] == 1 and two_days_ago["successRate"] == 1.0
    assert body["points"][0]["batches"] == 0 and body["points"][0]["successRate"] is None


def test_per_dag_visibility_of_batches(database: Database) -> None:
    class SalesOnly:
        async def authenticate(self, request: Any) -> Principal | None:
            if request.headers.get("x-user") != "eve":
                return None
            return Principal(name="eve", scopes=frozenset({READ_SCOPE}), readable_dag_ids=frozenset({"sales"}))

    with TestClient(create_app(make_settings(), database=database, authenticators=[SalesOnly()])) as client:
        sales, hr = Dag(client, "sales", ["t"]), Dag(client, "hr", ["t"])
        eve = {"x-user": "eve"}
        listed = client.get("/api/v1/batches", params=SINCE, headers=eve).json()
        assert [b["batchId"] for b in listed["items"]] == [sales.run_id]
        for path in (
            f"/api/v1/batches/{hr.run_id}",
            f"/api/v1/batches/{hr.run_id}/processes",
            f"/api/v1/batches/{hr.run_id}/processes.csv",
            f"/api/v1/batches/{hr.run_id}/dq",
        ):
            assert client.get(path, headers=eve).status_code == 404, path
        assert client.get("/api/v1/batches/trends", params={"dagId": "hr"}, headers=eve).status_code == 404


BATCH_ROUTES = ["", "/{id}", "/{id}/processes", "/{id}/processes.csv", "/{id}/dq", "/trends?dagId=x"]


@pytest.mark.parametrize("suffix", BATCH_ROUTES)
def test_batch_routes_need_credentials(client: TestClient, suffix: str) -> None:
    path = "/api/v1/batches" + suffix.replace("{id}", str(uuid.uuid4()))
    assert client.get(path).status_code == 401
    assert client.get(path, headers=INGEST).status_code == 403


@pytest.mark.parametrize("suffix", ["", "/processes", "/processes.csv", "/dq"])
def test_unknown_batch_is_404(client: TestClient, suffix: str) -> None:
    response = client.get(f"/api/v1/batches/{uuid.uuid4()}{suffix}", headers=READ)
    assert response.status_code == 404 and "GET /api/v1/batches" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"sort": "colour"}, "sort"),
        ({"order": "up"}, "order"),
        ({"page": 0}, "page"),
        ({"page_size": 30}, "page_size"),
    ],
)
def test_bad_process_parameters_are_422(client: TestClient, params: dict[str, Any], fragment: str) -> None:
    dag = Dag(client, "p", ["t"])
    response = client.get(f"/api/v1/batches/{dag.run_id}/processes", params=params, headers=READ)
    assert response.status_code == 422 and fragment in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"since": "2024-05-02T00:00:00Z", "until": "2024-05-01T00:00:00Z"}, "until"),
        ({"limit": 0}, "limit"),
        ({"since": "soon"}, "since"),
    ],
)
def test_bad_batch_list_parameters_are_422(client: TestClient, params: dict[str, Any], fragment: str) -> None:
    response = client.get("/api/v1/batches", params=params, headers=READ)
    assert response.status_code == 422 and fragment in response.json()["detail"]


def test_trends_parameters(client: TestClient) -> None:
    assert client.get("/api/v1/batches/trends", headers=READ).status_code == 422
    assert client.get("/api/v1/batches/trends", params={"dagId": "x", "days": 91}, headers=READ).status_code == 422
    assert client.get("/api/v1/batches/trends", params={"dagId": "nothing"}, headers=READ).status_code == 404


def test_batch_of_an_airflow_dag_run(client: TestClient) -> None:
    run_id = str(uuid.uuid4())
    facets = {"airflowDagRun": {"dag": {"dag_id": "daily"}, "dagRun": {"run_id": "manual__2024-05-01T12:00:00+00:00"}}}
    start = run_event("START", run_id=run_id, job="daily", run_facets=facets)
    client.post("/api/v1/lineage", json=start, headers=INGEST)
    Dag(client, "other", ["t"])
    params = {"dagId": "daily", "airflowRunId": "manual__2024-05-01T12:00:00+00:00"}
    assert [b["batchId"] for b in get(client, "/api/v1/batches", **params)["items"]] == [run_id]
    assert get(client, "/api/v1/batches", dagId="daily", airflowRunId="scheduled__x")["totalCount"] == 0
    response = client.get("/api/v1/batches", params={"airflowRunId": "x"}, headers=READ)
    assert response.status_code == 422 and "dagId" in response.json()["detail"]
