"""What is defined by absence, on the clock: a missed SLA and a stale dataset open incidents; the data arriving
closes them. The loop is driven by hand here (alerts_enabled=False) so that the clock's `now` is the test's."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from lineage_backend.db import Database
from tests.conftest import INGEST, READ
from tests.lineage_backend.alerting.receivers import http_receiver
from tests.lineage_backend.alerting.scenario import ADMIN, WAREHOUSE, alert_client, rule, webhook
from tests.lineage_backend.events import BASE_TIME, dataset, run_event

HOUR = 3600.0


def _write(client, job: str, at: float, table: str = "public.orders", took: float = 60) -> None:  # type: ignore[no-untyped-def]
    run_id = str(uuid.uuid4())
    for kind, seconds in (("START", at), ("COMPLETE", at + took)):
        event = run_event(
            kind, run_id=run_id, job=job, namespace="etl", seconds=seconds, outputs=[dataset(WAREHOUSE, table)]
        )
        assert client.post("/api/v1/lineage", json=event, headers=INGEST).status_code == 201


def test_a_missed_sla_opens_an_incident_and_a_late_arrival_resolves_it(sqlite_database: Database) -> None:
    with http_receiver() as receiver, alert_client(sqlite_database, alerts_enabled=False) as client:
        engine = client.app.state.alerts
        rule(client, {"type": "sla_missed"}, [webhook(client, receiver.url)], name="sla")
        _write(client, "load_orders", 0)
        sla = client.patch(
            "/api/v1/nodes/job:etl:load_orders/metadata",
            json={"sla": {"latestArrival": "06:00"}, "owners": ["orders-team"]},
            headers=ADMIN,
        )
        assert sla.status_code == 200, sla.text
        engine.evaluate_queued()
        on_time = datetime(2024, 5, 2, 6, 30, tzinfo=timezone.utc)  # yesterday's noon run counts for today
        engine.check_absences(now=on_time, freshness=False)
        assert client.get("/api/v1/incidents", headers=READ).json()["totalCount"] == 0

        late = datetime(2024, 5, 3, 6, 1, tzinfo=timezone.utc)
        engine.check_absences(now=late, freshness=False)
        engine.check_absences(now=late + timedelta(minutes=1), freshness=False)  # same day: no new occurrence
        [incident] = client.get("/api/v1/incidents", headers=READ).json()["items"]
        assert incident["subject"] == "job:etl:load_orders" and "missed its SLA (06:00)" in incident["title"]
        assert incident["occurrences"] == 1
        engine.deliver()  # group wait is 0.3 s of wall clock
        import time

        time.sleep(0.4)
        engine.deliver()
        assert len(receiver.requests) == 1 and "SLA" in receiver.requests[0].json()["title"]

        _write(client, "load_orders", 2 * 24 * HOUR + 7 * HOUR)  # 2024-05-03 19:00
        engine.evaluate_queued()
        engine.check_absences(now=datetime(2024, 5, 3, 20, 0, tzinfo=timezone.utc), freshness=False)
        assert client.get(f"/api/v1/incidents/{incident['id']}", headers=READ).json()["state"] == "RESOLVED"


def test_a_stale_dataset_is_an_anomaly_and_an_incident_until_written_again(sqlite_database: Database) -> None:
    with alert_client(sqlite_database, alerts_enabled=False) as client:
        engine = client.app.state.alerts
        channel = webhook(client, "http://127.0.0.1:9/unused")
        rule(
            client,
            {"type": "anomaly", "metric": "freshness"},
            [channel],
            name="stale",
            scope={"namespaces": [WAREHOUSE]},
        )
        for hour in range(10):
            _write(client, "load_orders", hour * HOUR)
        last_write = BASE_TIME + timedelta(seconds=9 * HOUR + 60)
        engine.check_absences(now=last_write + timedelta(minutes=50))
        assert client.get("/api/v1/incidents", headers=READ).json()["totalCount"] == 0
        engine.check_absences(now=last_write + timedelta(hours=5))
        [anomaly] = client.get("/api/v1/anomalies?metric=freshness", headers=READ).json()["items"]
        assert anomaly["jobNodeId"] == f"dataset:{WAREHOUSE}:public.orders" and anomaly["direction"] == "HIGH"
        [incident] = client.get("/api/v1/incidents", headers=READ).json()["items"]
        assert "is stale" in incident["title"] and incident["state"] == "OPEN"

        _write(client, "load_orders", 14 * HOUR)
        engine.check_absences(now=BASE_TIME + timedelta(seconds=14 * HOUR + 600))
        assert client.get(f"/api/v1/incidents/{incident['id']}", headers=READ).json()["state"] == "RESOLVED"


def test_anomaly_settings_in_node_metadata(sqlite_database: Database) -> None:
    with alert_client(sqlite_database, alerts_enabled=False) as client:
        _write(client, "load_orders", 0)
        bad = client.patch(
            "/api/v1/nodes/job:etl:load_orders/metadata", json={"anomaly": {"sensitivity": 0}}, headers=ADMIN
        )
        assert bad.status_code == 422 and "sensitivity" in bad.json()["detail"]
        unknown = client.patch(
            "/api/v1/nodes/job:etl:load_orders/metadata", json={"anomaly": {"foo": 1}}, headers=ADMIN
        )
        assert unknown.status_code == 422 and "unknown keys" in unknown.json()["detail"]
        good = client.patch(
            "/api/v1/nodes/job:etl:load_orders/metadata",
            json={"anomaly": {"sensitivity": 20, "metrics": ["durationSeconds"]}},
            headers=ADMIN,
        )
        assert good.status_code == 200 and good.json()["anomaly"]["sensitivity"] == 20
        # Learned runs, then a 5x slower one: with sensitivity 20 it is not news.
        for day in range(1, 9):
            _write(client, "load_orders", day * 24 * HOUR, took=[50, 70, 60, 55, 65, 52, 68, 60][day - 1])
        run_id = str(uuid.uuid4())
        for kind, seconds in (("START", 9 * 24 * HOUR), ("COMPLETE", 9 * 24 * HOUR + 300)):
            client.post(
                "/api/v1/lineage",
                json=run_event(kind, run_id=run_id, job="load_orders", namespace="etl", seconds=seconds),
                headers=INGEST,
            )
        engine = client.app.state.alerts
        engine.evaluate_queued()
        assert client.get("/api/v1/anomalies", headers=READ).json()["totalCount"] == 0
        client.patch("/api/v1/nodes/job:etl:load_orders/metadata", json={"anomaly": None}, headers=ADMIN)
        other = str(uuid.uuid4())
        for kind, seconds in (("START", 10 * 24 * HOUR), ("COMPLETE", 10 * 24 * HOUR + 300)):
            client.post(
                "/api/v1/lineage",
                json=run_event(kind, run_id=other, job="load_orders", namespace="etl", seconds=seconds),
                headers=INGEST,
            )
        engine.evaluate_queued()
        assert [a["runId"] for a in client.get("/api/v1/anomalies", headers=READ).json()["items"]] == [other]
