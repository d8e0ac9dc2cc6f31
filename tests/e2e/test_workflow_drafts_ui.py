"""The Workflow drafts page inside the real Airflow UI, in a real headless Chromium.

Against the session's Airflow (real plugin, the demo's reviewed operations, the demo DAGs run once so that
the dataset `source/orders_feed.csv` is an event Flowlytics knows):

- the nav entry; the issue's example text: the numbered paraphrase, the Mermaid diagram (an <svg> drawn by
  the lazily loaded `mermaid` chunk, served from /flowlytics/static/mermaid/ and requested only when a
  diagram is drawn), the issues list (the unknown event "order file", whose link selects line 1 of the
  text); the same text on the demo's event: no issues, and the DAG, test events and Mermaid downloads;
- the paraphrase edited and checked again;
- saved drafts: save, list, open after a reload, delete;
- XSS through step names: `<img src=x onerror=window.__pwned=1>` as an operation and an owner is drawn as
  text, never run, and no <img> reaches the page.

Screenshots go to test-artifacts/ (gitignored); a clean one to docs/images/workflow-drafts.png for the README.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import ARTIFACTS, REPO, Airflow, DemoRuns, headless_chromium, log_in, require_chromium

pytestmark = [pytest.mark.airflow, pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 30_000
PAGE = "/plugin/flowlytics_workflow_drafts"
README_SCREENSHOT = REPO / "docs" / "images" / "workflow-drafts.png"
ISSUE_EXAMPLE = (
    "When an order file lands, check it, if more than 1 % rows are invalid notify data-ops otherwise load it "
    "into the warehouse"
)
# The same workflow on the demo's orders feed (a dataset the demo DAGs write, so a known event).
DEMO_TEXT = (
    "When the orders feed lands, check it, if more than 1 % rows are invalid notify data-ops otherwise load it "
    "into the warehouse"
)
XSS = "<img src=x onerror=window.__pwned=1>"
XSS_TEXT = f'When the orders feed lands, then "{XSS}" and then notify "{XSS}"'


@dataclass
class Browser:
    page: Any
    base_url: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def shot(self, name: str, full_page: bool = True) -> None:
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)

    def check(self, text: str) -> None:
        """Types `text` into the workflow text area and checks it; waits for the answer."""
        page = self.page
        page.get_by_test_id("flowlytics-wf-text").fill(text)
        with page.expect_response(lambda r: r.url.endswith("/flowlytics/api/v1/workflows/drafts")) as answer:
            page.get_by_test_id("flowlytics-wf-check").click()
        assert answer.value.status == 200, answer.value.text()

    def diagram(self) -> Any:
        from playwright.sync_api import expect

        section = self.page.get_by_test_id("flowlytics-wf-diagram")
        expect(section).to_have_attribute("data-status", "drawn")
        return section.locator("svg[data-testid=flowlytics-wf-svg]")

    def assert_clean(self) -> None:
        assert not self.dialogs, f"a dialog opened (script injection?): {self.dialogs}"
        assert not self.errors, f"page errors: {self.errors}"


@pytest.fixture(scope="module")
def browser(airflow: Airflow, demo_runs: DemoRuns) -> Iterator[Browser]:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with headless_chromium() as chromium:
        context = chromium.new_context(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        state = Browser(page=page, base_url=airflow.base_url)

        def on_dialog(dialog: Any) -> None:
            state.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: state.errors.append(str(error)))
        page.on("request", lambda request: state.requests.append(request.url))
        log_in(page, airflow, PAGE)
        yield state


@pytest.fixture
def shot_on_failure(browser: Browser, request: pytest.FixtureRequest) -> Iterator[None]:
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:  # the call phase is reported before this teardown
        try:
            browser.shot(f"workflow-drafts-{request.node.name}-failure.png")
        except Exception as error:  # the screenshot must not hide the real failure
            print(f"(no failure screenshot: {error})")


def _selection(page: Any) -> tuple[int, int]:
    start, end = page.get_by_test_id("flowlytics-wf-text").evaluate("el => [el.selectionStart, el.selectionEnd]")
    return int(start), int(end)


def _download(page: Any, test_id: str) -> tuple[str, str]:
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    download = info.value
    path = download.path()
    assert path is not None, download.failure()
    return download.suggested_filename, Path(path).read_text(encoding="utf-8")


def test_nav_entry_example_paraphrase_diagram_issues_and_downloads(
    browser: Browser, airflow: Airflow, shot_on_failure: None
) -> None:
    from playwright.sync_api import expect

    page = browser.page
    with airflow.api() as client:
        plugins = client.get("/api/v2/plugins").json()["plugins"]
    apps = [app for plugin in plugins for app in plugin.get("react_apps", [])]
    entry = next(app for app in apps if app["name"] == "Workflow drafts")
    assert (entry["destination"], entry["url_route"]) == ("nav", "flowlytics_workflow_drafts")
    assert entry["bundle_url"].endswith("flowlytics.js?view=workflow-drafts")

    page.goto(f"{airflow.base_url}{PAGE}")
    expect(page.get_by_test_id("flowlytics-workflow-drafts")).to_be_visible()
    # The page alone does not load mermaid: only drawing a diagram does.
    page.wait_for_load_state("networkidle")
    assert not [url for url in browser.requests if "/static/mermaid/" in url], browser.requests

    # The issue's example: "order file" is no event of this Airflow, so the issues list says so on line 1.
    browser.check(ISSUE_EXAMPLE)
    paraphrase = page.get_by_test_id("flowlytics-wf-paraphrase")
    expect(paraphrase).to_have_value(re.compile(r"^1\. When order file is updated\.\n2\. Then check it\.\n3\. If "))
    issues = page.get_by_test_id("flowlytics-wf-issue")
    unknown = issues.filter(has=page.locator("code", has_text="WF002"))
    expect(unknown).to_have_count(1)
    expect(unknown).to_have_attribute("data-severity", "error")
    expect(unknown).to_contain_text("line 1:")
    expect(unknown).to_contain_text("order file")
    svg = browser.diagram()
    for label in ("When order file is updated", "check it", "notify data-ops", "load it into warehouse"):
        expect(svg).to_contain_text(label)
    expect(svg.locator("g.node")).to_have_count(5)
    loaded = [url for url in browser.requests if "/flowlytics/static/mermaid/mermaid.core-" in url]
    assert loaded, "the diagram must come from the lazily loaded mermaid chunk"
    # Clicking the issue selects its line in the text area.
    page.get_by_test_id("flowlytics-wf-text").evaluate("el => el.setSelectionRange(0, 0)")
    unknown.get_by_test_id("flowlytics-wf-issue-link").click()
    assert _selection(page) == (0, len(ISSUE_EXAMPLE))
    browser.shot("workflow-drafts-issue-example.png")

    # Several lines: the link selects the line the issue names, not the first.
    browser.check("When the orders feed lands\nthen chek it")
    typo = issues.filter(has=page.locator("code", has_text="WF003"))
    expect(typo).to_contain_text("line 2:6")  # the operation after "then "
    expect(typo).to_contain_text("did you mean 'check'")
    typo.get_by_test_id("flowlytics-wf-issue-link").click()
    start = len("When the orders feed lands\n")
    assert _selection(page) == (start, start + len("then chek it"))

    # On the demo's event there is no issue, and there is a DAG to download.
    browser.check(DEMO_TEXT)
    expect(page.get_by_test_id("flowlytics-wf-issues")).to_have_attribute("data-count", "0")
    browser.diagram()
    name, dag_code = _download(page, "flowlytics-wf-download-dag")
    assert name.endswith(".py") and name[:-3] in dag_code
    assert "@task.branch" in dag_code and "invalid_rows_percent" in dag_code
    compile(dag_code, name, "exec")  # valid Python (the backend tests import it in a real DagBag)
    name, events_text = _download(page, "flowlytics-wf-download-events")
    events = json.loads(events_text)
    assert name.endswith(".events.json") and len(events) == 2
    assert {frozenset(event["expectedTasks"]) for event in events} != {frozenset()}
    name, mermaid_text = _download(page, "flowlytics-wf-download-mermaid")
    assert name.endswith(".mmd") and mermaid_text.startswith("flowchart TD\n")
    page.get_by_test_id("flowlytics-wf-text").evaluate("el => el.setSelectionRange(0, 0)")
    page.mouse.move(0, 0)
    README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    # Airflow scrolls its own content box, not the page: a taller window shows the whole diagram.
    page.set_viewport_size({"width": 1440, "height": 1800})
    try:
        expect(browser.diagram()).to_be_visible()
        page.screenshot(path=str(README_SCREENSHOT))
        browser.shot("workflow-drafts-demo.png")
    finally:
        page.set_viewport_size({"width": 1440, "height": 1100})
    browser.assert_clean()


def test_the_paraphrase_is_edited_and_checked_again(browser: Browser, shot_on_failure: None) -> None:
    from playwright.sync_api import expect

    page = browser.page
    browser.check(DEMO_TEXT)
    paraphrase = page.get_by_test_id("flowlytics-wf-paraphrase")
    expect(paraphrase).to_have_value(re.compile("notify data-ops"))
    edited = paraphrase.input_value().replace("notify data-ops", "notify finance")
    paraphrase.fill(edited)
    with page.expect_response(lambda r: r.url.endswith("/workflows/drafts")) as answer:
        page.get_by_test_id("flowlytics-wf-check-paraphrase").click()
    assert answer.value.status == 200
    # The edited paraphrase is now the text, parsed again: the diagram and the new paraphrase follow it.
    expect(page.get_by_test_id("flowlytics-wf-text")).to_have_value(edited)
    expect(browser.diagram()).to_contain_text("notify finance")
    expect(paraphrase).to_have_value(re.compile("notify finance"))
    expect(page.get_by_test_id("flowlytics-wf-issues")).to_have_attribute("data-count", "0")
    browser.assert_clean()


def test_saved_drafts_save_open_and_delete(browser: Browser, airflow: Airflow, shot_on_failure: None) -> None:
    from playwright.sync_api import expect

    page = browser.page
    name = "e2e orders draft"
    browser.check(DEMO_TEXT)
    page.get_by_test_id("flowlytics-wf-name").fill(name)
    with page.expect_response(lambda r: r.url.endswith("/workflows/saved") and r.request.method == "POST") as saved:
        page.get_by_test_id("flowlytics-wf-save").click()
    assert saved.value.status == 201, saved.value.text()
    draft_id = saved.value.json()["id"]
    item = page.locator(f"[data-testid=flowlytics-wf-saved-item][data-id='{draft_id}']")
    expect(item).to_contain_text(name)

    # After a reload the text area is empty; opening the draft brings back its text, issues and diagram.
    page.reload()
    expect(page.get_by_test_id("flowlytics-wf-text")).to_have_value("")
    item.get_by_role("button", name=name).click()
    expect(page.get_by_test_id("flowlytics-wf-text")).to_have_value(DEMO_TEXT)
    expect(page.get_by_test_id("flowlytics-wf-issues")).to_have_attribute("data-count", "0")
    expect(browser.diagram()).to_contain_text("load it into warehouse")
    with airflow.api() as client:  # the admin's own list, through the API
        listed = client.get("/flowlytics/api/v1/workflows/saved").json()["items"]
    assert draft_id in [entry["id"] for entry in listed]

    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        item.get_by_test_id("flowlytics-wf-delete").click()
    assert deleted.value.status == 204
    expect(item).to_have_count(0)
    with airflow.api() as client:
        assert client.get(f"/flowlytics/api/v1/workflows/saved/{draft_id}").status_code == 404
    browser.assert_clean()


def test_the_diagram_follows_airflows_dark_mode(browser: Browser, shot_on_failure: None) -> None:
    from playwright.sync_api import expect

    page = browser.page
    browser.check(DEMO_TEXT)
    section = page.get_by_test_id("flowlytics-wf-diagram")
    expect(section).to_have_attribute("data-color-mode", "light")
    node_fill = "el => getComputedStyle(el.querySelector('g.node :is(rect, polygon, path)')).fill"
    light_fill = browser.diagram().evaluate(node_fill)
    try:
        # Airflow's colour-mode switch puts the class `dark` on <html>.
        page.evaluate("() => document.documentElement.classList.add('dark')")
        expect(section).to_have_attribute("data-color-mode", "dark")
        # Drawn again in mermaid's dark theme: the node fill changes (a hang guard times out otherwise).
        page.wait_for_function(
            """(light) => {
              const node = document.querySelector(
                "[data-testid=flowlytics-wf-diagram][data-status=drawn] svg g.node :is(rect, polygon, path)");
              return node !== null && getComputedStyle(node).fill !== light;
            }""",
            arg=light_fill,
        )
        browser.shot("workflow-drafts-dark.png")
    finally:
        page.evaluate("() => document.documentElement.classList.remove('dark')")
    expect(section).to_have_attribute("data-color-mode", "light")
    browser.assert_clean()


def test_step_names_cannot_inject_script_into_the_diagram(browser: Browser, shot_on_failure: None) -> None:
    from playwright.sync_api import expect

    page = browser.page
    browser.check(XSS_TEXT)
    svg = browser.diagram()
    # The hostile names are drawn as their text (an operation and a notify owner)...
    expect(svg).to_contain_text(XSS)
    expect(svg).to_contain_text(f"notify {XSS}")
    # ...and the issues list names the unknown operation as text too.
    expect(page.get_by_test_id("flowlytics-wf-issues")).to_contain_text(XSS)
    page.wait_for_timeout(500)  # an onerror handler would have run by now
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.evaluate("() => document.querySelectorAll('img[src=x], svg img, [onerror]').length") == 0
    assert page.get_by_test_id("flowlytics-wf-diagram").locator("script").count() == 0
    browser.shot("workflow-drafts-xss.png")
    browser.assert_clean()
