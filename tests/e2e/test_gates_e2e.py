"""The gates in a real Airflow: the gated demo DAGs from dags/ run against the plugin's API, through the
connection `flowlytics_default` that scripts/airflow_env.sh configures, and the API server, scheduler and
triggerer of `airflow standalone`.

- a producer DAG fails → the sensor of a consumer DAG keeps waiting, then times out naming the producer;
- a change on a table with a critical consumer → the impact gate fails, the report in the task log;
- a healthy path passes (both gates, operator and TaskFlow forms);
- a deferrable sensor waits as `deferred` (no worker slot) and completes once its upstream turns healthy.

Every gate DAG run is triggered at once by the `gate_runs` fixture, after the demo producers finished; the
tests then only poll, so their waits overlap.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.harness import (
    CRITICAL_DATASET,
    FINAL_TASK_STATES,
    GATE_DAGS,
    PAYMENTS,
    PAYMENTS_REPORT,
    REJECTS_ARCHIVE,
    RUN_TIMEOUT,
    SCHEMA_CHANGE,
    Airflow,
    DemoRuns,
    demo_dataset_id,
    task_instances,
    task_log,
    trigger_dag,
    wait_until,
)

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

# The payments report's sensor: reschedule mode, poke every 10 s, time out after 45 s (see its DAG file).
SENSOR_TIMEOUT = 45
E2E_NAMESPACE = "flowlytics_e2e"


@dataclass
class GateRuns:
    run_ids: dict[str, str]  # scenario -> dag_run_id
    waiting_dataset: str  # what the deferred scenario's sensor waits for; only these tests write it
    triggered: float = field(default_factory=time.monotonic)


def post_producer_run(airflow: Airflow, dataset_name: str, outcome: str) -> str:
    """A producer outside Airflow reports a run writing `dataset_name` (START, then `outcome`)."""
    run_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc).isoformat()

    def event(event_type: str) -> dict[str, Any]:
        return {
            "eventType": event_type,
            "eventTime": now,
            "producer": "https://github.com/flowlytics/tests/e2e",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id},
            "job": {"namespace": E2E_NAMESPACE, "name": "partner_feed.export"},
            "inputs": [],
            "outputs": [{"namespace": E2E_NAMESPACE, "name": dataset_name}],
        }

    with airflow.client(airflow.ingest_key) as emitter:
        response = emitter.post("/flowlytics/api/v1/lineage/batch", json=[event("START"), event(outcome)])
        assert response.status_code == 200, response.text
        assert response.json()["summary"]["failed"] == 0, response.text
    return run_id


@pytest.fixture(scope="module")
def gate_runs(airflow: Airflow, demo_runs: DemoRuns, critical_dataset: str) -> GateRuns:
    """Producers done and the revenue mart critical: trigger every gate scenario at once."""
    with airflow.api() as client:
        wait_until(
            "the gate DAGs to be parsed",
            lambda: all(client.get(f"/api/v2/dags/{dag_id}").status_code == 200 for dag_id in GATE_DAGS),
            120.0,
            interval=2.0,
        )
        # The deferred scenario waits on a dataset whose last producer run failed, until the test reports
        # a successful one.
        dataset_name = f"partner_orders_{uuid.uuid4().hex[:8]}"
        post_producer_run(airflow, dataset_name, "FAIL")
        waiting = f"dataset:{E2E_NAMESPACE}:{dataset_name}"
        runs = GateRuns(
            run_ids={
                "timeout": trigger_dag(client, PAYMENTS_REPORT),
                "blocked": trigger_dag(client, SCHEMA_CHANGE),
                "healthy": trigger_dag(client, REJECTS_ARCHIVE),
                "deferred": trigger_dag(client, REJECTS_ARCHIVE, {"orders_dataset": waiting}),
            },
            waiting_dataset=waiting,
        )
    return runs


def wait_for_task(
    client: httpx.Client, dag_id: str, run_id: str, task_id: str, timeout: float = RUN_TIMEOUT
) -> tuple[dict[str, Any], set[str]]:
    """Poll a task instance until it is in a final state; returns it and every state seen on the way."""
    seen: set[str] = set()

    def final() -> dict[str, Any] | None:
        ti = task_instances(client, dag_id, run_id)[task_id]
        seen.add(str(ti["state"]))
        return ti if ti["state"] in FINAL_TASK_STATES else None

    ti: dict[str, Any] = wait_until(f"{dag_id}.{task_id} to finish", final, timeout, interval=1.0)
    return ti, seen


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_for_dag_run(client: httpx.Client, dag_id: str, run_id: str, timeout: float = RUN_TIMEOUT) -> str:
    def final() -> str | None:
        state = client.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    return str(wait_until(f"{dag_id} run {run_id} to finish", final, timeout, interval=1.0))


def test_sensor_times_out_naming_the_failed_producer(
    airflow: Airflow, demo_runs: DemoRuns, gate_runs: GateRuns
) -> None:
    run_id = gate_runs.run_ids["timeout"]
    reconcile_run = demo_runs.task_runs[PAYMENTS]["reconcile_payments"]["runId"]
    with airflow.api() as client:
        sensor, seen = wait_for_task(client, PAYMENTS_REPORT, run_id, "wait_for_reconciled_payments")
        assert sensor["state"] == "failed", sensor
        # It kept waiting, between pokes without a worker slot (reschedule mode), before giving up.
        assert "up_for_reschedule" in seen, seen
        assert wait_for_dag_run(client, PAYMENTS_REPORT, run_id) == "failed"
        dag_run = client.get(f"/api/v2/dags/{PAYMENTS_REPORT}/dagRuns/{run_id}").json()
        waited = datetime.fromisoformat(sensor["end_date"]) - datetime.fromisoformat(dag_run["start_date"])
        assert waited.total_seconds() >= SENSOR_TIMEOUT, (waited, sensor, dag_run)
        assert sensor["try_number"] == 1, sensor  # a sensor timeout is final: no retries
        assert task_instances(client, PAYMENTS_REPORT, run_id)["send_payments_report"]["state"] == "upstream_failed"
        log = task_log(client, PAYMENTS_REPORT, run_id, "wait_for_reconciled_payments", sensor["try_number"])
    producer = f"job:flowlytics_demo:{PAYMENTS}.reconcile_payments (run {reconcile_run}), which is FAILED"
    dataset = demo_dataset_id(airflow.data_dir, "curated/payments_reconciled.csv")
    # Every poke said why it waits, and the failure names the failed producer and its run.
    assert log.count(f"{dataset}: last written by {producer}") >= 2, log
    assert "Waiting for upstream" in log, log
    assert "Upstream still not healthy" in log and "AirflowSensorTimeout" in log, log
    airflow.timings["gate_sensor_timeout_after_trigger"] = time.monotonic() - gate_runs.triggered


def test_impact_gate_blocks_a_change_with_a_critical_consumer(airflow: Airflow, gate_runs: GateRuns) -> None:
    run_id = gate_runs.run_ids["blocked"]
    warehouse = demo_dataset_id(airflow.data_dir, "warehouse/orders.csv")
    mart = demo_dataset_id(airflow.data_dir, CRITICAL_DATASET)
    with airflow.api() as client:
        gate, _ = wait_for_task(client, SCHEMA_CHANGE, run_id, "check_impact")
        assert gate["state"] == "failed", gate
        assert gate["try_number"] == 1, gate  # a policy answer, not a transient error: no retry
        assert wait_for_dag_run(client, SCHEMA_CHANGE, run_id) == "failed"
        assert task_instances(client, SCHEMA_CHANGE, run_id)["alter_warehouse_orders"]["state"] == "upstream_failed"
        log = task_log(client, SCHEMA_CHANGE, run_id, "check_impact")
        links = client.get(f"/api/v2/dags/{SCHEMA_CHANGE}/dagRuns/{run_id}/taskInstances/check_impact/links")
        assert links.status_code == 200, links.text
    # The extra link opens the plugin's lineage view on the checked node (relative to the UI's base URL).
    assert links.json()["extra_links"] == {
        "Flowlytics impact": f"plugin/flowlytics_lineage?node={quote(warehouse, safe='')}"
    }, links.json()
    # The readable report: what is downstream, the critical consumer with its owner, and the verdict.
    assert f"Impact of {warehouse}: 2 downstream (1 datasets, 1 jobs), 1 critical" in log, log
    assert f"{mart} (distance 2; critical; SLA; owners team:finance" in log, log
    assert "job:flowlytics_demo:flowlytics_demo_pipeline.build_customer_revenue (distance 1" in log, log
    assert "Blocked by policy" in log, log
    assert f"Impact gate blocked this change:\n{warehouse}: consumer {mart} is critical (owners: team:finance)" in log
    airflow.timings["gate_impact_blocked_after_trigger"] = time.monotonic() - gate_runs.triggered


def test_healthy_path_passes_both_gates(airflow: Airflow, gate_runs: GateRuns) -> None:
    run_id = gate_runs.run_ids["healthy"]
    rejects = demo_dataset_id(airflow.data_dir, "curated/orders_rejected.csv")
    with airflow.api() as client:
        state = wait_for_dag_run(client, REJECTS_ARCHIVE, run_id)
        tis = task_instances(client, REJECTS_ARCHIVE, run_id)
        assert state == "success", tis
        assert {task_id: ti["state"] for task_id, ti in tis.items()} == {
            "wait_for_pipeline": "success",
            "rejects_landed": "success",
            "check_impact": "success",
            "archive_rejects": "success",
        }
        gate_log = task_log(client, REJECTS_ARCHIVE, run_id, "check_impact")
        xcom = client.get(
            f"/api/v2/dags/{REJECTS_ARCHIVE}/dagRuns/{run_id}/taskInstances/check_impact/xcomEntries/return_value"
        )
        assert xcom.status_code == 200, xcom.text
        sensor_log = task_log(client, REJECTS_ARCHIVE, run_id, "wait_for_pipeline")
        archive_log = task_log(client, REJECTS_ARCHIVE, run_id, "archive_rejects")
    assert f"Impact of {rejects}: 0 downstream" in gate_log and "Within policy." in gate_log, gate_log
    result = xcom.json()["value"]
    assert result["passed"] is True and result["violations"] == [] and result["nodes"] == [rejects], result
    assert "Upstream healthy" in sensor_log, sensor_log
    assert "Within policy." in archive_log, archive_log  # the TaskFlow impact_gate prints its report
    assert list((airflow.data_dir / "archive").glob("orders_rejected_*.csv")), "no archive copy written"
    airflow.timings["gate_healthy_path_after_trigger"] = time.monotonic() - gate_runs.triggered


def test_deferred_sensor_holds_no_worker_and_completes_when_upstream_turns_healthy(
    airflow: Airflow, gate_runs: GateRuns
) -> None:
    run_id = gate_runs.run_ids["deferred"]
    with airflow.api() as client:

        def deferred() -> dict[str, Any] | None:
            ti = task_instances(client, REJECTS_ARCHIVE, run_id)["wait_for_pipeline"]
            assert ti["state"] not in FINAL_TASK_STATES, ti  # must not finish before its upstream is healthy
            return ti if ti["state"] == "deferred" else None

        ti = wait_until("the sensor to be deferred", deferred, RUN_TIMEOUT)
        # Waiting in the triggerer: the task holds a trigger, and the worker process that deferred it is gone.
        assert ti["trigger"] and ti["trigger"]["classpath"].endswith("UpstreamHealthTrigger"), ti
        assert ti["pid"], ti
        wait_until(f"the deferring worker process {ti['pid']} to exit", lambda: not process_exists(ti["pid"]), 30.0)
        # It keeps waiting across several of the trigger's polls (every 5 s) while the upstream is failed.
        time.sleep(6)
        assert task_instances(client, REJECTS_ARCHIVE, run_id)["wait_for_pipeline"]["state"] == "deferred"

        released = time.monotonic()
        post_producer_run(airflow, gate_runs.waiting_dataset.split(":", 2)[2], "COMPLETE")
        sensor, seen = wait_for_task(client, REJECTS_ARCHIVE, run_id, "wait_for_pipeline", timeout=90.0)
        assert sensor["state"] == "success", (sensor, seen)
        airflow.timings["gate_deferred_release_s"] = time.monotonic() - released
        assert wait_for_dag_run(client, REJECTS_ARCHIVE, run_id) == "success"
        log = task_log(client, REJECTS_ARCHIVE, run_id, "wait_for_pipeline")
    assert "Upstream healthy" in log, log
