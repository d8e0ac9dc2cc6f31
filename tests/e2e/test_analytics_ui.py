"""The Analytics page in the real Airflow and a real headless Chromium, over the demo DAGs' real runs: the Browse
page draws its KPI cards and chart (a Chart.js canvas), keeps granularity, metrics and the comparison overlay in
the URL, its CSV link answers the chart's data; a DAG's Analytics tab shows the DAG's step timing and versions,
the Gantt of a chosen run with its critical path, and a drag across the chart zooms the page to that range.
Screenshots go to the artifacts folder."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.harness import (
    ARTIFACTS,
    EXPECTED_TASKS,
    PIPELINE,
    Airflow,
    DemoRuns,
    headless_chromium,
    log_in,
    require_chromium,
)

pytestmark = [pytest.mark.airflow, pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 30_000


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_analytics_page_and_dag_tab(airflow: Airflow, demo_runs: DemoRuns) -> None:
    require_chromium()
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            log_in(page, airflow, "/plugin/flowlytics_analytics")
            view = page.get_by_test_id("flowlytics-analytics")
            expect(view).to_be_visible()
            expect(view.get_by_test_id("flowlytics-kpi")).to_have_count(6)
            runs_card = view.locator("[data-testid=flowlytics-kpi][data-kpi=total]")
            expect(runs_card).to_have_text(re.compile(r"^Runs[1-9]"))  # the demo runs are counted
            canvas = view.get_by_test_id("flowlytics-analytics-chart").locator("canvas")
            expect(canvas).to_be_visible()
            assert (canvas.bounding_box() or {}).get("height", 0) > 100
            expect(view.get_by_test_id("flowlytics-cost-projection")).to_contain_text("Projected next 30 days")
            # The demo DAGs' runs are in the breakdown by DAG.
            expect(view.get_by_test_id("flowlytics-analytics-by-dag-row").filter(has_text=PIPELINE)).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "e2e-analytics-page.png"), full_page=True)

            # Granularity and an overlaid metric go into the URL (a copied link opens the same view).
            view.get_by_test_id("flowlytics-analytics-granularity").select_option("hour")
            view.get_by_test_id("flowlytics-metric-p95DurationSeconds").check()
            view.get_by_test_id("flowlytics-analytics-compare").check()  # the previous period's lines overlaid
            page.wait_for_function("() => location.search.includes('compare=1')")
            query = parse_qs(urlparse(page.url).query)
            assert query["granularity"] == ["hour"]
            assert query["metric"] == ["total,failed,p95DurationSeconds"]
            expect(view.get_by_role("alert")).to_have_count(0)  # every query, the previous period's too, answered

            # "download data (CSV)" answers the chart's data for the same query, with the browser's login.
            href = view.get_by_test_id("flowlytics-analytics-csv").get_attribute("href") or ""
            assert parse_qs(urlparse(href).query) == {"granularity": ["hour"], "format": ["csv"]}
            response = page.request.get(href)
            assert response.status == 200, response.text()
            assert response.headers["content-type"].startswith("text/csv")
            rows = list(csv.DictReader(io.StringIO(response.text())))
            assert rows and sum(int(row["total"]) for row in rows) >= 1
            assert {row["series"] for row in rows} == {rows[0]["series"]}  # ungrouped: one series, as charted
            page.screenshot(path=str(ARTIFACTS / "e2e-analytics-hourly.png"), full_page=True)

            # The DAG tab: the same cards filtered by the DAG, its step timing and its versions.
            page.goto(f"{airflow.base_url}/dags/{PIPELINE}/plugin/flowlytics_dag_analytics")
            tab = page.get_by_test_id("flowlytics-analytics")
            expect(tab).to_contain_text(f"Analytics: {PIPELINE}")
            expect(tab.get_by_test_id("flowlytics-kpi")).to_have_count(6)
            expect(tab.get_by_test_id("flowlytics-analytics-chart").locator("canvas")).to_be_visible()
            steps = tab.get_by_test_id("flowlytics-analytics-steps")
            for task in EXPECTED_TASKS[PIPELINE]:
                expect(steps.get_by_test_id("flowlytics-analytics-steps-row").filter(has_text=task)).to_have_count(1)
            expect(tab.get_by_test_id("flowlytics-analytics-versions-row")).not_to_have_count(0)
            tab_csv = tab.get_by_test_id("flowlytics-analytics-csv").get_attribute("href") or ""
            assert parse_qs(urlparse(tab_csv).query)["dagId"] == [PIPELINE]
            page.screenshot(path=str(ARTIFACTS / "e2e-analytics-dag-tab.png"), full_page=True)

            # The Gantt of a chosen run: pick the demo's DAG run; the URL keeps it; the rows, the highlighted
            # critical path and its text list are the run's critical-path answer.
            run_id = demo_runs.dag_runs[PIPELINE]["runId"]
            gantt = tab.get_by_test_id("flowlytics-gantt")
            picker = gantt.get_by_test_id("flowlytics-gantt-run")
            expect(picker.locator(f"option[value='{run_id}']")).to_have_count(1)
            picker.select_option(run_id)
            page.wait_for_function(f"() => location.search.includes('run={run_id}')")
            answer = page.request.get(f"{airflow.base_url}/flowlytics/api/v1/analytics/runs/{run_id}/critical-path")
            assert answer.status == 200, answer.text()
            path = answer.json()
            critical_ids = {step["jobNodeId"] for step in path["steps"]}
            expected_rows = [t["taskId"] for t in path["tasks"]]
            expected_critical = [t["taskId"] for t in path["tasks"] if t["jobNodeId"] in critical_ids]
            expected_path = [
                t["taskId"] for s in path["steps"] for t in path["tasks"] if t["jobNodeId"] == s["jobNodeId"]
            ]
            assert set(expected_rows) == EXPECTED_TASKS[PIPELINE] and expected_path
            expect(gantt.get_by_test_id("flowlytics-gantt-chart").locator("canvas")).to_be_visible()
            rows = gantt.get_by_test_id("flowlytics-gantt-task")
            expect(rows).to_have_count(len(expected_rows))
            assert [rows.nth(i).get_attribute("data-task") for i in range(len(expected_rows))] == expected_rows
            highlighted = gantt.locator("[data-testid=flowlytics-gantt-task][data-critical=true]")
            assert [
                highlighted.nth(i).get_attribute("data-task") for i in range(highlighted.count())
            ] == expected_critical
            expect(gantt.get_by_test_id("flowlytics-gantt-path-step")).to_have_text(
                [("" if i == 0 else " → ") + task for i, task in enumerate(expected_path)]
            )
            gantt.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "e2e-analytics-gantt.png"), full_page=True)

            # Zoom: drag across the right half of the chart (the days with the demo's runs); the range goes into
            # the URL and into every query (the CSV link is the chart's query), fewer buckets come back.
            before = page.request.get(tab.get_by_test_id("flowlytics-analytics-csv").get_attribute("href") or "")
            buckets_before = {row["bucket"] for row in csv.DictReader(io.StringIO(before.text()))}
            chart = tab.get_by_test_id("flowlytics-analytics-chart")
            chart.scroll_into_view_if_needed()  # Airflow scrolls its own content pane: the Gantt moved it away
            chart_box = chart.bounding_box()
            assert chart_box
            middle_y = chart_box["y"] + chart_box["height"] * 0.6
            page.mouse.move(chart_box["x"] + chart_box["width"] * 0.6, middle_y)
            page.mouse.down()
            page.mouse.move(chart_box["x"] + chart_box["width"] * 0.8, middle_y, steps=5)
            page.mouse.move(chart_box["x"] + chart_box["width"] - 2, middle_y, steps=5)
            page.mouse.up()
            page.wait_for_function("() => location.search.includes('zoomFrom=')")
            zoom = parse_qs(urlparse(page.url).query)
            zoom_from, zoom_to = zoom["zoomFrom"][0], zoom["zoomTo"][0]
            assert zoom["run"] == [run_id]  # the chosen run stays
            expect(tab.get_by_test_id("flowlytics-analytics-zoomed")).to_be_visible()
            zoomed_csv = tab.get_by_test_id("flowlytics-analytics-csv")
            expect(zoomed_csv).to_have_attribute("href", re.compile("zoom|from="))
            zoomed_query = parse_qs(urlparse(zoomed_csv.get_attribute("href") or "").query)
            assert zoomed_query["from"] == [zoom_from] and zoomed_query["to"] == [zoom_to]
            after = page.request.get(zoomed_csv.get_attribute("href") or "")
            buckets_after = {row["bucket"] for row in csv.DictReader(io.StringIO(after.text()))}
            assert buckets_after and buckets_after < buckets_before, (buckets_before, buckets_after)
            assert all(moment(zoom_from) <= moment(bucket) < moment(zoom_to) for bucket in buckets_after)
            expect(tab.locator("[data-testid=flowlytics-kpi][data-kpi=total]")).to_have_text(re.compile(r"^Runs[1-9]"))
            page.screenshot(path=str(ARTIFACTS / "e2e-analytics-zoomed.png"), full_page=True)
            tab.get_by_test_id("flowlytics-analytics-reset-zoom").click()
            page.wait_for_function("() => !location.search.includes('zoomFrom=')")
            expect(tab.get_by_test_id("flowlytics-analytics-zoomed")).to_have_count(0)

            # Airflow's dark mode (it follows the system's): the chart's axes and legend follow it.
            page.emulate_media(color_scheme="dark")
            page.reload()
            chart = page.get_by_test_id("flowlytics-analytics-chart")
            expect(chart).to_have_attribute("data-color-mode", "dark")
            expect(page.get_by_test_id("flowlytics-gantt-chart")).to_have_attribute("data-color-mode", "dark")
            page.screenshot(path=str(ARTIFACTS / "e2e-analytics-dag-tab-dark.png"), full_page=True)
            assert not errors, errors
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "e2e-analytics-failure.png"), full_page=True)
            raise
