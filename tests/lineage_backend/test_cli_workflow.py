"""`flowlytics workflow draft FILE`: paraphrase and issues out, DAG and Mermaid files written, exit codes for CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.lineage_backend.workflows.helpers import CORPUS

EXAMPLE = (
    "When an order file lands, check it, if more than 1 % rows are invalid notify data-ops otherwise load it "
    "into the warehouse\n"
)


def catalog_files(tmp_path: Path) -> tuple[Path, Path]:
    corpus = yaml.safe_load((CORPUS / "catalog.yaml").read_text())
    events, operations = tmp_path / "events.json", tmp_path / "operations.yaml"
    events.write_text(json.dumps({"events": corpus["events"]}))
    operations.write_text(yaml.safe_dump({"operations": corpus["operations"]}))
    return events, operations


def flowlytics(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage_backend.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_a_clean_draft_writes_the_dag_the_mermaid_and_the_events(tmp_path: Path) -> None:
    events, operations = catalog_files(tmp_path)
    source = tmp_path / "orders.txt"
    source.write_text(EXAMPLE)
    done = flowlytics(
        "workflow", "draft", str(source), "--out", "dags/orders.py", "--mermaid", "docs/orders.mmd",
        "--test-events", "orders.events.json", "--events", str(events), "--operations", str(operations),
        "--dag-id", "orders_quality", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "1. When order file is updated."
    dag = (tmp_path / "dags" / "orders.py").read_text()
    assert "dag_id='orders_quality'" in dag and "from airflow.sdk import Asset, dag, task" in dag
    compile(dag, "orders.py", "exec")
    assert (tmp_path / "docs" / "orders.mmd").read_text().startswith("flowchart TD\n")
    samples = json.loads((tmp_path / "orders.events.json").read_text())
    assert sorted(len(sample["expectedTasks"]) for sample in samples) == [3, 3]
    assert "DAG draft written to dags/orders.py" in done.stderr


def test_a_draft_with_errors_exits_1_and_writes_no_dag(tmp_path: Path) -> None:
    events, operations = catalog_files(tmp_path)
    source = tmp_path / "broken.txt"
    source.write_text("When order file lands\nif status is bad then stop\nload it into warehouse\n")
    done = flowlytics(
        "workflow", "draft", str(source), "--out", "dags/broken.py", "--mermaid", "broken.mmd",
        "--events", str(events), "--operations", str(operations), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert f"{source}:2:1: error WF006: undefined condition" in done.stderr
    assert "no DAG written" in done.stderr
    assert not (tmp_path / "dags" / "broken.py").exists()
    assert "n2_gap" not in (tmp_path / "broken.mmd").read_text()  # drawn with its dotted "not defined" edge
    assert '-.->|"not defined"|' in (tmp_path / "broken.mmd").read_text()


def test_without_a_catalog_every_event_is_unknown(tmp_path: Path) -> None:
    source = tmp_path / "orders.txt"
    source.write_text(EXAMPLE)
    done = flowlytics("workflow", "draft", str(source), cwd=tmp_path)
    assert done.returncode == 1
    assert "error WF002: unknown event 'order file'" in done.stderr


def test_unreadable_inputs_exit_2(tmp_path: Path) -> None:
    missing = flowlytics("workflow", "draft", str(tmp_path / "nope.txt"), cwd=tmp_path)
    assert missing.returncode == 2 and "nope.txt" in missing.stderr
    source = tmp_path / "orders.txt"
    source.write_text(EXAMPLE)
    bad_ops = flowlytics("workflow", "draft", str(source), "--operations", "no.such.module", cwd=tmp_path)
    assert bad_ops.returncode == 2 and "cannot be imported" in bad_ops.stderr


def test_the_database_adds_the_datasets_flowlytics_has_seen(tmp_path: Path) -> None:
    from lineage_backend.db import Database
    from lineage_backend.store.migrate import upgrade
    from lineage_backend.store.models import Dataset

    url = f"sqlite:///{tmp_path / 'f.db'}"
    database = Database.from_url(url)
    upgrade(database.engine)
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    database.run(
        lambda session: session.add(
            Dataset(namespace="postgres://db:5432", name="shop.public.orders", facets={}, facet_times={},
                    created_at=now, updated_at=now)
        )
    )  # fmt: skip
    database.engine.dispose()
    source = tmp_path / "orders.txt"
    source.write_text("Every day at 06:00, run sql on orders\n")
    done = flowlytics("workflow", "draft", str(source), "--db-url", url, "--out", "x.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "dataset_id='dataset:postgres://db:5432:shop.public.orders'" in (tmp_path / "x.py").read_text()


def test_a_dag_id_the_code_cannot_take_is_an_error(tmp_path: Path) -> None:
    events, operations = catalog_files(tmp_path)
    source = tmp_path / "orders.txt"
    source.write_text(EXAMPLE)
    done = flowlytics(
        "workflow", "draft", str(source), "--events", str(events), "--operations", str(operations),
        "--dag-id", "orders; import os", "--out", "x.py", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1 and "error WF099: no DAG: dag id" in done.stderr
    assert not (tmp_path / "x.py").exists()
