"""Project parsed events into jobs, datasets, runs, edges and statistics.

Every rule here is order-independent: facets keep the value of the newest event per key (ties broken by
content), run state is the maximum of (terminal?, eventTime, type rank), times are min/max, links and
edges are unions. So shuffled or duplicated deliveries converge on the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import case, select, tuple_, update
from sqlalchemy.orm import Session

from lineage_backend.ingest.parse import (
    TERMINAL_EVENT_TYPES,
    DatasetRef,
    ParsedEvent,
    normalise_run_id,
    parse_time,
)
from lineage_backend.store.models import (
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

RUN_STATE_BY_EVENT = {
    "START": "RUNNING",
    "RUNNING": "RUNNING",
    "OTHER": "RUNNING",
    "COMPLETE": "COMPLETED",
    "FAIL": "FAILED",
    "ABORT": "ABORTED",
}
# Breaks ties between events of one run with the same eventTime.
_TYPE_RANK = {"OTHER": 0, "START": 1, "RUNNING": 2, "COMPLETE": 3, "ABORT": 4, "FAIL": 5}


@dataclass(frozen=True)
class IngestOutcome:
    stored: bool  # False when the very same event was stored before


def time_key(moment: datetime) -> str:
    """Sortable text form of an aware UTC time (fixed width, microseconds)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def state_rank(event_type: str, event_time: datetime) -> str:
    terminal = 1 if event_type in TERMINAL_EVENT_TYPES else 0
    return f"{terminal}|{time_key(event_time)}|{_TYPE_RANK[event_type]}"


def merge_facets(
    current: dict[str, Any], times: dict[str, str], incoming: dict[str, Any], moment: str
) -> tuple[dict[str, Any], dict[str, str], bool]:
    """Same key replaces when the incoming event is newer; on equal times the larger content wins."""
    merged: dict[str, Any] | None = None
    new_times: dict[str, str] | None = None
    for key, facet in incoming.items():
        seen = times.get(key)
        if seen is not None:
            if moment < seen:
                continue
            if moment == seen:
                if facet == current.get(key):
                    continue
                if _canonical(facet) <= _canonical(current.get(key)):
                    continue
        if merged is None:
            merged, new_times = dict(current), dict(times)
        merged[key] = facet
        assert new_times is not None
        new_times[key] = moment
    if merged is None or new_times is None:
        return current, times, False
    return merged, new_times, True


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def store_events(events: Sequence[ParsedEvent], *, session: Session, received_at: datetime) -> list[IngestOutcome]:
    """Append each event to the raw log and project the new ones. Never commits."""
    outcomes = []
    for event in events:
        stored = _append_raw(event, session=session, received_at=received_at)
        if stored:
            _project(event, session=session)
        outcomes.append(IngestOutcome(stored=stored))
    return outcomes


def _append_raw(event: ParsedEvent, *, session: Session, received_at: datetime) -> bool:
    stmt = (
        insert_for(session, RawEvent.__table__)
        .values(
            event_hash=event.event_hash,
            event_kind=event.kind,
            event_type=event.event_type,
            event_time=event.event_time,
            received_at=received_at,
            run_uuid=event.run_uuid,
            job_namespace=event.job_namespace or (event.dataset.namespace if event.dataset else None),
            job_name=event.job_name or (event.dataset.name if event.dataset else None),
            producer=event.producer,
            payload=event.payload,
        )
        .on_conflict_do_nothing(index_elements=["event_hash"])
        .returning(RawEvent.__table__.c.id)
    )
    return session.execute(stmt).first() is not None


def _project(event: ParsedEvent, *, session: Session) -> None:
    moment = time_key(event.event_time)
    if event.kind == "DatasetEvent":
        assert event.dataset is not None
        ids = _dataset_ids([event.dataset], session=session)
        _merge_dataset(ids[(event.dataset.namespace, event.dataset.name)], event.dataset, moment, session=session)
        return

    assert event.job_namespace is not None and event.job_name is not None
    job_id = _job_id(event.job_namespace, event.job_name, session=session)
    _merge_job(job_id, event, moment, session=session)

    datasets = list(event.inputs) + list(event.outputs)
    dataset_ids = _dataset_ids(datasets, session=session)
    for ref in sorted(datasets, key=lambda d: (d.namespace, d.name)):
        if ref.facets:
            _merge_dataset(dataset_ids[(ref.namespace, ref.name)], ref, moment, session=session)

    for direction, refs in (("IN", event.inputs), ("OUT", event.outputs)):
        for ref in refs:
            _touch_edge(job_id, dataset_ids[(ref.namespace, ref.name)], direction, event.event_time, session=session)

    for ref in event.outputs:
        lineage = ref.facets.get("columnLineage")
        if lineage:
            _store_column_lineage(
                dataset_ids[(ref.namespace, ref.name)], lineage, job_id, event.event_time, session=session
            )

    if event.kind == "RunEvent":
        _merge_run(job_id, event, moment, session=session)
        for direction, refs in (("IN", event.inputs), ("OUT", event.outputs)):
            for ref in sorted(refs, key=lambda d: (d.namespace, d.name)):
                _merge_run_dataset(
                    event.run_uuid or "",
                    dataset_ids[(ref.namespace, ref.name)],
                    direction,
                    ref,
                    moment,
                    session=session,
                )


def _job_id(namespace: str, name: str, *, session: Session) -> int:
    table = Job.__table__
    found = session.execute(select(table.c.id).where(table.c.namespace == namespace, table.c.name == name)).first()
    if found is not None:
        return int(found[0])
    now = _now()
    session.execute(
        insert_for(session, table)
        .values(namespace=namespace, name=name, facets={}, facet_times={}, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["namespace", "name"])
    )
    return int(
        session.execute(select(table.c.id).where(table.c.namespace == namespace, table.c.name == name)).scalar_one()
    )


def _dataset_ids(refs: Iterable[DatasetRef], *, session: Session) -> dict[tuple[str, str], int]:
    keys = sorted({(ref.namespace, ref.name) for ref in refs})
    if not keys:
        return {}
    table = Dataset.__table__
    ids = _select_dataset_ids(keys, session=session)
    missing = [key for key in keys if key not in ids]
    if missing:
        now = _now()
        session.execute(
            insert_for(session, table)
            .values(
                [
                    {
                        "namespace": ns,
                        "name": name,
                        "facets": {},
                        "facet_times": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for ns, name in missing
                ]
            )
            .on_conflict_do_nothing(index_elements=["namespace", "name"])
        )
        ids.update(_select_dataset_ids(missing, session=session))
    return ids


def _select_dataset_ids(keys: list[tuple[str, str]], *, session: Session) -> dict[tuple[str, str], int]:
    table = Dataset.__table__
    ids: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        rows = session.execute(
            select(table.c.namespace, table.c.name, table.c.id).where(
                tuple_(table.c.namespace, table.c.name).in_(chunk)
            )
        )
        ids.update({(ns, name): int(id_) for ns, name, id_ in rows})
    return ids


def _merge_job(job_id: int, event: ParsedEvent, moment: str, *, session: Session) -> None:
    dag_id = airflow_dag_id(event)
    if not event.job_facets and dag_id is None:
        return
    job = session.get(Job, job_id)
    assert job is not None
    facets, times, changed = merge_facets(job.facets or {}, job.facet_times or {}, event.job_facets, moment)
    if changed:
        job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
        assert job is not None
        facets, times, changed = merge_facets(job.facets or {}, job.facet_times or {}, event.job_facets, moment)
    if changed:
        job.facets, job.facet_times = facets, times
        job_type = facets.get("jobType") or {}
        job.job_type = _short(job_type.get("jobType"))
        job.integration = _short(job_type.get("integration"))
        job.updated_at = _now()
    if dag_id is not None and job.dag_id != dag_id:
        job.dag_id = dag_id


def airflow_dag_id(event: ParsedEvent) -> str | None:
    """The DAG an Airflow job belongs to, for per-DAG visibility; None for non-Airflow jobs."""
    for facet_key in ("airflow", "airflowDagRun"):
        dag = (event.run_facets.get(facet_key) or {}).get("dag")
        if isinstance(dag, dict) and isinstance(dag.get("dag_id"), str):
            return str(dag["dag_id"])
    job_type = event.job_facets.get("jobType") or {}
    if str(job_type.get("integration", "")).upper() == "AIRFLOW" and event.job_name:
        if str(job_type.get("jobType", "")).upper() == "DAG":
            return event.job_name
        if event.parent is not None:
            return event.parent.job_name
        return event.job_name.split(".", 1)[0]
    return None


def _merge_dataset(dataset_id: int, ref: DatasetRef, moment: str, *, session: Session) -> None:
    dataset = session.get(Dataset, dataset_id)
    assert dataset is not None
    facets, times, changed = merge_facets(dataset.facets or {}, dataset.facet_times or {}, ref.facets, moment)
    if changed:
        dataset = session.get(Dataset, dataset_id, with_for_update=True, populate_existing=True)
        assert dataset is not None
        facets, times, changed = merge_facets(dataset.facets or {}, dataset.facet_times or {}, ref.facets, moment)
    if changed:
        dataset.facets, dataset.facet_times = facets, times
        dataset.updated_at = _now()
    symlinks = (ref.facets.get("symlinks") or {}).get("identifiers") or []
    if symlinks:
        session.execute(
            insert_for(session, DatasetSymlink.__table__)
            .values(
                [
                    {
                        "dataset_id": dataset_id,
                        "alias_namespace": ident["namespace"],
                        "alias_name": ident["name"],
                        "alias_type": _short(ident.get("type")),
                        "first_seen": parse_time_key(moment),
                    }
                    for ident in symlinks
                ]
            )
            .on_conflict_do_nothing(index_elements=["dataset_id", "alias_namespace", "alias_name"])
        )


def _touch_edge(job_id: int, dataset_id: int, direction: str, seen: datetime, *, session: Session) -> None:
    table = LineageEdge.__table__
    stmt = insert_for(session, table).values(
        job_id=job_id, dataset_id=dataset_id, direction=direction, first_seen=seen, last_seen=seen
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["job_id", "dataset_id", "direction"],
        set_={
            "first_seen": case(
                (stmt.excluded.first_seen < table.c.first_seen, stmt.excluded.first_seen),
                else_=table.c.first_seen,
            ),
            "last_seen": case(
                (stmt.excluded.last_seen > table.c.last_seen, stmt.excluded.last_seen),
                else_=table.c.last_seen,
            ),
        },
        where=(stmt.excluded.first_seen < table.c.first_seen) | (stmt.excluded.last_seen > table.c.last_seen),
    )
    session.execute(stmt)


def column_edges(lineage: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten a columnLineage facet to (input dataset, input field) → output field rows."""
    rows: list[dict[str, Any]] = []

    def add(output_field: str, item: dict[str, Any], legacy: dict[str, Any]) -> None:
        transformations = item.get("transformations") or []
        if not transformations:
            legacy_type = str(legacy.get("transformationType") or "").upper()
            transformations = [
                {
                    "type": "DIRECT" if legacy_type in {"IDENTITY", "MASKED"} else "",
                    "subtype": "IDENTITY" if legacy_type == "IDENTITY" else "",
                    "description": legacy.get("transformationDescription"),
                    "masking": legacy_type == "MASKED" or None,
                }
            ]
        for transformation in transformations:
            rows.append(
                {
                    "output_field": output_field,
                    "input_namespace": item["namespace"],
                    "input_name": item["name"],
                    "input_field": item.get("field") or "",
                    "transformation_type": _short(transformation.get("type")) or "",
                    "transformation_subtype": _short(transformation.get("subtype")) or "",
                    "description": transformation.get("description"),
                    "masking": transformation.get("masking"),
                }
            )

    for output_field, spec in (lineage.get("fields") or {}).items():
        for item in spec.get("inputFields") or []:
            add(output_field, item, spec)
    for item in lineage.get("dataset") or []:
        add("", item, {})
    return rows


def _store_column_lineage(
    output_dataset_id: int, lineage: dict[str, Any], job_id: int, seen: datetime, *, session: Session
) -> None:
    rows = column_edges(lineage)
    if not rows:
        return
    inputs = _dataset_ids(
        [DatasetRef(namespace=r["input_namespace"], name=r["input_name"]) for r in rows], session=session
    )
    table = ColumnEdge.__table__
    unique = {}
    for row in rows:
        key = (
            row["output_field"],
            row["input_namespace"],
            row["input_name"],
            row["input_field"],
            row["transformation_type"],
            row["transformation_subtype"],
        )
        unique[key] = row
    values = [
        {
            "output_dataset_id": output_dataset_id,
            "output_field": row["output_field"],
            "input_dataset_id": inputs[(row["input_namespace"], row["input_name"])],
            "input_field": row["input_field"],
            "transformation_type": row["transformation_type"],
            "transformation_subtype": row["transformation_subtype"],
            "description": row["description"],
            "masking": row["masking"],
            "job_id": job_id,
            "first_seen": seen,
            "last_seen": seen,
        }
        for row in unique.values()
    ]
    for start in range(0, len(values), 500):
        stmt = insert_for(session, table).values(values[start : start + 500])
        stmt = stmt.on_conflict_do_update(
            index_elements=[
                "output_dataset_id",
                "output_field",
                "input_dataset_id",
                "input_field",
                "transformation_type",
                "transformation_subtype",
            ],
            set_={
                "first_seen": case(
                    (stmt.excluded.first_seen < table.c.first_seen, stmt.excluded.first_seen),
                    else_=table.c.first_seen,
                ),
                "last_seen": case(
                    (stmt.excluded.last_seen > table.c.last_seen, stmt.excluded.last_seen),
                    else_=table.c.last_seen,
                ),
            },
        )
        session.execute(stmt)


def _ensure_run(run_uuid: str, job_id: int, *, session: Session, batch: str | None = None) -> None:
    session.execute(
        insert_for(session, Run.__table__)
        .values(
            run_uuid=run_uuid,
            job_id=job_id,
            facets={},
            facet_times={},
            event_count=0,
            batch_run_uuid=batch or run_uuid,
            is_root=batch in (None, run_uuid),
        )
        .on_conflict_do_nothing(index_elements=["run_uuid"])
    )


def _merge_run(job_id: int, event: ParsedEvent, moment: str, *, session: Session) -> None:
    assert event.run_uuid is not None and event.event_type is not None
    # A parent known only from this facet gets a placeholder, so links hold before its own events arrive.
    root_uuid = event.root.run_uuid if event.root is not None else None
    for ref in (event.root, event.parent):
        if ref is not None and ref.run_uuid != event.run_uuid:
            job = _job_id(ref.job_namespace, ref.job_name, session=session)
            _ensure_run(ref.run_uuid, job, session=session, batch=root_uuid)

    if event.parent is not None:
        parent_job_id = _job_id(event.parent.job_namespace, event.parent.job_name, session=session)
        if parent_job_id != job_id:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.parent_job_id.is_(None))
                .values(parent_job_id=parent_job_id)
                .execution_options(synchronize_session=False)
            )

    _ensure_run(event.run_uuid, job_id, session=session)
    run = session.get(Run, event.run_uuid, with_for_update=True, populate_existing=True)
    assert run is not None
    run.job_id = job_id  # the run's own events name its job; a child's parent facet only guessed it
    run.event_count = (run.event_count or 0) + 1

    rank = state_rank(event.event_type, event.event_time)
    if run.state_rank is None or rank > run.state_rank:
        run.state_rank = rank
        run.state = RUN_STATE_BY_EVENT[event.event_type]
        run.ended_at = event.event_time if event.event_type in TERMINAL_EVENT_TYPES else None

    if event.event_type not in TERMINAL_EVENT_TYPES:
        run.started_at = _min(run.started_at, event.event_time)
    run.first_event_at = _min(run.first_event_at, event.event_time)
    run.last_event_at = _max(run.last_event_at, event.event_time)
    run.sort_time = run.started_at or run.first_event_at

    facets, times, changed = merge_facets(run.facets or {}, run.facet_times or {}, event.run_facets, moment)
    if changed:
        run.facets, run.facet_times = facets, times
        _derive_from_run_facets(run)
    run.env_tag = env_tag(run.facets or {}) or env_tag(event.job_facets) or run.env_tag
    _place_in_batch(run, session=session)


def _place_in_batch(run: Run, *, session: Session) -> None:
    """A run's batch is its top-most known ancestor. When a former top gains a parent, the runs that
    pointed at it move along, so any arrival order ends with every run under the true root."""
    if run.root_run_uuid and run.root_run_uuid != run.run_uuid:
        batch = run.root_run_uuid
    elif run.parent_run_uuid and run.parent_run_uuid != run.run_uuid:
        parent_batch = session.execute(
            select(Run.batch_run_uuid).where(Run.run_uuid == run.parent_run_uuid)
        ).scalar_one_or_none()
        batch = parent_batch or run.parent_run_uuid
    else:
        batch = run.run_uuid
    run.is_root = run.parent_run_uuid is None or run.parent_run_uuid == run.run_uuid
    previous = run.batch_run_uuid
    run.batch_run_uuid = batch
    if previous != batch and batch != run.run_uuid:
        session.execute(
            update(Run)
            .where(Run.batch_run_uuid == run.run_uuid, Run.run_uuid != run.run_uuid)
            .values(batch_run_uuid=batch)
            .execution_options(synchronize_session=False)
        )


def env_tag(facets: dict[str, Any]) -> str | None:
    """The `env` or `environment` tag of a run or job tags facet."""
    for tag in (facets.get("tags") or {}).get("tags") or []:
        if isinstance(tag, dict) and str(tag.get("key", "")).lower() in ("env", "environment") and tag.get("value"):
            return str(tag["value"])[:100]
    return None


def _derive_from_run_facets(run: Run) -> None:
    facets = run.facets or {}
    parent = facets.get("parent")
    if isinstance(parent, dict):
        run.parent_run_uuid = normalise_run_id((parent.get("run") or {}).get("runId"), "parent.run.runId")
        root = parent.get("root")
        if isinstance(root, dict):
            run.root_run_uuid = normalise_run_id((root.get("run") or {}).get("runId"), "parent.root.run.runId")
    nominal = facets.get("nominalTime")
    if isinstance(nominal, dict):
        run.nominal_start_at = parse_time(nominal.get("nominalStartTime"), "nominalTime.nominalStartTime")
        end = nominal.get("nominalEndTime")
        run.nominal_end_at = parse_time(end, "nominalTime.nominalEndTime") if end else None
    error = facets.get("errorMessage")
    if isinstance(error, dict):
        run.error_message = error.get("message")


def _merge_run_dataset(
    run_uuid: str, dataset_id: int, direction: str, ref: DatasetRef, moment: str, *, session: Session
) -> None:
    table = RunDataset.__table__
    session.execute(
        insert_for(session, table)
        .values(run_uuid=run_uuid, dataset_id=dataset_id, direction=direction, facets={}, facet_times={})
        .on_conflict_do_nothing(index_elements=["run_uuid", "dataset_id", "direction"])
    )
    if not ref.io_facets:
        return
    row = session.execute(
        select(RunDataset)
        .where(table.c.run_uuid == run_uuid, table.c.dataset_id == dataset_id, table.c.direction == direction)
        .with_for_update()
    ).scalar_one()
    facets, times, changed = merge_facets(row.facets or {}, row.facet_times or {}, ref.io_facets, moment)
    if not changed:
        return
    row.facets, row.facet_times = facets, times
    row.row_count, row.bytes, row.file_count = dataset_statistics(direction, facets)


def dataset_statistics(direction: str, io_facets: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    """(rows, bytes, files) of one input or output, from the facets that carry them."""
    if direction == "OUT":
        stats = io_facets.get("outputStatistics") or {}
        return stats.get("rowCount"), stats.get("size"), stats.get("fileCount")
    stats = io_facets.get("inputStatistics") or {}
    metrics = io_facets.get("dataQualityMetrics") or {}
    return (
        _first(stats.get("rowCount"), metrics.get("rowCount")),
        _first(stats.get("size"), metrics.get("bytes")),
        _first(stats.get("fileCount"), metrics.get("fileCount")),
    )


def parse_time_key(moment: str) -> datetime:
    return parse_time(moment, "time")


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _short(value: Any) -> str | None:
    return str(value)[:64] if value is not None else None


def _min(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def _max(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def _now() -> datetime:
    from datetime import timezone

    return datetime.now(timezone.utc)
