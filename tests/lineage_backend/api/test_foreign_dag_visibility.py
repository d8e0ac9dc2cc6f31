"""DAGs this Airflow does not know: another deployment's (namespace `my_airflow`, DAG `lineage_demo`) and DAGs
deleted from Airflow. Who may read every DAG sees them in every route; a user who may read one DAG sees that
DAG of this Airflow only, not the other deployment's DAG of the same id; `foreign_dag_visibility =
everyone` shows the other deployments' DAGs to every reader."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from lineage_backend.app import create_app
from lineage_backend.auth import READ as READ_SCOPE
from lineage_backend.auth import Principal, dag_reader
from lineage_backend.db import Database
from tests.conftest import INGEST, make_settings
from tests.lineage_backend.events import dataset, parent_facet, run_event

HERE = "flowlytics_here"  # this Airflow's OpenLineage namespace
FOREIGN = "my_airflow"
DAG = "lineage_demo"  # a DAG of this Airflow, and one of the same id in the other deployment
SINCE = {"since": "2024-01-01T00:00:00Z"}
RAW = dataset("file", "/data/raw_orders.csv")
CLEAN = dataset("file", "/data/clean_orders.csv")
RAW_ID, CLEAN_ID = "dataset:file:/data/raw_orders.csv", "dataset:file:/data/clean_orders.csv"
FOREIGN_DAG_JOB, FOREIGN_TASK_JOB = f"job:{FOREIGN}:{DAG}", f"job:{FOREIGN}:{DAG}.load"
HERE_TASK_JOB = f"job:{HERE}:{DAG}.extract"


def _user(name: str, *, every: bool, dags: set[str], foreign: str = "all_dags_readers") -> Principal:
    return dag_reader(
        f"airflow:{name}",
        frozenset({READ_SCOPE}),
        reads_every_dag=every,
        readable_dag_ids=frozenset(dags),
        dag_namespace=HERE,
        foreign_dag_visibility=foreign,  # type: ignore[arg-type]
    )


USERS = {
    # may read every DAG (the Airflow answers for DAGs in general): `retired`, deleted from Airflow, is not
    # in their DAG set either, as get_authorized_dag_ids only lists the DAGs Airflow knows.
    "admin": _user("admin", every=True, dags={DAG, "payroll"}),
    "ann": _user("ann", every=False, dags={DAG}),  # may read lineage_demo of this Airflow only
    "bo": _user("bo", every=False, dags={DAG}, foreign="everyone"),
}


class AirflowUsers:
    """The principals the Airflow plugin builds (flowlytics_plugin/auth.py), chosen by a header."""

    async def authenticate(self, request: Request) -> Principal | None:
        return USERS.get(request.headers.get("x-user", ""))


def _post(client: TestClient, *events: dict[str, Any]) -> None:
    response = client.post("/api/v1/lineage/batch", json=list(events), headers=INGEST)
    assert response.json()["status"] == "success", response.json()


def _dag_run(
    client: TestClient, namespace: str, dag: str, task: str, *, inputs: list[Any], outputs: list[Any]
) -> tuple[str, str]:
    """A DAG run and one task run, as the Airflow provider of the deployment `namespace` emits them."""
    dag_run, task_run = str(uuid.uuid4()), str(uuid.uuid4())
    dag_facets = {
        "jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"},
        "airflow": {"tasks": {task: {"operator": "PythonOperator"}}, "taskTree": {}, "taskGroups": {}},
    }
    task_facets = {
        "parent": parent_facet(dag_run, dag, namespace=namespace),
        "airflow": {"taskInstance": {"try_number": 1}, "dag": {"dag_id": dag}},
    }
    task_type = {"jobType": {"jobType": "TASK", "integration": "AIRFLOW", "processingType": "BATCH"}}
    _post(
        client,
        run_event("START", run_id=dag_run, job=dag, namespace=namespace, seconds=0, job_facets=dag_facets),
        run_event(
            "START", run_id=task_run, job=f"{dag}.{task}", namespace=namespace, seconds=1, run_facets=task_facets
        ),
        run_event(
            "COMPLETE",
            run_id=task_run,
            job=f"{dag}.{task}",
            namespace=namespace,
            seconds=5,
            run_facets=task_facets,
            job_facets=task_type,
            inputs=inputs,
            outputs=outputs,
        ),
        run_event("COMPLETE", run_id=dag_run, job=dag, namespace=namespace, seconds=6),
    )
    return dag_run, task_run


@pytest.fixture
def deployments(database: Database) -> Any:
    """This Airflow's lineage_demo extracts raw orders, the other deployment's lineage_demo cleans them,
    a Spark app reads the clean ones; this Airflow's `retired` DAG was deleted from Airflow; the other
    deployment also has a `billing` DAG."""
    with TestClient(create_app(make_settings(), database=database, authenticators=[AirflowUsers()])) as client:
        runs = {
            "here": _dag_run(client, HERE, DAG, "extract", inputs=[], outputs=[RAW]),
            "foreign": _dag_run(client, FOREIGN, DAG, "load", inputs=[RAW], outputs=[CLEAN]),
            "retired": _dag_run(client, HERE, "retired", "old", inputs=[], outputs=[]),
            "billing": _dag_run(client, FOREIGN, "billing", "charge", inputs=[], outputs=[]),  # not a DAG id here
        }
        spark = str(uuid.uuid4())
        _post(client, run_event("COMPLETE", run_id=spark, job="app", namespace="spark", seconds=9, inputs=[CLEAN]))
        yield client, runs


def _get(client: TestClient, user: str, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers={"x-user": user})
    assert response.status_code == 200, (user, path, response.text)
    return response


def _status(client: TestClient, user: str, path: str, **params: Any) -> int:
    return client.get(path, params=params, headers={"x-user": user}).status_code


def _jobs_of_runs(client: TestClient, user: str) -> set[str]:
    items = _get(client, user, "/api/v1/runs", limit=100).json()["items"]
    return {f"job:{r['job']['namespace']}:{r['job']['name']}" for r in items}


def test_runs_and_jobs(deployments: Any) -> None:
    client, runs = deployments
    everything = {
        f"job:{HERE}:{DAG}",
        HERE_TASK_JOB,
        FOREIGN_DAG_JOB,
        FOREIGN_TASK_JOB,
        f"job:{HERE}:retired",
        f"job:{HERE}:retired.old",
        f"job:{FOREIGN}:billing",
        f"job:{FOREIGN}:billing.charge",
        "job:spark:app",
    }
    assert _jobs_of_runs(client, "admin") == everything
    assert _jobs_of_runs(client, "ann") == {f"job:{HERE}:{DAG}", HERE_TASK_JOB, "job:spark:app"}
    assert _jobs_of_runs(client, "bo") == {
        f"job:{HERE}:{DAG}",
        HERE_TASK_JOB,
        FOREIGN_DAG_JOB,
        FOREIGN_TASK_JOB,
        f"job:{FOREIGN}:billing",
        f"job:{FOREIGN}:billing.charge",
        "job:spark:app",
    }

    foreign_task_run, retired_run = runs["foreign"][1], runs["retired"][1]
    for path in (f"/api/v1/runs/{foreign_task_run}", f"/api/v1/jobs/{quote(FOREIGN_TASK_JOB, safe='')}"):
        assert _status(client, "admin", path) == 200 and _status(client, "bo", path) == 200
        assert _status(client, "ann", path) == 404, path
    assert _status(client, "admin", f"/api/v1/runs/{retired_run}") == 200
    assert _status(client, "ann", f"/api/v1/runs/{retired_run}") == 404
    assert _status(client, "bo", f"/api/v1/runs/{retired_run}") == 404  # a DAG of this Airflow: per-DAG check

    def jobs(user: str, **params: Any) -> set[str]:
        return {j["id"] for j in _get(client, user, "/api/v1/jobs", **params).json()["items"]}

    # dagId= names this Airflow's DAG when it has one of that id (its DAG and task tabs), else any namespace's.
    assert jobs("admin", dagId=DAG) == jobs("ann", dagId=DAG) == {f"job:{HERE}:{DAG}", HERE_TASK_JOB}
    assert jobs("admin", dagId=DAG, taskId="extract") == {HERE_TASK_JOB}
    assert jobs("admin", dagId=DAG, taskId="load") == set()  # this Airflow's lineage_demo has no task load
    assert (
        jobs("admin", dagId="billing")
        == jobs("bo", dagId="billing")
        == {
            f"job:{FOREIGN}:billing",
            f"job:{FOREIGN}:billing.charge",
        }
    )
    assert jobs("ann", dagId="billing") == set()
    assert jobs("admin", namespace=FOREIGN) == {FOREIGN_DAG_JOB, FOREIGN_TASK_JOB, *jobs("admin", dagId="billing")}
    assert jobs("ann", namespace=FOREIGN) == set()

    def namespaces(user: str) -> dict[str, int]:
        items = _get(client, user, "/api/v1/namespaces").json()["items"]
        return {n["name"]: n["jobCount"] for n in items}

    assert namespaces("admin")[FOREIGN] == 4 and namespaces("admin")[HERE] == 4
    assert FOREIGN not in namespaces("ann") and namespaces("ann")[HERE] == 2


def test_batches(deployments: Any) -> None:
    client, runs = deployments

    def batches(user: str, **params: Any) -> set[str]:
        return {b["batchId"] for b in _get(client, user, "/api/v1/batches", **SINCE, **params).json()["items"]}

    here, foreign, retired, billing = (runs[k][0] for k in ("here", "foreign", "retired", "billing"))
    assert {here, foreign, retired, billing} <= batches("admin")
    assert here in batches("ann") and not {foreign, retired, billing} & batches("ann")
    assert {foreign, billing} <= batches("bo") and retired not in batches("bo")
    assert batches("admin", dagId=DAG) == batches("ann", dagId=DAG) == {here}
    assert batches("admin", dagId="billing") == batches("bo", dagId="billing") == {billing}
    assert batches("ann", dagId="billing") == set()

    for suffix in ("", "/processes", "/processes.csv", "/dq"):
        path = f"/api/v1/batches/{foreign}{suffix}"
        assert _status(client, "admin", path) == 200 and _status(client, "bo", path) == 200, path
        assert _status(client, "ann", path) == 404, path
    rows = list(csv.reader(io.StringIO(_get(client, "admin", f"/api/v1/batches/{foreign}/processes.csv").text)))
    assert [row[0] for row in rows[1:]] == ["load"] and rows[1][1] == "SUCCESS"
    processes = _get(client, "admin", f"/api/v1/batches/{foreign}/processes").json()["items"]
    assert [p["name"] for p in processes] == ["load"]

    # Trends of a DAG id that both deployments have: this Airflow's own; the other one by its job id.
    assert _get(client, "admin", "/api/v1/batches/trends", dagId=DAG).json()["jobId"] == f"job:{HERE}:{DAG}"
    assert _get(client, "ann", "/api/v1/batches/trends", dagId=DAG).json()["jobId"] == f"job:{HERE}:{DAG}"
    foreign_trend = {"jobNodeId": FOREIGN_DAG_JOB}
    assert _get(client, "admin", "/api/v1/batches/trends", **foreign_trend).json()["jobId"] == FOREIGN_DAG_JOB
    assert _status(client, "ann", "/api/v1/batches/trends", **foreign_trend) == 404
    assert _status(client, "ann", "/api/v1/batches/trends", dagId="retired") == 404
    assert _status(client, "admin", "/api/v1/batches/trends", dagId="retired") == 200
    billing_trend = _get(client, "admin", "/api/v1/batches/trends", dagId="billing").json()
    assert billing_trend["jobId"] == f"job:{FOREIGN}:billing"
    assert _status(client, "ann", "/api/v1/batches/trends", dagId="billing") == 404


def test_graph_impact_and_search(deployments: Any) -> None:
    client, _ = deployments

    def graph_body(user: str, **params: Any) -> Any:
        body = _get(client, user, "/api/v1/graph", collapse="false", depth=6, **params).json()
        ids = {n["id"] for n in body["nodes"]}
        assert {e["source"] for e in body["edges"]} | {e["target"] for e in body["edges"]} <= ids
        return body

    def graph(user: str, **params: Any) -> set[str]:
        return {n["id"] for n in graph_body(user, **params)["nodes"]}

    assert {FOREIGN_TASK_JOB, CLEAN_ID, "job:spark:app"} <= graph("admin", nodeId=RAW_ID)
    assert FOREIGN_TASK_JOB not in graph("ann", nodeId=RAW_ID) and HERE_TASK_JOB in graph("ann", nodeId=RAW_ID)
    assert FOREIGN_TASK_JOB in graph("bo", nodeId=RAW_ID)
    # The DAG tab of this Airflow's lineage_demo: its jobs are the roots; the other deployment's
    # lineage_demo is there for the admin only as the consumer of raw orders.
    by_dag = graph_body("admin", dagId=DAG)
    assert set(by_dag["rootIds"]) == {f"job:{HERE}:{DAG}", HERE_TASK_JOB}
    assert FOREIGN_TASK_JOB in {n["id"] for n in by_dag["nodes"]}
    assert set(graph_body("admin", dagId="billing")["rootIds"]) == {
        f"job:{FOREIGN}:billing",
        f"job:{FOREIGN}:billing.charge",
    }
    assert _status(client, "ann", "/api/v1/graph", dagId="billing") == 404
    assert {HERE_TASK_JOB} <= graph("ann", dagId=DAG) and not any(
        n.startswith(f"job:{FOREIGN}:") for n in graph("ann", dagId=DAG)
    )
    assert _status(client, "ann", "/api/v1/graph", nodeId=FOREIGN_TASK_JOB) == 404
    assert _status(client, "ann", "/api/v1/graph", dagId="retired") == 404
    assert f"job:{HERE}:retired.old" in graph("admin", dagId="retired")
    collapsed = _get(client, "admin", "/api/v1/graph", nodeId=RAW_ID, depth=6).json()
    assert FOREIGN_DAG_JOB in {n["id"] for n in collapsed["nodes"]}  # the foreign task grouped under its DAG

    def impact(user: str, **params: Any) -> set[str]:
        return {i["id"] for i in _get(client, user, "/api/v1/impact", **params).json()["items"]}

    assert {FOREIGN_TASK_JOB, CLEAN_ID, "job:spark:app"} <= impact("admin", nodeId=RAW_ID)
    assert FOREIGN_TASK_JOB not in impact("ann", nodeId=RAW_ID)
    assert FOREIGN_TASK_JOB in impact("admin", nodeId=CLEAN_ID, direction="upstream")
    assert FOREIGN_TASK_JOB not in impact("ann", nodeId=CLEAN_ID, direction="upstream")
    assert _status(client, "ann", "/api/v1/impact", nodeId=FOREIGN_TASK_JOB) == 404

    def search(user: str) -> set[str]:
        return {i["id"] for i in _get(client, user, "/api/v1/search", q=DAG).json()["items"]}

    assert {FOREIGN_DAG_JOB, FOREIGN_TASK_JOB, f"job:{HERE}:{DAG}"} <= search("admin")
    assert f"job:{HERE}:{DAG}" in search("ann") and not {FOREIGN_DAG_JOB, FOREIGN_TASK_JOB} & search("ann")
    assert FOREIGN_DAG_JOB in search("bo")


def test_datasets_and_node_details(deployments: Any) -> None:
    client, _ = deployments
    raw = _get(client, "admin", f"/api/v1/datasets/{quote(RAW_ID, safe='')}").json()
    assert raw["consumers"] == [FOREIGN_TASK_JOB] and raw["producers"] == [HERE_TASK_JOB]
    raw_for_ann = _get(client, "ann", f"/api/v1/datasets/{quote(RAW_ID, safe='')}").json()
    assert raw_for_ann["consumers"] == [] and raw_for_ann["producers"] == [HERE_TASK_JOB]

    clean = _get(client, "admin", f"/api/v1/datasets/{quote(CLEAN_ID, safe='')}").json()
    assert [(r["job"]["namespace"], r["job"]["name"]) for r in clean["latestRuns"]] == [(FOREIGN, f"{DAG}.load")]
    assert _get(client, "ann", f"/api/v1/datasets/{quote(CLEAN_ID, safe='')}").json()["latestRuns"] == []
    status_path = f"/api/v1/datasets/{quote(CLEAN_ID, safe='')}/status"
    assert _get(client, "admin", status_path).json()["lastWrite"]["job"] == FOREIGN_TASK_JOB
    assert _get(client, "ann", status_path).json()["lastWrite"] is None

    for path in (
        f"/api/v1/nodes/{quote(FOREIGN_TASK_JOB, safe='')}/metadata",
        f"/api/v1/nodes/{quote(FOREIGN_TASK_JOB, safe='')}/metadata/history",
        f"/api/v1/jobs/{quote(FOREIGN_DAG_JOB, safe='')}",
    ):
        assert _status(client, "admin", path) == 200 and _status(client, "bo", path) == 200, path
        assert _status(client, "ann", path) == 404, path
    edge = {"source": RAW_ID, "target": FOREIGN_TASK_JOB}
    assert _status(client, "admin", "/api/v1/edges/metadata", **edge) == 200
    assert _status(client, "ann", "/api/v1/edges/metadata", **edge) == 404


def test_unauthenticated_and_unknown(deployments: Any) -> None:
    client, _ = deployments
    assert client.get("/api/v1/runs").status_code == 401
    assert client.get("/api/v1/runs", headers={"x-user": "mallory"}).status_code == 401
    unknown = f"/api/v1/jobs/{quote(f'job:{FOREIGN}:nothing', safe='')}"
    assert _status(client, "admin", unknown) == 404
