"""DAGs this Airflow does not know, in the real Airflow: another deployment's events (namespace `my_airflow`,
DAG `lineage_demo`) and those of a DAG deleted from this Airflow, posted to the plugin, are listed to the
admin and to a Viewer (both may read every DAG) through their Airflow login, in the API and on the
Flowlytics page; the real auth manager's answers make those two unrestricted and a user without a role
restricted (flowlytics_plugin.auth.dag_access), who then sees none of them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.harness import (
    EXPECTED_TASKS,
    NAMESPACE,
    VIEWER,
    Airflow,
    headless_chromium,
    log_in,
    require_chromium,
)

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

FOREIGN = "my_airflow"
FOREIGN_DAG = "lineage_demo"
RETIRED_DAG = "retired_demo"  # a DAG of this Airflow's namespace that Airflow no longer has
PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/2.7.0"
SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class PostedDagRun:
    namespace: str
    dag_id: str
    task_id: str
    dag_run_id: str
    task_run_id: str


def _event(kind: str, when: datetime, run: dict[str, Any], job: dict[str, Any], **lists: Any) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": when.isoformat(),
        "producer": PRODUCER,
        "schemaURL": SCHEMA,
        "run": run,
        "job": job,
        "inputs": lists.get("inputs", []),
        "outputs": lists.get("outputs", []),
    }


def provider_events(namespace: str, dag_id: str, task_id: str, start: datetime) -> tuple[PostedDagRun, list[Any]]:
    """A DAG run with one task, shaped as Airflow's OpenLineage provider emits it from its deployment."""
    dag_run, task_run = str(uuid.uuid4()), str(uuid.uuid4())
    dag_job = {
        "namespace": namespace,
        "name": dag_id,
        "facets": {
            "jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"},
            "airflow": {"tasks": {task_id: {"operator": "PythonOperator"}}, "taskTree": {}, "taskGroups": {}},
        },
    }
    task_job = {
        "namespace": namespace,
        "name": f"{dag_id}.{task_id}",
        "facets": {"jobType": {"jobType": "TASK", "integration": "AIRFLOW", "processingType": "BATCH"}},
    }
    dag_facets = {"airflowDagRun": {"dag": {"dag_id": dag_id}, "dagRun": {"run_id": f"manual__{start.isoformat()}"}}}
    parent = {
        "run": {"runId": dag_run},
        "job": {"namespace": namespace, "name": dag_id},
        "root": {"run": {"runId": dag_run}, "job": {"namespace": namespace, "name": dag_id}},
    }
    task_facets = {
        "parent": parent,
        "airflow": {"dag": {"dag_id": dag_id}, "task": {"task_id": task_id}, "taskInstance": {"try_number": 1}},
    }
    output = {
        "namespace": "file",
        "name": f"/{namespace}/{dag_id}/orders.csv",
        "outputFacets": {"outputStatistics": {"rowCount": 42}},
    }
    done = {"airflowState": {"dagRunState": "success", "tasksState": {task_id: "success"}}}
    events = [
        _event("START", start, {"runId": dag_run, "facets": dag_facets}, dag_job),
        _event("START", start + timedelta(seconds=1), {"runId": task_run, "facets": task_facets}, task_job),
        _event(
            "COMPLETE",
            start + timedelta(seconds=5),
            {"runId": task_run, "facets": task_facets},
            task_job,
            outputs=[output],
        ),
        _event("COMPLETE", start + timedelta(seconds=6), {"runId": dag_run, "facets": done}, dag_job),
    ]
    return PostedDagRun(namespace, dag_id, task_id, dag_run, task_run), events


@pytest.fixture(scope="module")
def unknown_dags(airflow: Airflow) -> list[PostedDagRun]:
    """Posted to the plugin as an emitter would: the other deployment's DAG run and a deleted DAG's."""
    now = datetime.now(timezone.utc)
    foreign, foreign_events = provider_events(FOREIGN, FOREIGN_DAG, "extract", now)
    retired, retired_events = provider_events(NAMESPACE, RETIRED_DAG, "publish", now + timedelta(seconds=10))
    with airflow.client(airflow.ingest_key) as emitter:
        response = emitter.post("/flowlytics/api/v1/lineage/batch", json=foreign_events + retired_events)
    assert response.status_code == 200, response.text
    assert response.json()["summary"]["successful"] == 8, response.json()
    with airflow.api() as client:  # this Airflow knows neither DAG
        assert client.get(f"/api/v2/dags/{FOREIGN_DAG}").status_code == 404
        assert client.get(f"/api/v2/dags/{RETIRED_DAG}").status_code == 404
    return [foreign, retired]


def _json(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(f"/flowlytics/api/v1{path}", params=params)
    assert response.status_code == 200, (path, response.text)
    return response.json()


@pytest.mark.parametrize("user", ["admin", VIEWER])
def test_users_who_may_read_every_dag_see_dags_this_airflow_does_not_know(
    airflow: Airflow, unknown_dags: list[PostedDagRun], user: str
) -> None:
    token = airflow.token if user == "admin" else airflow.token_of(VIEWER, airflow.viewer_password)
    with airflow.client(token) as client:
        runs = {r["runId"] for r in _json(client, "/runs", limit=1000)["items"]}
        for posted in unknown_dags:
            assert {posted.dag_run_id, posted.task_run_id} <= runs, posted
            task_job = f"job:{posted.namespace}:{posted.dag_id}.{posted.task_id}"
            assert _json(client, f"/jobs/{quote(task_job, safe='')}")["dagId"] == posted.dag_id
            assert _json(client, f"/runs/{posted.task_run_id}")["state"] == "COMPLETED"

        jobs = {j["name"] for j in _json(client, "/jobs", namespace=FOREIGN)["items"]}
        assert jobs == {FOREIGN_DAG, f"{FOREIGN_DAG}.extract"}
        assert FOREIGN in {n["name"] for n in _json(client, "/namespaces")["items"]}

        foreign = unknown_dags[0]
        since = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
        batches = {b["batchId"] for b in _json(client, "/batches", since=since, limit=500)["items"]}
        assert {p.dag_run_id for p in unknown_dags} <= batches
        response = client.get(f"/flowlytics/api/v1/batches/{foreign.dag_run_id}/processes.csv")
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.text)))
        assert [(row[0], row[1]) for row in rows[1:]] == [("extract", "SUCCESS")]

        graph = _json(client, "/graph", dagId=FOREIGN_DAG, collapse="false")
        assert f"job:{FOREIGN}:{FOREIGN_DAG}.extract" in {n["id"] for n in graph["nodes"]}
        found = {i["id"] for i in _json(client, "/search", q=FOREIGN_DAG)["items"]}
        assert {f"job:{FOREIGN}:{FOREIGN_DAG}", f"job:{FOREIGN}:{FOREIGN_DAG}.extract"} <= found
        output = f"dataset:file:/{FOREIGN}/{FOREIGN_DAG}/orders.csv"
        upstream = {i["id"] for i in _json(client, "/impact", nodeId=output, direction="upstream")["items"]}
        assert f"job:{FOREIGN}:{FOREIGN_DAG}.extract" in upstream


def test_the_auth_managers_answers_decide_who_is_unrestricted(airflow: Airflow) -> None:
    """flowlytics_plugin.auth.dag_access against this Airflow's SimpleAuthManager and metadata DB: the
    admin and the Viewer may read every DAG; a user without a role may read none, so is restricted."""
    script = """
import json
from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from flowlytics_plugin.auth import dag_access
manager = SimpleAuthManager()
for name, role in (("admin", "admin"), ("viewer", "viewer"), ("nobody", None)):
    every, readable = dag_access(manager, SimpleAuthManagerUser(username=name, role=role))
    print(json.dumps([name, every, sorted(readable)]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], env=airflow.env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = {name: (every, set(readable)) for name, every, readable in map(json.loads, done.stdout.splitlines())}
    assert answers["admin"][0] and answers["viewer"][0]
    assert set(EXPECTED_TASKS) <= answers["admin"][1] and answers["viewer"][1] == answers["admin"][1]
    assert answers["nobody"] == (False, set())


MINT_TOKEN = """
from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
print(SimpleAuthManager().generate_jwt(SimpleAuthManagerUser(username="nobody", role=None)))
"""


def test_a_user_who_may_read_no_dag_sees_none_of_them(airflow: Airflow, unknown_dags: list[PostedDagRun]) -> None:
    """A real Airflow JWT (signed with this Airflow's secret, as its login would) for a user without a
    role: the auth manager grants no DAG, so the plugin restricts them and every DAG job stays hidden,
    this Airflow's deleted one and the other deployment's included."""
    done = subprocess.run(
        [sys.executable, "-c", MINT_TOKEN], env=airflow.env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with airflow.client(done.stdout.strip().splitlines()[-1]) as nobody:
        runs = _json(nobody, "/runs", limit=1000)["items"]
        seen = {r["runId"] for r in runs}
        assert not {p.task_run_id for p in unknown_dags} & seen and not {p.dag_run_id for p in unknown_dags} & seen
        assert not {r["job"]["namespace"] for r in runs} & {FOREIGN, NAMESPACE}
        for posted in unknown_dags:
            assert nobody.get(f"/flowlytics/api/v1/runs/{posted.task_run_id}").status_code == 404
            assert nobody.get(f"/flowlytics/api/v1/batches/{posted.dag_run_id}/processes.csv").status_code == 404
        assert _json(nobody, "/jobs", namespace=FOREIGN)["items"] == []
        found = {(i["type"], i["id"]) for i in _json(nobody, "/search", q=FOREIGN_DAG)["items"]}
        assert found == {("DATASET", f"dataset:file:/{FOREIGN}/{FOREIGN_DAG}/orders.csv")}  # datasets: everyone's
    with airflow.api() as admin:  # the same runs, to the admin
        assert {p.task_run_id for p in unknown_dags} <= {r["runId"] for r in _json(admin, "/runs", limit=1000)["items"]}


@pytest.mark.browser
def test_the_flowlytics_page_lists_the_other_deployments_runs_to_the_admin(
    airflow: Airflow, unknown_dags: list[PostedDagRun]
) -> None:
    require_chromium()
    from playwright.sync_api import expect

    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        log_in(page, airflow, "/plugin/flowlytics")
        for posted in unknown_dags:
            row = page.locator(f"[data-testid=flowlytics-run-row][data-run-id='{posted.task_run_id}']")
            expect(row).to_have_attribute("data-state", "COMPLETED")
        table = page.locator("[data-testid=flowlytics-runs-table]")
        expect(table).to_contain_text(f"{FOREIGN_DAG}.extract")
        expect(table).to_contain_text(FOREIGN)
