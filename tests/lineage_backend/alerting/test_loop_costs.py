"""What the alert loop does not do under ingest: read the outbox when nothing in it can be due, and keep judging a
backlog at full speed once ingest has resumed. On SQLite and PostgreSQL (the loop is driven by hand)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select

from lineage_backend.alerting import engine as engine_module
from lineage_backend.alerting.engine import AlertEngine
from lineage_backend.db import Database
from lineage_backend.store.models import AlertEvaluation, AlertOutbox
from tests.lineage_backend.alerting.receivers import http_receiver, wait_until
from tests.lineage_backend.alerting.scenario import alert_client, dag_run_events, ingest, rule, webhook


def _outbox_reads(database: Database) -> list[str]:
    """The SELECTs on the outbox table from now on (all threads)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "flowlytics_alert_outbox" in statement:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    return seen


def _evaluated(database: Database) -> int:
    return int(database.read(lambda s: s.execute(select(func.count()).select_from(AlertEvaluation)).scalar_one()))


def test_an_empty_outbox_is_read_once_per_poll_not_per_pass(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "OUTBOX_POLL_SECONDS", 3600.0)
    with alert_client(database, alerts_enabled=False) as client:
        engine = client.app.state.alerts
        reads = _outbox_reads(database)
        assert [engine.deliver() for _ in range(5)] == [0] * 5
        assert len(reads) == 1  # the first pass looked; the next four knew nothing could be due


def test_a_message_this_process_queues_is_sent_at_once_and_once(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "OUTBOX_POLL_SECONDS", 3600.0)  # only the hint can make it look again
    with http_receiver() as receiver, alert_client(database, alerts_enabled=False) as client:
        engine = client.app.state.alerts
        rule(client, {"type": "run_failed"}, [webhook(client, receiver.url)])
        assert engine.deliver() == 0  # empty: the next read waits for the poll ...
        ingest(client, dag_run_events("sales", failed_tasks=1, ok_tasks=0)[1])
        engine.evaluate_queued()  # ... unless this process queues a message (due after the 0.3 s group wait)
        wait_until(lambda: engine.deliver() == 1, timeout=20, what="the failure's message sent")
        assert len(receiver.requests) == 1
        assert [engine.deliver() for _ in range(3)] == [0] * 3
        assert len(receiver.requests) == 1


def test_a_message_another_worker_queued_is_sent_after_the_poll(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "OUTBOX_POLL_SECONDS", 0.5)
    with http_receiver() as receiver, alert_client(database, alerts_enabled=False) as client:
        here = client.app.state.alerts
        elsewhere = AlertEngine(database, None, here.settings)  # another worker or replica: its own loop
        rule(client, {"type": "run_failed"}, [webhook(client, receiver.url)])
        assert here.deliver() == 0  # looked: empty, so it waits for the poll
        ingest(client, dag_run_events("sales", failed_tasks=1, ok_tasks=0)[1])
        while not here._urgent.empty():  # the other process judges the failure and queues the message
            elsewhere._urgent.put(here._urgent.get())
        assert elsewhere.evaluate_queued() == 2
        assert database.read(lambda s: s.execute(select(func.count()).select_from(AlertOutbox)).scalar_one()) == 1
        wait_until(lambda: here.deliver() == 1, timeout=20, what="the other process's message sent by this one")
        assert elsewhere.deliver() == 0
        assert len(receiver.requests) == 1


def test_an_idle_pass_stops_judging_at_full_speed_when_ingest_resumes(database: Database) -> None:
    with alert_client(database, alerts_enabled=False) as client:
        engine: AlertEngine = client.app.state.alerts
        for dag in ("a", "b", "c"):
            ingest(client, dag_run_events(dag, ok_tasks=0, state="COMPLETE")[1])
        assert engine._queue.qsize() == 3
        prepare = engine._prepare

        def prepare_then_ingest(run_ids: list[str], *, session: Any) -> Any:
            found = prepare(run_ids, session=session)
            engine.observe([{"eventType": "START", "run": {"runId": "resumed"}}])  # a body ingested meanwhile
            return found

        engine._prepare = prepare_then_ingest  # type: ignore[method-assign]
        assert engine.evaluate_queued(chunk=1, budget=None) == 1  # the rest waits for the budgeted passes
        assert engine._queue.qsize() == 2 and _evaluated(database) == 1
        engine._prepare = prepare  # type: ignore[method-assign]
        assert engine.evaluate_queued(budget=None) == 2  # idle again: the backlog goes
        assert _evaluated(database) == 3


def test_a_budgeted_pass_reads_only_the_runs_its_credit_pays_for(database: Database) -> None:
    with alert_client(database, alerts_enabled=False) as client:
        engine: AlertEngine = client.app.state.alerts
        prepare, chunks = engine._prepare, []

        def counting(run_ids: list[str], *, session: Any) -> Any:
            chunks.append(len(run_ids))
            return prepare(run_ids, session=session)

        engine._prepare = counting  # type: ignore[method-assign]
        for dag in ("a", "b", "c"):
            ingest(client, dag_run_events(dag, ok_tasks=0, state="COMPLETE")[1])
        engine.observe([{"eventType": "START", "run": {"runId": "busy"}}])  # ingest is going on
        assert engine.evaluate_queued(budget=60.0) == 3
        assert chunks == [1, 2]  # no cost known yet: one run, then as many as its measured cost allows
        assert engine._run_cost is not None and engine._run_cost > 0
        for dag in ("d", "e", "f"):
            ingest(client, dag_run_events(dag, ok_tasks=0, state="COMPLETE")[1])
        engine._run_cost = 1000.0  # as measured on a slow database: the credit pays for one run at a time
        assert engine.evaluate_queued(budget=60.0) == 3
        assert chunks == [1, 2, 1, 1, 1]  # the pass checks its credit after each run, not after 20
        assert _evaluated(database) == 6
