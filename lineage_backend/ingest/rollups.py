"""Rollup maintenance, deferred and batched.

Ingestion only marks the runs it changed: it inserts their ids into `flowlytics_rollup_queue` (migration
0009) after its UPDATE of their rows, in the same transaction. `flush_pending_rollups` claims queued runs (a
background thread of every API process, and every analytics read first: the read barrier), derives each
run's facts afresh and compares them with the facts stored at its last count (`flowlytics_run_fact`). Only a
change moves the rollups: the old contribution is subtracted and the new one added. The claim locks the
queue rows (PostgreSQL: `FOR UPDATE`), then their run rows (`FOR NO KEY UPDATE`), both `SKIP LOCKED`, so
flushers of several workers and replicas take disjoint runs (SQLite has one writer); the locks last until
the recount commits, and rollup rows are locked in key order, so nothing is counted twice and nothing
deadlocks. A recount clears its marks by deleting the queue rows: the wide run rows are not written. An
ingest that touches a run being recounted waits for that commit on the run's row, and only then inserts
its mark again (the recount's delete is committed by then), so the change is recounted next pass.
Replays and shuffled deliveries converge on the same rollups as a recount from scratch (`rebuild_rollups`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from lineage_backend.analytics.cost import CostRates
from lineage_backend.analytics.facts import (
    FIGURES,
    FLOAT_MEASURES,
    MEASURES,
    RollupKey,
    RunFact,
    derive_fact,
    dq_failed_rows,
    duration_bucket,
    figures,
    rollup_keys,
)
from lineage_backend.store.models import Job, RollupQueue, Run, RunDataset, RunRollup
from lineage_backend.store.models import RunFact as RunFactRow
from lineage_backend.store.types import UtcDateTime

RUN: Table = Run.__table__  # type: ignore[assignment]
JOB: Table = Job.__table__  # type: ignore[assignment]
RUN_DATASET: Table = RunDataset.__table__  # type: ignore[assignment]
FACT: Table = RunFactRow.__table__  # type: ignore[assignment]
ROLLUP: Table = RunRollup.__table__  # type: ignore[assignment]
QUEUE: Table = RollupQueue.__table__  # type: ignore[assignment]

CHUNK = 400
KEY_COLUMNS = (
    "grain",
    "bucket_start",
    "level",
    "dag_key",
    "dag_namespace",
    "job_id",
    "env_key",
    "trigger_type",
    "state",
)
FACT_COLUMNS = tuple(f.name for f in fields(RunFact))
RUN_FIELDS = (
    "run_uuid",
    "job_id",
    "state",
    "started_at",
    "ended_at",
    "first_event_at",
    "is_root",
    "env_tag",
    "facets",
    "batch_run_uuid",
)

# What derive_fact reads of a run's facets (analytics.facts: trigger type, DAG version, flowlytics_stats,
# analytics.cost: the BigQuery facets), built in SQL: decoding a run's whole facets (the Airflow DAG's task
# graph among them) was most of the recount's Python time. SQLite's `->` (3.38+) keeps JSON types (true stays true),
# `json_extract` would not. Keep in step with those readers.
_SQLITE_AIRFLOW = (
    "json_object('dagRun', flowlytics_run.facets -> '$.{k}.dagRun', "
    "'dag', json_object('dag_version_number', flowlytics_run.facets -> '$.{k}.dag.dag_version_number'), "
    "'taskInstance', json_object('dag_version_number', "
    "flowlytics_run.facets -> '$.{k}.taskInstance.dag_version_number'), "
    "'dag_version_number', flowlytics_run.facets -> '$.{k}.dag_version_number')"
)
_PG_AIRFLOW = (
    "jsonb_build_object('dagRun', flowlytics_run.facets -> '{k}' -> 'dagRun', "
    "'dag', jsonb_build_object('dag_version_number', flowlytics_run.facets -> '{k}' -> 'dag' -> 'dag_version_number'), "
    "'taskInstance', jsonb_build_object('dag_version_number', "
    "flowlytics_run.facets -> '{k}' -> 'taskInstance' -> 'dag_version_number'), "
    "'dag_version_number', flowlytics_run.facets -> '{k}' -> 'dag_version_number')"
)
_SLIM_FACETS = {
    "sqlite": "json_object("
    + ", ".join(f"'{k}', " + _SQLITE_AIRFLOW.format(k=k) for k in ("airflow", "airflowDagRun"))
    + "".join(f", '{k}', flowlytics_run.facets -> '$.{k}'" for k in ("flowlytics_stats", "bigQueryJob", "bigQuery_job"))
    + ")",
    "postgresql": "jsonb_build_object("
    + ", ".join(f"'{k}', " + _PG_AIRFLOW.format(k=k) for k in ("airflow", "airflowDagRun"))
    + "".join(f", '{k}', flowlytics_run.facets -> '{k}'" for k in ("flowlytics_stats", "bigQueryJob", "bigQuery_job"))
    + ")::text",
}


def _run_columns(session: Session) -> list[Any]:
    """RUN_FIELDS as the recount reads them: `facets` slimmed to what derive_fact needs (JSON text)."""
    slim = literal_column(_SLIM_FACETS[session.get_bind().dialect.name], String).label("facets")
    return [slim if name == "facets" else RUN.c[name] for name in RUN_FIELDS]


def _run_dict(row: Any) -> dict[str, Any]:
    run = dict(zip(RUN_FIELDS, row, strict=False))
    run["facets"] = orjson.loads(run["facets"]) if run["facets"] is not None else {}
    return run


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Failed assertions of a run-dataset's `dataQualityAssertions` facet, counted in SQL (no facet is decoded):
# elements of an `assertions` array that are objects with `"success": false`, as Batch Health counts them.
_FAILED_ASSERTIONS = {
    "sqlite": (
        "CASE WHEN json_type(flowlytics_run_dataset.facets, '$.dataQualityAssertions.assertions') = 'array' "
        "THEN (SELECT count(*) FROM json_each(flowlytics_run_dataset.facets, '$.dataQualityAssertions.assertions') "
        "AS a WHERE CASE WHEN a.type = 'object' THEN json_type(a.value, '$.success') = 'false' ELSE 0 END) "
        "ELSE 0 END"
    ),
    "postgresql": (
        "CASE WHEN jsonb_typeof(flowlytics_run_dataset.facets -> 'dataQualityAssertions' -> 'assertions') = 'array' "
        "THEN (SELECT count(*) FROM jsonb_array_elements(flowlytics_run_dataset.facets -> 'dataQualityAssertions' "
        "-> 'assertions') AS a(v) WHERE jsonb_typeof(a.v) = 'object' AND a.v -> 'success' = 'false'::jsonb) "
        "ELSE 0 END"
    ),
}
# A task try's number and its flowlytics_stats facet, as JSON text (batch_totals).
_TRY_NUMBER = {
    "sqlite": "flowlytics_run.facets -> '$.airflow.taskInstance.try_number'",
    "postgresql": "(flowlytics_run.facets -> 'airflow' -> 'taskInstance' -> 'try_number')::text",
}
_STATS = {
    "sqlite": "flowlytics_run.facets -> '$.flowlytics_stats'",
    "postgresql": "(flowlytics_run.facets -> 'flowlytics_stats')::text",
}


ID_CHUNK = 5000  # ids per `_id_in` parameter: one statement for a whole recount batch


def _id_in(column: Any, ids: Sequence[Any], *, session: Session) -> ColumnElement[bool]:
    """`column IN ids` with the ids as one parameter (an array on PostgreSQL, a JSON array on SQLite), so that the
    statement's text does not change with the list's length: SQLAlchemy compiles it once, and psycopg and
    PostgreSQL parse and plan it once (prepared), where an IN list of 400 parameters was parsed anew each time."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        return column == any_(bindparam(None, _ids(dialect, ids), type_=ARRAY(column.type)))
    ids_json: Any = bindparam(None, _ids(dialect, ids))
    return column.in_(select(literal_column("value")).select_from(func.json_each(ids_json)).scalar_subquery())


def _json(text: str | None) -> Any:
    return orjson.loads(text) if text is not None else None


def _io_stats(run_uuids: Sequence[str], *, session: Session) -> dict[str, dict[str, int]]:
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not run_uuids:
        return stats
    connection = session.connection()
    dialect = connection.dialect
    # One statement, the ids one parameter (_IN_IDS): its text never changes, so the driver prepares it and
    # PostgreSQL's generic plan for it is fine. An IN list of 400 bound ids, once psycopg prepared it, took twice
    # as long (most likely a generic plan comparing each row with every parameter; docs/benchmarks.md).
    read = (
        f"SELECT run_uuid, direction, row_count, {_FAILED_ASSERTIONS[dialect.name]} FROM flowlytics_run_dataset "
        f"WHERE run_uuid {_IN_IDS[dialect.name]}"
    )
    for run_uuid, direction, rows, assertions in connection.exec_driver_sql(read, (_ids(dialect, sorted(run_uuids)),)):
        entry = stats[run_uuid]
        if rows is not None:
            entry["rows_read" if direction == "IN" else "rows_written"] += int(rows)
        entry["failed_assertions"] += int(assertions or 0)
    return stats


def batch_totals(
    tops: Sequence[str], *, session: Session, known_io: Mapping[str, Mapping[str, int]] | None = None
) -> dict[str, dict[str, int]]:
    """Rows read and written and DQ errors of each batch (by its top run) over its descendant runs, as Batch
    Health totals a batch: every descendant (a Spark run under an Airflow task too), an Airflow task's latest
    try only. Batches without descendants are left out (a lone run's figures are its own). `known_io`: the
    inputs/outputs figures of runs already read in this transaction (not read again)."""
    latest: dict[str, dict[Any, tuple[tuple[int, str], str, int]]] = defaultdict(dict)
    dialect = session.get_bind().dialect.name
    try_column = literal_column(_TRY_NUMBER[dialect], String)
    stats_column = literal_column(_STATS[dialect], String)
    for chunk in _chunks(sorted(tops), ID_CHUNK):
        for top, uuid, job_id, sort_time, try_text, custom_text in session.execute(
            select(
                RUN.c.batch_run_uuid,
                RUN.c.run_uuid,
                RUN.c.job_id,
                RUN.c.sort_time,
                try_column,
                stats_column,
            ).where(
                _id_in(RUN.c.batch_run_uuid, chunk, session=session),
                RUN.c.run_uuid != RUN.c.batch_run_uuid,
                RUN.c.state.is_not(None),
            )
        ):
            try_number = _json(try_text)
            try_number = try_number if isinstance(try_number, int) else 0
            key = job_id if try_number else uuid
            rank = (try_number, sort_time.isoformat() if sort_time is not None else "")
            current = latest[top].get(key)
            if current is None or rank > current[0]:
                custom = _json(custom_text)
                latest[top][key] = (rank, uuid, dq_failed_rows(custom if isinstance(custom, dict) else {}))
    known_io = known_io or {}
    chosen = [uuid for tries in latest.values() for _, uuid, _ in tries.values()]
    io: dict[str, Mapping[str, int]] = {uuid: known_io[uuid] for uuid in chosen if uuid in known_io}
    io.update(_io_stats([uuid for uuid in chosen if uuid not in known_io], session=session))
    totals = {}
    for top, tries in latest.items():
        entry = {"rows_read": 0, "rows_written": 0, "dq_errors": 0}
        for _, uuid, custom_dq in tries.values():
            stats = io.get(uuid, {})
            entry["rows_read"] += stats.get("rows_read", 0)
            entry["rows_written"] += stats.get("rows_written", 0)
            entry["dq_errors"] += stats.get("failed_assertions", 0) + custom_dq
        totals[top] = entry
    return totals


def _jobs(
    job_ids: Iterable[int], *, session: Session, known: Mapping[int, tuple[str, str, str | None]] | None = None
) -> dict[int, tuple[str, str, str | None]]:
    """(namespace, name, DAG id) per job: from `known` (what the projection just read), else the table."""
    found: dict[int, tuple[str, str, str | None]] = {}
    missing = set()
    for job_id in set(job_ids):
        if known is not None and job_id in known:
            found[job_id] = known[job_id]
        else:
            missing.add(job_id)
    for chunk in _chunks(sorted(missing), ID_CHUNK):
        for job_id, namespace, name, dag_id in session.execute(
            select(JOB.c.id, JOB.c.namespace, JOB.c.name, JOB.c.dag_id).where(_id_in(JOB.c.id, chunk, session=session))
        ):
            found[int(job_id)] = (namespace, name, dag_id)
    return found


def derive_facts(
    runs: Mapping[str, Mapping[str, Any]],
    *,
    session: Session,
    cost_rates: CostRates,
    known_jobs: Mapping[int, tuple[str, str, str | None]] | None = None,
    known_io: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, RunFact]:
    """Facts of runs given as column dicts (with run_uuid); runs without an event of their own have none.
    `known_io`: inputs/outputs figures of runs whose run-dataset rows are known not to have changed."""
    jobs = _jobs((int(run["job_id"]) for run in runs.values()), session=session, known=known_jobs)
    known_io = known_io or {}
    io: dict[str, Mapping[str, int]] = dict(known_io)
    io.update(_io_stats([uuid for uuid in runs if uuid not in known_io], session=session))
    # DAG runs count their tasks' rows and DQ errors (a DAG run reads and writes nothing itself).
    tops = [uuid for uuid, run in runs.items() if _is_top(uuid, run)]
    io.update(batch_totals(tops, session=session, known_io={uuid: io.get(uuid, {}) for uuid in runs}))
    facts = {}
    for uuid, run in runs.items():
        namespace, name, dag_id = jobs[int(run["job_id"])]
        fact = derive_fact(
            {**run, "run_uuid": uuid},
            job_namespace=namespace,
            job_name=name,
            dag_id=dag_id,
            io=io.get(uuid, {}),
            cost_rates=cost_rates,
        )
        if fact is not None:
            facts[uuid] = fact
    return facts


def _is_top(uuid: str, run: Mapping[str, Any]) -> bool:
    return bool(run.get("is_root")) and run.get("batch_run_uuid") in (None, uuid)


# The recount's reads and writes of facts and rollups go to the driver as plain statements with precomputed
# parameter tuples (one bind processor per column, looked up once): SQLAlchemy's per-row compile and bind
# work was a third of the recount's CPU. Id lists are one parameter (a JSON array on SQLite, an array on
# PostgreSQL), so the statements' text never changes.
_PLACEHOLDER = {"sqlite": "?", "postgresql": "%s"}
_IN_IDS = {"sqlite": "IN (SELECT value FROM json_each(?))", "postgresql": "= ANY(%s)"}
_processors: dict[tuple[str, str, str, str], Any] = {}


def _processor(table: Table, name: str, dialect: Any, kind: str) -> Any:
    """The bind ("bind") or result ("result") processor of a column on a dialect, or None."""
    key = (table.name, name, dialect.name, kind)
    if key not in _processors:
        impl = table.c[name].type.dialect_impl(dialect)
        _processors[key] = impl.bind_processor(dialect) if kind == "bind" else impl.result_processor(dialect, None)
    return _processors[key]


_row_binders: dict[tuple[str, tuple[str, ...], str], list[Any]] = {}


def _bound(table: Table, names: tuple[str, ...], values: Sequence[Any], dialect: Any) -> tuple[Any, ...]:
    key = (table.name, names, dialect.name)
    binders = _row_binders.get(key)
    if binders is None:
        binders = _row_binders[key] = [_processor(table, name, dialect, "bind") for name in names]
    return tuple(
        value if process is None or value is None else process(value)
        for process, value in zip(binders, values, strict=True)
    )


def _ids(dialect: Any, ids: Sequence[str]) -> Any:
    return orjson.dumps(list(ids)).decode() if dialect.name == "sqlite" else list(ids)


def _fact_tuple(fact: RunFact, dialect: Any) -> tuple[Any, ...]:
    """A fact as its row is stored (bound values), so that a stored row compares equal without decoding."""
    return _bound(FACT, FACT_COLUMNS, [getattr(fact, name) for name in FACT_COLUMNS], dialect)


_TIME_COLUMNS = frozenset(name for name in FACT_COLUMNS if isinstance(FACT.c[name].type, UtcDateTime))


def _fact_from_row(row: Sequence[Any], dialect: Any) -> RunFact:
    # Only the time columns need decoding (SQLite stores text, both return naive UTC); drivers return the
    # other columns as Python values already.
    values = {}
    for name, value in zip(FACT_COLUMNS, row, strict=True):
        if name in _TIME_COLUMNS and value is not None:
            value = _processor(FACT, name, dialect, "result")(value)
        values[name] = value
    return RunFact(**values)


def update_rollups(runs: Mapping[str, Mapping[str, Any]], *, session: Session, cost_rates: CostRates) -> None:
    """Recount the given runs (column dicts by run_uuid, their rows locked by the caller); never commits."""
    if not runs:
        return
    connection = session.connection()
    dialect = connection.dialect
    read = (
        f"SELECT {', '.join(FACT_COLUMNS)} FROM flowlytics_run_fact WHERE run_uuid {_IN_IDS[dialect.name]} "
        "ORDER BY run_uuid" + (" FOR UPDATE" if dialect.name == "postgresql" else "")
    )
    stored: dict[str, tuple[Any, ...]] = {}
    for chunk in _chunks(sorted(runs)):
        for row in connection.exec_driver_sql(read, (_ids(dialect, chunk),)):
            stored[row[0]] = tuple(row)
    new_facts = derive_facts(runs, session=session, cost_rates=cost_rates)
    deltas: dict[RollupKey, dict[str, Any]] = {}
    upserts, removed = [], []
    for uuid in sorted(runs):
        old_row, new = stored.get(uuid), new_facts.get(uuid)
        new_row = _fact_tuple(new, dialect) if new is not None else None
        if old_row == new_row:
            continue
        if old_row is not None:
            _accumulate(deltas, _fact_from_row(old_row, dialect), -1)
        if new is not None:
            _accumulate(deltas, new, 1)
            upserts.append(new_row)
        else:
            removed.append(uuid)
    if removed:
        for chunk in _chunks(removed, ID_CHUNK):
            session.execute(delete(FACT).where(_id_in(FACT.c.run_uuid, chunk, session=session)))
    _upsert_facts(upserts, session=session)
    apply_deltas(deltas, session=session)


# Runs per recount transaction: a few statements each whatever the size. Large on purpose: the runs of one
# flush interval go in one transaction, so a rollup row that many of them move is upserted once for all of
# them (an hour row per job, a day row per DAG), and a DAG run once for all its tasks.
FLUSH_LIMIT = 5000


# Queue statements for the driver, the id list one parameter (see _IN_IDS). SQLite needs the `WHERE true` to
# tell the upsert's ON CONFLICT from a join's ON.
_MARK = {
    "sqlite": "INSERT INTO flowlytics_rollup_queue (run_uuid) SELECT value FROM json_each(?) WHERE true "
    "ON CONFLICT (run_uuid) DO NOTHING",
    "postgresql": "INSERT INTO flowlytics_rollup_queue (run_uuid) SELECT unnest(CAST(%s AS varchar[])) "
    "ON CONFLICT (run_uuid) DO NOTHING",
}
# Marks of runs recounted, and of the batch tops recounted along: a top's mark that another flusher holds
# (it claimed the top and skipped it, its row being ours) is left to that flusher, never waited for (the
# barrier would wait in a circle with it); it recounts the top once more, which changes nothing.
_UNMARK = {
    "sqlite": f"DELETE FROM flowlytics_rollup_queue WHERE run_uuid {_IN_IDS['sqlite']}",
    "postgresql": "DELETE FROM flowlytics_rollup_queue WHERE run_uuid IN (SELECT run_uuid FROM "
    f"flowlytics_rollup_queue WHERE run_uuid {_IN_IDS['postgresql']} FOR UPDATE SKIP LOCKED)",
}


def mark_pending(run_uuids: Collection[str], *, session: Session) -> None:
    """Queue runs for their recount (one statement; runs already queued stay as they are). Call it after
    the UPDATE of the runs' rows, in the same transaction: see the module's docstring."""
    if not run_uuids:
        return
    connection = session.connection()
    dialect = connection.dialect
    connection.exec_driver_sql(_MARK[dialect.name], (_ids(dialect, sorted(run_uuids)),))


def any_pending(*, session: Session, run_uuids: Collection[str] | None = None) -> bool:
    """Whether some run awaits its recount (one probe of the queue's key): the read barrier's cheap check."""
    query = select(QUEUE.c.run_uuid)
    if run_uuids is not None:
        query = query.where(QUEUE.c.run_uuid.in_(sorted(run_uuids)))
    return session.execute(query.limit(1)).first() is not None


def flush_pending_rollups(
    *,
    session: Session,
    cost_rates: CostRates,
    limit: int = FLUSH_LIMIT,
    wait: bool = False,
    run_uuids: Collection[str] | None = None,
) -> int:
    """Recount up to `limit` queued runs into the rollups and clear their marks; never commits. Returns how
    many marks were claimed (fewer than `limit`: none was left, as far as this transaction could see).

    `wait`: on PostgreSQL, wait for marks and runs that another transaction holds (a concurrent flush, an
    ingest) instead of skipping them: the read barrier needs those counted (or known to be counted) before
    it reads. `run_uuids`: only these runs (a read about one run). Marks of runs that retention deleted are
    dropped: what those runs counted stays in the rollups."""
    # The marks first, in run_uuid order (PostgreSQL: FOR UPDATE, they are deleted at the end), then their
    # runs by key: two statements that each read only what they claim (a join of the two was planned as a
    # merge join that walked the run table's whole key index).
    claim = select(QUEUE.c.run_uuid)
    if run_uuids is not None:
        claim = claim.where(QUEUE.c.run_uuid.in_(sorted(run_uuids)))
    claim = claim.order_by(QUEUE.c.run_uuid).limit(limit).with_for_update(skip_locked=not wait)
    marks = session.execute(claim).scalars().all()
    if not marks:
        return 0
    # A run another transaction holds (an ingest writing it) is skipped and keeps its mark.
    runs = _lock_runs(marks, wait=wait, session=session)
    if missing := sorted(set(marks) - set(runs)):
        # Runs gone (retention deleted them while a recount held their marks): their marks go too.
        session.execute(
            delete(QUEUE).where(QUEUE.c.run_uuid.in_(missing), ~exists().where(RUN.c.run_uuid == QUEUE.c.run_uuid))
        )
    if not runs:
        return len(marks)
    # A task's figures are part of its DAG run's: the batch tops of the claimed runs are recounted too, under
    # their lock. Skipped when another transaction holds one (no waiting in a circle): its runs stay marked
    # and come back next pass. The barrier waits instead (PostgreSQL resolves a rare deadlock by a retry).
    tops = {run["batch_run_uuid"] for uuid, run in runs.items() if run["batch_run_uuid"] not in (None, uuid)}
    held = _lock_runs(sorted(tops - set(runs)), wait=wait, session=session)
    unreached = tops - set(runs) - set(held)
    update_rollups({**runs, **held}, session=session, cost_rates=cost_rates)
    # A top that was gone (retention) is not waited for: only tops held by someone else keep marks.
    if unreached and not wait:
        existing: set[str] = set()
        for chunk in _chunks(sorted(unreached), ID_CHUNK):
            existing.update(
                session.execute(select(RUN.c.run_uuid).where(_id_in(RUN.c.run_uuid, chunk, session=session))).scalars()
            )
        unreached &= existing
    done = [uuid for uuid, run in runs.items() if run["batch_run_uuid"] not in unreached] + sorted(held)
    if done:
        connection = session.connection()
        connection.exec_driver_sql(_UNMARK[connection.dialect.name], (_ids(connection.dialect, sorted(done)),))
    return len(marks)


def _lock_runs(run_uuids: Sequence[str], *, wait: bool, session: Session) -> dict[str, dict[str, Any]]:
    """Read runs for their recount (`_run_columns`) and lock them, in run_uuid order: PostgreSQL `FOR NO KEY
    UPDATE` (an ingest writing the run waits for the recount; run-dataset inserts, whose foreign-key checks
    take KEY SHARE, need not), `SKIP LOCKED` unless `wait`. Runs skipped or gone are left out."""
    if not run_uuids:
        return {}
    runs: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(run_uuids, ID_CHUNK):
        rows = session.execute(
            select(*_run_columns(session))
            .where(_id_in(RUN.c.run_uuid, chunk, session=session))
            .order_by(RUN.c.run_uuid)
            .with_for_update(skip_locked=not wait, key_share=True)
        )
        runs.update({row.run_uuid: _run_dict(row) for row in rows})
    return runs


_ZEROS = tuple(0.0 if name in FLOAT_MEASURES else 0 for name in FIGURES)


def _accumulate(deltas: dict[RollupKey, dict[str, Any]], fact: RunFact, sign: int) -> None:
    """Add (sign 1) or take back (-1) a run's contribution (facts.rollup_keys, facts.figures) into `deltas`."""
    values = figures(fact)
    bucket = duration_bucket(fact)
    for key in rollup_keys(fact):
        target = deltas.get(key)
        if target is None:
            target = deltas[key] = dict(zip(FIGURES, _ZEROS, strict=True))
            target["sketch"] = {}
        for name, value in zip(FIGURES, values, strict=True):
            target[name] += sign * value
        if bucket is not None:
            sketch = target["sketch"]
            count = sketch.get(bucket, 0) + sign
            if count:
                sketch[bucket] = count
            else:
                del sketch[bucket]


def _upsert_facts(rows: list[Any], *, session: Session) -> None:
    """Insert or replace fact rows, given as stored (`_fact_tuple`)."""
    if not rows:
        return
    connection = session.connection()
    mark = _PLACEHOLDER[connection.dialect.name]
    statement = (
        f"INSERT INTO flowlytics_run_fact ({', '.join(FACT_COLUMNS)}) VALUES ({', '.join(mark for _ in FACT_COLUMNS)}) "
        "ON CONFLICT (run_uuid) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in FACT_COLUMNS if name != "run_uuid")
    )
    for chunk in _chunks(rows):
        connection.exec_driver_sql(statement, list(chunk))


# Sketch merge inside the upsert: only the delta's buckets are visited (a few), each looked up in the stored
# sketch by key and the sums patched in; a bucket that sums to zero is dropped. Expanding the whole stored sketch
# (a day row holds a hundred buckets and more) and aggregating it again cost 2-3x as much on PostgreSQL. Only
# when the delta has a sketch (CASE evaluates lazily on both databases): most deltas move counts only.
# SQLite: json_patch (RFC 7396) removes the keys patched with null. PostgreSQL: `||` then `- text[]`.
_MERGE_SKETCH = {
    "sqlite": (
        "CASE WHEN excluded.sketch = '{}' THEN flowlytics_run_rollup.sketch ELSE "
        "json_patch(flowlytics_run_rollup.sketch, (SELECT json_group_object(e.key, NULLIF(COALESCE("
        "json_extract(flowlytics_run_rollup.sketch, '$.\"' || e.key || '\"'), 0) + e.value, 0)) "
        "FROM json_each(excluded.sketch) AS e)) END"
    ),
    "postgresql": (
        "CASE WHEN excluded.sketch = '{}'::jsonb THEN flowlytics_run_rollup.sketch ELSE "
        "(SELECT (flowlytics_run_rollup.sketch || COALESCE(jsonb_object_agg(d.key, d.total) "
        "FILTER (WHERE d.total <> 0), '{}'::jsonb)) "
        "- COALESCE(array_agg(d.key) FILTER (WHERE d.total = 0), '{}'::text[]) "
        "FROM (SELECT e.key, COALESCE((flowlytics_run_rollup.sketch ->> e.key)::bigint, 0) + e.value::bigint AS total "
        "FROM jsonb_each_text(excluded.sketch) AS e) AS d) END"
    ),
}


def apply_deltas(deltas: Mapping[RollupKey, Mapping[str, Any]], *, session: Session) -> None:
    """Add the deltas into the rollup rows with one upsert per chunk, in key order (rows are locked in that
    order, so concurrent requests queue instead of deadlocking): new rows take the figures, existing rows
    add them, and the duration sketches are merged in SQL."""
    changed = sorted(
        key
        for key, delta in deltas.items()
        if delta["sketch"] or any(delta[name] for name in (*MEASURES, *FLOAT_MEASURES))
    )
    if not changed:
        return
    connection = session.connection()
    dialect = connection.dialect
    mark = _PLACEHOLDER[dialect.name]
    columns = (*KEY_COLUMNS, *FIGURES, "sketch")
    sketch_mark = f"CAST({mark} AS jsonb)" if dialect.name == "postgresql" else mark
    statement = (
        f"INSERT INTO flowlytics_run_rollup ({', '.join(columns)}) "
        f"VALUES ({', '.join(mark for _ in (*KEY_COLUMNS, *FIGURES))}, {sketch_mark}) "
        f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET "
        + ", ".join(f"{name} = flowlytics_run_rollup.{name} + excluded.{name}" for name in FIGURES)
        + f", sketch = {_MERGE_SKETCH[dialect.name]}"
    )
    for chunk in _chunks(changed):
        rows = [
            _bound(ROLLUP, KEY_COLUMNS, key, dialect)
            + tuple(deltas[key][name] for name in FIGURES)
            + (orjson.dumps(deltas[key]["sketch"]).decode(),)
            for key in chunk
        ]
        connection.exec_driver_sql(statement, rows)


def rebuild_rollups(
    *, session: Session, cost_rates: CostRates, chunk_size: int = 5000, clear_marks: bool = True
) -> int:
    """Recount every stored run from scratch (after a migration, or a change of the rate card). Rollups of
    runs that retention deleted are kept: only the buckets of stored runs are recounted. Pending marks are
    cleared first (every run is recounted here); a run an ingest marks meanwhile is recounted again later.
    `clear_marks=False`: for migrations before 0009, which have no queue table yet (nor marks, before 0008)."""
    count = 0
    if clear_marks:
        session.execute(delete(QUEUE))
    session.execute(delete(FACT))
    # In time order, so that each chunk's hours are mostly new rows (inserted with their figures at once).
    after: tuple[Any, str] | None = None
    while True:
        query = select(*_run_columns(session), RUN.c.sort_time).where(RUN.c.sort_time.is_not(None))
        if after is not None:
            moment, uuid = after
            query = query.where(or_(RUN.c.sort_time > moment, and_(RUN.c.sort_time == moment, RUN.c.run_uuid > uuid)))
        rows = session.execute(query.order_by(RUN.c.sort_time, RUN.c.run_uuid).limit(chunk_size)).all()
        if not rows:
            break
        after = (rows[-1].sort_time, rows[-1].run_uuid)
        runs = {row.run_uuid: _run_dict(row) for row in rows}
        facts = derive_facts(runs, session=session, cost_rates=cost_rates)
        if count == 0:
            _clear_buckets_of_stored_runs(session=session)
        deltas: dict[RollupKey, dict[str, Any]] = {}
        for fact in facts.values():
            _accumulate(deltas, fact, 1)
        dialect = session.get_bind().dialect
        _upsert_facts([_fact_tuple(fact, dialect) for fact in facts.values()], session=session)
        apply_deltas(deltas, session=session)
        count += len(facts)
    return count


def _clear_buckets_of_stored_runs(*, session: Session) -> None:
    """Rollup rows whose buckets hold stored runs are recounted; older buckets (deleted runs) stay."""
    oldest = session.execute(select(RUN.c.sort_time).order_by(RUN.c.sort_time).limit(1)).scalar()
    if oldest is None:
        return
    from lineage_backend.analytics.buckets import bucket_start

    session.execute(delete(ROLLUP).where(ROLLUP.c.bucket_start >= bucket_start(oldest, "day")))
