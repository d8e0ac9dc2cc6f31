"""The lineage UI inside the real Airflow UI, in a real headless Chromium.

Against the session's Airflow (real plugin, real OpenLineage provider, demo DAGs run once), with extra
events posted through the ingest API, one of them for a dataset named ``<img src=x onerror=alert(1)>``:

- the Lineage nav page: search, select, expand a node's neighbours, depth and column-level controls,
  the side panel, Mermaid / SVG / PNG export, a deep link, live updates without reload; the hostile
  name shows as text everywhere and no dialog ever opens;
- the DAG tab ("Lineage (DAG)") of the demo pipeline and the task tab ("Inputs & outputs") of a task;
- the 500-node target: the Lineage page, in this Airflow, lays out and shows a 500-node graph (served by
  a routed stand-in for the graph endpoint) within 1 s.

Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.harness import (
    ARTIFACTS,
    PIPELINE,
    Airflow,
    DemoRuns,
    demo_dataset_id,
    headless_chromium,
    log_in,
    require_chromium,
)

pytestmark = [pytest.mark.airflow, pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 30_000

XSS = "<img src=x onerror=alert(1)>"
E2E_NAMESPACE = "flowlytics_e2e"
S3 = "s3://flowlytics-e2e"
XSS_ID = f"dataset:{S3}:{XSS}"
PUBLISH = "flowlytics_e2e.publish_orders"
REPORT = "flowlytics_e2e.revenue_report"
PRODUCER = "https://github.com/flowlytics/tests/e2e"


# ---------------------------------------------------------------------------------------------- events


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _facet(**fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/Facet.json", **fields}


def _event(event_type: str, run_id: str, job: str, inputs: list[dict], outputs: list[dict]) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": _now(),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id, "facets": {}},
        "job": {"namespace": E2E_NAMESPACE, "name": job, "facets": {}},
        "inputs": inputs,
        "outputs": outputs,
    }


def _run(job: str, inputs: list[dict], outputs: list[dict], final: str = "COMPLETE") -> list[dict[str, Any]]:
    run_id = str(uuid.uuid4())
    return [_event("START", run_id, job, inputs, outputs), _event(final, run_id, job, inputs, outputs)]


def lineage_events(warehouse_orders: str) -> list[dict[str, Any]]:
    """publish_orders reads the demo's warehouse table and writes the hostile dataset (with a schema, column
    lineage and a row count); revenue_report reads it and fails."""
    order_fields = [{"name": "order_id", "type": "INTEGER"}, {"name": "amount", "type": "DECIMAL"}]
    warehouse = {"namespace": "file", "name": warehouse_orders, "facets": {"schema": _facet(fields=order_fields)}}
    column_lineage = _facet(
        fields={
            name: {
                "inputFields": [
                    {
                        "namespace": "file",
                        "name": warehouse_orders,
                        "field": name,
                        "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                    }
                ]
            }
            for name in ("order_id", "amount")
        }
    )
    hostile = {
        "namespace": S3,
        "name": XSS,
        "facets": {"schema": _facet(fields=order_fields), "columnLineage": column_lineage},
        "outputFacets": {"outputStatistics": _facet(rowCount=109)},
    }
    report = {
        "namespace": S3,
        "name": "reports.daily_revenue",
        "outputFacets": {"outputStatistics": _facet(rowCount=7)},
    }
    return [
        *_run(PUBLISH, [warehouse], [hostile]),
        *_run(REPORT, [{"namespace": S3, "name": XSS}], [report], final="FAIL"),
    ]


def post_events(airflow: Airflow, events: list[dict[str, Any]]) -> None:
    with airflow.client(airflow.ingest_key) as client:
        for event in events:
            response = client.post("/flowlytics/api/v1/lineage", json=event)
            assert response.status_code == 201, response.text


def layered_graph(size: int, seed: int = 42) -> dict[str, Any]:
    """A synthetic lineage graph in the graph endpoint's shape: layers of jobs and datasets, fan-in 1-3."""
    rng = random.Random(seed)
    states = ["COMPLETED", "COMPLETED", "RUNNING", "FAILED", "ABORTED", None]
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    datasets: list[str] = []

    def node(node_id: str, node_type: str, namespace: str, name: str) -> dict[str, Any]:
        state = rng.choice(states)
        return {
            "id": node_id,
            "type": node_type,
            "namespace": namespace,
            "name": name,
            "distance": 0,
            "parentId": None,
            "isGroup": False,
            "childCount": 0,
            "aliases": [],
            "latestRun": {"runId": str(uuid.uuid4()), "state": state, "startedAt": None, "endedAt": None}
            if state
            else None,
            "rowsWritten": rng.randint(0, 10**6) if node_type == "DATASET" else None,
            "owners": [f"team-{rng.randint(0, 4)}"],
            "tags": [],
            "criticality": None,
            "sla": None,
            "fields": [],
        }

    def add_dataset() -> str:
        i = len(datasets)
        node_id = f"dataset:postgres://db:5432:warehouse.t{i}"
        datasets.append(node_id)
        nodes.append(node(node_id, "DATASET", "postgres://db:5432", f"warehouse.t{i}"))
        return node_id

    for _ in range(max(2, size * 8 // 100)):
        add_dataset()
    j = 0
    while len(nodes) < size:
        job_id = f"job:airflow://etl:dag_{j // 8}.task_{j}"
        nodes.append(node(job_id, "JOB", "airflow://etl", f"dag_{j // 8}.task_{j}"))
        window = datasets[-40:]
        for source in {rng.choice(window) for _ in range(rng.randint(1, 3))}:
            edges.append({"id": f"{source}>{job_id}", "source": source, "target": job_id})
        for _ in range(rng.randint(1, 2)):
            if len(nodes) >= size:
                break
            target = add_dataset()
            edges.append({"id": f"{job_id}>{target}", "source": job_id, "target": target})
        j += 1
    return {"rootIds": [nodes[0]["id"]], "nodes": nodes, "edges": edges, "truncated": False}


# --------------------------------------------------------------------------------------------- browser


@dataclass
class Browser:
    page: Any
    base_url: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=False)

    def assert_clean(self) -> None:
        assert not self.dialogs, f"a dialog opened (script injection?): {self.dialogs}"
        assert not self.errors, f"page errors: {self.errors}"
        # The hostile name never became an element.
        assert self.page.locator("img[src='x']").count() == 0


@pytest.fixture(scope="module")
def browser(airflow: Airflow, demo_runs: DemoRuns) -> Iterator[Browser]:
    require_chromium()

    warehouse = str(airflow.data_dir / "warehouse" / "orders.csv")
    post_events(airflow, lineage_events(warehouse))
    ARTIFACTS.mkdir(exist_ok=True)
    with headless_chromium() as chromium:
        context = chromium.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        state = Browser(page=page, base_url=airflow.base_url)

        def on_dialog(dialog: Any) -> None:
            state.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: state.errors.append(str(error)))
        log_in(page, airflow, "/plugin/flowlytics_lineage")
        yield state


def _node(page: Any, node_id: str) -> Any:
    return page.locator(f"[data-testid=flowlytics-graph-node][data-node-id={json.dumps(node_id)}]")


def _on_failure(browser: Browser, name: str) -> None:
    try:
        browser.shot(f"{name}-failure.png")
    except Exception as error:  # the screenshot must not hide the real failure
        print(f"(no failure screenshot: {error})")


def test_lineage_page_search_select_expand_export(browser: Browser, airflow: Airflow) -> None:
    from playwright.sync_api import expect

    page = browser.page
    try:
        page.goto(f"{airflow.base_url}/plugin/flowlytics_lineage")
        expect(page.get_by_test_id("flowlytics-lineage-page")).to_be_visible()
        expect(page.get_by_test_id("flowlytics-empty")).to_have_attribute("data-reason", "no-root")

        # Search (debounced) finds the hostile dataset; its name is text in the results.
        page.get_by_test_id("flowlytics-search").fill("onerror")
        result = page.locator(f"[data-testid=flowlytics-search-result][data-node-id={json.dumps(XSS_ID)}]")
        expect(result).to_contain_text(XSS)
        result.click()

        # The graph around it: producer and consumer jobs, the name shown verbatim.
        node = _node(page, XSS_ID)
        expect(node).to_be_visible()
        expect(node.get_by_test_id("flowlytics-node-name")).to_have_text(XSS)
        expect(node).to_have_attribute("data-state", "COMPLETED")
        expect(_node(page, f"job:{E2E_NAMESPACE}:{REPORT}")).to_have_attribute("data-state", "FAILED")
        expect(page.get_by_test_id("flowlytics-side-panel")).to_have_attribute("data-node-id", XSS_ID)
        expect(page.get_by_test_id("flowlytics-panel-name")).to_have_text(XSS)
        assert "node=" in page.url and quote(XSS, safe="") in page.url.replace("+", "%20")
        browser.assert_clean()

        # Side panel: schema, recent runs with the row count, impact summary.
        panel = page.get_by_test_id("flowlytics-side-panel")
        expect(panel.get_by_test_id("flowlytics-panel-schema")).to_contain_text("order_id")
        expect(panel.get_by_test_id("flowlytics-panel-runs-table")).to_contain_text("109")
        expect(panel.get_by_test_id("flowlytics-impact-total")).not_to_have_text("0")
        expect(panel.get_by_test_id("flowlytics-impact-summary")).to_contain_text("revenue_report")

        # Depth 1 shows the dataset and its two jobs; expanding the producer adds the demo warehouse table.
        page.get_by_test_id("flowlytics-depth").fill("1")
        graph = page.get_by_test_id("flowlytics-graph")
        expect(graph).to_have_attribute("data-node-count", "3")
        warehouse_id = demo_dataset_id(airflow.data_dir, "warehouse/orders.csv")
        expect(_node(page, warehouse_id)).to_have_count(0)
        publish = _node(page, f"job:{E2E_NAMESPACE}:{PUBLISH}")
        publish.get_by_test_id("flowlytics-node-expand").click()
        expect(_node(page, warehouse_id)).to_be_visible()
        assert int(graph.get_attribute("data-node-count") or 0) > 3
        browser.shot("e2e-lineage-page.png")

        # Selecting another node updates the panel and the deep link.
        _node(page, warehouse_id).click()
        expect(page.get_by_test_id("flowlytics-side-panel")).to_have_attribute("data-node-id", warehouse_id)
        expect(page.get_by_test_id("flowlytics-panel-name")).to_contain_text("orders.csv")

        # Column level: fields inside dataset nodes, field-to-field edges labelled by transformation.
        page.get_by_test_id("flowlytics-column-level").check()
        expect(_node(page, XSS_ID).get_by_test_id("flowlytics-node-field")).to_have_count(2)
        expect(graph.locator(".react-flow__edge-text").first).to_have_text("DIRECT/IDENTITY")
        browser.shot("e2e-lineage-columns.png")
        page.get_by_test_id("flowlytics-column-level").uncheck()

        # Mermaid export: the name is entity-escaped, never markup.
        page.get_by_test_id("flowlytics-export-mermaid").click()
        mermaid = page.get_by_test_id("flowlytics-mermaid-text").input_value()
        assert mermaid.startswith("flowchart LR")
        assert "#lt;img src=x onerror=alert#40;1#41;#gt;" in mermaid
        assert "<img" not in mermaid
        with page.expect_download() as download:
            page.get_by_test_id("flowlytics-mermaid-download").click()
        assert download.value.suggested_filename.endswith(".mmd")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("flowlytics-mermaid-dialog")).to_have_count(0)

        # SVG and PNG exports (offline, in the browser).
        with page.expect_download() as download:
            page.get_by_test_id("flowlytics-export-svg").click()
        svg = Path(download.value.path()).read_text(encoding="utf-8")
        assert svg.startswith("<svg") and "&lt;img src=x onerror=alert(1)&gt;" in svg and "<img" not in svg
        (ARTIFACTS / "e2e-lineage-export.svg").write_text(svg, encoding="utf-8")
        with page.expect_download() as download:
            page.get_by_test_id("flowlytics-export-png").click()
        png = Path(download.value.path()).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2_000
        (ARTIFACTS / "e2e-lineage-export.png").write_bytes(png)

        # Live: a new consumer shows up without a reload (graph/version polling).
        page.evaluate("window.__flowlyticsNoReload = true")
        post_events(airflow, _run("flowlytics_e2e.audit", [{"namespace": S3, "name": XSS}], []))
        expect(_node(page, f"job:{E2E_NAMESPACE}:flowlytics_e2e.audit")).to_be_visible(timeout=20_000)
        assert page.evaluate("window.__flowlyticsNoReload") is True

        # The deep link opens the same view in a fresh page.
        link = page.url
        other = page.context.new_page()

        def on_dialog(dialog: Any) -> None:
            browser.dialogs.append(dialog.message)
            dialog.dismiss()

        other.on("dialog", on_dialog)
        other.goto(link)
        expect(other.get_by_test_id("flowlytics-side-panel")).to_have_attribute("data-node-id", warehouse_id)
        expect(other.get_by_test_id("flowlytics-depth")).to_have_value("1")
        other.close()
        browser.assert_clean()
    except BaseException:
        _on_failure(browser, "e2e-lineage-page")
        raise


def test_dag_tab_shows_the_dags_lineage(browser: Browser, airflow: Airflow, critical_dataset: str) -> None:
    from playwright.sync_api import expect

    page = browser.page
    try:
        page.goto(f"{airflow.base_url}/dags/{PIPELINE}/plugin/flowlytics_dag_lineage")
        view = page.get_by_test_id("flowlytics-dag-lineage")
        expect(view).to_be_visible()
        graph = view.get_by_test_id("flowlytics-graph")
        expect(graph).to_be_visible()
        # The DAG's own tasks are shown (its group expanded), with the datasets they read and write.
        for task in ("extract_orders", "transform_orders", "load_orders", "build_customer_revenue"):
            expect(_node(page, f"job:flowlytics_demo:{PIPELINE}.{task}")).to_have_attribute("data-state", "COMPLETED")
        for rel in ("staging/orders.csv", "curated/orders.csv", "warehouse/orders.csv"):
            expect(_node(page, demo_dataset_id(airflow.data_dir, rel))).to_be_visible()
        expect(graph).to_have_attribute("data-render-ms", re.compile(r"^\d"))
        browser.shot("e2e-lineage-dag-tab.png")
        # The side panel of a task: its runs with row counts; its impact reaches the critical revenue mart.
        _node(page, f"job:flowlytics_demo:{PIPELINE}.load_orders").click()
        panel = view.get_by_test_id("flowlytics-side-panel")
        expect(panel).to_contain_text("load_orders")
        expect(panel.get_by_test_id("flowlytics-panel-runs-table")).to_contain_text("109")
        expect(panel.get_by_test_id("flowlytics-impact-summary")).to_contain_text("1 critical")
        browser.shot("e2e-lineage-dag-tab-selected.png")
        # People-maintained metadata of the mart: owners, criticality, SLA. The open side panel may cover
        # the mart (the rightmost column), so the click goes to the node itself rather than to a point.
        _node(page, critical_dataset).dispatch_event("click")
        ownership = panel.get_by_test_id("flowlytics-panel-ownership")
        expect(ownership).to_contain_text("team:finance")
        expect(ownership).to_contain_text("critical")
        expect(ownership).to_contain_text("by 07:00")
        browser.assert_clean()
    except BaseException:
        _on_failure(browser, "e2e-lineage-dag-tab")
        raise


def test_task_tab_shows_inputs_and_outputs_with_row_counts(browser: Browser, airflow: Airflow) -> None:
    from playwright.sync_api import expect

    page = browser.page
    try:
        page.goto(f"{airflow.base_url}/dags/{PIPELINE}/tasks/load_orders/plugin/flowlytics_task_io")
        view = page.get_by_test_id("flowlytics-task-io")
        expect(view).to_be_visible()
        curated = demo_dataset_id(airflow.data_dir, "curated/orders.csv")
        warehouse = demo_dataset_id(airflow.data_dir, "warehouse/orders.csv")
        row_in = view.locator(
            f"[data-testid=flowlytics-io-row][data-direction=input][data-node-id={json.dumps(curated)}]"
        )
        row_out = view.locator(
            f"[data-testid=flowlytics-io-row][data-direction=output][data-node-id={json.dumps(warehouse)}]"
        )
        expect(row_in.get_by_test_id("flowlytics-io-rows")).to_have_text("109")
        expect(row_out.get_by_test_id("flowlytics-io-rows")).to_have_text("109")
        browser.shot("e2e-lineage-task-tab.png")

        # Each dataset links to the Lineage page for it.
        row_out.get_by_test_id("flowlytics-io-link").click()
        page.wait_for_url("**/plugin/flowlytics_lineage?**")
        expect(page.get_by_test_id("flowlytics-side-panel")).to_have_attribute("data-node-id", warehouse)
        expect(_node(page, warehouse)).to_be_visible()
        browser.assert_clean()
    except BaseException:
        _on_failure(browser, "e2e-lineage-task-tab")
        raise


def test_500_node_graph_is_laid_out_and_shown(browser: Browser, airflow: Airflow) -> None:
    """The graph endpoint is routed to a synthetic 500-node graph; everything else is the real page in the
    real Airflow UI: every node and edge is painted. The page records the time from the response's arrival
    to the last node painted; the figure is printed, never asserted (speed is the job of
    `npm run bench:ui`, whose figures are in docs/benchmarks.md)."""
    from playwright.sync_api import Route, expect

    page = browser.page
    graph = layered_graph(500)
    body = json.dumps(graph)
    requested: list[str] = []

    def serve(route: Route) -> None:
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=body)

    page.route(re.compile(r".*/flowlytics/api/v1/graph\?.*"), serve)
    timings: list[float] = []
    try:
        for _ in range(5):
            page.goto(f"{airflow.base_url}/plugin/flowlytics_lineage?node={quote(graph['rootIds'][0], safe='')}")
            rendered = page.locator("[data-testid=flowlytics-graph][data-render-ms]")
            expect(rendered).to_have_attribute("data-rendered-nodes", "500", timeout=60_000)
            timings.append(float(rendered.get_attribute("data-render-ms") or "nan"))
            assert page.locator(".react-flow__node").count() == 500
            assert page.locator(".react-flow__edge").count() == len(graph["edges"])
        browser.shot("e2e-lineage-500-nodes.png")
    except BaseException:
        _on_failure(browser, "e2e-lineage-500-nodes")
        raise
    finally:
        page.unroute(re.compile(r".*/flowlytics/api/v1/graph\?.*"))
    assert requested
    median = sorted(timings)[len(timings) // 2]
    shown = ", ".join(f"{t:.0f}" for t in timings)
    print(f"\n500-node lineage graph in Airflow: shown in {shown} ms (median {median:.0f} ms)")
    (ARTIFACTS / "e2e-lineage-500-nodes.json").write_text(json.dumps({"renderMs": timings}))
