"""Property: shuffled and duplicated deliveries converge on the state of in-order ingestion."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage_backend.db import Database
from lineage_backend.ingest.bulk import store_events
from lineage_backend.ingest.parse import parse_event
from tests.conftest import CORPUS
from tests.lineage_backend.events import dataset, output_stats, parent_facet, run_event
from tests.lineage_backend.snapshot import snapshot


def lifecycle(rng: random.Random, dag_index: int) -> list[dict[str, Any]]:
    """A DAG run and its tasks as the Airflow provider emits them, in emission order."""
    dag, dag_run = f"dag_{dag_index}", str(uuid.UUID(int=rng.getrandbits(128)))
    base = dag_index * 1000
    events = [
        run_event(
            "START",
            run_id=dag_run,
            job=dag,
            seconds=base,
            job_facets={"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}},
        )
    ]
    final = "COMPLETE"
    for task in range(rng.randint(1, 4)):
        task_run = str(uuid.UUID(int=rng.getrandbits(128)))
        parent = {"parent": parent_facet(dag_run, dag)}
        start = base + 10 * task + 1
        table = dataset("pg", f"t_{dag_index}_{task}", schema={"fields": [{"name": "id", "type": "int"}]})
        events.append(run_event("START", run_id=task_run, job=f"{dag}.t{task}", seconds=start, run_facets=parent))
        if rng.random() < 0.5:  # Spark-style RUNNING with partial statistics
            events.append(
                run_event(
                    "RUNNING",
                    run_id=task_run,
                    job=f"{dag}.t{task}",
                    seconds=start + 1,
                    outputs=[{**table, "outputFacets": output_stats(rng.randint(1, 50))}],
                    run_facets=parent,
                )
            )
        outcome = rng.choice(["COMPLETE", "COMPLETE", "FAIL", "ABORT"])
        facets = dict(parent)
        if outcome == "FAIL":
            facets["errorMessage"] = {"message": f"boom {task}", "programmingLanguage": "python"}
            final = "FAIL"
        events.append(
            run_event(
                outcome,
                run_id=task_run,
                job=f"{dag}.t{task}",
                seconds=start + 5,
                inputs=[dataset("file", f"/in/{dag_index}.csv")],
                outputs=[{**table, "outputFacets": output_stats(rng.randint(51, 500))}],
                run_facets=facets,
                job_facets={"sql": {"query": f"insert {task}"}},
            )
        )
        if rng.random() < 0.5:  # a Spark application launched by the task: three levels, no root facet
            spark_run = str(uuid.UUID(int=rng.getrandbits(128)))
            spark_parent = {"parent": parent_facet(task_run, f"{dag}.t{task}")}
            events.append(
                run_event(
                    "START",
                    run_id=spark_run,
                    job=f"spark_{dag_index}_{task}",
                    namespace="spark",
                    seconds=start + 2,
                    run_facets=spark_parent,
                )
            )
            events.append(
                run_event(
                    "COMPLETE",
                    run_id=spark_run,
                    job=f"spark_{dag_index}_{task}",
                    namespace="spark",
                    seconds=start + 3,
                    run_facets=spark_parent,
                )
            )
    events.append(run_event(final, run_id=dag_run, job=dag, seconds=base + 100))
    return events


def ingest(database: Database, events: list[dict[str, Any]], *, batch: int) -> dict[str, Any]:
    parsed = [parse_event(e) for e in events]
    received = datetime.now(timezone.utc)
    for start in range(0, len(parsed), batch):
        chunk = parsed[start : start + batch]
        database.run(lambda session, chunk=chunk: store_events(chunk, session=session, received_at=received))
    return database.read(snapshot)


def fresh(tmp_path: Path, template: Path, name: str) -> Database:
    import shutil

    path = tmp_path / f"{name}.db"
    shutil.copy(template, path)
    return Database.from_url(f"sqlite:///{path}")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32 - 1),
    dags=st.integers(1, 6),
    duplicate_ratio=st.floats(0, 0.5),
    batch=st.sampled_from([1, 3, 50]),
)
def test_any_arrival_order_with_duplicates_gives_the_in_order_state(
    tmp_path: Path, _sqlite_template: Path, seed: int, dags: int, duplicate_ratio: float, batch: int
) -> None:
    rng = random.Random(seed)
    events = [event for dag in range(dags) for event in lifecycle(rng, dag)]
    tag = uuid.uuid4().hex
    in_order = ingest(fresh(tmp_path, _sqlite_template, f"ordered-{tag}"), events, batch=len(events))

    delivered = events + [rng.choice(events) for _ in range(int(len(events) * duplicate_ratio))]
    rng.shuffle(delivered)
    shuffled = ingest(fresh(tmp_path, _sqlite_template, f"shuffled-{tag}"), delivered, batch=batch)
    assert shuffled == in_order


def test_corpus_scenarios_in_reverse_and_doubled_match_in_order(
    corpus_dir: Path, tmp_path: Path, _sqlite_template: Path
) -> None:
    folders = [
        "compatibility-tests/consumer/scenarios/airflow/events",
        "compatibility-tests/consumer/scenarios/spark_dataproc_simple_producer_test_complete/events",
        "compatibility-tests/consumer/scenarios/CLL/events",
    ]
    events = [json.loads(f.read_text()) for folder in folders for f in sorted((CORPUS / folder).glob("*.json"))]
    dbt = CORPUS / "generated/dbt-1.9.11-duckdb/artifacts-mode/dbt-ol_run_with_catalog.ndjson"
    events += [json.loads(line) for line in dbt.read_text().splitlines() if line.strip()]
    in_order = ingest(fresh(tmp_path, _sqlite_template, "a"), events, batch=len(events))
    delivered = list(reversed(events)) + events[::3]
    random.Random(7).shuffle(delivered)
    assert ingest(fresh(tmp_path, _sqlite_template, "b"), delivered, batch=7) == in_order


@pytest.mark.postgres
def test_shuffled_ingestion_on_postgres_matches_sqlite(
    _pg_database: Database, tmp_path: Path, _sqlite_template: Path
) -> None:
    from tests.conftest import _truncate

    rng = random.Random(42)
    events = [event for dag in range(5) for event in lifecycle(rng, dag)]
    expected = ingest(fresh(tmp_path, _sqlite_template, "ref"), events, batch=len(events))
    _truncate(_pg_database)
    delivered = events + events[:10]
    rng.shuffle(delivered)
    assert ingest(_pg_database, delivered, batch=4) == expected
