"""Alerts in the real Airflow: the plugin's alert loop runs in Airflow's API server (a FAIL posted to the mounted
Flowlytics becomes one webhook message), and the Alerts page in a real headless Chromium acknowledges, notes and
resolves the incident, shows its timeline and downloads the postmortem; an admin creates a channel, sends it a
test, creates a rule, maps an owner and mutes the rule there, and a Viewer sees all of it without edit controls
(the API refuses the Viewer anyway). Screenshots go to the artifacts folder."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.e2e.harness import (
    ARTIFACTS,
    PAYMENTS,
    VIEWER,
    Airflow,
    DemoRuns,
    headless_chromium,
    log_in,
    require_chromium,
)
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
                with page.expect_download() as downloading:
                    page.get_by_role("link", name="Postmortem (Markdown)").click()
                download = downloading.value
                assert download.suggested_filename.startswith("incident-")
                assert download.suggested_filename.endswith(".md")
                markdown = open(download.path(), encoding="utf-8").read()  # noqa: SIM115 - Playwright owns the file
                assert markdown.startswith("#") and DAG in markdown and "bad input file, rerunning" in markdown
                (ARTIFACTS / "e2e-alerts-postmortem.md").write_text(markdown, encoding="utf-8")
                # Snooze this rule on this subject from the incident; the silences list shows it, and ends it.
                detail = page.locator("[data-testid=flowlytics-incident-detail]")
                detail.locator("[data-testid=flowlytics-incident-silence]").select_option("60")
                expect(detail.get_by_role("status")).to_contain_text("snoozed until")
                snooze = page.locator("[data-testid=flowlytics-silence]", has_text=f"on job:airflow:{DAG}")
                expect(snooze).to_contain_text("rule e2e failures")
                snooze.get_by_role("button", name="End").click()
                expect(snooze).to_have_count(0)
                page.screenshot(path=str(ARTIFACTS / "e2e-alerts-resolved.png"), full_page=True)
                assert not errors, errors
            except BaseException:
                page.screenshot(path=str(ARTIFACTS / "e2e-alerts-failure.png"), full_page=True)
                raise


def test_alerts_admin_creates_a_channel_tests_it_and_a_rule_and_a_viewer_cannot_edit(airflow: Airflow) -> None:
    require_chromium()
    from playwright.sync_api import expect

    suffix = uuid.uuid4().hex[:6]
    channel_name, rule_name, secret = f"ui hook {suffix}", f"ui rule {suffix}", f"ui-secret-{suffix}"
    # A DAG that never runs: the rule must not open incidents other tests would see.
    nowhere = f"e2e-no-such-dag-{suffix}"
    ARTIFACTS.mkdir(exist_ok=True)
    with http_receiver() as receiver, headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1400})
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            log_in(page, airflow, "/plugin/flowlytics_alerts")
            admin_part = page.locator("[data-testid=flowlytics-alerts-admin]")
            expect(admin_part).to_have_attribute("data-can-edit", "true")

            # A channel: the obvious mistake is caught next to its field, the API's refusal too.
            page.get_by_role("button", name="New channel").click()
            form = page.locator("[data-testid=flowlytics-channel-form]")
            form.locator("input[name=name]").fill(channel_name)
            form.locator("input[name=url]").fill("ftp://nowhere")
            form.get_by_role("button", name="Create channel").click()
            expect(form.locator("[data-testid=flowlytics-field-error-url]")).to_contain_text("http(s) URL")
            form.locator("input[name=url]").fill(f"{receiver.url}/hook")
            form.locator("input[name=secret]").fill(secret)
            form.get_by_role("button", name="Create channel").click()
            expect(form).to_have_count(0)
            row = page.locator("[data-testid=flowlytics-channel-row]", has_text=channel_name)
            expect(row).to_be_visible()
            expect(row.locator("[data-testid=flowlytics-channel-secret]")).to_have_text("set")

            page.get_by_role("button", name="New channel").click()
            form.locator("input[name=name]").fill(channel_name)
            form.locator("input[name=url]").fill(f"{receiver.url}/other")
            form.get_by_role("button", name="Create channel").click()  # the API: the name is taken
            expect(form.locator("[data-testid=flowlytics-field-error-name]")).to_contain_text("is taken")
            page.screenshot(path=str(ARTIFACTS / "e2e-alerts-admin-field-error.png"), full_page=True)
            form.get_by_role("button", name="Cancel").click()

            # Send test: the receiver gets the signed test message, the row says it was delivered.
            row.get_by_role("button", name="Send test").click()
            result = row.locator("[data-testid=flowlytics-channel-test-result]")
            expect(result).to_have_attribute("data-delivered", "true")
            expect(result).to_contain_text("Test delivered: HTTP 200")
            sent = wait_until(lambda: receiver.requests, timeout=30, what="the test message")[0]
            assert sent.path == "/hook" and sent.json()["event"] == "test" and channel_name in sent.json()["title"]
            expected = "sha256=" + hmac.new(secret.encode(), sent.body, hashlib.sha256).hexdigest()
            assert sent.headers["x-flowlytics-signature"] == expected

            # Editing shows the secret as set, never its value.
            row.get_by_role("button", name="Edit").click()
            expect(form.locator("[data-testid=flowlytics-secret-state]")).to_have_text("set")
            expect(form.locator("input[name=secret]")).to_have_count(0)
            form.get_by_role("button", name="Cancel").click()
            assert secret not in page.content()

            # A rule on consecutive failures of one DAG, through the channel, owner routing on.
            page.get_by_role("button", name="New rule").click()
            rule_form = page.locator("[data-testid=flowlytics-rule-form]")
            rule_form.locator("input[name=name]").fill(rule_name)
            rule_form.locator("select[name=conditionType]").select_option("consecutive_failures")
            rule_form.locator("input[name=count]").fill("1")
            rule_form.get_by_role("button", name="Create rule").click()
            expect(rule_form.locator("[data-testid=flowlytics-field-error-count]")).to_contain_text("from 2 to 100")
            rule_form.locator("input[name=count]").fill("2")
            rule_form.locator("input[name=dagIds]").fill(nowhere)
            rule_form.locator("select[name=minCriticality]").select_option("high")
            rule_form.locator("[data-testid=flowlytics-rule-channels]").get_by_label(channel_name).check()
            rule_form.locator("input[name=routeToOwners]").check()
            rule_form.get_by_role("button", name="Create rule").click()
            expect(rule_form).to_have_count(0)
            rule_row = page.locator("[data-testid=flowlytics-rule-row]", has_text=rule_name)
            expect(rule_row).to_contain_text("2 consecutive failures")
            expect(rule_row).to_contain_text(f"DAGs {nowhere}; criticality ≥ high")
            expect(rule_row).to_contain_text(channel_name)

            # The owner routing map and a mute of the rule.
            page.get_by_role("button", name="Add owner").click()
            route = page.locator("[data-testid=flowlytics-owner-route]").last
            route.locator("input").fill(f"team:ui-{suffix}")
            route.locator("select").select_option(label=channel_name)
            page.get_by_role("button", name="Save owner map").click()
            expect(page.locator("[data-testid=flowlytics-owner-routes-section]")).to_contain_text("saved")
            silence_form = page.locator("[data-testid=flowlytics-silence-form]")
            silence_form.locator("select[name=ruleId]").select_option(label=rule_name)
            silence_form.locator("select[name=duration]").select_option("mute")
            silence_form.locator("input[name=reason]").fill("maintenance window")
            silence_form.get_by_role("button", name="Silence").click()
            silence = page.locator("[data-testid=flowlytics-silence]", has_text=rule_name)
            expect(silence).to_contain_text("muted")
            expect(silence).to_contain_text("maintenance window")
            page.screenshot(path=str(ARTIFACTS / "e2e-alerts-admin.png"), full_page=True)

            with airflow.client(airflow.admin_key) as admin:
                rules = admin.get("/flowlytics/api/v1/alerts/rules").json()["items"]
                channels = admin.get("/flowlytics/api/v1/alerts/channels").json()["items"]
                [rule] = [r for r in rules if r["name"] == rule_name]
                [channel] = [c for c in channels if c["name"] == channel_name]
                routes = admin.get("/flowlytics/api/v1/alerts/owner-routes").json()["routes"]
            assert rule["condition"] == {
                "type": "consecutive_failures",
                "count": 2,
                "metric": None,
                "minLevel": None,
                "threshold": None,
            }
            assert rule["scope"]["dagIds"] == [nowhere] and rule["scope"]["minCriticality"] == "high"
            assert rule["channelIds"] == [channel["id"]] and rule["routeToOwners"] is True
            assert channel["hasSecret"] is True and routes[f"team:ui-{suffix}"] == channel["id"]

            # A Viewer: the same rules and channels, no control that edits them; the API refuses the Viewer too.
            viewer = browser.new_page(viewport={"width": 1440, "height": 1400})
            viewer.set_default_timeout(TIMEOUT_MS)
            viewer.on("pageerror", lambda error: errors.append(str(error)))
            log_in(viewer, airflow, "/plugin/flowlytics_alerts", user=VIEWER)
            expect(viewer.locator("[data-testid=flowlytics-alerts-readonly]")).to_contain_text("read-only")
            expect(viewer.locator("[data-testid=flowlytics-alerts-admin]")).to_have_attribute("data-can-edit", "false")
            expect(viewer.locator("[data-testid=flowlytics-rule-row]", has_text=rule_name)).to_be_visible()
            expect(viewer.locator("[data-testid=flowlytics-channel-row]", has_text=channel_name)).to_be_visible()
            for name in ("New rule", "New channel", "Send test", "Edit", "Delete", "Save owner map", "Add owner"):
                expect(viewer.get_by_role("button", name=name, exact=True)).to_have_count(0)
            expect(viewer.locator("[data-testid=flowlytics-owner-routes] input")).to_have_count(0)
            viewer.screenshot(path=str(ARTIFACTS / "e2e-alerts-viewer.png"), full_page=True)
            api = f"{airflow.base_url}/flowlytics/api/v1/alerts"
            refused = [
                viewer.request.post(f"{api}/channels", data={"name": "x", "type": "webhook", "url": receiver.url}),
                viewer.request.post(f"{api}/channels/{channel['id']}/test"),
                viewer.request.patch(f"{api}/rules/{rule['id']}", data={"enabled": False}),
                viewer.request.delete(f"{api}/rules/{rule['id']}"),
                viewer.request.put(f"{api}/owner-routes", data={"routes": {}}),
            ]
            assert [r.status for r in refused] == [403] * 5, [r.text() for r in refused]
            assert viewer.request.get(f"{api}/rules").status == 200  # the cookie is the Viewer's, and it reads
            assert len(receiver.requests) == 1  # the refused test sent nothing

            # The admin deletes what the test made, through the page.
            silence.get_by_role("button", name="End").click()
            expect(silence).to_have_count(0)
            rule_row.get_by_role("button", name="Delete").click()
            rule_row.get_by_role("button", name=f"Delete {rule_name}").click()
            expect(rule_row).to_have_count(0)
            row.get_by_role("button", name="Delete").click()
            row.get_by_role("button", name=f"Delete {channel_name}").click()
            expect(row).to_have_count(0)
            assert not errors, errors
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "e2e-alerts-admin-failure.png"), full_page=True)
            raise
