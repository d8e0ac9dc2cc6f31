"""Helpers for the end-to-end tests: starting, polling and stopping a real Airflow (see conftest.py)."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
NAMESPACE = "flowlytics_demo"
PIPELINE = "flowlytics_demo_pipeline"
PAYMENTS = "flowlytics_demo_payments"
# Task runs that emit OpenLineage events; payments' publish task never starts (its upstream fails).
EXPECTED_TASKS = {
    PIPELINE: {"extract_orders", "transform_orders", "load_orders", "build_customer_revenue"},
    PAYMENTS: {"extract_payments", "reconcile_payments"},
}
START_TIMEOUT = 240.0  # seconds: cold start is ~25-40 s here, more under load
RUN_TIMEOUT = 180.0
VIEWER = "viewer"  # a second Airflow user, of role Viewer (password: Airflow.viewer_password)
LOG_TAIL_LINES = 80
# CI sets this so that a missing Airflow or Chromium fails the run instead of skipping.
REQUIRE_ALL = os.environ.get("FLOWLYTICS_REQUIRE_ALL") == "1"
# The browser tests' Chromium, driven by Playwright.
CHROMIUM = os.environ.get("FLOWLYTICS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

log_paths: list[Path] = []  # the running Airflow's log, for failure reports


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (FLOWLYTICS_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


def require_chromium() -> None:
    """Skip (fail under FLOWLYTICS_REQUIRE_ALL) unless there is a Chromium at CHROMIUM and Playwright."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"no Chromium at {CHROMIUM} (set FLOWLYTICS_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """The Chromium at CHROMIUM, headless with CHROMIUM_ARGS, as a Playwright Browser; closed on exit.
    Call require_chromium() first. Browsers opened while another is open share one Playwright driver: Playwright
    refuses a second sync driver in a thread that already runs one (a test's own browser beside a module's)."""
    from playwright.sync_api import sync_playwright

    if _driver["playwright"] is None:
        _driver["manager"] = sync_playwright()
        _driver["playwright"] = _driver["manager"].start()
    _driver["users"] += 1
    try:
        browser = _driver["playwright"].chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        _driver["users"] -= 1
        if _driver["users"] == 0:
            _driver["manager"].__exit__(None, None, None)
            _driver["playwright"] = _driver["manager"] = None


_driver: dict[str, Any] = {"manager": None, "playwright": None, "users": 0}


def log_in(page: Any, airflow: Airflow, plugin_path: str, *, user: str = "admin") -> None:
    """Open a plugin page unauthenticated: Airflow sends the browser to its own login page, which sends
    it back to the plugin page after signing in as admin (or as VIEWER)."""
    page.goto(f"{airflow.base_url}{plugin_path}")
    page.wait_for_url("**/auth/login**")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(airflow.viewer_password if user == VIEWER else airflow.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{plugin_path}**")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The end of the Airflow log, without the API server's access log, which would drown the errors."""
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"(no log: {error})"
    return "\n".join([line for line in text.splitlines() if "[http.access]" not in line][-lines:])


def wait_until(what: str, check: Callable[[], Any], timeout: float, interval: float = 1.0) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` and the Airflow log on timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except (httpx.HTTPError, KeyError, ValueError) as error:
            last_error, result = error, None
        if result:
            return result
        time.sleep(interval)
    tail = log_tail(log_paths[-1]) if log_paths else ""
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error})\n{tail}")


@dataclass
class Airflow:
    base_url: str
    home: Path
    data_dir: Path
    log_path: Path
    env: dict[str, str]
    password: str
    ingest_key: str
    process: subprocess.Popen[bytes]
    timings: dict[str, float] = field(default_factory=dict)
    _token: str | None = None
    read_key: str = ""  # a [flowlytics] read key; also the password of connection flowlytics_default
    admin_key: str = ""  # a [flowlytics] admin key (may edit node metadata)
    viewer_password: str = ""  # the password of the Airflow user VIEWER

    def token_of(self, username: str, password: str) -> str:
        """An Airflow JWT for a user, from the same endpoint the UI's login uses."""
        with self.client() as client:
            response = client.post("/auth/token", json={"username": username, "password": password})
            response.raise_for_status()
            return str(response.json()["access_token"])

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0)

    @property
    def token(self) -> str:
        """An Airflow JWT for the admin, from the same endpoint the UI's login uses."""
        if self._token is None:
            self._token = self.token_of("admin", self.password)
        return self._token

    def api(self) -> httpx.Client:
        return self.client(self.token)

    def alive(self) -> bool:
        return self.process.poll() is None


def airflow_env(
    home: Path, data_dir: Path, port: int, ingest_key: str, *, read_key: str = "", admin_key: str = ""
) -> dict[str, str]:
    """The demo's configuration (scripts/airflow_env.sh) on top of a clean environment."""
    base = {
        key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "OPENLINEAGE", "FLOWLYTICS"))
    }
    inputs = {
        "FLOWLYTICS_AIRFLOW_HOME": str(home),
        "FLOWLYTICS_INGEST_KEY": ingest_key,
        "FLOWLYTICS_READ_KEY": read_key,
        "FLOWLYTICS_ADMIN_KEY": admin_key,
        "FLOWLYTICS_DEMO_PORT": str(port),
        "FLOWLYTICS_DEMO_DATA": str(data_dir),
        "FLOWLYTICS_LOG_SERVER_PORT": str(free_port()),
        "FLOWLYTICS_TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }
    dump = subprocess.run(
        ["bash", "-c", 'source "$1" && env -0', "bash", str(REPO / "scripts" / "airflow_env.sh")],
        env={**base, **inputs},
        check=True,
        capture_output=True,
    ).stdout
    env = dict(item.split("=", 1) for item in dump.decode().split("\0") if "=" in item)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Stop `airflow standalone` and everything it started (its own process group)."""
    for sig, grace in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)  # any process of the group left?
            except ProcessLookupError:
                process.poll()
                return
            process.poll()  # reap the leader so that the group can empty
            time.sleep(0.3)


@dataclass
class DemoRuns:
    """The triggered demo runs, as Airflow and Flowlytics report them."""

    dag_run_ids: dict[str, str]  # dag_id -> Airflow dag_run_id
    dag_runs: dict[str, dict[str, Any]]  # dag_id -> Flowlytics run of the DAG run
    task_runs: dict[str, dict[str, dict[str, Any]]]  # dag_id -> task_id -> Flowlytics run


def flowlytics_dag_run(client: httpx.Client, dag_id: str, dag_run_id: str) -> dict[str, Any] | None:
    """The Flowlytics run of one Airflow DAG run, matched on the run_id in its `airflowDagRun` facet."""
    response = client.get("/flowlytics/api/v1/runs", params={"jobNodeId": f"job:{NAMESPACE}:{dag_id}"})
    response.raise_for_status()
    for item in response.json()["items"]:
        detail = client.get(f"/flowlytics/api/v1/runs/{item['runId']}").json()
        if detail["facets"].get("airflowDagRun", {}).get("dagRun", {}).get("run_id") == dag_run_id:
            return dict(detail)
    return None


# The gated demo DAGs (dags/flowlytics_demo_*.py that use flowlytics_plugin.gates).
REJECTS_ARCHIVE = "flowlytics_demo_rejects_archive"  # both gates, both forms: passes
SCHEMA_CHANGE = "flowlytics_demo_orders_schema_change"  # impact gate on a table with a critical consumer: fails
PAYMENTS_REPORT = "flowlytics_demo_payments_report"  # sensor on the failing payments DAG's output: times out
GATE_DAGS = (REJECTS_ARCHIVE, SCHEMA_CHANGE, PAYMENTS_REPORT)
# What scripts/demo.sh also marks critical, through PATCH /api/v1/nodes/{nodeId}/metadata.
CRITICAL_DATASET = "marts/customer_revenue.csv"
CRITICAL_METADATA = {"criticality": "critical", "owners": ["team:finance"], "sla": {"latestArrival": "07:00"}}
FINAL_TASK_STATES = {"success", "failed", "skipped", "upstream_failed", "removed"}


def demo_dataset_id(data_dir: Path, rel: str) -> str:
    """The Flowlytics node id of a demo file: OpenLineage's naming for local files (namespace `file`)."""
    return f"dataset:file:{data_dir / rel}"


def trigger_dag(client: httpx.Client, dag_id: str, conf: dict[str, Any] | None = None) -> str:
    """Unpause and trigger a DAG now; returns the dag_run_id."""
    client.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
    response = client.post(f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
    response.raise_for_status()
    return str(response.json()["dag_run_id"])


def task_instances(client: httpx.Client, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
    """task_id -> task instance (state, try_number, start_date, ...) of one DAG run."""
    response = client.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
    response.raise_for_status()
    return {ti["task_id"]: ti for ti in response.json()["task_instances"]}


def task_log(client: httpx.Client, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
    """A task try's whole log as text: every string in Airflow's structured log lines (events, exception
    messages), one per line."""
    response = client.get(
        f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
        params={"full_content": "true"},
        headers={"Accept": "application/json"},
    )
    response.raise_for_status()
    lines: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            lines.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(response.json()["content"])
    return "\n".join(lines)


@dataclass(frozen=True)
class CapturedMail:
    mail_from: str
    to: tuple[str, ...]
    subject: str
    text: str


class MailCapture:
    """An aiosmtpd handler that keeps every message it receives (the e2e Airflow's `smtp_url` points at it)."""

    def __init__(self) -> None:
        self._messages: list[CapturedMail] = []
        self._lock = threading.Lock()
        self.url = ""  # smtp://127.0.0.1:<port>?from=..., set once it listens

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        mail = CapturedMail(
            mail_from=str(envelope.mail_from),
            to=tuple(envelope.rcpt_tos),
            subject=str(message["Subject"] or ""),
            text=body.get_content() if body is not None else "",
        )
        with self._lock:
            self._messages.append(mail)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[CapturedMail]:
        with self._lock:
            return [m for m in self._messages if address in m.to]
