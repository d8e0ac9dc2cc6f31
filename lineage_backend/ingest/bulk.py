"""Set-based projection: a whole request's events in a fixed number of statements.

Each entity is written once per request: rows are created with multi-row upserts, locked once in key
order (so concurrent requests cannot deadlock on each other), merged in memory with the
order-independent rules of `projection`, and written back with one executemany per table.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson
from sqlalchemy import JSON, Table, and_, bindparam, case, select, text, tuple_, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from lineage_backend.ingest.id_cache import (
    StaleIdCacheError,
    cache_for,
    link_after_commit,
    remember_after_commit,
)
from lineage_backend.ingest.parse import TERMINAL_EVENT_TYPES, ParsedEvent, normalise_run_id, parse_time
from lineage_backend.ingest.projection import (
    RUN_STATE_BY_EVENT,
    IngestOutcome,
    airflow_dag_id,
    column_edges,
    dataset_statistics,
    env_tag,
    merge_facets,
    short,
    state_rank,
    time_key,
)
from lineage_backend.ingest.rollups import mark_pending
from lineage_backend.store.models import (
    COLUMN_EDGE_IDENTITY,
    LINEAGE_EDGE_IDENTITY,
    ColumnEdge,
    Dataset,
    DatasetSymlink,
    Job,
    LineageEdge,
    RawEvent,
    Run,
    RunDataset,
)
from lineage_backend.store.sql import insert_for
from lineage_backend.store.types import UtcDateTime

CHUNK = 400  # rows per multi-row statement: well under SQLite's bound-parameter limit

JOB: Table = Job.__table__  # type: ignore[assignment]
DATASET: Table = Dataset.__table__  # type: ignore[assignment]
RUN: Table = Run.__table__  # type: ignore[assignment]
RUN_DATASET: Table = RunDataset.__table__  # type: ignore[assignment]
EDGE: Table = LineageEdge.__table__  # type: ignore[assignment]
COLUMN_EDGE: Table = ColumnEdge.__table__  # type: ignore[assignment]
SYMLINK: Table = DatasetSymlink.__table__  # type: ignore[assignment]
RAW: Table = RawEvent.__table__  # type: ignore[assignment]

Key = tuple[str, str]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def store_events(
    events: Sequence[ParsedEvent],
    *,
    session: Session,
    received_at: datetime,
    rollups: bool = True,
) -> list[IngestOutcome]:
    """Append the events to the raw log and project the new ones; the runs they changed are marked for their
    rollup recount (which applies the rate card) unless the rollups are off (`[flowlytics] analytics_rollups`).
    Never commits."""
    fresh = _append_raw(events, session=session, received_at=received_at)
    outcomes, seen = [], set()
    for event in events:
        outcomes.append(IngestOutcome(stored=event.event_hash in fresh and event.event_hash not in seen))
        seen.add(event.event_hash)
    new_events = list({e.event_hash: e for e in events if e.event_hash in fresh}.values())
    if new_events:
        _project(new_events, session=session, rollups=rollups)
    return outcomes


def _append_raw(events: Sequence[ParsedEvent], *, session: Session, received_at: datetime) -> set[str]:
    unique = list({e.event_hash: e for e in events}.values())
    stored: set[str] = set()
    for chunk in _chunks(unique, 200):
        rows = [
            {
                "event_hash": e.event_hash,
                "event_kind": e.kind,
                "event_type": e.event_type,
                "event_time": e.event_time,
                "received_at": received_at,
                "run_uuid": e.run_uuid,
                "job_namespace": e.job_namespace or (e.dataset.namespace if e.dataset else None),
                "job_name": e.job_name or (e.dataset.name if e.dataset else None),
                "producer": e.producer,
                "payload": e.payload,
            }
            for e in chunk
        ]
        statement = (
            insert_for(session, RAW).on_conflict_do_nothing(index_elements=["event_hash"]).returning(RAW.c.event_hash)
        )
        stored.update(session.execute(statement, rows).scalars())
    return stored


@dataclass
class _Plan:
    job_keys: set[Key] = field(default_factory=set)
    dataset_keys: set[Key] = field(default_factory=set)


def _project(events: list[ParsedEvent], *, session: Session, rollups: bool = True) -> None:
    plan = _Plan()
    for event in events:
        if event.job_namespace and event.job_name:
            plan.job_keys.add((event.job_namespace, event.job_name))
        for run_ref in (event.parent, event.root):
            if run_ref is not None:
                plan.job_keys.add((run_ref.job_namespace, run_ref.job_name))
        for ref in (*event.inputs, *event.outputs, *([event.dataset] if event.dataset else [])):
            plan.dataset_keys.add((ref.namespace, ref.name))
            for row in column_edges(ref.facets.get("columnLineage") or {}):
                plan.dataset_keys.add((row["input_namespace"], row["input_name"]))
    jobs = _ensure(JOB, plan.job_keys, session=session)
    datasets = _ensure(DATASET, plan.dataset_keys, session=session)

    _merge_jobs(events, jobs, session=session)
    _merge_datasets(events, datasets, session=session)
    _write_edges(events, jobs, datasets, session=session)
    run_events = [e for e in events if e.kind == "RunEvent"]
    if run_events:
        # The rollups are recounted later (ingest.rollups.flush_pending_rollups): here the runs are only marked.
        _, created = _merge_runs(run_events, jobs, session=session, mark_rollups=rollups)
        _merge_run_datasets(run_events, datasets, created, session=session)


def _ensure(table: Table, keys: set[Key], *, session: Session) -> dict[Key, int]:
    """Ids of jobs or datasets by (namespace, name), creating the missing ones in key order. Ids once
    committed never change, so most come from the in-process cache without a statement."""
    cache = cache_for(session)
    ids = cache.lookup(table.name, keys)
    unknown = sorted(key for key in keys if key not in ids)
    if not unknown:
        return ids
    # Nothing of this table was written yet in this transaction: these rows are others' committed ones.
    committed = _select_ids(table, unknown, session=session)
    cache.remember(table.name, committed)
    ids.update(committed)
    missing = [key for key in unknown if key not in committed]
    if missing:
        now = datetime.now(timezone.utc)
        for chunk in _chunks(missing):
            rows = [
                {"namespace": ns, "name": name, "facets": {}, "facet_times": {}, "created_at": now, "updated_at": now}
                for ns, name in chunk
            ]
            session.execute(
                insert_for(session, table).on_conflict_do_nothing(index_elements=["namespace", "name"]), rows
            )
        created = _select_ids(table, missing, session=session)
        remember_after_commit(session, table.name, created)
        ids.update(created)
    return ids


def _check_keys(rows: dict[Any, Any], expected: dict[int, Key], table: Table) -> None:
    """Every locked row is the job/dataset the (cached) id was taken for: else the cache is stale."""
    for row_id, key in expected.items():
        row = rows.get(row_id)
        if row is None or (row.namespace, row.name) != key:
            raise StaleIdCacheError(f"{table.name} id {row_id} is not {key} (any more): the tables were emptied")


def _select_ids(table: Table, keys: list[Key], *, session: Session) -> dict[Key, int]:
    ids: dict[Key, int] = {}
    for chunk in _chunks(keys):
        rows = session.execute(
            select(table.c.namespace, table.c.name, table.c.id).where(
                tuple_(table.c.namespace, table.c.name).in_(chunk)
            )
        )
        ids.update({(ns, name): int(row_id) for ns, name, row_id in rows})
    return ids


def _locked_rows(
    table: Table, ids: Iterable[Any], columns: Sequence[Any], key_column: Any, *, session: Session
) -> dict[Any, Any]:
    """Rows locked for update in key order, so concurrent requests queue instead of deadlocking. FOR NO KEY
    UPDATE on PostgreSQL (keys never change): a row another transaction only references through a foreign key
    (a new run of this job, the alert loop's evaluation of this run) holds KEY SHARE, which FOR UPDATE would
    wait for."""
    ordered = sorted(set(ids))
    found = {}
    for chunk in _chunks(ordered):
        rows = session.execute(
            select(key_column, *columns)
            .where(key_column.in_(chunk))
            .order_by(key_column)
            .with_for_update(key_share=True)
        )
        for row in rows:
            found[row[0]] = row
    return found


def _merge_jobs(events: list[ParsedEvent], jobs: dict[Key, int], *, session: Session) -> dict[int, str | None]:
    """Merge job facets; returns the DAG id of every job it read (for the rollups, which need it too)."""
    updates: dict[int, list[ParsedEvent]] = defaultdict(list)
    for event in events:
        if event.job_namespace and event.job_name and (event.job_facets or airflow_dag_id(event) is not None):
            updates[jobs[(event.job_namespace, event.job_name)]].append(event)
    dag_ids: dict[int, str | None] = {}
    if not updates:
        return dag_ids
    rows = _locked_rows(
        JOB,
        updates,
        [JOB.c.facets, JOB.c.facet_times, JOB.c.dag_id, JOB.c.namespace, JOB.c.name],
        JOB.c.id,
        session=session,
    )
    keys_by_id = {job_id: key for key, job_id in jobs.items()}
    _check_keys(rows, {job_id: keys_by_id[job_id] for job_id in updates}, JOB)
    changes = []
    now = datetime.now(timezone.utc)
    for job_id, job_events in updates.items():
        _, facets, times, dag_id, _ns, _name = rows[job_id]
        facets, times = facets or {}, times or {}
        changed = False
        new_dag_id = dag_id
        for event in job_events:
            facets, times, merged = merge_facets(facets, times, event.job_facets, time_key(event.event_time))
            changed |= merged
            event_dag = airflow_dag_id(event)
            if event_dag is not None:
                new_dag_id = event_dag
        dag_ids[job_id] = new_dag_id
        if changed or new_dag_id != dag_id:
            job_type = facets.get("jobType") or {}
            changes.append(
                {
                    "id": job_id,
                    "facets": facets,
                    "facet_times": times,
                    "dag_id": new_dag_id,
                    "job_type": short(job_type.get("jobType")),
                    "integration": short(job_type.get("integration")),
                    "updated_at": now,
                }
            )
    _set_update(JOB, "id", changes, session=session)
    return dag_ids


def _merge_datasets(events: list[ParsedEvent], datasets: dict[Key, int], *, session: Session) -> None:
    updates: dict[int, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    symlinks: dict[tuple[int, str, str], dict[str, Any]] = {}
    for event in events:
        moment = time_key(event.event_time)
        for ref in (*event.inputs, *event.outputs, *([event.dataset] if event.dataset else [])):
            if not ref.facets:
                continue
            dataset_id = datasets[(ref.namespace, ref.name)]
            updates[dataset_id].append((moment, ref.facets))
            for ident in (ref.facets.get("symlinks") or {}).get("identifiers") or []:
                key = (dataset_id, ident["namespace"], ident["name"])
                first_seen = parse_time(moment, "time")
                if key not in symlinks or first_seen < symlinks[key]["first_seen"]:
                    symlinks[key] = {
                        "dataset_id": dataset_id,
                        "alias_namespace": ident["namespace"],
                        "alias_name": ident["name"],
                        "alias_type": short(ident.get("type")),
                        "first_seen": first_seen,
                    }
    if updates:
        rows = _locked_rows(
            DATASET,
            updates,
            [DATASET.c.facets, DATASET.c.facet_times, DATASET.c.namespace, DATASET.c.name],
            DATASET.c.id,
            session=session,
        )
        keys_by_id = {dataset_id: key for key, dataset_id in datasets.items()}
        _check_keys(rows, {dataset_id: keys_by_id[dataset_id] for dataset_id in updates}, DATASET)
        changes = []
        now = datetime.now(timezone.utc)
        for dataset_id, incoming in updates.items():
            _, facets, times, _ns, _name = rows[dataset_id]
            facets, times, changed = facets or {}, times or {}, False
            for moment, new in incoming:
                facets, times, merged = merge_facets(facets, times, new, moment)
                changed |= merged
            if changed:
                changes.append({"id": dataset_id, "facets": facets, "facet_times": times, "updated_at": now})
        _set_update(DATASET, "id", changes, session=session)
    ordered = [symlinks[key] for key in sorted(symlinks)]
    for chunk in _chunks(ordered):
        session.execute(
            insert_for(session, SYMLINK).on_conflict_do_nothing(
                index_elements=["dataset_id", "alias_namespace", "alias_name"]
            ),
            list(chunk),
        )


def _write_edges(
    events: list[ParsedEvent], jobs: dict[Key, int], datasets: dict[Key, int], *, session: Session
) -> None:
    spans: dict[tuple[int, int, str], tuple[datetime, datetime]] = {}
    columns: dict[tuple[int, str, int, str, str, str], dict[str, Any]] = {}

    def widen(key: Any, store: dict[Any, Any], moment: datetime) -> None:
        first, last = store.get(key, (moment, moment))
        store[key] = (min(first, moment), max(last, moment))

    for event in events:
        if not (event.job_namespace and event.job_name):
            continue
        job_id = jobs[(event.job_namespace, event.job_name)]
        for direction, refs in (("IN", event.inputs), ("OUT", event.outputs)):
            for ref in refs:
                widen((job_id, datasets[(ref.namespace, ref.name)], direction), spans, event.event_time)
        for ref in event.outputs:
            output_id = datasets[(ref.namespace, ref.name)]
            for row in column_edges(ref.facets.get("columnLineage") or {}):
                key = (
                    output_id,
                    row["output_field"],
                    datasets[(row["input_namespace"], row["input_name"])],
                    row["input_field"],
                    row["transformation_type"],
                    row["transformation_subtype"],
                )
                current = columns.get(key)
                first = min(current["first_seen"], event.event_time) if current else event.event_time
                last = max(current["last_seen"], event.event_time) if current else event.event_time
                columns[key] = {
                    "output_dataset_id": key[0],
                    "output_field": key[1],
                    "input_dataset_id": key[2],
                    "input_field": key[3],
                    "transformation_type": key[4],
                    "transformation_subtype": key[5],
                    "description": row["description"],
                    "masking": row["masking"],
                    "job_id": job_id,
                    "first_seen": first,
                    "last_seen": last,
                }
    edge_rows = [
        {"job_id": j, "dataset_id": d, "direction": r, "first_seen": first, "last_seen": last}
        for (j, d, r), (first, last) in sorted(spans.items())
    ]
    _upsert_spans(EDGE, edge_rows, LINEAGE_EDGE_IDENTITY, session=session)
    _upsert_spans(COLUMN_EDGE, [columns[key] for key in sorted(columns)], COLUMN_EDGE_IDENTITY, session=session)


def _upsert_spans(table: Table, rows: list[dict[str, Any]], keys: Sequence[str], *, session: Session) -> None:
    """Insert, or widen first_seen/last_seen of existing rows (only when the new times widen them)."""
    if not rows:
        return
    statement = insert_for(session, table)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={
            "first_seen": case(
                (excluded.first_seen < table.c.first_seen, excluded.first_seen), else_=table.c.first_seen
            ),
            "last_seen": case((excluded.last_seen > table.c.last_seen, excluded.last_seen), else_=table.c.last_seen),
        },
        where=(excluded.first_seen < table.c.first_seen) | (excluded.last_seen > table.c.last_seen),
    )
    for chunk in _chunks(rows):
        session.execute(statement, list(chunk))


RUN_COLUMNS = (
    "job_id",
    "state",
    "state_rank",
    "started_at",
    "ended_at",
    "first_event_at",
    "last_event_at",
    "sort_time",
    "nominal_start_at",
    "nominal_end_at",
    "parent_run_uuid",
    "root_run_uuid",
    "batch_run_uuid",
    "is_root",
    "env_tag",
    "error_message",
    "facets",
    "facet_times",
    "event_count",
)


def _merge_runs(
    events: list[ParsedEvent], jobs: dict[Key, int], *, session: Session, mark_rollups: bool = True
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Merge the events into their runs and mark them for their rollup recount (`mark_rollups`: every run here
    changes, its event count at least); returns the runs' merged columns, and the runs this request created."""
    # Placeholders for parents and roots known only from a child's facet, so links hold before they report.
    placeholders: dict[str, dict[str, Any]] = {}
    parent_jobs: dict[int, int] = {}
    by_run: dict[str, list[ParsedEvent]] = defaultdict(list)
    for event in events:
        assert event.run_uuid is not None and event.job_namespace and event.job_name
        by_run[event.run_uuid].append(event)
        root_uuid = event.root.run_uuid if event.root is not None else None
        for ref in (event.root, event.parent):
            if ref is not None and ref.run_uuid != event.run_uuid and ref.run_uuid not in placeholders:
                placeholders[ref.run_uuid] = _new_run(ref.run_uuid, jobs[(ref.job_namespace, ref.job_name)], root_uuid)
        if event.parent is not None:
            parent_job, job = (
                jobs[(event.parent.job_namespace, event.parent.job_name)],
                jobs[(event.job_namespace, event.job_name)],
            )
            if parent_job != job:
                parent_jobs.setdefault(job, parent_job)
    own = {
        uuid: _new_run(uuid, jobs[(evs[0].job_namespace or "", evs[0].job_name or "")], None)
        for uuid, evs in by_run.items()
    }
    new_rows = {**placeholders, **own}
    created: set[str] = set()
    for chunk in _chunks([new_rows[uuid] for uuid in sorted(new_rows)]):
        statement = insert_for(session, RUN).on_conflict_do_nothing(index_elements=["run_uuid"])
        created.update(session.execute(statement.returning(RUN.c.run_uuid), list(chunk)).scalars())
    # parent_job_id is set once and never cleared: jobs known to have it need no statement.
    linked = cache_for(session).parent_linked
    parent_jobs = {job: parent for job, parent in parent_jobs.items() if job not in linked}
    if parent_jobs:
        link_after_commit(session, parent_jobs)
        session.execute(
            update(JOB)
            .where(and_(JOB.c.id == bindparam("b_job"), JOB.c.parent_job_id.is_(None)))
            .values(parent_job_id=bindparam("b_parent")),
            [{"b_job": job, "b_parent": parent} for job, parent in sorted(parent_jobs.items())],
        )

    # A row this request inserted is ours (locked, invisible to others) and holds what we inserted: no read.
    columns = [RUN.c[name] for name in RUN_COLUMNS]
    rows = _locked_rows(RUN, [uuid for uuid in by_run if uuid not in created], columns, RUN.c.run_uuid, session=session)
    runs = {
        uuid: _as_inserted(new_rows[uuid]) if uuid in created else dict(zip(RUN_COLUMNS, rows[uuid][1:], strict=True))
        for uuid in by_run
    }
    before = {uuid: dict(run) for uuid, run in runs.items()}
    for uuid, run_events in by_run.items():
        for event in run_events:
            _apply_event(runs[uuid], event, jobs)
    _place_in_batches(runs, session=session)

    changes = [{"run_uuid": uuid, **run} for uuid, run in runs.items() if run != before[uuid]]
    _set_update(RUN, "run_uuid", changes, session=session)
    if mark_rollups:
        # After the runs' UPDATE, never before: a recount holding one of these runs has made us wait for
        # its commit there (which deleted its mark), so the mark inserted now stays for the next recount.
        mark_pending([change["run_uuid"] for change in changes], session=session)
    # A former batch top that gained a parent: the runs that pointed at it move along. A row created by
    # this request has no such runs yet (a concurrent child waits on its unique key until we commit).
    for uuid, run in sorted(runs.items()):
        if uuid not in created and before[uuid]["batch_run_uuid"] == uuid and run["batch_run_uuid"] != uuid:
            session.execute(
                update(RUN)
                .where(RUN.c.batch_run_uuid == uuid, RUN.c.run_uuid != uuid)
                .values(batch_run_uuid=run["batch_run_uuid"])
            )
    return runs, created


def _as_inserted(row: dict[str, Any]) -> dict[str, Any]:
    """The merged columns of a run row as `_new_run` inserted it (the others are NULL)."""
    return {name: row.get(name) for name in RUN_COLUMNS}


def _new_run(run_uuid: str, job_id: int, batch: str | None) -> dict[str, Any]:
    return {
        "run_uuid": run_uuid,
        "job_id": job_id,
        "facets": {},
        "facet_times": {},
        "event_count": 0,
        "batch_run_uuid": batch or run_uuid,
        "is_root": batch in (None, run_uuid),
    }


def _apply_event(run: dict[str, Any], event: ParsedEvent, jobs: dict[Key, int]) -> None:
    assert event.event_type is not None and event.job_namespace and event.job_name
    run["job_id"] = jobs[(event.job_namespace, event.job_name)]  # its own events name its job
    run["event_count"] = (run["event_count"] or 0) + 1
    rank = state_rank(event.event_type, event.event_time)
    if run["state_rank"] is None or rank > run["state_rank"]:
        run["state_rank"] = rank
        run["state"] = RUN_STATE_BY_EVENT[event.event_type]
        run["ended_at"] = event.event_time if event.event_type in TERMINAL_EVENT_TYPES else None
    if event.event_type not in TERMINAL_EVENT_TYPES:
        run["started_at"] = _min(run["started_at"], event.event_time)
    run["first_event_at"] = _min(run["first_event_at"], event.event_time)
    run["last_event_at"] = _max(run["last_event_at"], event.event_time)
    run["sort_time"] = run["started_at"] or run["first_event_at"]
    facets, times, changed = merge_facets(
        run["facets"] or {}, run["facet_times"] or {}, event.run_facets, time_key(event.event_time)
    )
    if changed:
        run["facets"], run["facet_times"] = facets, times
        _derive_from_facets(run)
    run["env_tag"] = env_tag(run["facets"] or {}) or env_tag(event.job_facets) or run["env_tag"]


def _derive_from_facets(run: dict[str, Any]) -> None:
    facets = run["facets"] or {}
    parent = facets.get("parent")
    if isinstance(parent, dict):
        run["parent_run_uuid"] = normalise_run_id((parent.get("run") or {}).get("runId"), "parent.run.runId")
        root = parent.get("root")
        if isinstance(root, dict):
            run["root_run_uuid"] = normalise_run_id((root.get("run") or {}).get("runId"), "parent.root.run.runId")
    nominal = facets.get("nominalTime")
    if isinstance(nominal, dict):
        run["nominal_start_at"] = parse_time(nominal.get("nominalStartTime"), "nominalTime.nominalStartTime")
        end = nominal.get("nominalEndTime")
        run["nominal_end_at"] = parse_time(end, "nominalTime.nominalEndTime") if end else None
    error = facets.get("errorMessage")
    if isinstance(error, dict):
        run["error_message"] = error.get("message")


def _place_in_batches(runs: dict[str, dict[str, Any]], *, session: Session) -> None:
    """Each run's batch is its top-most known ancestor: the facet's root, else the parent's batch."""
    # A run whose facet names its root needs nothing of its parent's row (Airflow's tasks, for instance).
    parents = {
        run["parent_run_uuid"]
        for uuid, run in runs.items()
        if run["parent_run_uuid"] and not (run["root_run_uuid"] and run["root_run_uuid"] != uuid)
    } - set(runs)
    known: dict[str, str | None] = {}
    for chunk in _chunks(sorted(parents)):
        known.update(
            dict(
                session.execute(select(RUN.c.run_uuid, RUN.c.batch_run_uuid).where(RUN.c.run_uuid.in_(chunk)))
                .tuples()
                .all()
            )
        )
    for _ in range(len(runs) + 1):  # parents inside this request settle first; chains are short
        settled = True
        for uuid, run in runs.items():
            parent = run["parent_run_uuid"]
            if run["root_run_uuid"] and run["root_run_uuid"] != uuid:
                batch = run["root_run_uuid"]
            elif parent and parent != uuid:
                batch = (runs[parent]["batch_run_uuid"] if parent in runs else known.get(parent)) or parent
            else:
                batch = uuid
            run["is_root"] = parent is None or parent == uuid
            if run["batch_run_uuid"] != batch:
                run["batch_run_uuid"] = batch
                settled = False
        if settled:
            break


def _merge_run_datasets(
    events: list[ParsedEvent], datasets: dict[Key, int], created_runs: set[str], *, session: Session
) -> None:
    links: dict[tuple[str, int, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for event in events:
        moment = time_key(event.event_time)
        for direction, refs in (("IN", event.inputs), ("OUT", event.outputs)):
            for ref in refs:
                links[(event.run_uuid or "", datasets[(ref.namespace, ref.name)], direction)].append(
                    (moment, ref.io_facets)
                )
    if not links:
        return
    # A run created by this request has no run-dataset rows yet (they reference it, and others cannot see
    # it before we commit): its rows go in once, merged, without a lock or an update.
    new_rows = []
    for key in sorted(key for key in links if key[0] in created_runs):
        facets, times = _merged(links[key], {}, {})
        rows_count, size, files = dataset_statistics(key[2], facets)
        new_rows.append(
            {
                "run_uuid": key[0],
                "dataset_id": key[1],
                "direction": key[2],
                "facets": facets,
                "facet_times": times,
                "row_count": rows_count,
                "bytes": size,
                "file_count": files,
            }
        )
    for chunk in _chunks(new_rows):
        session.execute(insert_for(session, RUN_DATASET), list(chunk))
    ordered = sorted(key for key in links if key[0] not in created_runs)
    if not ordered:
        return
    for chunk in _chunks(ordered):
        rows = [{"run_uuid": r, "dataset_id": d, "direction": x, "facets": {}, "facet_times": {}} for r, d, x in chunk]
        session.execute(
            insert_for(session, RUN_DATASET).on_conflict_do_nothing(
                index_elements=["run_uuid", "dataset_id", "direction"]
            ),
            rows,
        )
    with_facets = [key for key in ordered if any(facets for _, facets in links[key])]
    if not with_facets:
        return
    current: dict[Any, Any] = {}
    key_columns = tuple_(RUN_DATASET.c.run_uuid, RUN_DATASET.c.dataset_id, RUN_DATASET.c.direction)
    for chunk in _chunks(with_facets):
        locked = session.execute(
            select(
                RUN_DATASET.c.run_uuid,
                RUN_DATASET.c.dataset_id,
                RUN_DATASET.c.direction,
                RUN_DATASET.c.id,
                RUN_DATASET.c.facets,
                RUN_DATASET.c.facet_times,
            )
            .where(key_columns.in_(list(chunk)))
            .order_by(RUN_DATASET.c.run_uuid, RUN_DATASET.c.dataset_id, RUN_DATASET.c.direction)
            .with_for_update(key_share=True)
        )
        for run_uuid, dataset_id, direction, row_id, stored_facets, stored_times in locked:
            current[(run_uuid, dataset_id, direction)] = (row_id, stored_facets or {}, stored_times or {})
    changes = []
    for key in with_facets:
        row_id, facets, times = current[key]
        changed = False
        for moment, incoming in links[key]:
            facets, times, merged = merge_facets(facets, times, incoming, moment)
            changed |= merged
        if changed:
            rows_count, size, files = dataset_statistics(key[2], facets)
            changes.append(
                {
                    "id": row_id,
                    "facets": facets,
                    "facet_times": times,
                    "row_count": rows_count,
                    "bytes": size,
                    "file_count": files,
                }
            )
    _set_update(RUN_DATASET, "id", changes, session=session)


def _merged(
    incoming: list[tuple[str, dict[str, Any]]], facets: dict[str, Any], times: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    for moment, new in incoming:
        facets, times, _ = merge_facets(facets, times, new, moment)
    return facets, times


def _set_update(table: Table, key: str, rows: list[dict[str, Any]], *, session: Session) -> None:
    """Write many rows' new values (every row already locked by this transaction, so the order of the writes
    does not matter). On PostgreSQL one statement, `UPDATE … FROM jsonb_to_recordset(one JSON parameter)`:
    an executemany costs a server execution and a driver round of parameter dumping per row, this one of
    each. On SQLite (no round trips; `json_extract` would parse each row's JSON once per column) the
    driver's executemany, with the JSON written by orjson instead of SQLAlchemy's per-value `json.dumps`."""
    if not rows:
        return
    dialect_name = session.get_bind().dialect.name
    columns = tuple(rows[0])
    times = [name for name in columns if isinstance(table.c[name].type, UtcDateTime)]
    statement = _set_update_statement(table, key, columns, dialect_name)
    if dialect_name == "postgresql":
        if times:
            rows = [{**row, **{name: _naive_utc(row[name]) for name in times}} for row in rows]
        session.execute(_text(statement), {"rows": orjson.dumps(rows).decode()})
        return
    order = [name for name in columns if name != key] + [key]
    as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    session.connection().exec_driver_sql(
        statement,
        [
            tuple(
                orjson.dumps(row[name]).decode()
                if name in as_json
                else _sqlite_time(row[name])
                if name in times
                else row[name]
                for name in order
            )
            for row in rows
        ],
    )


_SET_UPDATES: dict[tuple[str, str, tuple[str, ...], str], str] = {}


@functools.cache
def _text(statement: str) -> TextClause:
    return text(statement)


def _set_update_statement(table: Table, key: str, columns: tuple[str, ...], dialect_name: str) -> str:
    cache_key = (table.name, key, columns, dialect_name)
    statement = _SET_UPDATES.get(cache_key)
    if statement is None:
        if dialect_name == "postgresql":
            types = ", ".join(f"{name} {table.c[name].type.compile(dialect=postgresql.dialect())}" for name in columns)
            assigned = ", ".join(f"{name} = v.{name}" for name in columns if name != key)
            statement = (
                f"UPDATE {table.name} SET {assigned} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v({types}) "
                f"WHERE {table.name}.{key} = v.{key}"
            )
        else:  # the driver's own paramstyle: columns in `_set_update`'s order, the key last
            assigned = ", ".join(f"{name} = ?" for name in columns if name != key)
            statement = f"UPDATE {table.name} SET {assigned} WHERE {key} = ?"
        _SET_UPDATES[cache_key] = statement
    return statement


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _sqlite_time(moment: datetime | None) -> str | None:
    """The text SQLAlchemy stores for a SQLite DATETIME (compared as text: the format must match)."""
    naive = _naive_utc(moment)
    if naive is None:
        return None
    # Not strftime: its %Y writes year 300 as "300" (SQLAlchemy writes "0300").
    return (
        f"{naive.year:04d}-{naive.month:02d}-{naive.day:02d} "
        f"{naive.hour:02d}:{naive.minute:02d}:{naive.second:02d}.{naive.microsecond:06d}"
    )


def _min(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def _max(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a
