"""A real Airflow for the end-to-end tests: `airflow standalone` with the Flowlytics plugin, the real
OpenLineage provider posting to it, SQLite, and the demo DAGs from dags/.

One Airflow per test session (it takes ~25-40 s to start on 2 cores), configured by the same
scripts/airflow_env.sh the demo uses, on free ports and in a temporary AIRFLOW_HOME. The whole process
group is killed at teardown; a failing test gets the tail of the Airflow log in its report.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.harness import (
    CRITICAL_DATASET,
    CRITICAL_METADATA,
    EXPECTED_TASKS,
    RUN_TIMEOUT,
    START_TIMEOUT,
    VIEWER,
    Airflow,
    DemoRuns,
    MailCapture,
    airflow_env,
    demo_dataset_id,
    flowlytics_dag_run,
    free_port,
    log_paths,
    log_tail,
    skip_or_fail,
    stop_process_group,
    wait_until,
)


@pytest.fixture(scope="session", autouse=True)
def patient_assertions() -> Iterator[None]:
    """Assertions wait as long as actions do (30 s). Playwright's default is 5 s, and under load Airflow's
    UI and the plugin can take longer than that to render a tab: a test failed that way on a loaded run.
    This is a hang guard, not a speed check."""
    try:
        from playwright.sync_api import expect
    except ImportError:  # the e2e tests skip or fail on their own without Playwright
        yield
        return
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="session")
def mail_capture() -> Iterator[MailCapture | None]:
    """An SMTP server capturing what the session's Airflow e-mails (aiosmtpd, from the test extra); None
    without aiosmtpd, and the tests that read mail then skip (or fail under FLOWLYTICS_REQUIRE_ALL)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        yield None
        return
    capture = MailCapture()
    port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    capture.url = f"smtp://127.0.0.1:{port}?from=flowlytics-e2e@localhost"
    try:
        yield capture
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def airflow(tmp_path_factory: pytest.TempPathFactory, mail_capture: MailCapture | None) -> Iterator[Airflow]:
    if importlib.util.find_spec("airflow.providers.openlineage") is None:
        skip_or_fail("apache-airflow and its OpenLineage provider are not installed (pip install -e '.[airflow]')")
    executable = Path(sys.executable).parent / "airflow"
    if not executable.exists():
        skip_or_fail(f"no airflow executable beside {sys.executable}")

    root = tmp_path_factory.mktemp("airflow")
    home, data_dir = root / "home", root / "data"
    home.mkdir()
    data_dir.mkdir()
    port = free_port()
    ingest_key = secrets.token_hex(16)
    read_key, admin_key = secrets.token_hex(16), secrets.token_hex(16)
    password, viewer_password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    # SimpleAuthManager keeps passwords already in this file: the tests know the admin's and the viewer's.
    passwords = {"admin": password, VIEWER: viewer_password}
    (home / "simple_auth_manager_passwords.json.generated").write_text(json.dumps(passwords))
    env = airflow_env(home, data_dir, port, ingest_key, read_key=read_key, admin_key=admin_key)
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    # A Viewer besides the demo's admin: may read every DAG, edit none.
    env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] += f",{VIEWER}:viewer"
    if mail_capture is not None:  # alert e-mail goes to the session's SMTP capture
        env["AIRFLOW__FLOWLYTICS__SMTP_URL"] = mail_capture.url

    log_path = root / "airflow.log"
    log_paths.append(log_path)
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(executable), "standalone"],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: one killpg stops every component
        )
    server = Airflow(
        base_url=f"http://127.0.0.1:{port}",
        home=home,
        data_dir=data_dir,
        log_path=log_path,
        env=env,
        password=password,
        ingest_key=ingest_key,
        process=process,
        read_key=read_key,
        admin_key=admin_key,
        viewer_password=viewer_password,
    )
    try:

        def healthy() -> bool:
            if not server.alive():
                pytest.fail(f"airflow standalone exited with {process.returncode}\n{log_tail(log_path)}")
            with server.client() as client:
                return client.get("/api/v2/monitor/health").status_code == 200

        wait_until("Airflow's health endpoint", healthy, START_TIMEOUT)
        server.timings["ready"] = time.monotonic() - started

        def parsed() -> bool:
            with server.api() as client:
                errors = client.get("/api/v2/importErrors").json()["import_errors"]
                if errors:
                    pytest.fail(f"DAG import errors: {json.dumps(errors, indent=1)}")
                return all(client.get(f"/api/v2/dags/{dag_id}").status_code == 200 for dag_id in EXPECTED_TASKS)

        wait_until("the demo DAGs to be parsed", parsed, START_TIMEOUT, interval=2.0)
        server.timings["parsed"] = time.monotonic() - started
        yield server
    finally:
        stop_process_group(process)
        print(f"\nAirflow e2e timings (s): {server.timings}", file=sys.stderr)


@pytest.fixture(scope="session")
def demo_runs(airflow: Airflow) -> DemoRuns:
    """Trigger both demo DAGs once and wait until Flowlytics has every run in a final state."""
    triggered = time.monotonic()
    dag_run_ids: dict[str, str] = {}
    with airflow.api() as client:
        for dag_id in EXPECTED_TASKS:
            client.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
            response = client.post(f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None})
            response.raise_for_status()
            dag_run_ids[dag_id] = response.json()["dag_run_id"]

        def airflow_done() -> bool:
            states = {
                dag_id: client.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
                for dag_id, run_id in dag_run_ids.items()
            }
            return all(state in ("success", "failed") for state in states.values())

        wait_until("the demo DAG runs to finish in Airflow", airflow_done, RUN_TIMEOUT, interval=2.0)
        airflow.timings["dag_runs_done_after_trigger"] = time.monotonic() - triggered

        def flowlytics_done() -> DemoRuns | None:
            dag_runs: dict[str, dict[str, Any]] = {}
            task_runs: dict[str, dict[str, dict[str, Any]]] = {}
            runs = client.get("/flowlytics/api/v1/runs", params={"limit": 1000}).json()["items"]
            for dag_id, run_id in dag_run_ids.items():
                dag_run = flowlytics_dag_run(client, dag_id, run_id)
                if dag_run is None or dag_run["state"] == "RUNNING":
                    return None
                dag_runs[dag_id] = dag_run
                task_runs[dag_id] = {
                    run["job"]["name"].removeprefix(f"{dag_id}."): run
                    for run in runs
                    if run["parentRunId"] == dag_run["runId"]
                }
                if set(task_runs[dag_id]) != EXPECTED_TASKS[dag_id] or any(
                    run["state"] == "RUNNING" for run in task_runs[dag_id].values()
                ):
                    return None
            return DemoRuns(dag_run_ids, dag_runs, task_runs)

        # A hang guard: on a loaded machine the provider's last events can arrive minutes after the runs end.
        result: DemoRuns = wait_until("Flowlytics to have every demo run", flowlytics_done, 300.0, 1.0)
    airflow.timings["lineage_complete_after_trigger"] = time.monotonic() - triggered
    return result


@pytest.fixture(scope="session")
def critical_dataset(airflow: Airflow, demo_runs: DemoRuns) -> str:
    """Mark the demo's revenue mart critical (owners team:finance) with the admin key, as scripts/demo.sh
    does once the pipeline has run (metadata attaches to a node Flowlytics knows). Returns its node id."""
    node_id = demo_dataset_id(airflow.data_dir, CRITICAL_DATASET)
    with airflow.client(airflow.admin_key) as admin:
        response = admin.patch(f"/flowlytics/api/v1/nodes/{quote(node_id, safe='')}/metadata", json=CRITICAL_METADATA)
        assert response.status_code == 200, response.text
        assert response.json()["criticality"] == "critical", response.json()
    return node_id


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and log_paths and "airflow" in getattr(item, "fixturenames", ()):
        report.sections.append(("Airflow log (tail)", log_tail(log_paths[-1])))
    return report
