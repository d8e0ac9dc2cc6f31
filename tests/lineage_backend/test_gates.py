"""Gate policies on hand-built impact and status data, and `flowlytics impact` for CI."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from lineage_backend.db import Database
from lineage_backend.gates import HealthPolicy, ImpactPolicy, evaluate_health, evaluate_impact
from tests.conftest import ADMIN_KEY, INGEST, READ_KEY
from tests.lineage_backend.events import dataset, run_event

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def item(
    node: str,
    *,
    kind: str = "DATASET",
    criticality: str | None = None,
    owners: list[str] | None = None,
    sla: dict[str, Any] | None = None,
    last: str | None = None,
) -> dict[str, Any]:
    return {
        "id": node,
        "type": kind,
        "namespace": "n",
        "name": node,
        "distance": 1,
        "owners": owners or [],
        "criticality": criticality,
        "sla": sla,
        "lastRunState": "COMPLETED",
        "lastRunAt": last,
        "problems": [],
    }


def impact(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodeId": "dataset:n:changed",
        "direction": "downstream",
        "items": list(items),
        "summary": {
            "total": len(items),
            "datasets": sum(i["type"] == "DATASET" for i in items),
            "jobs": sum(i["type"] == "JOB" for i in items),
            "critical": 0,
            "slaBound": 0,
            "byOwner": {},
            "byCriticality": {},
            "culprits": [],
        },
    }


def test_criticality_threshold() -> None:
    report = impact(item("a", criticality="high"), item("b", criticality="low"))
    assert evaluate_impact([report], ImpactPolicy(fail_on_criticality="critical"), NOW).passed
    decision = evaluate_impact([report], ImpactPolicy(fail_on_criticality="high"), NOW)
    assert not decision.passed and decision.violations == ["dataset:n:changed: consumer a is high (owners: none)"]
    assert "Blocked by policy" in decision.report and "a (distance 1; high; last run COMPLETED)" in decision.report


def test_dataset_count_limit_counts_datasets_only() -> None:
    report = impact(item("a"), item("b"), item("j", kind="JOB"))
    assert evaluate_impact([report], ImpactPolicy(max_downstream_datasets=2), NOW).passed
    assert not evaluate_impact([report], ImpactPolicy(max_downstream_datasets=1), NOW).passed


def test_sla_due_soon() -> None:
    due_at_13 = item("a", sla={"latestArrival": "13:00", "maxAgeMinutes": None})
    due_tomorrow = item("b", sla={"latestArrival": "11:00", "maxAgeMinutes": None})
    decision = evaluate_impact([impact(due_at_13, due_tomorrow)], ImpactPolicy(sla_due_within_hours=2), NOW)
    assert decision.violations == ["dataset:n:changed: consumer a has an SLA due at 2026-11-22 13:00 UTC"]
    stale_soon = item("c", sla={"latestArrival": None, "maxAgeMinutes": 60}, last="2026-11-22T11:30:00Z")
    assert not evaluate_impact([impact(stale_soon)], ImpactPolicy(sla_due_within_hours=1), NOW).passed


def test_blocked_owner_is_case_insensitive() -> None:
    report = impact(item("a", owners=["Team:Finance"]))
    assert not evaluate_impact([report], ImpactPolicy(blocked_owners=("team:finance",)), NOW).passed
    assert evaluate_impact([report], ImpactPolicy(blocked_owners=("team:ops",)), NOW).passed


def test_bad_policy_values() -> None:
    with pytest.raises(ValueError, match="critical"):
        ImpactPolicy(fail_on_criticality="urgent")
    with pytest.raises(ValueError, match="zero or more"):
        ImpactPolicy(max_downstream_datasets=-1)


def status(
    node: str,
    state: str | None = "COMPLETED",
    ended: str | None = "2026-11-22T11:00:00Z",
    rate: float | None = None,
    failed: int = 0,
) -> dict[str, Any]:
    last = (
        None
        if state is None
        else {
            "runId": "r1",
            "job": "job:airflow:load",
            "state": state,
            "startedAt": None,
            "endedAt": ended,
            "rowsWritten": 10,
        }
    )
    return {
        "nodeId": node,
        "lastWrite": last,
        "ageSeconds": None,
        "dqErrors": None,
        "dqErrorRate": rate,
        "failedAssertions": failed,
    }


def test_health_names_the_failed_producer() -> None:
    decision = evaluate_health([status("a", "FAILED")], HealthPolicy(), NOW)
    assert decision.violations == ["a: last written by job:airflow:load (run r1), which is FAILED"]
    assert evaluate_health([status("a", None)], HealthPolicy(), NOW).violations[0].startswith("a: never written")


def test_health_age_and_dq() -> None:
    fresh = HealthPolicy(max_age=timedelta(hours=2), max_dq_error_rate=0.01)
    assert evaluate_health([status("a", rate=0.005)], fresh, NOW).passed
    assert "older than" in evaluate_health([status("a")], HealthPolicy(max_age=timedelta(minutes=30)), NOW).report
    assert "DQ error rate 5.00%" in evaluate_health([status("a", rate=0.05)], fresh, NOW).report
    assert "failed data-quality" in evaluate_health([status("a", failed=2)], fresh, NOW).report


def test_cli_impact_exit_codes(flowlytics_server: tuple[str, Database]) -> None:
    base, _ = flowlytics_server
    events = [
        run_event(
            "COMPLETE",
            run_id=str(uuid.uuid4()),
            job="etl",
            inputs=[dataset("pg", "src")],
            outputs=[dataset("pg", "mart")],
        )
    ]
    httpx.post(f"{base}/api/v1/lineage/batch", json=events, headers=INGEST).raise_for_status()
    httpx.patch(
        f"{base}/api/v1/nodes/{quote('dataset:pg:mart', safe='')}/metadata",
        json={"criticality": "critical"},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    ).raise_for_status()
    cli = [
        sys.executable,
        "-m",
        "lineage_backend.cli",
        "impact",
        "--url",
        base,
        "--api-key",
        READ_KEY,
        "--node",
        "dataset:pg:src",
    ]
    blocked = subprocess.run([*cli, "--fail-on", "critical"], capture_output=True, text=True)
    assert blocked.returncode == 1
    assert "consumer dataset:pg:mart is critical" in blocked.stdout
    assert subprocess.run([*cli, "--fail-on", "critical", "--max-datasets", "5"], capture_output=True).returncode == 1
    fine = subprocess.run([*cli, "--max-datasets", "5"], capture_output=True, text=True)
    assert fine.returncode == 0 and "Within policy." in fine.stdout
    missing = subprocess.run([*cli[:-1], "dataset:pg:nope"], capture_output=True, text=True)
    assert missing.returncode == 2 and "404" in missing.stderr
    down = subprocess.run(
        [
            sys.executable,
            "-m",
            "lineage_backend.cli",
            "impact",
            "--url",
            "http://127.0.0.1:9",
            "--node",
            "dataset:pg:src",
        ],
        capture_output=True,
        text=True,
    )
    assert down.returncode == 2 and "cannot reach" in down.stderr
