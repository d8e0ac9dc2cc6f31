"""The Analytics page in the real Airflow and a real headless Chromium, over the demo DAGs' real runs: the Browse
page draws its KPI cards and chart (a Chart.js canvas), keeps granularity, metrics and the comparison overlay in
the URL, its CSV link answers the chart's data; a DAG's Analytics tab shows the DAG's step timing and versions.
Screenshots go to the artifacts folder."""

from __future__ import annotations

import csv
import io
import re
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

            # Airflow's dark mode (it follows the system's): the chart's axes and legend follow it.
            page.emulate_media(color_scheme="dark")
            page.reload()
            chart = page.get_by_test_id("flowlytics-analytics-chart")
            expect(chart).to_have_attribute("data-color-mode", "dark")
            page.screenshot(path=str(ARTIFACTS / "e2e-analytics-dag-tab-dark.png"), full_page=True)
            assert not errors, errors
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "e2e-analytics-failure.png"), full_page=True)
            raise
