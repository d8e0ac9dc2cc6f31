"""Generated DAG drafts in a real Airflow 3: ruff's AIR rules, a DagBag with no import errors, the task graph
equal to the model's, join trigger rules, and dag.test() on each sample event taking the expected path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("airflow")

from lineage_backend.workflows.dag_code import JOIN_RULE, join_nodes, task_edges, task_nodes
from lineage_backend.workflows.draft import Draft, make_draft
from tests.lineage_backend.workflows.helpers import cases, corpus_catalog

CATALOG = corpus_catalog()
VALID = cases("valid.yaml")
RUNNER = Path(__file__).with_name("dag_runner.py")
REPO = Path(__file__).resolve().parents[3]
# Cases whose every path is run with dag.test() (the gates need a Flowlytics server: imported only).
RUN = {
    "the issue's example, in one sentence",
    "a decision that rejoins",
    "both branches rejoin at the next step",
    "else-if chain on one value, exhaustive by otherwise",
    "a stop branch",
    "a loop over items",
    "parallel steps",
    "two decisions in a row",
    "conditions with parentheses",
}


def dag_id(index: int) -> str:
    return f"wf_corpus_{index:02d}"


@pytest.fixture(scope="module")
def drafts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[dict[str, Any], Draft]]]:
    folder = tmp_path_factory.mktemp("dags")
    out = {}
    for index, case in enumerate(VALID):
        draft = make_draft(case["text"], CATALOG, dag_id=dag_id(index))
        assert draft.dag_code is not None, (case["name"], draft.issues)
        (folder / f"{dag_id(index)}.py").write_text(draft.dag_code)
        out[dag_id(index)] = (case, draft)
    return folder, out


@pytest.fixture(scope="module")
def airflow_report(
    drafts: tuple[Path, dict[str, tuple[dict[str, Any], Draft]]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    folder, by_id = drafts
    home = tmp_path_factory.mktemp("airflow-home")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "FLOWLYTICS_WORKFLOW_DRY_RUN": "1",
        "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    runs = {
        identifier: [sample.event for sample in draft.test_events]
        for identifier, (case, draft) in by_id.items()
        if case["name"] in RUN
    }
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(folder)],
        input=json.dumps(runs),
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("FLOWLYTICS-REPORT ")), None)
    assert line is not None, done.stderr[-4000:]
    report: dict[str, Any] = json.loads(line.split(" ", 1)[1])
    return report


def test_generated_dags_pass_ruff_air_rules(drafts: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = drafts
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", "AIR,F,E9", str(folder)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


def test_dagbag_imports_every_draft(airflow_report: dict[str, Any], drafts: tuple[Path, dict[str, Any]]) -> None:
    _, by_id = drafts
    assert airflow_report["importErrors"] == {}
    assert sorted(airflow_report["dags"]) == sorted(by_id)


def test_task_graph_equals_the_models(airflow_report: dict[str, Any], drafts: tuple[Path, dict[str, Any]]) -> None:
    _, by_id = drafts
    for identifier, (case, draft) in by_id.items():
        workflow = draft.workflow
        tasks = airflow_report["dags"][identifier]["tasks"]
        assert sorted(tasks) == sorted(node.task_id for node in task_nodes(workflow)), case["name"]
        edges = {(task, down) for task, info in tasks.items() for down in info["downstream"]}
        assert edges == task_edges(workflow), case["name"]
        joins = {workflow.node(node_id).task_id for node_id in join_nodes(workflow)}
        for task, info in tasks.items():
            expected = JOIN_RULE if task in joins else "all_success"
            assert info["triggerRule"] == expected, (case["name"], task)


def test_joins_after_branches_get_the_join_rule(drafts: tuple[Path, dict[str, Any]]) -> None:
    _, by_id = drafts
    joined = {case["name"]: draft for case, draft in by_id.values()}
    rejoin = joined["both branches rejoin at the next step"]
    assert [rejoin.workflow.node(n).label for n in join_nodes(rejoin.workflow)] == ["refresh dashboard"]
    assert f"trigger_rule={JOIN_RULE!r}" in rejoin.dag_code
    parallel = joined["parallel steps"]  # a parallel join below no decision keeps all_success
    assert join_nodes(parallel.workflow) == set()


def test_dag_test_takes_the_expected_path_for_each_sample_event(
    airflow_report: dict[str, Any], drafts: tuple[Path, dict[str, Any]]
) -> None:
    _, by_id = drafts
    checked = 0
    for identifier, (case, draft) in by_id.items():
        if case["name"] not in RUN:
            continue
        runs = airflow_report["dags"][identifier]["runs"]
        assert len(runs) == len(draft.test_events) >= 1
        if any(node.kind == "decision" for node in draft.workflow.nodes):
            assert len(draft.test_events) >= 2, case["name"]  # one event per path
        for sample, run in zip(draft.test_events, runs, strict=True):
            ran = sorted(task for task, state in run["tasks"].items() if state == "success")
            skipped = sorted(task for task, state in run["tasks"].items() if state == "skipped")
            assert run["state"] == "success", (case["name"], sample.name, run)
            assert ran == sorted(sample.expected_tasks), (case["name"], sample.name)
            assert skipped == sorted(sample.skipped_tasks), (case["name"], sample.name)
            checked += 1
            print(f"{case['name']}: {sample.name}: ran {ran}, skipped {skipped}")
    assert checked >= 18


def test_the_issues_example_paths(drafts: tuple[Path, dict[str, Any]]) -> None:
    _, by_id = drafts
    draft = next(d for case, d in by_id.values() if case["name"] == "the issue's example, in one sentence")
    by_choice = {tuple(sample.choices): sample for sample in draft.test_events}
    invalid = by_choice[("more than 1 % of rows are invalid",)]
    assert invalid.event["invalid_rows_percent"] > 1 and "notify_data_ops_4" in invalid.expected_tasks
    clean = by_choice[("otherwise",)]
    assert clean.event["invalid_rows_percent"] <= 1 and "load_it_into_warehouse_5" in clean.expected_tasks


def test_airflow_assets_become_catalog_events(airflow_report: dict[str, Any]) -> None:
    assets = {event["id"]: event for event in airflow_report["assets"]}
    order_file = assets["asset:order_file"]
    assert order_file["kind"] == "asset" and order_file["uri"] == "file://landing/orders.csv"
    assert order_file["datasetId"] == "dataset:file:/orders.csv"
    # A Flowlytics dataset used as a trigger is declared as an asset that the producer must update.
    assert any(event["uri"].startswith("flowlytics://dataset/") for event in airflow_report["assets"])
