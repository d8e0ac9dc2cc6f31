"""The recount reads only some paths of a run's facets, in SQL (ingest.rollups: slim facets, failed assertions,
try numbers): on odd facets too, what it derives must equal what the Python readers give on the whole facets."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lineage_backend.analytics.cost import parse_cost_rates
from lineage_backend.analytics.facts import derive_fact, dq_failed_rows
from lineage_backend.db import Database
from lineage_backend.ingest.rollups import RUN_FIELDS, _io_stats, _run_columns, _run_dict, batch_totals
from lineage_backend.store.models import Dataset, Job, Run, RunDataset

RATES = parse_cost_rates('{"defaultRuntimePerHour": 3.6, "bigquery": {"perTiB": 5.0, "perSlotHour": 0.04}}')
START = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)

# Facets of every shape the readers meet: versions as numbers, strings, floats, booleans, objects; facets
# that are not objects; empty and missing dagRun; BigQuery stats as an object and as a JSON string.
RUN_FACETS: list[dict[str, Any]] = [
    {},
    {"airflowDagRun": {"dagRun": {"run_type": "MANUAL", "dag_version_number": 3, "conf": {"a": [1, 2]}}}},
    {"airflow": {"dagRun": {"run_type": "scheduled"}, "dag": {"dag_version_number": "7", "tasks": {"t": {}}}}},
    {"airflow": {"taskInstance": {"dag_version_number": 2.5, "try_number": 2}, "dag_version_number": 9}},
    {"airflow": {"dag_version_number": True}, "airflowDagRun": {"dagRun": {}}},
    {"airflowDagRun": {"dag_version_number": 9, "dagRun": {"run_type": "backfill"}}},
    {"airflow": {"dag": {"dag_version_number": {"nested": 1}}, "dag_version_number": [1]}},
    {"airflow": ["not", "an", "object"], "airflowDagRun": "text"},
    {"airflow": {"dagRun": "text", "dag": 5, "taskInstance": None}},
    {"airflowDagRun": {"dagRun": {"run_type": None, "dag_version_number": None}}, "airflow": {"dagRun": {"x": 1}}},
    {"flowlytics_stats": {"dqFailedRows": 4}},
    {"flowlytics_stats": {"rowsInvalid": 2, "dqFailedRows": "x"}},
    {"flowlytics_stats": "text"},
    {"bigQueryJob": {"billedBytes": 2**41}},
    {"bigQueryJob": {"properties": '{"statistics": {"totalSlotMs": 7200000}}'}},
    {"bigQuery_job": {"properties": {"statistics": {"query": {"totalBytesBilled": "1099511627776"}}}}},
    {"bigQueryJob": None, "bigQuery_job": {"billedBytes": 10}},
]
ASSERTION_FACETS: list[dict[str, Any]] = [
    {},
    {"dataQualityAssertions": {"assertions": [{"success": False}, {"success": True}, {"success": False}]}},
    {"dataQualityAssertions": {"assertions": [{"success": 0}, {"success": None}, {}, "text", 3, [False]]}},
    {"dataQualityAssertions": {"assertions": {"a": {"success": False}}}},
    {"dataQualityAssertions": {"assertions": "text"}},
    {"dataQualityAssertions": [{"success": False}]},
    {"dataQualityAssertions": {"assertions": []}},
]


def failed_assertions(facets: dict[str, Any]) -> int:
    """The oracle: Batch Health's count over the decoded facet."""
    facet = facets.get("dataQualityAssertions")
    if not isinstance(facet, dict):
        return 0
    return sum(1 for a in facet.get("assertions") or [] if isinstance(a, dict) and a.get("success") is False)


def store(session: Session) -> tuple[list[str], str]:
    """A DAG run (the batch top) with a task run per odd facet, each with an output of each assertion shape."""
    now = datetime.now(timezone.utc)
    job_id = session.execute(
        insert(Job)
        .values(namespace="ns", name="dag.task", dag_id="dag", created_at=now, updated_at=now)
        .returning(Job.id)
    ).scalar_one()
    dataset_ids = [
        session.execute(
            insert(Dataset).values(namespace="ns", name=f"t{i}", created_at=now, updated_at=now).returning(Dataset.id)
        ).scalar_one()
        for i in range(len(ASSERTION_FACETS))
    ]
    top = str(uuid.uuid4())
    rows = [dict(run_uuid=top, facets=RUN_FACETS[1], is_root=True, batch_run_uuid=top)]
    uuids = []
    for facets in RUN_FACETS:
        run_uuid = str(uuid.uuid4())
        uuids.append(run_uuid)
        rows.append(dict(run_uuid=run_uuid, facets=facets, is_root=False, batch_run_uuid=top))
    for row in rows:
        session.execute(
            insert(Run).values(
                job_id=job_id,
                state="COMPLETED",
                started_at=START,
                ended_at=START + timedelta(seconds=90),
                first_event_at=START,
                sort_time=START,
                **row,
            )
        )
    for run_uuid in uuids:
        for dataset_id, facets in zip(dataset_ids, ASSERTION_FACETS, strict=True):
            session.execute(
                insert(RunDataset).values(
                    run_uuid=run_uuid, dataset_id=dataset_id, direction="OUT", row_count=5, facets=facets
                )
            )
    return uuids, top


def test_facts_from_the_facet_paths_equal_facts_from_whole_facets(database: Database) -> None:
    uuids, top = database.run(store)

    def read(session: Session) -> tuple[Any, ...]:
        whole = {
            row.run_uuid: {name: getattr(row, name) for name in RUN_FIELDS}
            for row in session.execute(select(*(Run.__table__.c[name] for name in RUN_FIELDS)))
        }
        slim = {row.run_uuid: _run_dict(row) for row in session.execute(select(*_run_columns(session)))}
        io = _io_stats(uuids, session=session)
        totals = batch_totals([top], session=session)
        return whole, slim, io, totals

    whole, slim, io, totals = database.read(read)
    assert set(slim) == set(whole) == {*uuids, top}
    for run_uuid, run in whole.items():
        expected = derive_fact(run, job_namespace="ns", job_name="dag.task", dag_id="dag", io={}, cost_rates=RATES)
        got = derive_fact(
            slim[run_uuid], job_namespace="ns", job_name="dag.task", dag_id="dag", io={}, cost_rates=RATES
        )
        assert got == expected, run["facets"]
    # The oracle's facets do reach every reader (a check that the cases are not all alike).
    facts = [
        derive_fact(slim[u], job_namespace="ns", job_name="dag.task", dag_id="dag", io={}, cost_rates=RATES)
        for u in uuids
    ]
    assert {f.dag_version for f in facts if f} >= {"3", "7", "2.5", "9", "True"}
    assert {f.trigger_type for f in facts if f} >= {"backfill"}
    assert {f.trigger_type for f in facts if f} >= {"manual", "scheduled", ""}
    assert len({f.cost_billed for f in facts if f}) >= 3
    want_failed = sum(failed_assertions(facets) for facets in ASSERTION_FACETS)
    assert want_failed == 2
    for run_uuid in uuids:
        assert io[run_uuid]["failed_assertions"] == want_failed
        assert io[run_uuid]["rows_written"] == 5 * len(ASSERTION_FACETS)
    # Batch totals: one job, tries numbered 2 (the latest) and unnumbered runs (each its own).
    unnumbered = [u for u, facets in zip(uuids, RUN_FACETS, strict=True) if "try_number" not in str(facets)]
    custom = sum(
        dq_failed_rows(f["flowlytics_stats"]) if isinstance(f.get("flowlytics_stats"), dict) else 0
        for u, f in zip(uuids, RUN_FACETS, strict=True)
        if u in unnumbered
    )
    counted = len(unnumbered) + 1
    assert totals[top] == {
        "rows_read": 0,
        "rows_written": 5 * len(ASSERTION_FACETS) * counted,
        "dq_errors": want_failed * counted + custom,
    }
