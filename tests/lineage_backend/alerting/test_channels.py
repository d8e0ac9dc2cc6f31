"""Every channel type against a real local receiver, channels that are down then up, and the send-test button."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from lineage_backend.alerting import channels as channel_module
from lineage_backend.alerting import delivery
from lineage_backend.db import Database
from lineage_backend.store.models import AlertOutbox
from tests.conftest import READ, free_port
from tests.lineage_backend.alerting.receivers import http_receiver, smtp_receiver, wait_until
from tests.lineage_backend.alerting.scenario import ADMIN, alert_client, dag_run_events, ingest, rule, webhook


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "BACKOFF_FIRST_SECONDS", 0.2)
    monkeypatch.setattr(delivery, "BACKOFF_MAX_SECONDS", 0.5)
    monkeypatch.setattr(channel_module, "TIMEOUT_SECONDS", 1.0)


def _outbox(database: Database) -> list[Any]:
    table = AlertOutbox.__table__
    return database.read(lambda session: list(session.execute(select(table).order_by(table.c.id)).all()))


def test_email_through_smtp_names_the_downstream_consumers(sqlite_database: Database) -> None:
    with smtp_receiver() as smtp, alert_client(sqlite_database, smtp_url=smtp.url) as client:
        created = client.post(
            "/api/v1/alerts/channels",
            json={"name": "oncall", "type": "email", "addresses": ["oncall@example.com"]},
            headers=ADMIN,
        )
        assert created.status_code == 201, created.text
        rule(client, {"type": "run_failed"}, [created.json()["id"]])
        ingest(client, dag_run_events("reports", input_="public.sales")[1])
        ingest(client, dag_run_events("sales", failed_tasks=1, output="public.sales")[1])
        mail = wait_until(lambda: smtp.messages, what="the mail")[0]
        assert smtp.recipients[0] == ["oncall@example.com"]
        assert "sales" in mail["Subject"]
        body = mail.get_payload(decode=True).decode() if not mail.is_multipart() else str(mail.get_payload()[0])
        assert "job:airflow:reports.t0" in body and "Impact:" in body


def test_email_is_plain_text_with_its_lines_and_any_markup_kept_as_text() -> None:
    """Regression: apprise took the body for HTML, so the text part lost its line breaks and `<...>`, and the
    HTML part carried names and error messages (untrusted) as markup."""
    text = (
        "Runs (1):\n  - job:airflow:<b>sales</b>.t0 FAILED <a href='http://evil.example'>click</a>\n"
        "Impact: 2 downstream (1 datasets, 1 jobs), 1 critical, 1 with an SLA\n"
        "  - dataset:warehouse:public.sales (distance 1, critical, team:finance, SLA latest arrival 07:00)"
    )
    target = channel_module.ChannelTarget(1, "oncall", "email", None, ["oncall@example.com"], None)
    with smtp_receiver() as smtp:
        channel_module.send(target, channel_module.Message("a <i>title</i>", text, {}, "1"), smtp_url=smtp.url)
        mail = wait_until(lambda: smtp.messages, what="the mail")[0]
    assert not mail.is_multipart() and mail.get_content_type() == "text/plain", mail.as_string()
    assert text in mail.get_payload(decode=True).decode().replace("\r\n", "\n"), mail.as_string()
    assert mail["Subject"] == "a <i>title</i>"


def test_sla_in_a_message_reads_as_words() -> None:
    assert delivery.sla_text({"latestArrival": "07:00", "maxAgeMinutes": None}) == "latest arrival 07:00"
    assert delivery.sla_text({"latestArrival": "07:00", "maxAgeMinutes": 90}) == "latest arrival 07:00, max age 90 min"


def test_apprise_url_and_slack_webhook_deliver_to_local_receivers(sqlite_database: Database) -> None:
    with http_receiver() as apprise_target, http_receiver() as slack, alert_client(sqlite_database) as client:
        target = f"json://127.0.0.1:{apprise_target.port}/notify"
        a = client.post(
            "/api/v1/alerts/channels", json={"name": "teams", "type": "apprise", "url": target}, headers=ADMIN
        )
        s = client.post(
            "/api/v1/alerts/channels",
            json={"name": "slack", "type": "slack", "url": f"{slack.url}/services/T000/B000/XXXX"},
            headers=ADMIN,
        )
        assert a.status_code == 201 and s.status_code == 201, (a.text, s.text)
        # Slack and apprise URLs hold tokens: never shown whole.
        assert "XXXX" not in s.text and "/notify" not in a.text
        rule(client, {"type": "run_failed"}, [a.json()["id"], s.json()["id"]])
        ingest(client, dag_run_events("sales", failed_tasks=1)[1])
        sent = wait_until(lambda: apprise_target.requests, what="the apprise notification")[0].json()
        assert "sales" in sent["title"] and "Incident #" in sent["message"]
        posted = wait_until(lambda: slack.requests, what="the Slack message")[0]
        assert posted.path == "/services/T000/B000/XXXX" and "sales" in posted.json()["text"]


def test_slack_channel_posts_text_and_blocks_to_its_configured_url(sqlite_database: Database) -> None:
    """The Slack path end to end: not apprise's slack:// (always hooks.slack.com) but Slack's incoming-webhook JSON
    posted to the URL as configured, so a local receiver (or Slack Enterprise, a proxy) gets it."""
    with http_receiver() as slack, alert_client(sqlite_database) as client:
        created = client.post(
            "/api/v1/alerts/channels",
            json={"name": "slack", "type": "slack", "url": f"{slack.url}/services/T1/B2/secret-token"},
            headers=ADMIN,
        )
        assert created.status_code == 201, created.text
        channel_id = created.json()["id"]
        tested = client.post(f"/api/v1/alerts/channels/{channel_id}/test", headers=ADMIN).json()
        assert tested == {"channelId": channel_id, "delivered": True, "detail": "HTTP 200"}
        test_message = slack.requests[0].json()
        assert "Test message from Flowlytics" in test_message["text"]
        rule(client, {"type": "run_failed"}, [channel_id])
        ingest(client, dag_run_events("reports", input_="public.sales")[1])
        ingest(client, dag_run_events("sales", failed_tasks=2, output="public.sales")[1])
        posted = wait_until(lambda: slack.requests[1:], what="the Slack message")[0]
    assert posted.path == "/services/T1/B2/secret-token"
    assert posted.headers["content-type"] == "application/json"
    payload = posted.json()
    assert set(payload) == {"text", "blocks"} and "sales" in payload["text"]
    header, section, actions = payload["blocks"]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert "sales" in header["text"]["text"] and header["text"]["text"].startswith("[Flowlytics]")
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    body = section["text"]["text"]
    assert body.startswith("```") and body.endswith("```")
    # One message for the DAG run, both failed tasks listed, and the blast radius.
    assert "Runs (" in body and "Impact:" in body and "job:airflow:reports.t0" in body
    [button] = actions["elements"]
    assert button["type"] == "button" and button["url"].startswith("http://airflow.example:8080/")


def test_slack_payload_keeps_run_text_from_becoming_slack_markup() -> None:
    payload = channel_module.slack_payload("x" * 200, "error: <!channel> <https://evil.example|click> & more", None)
    header, section = payload["blocks"]  # no link: no button
    assert len(header["text"]["text"]) == channel_module.SLACK_HEADER_MAX
    assert "<!channel>" not in payload["text"] and "&lt;!channel&gt;" in section["text"]["text"]
    assert "&amp; more" in payload["text"]
    long = channel_module.slack_payload("t", "y" * 5000, "javascript:alert(1)")
    assert len(long["blocks"][1]["text"]["text"]) == channel_module.SLACK_SECTION_MAX
    assert long["blocks"][1]["text"]["text"].endswith("…```") and len(long["blocks"]) == 2


@pytest.mark.parametrize("failure", ["refused", "500", "timeout"])
def test_a_channel_that_is_down_gets_the_message_once_after_it_recovers(
    sqlite_database: Database, quick_retries: None, failure: str
) -> None:
    port = free_port()
    script = {"refused": [], "500": [500, 500], "timeout": [("hang", 2.5)]}[failure]
    with alert_client(sqlite_database) as client:
        rule(client, {"type": "run_failed"}, [webhook(client, f"http://127.0.0.1:{port}/hook")])
        if failure == "refused":
            ingest(client, dag_run_events("sales", failed_tasks=1)[1])
            wait_until(lambda: any((o.attempts or 0) >= 2 for o in _outbox(sqlite_database)), what="failed attempts")
            assert "could not connect" in (_outbox(sqlite_database)[0].last_error or "")
        with http_receiver(port=port, script=script) as receiver:
            if failure != "refused":
                ingest(client, dag_run_events("sales", failed_tasks=1)[1])
            wait_until(lambda: receiver.requests, timeout=30, what="the delivery after recovery")
            time.sleep(1.5)
            assert len(receiver.requests) == 1
        [row] = _outbox(sqlite_database)
        assert row.delivered_at is not None and row.attempts >= 2
        timeline = client.get("/api/v1/incidents/1/timeline", headers=READ).json()["items"]
        failures = [e for e in timeline if e["kind"] == "delivery_failed"]
        assert failures and all(f"127.0.0.1:{port}" not in e["message"] for e in failures)
        assert [e["kind"] for e in timeline].count("delivered") == 1


def test_send_test_reports_delivery_and_failure(sqlite_database: Database) -> None:
    with http_receiver() as receiver, alert_client(sqlite_database) as client:
        good = webhook(client, receiver.url, secret="k", name="good")
        bad = webhook(client, f"http://127.0.0.1:{free_port()}/x", name="bad")
        ok = client.post(f"/api/v1/alerts/channels/{good}/test", headers=ADMIN)
        assert ok.status_code == 200 and ok.json()["delivered"] is True
        assert receiver.requests[0].json()["event"] == "test"
        assert receiver.requests[0].headers["x-flowlytics-signature"].startswith("sha256=")
        down = client.post(f"/api/v1/alerts/channels/{bad}/test", headers=ADMIN)
        assert down.status_code == 200 and down.json()["delivered"] is False
        assert "could not connect" in down.json()["detail"]


def test_secrets_are_write_only(sqlite_database: Database, caplog: pytest.LogCaptureFixture) -> None:
    with alert_client(sqlite_database) as client:
        created = client.post(
            "/api/v1/alerts/channels",
            json={"name": "h", "type": "webhook", "url": "http://127.0.0.1:9/x", "secret": "topsecret-123"},
            headers=ADMIN,
        )
        assert created.status_code == 201 and created.json()["hasSecret"] is True
        listed = client.get("/api/v1/alerts/channels", headers=READ)
        patched = client.patch(f"/api/v1/alerts/channels/{created.json()['id']}", json={"name": "h2"}, headers=ADMIN)
        for response in (created, listed, patched):
            assert "topsecret-123" not in response.text
        assert patched.json()["hasSecret"] is True
        cleared = client.patch(f"/api/v1/alerts/channels/{created.json()['id']}", json={"secret": None}, headers=ADMIN)
        assert cleared.json()["hasSecret"] is False
    assert "topsecret-123" not in caplog.text
