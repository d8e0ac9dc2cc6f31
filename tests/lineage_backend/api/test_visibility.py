"""Per-DAG visibility: a host authenticator (the Airflow plugin's) limits which DAGs a user sees."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from starlette.requests import Request

from lineage_backend.app import create_app
from lineage_backend.auth import READ, Principal
from lineage_backend.db import Database
from tests.conftest import INGEST, make_settings
from tests.lineage_backend.events import parent_facet, run_event

AIRFLOW_DAG = {"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}}


class OnlyDag:
    """Stands in for Airflow's auth manager: a user who may read one DAG."""

    async def authenticate(self, request: Request) -> Principal | None:
        if request.headers.get("x-user") != "alice":
            return None
        return Principal(name="alice", scopes=frozenset({READ}), readable_dag_ids=frozenset({"sales"}))


def test_users_see_only_runs_and_jobs_of_dags_they_may_read(database: Database) -> None:
    app = create_app(make_settings(), database=database, authenticators=[OnlyDag()])
    with TestClient(app) as client:
        runs = {}
        for dag in ("sales", "payroll"):
            dag_run, task_run = str(uuid.uuid4()), str(uuid.uuid4())
            runs[dag] = task_run
            client.post(
                "/api/v1/lineage",
                json=run_event("START", run_id=dag_run, job=dag, job_facets=AIRFLOW_DAG),
                headers=INGEST,
            )
            client.post(
                "/api/v1/lineage",
                json=run_event(
                    "COMPLETE",
                    run_id=task_run,
                    job=f"{dag}.load",
                    run_facets={"parent": parent_facet(dag_run, dag)},
                    job_facets={"jobType": {"jobType": "TASK", "integration": "AIRFLOW", "processingType": "BATCH"}},
                ),
                headers=INGEST,
            )
        spark = str(uuid.uuid4())
        client.post(
            "/api/v1/lineage", json=run_event("COMPLETE", run_id=spark, job="app", namespace="spark"), headers=INGEST
        )

        alice = {"x-user": "alice"}
        visible = {r["job"]["name"] for r in client.get("/api/v1/runs", headers=alice).json()["items"]}
        assert visible == {"sales", "sales.load", "app"}
        assert client.get(f"/api/v1/runs/{runs['payroll']}", headers=alice).status_code == 404
        assert client.get(f"/api/v1/runs/{runs['sales']}", headers=alice).status_code == 200
        assert client.get("/api/v1/jobs/job:airflow:payroll.load", headers=alice).status_code == 404
        jobs = {j["name"] for j in client.get("/api/v1/jobs", headers=alice).json()["items"]}
        assert jobs == {"sales", "sales.load", "app"}
        namespaces = {n["name"]: n["jobCount"] for n in client.get("/api/v1/namespaces", headers=alice).json()["items"]}
        assert namespaces["airflow"] == 2
        assert client.get("/api/v1/runs").status_code == 401
