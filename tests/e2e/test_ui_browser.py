"""The Flowlytics page inside the real Airflow UI, in a real headless Chromium: log in through Airflow's
login page, open the plugin's nav route, and see the demo runs (a failed one included)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import (
    ARTIFACTS,
    EXPECTED_TASKS,
    PAYMENTS,
    Airflow,
    DemoRuns,
    headless_chromium,
    log_in,
    require_chromium,
)

pytestmark = [pytest.mark.airflow, pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 30_000


def test_runs_page_shows_the_demo_runs(airflow: Airflow, demo_runs: DemoRuns) -> None:
    require_chromium()
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page_errors: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        try:
            # Unauthenticated, the UI sends us to Airflow's own login page, then back to the plugin.
            log_in(page, airflow, "/plugin/flowlytics")

            rows = page.locator("[data-testid=flowlytics-run-row]")
            expect(rows.first).to_be_visible()
            expect(page.locator("[data-testid=flowlytics-error]")).to_have_count(0)
            table = page.locator("[data-testid=flowlytics-runs-table]")
            for dag_id, tasks in EXPECTED_TASKS.items():
                expect(table).to_contain_text(dag_id)
                for task_id in tasks:
                    expect(table).to_contain_text(f"{dag_id}.{task_id}")
            # Every demo run is a row, and its state attribute is the API's state.
            for run in [*demo_runs.dag_runs.values()] + [
                run for runs in demo_runs.task_runs.values() for run in runs.values()
            ]:
                row = page.locator(f"[data-testid=flowlytics-run-row][data-run-id='{run['runId']}']")
                expect(row).to_have_attribute("data-state", run["state"])
            failed = page.locator("[data-testid=flowlytics-run-row][data-state=FAILED]")
            expect(failed.filter(has_text=f"{PAYMENTS}.reconcile_payments")).to_be_visible()
            expect(failed.filter(has_text="Reconciliation failed").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "e2e-flowlytics-runs.png"), full_page=True)
            assert not page_errors, page_errors
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "e2e-flowlytics-runs-failure.png"), full_page=True)
            raise
