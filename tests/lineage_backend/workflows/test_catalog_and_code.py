"""The catalog (events, built-in and deployment operations) and the DAG code's safety, without Airflow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lineage_backend.workflows.catalog import (
    BUILTIN_OPERATIONS,
    Catalog,
    CatalogConfigError,
    CatalogEvent,
    load_events,
    load_operations,
)
from lineage_backend.workflows.dag_code import join_nodes, task_edges
from lineage_backend.workflows.draft import make_draft
from tests.lineage_backend.workflows.helpers import corpus_catalog

CATALOG = corpus_catalog()


def test_builtin_operations_include_the_gates() -> None:
    targets = {operation.id: operation.target for operation in BUILTIN_OPERATIONS}
    assert targets["wait_for_health"] == "flowlytics_plugin.gates.UpstreamHealthSensor"
    assert targets["impact_gate"] == "flowlytics_plugin.gates.ImpactGateOperator"
    assert {"run_sql", "copy_file", "call_http", "notify"} <= set(targets)
    for operation in BUILTIN_OPERATIONS:  # every built-in target exists
        module, _, name = operation.target.replace(":", ".").rpartition(".")
        assert hasattr(__import__(module, fromlist=[name]), name), operation.target


def test_operations_from_a_python_module() -> None:
    (enrich,) = load_operations("tests.lineage_backend.workflows.sample_operations")
    catalog = Catalog([CatalogEvent(id="asset:x", kind="asset", name="x")], [enrich])
    draft = make_draft("When x is updated, add customer data on it, then enrich it", catalog)
    assert draft.issues == [] and draft.workflow is not None
    assert [node.operation for node in draft.workflow.nodes[1:]] == ["enrich", "enrich"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("operations: {a: 1}", "must hold a list"),
        ("operations:\n  - {id: run_sql, name: x, target: 'm:f'}", "is built in"),
        ("operations:\n  - {id: ok, name: x, target: 'os.system(1)'}", "operation #1"),
        ("operations:\n  - {id: ok, name: x, target: 'm:f', surprise: 1}", "operation #1"),
        ("operations: [", "not valid YAML"),
    ],
)
def test_bad_operation_files_say_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "operations.yaml"
    path.write_text(content)
    with pytest.raises(CatalogConfigError, match=message):
        load_operations(str(path))


def test_missing_operation_sources() -> None:
    with pytest.raises(CatalogConfigError, match="does not exist"):
        load_operations("/nowhere/operations.yaml")
    with pytest.raises(CatalogConfigError, match="cannot be imported"):
        load_operations("no_such_package.operations")
    assert load_operations("") == []


def test_events_file_accepts_the_catalog_answer(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text('{"events": [{"id": "asset:a", "kind": "asset", "name": "a"}], "operations": []}')
    assert [event.id for event in load_events(path)] == ["asset:a"]
    path.write_text('[{"id": "asset:a", "kind": "nonsense", "name": "a"}]')
    with pytest.raises(CatalogConfigError, match="event #1"):
        load_events(path)


def test_events_match_by_name_tail_and_alias_never_by_guess() -> None:
    assert CATALOG.find_event("the orders").id == "dataset:postgres://db:5432:shop.public.orders"
    assert CATALOG.find_event("invoices").id == "dataset:file:/data/invoices.csv"
    assert CATALOG.find_event("Order_File").id == "asset:order_file"
    assert CATALOG.find_event("order fil") is None
    suggestions = CATALOG.event_suggestions("order fil")
    assert suggestions[0] == "order file" and not [s for s in suggestions if ":" in s]


def test_operation_is_the_longest_matching_prefix() -> None:
    operation, size = CATALOG.match_operation(["wait", "for", "dataset", "health", "now"])
    assert (operation.id if operation else None, size) == ("wait_for_health", 4)
    operation, size = CATALOG.match_operation(["check", "impact", "of"])
    assert (operation.id if operation else None, size) == ("impact_gate", 2)
    operation, size = CATALOG.match_operation(["check", "it"])
    assert (operation.id if operation else None, size) == ("check", 1)


def test_written_text_never_becomes_code() -> None:
    evil = "'); import os; os.system('echo pwned'); print('"
    text = f'When order file lands, check it, then load it into "{evil}"\n"""\nimport os'
    draft = make_draft(text.replace('"""\nimport os', ""), CATALOG)
    assert draft.dag_code is not None, draft.issues
    tree = ast.parse(draft.dag_code)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    plain_imports = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert "os" not in imported and plain_imports == {"pendulum"}
    constants = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]
    assert any(isinstance(value, dict) or (isinstance(value, str) and evil in value) for value in constants)
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert "print" not in calls
    # The source text is kept as comments, line by line.
    assert all(line.startswith("#") for line in draft.dag_code.splitlines()[:3])


def test_join_rule_only_where_branches_meet() -> None:
    rejoin = make_draft(
        "When order file lands, if status is a then load it into x, otherwise archive it. Refresh dashboard.", CATALOG
    )
    assert rejoin.workflow is not None
    assert [rejoin.workflow.node(n).label for n in join_nodes(rejoin.workflow)] == ["refresh dashboard"]
    assert ("status_is_a_2", "load_it_into_x_3") in task_edges(rejoin.workflow)
    parallel = make_draft("When order file lands, at the same time archive it and check it. Refresh dashboard", CATALOG)
    assert parallel.workflow is not None and join_nodes(parallel.workflow) == set()


def test_the_demo_draft_is_clean_against_the_demo_catalog() -> None:
    """scripts/demo.sh saves this draft; the demo pipeline's feed and its operations file make it valid."""
    demo = Path(__file__).resolve().parents[3]
    script = (demo / "scripts" / "demo.sh").read_text()
    text = script.split('DEMO_DRAFT_TEXT="', 1)[1].split('"', 1)[0]
    operations = load_operations(str(demo / "dags" / "flowlytics_demo" / "workflow_operations.yaml"))
    feed = "/tmp/flowlytics_demo/source/orders_feed.csv"
    event = CatalogEvent(id=f"dataset:file:{feed}", kind="dataset", name=feed, namespace="file")
    draft = make_draft(text, Catalog([event], operations))
    assert draft.issues == [] and draft.dag_code is not None
    assert draft.workflow is not None and draft.workflow.trigger is not None
    assert draft.workflow.trigger.event_id == f"dataset:file:{feed}"
    assert len(draft.test_events) == 2


def test_a_short_name_two_datasets_share_is_reported_not_guessed() -> None:
    staging = CatalogEvent(id="dataset:file:/d/staging/orders.csv", kind="dataset", name="/d/staging/orders.csv")
    warehouse = CatalogEvent(id="dataset:file:/d/warehouse/orders.csv", kind="dataset", name="/d/warehouse/orders.csv")
    catalog = Catalog([staging, warehouse], corpus_catalog().operations[6:])
    assert catalog.find_event("orders.csv") is None and len(catalog.event_matches("orders")) == 2
    draft = make_draft("When orders.csv lands, check it", catalog)
    (issue,) = [issue for issue in draft.issues if issue.code == "WF002"]
    assert "names 2 events" in issue.message and '"dataset:file:/d/warehouse/orders.csv"' in issue.message
    # Written in full, as the message says, it is one event.
    exact = make_draft('When "dataset:file:/d/warehouse/orders.csv" lands, check it', catalog)
    assert exact.issues == [] and exact.workflow is not None and exact.workflow.trigger is not None
    assert exact.workflow.trigger.event_id == warehouse.id
    step = make_draft('When "dataset:file:/d/warehouse/orders.csv" lands, check it, then load on orders', catalog)
    assert [issue.code for issue in step.issues] == ["WF024"]
