"""Rollup maintenance, deferred and batched.

Ingestion only marks the runs it changed (`flowlytics_run.rollup_pending`, set in the UPDATE it writes
anyway). `flush_pending_rollups` claims marked runs (a background thread of every API process, and every
analytics read first: the read barrier), derives each run's facts afresh and compares them with the facts
stored at its last count (`flowlytics_run_fact`). Only a change moves the rollups: the old contribution is
subtracted and the new one added. Claimed run rows stay locked until the recount commits (PostgreSQL:
`FOR UPDATE SKIP LOCKED`, so flushers of several workers and replicas take disjoint runs; SQLite has one
writer), and rollup rows are locked in key order, so nothing is counted twice and nothing deadlocks. An
ingest that touches a run being recounted waits for that commit and marks it again. Replays and shuffled
deliveries converge on the same rollups as a recount from scratch (`rebuild_rollups`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Boolean, Table, and_, delete, literal_column, or_, select, update
from sqlalchemy.orm import Session

from lineage_backend.analytics.cost import CostRates
from lineage_backend.analytics.facts import (
    FLOAT_MEASURES,
    MEASURES,
    RollupKey,
    RunFact,
    contributions,
    derive_fact,
    dq_failed_rows,
)
from lineage_backend.analytics.sketch import add_into
from lineage_backend.store.models import Job, Run, RunDataset, RunRollup
from lineage_backend.store.models import RunFact as RunFactRow
from lineage_backend.store.sql import insert_for

RUN: Table = Run.__table__  # type: ignore[assignment]
JOB: Table = Job.__table__  # type: ignore[assignment]
RUN_DATASET: Table = RunDataset.__table__  # type: ignore[assignment]
FACT: Table = RunFactRow.__table__  # type: ignore[assignment]
ROLLUP: Table = RunRollup.__table__  # type: ignore[assignment]

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


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _assertions_failed(facet: Any) -> int:
    if not isinstance(facet, dict):
        return 0
    return sum(1 for a in facet.get("assertions") or [] if isinstance(a, dict) and a.get("success") is False)


def _io_stats(run_uuids: Sequence[str], *, session: Session) -> dict[str, dict[str, int]]:
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not run_uuids:
        return stats
    for chunk in _chunks(sorted(run_uuids)):
        for run_uuid, direction, rows, assertions in session.execute(
            select(
                RUN_DATASET.c.run_uuid,
                RUN_DATASET.c.direction,
                RUN_DATASET.c.row_count,
                RUN_DATASET.c.facets["dataQualityAssertions"],
            ).where(RUN_DATASET.c.run_uuid.in_(chunk))
        ):
            entry = stats[run_uuid]
            if rows is not None:
                entry["rows_read" if direction == "IN" else "rows_written"] += int(rows)
            entry["failed_assertions"] += _assertions_failed(assertions)
    return stats


def batch_totals(tops: Sequence[str], *, session: Session) -> dict[str, dict[str, int]]:
    """Rows read and written and DQ errors of each batch (by its top run) over its descendant runs, as Batch
    Health totals a batch: every descendant (a Spark run under an Airflow task too), an Airflow task's latest
    try only. Batches without descendants are left out (a lone run's figures are its own)."""
    latest: dict[str, dict[Any, tuple[tuple[int, str], str, int]]] = defaultdict(dict)
    instance = RUN.c.facets[("airflow", "taskInstance")]
    for chunk in _chunks(sorted(tops)):
        for top, uuid, job_id, sort_time, task, custom in session.execute(
            select(
                RUN.c.batch_run_uuid,
                RUN.c.run_uuid,
                RUN.c.job_id,
                RUN.c.sort_time,
                instance,
                RUN.c.facets["flowlytics_stats"],
            ).where(RUN.c.batch_run_uuid.in_(chunk), RUN.c.run_uuid != RUN.c.batch_run_uuid, RUN.c.state.is_not(None))
        ):
            try_number = task.get("try_number") if isinstance(task, dict) else None
            try_number = try_number if isinstance(try_number, int) else 0
            key = job_id if try_number else uuid
            rank = (try_number, sort_time.isoformat() if sort_time is not None else "")
            current = latest[top].get(key)
            if current is None or rank > current[0]:
                latest[top][key] = (rank, uuid, dq_failed_rows(custom if isinstance(custom, dict) else {}))
    io = _io_stats([uuid for tries in latest.values() for _, uuid, _ in tries.values()], session=session)
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
    for chunk in _chunks(sorted(missing)):
        for job_id, namespace, name, dag_id in session.execute(
            select(JOB.c.id, JOB.c.namespace, JOB.c.name, JOB.c.dag_id).where(JOB.c.id.in_(chunk))
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
    io.update(batch_totals([uuid for uuid, run in runs.items() if _is_top(uuid, run)], session=session))
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


def update_rollups(runs: Mapping[str, Mapping[str, Any]], *, session: Session, cost_rates: CostRates) -> None:
    """Recount the given runs (column dicts by run_uuid, their rows locked by the caller); never commits."""
    if not runs:
        return
    old_facts: dict[str, RunFact] = {}
    for chunk in _chunks(sorted(runs)):
        for row in session.execute(
            select(*(FACT.c[name] for name in FACT_COLUMNS))
            .where(FACT.c.run_uuid.in_(chunk))
            .order_by(FACT.c.run_uuid)
            .with_for_update()
        ):
            old_facts[row.run_uuid] = RunFact(**row._asdict())
    new_facts = derive_facts(runs, session=session, cost_rates=cost_rates)
    deltas: dict[RollupKey, dict[str, Any]] = {}
    upserts, removed = [], []
    for uuid in sorted(runs):
        old, new = old_facts.get(uuid), new_facts.get(uuid)
        if old == new:
            continue
        if old is not None:
            _accumulate(deltas, old, -1)
        if new is not None:
            _accumulate(deltas, new, 1)
            upserts.append(new.as_row())
        else:
            removed.append(uuid)
    if removed:
        session.execute(delete(FACT).where(FACT.c.run_uuid.in_(removed)))
    _upsert_facts(upserts, session=session)
    apply_deltas(deltas, session=session)


FLUSH_LIMIT = 500  # runs per recount transaction: a few statements each, a few hundred ms of CPU at most


# `WHERE rollup_pending` as the partial index ix_flowlytics_run_rollup_pending states it: SQLite uses a partial
# index only when the query holds the index's WHERE term as written (SQLAlchemy would write `= 1` there).
PENDING = literal_column("flowlytics_run.rollup_pending", Boolean)


def any_pending(*, session: Session, run_uuids: Collection[str] | None = None) -> bool:
    """Whether some run awaits its recount (one index probe): the read barrier's cheap check."""
    query = select(RUN.c.run_uuid).where(PENDING)
    if run_uuids is not None:
        query = query.where(RUN.c.run_uuid.in_(sorted(run_uuids)))
    return session.execute(query.limit(1)).first() is not None


def flush_pending_rollups(
    *,
    session: Session,
    cost_rates: CostRates,
    limit: int = FLUSH_LIMIT,
    wait: bool = False,
    run_uuids: Collection[str] | None = None,
) -> int:
    """Recount up to `limit` marked runs into the rollups and clear their marks; never commits. Returns
    how many runs were claimed (fewer than `limit`: none was left, as far as this transaction could see).

    `wait`: on PostgreSQL, wait for runs that another transaction holds (a concurrent flush, an ingest)
    instead of skipping them: the read barrier needs those counted (or known to be counted) before it
    reads. `run_uuids`: only these runs (a read about one run). Runs that retention deleted in the
    meantime lost their mark with their row: what they counted stays in the rollups."""
    query = select(*(RUN.c[name] for name in RUN_FIELDS)).where(PENDING)
    if run_uuids is not None:
        query = query.where(RUN.c.run_uuid.in_(sorted(run_uuids)))
    query = query.order_by(RUN.c.run_uuid).limit(limit).with_for_update(skip_locked=not wait, key_share=True)
    runs = {row.run_uuid: {name: getattr(row, name) for name in RUN_FIELDS} for row in session.execute(query)}
    if not runs:
        return 0
    # A task's figures are part of its DAG run's: the batch tops of the claimed runs are recounted too, under
    # their lock. Skipped when another transaction holds one (no waiting in a circle): its runs stay marked
    # and come back next pass. The barrier waits instead (PostgreSQL resolves a rare deadlock by a retry).
    tops = {run["batch_run_uuid"] for uuid, run in runs.items() if run["batch_run_uuid"] not in (None, uuid)}
    held: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(tops - set(runs))):
        rows = session.execute(
            select(*(RUN.c[name] for name in RUN_FIELDS))
            .where(RUN.c.run_uuid.in_(chunk))
            .order_by(RUN.c.run_uuid)
            .with_for_update(skip_locked=not wait, key_share=True)
        )
        held.update({row.run_uuid: {name: getattr(row, name) for name in RUN_FIELDS} for row in rows})
    unreached = tops - set(runs) - set(held)
    update_rollups({**runs, **held}, session=session, cost_rates=cost_rates)
    # A top that was gone (retention) is not waited for: only tops held by someone else keep marks.
    if unreached and not wait:
        existing: set[str] = set()
        for chunk in _chunks(sorted(unreached)):
            existing.update(session.execute(select(RUN.c.run_uuid).where(RUN.c.run_uuid.in_(chunk))).scalars())
        unreached &= existing
    done = [uuid for uuid, run in runs.items() if run["batch_run_uuid"] not in unreached] + sorted(held)
    for chunk in _chunks(sorted(done)):
        session.execute(update(RUN).where(RUN.c.run_uuid.in_(chunk), PENDING).values(rollup_pending=False))
    return len(runs)


def _accumulate(deltas: dict[RollupKey, dict[str, Any]], fact: RunFact, sign: int) -> None:
    for key, figures in contributions(fact).items():
        target = deltas.get(key)
        if target is None:
            target = deltas[key] = (
                {name: 0 for name in MEASURES} | {name: 0.0 for name in FLOAT_MEASURES} | {"sketch": {}}
            )
        for name in (*MEASURES, *FLOAT_MEASURES):
            target[name] += sign * figures[name]
        add_into(target["sketch"], figures["sketch"], sign)


def _upsert_facts(rows: list[dict[str, Any]], *, session: Session) -> None:
    if not rows:
        return
    statement = insert_for(session, FACT)
    statement = statement.on_conflict_do_update(
        index_elements=["run_uuid"],
        set_={name: statement.excluded[name] for name in FACT_COLUMNS if name != "run_uuid"},
    )
    for chunk in _chunks(rows):
        session.execute(statement, list(chunk))


# Sketch merge inside the upsert: bucket counts added key by key, empty buckets dropped. Only when the delta
# has a sketch (CASE evaluates the subquery lazily on both databases): most deltas have none (a run that
# starts, or leaves the RUNNING state, moves counts only), and the JSON merge is most of the upsert's cost.
_MERGE_SKETCH = {
    "sqlite": (
        "CASE WHEN excluded.sketch = '{}' THEN flowlytics_run_rollup.sketch ELSE "
        "(SELECT json_group_object(key, total) FROM (SELECT key, SUM(value) AS total FROM ("
        "SELECT key, value FROM json_each(flowlytics_run_rollup.sketch) "
        "UNION ALL SELECT key, value FROM json_each(excluded.sketch)) GROUP BY key HAVING SUM(value) != 0)) END"
    ),
    "postgresql": (
        "CASE WHEN excluded.sketch = '{}'::jsonb THEN flowlytics_run_rollup.sketch ELSE "
        "(SELECT COALESCE(jsonb_object_agg(key, total), '{}'::jsonb) FROM (SELECT key, SUM(value::bigint) AS total "
        "FROM (SELECT key, value FROM jsonb_each_text(flowlytics_run_rollup.sketch) "
        "UNION ALL SELECT key, value FROM jsonb_each_text(excluded.sketch)) AS parts "
        "GROUP BY key HAVING SUM(value::bigint) <> 0) AS merged) END"
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
    figures = (*MEASURES, *FLOAT_MEASURES)
    statement = insert_for(session, ROLLUP)
    excluded = statement.excluded
    merge_sketch: Any = literal_column(_MERGE_SKETCH[session.get_bind().dialect.name])
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS),
        set_={**{name: ROLLUP.c[name] + excluded[name] for name in figures}, "sketch": merge_sketch},
    )
    for chunk in _chunks(changed):
        rows = [
            dict(zip(KEY_COLUMNS, key, strict=True))
            | {name: deltas[key][name] for name in figures}
            | {"sketch": dict(deltas[key]["sketch"])}
            for key in chunk
        ]
        session.execute(statement, rows)


def rebuild_rollups(
    *, session: Session, cost_rates: CostRates, chunk_size: int = 5000, clear_marks: bool = True
) -> int:
    """Recount every stored run from scratch (after a migration, or a change of the rate card). Rollups of
    runs that retention deleted are kept: only the buckets of stored runs are recounted. Pending marks are
    cleared first (every run is recounted here); a run an ingest marks meanwhile is recounted again later.
    `clear_marks=False`: for migrations before 0008, whose runs have no marks yet."""
    count = 0
    if clear_marks:
        session.execute(update(RUN).where(PENDING).values(rollup_pending=False))
    session.execute(delete(FACT))
    # In time order, so that each chunk's hours are mostly new rows (inserted with their figures at once).
    after: tuple[Any, str] | None = None
    while True:
        query = select(*(RUN.c[name] for name in RUN_FIELDS), RUN.c.sort_time).where(RUN.c.sort_time.is_not(None))
        if after is not None:
            moment, uuid = after
            query = query.where(or_(RUN.c.sort_time > moment, and_(RUN.c.sort_time == moment, RUN.c.run_uuid > uuid)))
        rows = session.execute(query.order_by(RUN.c.sort_time, RUN.c.run_uuid).limit(chunk_size)).all()
        if not rows:
            break
        after = (rows[-1].sort_time, rows[-1].run_uuid)
        runs = {row.run_uuid: {name: getattr(row, name) for name in RUN_FIELDS} for row in rows}
        facts = derive_facts(runs, session=session, cost_rates=cost_rates)
        if count == 0:
            _clear_buckets_of_stored_runs(session=session)
        deltas: dict[RollupKey, dict[str, Any]] = {}
        for fact in facts.values():
            _accumulate(deltas, fact, 1)
        _upsert_facts([fact.as_row() for fact in facts.values()], session=session)
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
