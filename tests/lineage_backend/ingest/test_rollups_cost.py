"""The switch and the shortcuts that keep the rollups' ingest cost low: with `analytics_rollups` off nothing
is counted (and a rebuild catches up); a run whose later events carry no datasets keeps its rows and DQ figures."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lineage_backend.app import create_app
from lineage_backend.config import Settings
from lineage_backend.db import Database
from lineage_backend.ingest.rollups import rebuild_rollups
from lineage_backend.store.models import RunFact, RunRollup
from tests.conftest import INGEST, make_settings
from tests.lineage_backend.events import dataset, output_stats, run_event
from tests.lineage_backend.ingest.test_rollups import RATES, expected_rows, flush, ingest, naive, stored, workload


def _count(database: Database, table: Any) -> int:
    return int(database.read(lambda s: s.execute(select(func.count()).select_from(table)).scalar_one()))


def test_the_switch_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().analytics_rollups is True
    monkeypatch.setenv("FLOWLYTICS_ANALYTICS_ROLLUPS", "0")
    assert Settings.from_env().analytics_rollups is False
    monkeypatch.setenv("FLOWLYTICS_ANALYTICS_ROLLUPS", "true")
    assert Settings.from_env().analytics_rollups is True


@pytest.mark.parametrize("rollups", [False, True])
def test_the_ingest_routes_follow_the_switch(sqlite_database: Database, rollups: bool) -> None:
    events = workload(random.Random(3), dags=2, runs_per_dag=2)
    app = create_app(make_settings(analytics_rollups=rollups, alerts_enabled=False), database=sqlite_database)
    with TestClient(app) as client:
        assert client.post("/api/v1/lineage", json=events[0], headers=INGEST).status_code == 201
        assert client.post("/api/v1/lineage/batch", json=events[1:], headers=INGEST).status_code == 200
    flush(sqlite_database)  # what the background thread may not have done yet
    counted = _count(sqlite_database, RunRollup.__table__), _count(sqlite_database, RunFact.__table__)
    assert (counted[0] > 0 and counted[1] > 0) if rollups else counted == (0, 0)


def test_with_rollups_off_nothing_is_counted_and_a_rebuild_catches_up(database: Database) -> None:
    from datetime import datetime, timezone

    from lineage_backend.ingest.bulk import store_events
    from lineage_backend.ingest.parse import parse_event

    events = workload(random.Random(5))
    received = datetime.now(timezone.utc)
    for start in range(0, len(events), 7):
        parsed = [parse_event(e) for e in events[start : start + 7]]
        database.run(
            lambda session, parsed=parsed: store_events(parsed, session=session, received_at=received, rollups=False)
        )
    assert flush(database) == 0  # nothing was marked
    assert _count(database, RunRollup.__table__) == 0 and _count(database, RunFact.__table__) == 0
    database.run(lambda session: rebuild_rollups(session=session, cost_rates=RATES))
    assert stored(database) == expected_rows(naive(events))


def _assertions(failed: int) -> dict[str, Any]:
    items = [{"assertion": f"check_{i}", "success": i >= failed} for i in range(3)]
    return {"dataQualityAssertions": {"assertions": items}}


@pytest.mark.parametrize("failed_assertions", [0, 2])
def test_an_event_without_inputs_or_outputs_keeps_the_runs_row_and_dq_figures(
    database: Database, failed_assertions: int
) -> None:
    """START carries the datasets (rows and assertions), COMPLETE none: the fact keeps what START counted, one
    request at a time (a recount after each) as in a rebuild from the stored rows."""
    run_id = str(uuid.uuid4())
    start = run_event(
        "START",
        run_id=run_id,
        job="solo",
        seconds=0,
        inputs=[
            {
                **dataset("pg", "src"),
                "inputFacets": {"inputStatistics": {"rowCount": 7}, **_assertions(failed_assertions)},
            }
        ],
        outputs=[{**dataset("pg", "dst"), "outputFacets": output_stats(11)}],
    )
    running = run_event("RUNNING", run_id=run_id, job="solo", seconds=5)
    complete = run_event("COMPLETE", run_id=run_id, job="solo", seconds=60)
    ingest(database, [start, running, complete], chunk=1, flush_every=1)

    def fact() -> tuple[Any, ...]:
        columns = (RunFact.state, RunFact.rows_read, RunFact.rows_written, RunFact.dq_errors, RunFact.duration_seconds)
        return tuple(database.read(lambda s: s.execute(select(*columns).where(RunFact.run_uuid == run_id)).one()))

    assert fact() == ("COMPLETED", 7, 11, failed_assertions, 60.0)
    before = stored(database)
    database.run(lambda session: rebuild_rollups(session=session, cost_rates=RATES))
    assert fact() == ("COMPLETED", 7, 11, failed_assertions, 60.0)
    assert stored(database) == before
