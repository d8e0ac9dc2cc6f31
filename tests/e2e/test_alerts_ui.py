"""Alerts in the real Airflow: the plugin's alert loop runs in Airflow's API server (a FAIL posted to the mounted
Flowlytics becomes one webhook message), and the Alerts page in a real headless Chromium acknowledges, notes and
resolves the incident and shows its timeline. Screenshots go to the artifacts folder."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.e2e.harness import ARTIFACTS, PAYMENTS, Airflow, DemoRuns, headless_chromium, log_in, require_chromium
from tests.lineage_backend.alerting.receivers import http_receiver, wait_until

pytestmark = [pytest.mark.airflow, pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 30_000
# A DAG the Airflow user may read (incidents follow per-DAG visibility); new runs of it, posted by the test.
DAG = PAYMENTS
PRODUCER = "https://github.com/flowlytics/tests"


def _event(kind: str, run_id: str, job: str, facets: dict[str, Any], job_type: str) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id, "facets": facets},
        "job": {
            "namespace": "airflow",
            "name": job,
            "facets": {"jobType": {"jobType": job_type, "integration": "AIRFLOW", "processingType": "BATCH"}},
        },
        "inputs": [],
        "outputs": [],
    }


def _failing_run() -> list[dict[str, Any]]:
    dag_run, task_run = str(uuid.uuid4()), str(uuid.uuid4())
    parent = {
        "parent": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json",
            "run": {"runId": dag_run},
            "job": {"namespace": "airflow", "name": DAG},
        }
    }
    return [
        _event("START", dag_run, DAG, {}, "DAG"),
        _event("START", task_run, f"{DAG}.load", parent, "TASK"),
        _event("FAIL", task_run, f"{DAG}.load", parent, "TASK"),
        _event("FAIL", dag_run, DAG, {}, "DAG"),
    ]


def test_alerts_page_acknowledges_and_resolves_an_incident(airflow: Airflow, demo_runs: DemoRuns) -> None:
    require_chromium()
    from playwright.sync_api import expect

    with http_receiver() as receiver:
        with airflow.client(airflow.admin_key) as admin:
            channel = admin.post(
                "/flowlytics/api/v1/alerts/channels", json={"name": "e2e hook", "type": "webhook", "url": receiver.url}
            )
            assert channel.status_code == 201, channel.text
            rule = admin.post(
                "/flowlytics/api/v1/alerts/rules",
                json={
                    "name": "e2e failures",
                    "condition": {"type": "run_failed"},
                    "scope": {"dagIds": [DAG]},
                    "channelIds": [channel.json()["id"]],
                },
            )
            assert rule.status_code == 201, rule.text
        with airflow.client(airflow.ingest_key) as ingest:
            posted = ingest.post("/flowlytics/api/v1/lineage/batch", json=_failing_run())
            assert posted.status_code == 200, posted.text
        message = wait_until(lambda: receiver.requests, timeout=60, what="the webhook from Airflow's API server")[0]
        assert message.json()["subject"] == f"job:airflow:{DAG}"

        ARTIFACTS.mkdir(exist_ok=True)
        with headless_chromium() as browser:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            try:
                log_in(page, airflow, "/plugin/flowlytics_alerts")
                row = page.locator("[data-testid=flowlytics-incident-row]", has_text=DAG)
                expect(row).to_be_visible()
                expect(row).to_contain_text("OPEN")
                row.click()
                detail = page.locator("[data-testid=flowlytics-incident-detail]")
                expect(detail).to_be_visible()
                page.screenshot(path=str(ARTIFACTS / "e2e-alerts-open.png"), full_page=True)
                detail.get_by_role("button", name="Acknowledge").click()
                expect(row).to_contain_text("ACKNOWLEDGED")
                page.locator("[data-testid=flowlytics-incident-note]").fill("bad input file, rerunning")
                detail.get_by_role("button", name="Add note").click()
                timeline = page.locator("[data-testid=flowlytics-timeline]")
                expect(timeline).to_contain_text("bad input file, rerunning")
                expect(timeline).to_contain_text("acknowledged")
                expect(timeline).to_contain_text("delivered")
                detail.get_by_role("button", name="Resolve").click()
                expect(row).to_have_count(0)  # the default filter shows open and acknowledged incidents
                page.locator("[data-testid=flowlytics-incident-state]").select_option("RESOLVED")
                resolved = page.locator("[data-testid=flowlytics-incident-row]", has_text=DAG)
                expect(resolved).to_contain_text("RESOLVED")
                resolved.click()
                expect(page.locator("[data-testid=flowlytics-timeline]")).to_contain_text("Resolved by airflow:admin")
                # Resolving sent one "resolved" message to the channel that was told of the opening.
                resolved_message = wait_until(lambda: receiver.requests[1:], timeout=30, what="the resolved message")
                assert resolved_message[0].json()["state"] == "RESOLVED" and len(receiver.requests) == 2
                href = page.get_by_role("link", name="Postmortem (Markdown)").get_attribute("href") or ""
                assert href.endswith("/export?format=markdown")
                page.screenshot(path=str(ARTIFACTS / "e2e-alerts-resolved.png"), full_page=True)
                assert not errors, errors
            except BaseException:
                page.screenshot(path=str(ARTIFACTS / "e2e-alerts-failure.png"), full_page=True)
                raise
