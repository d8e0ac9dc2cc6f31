"""The demo DAGs run in a real Airflow, the real OpenLineage provider posts their events to the plugin,
and the plugin's API serves them back: DAG runs, task runs under them, states, errors, row counts."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import EXPECTED_TASKS, NAMESPACE, PAYMENTS, PIPELINE, Airflow, DemoRuns

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

# From dags/flowlytics_demo/steps.py: 120 orders (11 invalid), 60 payments (5 for unknown orders).
EXPECTED_ROWS = {
    "source/orders_feed.csv": 120,
    "staging/orders.csv": 120,
    "curated/orders.csv": 109,
    "curated/orders_rejected.csv": 11,
    "warehouse/orders.csv": 109,
    "source/payments_feed.csv": 60,
    "staging/payments.csv": 60,
}


def csv_rows(path: Path) -> int:
    with path.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def datasets(run: dict[str, Any], direction: str, data_dir: Path) -> dict[str, dict[str, Any]]:
    """A run's inputs or outputs keyed by path relative to the demo data dir."""
    result = {}
    for item in run[direction]:
        assert item["namespace"] == "file", item
        result[Path(item["name"]).relative_to(data_dir).as_posix()] = item
    return result


def test_dag_runs_and_task_runs_reach_flowlytics(airflow: Airflow, demo_runs: DemoRuns) -> None:
    for dag_id, tasks in EXPECTED_TASKS.items():
        dag_run = demo_runs.dag_runs[dag_id]
        assert dag_run["job"] == {"namespace": NAMESPACE, "name": dag_id}
        assert dag_run["parentRunId"] is None
        assert dag_run["startedAt"] and dag_run["endedAt"]
        task_runs = demo_runs.task_runs[dag_id]
        assert set(task_runs) == tasks
        for task_id, run in task_runs.items():
            assert run["job"] == {"namespace": NAMESPACE, "name": f"{dag_id}.{task_id}"}
            assert run["parentRunId"] == dag_run["runId"]
            assert run["rootRunId"] == dag_run["runId"]
            assert run["durationSeconds"] is not None and run["durationSeconds"] >= 0

    pipeline = demo_runs.dag_runs[PIPELINE]
    assert pipeline["state"] == "COMPLETED", pipeline
    assert pipeline["errorMessage"] is None
    assert {run["state"] for run in demo_runs.task_runs[PIPELINE].values()} == {"COMPLETED"}

    payments = demo_runs.dag_runs[PAYMENTS]
    assert payments["state"] == "FAILED", payments
    assert payments["errorMessage"]
    assert demo_runs.task_runs[PAYMENTS]["extract_payments"]["state"] == "COMPLETED"
    reconcile = demo_runs.task_runs[PAYMENTS]["reconcile_payments"]
    assert reconcile["state"] == "FAILED"
    assert "Reconciliation failed: 5 of 60 payments reference orders that do not exist" in (reconcile["errorMessage"])


def test_row_counts_are_the_rows_the_tasks_wrote(airflow: Airflow, demo_runs: DemoRuns) -> None:
    seen: dict[str, int] = {}
    for dag_id in EXPECTED_TASKS:
        for task_id, run in demo_runs.task_runs[dag_id].items():
            for direction in ("inputs", "outputs"):
                for rel, item in datasets(run, direction, airflow.data_dir).items():
                    path = airflow.data_dir / rel
                    if task_id == "reconcile_payments" and direction == "outputs":
                        # Declared at START, never written: the task failed before publishing.
                        assert item["rowCount"] is None and not path.exists(), item
                        continue
                    assert item["rowCount"] == csv_rows(path), (task_id, direction, rel, item)
                    assert item["bytes"] == path.stat().st_size, (task_id, direction, rel, item)
                    seen[rel] = item["rowCount"]
    assert {rel: seen.get(rel) for rel in EXPECTED_ROWS} == EXPECTED_ROWS

    transform = demo_runs.task_runs[PIPELINE]["transform_orders"]
    assert datasets(transform, "inputs", airflow.data_dir)["staging/orders.csv"]["rowCount"] == 120
    assert {rel: item["rowCount"] for rel, item in datasets(transform, "outputs", airflow.data_dir).items()} == {
        "curated/orders.csv": 109,
        "curated/orders_rejected.csv": 11,
    }
    # A failed task still reports what it read before failing.
    reconcile = demo_runs.task_runs[PAYMENTS]["reconcile_payments"]
    assert {rel: item["rowCount"] for rel, item in datasets(reconcile, "inputs", airflow.data_dir).items()} == {
        "staging/payments.csv": 60,
        "source/orders_feed.csv": 120,
    }


def test_custom_stats_facet_arrives_with_the_run(airflow: Airflow, demo_runs: DemoRuns) -> None:
    expected = {
        (PIPELINE, "transform_orders"): {"rowsInserted": 109, "rowsInvalid": 11, "dqFailedRows": 11},
        (PIPELINE, "load_orders"): {"rowsInserted": 109, "rowsUpdated": 0},
        (PAYMENTS, "reconcile_payments"): {"rowsInvalid": 5, "dqFailedRows": 5},
    }
    with airflow.api() as client:
        for (dag_id, task_id), counts in expected.items():
            run_id = demo_runs.task_runs[dag_id][task_id]["runId"]
            response = client.get(f"/flowlytics/api/v1/runs/{run_id}")
            assert response.status_code == 200, response.text
            stats = response.json()["facets"]["flowlytics_stats"]
            assert {key: stats.get(key) for key in counts} == counts, (task_id, stats)


def test_read_api_requires_an_airflow_user_or_read_key(airflow: Airflow, demo_runs: DemoRuns) -> None:
    with airflow.client() as anonymous:
        response = anonymous.get("/flowlytics/api/v1/runs")
        assert response.status_code == 401, response.text
        assert response.json()["detail"]
        # Liveness stays public, for load balancers.
        assert anonymous.get("/flowlytics/health").status_code == 200
    with airflow.client(airflow.ingest_key) as emitter:
        response = emitter.get("/flowlytics/api/v1/runs")
        assert response.status_code == 403, response.text
    with airflow.client("not-a-key-nor-a-jwt") as stranger:
        assert stranger.get("/flowlytics/api/v1/runs").status_code == 401
    with airflow.api() as user:
        response = user.get("/flowlytics/api/v1/runs")
        assert response.status_code == 200
        assert response.json()["totalCount"] >= sum(len(tasks) + 1 for tasks in EXPECTED_TASKS.values())
    # The UI authenticates with the `_token` cookie that Airflow's login sets, not with a header.
    with airflow.client() as browser_like:
        browser_like.cookies.set("_token", airflow.token)
        assert browser_like.get("/flowlytics/api/v1/runs").status_code == 200


def _flowlytics_plugin(plugins: list[dict[str, Any]]) -> dict[str, Any]:
    matches = [plugin for plugin in plugins if plugin["name"] == "flowlytics"]
    assert len(matches) == 1, [plugin["name"] for plugin in plugins]
    return matches[0]


def _assert_flowlytics_apps(plugin: dict[str, Any]) -> None:
    nav = [app for app in plugin["react_apps"] if app.get("url_route") == "flowlytics"]
    assert nav, plugin["react_apps"]
    assert nav[0]["name"] == "Flowlytics"
    assert nav[0]["destination"] == "nav"
    for app in plugin["react_apps"]:
        # Relative, so that it resolves under [api] base_url; a query string may pick the view.
        assert app["bundle_url"].split("?")[0] == "flowlytics/static/flowlytics.js", app
    fastapi = [app for app in plugin["fastapi_apps"] if app.get("url_prefix") == "/flowlytics"]
    assert fastapi, plugin["fastapi_apps"]


def test_plugin_is_served_to_the_ui(airflow: Airflow) -> None:
    with airflow.api() as client:
        response = client.get("/api/v2/plugins")
        assert response.status_code == 200, response.text
        plugin = _flowlytics_plugin(response.json()["plugins"])
        _assert_flowlytics_apps(plugin)
        errors = client.get("/api/v2/plugins/importErrors").json()
        assert errors["total_entries"] == 0, errors
        # Every bundle a react app points at is served by the plugin's own app, as JavaScript.
        for app in plugin["react_apps"]:
            bundle = client.get(f"/{app['bundle_url']}")
            assert bundle.status_code == 200, app
            assert "javascript" in bundle.headers["content-type"], app


def test_airflow_plugins_cli_lists_flowlytics(airflow: Airflow) -> None:
    result = subprocess.run(
        ["airflow", "plugins", "-o", "json"],
        env=airflow.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # Some components log to stdout before the JSON document.
    plugins = json.loads(result.stdout[result.stdout.index("[") :])
    _assert_flowlytics_apps(_flowlytics_plugin(plugins))
