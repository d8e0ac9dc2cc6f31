"""Deferred rollups: ingestion marks runs, the recount (the background thread, or the read barrier) counts them.
Concurrent recounts never count a run twice, a run marked again while it is recounted is recounted again,
marks live in the database (a crash loses none), a read right after an ingest is exact, retention drops the
marks of the runs it deletes without subtracting, and with the switch off nothing is marked."""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, text, update

from lineage_backend.app import create_app
from lineage_backend.db import Database
from lineage_backend.ingest.bulk import store_events
from lineage_backend.ingest.parse import parse_event
from lineage_backend.ingest.rollup_worker import RollupMaintainer
from lineage_backend.ingest.rollups import any_pending, flush_pending_rollups, rebuild_rollups
from lineage_backend.services.retention import clean
from lineage_backend.store.models import RollupQueue, Run, RunFact
from tests.conftest import INGEST, READ, make_settings
from tests.lineage_backend.events import run_event
from tests.lineage_backend.ingest.test_rollups import (
    DAG_TYPE,
    RATES,
    expected_rows,
    flush,
    ingest,
    naive,
    stored,
    workload,
)

HANG_GUARD_SECONDS = 120.0
QUEUE_KEY = "flowlytics_rollup_queue USING COVERING INDEX sqlite_autoindex_flowlytics_rollup_queue_1"


def pending(database: Database) -> int:
    query = select(func.count()).select_from(RollupQueue)
    return int(database.read(lambda s: s.execute(query).scalar_one()))


def store_only(database: Database, events: list[dict[str, Any]], chunk: int = 10, *, rollups: bool = True) -> None:
    """Ingest without recounting: the runs stay marked."""
    received = datetime.now(timezone.utc)
    for start in range(0, len(events), chunk):
        parsed = [parse_event(e) for e in events[start : start + chunk]]
        database.run(lambda s, parsed=parsed: store_events(parsed, session=s, received_at=received, rollups=rollups))


def states(database: Database) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, figures in stored(database).items():
        found[key[-1]] = found.get(key[-1], 0) + figures["runs"]
    return found


def test_ingest_only_marks_and_a_flush_counts_and_clears(database: Database) -> None:
    events = workload(random.Random(1), dags=2, runs_per_dag=2)
    store_only(database, events)
    marked = pending(database)
    assert marked == len({e["run"]["runId"] for e in events})
    assert stored(database) == {}  # nothing counted in the ingest transaction
    assert database.read(lambda s: any_pending(session=s))
    # Batches of 3: no run claimed twice (a DAG run recounted with a claimed task of its own loses its mark then).
    assert 0 < flush(database, limit=3) <= marked
    assert pending(database) == 0 and not database.read(lambda s: any_pending(session=s))
    assert stored(database) == expected_rows(naive(events))


def only_postgresql(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite has one writer: recounts and ingests never overlap there")


def test_concurrent_flushers_with_ingest_going_on_never_double_count(database: Database) -> None:
    """Two recount threads (sessions of their own) and an ingest thread on PostgreSQL: the runs each flusher
    claims are disjoint, and the rollups end equal to the naive recount."""
    only_postgresql(database)
    rng = random.Random(17)
    first, later = workload(rng, dags=4, runs_per_dag=4), workload(rng, dags=3, runs_per_dag=4)
    # Runs without a DAG (no batch top to recount along): a recount holding its runs does not stop another,
    # which takes the next runs without waiting.
    # One a day, claimed in run_uuid order: the two recounts share no rollup row either (they would queue there).
    solo = [
        run_event("START", run_id=str(uuid.UUID(int=i + 1)), job="solo", seconds=i * 86400, job_facets=DAG_TYPE)
        for i in range(12)
    ]
    store_only(database, solo)
    holder = database.session_factory()
    try:
        assert flush_pending_rollups(session=holder, cost_rates=RATES, limit=4) == 4
        assert database.run(lambda s: flush_pending_rollups(session=s, cost_rates=RATES, limit=4)) == 4
        assert pending(database) == 12 - 4  # the holder's 4 are still marked for everyone else
        holder.commit()
    finally:
        holder.close()
    assert pending(database) == 12 - 8
    assert flush(database) == 4
    # Two flushers side by side over DAG runs and their tasks (a task's DAG run is recounted with it).
    store_only(database, first)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def flusher() -> None:
        try:
            start.wait(HANG_GUARD_SECONDS)
            while database.run(lambda s: flush_pending_rollups(session=s, cost_rates=RATES, limit=4)):
                pass
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=flusher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_SECONDS)
    assert not errors
    assert pending(database) == 0
    assert stored(database) == expected_rows(naive(solo + first))

    # Now with ingestion marking runs while two flushers recount: the end result is still exact.
    stop = threading.Event()

    def busy_flusher() -> None:
        try:
            while not stop.is_set():
                database.run(lambda s: flush_pending_rollups(session=s, cost_rates=RATES, limit=5))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=busy_flusher) for _ in range(2)]
    for thread in threads:
        thread.start()
    delivered = later + rng.sample(later, len(later) // 3)
    rng.shuffle(delivered)
    store_only(database, delivered, chunk=5)
    stop.set()
    for thread in threads:
        thread.join(HANG_GUARD_SECONDS)
    assert not errors
    flush(database)
    assert stored(database) == expected_rows(naive(solo + first + later))


def test_a_run_marked_again_while_it_is_recounted_is_recounted_again(database: Database) -> None:
    only_postgresql(database)
    run_id = str(uuid.uuid4())
    store_only(database, [run_event("START", run_id=run_id, job="solo", seconds=0)])
    # A recount holds the run (claimed, not yet committed) ...
    session = database.session_factory()
    try:
        assert flush_pending_rollups(session=session, cost_rates=RATES) == 1
        done = threading.Event()
        ingest_errors: list[BaseException] = []

        def complete() -> None:
            try:
                store_only(database, [run_event("COMPLETE", run_id=run_id, job="solo", seconds=50)])
            except BaseException as error:
                ingest_errors.append(error)
            finally:
                done.set()

        # ... while its COMPLETE event is ingested: the ingest waits for the run's row lock.
        thread = threading.Thread(target=complete)
        thread.start()
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        while database.read(lambda s: s.execute(text(waiting)).scalar_one()) == 0:
            assert time.monotonic() < deadline, "the ingest never waited for the recount's lock"
            time.sleep(0.02)
        assert not done.is_set()
        session.commit()
    finally:
        session.close()
    thread.join(HANG_GUARD_SECONDS)
    assert not ingest_errors
    assert states(database) == {"RUNNING": 1}  # what the first recount saw
    assert pending(database) == 1  # the ingest marked it again after the recount let go
    assert flush(database) == 1
    assert states(database) == {"COMPLETED": 1}


def test_marks_survive_a_crash(database: Database) -> None:
    """A recount that dies before its commit leaves the marks (and the rollups) as they were; so does a
    process that dies with marks pending: another process, on a new engine, counts them."""
    events = workload(random.Random(4), dags=2, runs_per_dag=2)
    store_only(database, events)
    marked = pending(database)

    class Crash(Exception):
        pass

    def crash(session: Any) -> None:
        assert flush_pending_rollups(session=session, cost_rates=RATES) == marked
        raise Crash

    with pytest.raises(Crash):
        database.run(crash)
    assert pending(database) == marked and stored(database) == {}
    # A new process: its own engine and maintainer, nothing in memory from the first.
    survivor = Database.from_url(database.engine.url.render_as_string(hide_password=False))
    try:
        assert RollupMaintainer(survivor, cost_rates=RATES).catch_up() == marked
    finally:
        survivor.engine.dispose()
    assert pending(database) == 0
    assert stored(database) == expected_rows(naive(events))


def _summary(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/analytics/executions/summary", params=params, headers=READ)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_api_read_right_after_an_ingest_is_exact_without_the_thread(database: Database) -> None:
    """The thread waits an hour between passes here: only the read barrier can have counted the runs."""
    settings = make_settings(alerts_enabled=False, rollup_flush_seconds=3600.0, cost_rates=RATES)
    run_ids = [str(uuid.uuid4()) for _ in range(3)]
    offset = 0.0  # 2024-05-01 12:00 UTC (tests.lineage_backend.events.BASE_TIME)
    window = {"from": "2024-05-01T00:00:00Z", "to": "2024-05-02T00:00:00Z"}
    with TestClient(create_app(settings, database=database)) as client:
        time.sleep(0.2)  # let the thread do its first pass (nothing pending), then it sleeps
        for run_id in run_ids:
            event = run_event("START", run_id=run_id, job="solo", seconds=offset)
            assert client.post("/api/v1/lineage", json=event, headers=INGEST).status_code == 201
        assert pending(database) == 3
        summary = _summary(client, **window)
        assert pending(database) == 0
        assert summary["total"] == 3 and summary["succeeded"] == 0
        done = [run_event("COMPLETE", run_id=r, job="solo", seconds=offset + 360) for r in run_ids[:2]]
        assert client.post("/api/v1/lineage/batch", json=done, headers=INGEST).status_code == 200
        assert _summary(client, **window)["succeeded"] == 2
        # The run's page shows its cost from its fact: counted first as well.
        later = run_event("COMPLETE", run_id=run_ids[2], job="solo", seconds=offset + 720)
        assert client.post("/api/v1/lineage", json=later, headers=INGEST).status_code == 201
        run = client.get(f"/api/v1/runs/{run_ids[2]}", headers=READ).json()
        assert run["cost"]["estimated"] == pytest.approx(0.72)  # 720 s at 3.6 per hour
        assert pending(database) == 0


def test_the_thread_works_off_the_marks(database: Database) -> None:
    settings = make_settings(alerts_enabled=False, rollup_flush_seconds=0.05)
    events = workload(random.Random(6), dags=2, runs_per_dag=2)
    app = create_app(settings, database=database)
    with TestClient(app) as client:
        assert client.post("/api/v1/lineage/batch", json=events, headers=INGEST).status_code == 200
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while pending(database):
            assert time.monotonic() < deadline, "the rollup thread left runs marked"
            time.sleep(0.05)
    assert app.state.rollups._thread is None  # stopped with the app
    assert {k: v["runs"] for k, v in stored(database).items()} == {
        k: v["runs"] for k, v in expected_rows(naive(events)).items()
    }


def test_retention_drops_the_marks_of_deleted_runs_and_subtracts_nothing(database: Database) -> None:
    starts = [run_event("START", run_id=str(uuid.uuid4()), job="solo", seconds=i) for i in range(4)]
    ingest(database, starts, chunk=4)  # counted: 4 RUNNING
    assert states(database) == {"RUNNING": 4}
    ends = [run_event("COMPLETE", run_id=e["run"]["runId"], job="solo", seconds=100) for e in starts]
    store_only(database, ends)  # marked, not yet recounted
    assert pending(database) == 4
    old = datetime.now(timezone.utc) - timedelta(days=400)
    database.run(lambda s: s.execute(update(Run).values(sort_time=old)))
    assert clean(database, timedelta(days=90)).runs == 4
    assert pending(database) == 0 and flush(database) == 0
    assert states(database) == {"RUNNING": 4}  # what the deleted runs counted last stays
    assert database.read(lambda s: s.execute(select(RunFact)).first()) is None


def _queued(database: Database) -> set[str]:
    return set(database.read(lambda s: s.execute(select(RollupQueue.run_uuid)).scalars().all()))


def test_marks_whose_run_is_gone_are_dropped_by_the_recount(database: Database) -> None:
    """A mark can outlive its run (retention skipped a mark a recount held): the recount drops it, counts
    the others, and a read about that run alone drops it too."""
    events = [run_event("START", run_id=str(uuid.uuid4()), job="solo", seconds=i) for i in range(3)]
    store_only(database, events)
    ghosts = [str(uuid.uuid4()) for _ in range(2)]
    database.run(lambda s: s.execute(RollupQueue.__table__.insert(), [{"run_uuid": g} for g in ghosts]))
    assert pending(database) == 5
    assert database.run(lambda s: flush_pending_rollups(session=s, cost_rates=RATES, run_uuids=ghosts[:1])) == 1
    assert _queued(database) == {e["run"]["runId"] for e in events} | {ghosts[1]}
    assert flush(database) == 4  # 3 runs recounted, 1 mark dropped
    assert pending(database) == 0 and states(database) == {"RUNNING": 3}


def _hold_marks(database: Database, run_uuids: list[str]) -> Any:
    """A session holding queue rows as a recount that claimed them and skipped their (locked) runs does."""
    session = database.session_factory()
    locked = session.execute(
        select(RollupQueue.run_uuid).where(RollupQueue.run_uuid.in_(run_uuids)).with_for_update()
    ).all()
    assert len(locked) == len(run_uuids)
    return session


def _within_guard(work: Any) -> None:
    """Run `work` in a thread: it must finish without waiting for a lock (else the test would hang)."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "waited for a lock it should not wait for"
    assert not errors, errors


def test_retention_and_ingest_never_wait_for_a_mark_a_recount_holds(database: Database) -> None:
    only_postgresql(database)
    runs = [str(uuid.uuid4()) for _ in range(2)]
    store_only(database, [run_event("START", run_id=r, job="solo", seconds=i) for i, r in enumerate(runs)])
    # The events are of 2024: only runs[0] is old enough for this cutoff.
    database.run(lambda s: s.execute(update(Run).where(Run.run_uuid == runs[0]).values(sort_time=datetime(2000, 1, 1))))
    age = datetime.now(timezone.utc) - datetime(2020, 1, 1, tzinfo=timezone.utc)
    holder = _hold_marks(database, runs)
    try:
        # An ingest marks a run whose mark is held: ON CONFLICT DO NOTHING takes no lock on the held row.
        _within_guard(lambda: store_only(database, [run_event("COMPLETE", run_id=runs[1], job="solo", seconds=60)]))
        # Retention deletes a run whose mark is held: the mark is left behind.
        _within_guard(lambda: clean(database, age))
        holder.commit()
    finally:
        holder.close()
    assert _queued(database) == set(runs)
    assert flush(database) == 2  # runs[0]'s mark dropped, runs[1] recounted
    assert pending(database) == 0 and states(database) == {"COMPLETED": 1}


def test_migration_0009_moves_the_marks_to_the_queue_and_back(database: Database) -> None:
    from alembic import command

    from lineage_backend.store.migrate import alembic_config, upgrade

    counted = workload(random.Random(13), dags=1, runs_per_dag=2)
    ingest(database, counted, chunk=10)
    marked_events = workload(random.Random(14), dags=1, runs_per_dag=2)
    store_only(database, marked_events)
    marked = _queued(database)
    assert marked == {e["run"]["runId"] for e in marked_events}
    config = alembic_config(database.engine.url.render_as_string(hide_password=False))
    column = text("SELECT run_uuid FROM flowlytics_run WHERE rollup_pending")
    try:
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0008")
        assert set(database.read(lambda s: s.execute(column).scalars().all())) == marked
        # A mark set under 0008 (by its ingest's UPDATE) moves to the queue with the others.
        more = str(uuid.uuid4())
        store_only(database, [run_event("START", run_id=more, job="solo", seconds=5)], rollups=False)
        database.run(
            lambda s: s.execute(
                text("UPDATE flowlytics_run SET rollup_pending = true WHERE run_uuid = :r"), {"r": more}
            )
        )
    finally:
        upgrade(database.engine)
    assert _queued(database) == marked | {more}
    columns = database.read(lambda s: {c["name"] for c in inspect(s.connection()).get_columns("flowlytics_run")})
    assert "rollup_pending" not in columns
    assert flush(database) == len(marked) + 1
    # Every mark came through: the rollups are what a recount from scratch makes of the runs.
    after = stored(database)
    database.run(lambda s: rebuild_rollups(session=s, cost_rates=RATES))
    assert after == stored(database) and states(database)["RUNNING"] >= 1


def test_the_migrations_build_the_tables_the_models_declare(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lineage_backend.store.models import metadata

    def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return type_ != "table" or name in metadata.tables

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": ours})
        assert compare_metadata(context, metadata) == []


def test_a_rebuild_clears_the_marks_and_counts_everything(database: Database) -> None:
    events = workload(random.Random(8), dags=2, runs_per_dag=3)
    store_only(database, events)
    assert pending(database) > 0
    database.run(lambda s: rebuild_rollups(session=s, cost_rates=RATES))
    assert pending(database) == 0 and flush(database) == 0
    assert stored(database) == expected_rows(naive(events))


def test_with_the_switch_off_nothing_is_marked_and_no_thread_runs(sqlite_database: Database) -> None:
    settings = make_settings(alerts_enabled=False, analytics_rollups=False, rollup_flush_seconds=0.05)
    events = workload(random.Random(9), dags=1, runs_per_dag=2)
    app = create_app(settings, database=sqlite_database)
    with TestClient(app) as client:
        assert client.post("/api/v1/lineage/batch", json=events, headers=INGEST).status_code == 200
        assert app.state.rollups._thread is None
        assert pending(sqlite_database) == 0
        window = {"from": "2024-04-01T00:00:00Z", "to": "2024-06-01T00:00:00Z"}
        assert _summary(client, **window)["total"] == 0
    assert stored(sqlite_database) == {}


def test_existing_runs_are_not_marked_by_the_migration(database: Database) -> None:
    from alembic import command

    from lineage_backend.store.migrate import alembic_config, upgrade

    events = workload(random.Random(12), dags=2, runs_per_dag=2)
    ingest(database, events, chunk=10)
    before = stored(database)
    config = alembic_config(database.engine.url.render_as_string(hide_password=False))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    upgrade(database.engine)
    assert pending(database) == 0 and stored(database) == before


def test_a_dag_runs_rows_and_dq_errors_are_its_tasks_as_batch_health_counts_them(database: Database) -> None:
    """Hand-built: task `load` failed once (10 rows) and succeeded on its second try (30 rows: the latest try
    counts), task `check` read 7 rows, wrote 5 and found 2 bad rows, and a Spark run under `check` wrote 100
    (a descendant of the DAG run too). The DAG run reads and writes nothing itself. Its tasks arrive after it
    was counted: recounting them recounts it."""
    from tests.lineage_backend.events import dataset, output_stats, parent_facet

    dag_run, tries, check, spark = (
        str(uuid.uuid4()),
        [str(uuid.uuid4()) for _ in range(2)],
        *(str(uuid.uuid4()) for _ in range(2)),
    )
    under_dag = {"parent": parent_facet(dag_run, "etl")}
    task_type = {"jobType": {"jobType": "TASK", "integration": "AIRFLOW", "processingType": "BATCH"}}

    def task(kind: str, run_id: str, job: str, seconds: float, **extra: Any) -> dict[str, Any]:
        return run_event(kind, run_id=run_id, job=job, seconds=seconds, job_facets=task_type, **extra)

    dag_events = [
        run_event("START", run_id=dag_run, job="etl", seconds=0, job_facets=DAG_TYPE),
        run_event("COMPLETE", run_id=dag_run, job="etl", seconds=900, job_facets=DAG_TYPE),
    ]
    task_events = []
    for number, (run_id, rows, outcome) in enumerate(zip(tries, (10, 30), ("FAIL", "COMPLETE"), strict=True), 1):
        facets = {**under_dag, "airflow": {"taskInstance": {"try_number": number}}}
        task_events += [
            task("START", run_id, "etl.load", 10 * number, run_facets=facets),
            task(
                outcome,
                run_id,
                "etl.load",
                10 * number + 5,
                run_facets=facets,
                outputs=[{**dataset("pg", "facts"), "outputFacets": output_stats(rows)}],
            ),
        ]
    inputs = [{**dataset("pg", "facts"), "inputFacets": {"inputStatistics": {"rowCount": 7}}}]
    task_events += [
        task("START", check, "etl.check", 100, run_facets=under_dag, inputs=inputs),
        task(
            "COMPLETE",
            check,
            "etl.check",
            200,
            run_facets={**under_dag, "flowlytics_stats": {"dqFailedRows": 2}},
            outputs=[{**dataset("pg", "checked"), "outputFacets": output_stats(5)}],
        ),
        run_event(
            "COMPLETE",
            run_id=spark,
            job="spark_app.write",
            namespace="spark",
            seconds=150,
            run_facets={"parent": parent_facet(check, "etl.check", root=(dag_run, "etl"))},
            outputs=[{**dataset("s3", "lake"), "outputFacets": output_stats(100)}],
        ),
    ]
    ingest(database, dag_events, chunk=2)
    ingest(database, task_events, chunk=3)

    def dag_level(session: Any) -> tuple[int, int, int]:
        fact = session.get(RunFact, dag_run)
        return fact.rows_read, fact.rows_written, fact.dq_errors

    assert database.read(dag_level) == (7, 30 + 5 + 100, 2)
    dag_rows = [v for k, v in stored(database).items() if k[1] == "dag"]
    assert [(v["rows_read"], v["rows_written"], v["dq"]) for v in dag_rows] == [(7, 135, 2)]
    # The same figures as Batch Health's totals of the batch.
    with TestClient(create_app(make_settings(alerts_enabled=False), database=database)) as client:
        batch = client.get(f"/api/v1/batches/{dag_run}", headers=READ).json()
    assert (batch["rowsRead"], batch["rowsWritten"], batch["dqErrors"]) == (7, 135, 2)
    # And a rebuild from the stored runs agrees.
    before = stored(database)
    database.run(lambda s: rebuild_rollups(session=s, cost_rates=RATES))
    assert stored(database) == before


def test_the_probe_and_the_claim_use_the_queues_key_and_never_scan_the_runs_on_sqlite(
    sqlite_database: Database,
) -> None:
    """The barrier probes the queue before every analytics read, and the recount claims from it: both must
    go by the queue's primary key and reach runs by theirs, never scan the run table (1M runs: 160 to 400 ms
    per analytics request, as a partial index that SQLite did not use once cost)."""
    events = workload(random.Random(5), dags=2)[:20]
    store_only(sqlite_database, events)
    some_run = events[0]["run"]["runId"]
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            statements.append((statement, parameters))

    from sqlalchemy import event

    event.listen(sqlite_database.engine, "before_cursor_execute", capture)
    try:
        assert sqlite_database.read(lambda s: any_pending(session=s))
        assert sqlite_database.read(lambda s: any_pending(session=s, run_uuids=[some_run]))
        assert sqlite_database.run(lambda s: flush_pending_rollups(session=s, cost_rates=RATES)) > 0
    finally:
        event.remove(sqlite_database.engine, "before_cursor_execute", capture)
    queue = [(sql, params) for sql, params in statements if "FROM flowlytics_rollup_queue" in sql]
    probes = [(sql, params) for sql, params in queue if "ORDER BY" not in sql]
    claims = [(sql, params) for sql, params in queue if "ORDER BY" in sql]
    assert len(probes) == 2 and len(claims) == 1, queue
    with sqlite_database.engine.connect() as connection:

        def plan(sql: str, params: Any) -> list[str]:
            return [str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]

        assert plan(*probes[0]) in (["SCAN flowlytics_rollup_queue"], [f"SCAN {QUEUE_KEY}"]), plan(*probes[0])
        assert plan(*probes[1]) == [f"SEARCH {QUEUE_KEY} (run_uuid=?)"], plan(*probes[1])
        # Claimed in key order, without a sort.
        assert plan(*claims[0]) == [f"SCAN {QUEUE_KEY}"], plan(*claims[0])
        # Nothing of the recount (the claim's runs, the batch tops, a DAG run's tasks) scans the run table.
        for sql, params in statements:
            steps = plan(sql, params)
            assert not any(re.match(r"SCAN flowlytics_run\b(?!_)", step) for step in steps), (sql, steps)
        reads = [plan(sql, params) for sql, params in statements if "WHERE flowlytics_run.run_uuid IN" in sql]
        assert reads and all(
            any(
                step.startswith("SEARCH flowlytics_run USING INDEX sqlite_autoindex_flowlytics_run_1") for step in steps
            )
            for steps in reads
        ), reads
