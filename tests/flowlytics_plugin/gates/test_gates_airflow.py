"""The gates' Airflow parts against a real `flowlytics serve`: hook, operator, sensor, trigger, TaskFlow."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest

pytest.importorskip("airflow")

from airflow.sdk import Asset
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, AirflowSkipException

from flowlytics_plugin.gates import ImpactGateOperator, UpstreamHealthSensor, impact_gate, upstream_health
from flowlytics_plugin.gates.hook import FlowlyticsHook, FlowlyticsUnavailableError
from flowlytics_plugin.gates.links import FlowlyticsImpactLink
from flowlytics_plugin.gates.nodes import asset_node_id
from flowlytics_plugin.gates.triggers import UpstreamHealthTrigger
from lineage_backend.db import Database
from tests.conftest import ADMIN_KEY, INGEST, READ_KEY
from tests.lineage_backend.events import dataset, run_event

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def served(flowlytics_server: tuple[str, Database], monkeypatch: pytest.MonkeyPatch) -> str:
    base, _ = flowlytics_server
    conn = {"conn_type": "flowlytics", "host": base + "/", "password": READ_KEY}
    monkeypatch.setenv("AIRFLOW_CONN_FLOWLYTICS_DEFAULT", json.dumps(conn))
    return base


def emit(base: str, *events: dict[str, Any]) -> None:
    httpx.post(f"{base}/api/v1/lineage/batch", json=list(events), headers=INGEST).raise_for_status()


def now_iso(delta: timedelta = timedelta()) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat()


def produce(
    base: str, output: str, outcome: str, *, job: str = "producer", when: timedelta = timedelta(), **run_facets: Any
) -> None:
    run_id = str(uuid.uuid4())
    start, end = (
        run_event("START", run_id=run_id, job=job),
        run_event(outcome, run_id=run_id, job=job, outputs=[dataset("pg", output)], run_facets=run_facets),
    )
    start["eventTime"], end["eventTime"] = now_iso(when - timedelta(minutes=1)), now_iso(when)
    emit(base, start, end)


def critical_consumer(base: str) -> None:
    emit(base, run_event("COMPLETE", job="report", inputs=[dataset("pg", "orders")], outputs=[dataset("pg", "cfo")]))
    httpx.patch(
        f"{base}/api/v1/nodes/{quote('dataset:pg:cfo', safe='')}/metadata",
        json={"criticality": "critical", "owners": ["team:finance"]},
        headers=ADMIN,
    ).raise_for_status()


def test_impact_gate_fails_on_a_critical_consumer_with_the_report(
    served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    critical_consumer(served)
    gate = ImpactGateOperator(task_id="gate", node_ids=["dataset:pg:orders"], fail_on_criticality="critical")
    with pytest.raises(AirflowFailException, match="consumer dataset:pg:cfo is critical"):
        gate.execute({})
    logged = capsys.readouterr().out  # Airflow's task logger writes through structlog
    assert (
        "Impact of dataset:pg:orders" in logged
        and "dataset:pg:cfo (distance 2; critical; owners team:finance" in logged
    )


def test_impact_gate_passes_within_policy_and_returns_the_report(served: str) -> None:
    critical_consumer(served)
    gate = ImpactGateOperator(task_id="gate", node_ids="dataset:pg:orders", max_downstream_datasets=5)
    result = gate.execute({})
    assert result["passed"] and result["summaries"]["dataset:pg:orders"]["datasets"] == 1


def test_impact_gate_can_skip_and_reads_outlets(served: str) -> None:
    critical_consumer(served)
    emit(
        served,
        run_event("COMPLETE", job="w", outputs=[dataset("file", "/tmp/x.csv")], inputs=[dataset("pg", "orders")]),
    )
    gate = ImpactGateOperator(
        task_id="gate", outlets=[Asset("file:///tmp/x.csv")], max_downstream_datasets=0, on_violation="skip"
    )
    assert gate.execute({})["nodes"] == ["dataset:file:/tmp/x.csv"]
    skipper = ImpactGateOperator(
        task_id="g2", node_ids=["dataset:pg:orders"], fail_on_criticality="high", on_violation="skip"
    )
    with pytest.raises(AirflowSkipException):
        skipper.execute({})


def test_templated_fields_render() -> None:
    gate = ImpactGateOperator(
        task_id="gate", node_ids=["dataset:pg:{{ params.table }}"], fail_on_criticality="{{ params.level }}"
    )
    assert set(ImpactGateOperator.template_fields) >= {"node_ids", "fail_on_criticality", "max_downstream_datasets"}
    gate.render_template_fields({"params": {"table": "orders", "level": "high"}})
    assert gate.node_ids == ["dataset:pg:orders"] and gate.fail_on_criticality == "high"
    sensor = UpstreamHealthSensor(task_id="s", dataset_ids=["dataset:pg:{{ params.table }}"])
    sensor.render_template_fields({"params": {"table": "orders"}})
    assert sensor.dataset_ids == ["dataset:pg:orders"]


def test_constructor_checks_are_cheap_and_clear() -> None:
    with pytest.raises(ValueError, match="on_violation"):
        ImpactGateOperator(task_id="g", node_ids=["x"], on_violation="warn")
    with pytest.raises(ValueError, match="fail_on_criticality"):
        ImpactGateOperator(task_id="g", node_ids=["x"], fail_on_criticality="urgent")
    with pytest.raises(ValueError, match="dataset_ids"):
        UpstreamHealthSensor(task_id="s", dataset_ids=[])


def test_flowlytics_down_is_retried_then_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_FLOWLYTICS_DEFAULT", json.dumps({"conn_type": "flowlytics", "host": "http://127.0.0.1:9/"})
    )
    hook = FlowlyticsHook(retries=2, retry_delay=0.05)
    with pytest.raises(FlowlyticsUnavailableError, match=r"after 3 attempts.*rather than pass unchecked"):
        hook.impact("dataset:pg:orders")
    with pytest.raises(Exception, match="not defined"):
        FlowlyticsHook("no_such_connection").impact("dataset:pg:orders")


def test_unknown_node_is_a_clear_error(served: str) -> None:
    with pytest.raises(Exception, match=r"404.*no dataset"):
        FlowlyticsHook().impact("dataset:pg:nothing")


def test_sensor_waits_on_a_failed_producer_then_times_out_naming_it(served: str) -> None:
    produce(served, "orders", "FAIL", errorMessage={"message": "boom", "programmingLanguage": "python"})
    sensor = UpstreamHealthSensor(
        task_id="wait", dataset_ids=["dataset:pg:orders"], poke_interval=0.2, timeout=1, mode="poke"
    )
    assert sensor.poke({}).is_done is False
    with pytest.raises(AirflowSensorTimeout, match=r"last written by job:airflow:producer .* which is FAILED"):
        sensor.execute({"ti": None, "task_instance": None})


def test_sensor_passes_when_fresh_and_clean(served: str) -> None:
    produce(served, "orders", "COMPLETE")
    sensor = UpstreamHealthSensor(
        task_id="wait", dataset_ids=["dataset:pg:orders"], max_age=timedelta(hours=1), max_dq_error_rate=0.01
    )
    assert sensor.poke({}).is_done is True
    stale = UpstreamHealthSensor(task_id="stale", dataset_ids=["dataset:pg:orders"], max_age=0.5)  # minutes
    produce(served, "old", "COMPLETE", when=-timedelta(hours=2))
    stale.dataset_ids = ["dataset:pg:old"]
    assert stale.poke({}).is_done is False


def test_sensor_rejects_dirty_data(served: str) -> None:
    event = run_event(
        "COMPLETE",
        job="producer",
        inputs=[{**dataset("pg", "raw"), "inputFacets": {"inputStatistics": {"rowCount": 100}}}],
        outputs=[dataset("pg", "orders")],
        run_facets={"flowlytics_stats": {"dqFailedRows": 50}},
    )
    event["eventTime"] = now_iso()
    emit(served, event)
    dirty = UpstreamHealthSensor(task_id="wait", dataset_ids=["dataset:pg:orders"], max_dq_error_rate=0.01)
    assert dirty.poke({}).is_done is False
    tolerant = UpstreamHealthSensor(task_id="wait2", dataset_ids=["dataset:pg:orders"], max_dq_error_rate=0.6)
    assert tolerant.poke({}).is_done is True


def test_trigger_polls_until_healthy_and_times_out_with_reasons(served: str) -> None:
    produce(served, "orders", "FAIL")

    def trigger(end: timedelta) -> UpstreamHealthTrigger:
        return UpstreamHealthTrigger(
            base_url=served + "/",
            api_key=READ_KEY,
            dataset_ids=["dataset:pg:orders"],
            max_age_seconds=None,
            max_dq_error_rate=None,
            poke_interval=0.2,
            end_at=(datetime.now(timezone.utc) + end).isoformat(),
        )

    async def first_event(t: UpstreamHealthTrigger) -> Any:
        async for event in t.run():
            return event.payload

    timed_out = asyncio.run(first_event(trigger(timedelta(seconds=0.5))))
    assert timed_out["status"] == "timeout" and "FAILED" in timed_out["reasons"][0]
    produce(served, "orders", "COMPLETE", when=timedelta(seconds=1))
    assert asyncio.run(first_event(trigger(timedelta(seconds=5))))["status"] == "healthy"
    classpath, kwargs = trigger(timedelta(seconds=1)).serialize()
    assert classpath == "flowlytics_plugin.gates.triggers.UpstreamHealthTrigger" and kwargs["dataset_ids"]


def test_taskflow_helpers(served: str) -> None:
    critical_consumer(served)
    with pytest.raises(AirflowFailException, match="critical"):
        impact_gate("dataset:pg:orders", fail_on_criticality="critical")
    assert impact_gate("dataset:pg:orders", max_downstream_datasets=3)["passed"]
    produce(served, "orders", "COMPLETE")
    assert upstream_health("dataset:pg:orders", max_age=timedelta(hours=1)).is_done


def test_extra_link_and_asset_naming() -> None:
    gate = ImpactGateOperator(task_id="g", node_ids=["dataset:postgres://db:5432:shop.orders"])
    link = FlowlyticsImpactLink().get_link(gate, ti_key=None)
    assert link == "plugin/flowlytics_lineage?node=dataset%3Apostgres%3A%2F%2Fdb%3A5432%3Ashop.orders"
    assert asset_node_id("postgres://db:5432/shop/public/orders") == "dataset:postgres://db:5432:shop.public.orders"
    assert asset_node_id("s3://bucket/raw/x.parquet") == "dataset:s3://bucket:raw/x.parquet"
    assert asset_node_id("file:///data/x.csv") == "dataset:file:/data/x.csv"


def test_unknown_nodes_fail_unless_allowed(served: str) -> None:
    with pytest.raises(Exception, match="404"):
        ImpactGateOperator(task_id="g", node_ids=["dataset:pg:brand_new"], max_downstream_datasets=0).execute({})
    gate = ImpactGateOperator(
        task_id="g", node_ids=["dataset:pg:brand_new"], max_downstream_datasets=0, allow_unknown_nodes=True
    )
    assert gate.execute({})["summaries"]["dataset:pg:brand_new"]["total"] == 0


def test_deferred_sensor_fails_fast_on_a_configuration_error(served: str) -> None:
    trigger = UpstreamHealthTrigger(
        base_url=served + "/",
        api_key="wrong-key",
        dataset_ids=["dataset:pg:orders"],
        max_age_seconds=None,
        max_dq_error_rate=None,
        # A trigger that retried a 401 would sleep an hour before its next poke: the first event can only
        # come from the first poke. The wait_for below is a hang guard, not a speed check.
        poke_interval=3600,
        end_at=(datetime.now(timezone.utc) + timedelta(hours=2)).isoformat(),
    )

    async def first() -> Any:
        async for event in trigger.run():
            return event.payload

    event = asyncio.run(asyncio.wait_for(first(), timeout=600))
    assert event["status"] == "error" and "401" in event["reasons"][0]
    sensor = UpstreamHealthSensor(task_id="s", dataset_ids=["dataset:pg:orders"], deferrable=True)
    with pytest.raises(Exception, match="401"):
        sensor.execute_complete({}, event)


def test_status_counts_assertions_sent_as_input_facets(served: str) -> None:
    checked = {
        **dataset("pg", "orders"),
        "inputFacets": {
            "dataQualityAssertions": {
                "assertions": [
                    {"assertion": "not_null", "success": False, "column": "id"},
                    {"assertion": "unique", "success": True, "column": "id"},
                ]
            }
        },
    }
    produce(served, "orders", "COMPLETE")
    emit(served, run_event("COMPLETE", job="dbt_test", inputs=[checked]))
    status = FlowlyticsHook().dataset_status("dataset:pg:orders")
    assert status["failedAssertions"] == 1
    sensor = UpstreamHealthSensor(task_id="s", dataset_ids=["dataset:pg:orders"], max_dq_error_rate=0.01)
    assert sensor.poke({}).is_done is False
