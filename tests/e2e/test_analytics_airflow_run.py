"""The analytics of a real Airflow run (issue 11's e2e): the demo pipeline's DAG run, triggered through Airflow's
REST API, counts under trigger type `manual`, under the DAG version Airflow reports for it, and its critical path
runs through its tasks along Airflow's own task graph, back from the task that Airflow says finished last. Every
expected value comes from Airflow's API, none is written down here."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.e2e.harness import EXPECTED_TASKS, NAMESPACE, PIPELINE, Airflow, DemoRuns

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

ANALYTICS = "/flowlytics/api/v1/analytics"


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _airflow_facts(
    airflow: Airflow, dag_run_id: str
) -> tuple[dict[str, Any], dict[str, datetime], dict[str, set[str]]]:
    """Airflow's DAG run, each task's end time in it, and each task's upstream tasks."""
    with airflow.api() as client:
        dag_run = client.get(f"/api/v2/dags/{PIPELINE}/dagRuns/{dag_run_id}").json()
        instances = client.get(f"/api/v2/dags/{PIPELINE}/dagRuns/{dag_run_id}/taskInstances").json()["task_instances"]
        tasks = client.get(f"/api/v2/dags/{PIPELINE}/tasks").json()["tasks"]
    ends = {ti["task_id"]: _time(ti["end_date"]) for ti in instances if ti.get("end_date")}
    upstream: dict[str, set[str]] = {task["task_id"]: set() for task in tasks}
    for task in tasks:
        for down in task["downstream_task_ids"]:
            upstream[down].add(task["task_id"])
    return dag_run, ends, upstream


def test_a_real_dag_run_counts_as_manual_under_its_version_with_a_critical_path(
    airflow: Airflow, demo_runs: DemoRuns
) -> None:
    run = demo_runs.dag_runs[PIPELINE]
    dag_run, ends, upstream = _airflow_facts(airflow, demo_runs.dag_run_ids[PIPELINE])
    started = _time(run["startedAt"])
    window = {"from": (started - timedelta(hours=1)).isoformat(), "to": datetime.now(timezone.utc).isoformat()}
    with airflow.api() as client:
        by_trigger = client.get(
            f"{ANALYTICS}/executions",
            params={**window, "dagId": PIPELINE, "groupBy": "triggerType", "granularity": "day"},
        )
        versions = client.get(f"{ANALYTICS}/dags/{PIPELINE}/versions")
        path = client.get(f"{ANALYTICS}/runs/{run['runId']}/critical-path")
    for response in (by_trigger, versions, path):
        assert response.status_code == 200, response.text

    # Trigger type: Airflow calls a run triggered through its API "manual"; Flowlytics counts it so.
    assert dag_run["run_type"] == "manual"
    counted = {series["key"]: sum(p["total"] for p in series["points"]) for series in by_trigger.json()["series"]}
    assert counted.get("manual", 0) >= 1, counted

    # DAG version: the one Airflow ran this DAG run with.
    version_numbers = {str(v["version_number"]) for v in dag_run.get("dag_versions") or []}
    assert version_numbers, dag_run
    listed = {item["dagVersion"]: item for item in versions.json()["items"]}
    assert version_numbers & set(listed), (version_numbers, listed)
    assert sum(listed[v]["runs"] for v in version_numbers & set(listed)) >= 1

    # Critical path: from the task Airflow saw finish last, back along its task graph to the upstream task that
    # finished last; every step a task of the DAG.
    body = path.json()
    prefix = f"job:{NAMESPACE}:{PIPELINE}."
    steps = [step["jobNodeId"].removeprefix(prefix) for step in body["steps"]]
    expected = [max(ends, key=lambda task: ends[task])]
    while True:
        ups = [task for task in upstream[expected[-1]] if task in ends]
        if not ups:
            break
        expected.append(max(ups, key=lambda task: ends[task]))
    assert steps == list(reversed(expected)), (steps, ends)
    assert set(steps) <= EXPECTED_TASKS[PIPELINE]
    for earlier, later in itertools.pairwise(steps):
        assert earlier in upstream[later]  # a path through the graph, not just a list of tasks
    assert body["totalSeconds"] >= sum(step["runSeconds"] for step in body["steps"]) > 0
    # Every task of the run is in the Gantt's list; the ones off the path have a slack.
    assert {task["taskId"] for task in body["tasks"]} == EXPECTED_TASKS[PIPELINE]
    assert {o["jobNodeId"].removeprefix(prefix) for o in body["others"]} == EXPECTED_TASKS[PIPELINE] - set(steps)
