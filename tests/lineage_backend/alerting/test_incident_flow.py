"""From ingested FAIL events to one signed webhook message listing every failed task, the incident's
lifecycle, its timeline and postmortem, and one resolved message on recovery. Real HTTP receiver, real app."""

from __future__ import annotations

import hashlib
import hmac
import time

from lineage_backend.db import Database
from tests.conftest import READ
from tests.lineage_backend.alerting.receivers import http_receiver, wait_until
from tests.lineage_backend.alerting.scenario import (
    ADMIN,
    WAREHOUSE,
    alert_client,
    dag_run_events,
    ingest,
    rule,
    webhook,
)


def test_ten_failed_tasks_are_one_signed_message_then_one_resolved_message(database: Database) -> None:
    with http_receiver() as receiver, alert_client(database) as client:
        channel = webhook(client, f"{receiver.url}/hook", secret="s3cret")
        rule_id = rule(client, {"type": "run_failed"}, [channel])
        # Someone downstream reads what the DAG writes: the message names them.
        _, reader = dag_run_events("reports", input_="public.sales", ok_tasks=1)
        ingest(client, reader)
        owners = client.patch(
            "/api/v1/nodes/job:airflow:reports.t0/metadata",
            json={"owners": ["bi-team"], "criticality": "critical"},
            headers=ADMIN,
        )
        assert owners.status_code == 200, owners.text

        dag_run, events = dag_run_events("sales", failed_tasks=10, ok_tasks=2, output="public.sales")
        ingest(client, events)
        first = wait_until(lambda: receiver.requests, what="the opened message")[0]
        time.sleep(1.0)  # anything else queued would have gone by now (group wait 0.3 s)
        assert len(receiver.requests) == 1

        document = first.json()
        expected = "sha256=" + hmac.new(b"s3cret", first.body, hashlib.sha256).hexdigest()
        assert first.headers["x-flowlytics-signature"] == expected
        assert document["state"] == "OPEN" and document["subject"] == "job:airflow:sales"
        failed_jobs = {r["jobNodeId"] for r in document["runs"] if r["state"] == "FAILED"}
        assert failed_jobs == {f"job:airflow:sales.t{i}" for i in range(10)} | {"job:airflow:sales"}
        assert document["rule"]["id"] == rule_id
        impacted = {item["id"]: item for item in document["impact"]["items"]}
        assert "job:airflow:reports.t0" in impacted
        assert impacted["job:airflow:reports.t0"]["owners"] == ["bi-team"]
        assert f"dataset:{WAREHOUSE}:public.sales" in impacted
        assert document["url"].startswith("http://airflow.example:8080/dags/sales")

        incidents = client.get("/api/v1/incidents", headers=READ).json()
        assert incidents["totalCount"] == 1
        incident = incidents["items"][0]
        assert incident["state"] == "OPEN" and incident["occurrences"] == 11
        assert incident["impact"]["summary"]["total"] >= 2

        # Ack with read access, and a note.
        acked = client.patch(
            f"/api/v1/incidents/{incident['id']}",
            json={"state": "ACKNOWLEDGED", "note": "looking at the orders feed"},
            headers=READ,
        )
        assert acked.status_code == 200 and acked.json()["state"] == "ACKNOWLEDGED"
        assert acked.json()["acknowledgedBy"].startswith("api-key:")

        # Recovery: the next DAG run succeeds.
        _, recovery = dag_run_events("sales", ok_tasks=2, start=3600, output="public.sales")
        ingest(client, recovery)
        resolved = wait_until(lambda: receiver.requests[1:], what="the resolved message")[0]
        time.sleep(1.0)
        assert len(receiver.requests) == 2
        assert resolved.json()["state"] == "RESOLVED" and resolved.json()["event"] == "resolved"
        done = client.get(f"/api/v1/incidents/{incident['id']}", headers=READ).json()
        assert done["state"] == "RESOLVED" and done["resolvedBy"] == "flowlytics"
        assert any(r["runId"] == dag_run for r in done["runs"])

        timeline = client.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=READ).json()
        kinds = [e["kind"] for e in timeline["items"]]
        for kind in ("opened", "occurrence", "queued", "delivered", "note", "acknowledged", "resolved"):
            assert kind in kinds, kinds
        assert kinds.index("opened") < kinds.index("acknowledged") < kinds.index("resolved")
        assert kinds.count("delivered") == 2

        markdown = client.get(f"/api/v1/incidents/{incident['id']}/export?format=markdown", headers=READ)
        assert markdown.status_code == 200 and markdown.headers["content-type"].startswith("text/markdown")
        assert "# Postmortem: incident" in markdown.text and "looking at the orders feed" in markdown.text
        assert "job:airflow:reports.t0" in markdown.text
        exported = client.get(f"/api/v1/incidents/{incident['id']}/export?format=json", headers=READ).json()
        assert exported["incident"]["id"] == incident["id"] and len(exported["timeline"]) == len(timeline["items"])


def test_a_second_failure_while_open_adds_an_occurrence_and_sends_nothing(database: Database) -> None:
    with http_receiver() as receiver, alert_client(database) as client:
        rule(client, {"type": "run_failed"}, [webhook(client, receiver.url)])
        ingest(client, dag_run_events("sales", failed_tasks=1)[1])
        wait_until(lambda: receiver.requests, what="the opened message")
        ingest(client, dag_run_events("sales", failed_tasks=1, start=600)[1])
        incident = wait_until(
            lambda: [i for i in client.get("/api/v1/incidents", headers=READ).json()["items"] if i["occurrences"] == 4],
            what="the repeat's occurrences",
        )[0]
        time.sleep(1.0)
        assert len(receiver.requests) == 1
        assert incident["state"] == "OPEN"


def test_downstream_failure_is_grouped_under_the_open_upstream_incident(database: Database) -> None:
    with http_receiver() as receiver, alert_client(database) as client:
        rule(client, {"type": "run_failed"}, [webhook(client, receiver.url)])
        ingest(client, dag_run_events("reports", input_="public.sales")[1])  # lineage: sales -> reports
        ingest(client, dag_run_events("sales", failed_tasks=1, output="public.sales")[1])
        wait_until(lambda: receiver.requests, what="the upstream message")
        ingest(client, dag_run_events("reports", failed_tasks=1, input_="public.sales", start=100)[1])
        items = wait_until(
            lambda: (lambda xs: xs if len(xs) == 2 else None)(
                client.get("/api/v1/incidents", headers=READ).json()["items"]
            ),
            what="the downstream incident",
        )
        by_subject = {i["subject"]: i for i in items}
        upstream, downstream = by_subject["job:airflow:sales"], by_subject["job:airflow:reports"]
        assert downstream["parentIncidentId"] == upstream["id"]
        time.sleep(1.0)
        assert len(receiver.requests) == 1  # the grouped one sends nothing of its own
        kinds = [
            e["kind"]
            for e in client.get(f"/api/v1/incidents/{downstream['id']}/timeline", headers=READ).json()["items"]
        ]
        assert "grouped" in kinds and "queued" not in kinds


def test_a_snoozed_rule_opens_the_incident_but_sends_nothing(database: Database) -> None:
    with http_receiver() as receiver, alert_client(database) as client:
        rule_id = rule(client, {"type": "run_failed"}, [webhook(client, receiver.url)])
        silence = client.post(
            "/api/v1/alerts/silences",
            json={"ruleId": rule_id, "until": "2999-01-01T00:00:00Z", "reason": "maintenance"},
            headers=READ,
        )
        assert silence.status_code == 201, silence.text
        ingest(client, dag_run_events("sales", failed_tasks=1)[1])
        incident = wait_until(
            lambda: client.get("/api/v1/incidents", headers=READ).json()["items"], what="the incident"
        )[0]
        kinds = [
            e["kind"] for e in client.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=READ).json()["items"]
        ]
        assert "silenced" in kinds
        time.sleep(1.0)
        assert receiver.requests == []


def test_consecutive_failures_and_duration_rules(database: Database) -> None:
    with http_receiver() as receiver, alert_client(database) as client:
        channel = webhook(client, receiver.url)
        rule(client, {"type": "consecutive_failures", "count": 2}, [channel], name="twice")
        rule(client, {"type": "duration_above", "threshold": 100}, [channel], name="slow", scope={"dagIds": ["sales"]})
        ingest(client, dag_run_events("sales", failed_tasks=1)[1])
        ingest(client, dag_run_events("other", ok_tasks=1, duration=500)[1])  # out of the slow rule's scope
        time.sleep(1.0)
        assert client.get("/api/v1/incidents", headers=READ).json()["totalCount"] == 0
        ingest(client, dag_run_events("sales", failed_tasks=1, start=1000)[1])
        ingest(client, dag_run_events("sales", ok_tasks=1, start=2000, duration=300)[1])
        items = wait_until(
            lambda: (lambda xs: xs if len(xs) == 3 else None)(
                client.get("/api/v1/incidents", headers=READ).json()["items"]
            ),
            what="three incidents",
        )
        # The slow rule is about each job that was slow (the DAG run and its task), not grouped by DAG.
        slow = {i["subject"] for i in items if "above 100" in i["title"]}
        assert slow == {"job:airflow:sales", "job:airflow:sales.t0"}
        # The successful DAG run resolved the consecutive-failures incident (the DAG and its task failed twice).
        twice = [i for i in items if "in a row" in i["title"]]
        assert len(twice) == 1 and twice[0]["subject"] == "job:airflow:sales"
        assert twice[0]["state"] == "RESOLVED"
        assert twice[0]["occurrences"] == 2  # the second failing run of the DAG and of its task
