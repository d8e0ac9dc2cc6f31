"""Hostile names through every alert output: names from events (DAG, task, dataset, error message, run ids),
people's owners and notes, and admins' rule and channel names, each carrying markup of every output's kind
(HTML, Markdown, Slack mrkdwn, spreadsheet formulas, CR/LF, a right-to-left override, a long tail).

One incident opened by a failed DAG run is delivered to a webhook, a Slack incoming webhook, an e-mail (a local
SMTP server) and an apprise json:// target (local HTTP receivers), then exported as a Markdown and a JSON
postmortem. Each output must keep the names exact where its format can (JSON), and where it cannot, keep them
as text of that format: no header of its own in a mail, no Slack mention or link, no Markdown heading, link or
HTML, no forged line in a plain-text message.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from lineage_backend.alerting.delivery import render_text
from lineage_backend.db import Database
from tests.conftest import READ
from tests.lineage_backend.alerting.html_reader import assert_postmortem_outline, read_html
from tests.lineage_backend.alerting.receivers import http_receiver, smtp_receiver, wait_until
from tests.lineage_backend.alerting.scenario import ADMIN, DAG, TASK, WAREHOUSE, alert_client, ingest
from tests.lineage_backend.events import dataset, parent_facet, run_event

MARKUP = (
    "<img src=x onerror=alert(1)> <!channel> <https://evil.example|click> &amp; *bold* _it_ ~s~ "
    "```code``` [x](javascript:alert(1)) ![i](http://evil.example/p.png) =cmd|' /C calc'!A0 \u202eRTL\\"
)
# What admins type (rule and channel names, owner-map keys) is refused with a control or direction character
# (tests/lineage_backend/api/test_alert_routes.py): their names carry every other payload.
TYPED = MARKUP.replace(" \u202eRTL", "")
# Line breaks only where events may carry them (a name from an emitter); admins' names refuse them.
BREAK = "\r\nBcc: evil@evil.example\r\nX-Injected: 1\n# Injected heading\n- [link](javascript:alert(1))"
DAG_ID = f"swp {MARKUP}{BREAK} " + "L" * 300
TASK_JOB = f"{DAG_ID}.t0"
ERROR = f"boom {MARKUP}{BREAK}"
OUTPUT = f"out {MARKUP}"  # a node id a path can name (no line break: see api/errors.py)
RUN_ID = f"manual {MARKUP}?x=1#frag{BREAK}"
OWNER = f"team {TYPED}"
RULE_NAME = f"rule {TYPED}"
NOTE = f"looked at it {MARKUP}{BREAK}\n\n    indented code?\n<script>alert(1)</script>"


def _events() -> list[dict[str, Any]]:
    """A DAG run whose task wrote OUTPUT and failed with ERROR, in a DAG run with a hostile run id."""
    dag_run, task_run = str(uuid.uuid4()), str(uuid.uuid4())
    airflow = {
        "_producer": "tests",
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/Facet.json",
        "dag": {"dag_id": DAG_ID},
        "dagRun": {"run_id": RUN_ID},
        "task": {"task_id": f"t0 {MARKUP}"},
    }
    error = {
        "_producer": "tests",
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json",
        "message": ERROR,
        "programmingLanguage": "python",
    }
    task_facets = {"parent": parent_facet(dag_run, DAG_ID), "airflow": airflow}
    out = [dataset(WAREHOUSE, OUTPUT)]
    return [
        run_event("START", run_id=dag_run, job=DAG_ID, seconds=0, job_facets=DAG),
        run_event("START", run_id=task_run, job=TASK_JOB, seconds=1, job_facets=TASK, run_facets=task_facets),
        run_event(
            "FAIL",
            run_id=task_run,
            job=TASK_JOB,
            seconds=30,
            job_facets=TASK,
            run_facets={**task_facets, "errorMessage": error},
            outputs=out,
        ),
        run_event("FAIL", run_id=dag_run, job=DAG_ID, seconds=31, job_facets=DAG),
    ]


def _created(response: Any) -> int:
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[dict[str, Any]]:
    """Every output of one hostile incident, captured once for the tests below."""
    path = tmp_path_factory.mktemp("hostile") / "flowlytics.db"
    shutil.copy(_sqlite_template, path)
    database = Database.from_url(f"sqlite:///{path}")
    with (
        smtp_receiver() as smtp,
        http_receiver() as hook,
        http_receiver() as slack,
        http_receiver() as apprise_target,
        alert_client(database, smtp_url=smtp.url) as client,
    ):
        post = lambda body: _created(client.post("/api/v1/alerts/channels", json=body, headers=ADMIN))  # noqa: E731
        ids = [
            post({"name": f"hook {TYPED}", "type": "webhook", "url": f"{hook.url}/h"}),
            post({"name": f"slack {TYPED}", "type": "slack", "url": f"{slack.url}/services/T/B/X"}),
            post({"name": f"mail {TYPED}", "type": "email", "addresses": ["oncall@example.com"]}),
            post({"name": f"apprise {TYPED}", "type": "apprise", "url": f"json://127.0.0.1:{apprise_target.port}/n"}),
        ]
        rule = {"name": RULE_NAME, "condition": {"type": "run_failed"}, "channelIds": ids, "routeToOwners": True}
        rule_id = _created(client.post("/api/v1/alerts/rules", json=rule, headers=ADMIN))
        routes = client.put("/api/v1/alerts/owner-routes", json={"routes": {OWNER: ids[0]}}, headers=ADMIN)
        assert routes.status_code == 200 and routes.json() == {"routes": {OWNER: ids[0]}}, routes.text
        # The output exists (written once by another job) and has a hostile owner: the impact names it.
        ingest(client, [run_event("COMPLETE", job="seed", seconds=0, outputs=[dataset(WAREHOUSE, OUTPUT)])])
        owner_node = quote(f"dataset:{WAREHOUSE}:{OUTPUT}", safe="")
        patched = client.patch(f"/api/v1/nodes/{owner_node}/metadata", json={"owners": [OWNER]}, headers=ADMIN)
        assert patched.status_code == 200, patched.text
        ingest(client, _events())
        mail = wait_until(lambda: smtp.messages, what="the mail")[0]
        webhook_request = wait_until(lambda: hook.requests, what="the webhook")[0]
        slack_request = wait_until(lambda: slack.requests, what="the Slack message")[0]
        apprise_request = wait_until(lambda: apprise_target.requests, what="the apprise notification")[0]
        incidents = client.get("/api/v1/incidents", params={"ruleId": rule_id}, headers=READ).json()["items"]
        assert len(incidents) == 1, incidents
        incident_id = incidents[0]["id"]
        noted = client.patch(f"/api/v1/incidents/{incident_id}", json={"note": NOTE}, headers=READ)
        assert noted.status_code == 200, noted.text
        markdown = client.get(f"/api/v1/incidents/{incident_id}/export", params={"format": "markdown"}, headers=READ)
        exported = client.get(f"/api/v1/incidents/{incident_id}/export", params={"format": "json"}, headers=READ)
        assert markdown.status_code == 200 and exported.status_code == 200, (markdown.text, exported.text)
        yield {
            "mail": mail,
            "recipients": smtp.recipients,
            "webhook": webhook_request,
            "slack": slack_request,
            "apprise": apprise_request,
            "markdown": markdown.text,
            "json": exported.content,
            "incident": incidents[0],
        }
    database.engine.dispose()


# --- webhook and JSON: exact ----------------------------------------------------------------------------------


def test_webhook_json_is_valid_and_carries_the_names_exactly(delivered: dict[str, Any]) -> None:
    document = orjson.loads(delivered["webhook"].body)
    assert DAG_ID in document["title"] or TASK_JOB in document["title"]
    assert document["rule"]["name"] == RULE_NAME
    [run] = [r for r in document["runs"] if r["jobNodeId"] == f"job:airflow:{TASK_JOB}"]
    assert run["errorMessage"] == ERROR


def test_json_postmortem_is_valid_and_exact(delivered: dict[str, Any]) -> None:
    document = orjson.loads(delivered["json"])
    assert document["incident"]["runs"][0]["jobNodeId"] == f"job:airflow:{TASK_JOB}"
    notes = [e for e in document["timeline"] if e["kind"] == "note"]
    assert [n["message"] for n in notes] == [NOTE]


# --- plain text: e-mail and apprise -------------------------------------------------------------------------------


def test_mail_has_no_header_or_recipient_of_a_name(delivered: dict[str, Any]) -> None:
    mail = delivered["mail"]
    assert delivered["recipients"] == [["oncall@example.com"]]
    assert mail.get_all("Bcc") is None and mail.get_all("X-Injected") is None
    assert len(mail.get_all("Subject")) == 1
    assert "\r" not in mail["Subject"] and "\n" not in mail["Subject"]
    assert not mail.is_multipart() and mail.get_content_type() == "text/plain"


def _plain_lines_are_ours(text: str) -> None:
    """Every line of a plain-text message is one the renderer wrote: a name's line break cannot forge one."""
    for line in text.replace("\r\n", "\n").split("\n"):
        assert not line.startswith(("Bcc:", "X-Injected", "# Injected", "- [link]")), line


def test_mail_body_keeps_each_name_on_its_line(delivered: dict[str, Any]) -> None:
    body = delivered["mail"].get_payload(decode=True).decode()
    _plain_lines_are_ours(body)
    assert "<img src=x onerror=alert(1)>" in body  # plain text: the markup is shown, as text
    assert "\\r\\nBcc: evil@evil.example" in body  # the line break, shown


def test_apprise_body_is_the_plain_text_and_title_one_line(delivered: dict[str, Any]) -> None:
    sent = delivered["apprise"].json()
    _plain_lines_are_ours(sent["message"])
    assert "<img src=x onerror=alert(1)>" in sent["message"]
    assert "\n" not in sent["title"] and "\r" not in sent["title"]


def test_render_text_flattens_line_breaks_and_direction_overrides() -> None:
    document = {
        "incidentId": 1,
        "event": "opened",
        "state": "OPEN",
        "severity": "error",
        "title": "a\nb\u202ec\u2028d",
        "rule": {"name": "r\rs"},
        "subject": "s\x1bt",
        "runs": [{"jobNodeId": "j\nk", "state": "FAILED", "errorMessage": "e\nf"}],
        "impact": {"summary": {}, "items": [{"id": "i\nj", "owners": ["o\np"], "distance": 1}]},
        "url": "http://x.example/\nEvil: y",
    }
    title, text = render_text(document)
    assert title == "[Flowlytics] ERROR: a\\nb\\u202ec\\u2028d"
    lines = text.split("\n")
    assert all(line.startswith(("Incident #", "Rule: ", "Runs (", "  - ", "Impact", "Airflow: ")) for line in lines), (
        lines
    )
    assert "\\u001b" in text and "o\\np" in text


def test_long_names_are_cut_in_titles() -> None:
    document = {
        "incidentId": 1,
        "event": "opened",
        "state": "OPEN",
        "severity": "error",
        "title": "x" * 5000,
        "rule": None,
        "subject": "s",
        "runs": [],
        "impact": {"summary": {}, "items": []},
        "url": None,
    }
    title, _ = render_text(document)
    assert len(title) <= 250 and title.endswith("…")


# --- Slack ---------------------------------------------------------------------------------------------------


def test_slack_payload_has_no_mention_link_or_code_break_of_a_name(delivered: dict[str, Any]) -> None:
    payload = delivered["slack"].json()
    header, section = payload["blocks"][:2]
    for mrkdwn in (payload["text"], section["text"]["text"]):
        assert "<" not in mrkdwn and ">" not in mrkdwn, mrkdwn  # no <!channel>, no <url|label>
        assert "&lt;!channel&gt;" in mrkdwn
        assert "&amp;amp;" in mrkdwn  # & itself escaped: an entity in a name stays as typed
    body = section["text"]["text"]
    assert body.startswith("```") and body.endswith("```")
    assert "```" not in body[3:-3], "a name's backticks closed the preformatted block"
    assert header["text"]["type"] == "plain_text" and "\n" not in header["text"]["text"]
    for block in payload["blocks"][2:]:  # the button, only to the Airflow link
        for element in block["elements"]:
            assert element["url"].startswith("http://airflow.example:8080/dags/")


# --- the Airflow link ------------------------------------------------------------------------------------------


def test_airflow_link_quotes_the_dag_run_and_task_ids(delivered: dict[str, Any]) -> None:
    link = delivered["incident"]["link"]
    assert link.startswith("http://airflow.example:8080/dags/")
    path = link.removeprefix("http://airflow.example:8080")
    assert all(c not in path for c in " <>\"'`\r\n?#\u202e"), link
    dags, dag, runs, run, tasks, task = path.strip("/").split("/")
    from urllib.parse import unquote

    assert (dags, runs, tasks) == ("dags", "runs", "tasks")
    assert (
        DAG_ID.startswith(unquote(dag))
        and len(unquote(dag)) > 200
        and unquote(run) == RUN_ID
        and unquote(task) == f"t0 {MARKUP}"
    )


# --- Markdown postmortem ---------------------------------------------------------------------------------------


def _rendered(markdown: str) -> Any:
    """The postmortem as a CommonMark (markdown-it) and a Python-Markdown (apprise's) reader render it."""
    import markdown as python_markdown
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").enable("strikethrough"), python_markdown.markdown(markdown)


def test_markdown_postmortem_has_no_heading_link_or_html_of_a_name(delivered: dict[str, Any]) -> None:
    text = delivered["markdown"]
    commonmark, python_html = _rendered(text)
    for html in (commonmark.render(text), python_html):
        tags, shown = read_html(html)
        assert_postmortem_outline(tags, html)
        # The names reached the document, as text (line breaks shown as \n).
        assert "<img src=x onerror=alert(1)>" in shown and "[x](javascript:alert(1))" in shown
        assert "=cmd|' /C calc'!A0" in shown and "<script>alert(1)</script>" in shown
        assert "\\r\\nBcc: evil@evil.example" in shown


def test_markdown_postmortem_lines_are_ours(delivered: dict[str, Any]) -> None:
    """Names stay on their line; only a note keeps its author's line breaks, indented under its item (the
    rendering test above shows they start no block)."""
    lines = delivered["markdown"].split("\n")
    for line in lines:
        assert line.startswith("  ") or not line.startswith(("Bcc:", "X-Injected", "# Injected", "- [link]")), line
    assert "  <script>" not in lines and "  &lt;script&gt;alert(1)&lt;/script&gt;" in lines
