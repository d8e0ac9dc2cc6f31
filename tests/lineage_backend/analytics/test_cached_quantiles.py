"""The executions answer's p50 / p95 per point, kept per process on PostgreSQL by the versions of the rollup
rows merged: the same answer as merging afresh, before and after the rows change under it (a flush of new
runs, another writer's UPDATE of a sketch), and nothing kept from a transaction that has written."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text

from lineage_backend.auth import Principal
from lineage_backend.db import Database
from lineage_backend.ingest.rollups import flush_pending_rollups
from lineage_backend.services import analytics
from tests.lineage_backend.events import BASE_TIME
from tests.lineage_backend.ingest.test_rollups import RATES, flush, ingest, workload

READER = Principal(name="reader", scopes=frozenset({"read"}))
START = datetime(2024, 4, 29, tzinfo=timezone.utc)  # a Monday before the workload's first run
END = START + timedelta(days=21)


def executions(session: Any, granularity: str = "day") -> dict[str, Any]:
    return analytics.executions(
        session=session,
        principal=READER,
        env_by_namespace={},
        start=START,
        end=END,
        granularity=granularity,  # type: ignore[arg-type]
        group_by=None,
        level="dag",
        dag_id=None,
        env=None,
        currency="USD",
    )


def answer(database: Database, granularity: str = "day") -> dict[str, Any]:
    return database.read(lambda s: executions(s, granularity))


def fresh(database: Database, granularity: str = "day") -> dict[str, Any]:
    """The answer merged afresh: the kept quantiles dropped first."""
    analytics._QUANTILES.clear()
    return answer(database, granularity)


def quantile_points(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (p["bucket"], p["total"], p["p50DurationSeconds"], p["p95DurationSeconds"])
        for series in document["series"]
        for p in series["points"]
    ]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    analytics._QUANTILES.clear()


@pytest.mark.parametrize("granularity", ["day", "week"])
def test_kept_quantiles_answer_as_a_fresh_merge_before_and_after_new_runs(database: Database, granularity: str) -> None:
    assert BASE_TIME > START
    ingest(database, workload(random.Random(3), dags=4, runs_per_dag=6), chunk=7)
    first = answer(database, granularity)
    assert sum(p[1] for p in quantile_points(first)) > 0
    kept = len(analytics._QUANTILES)
    assert kept > 0 if database.engine.dialect.name == "postgresql" else kept == 0
    again = answer(database, granularity)  # the rows unchanged: from the kept quantiles on PostgreSQL
    assert again == first and len(analytics._QUANTILES) == kept
    assert fresh(database, granularity) == first
    # More runs in the same days: the rows they change get new versions, so their points are merged again.
    ingest(database, workload(random.Random(4), dags=4, runs_per_dag=6), chunk=5)
    answer(database, granularity)  # warm with the new versions too
    after = answer(database, granularity)
    assert quantile_points(after) != quantile_points(first)
    assert after == fresh(database, granularity)


def test_another_writers_update_of_a_sketch_is_seen_at_once(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("row versions (xmin) are PostgreSQL's; SQLite merges every point afresh")
    ingest(database, workload(random.Random(5), dags=3, runs_per_dag=4), chunk=6)
    before = answer(database)
    assert len(analytics._QUANTILES) > 0
    # Every duration ten times as long, the counts unchanged: only the rows' versions tell the change.
    with database.engine.begin() as connection:
        rows = connection.execute(
            text("SELECT id, sketch FROM flowlytics_run_rollup WHERE grain = 'dayall' AND runs != 0")
        ).all()
        for row_id, sketch in rows:
            shifted = {key if key == "z" else str(int(key) + 100): n for key, n in dict(sketch).items()}
            connection.execute(
                text("UPDATE flowlytics_run_rollup SET sketch = CAST(:s AS JSONB) WHERE id = :id"),
                {"s": json.dumps(shifted), "id": row_id},
            )
    after = answer(database)
    changed = [
        (b, a)
        for b, a in zip(quantile_points(before), quantile_points(after), strict=True)
        if b[1] and b[3] is not None
    ]
    assert changed and all(a[3] > b[3] * 5 for b, a in changed)
    assert after == fresh(database)


def test_nothing_is_kept_from_a_transaction_that_has_written(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("row versions (xmin) are PostgreSQL's; SQLite merges every point afresh")
    ingest(database, workload(random.Random(6), dags=2, runs_per_dag=3), chunk=4, flush_every=0)

    def write_then_read(session: Any) -> dict[str, Any]:
        flush_pending_rollups(session=session, cost_rates=RATES)  # may write nothing: the marks are cleared
        session.execute(text("UPDATE flowlytics_run_rollup SET runs = runs WHERE grain = 'dayall'"))
        return executions(session)

    flush(database)
    written = database.run(write_then_read)
    assert sum(p[1] for p in quantile_points(written)) > 0
    assert len(analytics._QUANTILES) == 0  # the transaction had an id: no version, nothing kept
    assert answer(database) == written and len(analytics._QUANTILES) > 0
