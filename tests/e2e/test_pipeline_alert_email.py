"""Alerts end to end in the real Airflow with the real OpenLineage provider: a demo DAG fails → an e-mail
reaches the session's SMTP capture (aiosmtpd) and lists the downstream consumers with their owners, as the
impact API names them; the DAG recovers → exactly one "resolved" e-mail.

The failure is the demo's own (scripts/demo.sh): the orders feed's sender renames a column
(`python -m flowlytics_demo.feeds drift`), so `flowlytics_demo_pipeline.extract_orders` refuses the feed;
`restore` puts the agreed feed back and the next run completes. The test ends with the feed restored and the
pipeline's latest run successful, as the other e2e tests expect, and its rule disabled.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

from tests.e2e.harness import (
    PIPELINE,
    REPO,
    RUN_TIMEOUT,
    Airflow,
    CapturedMail,
    DemoRuns,
    MailCapture,
    skip_or_fail,
    trigger_dag,
    wait_until,
)

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

ADDRESS = "orders-oncall@example.test"  # only this test's channel mails it
API = "/flowlytics/api/v1"
MAIL_TIMEOUT = 120.0  # hang guard: the alert loop, the 2 s group wait and SMTP, on a loaded machine


def orders_feed(airflow: Airflow, action: str) -> None:
    """What the orders feed's sender drops next, with the command scripts/demo.sh runs."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "dags")}
    subprocess.run([sys.executable, "-m", "flowlytics_demo.feeds", action, str(airflow.data_dir)], env=env, check=True)


def run_pipeline(client: httpx.Client) -> tuple[str, str]:
    run_id = trigger_dag(client, PIPELINE)

    def final() -> str | None:
        state = client.get(f"/api/v2/dags/{PIPELINE}/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    return run_id, str(wait_until(f"{PIPELINE} run {run_id} to finish", final, RUN_TIMEOUT, interval=1.0))


def mails(capture: MailCapture, resolved: bool) -> list[CapturedMail]:
    return [m for m in capture.to(ADDRESS) if m.subject.startswith("[Flowlytics] Resolved") == resolved]


def test_a_failing_demo_dag_mails_its_consumers_and_owners_then_one_resolved_message(
    airflow: Airflow, demo_runs: DemoRuns, critical_dataset: str, mail_capture: MailCapture | None
) -> None:
    if mail_capture is None:
        skip_or_fail("aiosmtpd is not installed (pip install -e '.[test]')")
    assert mail_capture is not None
    with airflow.client(airflow.admin_key) as admin:
        channel = admin.post(
            f"{API}/alerts/channels", json={"name": "e2e orders on-call", "type": "email", "addresses": [ADDRESS]}
        )
        assert channel.status_code == 201, channel.text
        rule = admin.post(
            f"{API}/alerts/rules",
            json={
                "name": "e2e: the orders pipeline failed",
                "condition": {"type": "run_failed"},
                "scope": {"dagIds": [PIPELINE]},
                "channelIds": [channel.json()["id"]],
            },
        )
        assert rule.status_code == 201, rule.text
    rule_id = rule.json()["id"]
    try:
        orders_feed(airflow, "drift")
        with airflow.api() as client:
            failed_run, state = run_pipeline(client)
            assert state == "failed", failed_run
        opened: list[CapturedMail] = wait_until(
            "the alert e-mail", lambda: mails(mail_capture, resolved=False), MAIL_TIMEOUT, interval=1.0
        )
        with airflow.client(airflow.read_key) as reader:
            incidents = reader.get(f"{API}/incidents", params={"ruleId": rule_id}).json()["items"]
            assert len(incidents) == 1, incidents
            incident: dict[str, Any] = reader.get(f"{API}/incidents/{incidents[0]['id']}").json()
            # The run that opened the incident: the task that refused the drifted feed.
            failing_job = incident["runs"][0]["jobNodeId"]
            impact = reader.get(
                f"{API}/impact", params={"nodeId": failing_job, "direction": "downstream", "limit": 20}
            ).json()
        assert failing_job == f"job:flowlytics_demo:{PIPELINE}.extract_orders", incident["runs"]
        mail = opened[0]
        assert mail.subject.startswith("[Flowlytics] "), mail.subject
        assert f"{PIPELINE}.extract_orders failed" in mail.subject, mail.subject
        assert "Schema drift in source/orders_feed.csv" in mail.text, mail.text
        assert incident["link"] and incident["link"] in mail.text, (incident["link"], mail.text)
        # Every downstream consumer the impact API names is in the mail, with its owners.
        items = impact["items"]
        consumers = [item for item in items if item["type"] == "JOB"]
        assert consumers, impact
        summary = impact["summary"]
        assert (
            f"Impact: {summary['total']} downstream ({summary['datasets']} datasets, {summary['jobs']} jobs)"
            in mail.text
        )
        for item in items:
            owners = ", ".join(item["owners"]) or "no owner"
            assert f"  - {item['id']} (distance {item['distance']}, " in mail.text, (item, mail.text)
            assert f"{owners}" in mail.text.split(f"  - {item['id']} (distance", 1)[1].split("\n", 1)[0], item
        # Owners are there to be told: the revenue mart made critical for team:finance is among them.
        assert any(item["owners"] for item in items), items
        assert critical_dataset in mail.text and "team:finance" in mail.text, mail.text

        orders_feed(airflow, "restore")
        with airflow.api() as client:
            recovered_run, state = run_pipeline(client)
            assert state == "success", recovered_run
        resolved: list[CapturedMail] = wait_until(
            "the resolved e-mail", lambda: mails(mail_capture, resolved=True), MAIL_TIMEOUT, interval=1.0
        )
        with airflow.client(airflow.read_key) as reader:

            def settled() -> list[dict[str, Any]] | None:
                entries = reader.get(f"{API}/incidents/{incident['id']}/timeline").json()["items"]
                delivered = [e for e in entries if e["kind"] == "delivered"]
                return entries if len(delivered) >= 2 else None

            timeline = wait_until("both deliveries on the incident's timeline", settled, MAIL_TIMEOUT)
            after = reader.get(f"{API}/incidents/{incident['id']}").json()
        assert after["state"] == "RESOLVED", after
        kinds = [e["kind"] for e in timeline]
        assert kinds.count("resolved") == 1 and kinds.count("delivered") == 2, kinds
        # Exactly one opened and one resolved message reached the capture.
        assert len(mails(mail_capture, resolved=False)) == 1, mail_capture.to(ADDRESS)
        assert len(resolved) == 1 and len(mails(mail_capture, resolved=True)) == 1, mail_capture.to(ADDRESS)
        assert f"Incident #{incident['id']} (RESOLVED)" in resolved[0].text, resolved[0].text
    finally:
        orders_feed(airflow, "restore")
        with airflow.client(airflow.admin_key) as admin:
            admin.patch(f"{API}/alerts/rules/{rule_id}", json={"enabled": False}).raise_for_status()
