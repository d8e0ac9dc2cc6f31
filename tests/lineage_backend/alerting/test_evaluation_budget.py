"""The alert loop's budget (busy time) for completed runs: failed runs are evaluated at once whatever the budget;
completed runs wait while ingest goes on and the budget is spent, and go at full speed once ingest is idle."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lineage_backend.alerting.engine import IDLE_SECONDS, terminal_runs
from lineage_backend.db import Database
from lineage_backend.store.models import AlertEvaluation
from tests.lineage_backend.alerting.scenario import alert_client, dag_run_events, ingest


def _evaluated(database: Database) -> int:
    return int(database.read(lambda s: s.execute(select(func.count()).select_from(AlertEvaluation)).scalar_one()))


def test_fail_and_abort_are_urgent_complete_is_not() -> None:
    events = [
        {"eventType": "START", "run": {"runId": "A"}},
        {"eventType": "FAIL", "run": {"runId": "B"}},
        {"eventType": "ABORT", "run": {"runId": "C"}},
        {"eventType": "COMPLETE", "run": {"runId": "D"}},
        {"eventType": "COMPLETE", "run": "not an object"},
    ]
    assert terminal_runs(events) == [("b", True), ("c", True), ("d", False)]


def test_a_spent_budget_holds_completed_runs_back_but_never_a_failure(sqlite_database: Database) -> None:
    with alert_client(sqlite_database, alerts_enabled=False, alert_max_age_hours=0) as client:
        engine = client.app.state.alerts
        _, failing = dag_run_events("sales", failed_tasks=1, ok_tasks=0)  # a failed task and the DAG's FAIL
        _, passing = dag_run_events("orders", ok_tasks=2, state="COMPLETE")
        ingest(client, failing + passing)
        assert engine.evaluate_queued(budget=0.0) == 2  # the two FAILs; the three COMPLETEs wait
        assert _evaluated(sqlite_database) == 2
        assert engine.evaluate_queued(budget=0.0) == 0
        assert engine.evaluate_queued(budget=60.0) == 3  # credit: the backlog goes
        assert _evaluated(sqlite_database) == 5


def test_the_budget_applies_only_while_ingest_goes_on(sqlite_database: Database) -> None:
    with alert_client(sqlite_database, alerts_enabled=False) as client:
        engine = client.app.state.alerts
        ingest(client, dag_run_events("orders", ok_tasks=1, state="COMPLETE")[1])
        observed = engine._observed_at
        assert engine._accrue(observed + 0.1) == 0.0  # ingest just happened: no credit yet
        assert engine._accrue(observed + 0.6) > 0.0  # credit accrues with time
        assert engine._accrue(observed + IDLE_SECONDS + 0.5) is None  # idle: no limit


def test_the_queues_are_bounded(sqlite_database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process whose loop is off still sees every ingest: its queues must not grow without end."""
    from lineage_backend.alerting import engine as engine_module

    monkeypatch.setattr(engine_module, "MAX_QUEUED", 3)
    with alert_client(sqlite_database, alerts_enabled=False) as client:
        engine = client.app.state.alerts
        engine.observe([{"eventType": "COMPLETE", "run": {"runId": f"r{i}"}} for i in range(10)])
        engine.observe([{"eventType": "FAIL", "run": {"runId": f"f{i}"}} for i in range(10)])
        assert (engine._queue.qsize(), engine._urgent.qsize()) == (3, 3)
