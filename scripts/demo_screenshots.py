"""Screenshots of the running demo for the README: the Analytics page (and the Alerts page) as a new user
first sees them, in headless Chromium through Playwright, logged in as the demo's admin.

    .venv/bin/python scripts/demo_screenshots.py [--url http://127.0.0.1:8080] [--out docs/images]

Reads the admin's password from .demo/airflow/simple_auth_manager_passwords.json.generated. Writes
analytics.png and alerts.png (PNG, 1280 px wide, the part above the fold: kept small for the README).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("FLOWLYTICS_CHROMIUM", "/usr/bin/chromium")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    port = (REPO / ".demo" / "airflow.port").read_text().strip() if (REPO / ".demo" / "airflow.port").exists() else ""
    parser.add_argument("--url", default=f"http://127.0.0.1:{port or 8080}")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    args = parser.parse_args(argv)
    passwords = REPO / ".demo" / "airflow" / "simple_auth_manager_passwords.json.generated"
    password = json.loads(passwords.read_text())["admin"]

    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        page.goto(f"{args.url}/plugin/flowlytics_analytics")
        page.wait_for_url("**/auth/login**")
        page.locator("input[name=username]").fill("admin")
        page.locator("input[name=password]").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/plugin/flowlytics_analytics**")
        view = page.get_by_test_id("flowlytics-analytics")
        expect(view.get_by_test_id("flowlytics-kpi")).to_have_count(6)
        expect(view.get_by_test_id("flowlytics-analytics-chart").locator("canvas")).to_be_visible()
        expect(view.get_by_test_id("flowlytics-analytics-by-dag-row").first).to_be_visible()
        page.wait_for_timeout(1500)  # the chart's entry animation
        args.out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out / "analytics.png"))
        page.goto(f"{args.url}/plugin/flowlytics_alerts")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(args.out / "alerts.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 800})
        browser.close()
    for name in ("analytics.png", "alerts.png"):
        print(f"{args.out / name}: {(args.out / name).stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
