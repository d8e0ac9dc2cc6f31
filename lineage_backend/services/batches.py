"""Batch health: a batch is a root run (an Airflow DAG run, a dbt invocation, a Spark application);
its processes are its descendant runs plus the DAG's tasks that have not run yet."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from lineage_backend.anomaly.detector import AnomalyConfig
from lineage_backend.api.schemas import (
    BatchResponse,
    BatchSummaryResponse,
    DqAssertionResponse,
    DqResponse,
    JobRef,
    ProcessResponse,
    SlaModel,
    TrendPoint,
    TrendResponse,
)
from lineage_backend.auth import Principal
from lineage_backend.errors import InvalidParameterError, NotFoundError
from lineage_backend.graph.sla import parse_arrival
from lineage_backend.ingest.parse import normalise_run_id
from lineage_backend.services.baselines import trend_anomalies, with_anomalies
from lineage_backend.services.csv_export import csv_text
from lineage_backend.services.metadata import effective, stored_metadata
from lineage_backend.services.nodes import dataset_node_id, job_node_id, resolve_job
from lineage_backend.services.visibility import can_see_job, dag_jobs_clause, visibility_key, visible_jobs_clause
from lineage_backend.store.models import Dataset, Job, NodeMetadata, Run, RunDataset

RUN_STATUS = {"RUNNING": "RUNNING", "COMPLETED": "SUCCESS", "FAILED": "FAILED", "ABORTED": "ABORTED"}
# Airflow task instance states (from the DAG's airflowState facet) as process statuses.
AIRFLOW_STATUS = {
    "success": "SUCCESS",
    "failed": "FAILED",
    "upstream_failed": "ABORTED",
    "skipped": "SKIPPED",
    "running": "RUNNING",
    "up_for_retry": "RUNNING",
    "up_for_reschedule": "RUNNING",
    "deferred": "RUNNING",
    "restarting": "RUNNING",
    "queued": "PENDING",
    "scheduled": "PENDING",
    "none": "PENDING",
}
FINISHED = ("SUCCESS", "FAILED", "ABORTED", "SKIPPED")
DQ_WARNING_RATE = 0.01
REFRESH_SECONDS = 30
SORT_KEYS = (
    "name",
    "status",
    "startedAt",
    "endedAt",
    "durationSeconds",
    "rowsRead",
    "rowsWritten",
    "rowsUpdated",
    "rowsInserted",
    "dqErrors",
    "dqErrorRate",
    "readThroughput",
    "writeThroughput",
    "tries",
)
PAGE_SIZES = (25, 50, 100)


def environment(run: Run, job: Job, env_by_namespace: dict[str, str]) -> str:
    return run.env_tag or env_by_namespace.get(job.namespace) or job.namespace


@dataclass(frozen=True)
class _JobKey:
    id: int
    namespace: str
    name: str
    dag_id: str | None


@dataclass
class _Attempt:
    """One run of a process, with only what the process row needs (never the whole facets blob)."""

    run_uuid: str
    state: str | None
    started_at: datetime | None
    ended_at: datetime | None
    sort_time: datetime | None
    error_message: str | None
    stats: dict[str, Any]
    instance: dict[str, Any]
    job: _JobKey

    @property
    def try_number(self) -> int:
        value = self.instance.get("try_number")
        return int(value) if isinstance(value, int) else 0


def _visible(principal: Principal, job: Job | _JobKey) -> bool:
    return can_see_job(principal, job.namespace, job.dag_id)


def _batch_row(batch_id: str, *, session: Session, principal: Principal) -> tuple[Run, Job]:
    run_uuid = normalise_run_id(batch_id, "batchId")
    row = session.execute(select(Run, Job).join(Job, Job.id == Run.job_id).where(Run.run_uuid == run_uuid)).first()
    if row is None or row[0].state is None or not _visible(principal, row[1]):
        raise NotFoundError(f"no batch {batch_id!r}; list batches with GET /api/v1/batches")
    run, job = row
    if not run.is_root:
        raise NotFoundError(
            f"run {batch_id!r} is part of batch {run.batch_run_uuid}, not a batch itself; "
            f"open GET /api/v1/batches/{run.batch_run_uuid}"
        )
    return run, job


def _load_attempts(batch_ids: list[str], *, session: Session) -> dict[str, list[_Attempt]]:
    """The runs of many batches in one set-based query, without loading whole facets or ORM objects."""
    found: dict[str, list[_Attempt]] = defaultdict(list)
    for start in range(0, len(batch_ids), 200):
        chunk = batch_ids[start : start + 200]
        rows = session.execute(
            select(
                Run.batch_run_uuid,
                Run.run_uuid,
                Run.state,
                Run.started_at,
                Run.ended_at,
                Run.sort_time,
                Run.error_message,
                Run.facets["flowlytics_stats"],
                Run.facets[("airflow", "taskInstance")],
                Job.id,
                Job.namespace,
                Job.name,
                Job.dag_id,
            )
            .join(Job, Job.id == Run.job_id)
            .where(Run.batch_run_uuid.in_(chunk), Run.run_uuid != Run.batch_run_uuid, Run.state.is_not(None))
        )
        for batch, run_uuid, state, started, ended, sort_time, error, stats, instance, *job in rows:
            found[batch].append(
                _Attempt(
                    run_uuid, state, started, ended, sort_time, error, _dict(stats), _dict(instance), _JobKey(*job)
                )
            )
    return found


def _processes(
    batch: Run,
    batch_job: Job,
    attempts: list[_Attempt],
    *,
    session: Session,
    principal: Principal,
    with_stats: bool,
) -> list[ProcessResponse]:
    attempts = [a for a in attempts if _visible(principal, a.job)]
    if not attempts:  # a lone run is its own single process
        facets = batch.facets or {}
        attempts = [
            _Attempt(
                batch.run_uuid,
                batch.state,
                batch.started_at,
                batch.ended_at,
                batch.sort_time,
                batch.error_message,
                _dict(facets.get("flowlytics_stats")),
                _dict((facets.get("airflow") or {}).get("taskInstance")),
                _JobKey(batch_job.id, batch_job.namespace, batch_job.name, batch_job.dag_id),
            )
        ]

    # Airflow retries give each try its own run: show the latest try per task and count the tries.
    groups: dict[Any, list[_Attempt]] = defaultdict(list)
    for attempt in attempts:
        key = attempt.job.id if attempt.try_number else attempt.run_uuid
        groups[key].append(attempt)
    latest = {
        key: max(group, key=lambda a: (a.try_number, a.sort_time or datetime.min.replace(tzinfo=timezone.utc)))
        for key, group in groups.items()
    }

    task_states = ((batch.facets or {}).get("airflowState") or {}).get("tasksState") or {}
    dag_prefix = f"{batch_job.name}."
    stats = _io_stats([a.run_uuid for a in latest.values()], session=session) if with_stats else {}
    critical = _critical_jobs([a.job for a in latest.values()], session=session) if with_stats else set()

    processes = []
    seen_tasks = set()
    for key, attempt in latest.items():
        job = attempt.job
        task_id = job.name[len(dag_prefix) :] if job.name.startswith(dag_prefix) else None
        seen_tasks.add(task_id)
        status = RUN_STATUS.get(attempt.state or "", "PENDING")
        if task_id and task_states.get(task_id) in ("skipped", "upstream_failed"):
            status = AIRFLOW_STATUS[task_states[task_id]]
        processes.append(
            _process(
                attempt, task_id or job.name, status, len(groups[key]), stats.get(attempt.run_uuid), job.id in critical
            )
        )

    # Tasks that the DAG's task graph lists but that have not started.
    tasks = (((batch_job.facets or {}).get("airflow") or {}).get("tasks") or {}) if batch_job.dag_id else {}
    for task_id in sorted(set(tasks) | set(task_states)):
        if task_id in seen_tasks:
            continue
        status = AIRFLOW_STATUS.get(str(task_states.get(task_id, "none")).lower(), "PENDING")
        if status == "RUNNING":
            status = "PENDING"  # no event yet: it has not really started from our point of view
        processes.append(
            ProcessResponse(
                run_id=None,
                job_id=job_node_id(batch_job.namespace, f"{batch_job.name}.{task_id}"),
                name=task_id,
                status=status,  # type: ignore[arg-type]
                started_at=None,
                ended_at=None,
                duration_seconds=None,
                rows_read=None,
                rows_written=None,
                rows_updated=None,
                rows_inserted=None,
                dq_errors=None,
                dq_error_rate=None,
                dq_warning=False,
                read_throughput=None,
                write_throughput=None,
                tries=0,
                error_message=None,
                log_url=None,
                critical=False,
            )
        )
    return processes


_CACHE: OrderedDict[tuple[Any, ...], list[ProcessResponse]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


def _full_processes(run: Run, job: Job, *, session: Session, principal: Principal) -> list[ProcessResponse]:
    """Process rows with statistics. The batch page asks for metrics, then a page of rows, then another
    sort: reuse the rows while nothing in the batch changed (its runs' event counts and latest event time,
    and people's metadata edits, which decide what is critical)."""
    marker = session.execute(
        select(func.count(), func.sum(Run.event_count), func.max(Run.last_event_at)).where(
            Run.batch_run_uuid == run.run_uuid
        )
    ).one()
    edited = session.execute(select(func.max(NodeMetadata.updated_at))).scalar_one_or_none()
    key = (run.run_uuid, tuple(marker), edited, visibility_key(principal), session.get_bind().engine.url)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    attempts = _load_attempts([run.run_uuid], session=session).get(run.run_uuid, [])
    processes = _processes(run, job, attempts, session=session, principal=principal, with_stats=True)
    with _CACHE_LOCK:
        _CACHE[key] = processes
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return processes


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _process(
    attempt: _Attempt, name: str, status: str, tries: int, stats: dict[str, Any] | None, critical: bool
) -> ProcessResponse:
    custom, stats, job = attempt.stats, stats or {}, attempt.job
    started, ended = attempt.started_at, attempt.ended_at
    duration = (ended - started).total_seconds() if started and ended else None
    rows_read, rows_written = stats.get("rows_read"), stats.get("rows_written")
    dq_errors = _sum(dq_failed_rows(custom), stats.get("failed_assertions"))
    dq_rate = dq_errors / rows_read if dq_errors is not None and rows_read else None
    log_url = attempt.instance.get("log_url")
    return ProcessResponse(
        run_id=attempt.run_uuid,
        job_id=job_node_id(job.namespace, job.name),
        name=name,
        status=status,  # type: ignore[arg-type]
        started_at=started,
        ended_at=ended,
        duration_seconds=duration,
        rows_read=rows_read,
        rows_written=rows_written,
        rows_updated=custom.get("rowsUpdated"),
        rows_inserted=custom.get("rowsInserted"),
        dq_errors=dq_errors,
        dq_error_rate=dq_rate,
        dq_warning=dq_rate is not None and dq_rate > DQ_WARNING_RATE,
        read_throughput=rows_read / duration if rows_read is not None and duration else None,
        write_throughput=rows_written / duration if rows_written is not None and duration else None,
        tries=tries,
        error_message=attempt.error_message,
        log_url=log_url if isinstance(log_url, str) else None,
        critical=critical,
    )


def dq_failed_rows(stats: dict[str, Any]) -> int | None:
    """Rows that failed data quality, from the flowlytics_stats facet: `dqFailedRows`, else `rowsInvalid`
    (pipelines often report the same rejected rows under both)."""
    for key in ("dqFailedRows", "rowsInvalid"):
        if isinstance(stats.get(key), int):
            return int(stats[key])
    return None


def _sum(*values: Any) -> int | None:
    numbers = [v for v in values if isinstance(v, int)]
    return sum(numbers) if numbers else None


def _io_stats(run_ids: list[str], *, session: Session) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = defaultdict(dict)
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start : start + 500]
        for run_uuid, direction, rows, assertions in session.execute(
            select(
                RunDataset.run_uuid,
                RunDataset.direction,
                RunDataset.row_count,
                RunDataset.facets["dataQualityAssertions"],
            ).where(RunDataset.run_uuid.in_(chunk))
        ):
            entry = stats[run_uuid]
            key = "rows_read" if direction == "IN" else "rows_written"
            if rows is not None:
                entry[key] = entry.get(key, 0) + rows
            failed = sum(1 for a in _assertions(assertions) if a.get("success") is False)
            if failed:
                entry["failed_assertions"] = entry.get("failed_assertions", 0) + failed
    return stats


def _assertions(facet: Any) -> list[dict[str, Any]]:
    if not isinstance(facet, dict):
        return []
    return [a for a in facet.get("assertions") or [] if isinstance(a, dict)]


def _critical_jobs(jobs: list[_JobKey], *, session: Session) -> set[int]:
    ids = {job.id: job_node_id(job.namespace, job.name) for job in jobs}
    stored = stored_metadata(list(ids.values()), session=session)
    critical = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids)[start : start + 500]
        for job_id, tags in session.execute(select(Job.id, Job.facets["tags"]).where(Job.id.in_(chunk))):
            facets = {"tags": tags} if isinstance(tags, dict) else {}
            if effective(facets, stored.get(ids[job_id]))["criticality"] == "critical":
                critical.add(job_id)
    return critical


def _summary(
    run: Run, job: Job, processes: list[ProcessResponse], env_by_namespace: dict[str, str]
) -> BatchSummaryResponse:
    counts: dict[str, int] = defaultdict(int)
    for process in processes:
        counts[process.status] += 1
    finished = sum(counts[s] for s in FINISHED)
    success_rate = (counts["SUCCESS"] + counts["SKIPPED"]) / finished if finished else None
    critical_failed = any(p.critical and p.status in ("FAILED", "ABORTED") for p in processes)
    if critical_failed or (success_rate is not None and success_rate < 0.9):
        health: Literal["GREEN", "YELLOW", "RED"] = "RED"
    elif success_rate is not None and success_rate < 1:
        health = "YELLOW"
    else:
        health = "GREEN"
    return BatchSummaryResponse(
        batch_id=run.run_uuid,
        job=JobRef(namespace=job.namespace, name=job.name),
        job_id=job_node_id(job.namespace, job.name),
        dag_id=job.dag_id,
        state=run.state,  # type: ignore[arg-type]
        started_at=run.started_at,
        ended_at=run.ended_at,
        duration_seconds=(run.ended_at - run.started_at).total_seconds() if run.started_at and run.ended_at else None,
        env=environment(run, job, env_by_namespace),
        total_processes=len(processes),
        succeeded=counts["SUCCESS"],
        failed=counts["FAILED"],
        aborted=counts["ABORTED"],
        running=counts["RUNNING"],
        pending=counts["PENDING"],
        skipped=counts["SKIPPED"],
        success_rate=success_rate,
        health=health,
    )


def list_batches(
    *,
    session: Session,
    principal: Principal,
    env_by_namespace: dict[str, str],
    since: datetime | None,
    until: datetime | None,
    env: str | None,
    dag_id: str | None,
    limit: int,
    offset: int,
    airflow_run_id: str | None = None,
) -> tuple[list[BatchSummaryResponse], int]:
    query = select(Run, Job).join(Job, Job.id == Run.job_id).where(Run.is_root.is_(True), Run.state.is_not(None))
    if since is not None:
        query = query.where(Run.sort_time >= since)
    if until is not None:
        query = query.where(Run.sort_time < until)
    if dag_id:
        query = query.where(dag_jobs_clause(principal, dag_id, session=session))
    if airflow_run_id:
        # The DAG-run tab knows Airflow's run id; the DAG START event carries it in the airflowDagRun facet.
        query = query.where(Run.facets[("airflowDagRun", "dagRun", "run_id")].as_string() == airflow_run_id)
    if env:
        mapped = sorted(ns for ns, name in env_by_namespace.items() if name == env)
        unmapped_self = [env] if env not in env_by_namespace else []
        query = query.where(
            or_(Run.env_tag == env, and_(Run.env_tag.is_(None), Job.namespace.in_(mapped + unmapped_self)))
        )
    clause = visible_jobs_clause(principal)
    if clause is not None:
        query = query.where(clause)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Run.sort_time.desc(), Run.run_uuid.desc()).limit(limit).offset(offset)).all()
    attempts = _load_attempts([run.run_uuid for run, _ in rows], session=session)
    items = [
        _summary(
            run,
            job,
            _processes(
                run, job, attempts.get(run.run_uuid, []), session=session, principal=principal, with_stats=False
            ),
            env_by_namespace,
        )
        for run, job in rows
    ]
    return items, int(total)


def get_batch(
    batch_id: str,
    *,
    session: Session,
    principal: Principal,
    env_by_namespace: dict[str, str],
    now: datetime | None = None,
) -> BatchResponse:
    run, job = _batch_row(batch_id, session=session, principal=principal)
    processes = _full_processes(run, job, session=session, principal=principal)
    summary = _summary(run, job, processes, env_by_namespace)
    rows_read = sum(p.rows_read or 0 for p in processes)
    dq_errors = sum(p.dq_errors or 0 for p in processes)
    stored = stored_metadata([summary.job_id], session=session).get(summary.job_id)
    sla = effective(job.facets or {}, stored)["sla"]
    running = summary.running > 0 or run.state == "RUNNING"
    return BatchResponse(
        **summary.model_dump(),
        rows_read=rows_read,
        rows_written=sum(p.rows_written or 0 for p in processes),
        dq_errors=dq_errors,
        dq_error_rate=dq_errors / rows_read if rows_read else None,
        dq_warnings=sorted(p.name for p in processes if p.dq_warning),
        critical_failures=sorted(p.job_id for p in processes if p.critical and p.status in ("FAILED", "ABORTED")),
        sla=SlaModel(**sla) if sla else None,
        sla_status=sla_status(sla, run, now or datetime.now(timezone.utc)),
        refresh_after_seconds=REFRESH_SECONDS if running else None,
    )


def sla_status(sla: dict[str, Any] | None, run: Run, now: datetime) -> Literal["MET", "MISSED", "PENDING"] | None:
    """A batch meets its SLA when it finishes by the day's latest arrival time and within the maximum age
    (read as the longest acceptable duration)."""
    if not sla or run.started_at is None:
        return None
    deadlines = []
    if sla.get("latestArrival"):
        base = run.nominal_start_at or run.started_at
        due = datetime.combine(base.date(), parse_arrival(sla["latestArrival"]), tzinfo=timezone.utc)
        deadlines.append(due if due >= base else due + timedelta(days=1))
    if sla.get("maxAgeMinutes"):
        deadlines.append(run.started_at + timedelta(minutes=int(sla["maxAgeMinutes"])))
    deadline = min(deadlines)
    if run.state in ("COMPLETED", "FAILED", "ABORTED") and run.ended_at is not None:
        return "MET" if run.state == "COMPLETED" and run.ended_at <= deadline else "MISSED"
    return "MISSED" if now > deadline else "PENDING"


def list_processes(
    batch_id: str,
    *,
    session: Session,
    principal: Principal,
    sort: str,
    order: str,
    status: str | None,
) -> list[ProcessResponse]:
    if sort not in SORT_KEYS:
        raise InvalidParameterError(f"sort {sort!r} is not one of {', '.join(SORT_KEYS)}")
    if order not in ("asc", "desc"):
        raise InvalidParameterError("order must be 'asc' or 'desc'")
    run, job = _batch_row(batch_id, session=session, principal=principal)
    processes = _full_processes(run, job, session=session, principal=principal)
    if status:
        wanted = {s.strip().upper() for s in status.split(",")}
        processes = [p for p in processes if p.status in wanted]
    attribute = "".join("_" + c.lower() if c.isupper() else c for c in sort)
    present = [p for p in processes if getattr(p, attribute) is not None]
    missing = [p for p in processes if getattr(p, attribute) is None]
    present.sort(key=lambda p: (getattr(p, attribute), p.name), reverse=order == "desc")
    missing.sort(key=lambda p: p.name)
    return present + missing  # empty values last in both orders


def process_page(
    batch_id: str,
    *,
    session: Session,
    principal: Principal,
    sort: str,
    order: str,
    status: str | None,
    page: int,
    page_size: int,
    anomaly: AnomalyConfig,
) -> tuple[list[ProcessResponse], int]:
    """One page of process rows, with their anomalies and learning state (read for this page only)."""
    rows = list_processes(batch_id, session=session, principal=principal, sort=sort, order=order, status=status)
    start = (page - 1) * page_size
    return with_anomalies(rows[start : start + page_size], anomaly, session=session), len(rows)


CSV_COLUMNS = (
    ("name", "Process"),
    ("status", "Status"),
    ("started_at", "Start"),
    ("ended_at", "End"),
    ("duration_seconds", "Duration (s)"),
    ("rows_read", "Rows read"),
    ("rows_written", "Rows written"),
    ("rows_updated", "Rows updated"),
    ("rows_inserted", "Rows inserted"),
    ("dq_errors", "DQ errors"),
    ("dq_error_rate", "DQ error rate"),
    ("read_throughput", "Read rows/s"),
    ("write_throughput", "Write rows/s"),
    ("tries", "Tries"),
    ("error_message", "Error"),
    ("run_id", "Run id"),
    ("job_id", "Job"),
)


def processes_csv(processes: list[ProcessResponse]) -> str:
    return csv_text(
        [title for _, title in CSV_COLUMNS],
        ([getattr(process, attribute) for attribute, _ in CSV_COLUMNS] for process in processes),
    )


def batch_dq(batch_id: str, *, session: Session, principal: Principal) -> DqResponse:
    run, job = _batch_row(batch_id, session=session, principal=principal)
    processes = _full_processes(run, job, session=session, principal=principal)
    by_run = {p.run_id: p for p in processes if p.run_id}
    items = []
    for start in range(0, len(by_run), 500):
        chunk = list(by_run)[start : start + 500]
        for run_uuid, namespace, name, io_facet, dataset_facet in session.execute(
            select(
                RunDataset.run_uuid,
                Dataset.namespace,
                Dataset.name,
                RunDataset.facets["dataQualityAssertions"],
                Dataset.facets["dataQualityAssertions"],
            )
            .join(Dataset, Dataset.id == RunDataset.dataset_id)
            .where(RunDataset.run_uuid.in_(chunk))
        ):
            # dbt sends assertions both as input facets and dataset facets: read both, once.
            found = _assertions(io_facet) or _assertions(dataset_facet)
            for assertion in found:
                items.append(
                    DqAssertionResponse(
                        dataset=dataset_node_id(namespace, name),
                        column=assertion.get("column"),
                        assertion=str(assertion.get("assertion") or assertion.get("name") or "assertion"),
                        success=bool(assertion.get("success")),
                        severity=assertion.get("severity"),
                        process=by_run[run_uuid].name,
                        run_id=run_uuid,
                    )
                )
    items.sort(key=lambda a: (a.success, a.dataset, a.column or "", a.assertion))
    rows_read = sum(p.rows_read or 0 for p in processes)
    dq_errors = sum(p.dq_errors or 0 for p in processes)
    return DqResponse(
        items=items,
        total=len(items),
        failed=sum(1 for a in items if not a.success),
        dq_errors=dq_errors,
        dq_error_rate=dq_errors / rows_read if rows_read else None,
    )


def trends(
    *,
    session: Session,
    principal: Principal,
    job_node_id_: str | None,
    dag_id: str | None,
    days: int,
    now: datetime | None = None,
) -> TrendResponse:
    if bool(job_node_id_) == bool(dag_id):
        raise InvalidParameterError("pass exactly one of jobNodeId or dagId")
    if dag_id:
        query = select(Job).where(dag_jobs_clause(principal, dag_id, session=session), Job.name == dag_id)
        clause = visible_jobs_clause(principal)
        if clause is not None:
            query = query.where(clause)
        job = session.execute(query.order_by(Job.namespace)).scalars().first()
        if job is None:
            raise NotFoundError(f"no batches for DAG {dag_id!r}: it has sent no events yet, or you may not read it")
    else:
        assert job_node_id_ is not None
        job = resolve_job(job_node_id_, session=session)
        if not can_see_job(principal, job.namespace, job.dag_id):
            raise NotFoundError(f"no job with id {job_node_id_!r}")
    now = now or datetime.now(timezone.utc)
    first_day = (now - timedelta(days=days - 1)).date()
    since = datetime.combine(first_day, time(0), tzinfo=timezone.utc)
    batches = (
        session.execute(
            select(Run).where(
                Run.job_id == job.id, Run.is_root.is_(True), Run.state.is_not(None), Run.sort_time >= since
            )
        )
        .scalars()
        .all()
    )
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"read": 0, "written": 0, "dq": 0})
    batch_ids = [b.run_uuid for b in batches]
    for start in range(0, len(batch_ids), 500):
        chunk = batch_ids[start : start + 500]
        for batch_uuid, direction, rows in session.execute(
            select(Run.batch_run_uuid, RunDataset.direction, func.sum(RunDataset.row_count))
            .join(RunDataset, RunDataset.run_uuid == Run.run_uuid)
            .where(Run.batch_run_uuid.in_(chunk))
            .group_by(Run.batch_run_uuid, RunDataset.direction)
        ):
            totals[batch_uuid or ""]["read" if direction == "IN" else "written"] += int(rows or 0)
        for batch_uuid, custom in session.execute(
            select(Run.batch_run_uuid, Run.facets["flowlytics_stats"]).where(Run.batch_run_uuid.in_(chunk))
        ):
            if isinstance(custom, dict):
                totals[batch_uuid or ""]["dq"] += dq_failed_rows(custom) or 0
    by_day: dict[str, list[Run]] = defaultdict(list)
    for batch in batches:
        if batch.sort_time is not None:
            by_day[batch.sort_time.date().isoformat()].append(batch)
    points = []
    for offset in range(days):
        day = (first_day + timedelta(days=offset)).isoformat()
        runs = by_day.get(day, [])
        durations = [(r.ended_at - r.started_at).total_seconds() for r in runs if r.started_at and r.ended_at]
        finished = [r for r in runs if r.state in ("COMPLETED", "FAILED", "ABORTED")]
        read = sum(totals[r.run_uuid]["read"] for r in runs)
        dq = sum(totals[r.run_uuid]["dq"] for r in runs)
        points.append(
            TrendPoint(
                date=day,
                batches=len(runs),
                avg_duration_seconds=sum(durations) / len(durations) if durations else None,
                success_rate=sum(1 for r in finished if r.state == "COMPLETED") / len(finished) if finished else None,
                rows_processed=sum(totals[r.run_uuid]["written"] for r in runs),
                dq_error_rate=dq / read if read else None,
            )
        )
    return TrendResponse(
        job_id=job_node_id(job.namespace, job.name),
        days=days,
        points=points,
        anomalies=trend_anomalies(batches, job.name, session=session, principal=principal),
    )
