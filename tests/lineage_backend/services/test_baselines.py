"""The Batch Health page's view of anomaly detection, through the API on SQLite and PostgreSQL: anomaly badges and
the learning state on process rows, marks on the trends, and a job's band of normal (the detector's own verdicts,
replayed: the band of the flagged run is the one evaluation stored)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.requests import Request

from lineage_backend.anomaly.detector import AnomalyConfig, Point, judge
from lineage_backend.auth import READ as READ_SCOPE
from lineage_backend.auth import Principal
from lineage_backend.db import Database
from lineage_backend.store.models import AlertEvaluation
from tests.conftest import INGEST, READ
from tests.lineage_backend.alerting.receivers import wait_until
from tests.lineage_backend.alerting.scenario import ADMIN, alert_client, dag_run_events, ingest
from tests.lineage_backend.events import BASE_TIME

DAY = 86_400
DAG_SECONDS = [600, 610, 590, 605, 595, 602, 598, 611, 603, 597]
TASK_SECONDS = [s - 1 for s in DAG_SECONDS]  # a task starts a second into its DAG run and ends with it
SLOW = 3000
TASK = "job:airflow:nightly.t0"


class OnlySales:
    async def authenticate(self, request: Request) -> Principal | None:
        if request.headers.get("x-user") != "alice":
            return None
        return Principal(name="alice", scopes=frozenset({READ_SCOPE}), readable_dag_ids=frozenset({"sales"}))


def _evaluated(database: Database) -> int:
    return database.read(lambda session: session.execute(select(func.count()).select_from(AlertEvaluation)).scalar())


@pytest.fixture
def scenario(database: Database) -> Any:
    """Eleven nightly DAG runs of one task ending in the last eleven days; the last one's task is five times
    slower than usual."""
    with alert_client(database, authenticators=(OnlySales(),)) as client:
        first = datetime.now(timezone.utc) - timedelta(days=len(TASK_SECONDS) + 1) - BASE_TIME
        batches = []
        for day, seconds in enumerate([*DAG_SECONDS, SLOW]):
            batch, events = dag_run_events("nightly", start=first.total_seconds() + day * DAY, duration=seconds)
            ingest(client, events)
            batches.append(batch)
        runs = 2 * len(batches)
        wait_until(lambda: _evaluated(database) == runs or None, what="every run to be evaluated")
        yield client, batches


def _t0(client: TestClient, batch: str, headers: dict[str, str] = READ) -> tuple[dict[str, Any], dict[str, Any]]:
    page = client.get(f"/api/v1/batches/{batch}/processes", headers=headers)
    assert page.status_code == 200, page.text
    [row] = [p for p in page.json()["items"] if p["name"] == "t0"]
    return page.json(), row


def test_process_rows_carry_their_anomalies_and_learning_state(scenario: Any) -> None:
    client, batches = scenario
    page, slow = _t0(client, batches[-1])
    [mark] = slow["anomalies"]
    assert mark["metric"] == "durationSeconds" and mark["level"] == "error" and mark["direction"] == "HIGH"
    # The median of the ten earlier runs on the detector's log scale (an even count: between the middle two).
    middle = sorted(TASK_SECONDS)[4:6]
    assert mark["value"] == SLOW - 1
    assert mark["median"] == pytest.approx(math.expm1((math.log1p(middle[0]) + math.log1p(middle[1])) / 2))
    assert mark["ratio"] == pytest.approx((SLOW - 1) / mark["median"])
    assert slow["learning"] == {"runs": 7, "minHistory": 7, "learning": False}
    assert page["canMarkNormal"] is False  # a read key: the UI offers no button
    assert _t0(client, batches[-1], ADMIN)[0]["canMarkNormal"] is True

    _, third = _t0(client, batches[2])
    assert third["anomalies"] == [] and third["learning"] == {"runs": 2, "minHistory": 7, "learning": True}
    _, usual = _t0(client, batches[-2])
    assert usual["anomalies"] == [] and usual["learning"]["learning"] is False

    # Marking normal shows at once, although the batch's runs (which key the rows' cache) did not change.
    assert client.post(f"/api/v1/anomalies/{mark['id']}/mark-normal", headers=ADMIN).status_code == 200
    _, again = _t0(client, batches[-1])
    assert again["anomalies"][0]["markedNormalBy"].startswith("api-key:")
    assert again["anomalies"][0]["markedNormalAt"]


def test_trends_mark_the_day_of_the_anomalous_batch_and_its_task(scenario: Any) -> None:
    client, batches = scenario
    trends = client.get("/api/v1/batches/trends", params={"dagId": "nightly", "days": 30}, headers=READ).json()
    slow_batch = client.get(f"/api/v1/batches/{batches[-1]}", headers=READ).json()
    day = slow_batch["startedAt"][:10]
    assert {(a["process"], a["metric"], a["date"]) for a in trends["anomalies"]} == {
        (None, "durationSeconds", day),  # the DAG run itself took five times as long
        ("t0", "durationSeconds", day),
    }
    assert all(a["runId"] in (batches[-1], None) or a["process"] == "t0" for a in trends["anomalies"])
    assert [p["date"] for p in trends["points"] if p["date"] == day] == [day]
    # Another DAG's reader sees neither the trends nor their marks.
    hidden = client.get("/api/v1/batches/trends", params={"dagId": "nightly"}, headers={"x-user": "alice"})
    assert hidden.status_code == 404


def test_the_band_of_normal_is_the_detectors_own(scenario: Any) -> None:
    client, _ = scenario
    response = client.get("/api/v1/anomalies/baseline", params={"jobNodeId": TASK}, headers=READ)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["jobNodeId"] == TASK and body["metric"] == "durationSeconds" and body["minHistory"] == 7
    points = body["points"]
    assert [p["value"] for p in points] == [*TASK_SECONDS, SLOW - 1]
    assert [p["status"] for p in points[:7]] == ["learning"] * 7 and all(p["band"] is None for p in points[:7])
    for point in points[7:-1]:
        band = point["band"]
        assert point["status"] == "normal" and band["expectedLow"] <= point["value"] <= band["expectedHigh"]
    slow = points[-1]
    assert slow["status"] == "anomaly" and slow["value"] > slow["band"]["expectedHigh"]
    # The band drawn is the one evaluation judged the run against when it completed.
    stored = slow["anomaly"]
    assert slow["band"]["expectedHigh"] == pytest.approx(stored["expectedHigh"])
    assert slow["band"]["expectedLow"] == pytest.approx(stored["expectedLow"])
    assert stored["ratio"] == pytest.approx(stored["value"] / stored["median"]) and stored["level"] == "error"
    # And what the detector says for the next run, from the ten normal runs (the flagged one is left out).
    history = [Point(float(v), datetime.fromisoformat(p["at"])) for v, p in zip(TASK_SECONDS, points, strict=False)]
    expected = judge("durationSeconds", 600.0, datetime.now(timezone.utc), history, AnomalyConfig())
    assert body["learning"] is False and body["historyRuns"] == len(TASK_SECONDS)
    assert body["current"]["median"] == pytest.approx(expected.median)
    assert body["current"]["expectedHigh"] == pytest.approx(expected.expected_high)
    assert body["current"]["expectedLow"] < body["current"]["median"] < body["current"]["expectedHigh"]

    limited = client.get("/api/v1/anomalies/baseline", params={"jobNodeId": TASK, "limit": 3}, headers=READ).json()
    assert [p["runId"] for p in limited["points"]] == [p["runId"] for p in points[-3:]]
    assert limited["points"][-1]["band"] == slow["band"]  # a shorter chart, the same bands
    rows = client.get(
        "/api/v1/anomalies/baseline", params={"jobNodeId": TASK, "metric": "rowsWritten"}, headers=READ
    ).json()
    assert rows["points"] == [] and rows["learning"] is True and rows["current"] is None


def test_the_baseline_route_refuses_what_it_cannot_answer(scenario: Any) -> None:
    client, _ = scenario
    path = "/api/v1/anomalies/baseline"
    assert client.get(path, params={"jobNodeId": TASK}).status_code == 401
    assert client.get(path, params={"jobNodeId": TASK}, headers=INGEST).status_code == 403
    hidden = client.get(path, params={"jobNodeId": TASK}, headers={"x-user": "alice"})
    assert hidden.status_code == 404 and TASK in hidden.json()["detail"]
    missing = client.get(path, params={"jobNodeId": "job:airflow:nope"}, headers=READ)
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    for params, says in (
        ({"jobNodeId": TASK, "metric": "cpu"}, "metric must be one of"),
        ({"jobNodeId": TASK, "limit": 0}, "limit"),
        ({"jobNodeId": TASK, "limit": 201}, "limit"),
        ({}, "jobNodeId"),
        ({"jobNodeId": "nightly"}, "job:<namespace>:<name>"),
    ):
        response = client.get(path, params=params, headers=READ)
        assert response.status_code == 422, (params, response.text)
        assert says in response.json()["detail"], (params, response.json())
