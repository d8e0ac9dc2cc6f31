"""How the alert loop reads and writes: baselines from a cache that a late event cannot fool, the results of
many runs in one short write transaction that only writes, each run claimed once across workers, and a run
whose rules fail given back to the sweep."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from lineage_backend.alerting import evaluate as evaluate_module
from lineage_backend.alerting.engine import AlertEngine
from lineage_backend.alerting.evaluate import cached_run_metrics, run_metrics
from lineage_backend.db import Database
from lineage_backend.store.models import AlertEvaluation, Anomaly, Run
from tests.lineage_backend.alerting.scenario import alert_client, dag_run_events, ingest, rule, webhook
from tests.lineage_backend.events import dataset, output_stats, run_event

DAY = 86_400


def _count(database: Database, model: Any) -> int:
    return int(database.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one()))


def _daily_runs(job: str, rows: list[int]) -> tuple[list[str], list[dict[str, Any]]]:
    ids, events = [], []
    for day, count in enumerate(rows):
        run_id = str(uuid.uuid4())
        ids.append(run_id)
        out = [{**dataset("warehouse", f"{job}_out"), "outputFacets": output_stats(count)}]
        events.append(run_event("START", run_id=run_id, job=job, namespace="spark", seconds=day * DAY))
        events.append(
            run_event("COMPLETE", run_id=run_id, job=job, namespace="spark", seconds=day * DAY + 600, outputs=out)
        )
    return ids, events


def test_a_late_event_is_not_hidden_by_the_metrics_cache(database: Database) -> None:
    with alert_client(database, alerts_enabled=False) as client:
        engine: AlertEngine = client.app.state.alerts
        ids, events = _daily_runs("nightly", [1000] * 9)
        ingest(client, events)
        assert engine.evaluate_queued() == 9
        assert len(engine._metrics) >= 9  # the judged runs' metrics serve the next baselines

        def versions() -> dict[str, int]:
            return database.read(
                lambda s: dict(s.execute(select(Run.run_uuid, Run.event_count).where(Run.run_uuid.in_(ids))).all())
            )

        before = database.read(lambda s: cached_run_metrics(versions(), session=s, cache=engine._metrics))
        # A late COMPLETE of the first run, an hour later and with other row counts: its metrics change.
        late = [{**dataset("warehouse", "nightly_out"), "outputFacets": output_stats(7000)}]
        ingest(
            client, [run_event("COMPLETE", run_id=ids[0], job="nightly", namespace="spark", seconds=4200, outputs=late)]
        )
        cached = database.read(lambda s: cached_run_metrics(versions(), session=s, cache=engine._metrics))
        fresh = database.read(lambda s: dict(run_metrics(ids, session=s)))
        assert cached == fresh
        assert cached[ids[0]] != before[ids[0]]
        assert cached[ids[0]]["durationSeconds"] == 4200


def test_many_runs_are_written_in_one_transaction_that_only_writes(database: Database) -> None:
    with alert_client(database, alerts_enabled=False) as client:
        engine: AlertEngine = client.app.state.alerts
        for i in range(12):
            ingest(client, dag_run_events(f"dag{i}", ok_tasks=2, start=i * 3600)[1])
        commits: list[int] = []
        statements: list[str] = []
        in_write = {"on": False}

        def on_begin(connection: Any) -> None:
            in_write["on"] = not connection.get_execution_options().get("flowlytics_read_only")

        def on_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if in_write["on"] and not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
                statements.append(statement.split(None, 1)[0].upper())

        def on_commit(_connection: Any) -> None:
            commits.append(1)
            in_write["on"] = False

        event.listen(database.engine, "begin", on_begin)
        event.listen(database.engine, "before_cursor_execute", on_statement)
        event.listen(database.engine, "commit", on_commit)
        try:
            assert engine.evaluate_queued() == 36  # 12 DAG runs and their 24 tasks
        finally:
            event.remove(database.engine, "begin", on_begin)
            event.remove(database.engine, "before_cursor_execute", on_statement)
            event.remove(database.engine, "commit", on_commit)
        assert len(commits) == 1
        # The runs' states, their claims, the enabled rules: the same few statements for any number of runs.
        assert statements.count("INSERT") == 1 and len(statements) <= 4, statements
        assert _count(database, AlertEvaluation) == 36


def test_two_workers_that_judged_the_same_runs_write_them_once(database: Database) -> None:
    with alert_client(database, alerts_enabled=False) as client:
        first: AlertEngine = client.app.state.alerts
        second = AlertEngine(database, None, first.settings)
        ids, events = _daily_runs("nightly", [1000] * 8 + [90_000])  # the last run is an anomaly
        ingest(client, events)
        judged_first = database.read(lambda s: first._prepare(ids, session=s))
        judged_second = database.read(lambda s: second._prepare(ids, session=s))
        assert len(judged_first) == len(judged_second) == 9
        assert first._write(judged_first) == 9
        assert second._write(judged_second) == 0  # claimed already: nothing written twice
        assert _count(database, AlertEvaluation) == 9
        assert _count(database, Anomaly) == 1
        assert not first._unwritten and not second._unwritten


def test_a_run_whose_rules_fail_is_given_back_to_the_sweep(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with alert_client(sqlite_database, alerts_enabled=False) as client:
        engine: AlertEngine = client.app.state.alerts
        rule(client, {"type": "run_failed"}, [webhook(client, "http://127.0.0.1:9/hook")])
        broken, events = dag_run_events("sales", failed_tasks=1, ok_tasks=0)
        ingest(client, events + dag_run_events("orders", ok_tasks=1)[1])
        real = evaluate_module.evaluate_rule

        def failing(rule: Any, facts: Any, *args: Any, **kwargs: Any) -> None:
            if facts.run.run_uuid == broken:
                raise RuntimeError("a rule that breaks on this run")
            real(rule, facts, *args, **kwargs)

        monkeypatch.setattr(evaluate_module, "evaluate_rule", failing)
        assert engine.evaluate_queued() == 3  # the other three runs
        evaluated = sqlite_database.read(lambda s: set(s.execute(select(AlertEvaluation.run_uuid)).scalars()))
        assert broken not in evaluated and len(evaluated) == 3
        monkeypatch.setattr(evaluate_module, "evaluate_rule", real)
        assert engine.sweep(since=timedelta(days=365 * 10)) == 1  # the test's events are from 2024
        assert _count(sqlite_database, AlertEvaluation) == 4
