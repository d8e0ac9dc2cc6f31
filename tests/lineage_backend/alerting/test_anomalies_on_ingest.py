"""Anomalies found as runs are ingested: learning first, then a flagged run, shown on the run, marked normal."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from starlette.requests import Request

from lineage_backend.auth import READ as READ_SCOPE
from lineage_backend.auth import Principal
from lineage_backend.db import Database
from lineage_backend.store.models import AlertEvaluation
from tests.conftest import INGEST, READ
from tests.lineage_backend.alerting.receivers import http_receiver, wait_until
from tests.lineage_backend.alerting.scenario import ADMIN, alert_client, dag_run_events, ingest, rule, webhook
from tests.lineage_backend.events import run_event

DAY = 86_400


def _run(client, job: str, start: float, seconds: float, namespace: str = "spark") -> str:  # type: ignore[no-untyped-def]
    run_id = str(uuid.uuid4())
    for kind, at in (("START", start), ("COMPLETE", start + seconds)):
        response = client.post(
            "/api/v1/lineage",
            json=run_event(kind, run_id=run_id, job=job, namespace=namespace, seconds=at),
            headers=INGEST,
        )
        assert response.status_code == 201
    return run_id


def _evaluated(database: Database) -> int:
    return database.read(lambda session: session.execute(select(func.count()).select_from(AlertEvaluation)).scalar())


def test_a_slow_run_is_flagged_after_learning_and_can_be_marked_normal(database: Database) -> None:
    with http_receiver() as receiver, alert_client(database) as client:
        rule(client, {"type": "anomaly", "metric": "durationSeconds"}, [webhook(client, receiver.url)], name="slow")
        # Six runs, one of them wild: still learning, no verdict.
        for day, seconds in enumerate([600, 610, 5000, 590, 605, 595]):
            _run(client, "nightly", day * DAY, seconds)
        wait_until(lambda: _evaluated(database) == 6, what="the six runs to be evaluated")
        assert client.get("/api/v1/anomalies", headers=READ).json()["totalCount"] == 0
        for day, seconds in enumerate([602, 598, 611], start=6):
            _run(client, "nightly", day * DAY, seconds)
        slow = _run(client, "nightly", 9 * DAY, 3000)
        found = wait_until(lambda: client.get("/api/v1/anomalies", headers=READ).json()["items"], what="the anomaly")
        [anomaly] = found
        assert anomaly["runId"] == slow and anomaly["metric"] == "durationSeconds"
        assert anomaly["direction"] == "HIGH" and anomaly["level"] == "error"
        assert anomaly["expectedLow"] < 600 < anomaly["expectedHigh"] < 3000
        assert anomaly["jobNodeId"] == "job:spark:nightly"
        run = client.get(f"/api/v1/runs/{slow}", headers=READ).json()
        assert [a["metric"] for a in run["anomalies"]] == ["durationSeconds"]
        message = wait_until(lambda: receiver.requests, what="the anomaly message")[0].json()
        assert "5.0x usual" in message["title"]

        assert client.post(f"/api/v1/runs/{slow}/mark-normal", headers=READ).status_code == 403
        marked = client.post(f"/api/v1/runs/{slow}/mark-normal", headers=ADMIN)
        assert marked.status_code == 200 and marked.json()["items"][0]["markedNormalBy"].startswith("api-key:")
        assert client.get(f"/api/v1/runs/{slow}", headers=READ).json()["anomalies"][0]["markedNormalAt"]
        # A normal run afterwards resolves the anomaly incident.
        _run(client, "nightly", 10 * DAY, 600)
        wait_until(
            lambda: client.get("/api/v1/incidents?state=RESOLVED", headers=READ).json()["totalCount"] == 1,
            what="the incident to resolve",
        )


class OnlySales:
    async def authenticate(self, request: Request) -> Principal | None:
        if request.headers.get("x-user") != "alice":
            return None
        return Principal(name="alice", scopes=frozenset({READ_SCOPE}), readable_dag_ids=frozenset({"sales"}))


def test_incidents_and_anomalies_follow_dag_visibility(database: Database) -> None:
    with http_receiver() as receiver, alert_client(database, authenticators=(OnlySales(),)) as client:
        rule(client, {"type": "run_failed"}, [webhook(client, receiver.url)])
        ingest(client, dag_run_events("sales", failed_tasks=1)[1])
        ingest(client, dag_run_events("payroll", failed_tasks=1)[1])
        everything = wait_until(
            lambda: (lambda xs: xs if len(xs) == 2 else None)(
                client.get("/api/v1/incidents", headers=READ).json()["items"]
            ),
            what="two incidents",
        )
        alice = {"x-user": "alice"}
        seen = client.get("/api/v1/incidents", headers=alice).json()
        assert [i["subject"] for i in seen["items"]] == ["job:airflow:sales"] and seen["totalCount"] == 1
        payroll = next(i for i in everything if i["subject"] == "job:airflow:payroll")
        for path in ("", "/timeline", "/export?format=json"):
            assert client.get(f"/api/v1/incidents/{payroll['id']}{path}", headers=alice).status_code == 404
        assert (
            client.patch(
                f"/api/v1/incidents/{payroll['id']}", json={"state": "ACKNOWLEDGED"}, headers=alice
            ).status_code
            == 404
        )


class SalesOfAnotherAirflow:
    """A user who may read DAG `sales` of the Airflow whose OpenLineage namespace is `my_airflow`: the events
    here are of namespace `airflow`, another deployment's (with `sees_foreign_dags` when the header says so)."""

    async def authenticate(self, request: Request) -> Principal | None:
        if request.headers.get("x-user") != "bob":
            return None
        return Principal(
            name="bob",
            scopes=frozenset({READ_SCOPE}),
            readable_dag_ids=frozenset({"sales"}),
            dag_namespace="my_airflow",
            sees_foreign_dags=request.headers.get("x-foreign") == "yes",
        )


def test_incidents_match_the_dag_together_with_its_namespace(database: Database) -> None:
    """Reading `sales` in one Airflow does not show another deployment's `sales` (services/visibility.py)."""
    with http_receiver() as receiver, alert_client(database, authenticators=(SalesOfAnotherAirflow(),)) as client:
        rule(client, {"type": "run_failed"}, [webhook(client, receiver.url)])
        ingest(client, dag_run_events("sales", failed_tasks=1)[1])
        [incident] = wait_until(
            lambda: client.get("/api/v1/incidents", headers=READ).json()["items"] or None, what="an incident"
        )
        assert incident["subject"] == "job:airflow:sales"
        bob = {"x-user": "bob"}
        assert client.get("/api/v1/incidents", headers=bob).json()["totalCount"] == 0
        assert client.get(f"/api/v1/incidents/{incident['id']}", headers=bob).status_code == 404
        foreign = {"x-user": "bob", "x-foreign": "yes"}
        assert [i["id"] for i in client.get("/api/v1/incidents", headers=foreign).json()["items"]] == [incident["id"]]
        assert client.get(f"/api/v1/incidents/{incident['id']}", headers=foreign).status_code == 200


def test_replayed_old_failures_raise_no_incident(sqlite_database: Database) -> None:
    with (
        http_receiver() as receiver,
        alert_client(sqlite_database, alerts_enabled=False, alert_max_age_hours=24) as client,
    ):
        rule(client, {"type": "run_failed"}, [webhook(client, receiver.url)])
        ingest(client, dag_run_events("sales", failed_tasks=1)[1])  # events of 2024
        assert client.app.state.alerts.evaluate_queued() == 3
        assert client.get("/api/v1/incidents", headers=READ).json()["totalCount"] == 0
