"""Run analytics: execution statistics from the rollups, step timing and critical paths from runs, error
categories, version comparison, rankings and cost. Every figure respects per-DAG visibility."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import Text, and_, cast, func, literal_column, select
from sqlalchemy.orm import Session

from lineage_backend.analytics.buckets import Granularity, as_utc, bucket_start, bucket_starts, next_bucket
from lineage_backend.analytics.cost import (
    Budget,
    CostRates,
    budget_use,
    project,
)
from lineage_backend.analytics.critical_path import (
    TaskAttempt,
    critical_path,
    graph_upstream,
    lineage_upstream,
)
from lineage_backend.analytics.facts import resolve_env
from lineage_backend.analytics.fingerprint import fingerprint
from lineage_backend.analytics.sketch import exact_quantile, merged_counts, quantiles
from lineage_backend.auth import Principal
from lineage_backend.errors import InvalidParameterError, NotFoundError
from lineage_backend.ingest.parse import normalise_run_id
from lineage_backend.services.csv_export import csv_text
from lineage_backend.services.metadata import stored_metadata
from lineage_backend.services.nodes import job_node_id
from lineage_backend.services.visibility import (
    can_see_job,
    dag_jobs_clause,
    own_namespace_of_dag,
    sees_every_job,
    visible_dags_clause,
    visible_jobs_clause,
)
from lineage_backend.store.models import Job, Run, RunDataset, RunFact, RunRollup

GroupBy = Literal["dag", "job", "triggerType", "state", "env"]
Level = Literal["dag", "task"]
NO_DAG = "(no DAG)"
UNKNOWN = "unknown"
POINT_FIELDS = (
    "total",
    "succeeded",
    "failed",
    "aborted",
    "successRate",
    "avgDurationSeconds",
    "p50DurationSeconds",
    "p95DurationSeconds",
    "rowsRead",
    "rowsWritten",
    "dqErrors",
    "cost",
    "costEstimated",
    "costBilled",
)
MAX_PATH_RUNS = 200  # DAG runs whose critical path the step table counts (the newest in the range)


@dataclass
class Figures:
    """Additive figures of a set of runs; `point()` turns them into the API's point fields."""

    total: int = 0
    by_state: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    duration_count: int = 0
    duration_sum: float = 0.0
    # The rows' duration sketches, merged only when a point is asked for (`merged_counts`): as JSON texts
    # they are decoded in one call, and the merge is the largest part of what a range of rollup rows costs.
    sketches: list[str | Mapping[str, int]] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    dq_errors: int = 0
    cost_estimated: float = 0.0
    cost_billed: float = 0.0
    # The rows' versions (`_ROW_VERSION`), while every row added has one: what identifies the merged sketch.
    versions: list[str] | None = field(default_factory=list)

    def add_row(self, row: Any) -> None:
        self.total += row.runs
        self.by_state[row.state] += row.runs
        self.duration_count += row.duration_count
        self.duration_sum += row.duration_sum
        if row.sketch:
            self.sketches.append(row.sketch)
        if self.versions is not None:
            version = getattr(row, "version", None)
            if version is None:
                self.versions = None
            else:
                self.versions.append(version)
        self.rows_read += row.rows_read
        self.rows_written += row.rows_written
        self.dq_errors += row.dq_errors
        self.cost_estimated += row.cost_estimated
        self.cost_billed += row.cost_billed

    def point(self) -> dict[str, Any]:
        succeeded, failed, aborted = (self.by_state.get(s, 0) for s in ("COMPLETED", "FAILED", "ABORTED"))
        finished = succeeded + failed + aborted
        p50, p95 = self._quantiles()
        return {
            "total": self.total,
            "succeeded": succeeded,
            "failed": failed,
            "aborted": aborted,
            "successRate": succeeded / finished if finished else None,
            "avgDurationSeconds": self.duration_sum / self.duration_count if self.duration_count else None,
            "p50DurationSeconds": p50,
            "p95DurationSeconds": p95,
            "rowsRead": self.rows_read,
            "rowsWritten": self.rows_written,
            "dqErrors": self.dq_errors,
            "cost": round(self.cost_estimated + self.cost_billed, 6),
            "costEstimated": round(self.cost_estimated, 6),
            "costBilled": round(self.cost_billed, 6),
        }

    def _quantiles(self) -> tuple[float | None, float | None]:
        if not self.versions:
            p50, p95 = quantiles(merged_counts(self.sketches), (0.5, 0.95))
            return p50, p95
        key = frozenset(self.versions)
        with _QUANTILES_LOCK:
            found = _QUANTILES.get(key)
            if found is not None:
                _QUANTILES.move_to_end(key)
                return found
        p50, p95 = quantiles(merged_counts(self.sketches), (0.5, 0.95))
        with _QUANTILES_LOCK:
            _QUANTILES[key] = (p50, p95)
            if len(_QUANTILES) > QUANTILES_CACHED:
                _QUANTILES.popitem(last=False)
        return p50, p95


# p50 / p95 of merged rollup sketches, by the exact set of row versions merged (PostgreSQL; per process).
# Merging a point's sketches is most of an executions answer's CPU (~7 ms for 90 days by week), and the
# buckets of the past do not change: a point whose rows are all unchanged is answered from here. The key
# is read from the database in the same statement as the sketches, so that a flush, a rebuild or a
# retention change on any worker changes it (see `_ROW_VERSION`); no invalidation is needed.
QUANTILES_CACHED = 20_000
_QUANTILES: OrderedDict[frozenset[str], tuple[float | None, float | None]] = OrderedDict()
_QUANTILES_LOCK = threading.Lock()


def _check_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise InvalidParameterError(
            "'to' must be after 'from' (ISO-8601 UTC times, e.g. from=2026-11-01&to=2026-12-01)"
        )
    return start, end


def default_range(days: int = 30) -> tuple[datetime, datetime]:
    end = bucket_start(datetime.now(timezone.utc), "day") + timedelta(days=1)
    return end - timedelta(days=days), end


def _env_keys(env: str, env_by_namespace: Mapping[str, str]) -> list[str]:
    keys = [f"tag:{env}"] + [f"ns:{ns}" for ns, name in env_by_namespace.items() if name == env]
    if env not in env_by_namespace:
        keys.append(f"ns:{env}")
    return sorted(set(keys))


def _visibility(table: Any, principal: Principal) -> Any:
    """The one visibility rule (services/visibility.py) over rollup or fact rows, which keep the DAG id and
    its namespace; None when nothing is hidden."""
    return visible_dags_clause(
        principal, namespace=table.dag_namespace, dag_id=table.dag_key, no_dag=table.dag_key == ""
    )


def _named_dag(table: Any, dag_id: str, *, session: Session, principal: Principal) -> Any:
    """The rows a `dagId=` parameter names, as `dag_jobs_clause` names its jobs."""
    own = own_namespace_of_dag(principal, dag_id, session=session)
    named = table.dag_key == dag_id
    return named if own is None else and_(named, table.dag_namespace == own)


def _sees_dag(principal: Principal, dag_id: str, *, session: Session) -> bool:
    """Whether some job of this DAG id is visible to the principal (for what names a DAG id only: a budget)."""
    if sees_every_job(principal):
        return True
    clause = visible_jobs_clause(principal)
    query = select(Job.id).where(Job.dag_id == dag_id)
    return session.execute((query if clause is None else query.where(clause)).limit(1)).first() is not None


# The sketch as the database's JSON text: the drivers' JSON decoding (stdlib json) was a large part of a
# month's answer; `merged_counts` decodes it with orjson (the sketches hold only string keys and ints).
_SKETCH_TEXT = cast(RunRollup.sketch, Text).label("sketch")
# A rollup row's version on PostgreSQL: its id and `xmin`, the transaction that wrote this version of the
# row (every UPDATE writes a new version with a new xmin; a transaction id is never reused within a
# cluster's life, short of wraparound after 2^32 transactions, far longer than an entry stays cached),
# and the server's start time (a restore to an earlier point reissues transaction ids, and needs a
# restart). NULL inside a transaction that has written (`txid_current_if_assigned`): there a row
# could be written twice under the same xmin, so nothing read there is cached.
_ROW_VERSION = literal_column(
    "CASE WHEN txid_current_if_assigned() IS NULL THEN flowlytics_run_rollup.id || ':' || "
    "flowlytics_run_rollup.xmin::text || ':' || pg_postmaster_start_time()::text END",
    Text,
).label("version")


def _rollup_rows(
    *,
    session: Session,
    principal: Principal,
    grain: str,
    start: datetime,
    end: datetime,
    level: Level,
    dag_id: str | None,
    env: str | None,
    env_by_namespace: Mapping[str, str],
    by_dag: bool = False,
) -> Sequence[Any]:
    if grain == "day" and dag_id is None and principal.readable_dag_ids is None and not by_dag:
        grain = "dayall"  # every DAG, seen by a reader who may see them all: the rollup without the DAG
    query = select(
        RunRollup.bucket_start,
        RunRollup.dag_key,
        RunRollup.dag_namespace,
        RunRollup.job_id,
        RunRollup.env_key,
        RunRollup.trigger_type,
        RunRollup.state,
        RunRollup.runs,
        RunRollup.duration_count,
        RunRollup.duration_sum,
        _SKETCH_TEXT,
        RunRollup.rows_read,
        RunRollup.rows_written,
        RunRollup.dq_errors,
        RunRollup.cost_estimated,
        RunRollup.cost_billed,
        *((_ROW_VERSION,) if session.get_bind().dialect.name == "postgresql" else ()),
    ).where(
        RunRollup.grain == grain,
        RunRollup.bucket_start >= start,
        RunRollup.bucket_start < end,
        RunRollup.level == level,
        RunRollup.runs != 0,
    )
    if dag_id is not None:
        query = query.where(_named_dag(RunRollup, dag_id, session=session, principal=principal))
    if env:
        query = query.where(RunRollup.env_key.in_(_env_keys(env, env_by_namespace)))
    clause = _visibility(RunRollup, principal)
    if clause is not None:
        query = query.where(clause)
    return session.execute(query).all()


@dataclass(frozen=True)
class _FactRow:
    """A run fact shaped like a rollup row, for minute buckets (read from the runs' facts)."""

    bucket_start: datetime
    dag_key: str
    job_id: int
    env_key: str
    trigger_type: str
    state: str
    runs: int
    duration_count: int
    duration_sum: float
    sketch: dict[str, int]
    rows_read: int
    rows_written: int
    dq_errors: int
    cost_estimated: float
    cost_billed: float


def _fact_rows(
    *,
    session: Session,
    principal: Principal,
    start: datetime,
    end: datetime,
    level: Level,
    dag_id: str | None,
    env: str | None,
    env_by_namespace: Mapping[str, str],
) -> list[_FactRow]:
    from lineage_backend.analytics.sketch import bucket_key

    query = select(RunFact).where(
        RunFact.bucket_hour >= bucket_start(start, "hour"), RunFact.bucket_hour < end, RunFact.level == level
    )
    if dag_id is not None:
        query = query.where(_named_dag(RunFact, dag_id, session=session, principal=principal))
    if env:
        query = query.where(RunFact.env_key.in_(_env_keys(env, env_by_namespace)))
    clause = _visibility(RunFact, principal)
    if clause is not None:
        query = query.where(clause)
    rows = []
    for fact in session.execute(query).scalars():
        moment = fact.started_at or fact.bucket_hour
        if not start <= moment < end:
            continue
        duration = fact.duration_seconds
        rows.append(
            _FactRow(
                bucket_start=moment,
                dag_key=fact.dag_key,
                job_id=fact.job_id,
                env_key=fact.env_key,
                trigger_type=fact.trigger_type,
                state=fact.state,
                runs=1,
                duration_count=1 if duration is not None else 0,
                duration_sum=duration or 0.0,
                sketch={bucket_key(duration): 1} if duration is not None else {},
                rows_read=fact.rows_read,
                rows_written=fact.rows_written,
                dq_errors=fact.dq_errors,
                cost_estimated=fact.cost_estimated,
                cost_billed=fact.cost_billed,
            )
        )
    return rows


def _job_names(job_ids: Iterable[int], *, session: Session) -> dict[int, str]:
    ids = sorted(set(job_ids))
    names: dict[int, str] = {}
    for offset in range(0, len(ids), 500):
        for job_id, namespace, name in session.execute(
            select(Job.id, Job.namespace, Job.name).where(Job.id.in_(ids[offset : offset + 500]))
        ):
            names[job_id] = job_node_id(namespace, name)
    return names


def _source(granularity: Granularity, group_by: GroupBy | None, start: datetime, end: datetime) -> str:
    """Day rollups (no job) for day, week and month; hour rollups for hours, jobs or ranges not on day edges;
    the runs' own facts for minutes."""
    if granularity == "minute":
        return "fact"
    if granularity == "hour" or group_by == "job":
        return "hour"
    if bucket_start(start, "day") != start or bucket_start(end, "day") != end:
        return "hour"
    return "day"


def executions(
    *,
    session: Session,
    principal: Principal,
    env_by_namespace: Mapping[str, str],
    start: datetime,
    end: datetime,
    granularity: Granularity,
    group_by: GroupBy | None,
    level: Level,
    dag_id: str | None,
    env: str | None,
    currency: str,
) -> dict[str, Any]:
    start, end = _check_range(start, end)
    try:
        buckets = bucket_starts(start, end, granularity)
    except ValueError as error:
        raise InvalidParameterError(str(error)) from None
    # Whole buckets: the first and last bucket are counted in full.
    start, end = buckets[0], next_bucket(buckets[-1], granularity)
    source = _source(granularity, group_by, start, end)
    common = {
        "session": session,
        "principal": principal,
        "start": start,
        "end": end,
        "level": level,
        "dag_id": dag_id,
        "env": env,
        "env_by_namespace": env_by_namespace,
    }
    rows: Sequence[Any] = (
        _fact_rows(**common)  # type: ignore[arg-type]
        if source == "fact"
        else _rollup_rows(grain=source, by_dag=group_by == "dag", **common)  # type: ignore[arg-type]
    )
    names = _job_names((row.job_id for row in rows), session=session) if group_by == "job" else {}
    series: dict[str, dict[datetime, Figures]] = defaultdict(lambda: defaultdict(Figures))
    bucket_of: dict[datetime, datetime] = {}  # rows share a few bucket starts: each is computed once
    for row in rows:
        key = _group_key(row, group_by, names, env_by_namespace)
        bucket = bucket_of.get(row.bucket_start)
        if bucket is None:
            bucket = bucket_of[row.bucket_start] = bucket_start(row.bucket_start, granularity)
        series[key][bucket].add_row(row)
    if not series and group_by is None:
        series["all"] = defaultdict(Figures)
    return {
        "granularity": granularity,
        "from": start,
        "to": end,
        "groupBy": group_by,
        "level": level,
        "currency": currency,
        "costBasis": _basis(rows),
        "series": [
            {"key": key, "points": [{"bucket": bucket, **series[key][bucket].point()} for bucket in buckets]}
            for key in sorted(series)
        ],
    }


def _basis(rows: Iterable[Any]) -> str:
    estimated = billed = False
    for row in rows:
        estimated |= bool(row.cost_estimated)
        billed |= bool(row.cost_billed)
    if estimated and billed:
        return "mixed"
    return "billed" if billed else "estimated"


def _group_key(row: Any, group_by: GroupBy | None, names: Mapping[int, str], env_map: Mapping[str, str]) -> str:
    if group_by is None:
        return "all"
    if group_by == "dag":
        return row.dag_key or NO_DAG
    if group_by == "job":
        return names.get(row.job_id, str(row.job_id))
    if group_by == "triggerType":
        return row.trigger_type or UNKNOWN
    if group_by == "state":
        return str(row.state)
    return resolve_env(row.env_key, env_map)


def executions_csv(document: Mapping[str, Any]) -> str:
    """Exactly the chart's data: one line per series and bucket, cells made safe for spreadsheets."""
    rows = (
        [series["key"], point["bucket"], *(point[f] for f in POINT_FIELDS)]
        for series in document["series"]
        for point in series["points"]
    )
    return csv_text(["series", "bucket", *POINT_FIELDS], rows)


def summary(
    *,
    session: Session,
    principal: Principal,
    env_by_namespace: Mapping[str, str],
    start: datetime,
    end: datetime,
    level: Level,
    dag_id: str | None,
    env: str | None,
    currency: str,
) -> dict[str, Any]:
    start, end = _check_range(start, end)
    length = end - start

    def figures(range_start: datetime, range_end: datetime) -> dict[str, Any]:
        aligned = bucket_start(range_start, "day") == range_start and bucket_start(range_end, "day") == range_end
        total = Figures()
        hour_start, hour_end = bucket_start(range_start, "hour"), range_end
        rows = _rollup_rows(
            session=session,
            principal=principal,
            grain="day" if aligned else "hour",
            start=range_start if aligned else hour_start,
            end=range_end if aligned else hour_end,
            level=level,
            dag_id=dag_id,
            env=env,
            env_by_namespace=env_by_namespace,
        )
        for row in rows:
            total.add_row(row)
        return {"from": range_start, "to": range_end, **total.point(), "costBasis": _basis(rows)}

    current = figures(start, end)
    return {**current, "level": level, "currency": currency, "previous": figures(start - length, start)}


# --- errors -------------------------------------------------------------------------------------------


def _visible_dag(dag_id: str, *, session: Session, principal: Principal) -> None:
    """404 unless a job of the DAG the parameter names (`dag_jobs_clause`) is visible to the principal."""
    query = select(Job.id).where(dag_jobs_clause(principal, dag_id, session=session))
    clause = visible_jobs_clause(principal)
    if session.execute((query if clause is None else query.where(clause)).limit(1)).first() is None:
        raise NotFoundError(f"no DAG {dag_id!r} with runs; list jobs with GET /api/v1/jobs")


def errors(
    *, session: Session, principal: Principal, start: datetime, end: datetime, dag_id: str | None, limit: int
) -> tuple[list[dict[str, Any]], int]:
    start, end = _check_range(start, end)
    if dag_id is not None:
        _visible_dag(dag_id, session=session, principal=principal)
    query = (
        select(
            RunFact.run_uuid,
            RunFact.started_at,
            RunFact.bucket_hour,
            RunFact.ended_at,
            Run.error_message,
            Run.facets["errorMessage"],
            Job.namespace,
            Job.name,
        )
        .join(Run, Run.run_uuid == RunFact.run_uuid)
        .join(Job, Job.id == RunFact.job_id)
        .where(
            RunFact.state.in_(("FAILED", "ABORTED")),
            RunFact.bucket_hour >= bucket_start(start, "hour"),
            RunFact.bucket_hour < end,
        )
    )
    if dag_id is not None:
        query = query.where(_named_dag(RunFact, dag_id, session=session, principal=principal))
    clause = _visibility(RunFact, principal)
    if clause is not None:
        query = query.where(clause)
    categories: dict[str, dict[str, Any]] = {}
    for run_uuid, started, hour, ended, message, facet, namespace, name in session.execute(query):
        moment = ended or started or hour
        if not start <= (started or hour) < end:
            continue
        facet = facet if isinstance(facet, dict) else {}
        text = message or facet.get("message") or ""
        found = fingerprint(text, facet.get("stackTrace"))
        entry = categories.get(found.fingerprint)
        if entry is None:
            entry = categories[found.fingerprint] = {
                "fingerprint": found.fingerprint,
                "pattern": found.pattern,
                "exceptionType": found.exception_type,
                "example": text[:2000],
                "exampleRunId": run_uuid,
                "count": 0,
                "jobs": set(),
                "firstSeen": moment,
                "lastSeen": moment,
            }
        entry["count"] += 1
        entry["jobs"].add(job_node_id(namespace, name))
        if moment < entry["firstSeen"]:
            entry["firstSeen"] = moment
        if moment > entry["lastSeen"]:
            entry["lastSeen"], entry["example"], entry["exampleRunId"] = moment, text[:2000], run_uuid
    items = sorted(categories.values(), key=lambda e: (-e["count"], e["fingerprint"]))
    for item in items:
        item["jobs"] = sorted(item["jobs"])
    return items[:limit], len(items)


# --- steps, critical path, versions ---------------------------------------------------------------------


@dataclass(frozen=True)
class _TaskRun:
    run_uuid: str
    job_id: int
    batch: str | None
    state: str | None
    started_at: datetime | None
    ended_at: datetime | None


def _task_graph(dag_job: Job | None, names: Mapping[int, str], dag_name: str | None) -> dict[str, set[str]] | None:
    """upstream[job node id] from the DAG's `airflow` job facet (tasks → downstream_task_ids)."""
    if dag_job is None:
        return None
    tasks = ((dag_job.facets or {}).get("airflow") or {}).get("tasks")
    if not isinstance(tasks, dict) or not tasks:
        return None

    def node(task_id: str) -> str:
        return job_node_id(dag_job.namespace, f"{dag_name or dag_job.name}.{task_id}")

    downstream: dict[str, list[str]] = {}
    for task_id, spec in tasks.items():
        downs = spec.get("downstream_task_ids") if isinstance(spec, dict) else None
        if isinstance(downs, str):  # some providers send it as a stringified list
            downs = [d.strip(" '\"") for d in downs.strip("[]").split(",") if d.strip(" '\"")]
        downstream[node(task_id)] = [node(d) for d in downs or []]
    return graph_upstream(downstream)


def _lineage_graph(run_uuids: Sequence[str], keys: Mapping[str, str], *, session: Session) -> dict[str, set[str]]:
    reads: dict[str, set[int]] = defaultdict(set)
    writes: dict[str, set[int]] = defaultdict(set)
    for offset in range(0, len(run_uuids), 500):
        for run_uuid, dataset_id, direction in session.execute(
            select(RunDataset.run_uuid, RunDataset.dataset_id, RunDataset.direction).where(
                RunDataset.run_uuid.in_(run_uuids[offset : offset + 500])
            )
        ):
            (reads if direction == "IN" else writes)[keys[run_uuid]].add(dataset_id)
    return lineage_upstream(
        {k: {str(d) for d in v} for k, v in reads.items()}, {k: {str(d) for d in v} for k, v in writes.items()}
    )


def _batch_path(
    batch: Run, tasks: Sequence[_TaskRun], names: Mapping[int, str], dag_job: Job | None, *, session: Session
) -> Any:
    keys = {t.run_uuid: names[t.job_id] for t in tasks}
    upstream = _task_graph(dag_job, names, dag_job.dag_id if dag_job else None)
    if upstream is None:
        upstream = _lineage_graph(list(keys), keys, session=session)
    attempts = [TaskAttempt(keys[t.run_uuid], t.run_uuid, t.started_at, t.ended_at) for t in tasks]
    return critical_path(attempts, upstream, run_started_at=batch.started_at), upstream


def critical_path_of_run(run_id: str, *, session: Session, principal: Principal) -> dict[str, Any]:
    run_uuid = normalise_run_id(run_id, "runId")
    row = session.execute(select(Run, Job).join(Job, Job.id == Run.job_id).where(Run.run_uuid == run_uuid)).first()
    if row is None or row[0].state is None or not can_see_job(principal, row[1].namespace, row[1].dag_id):
        raise NotFoundError(f"no run {run_id!r}; list runs with GET /api/v1/runs")
    batch, dag_job = row
    tasks = _tasks_of_batches([batch.run_uuid], session=session, principal=principal)[batch.run_uuid]
    names = _job_names((t.job_id for t in tasks), session=session)
    if not tasks:  # a run without children is its own single step
        tasks = [_TaskRun(batch.run_uuid, batch.job_id, batch.run_uuid, batch.state, batch.started_at, batch.ended_at)]
        names = {batch.job_id: job_node_id(dag_job.namespace, dag_job.name)}
    path, upstream = _batch_path(batch, tasks, names, dag_job, session=session)
    return {
        "runId": batch.run_uuid,
        "totalSeconds": path.total_seconds,
        "steps": [
            {
                "jobNodeId": step.key,
                "runId": step.run_id,
                "startedAt": step.started_at,
                "endedAt": step.ended_at,
                "waitSeconds": step.wait_seconds,
                "runSeconds": step.run_seconds,
                "tries": step.tries,
            }
            for step in path.steps
        ],
        "others": [{"jobNodeId": key, "slackSeconds": slack} for key, slack in path.others.items()],
        "dagRunStartedAt": batch.started_at,
        "dagRunEndedAt": batch.ended_at,
        "state": batch.state,
        "tasks": _gantt_tasks(tasks, names, upstream, batch.started_at),
    }


def _gantt_tasks(
    tasks: Sequence[_TaskRun],
    names: Mapping[int, str],
    upstream: Mapping[str, Iterable[str]],
    run_started_at: datetime | None,
) -> list[dict[str, Any]]:
    """Every task of the run with each of its tries (a retried task has several), first to start first, so
    that a Gantt can draw the tasks off the critical path too; a try that never ended has `endedAt` null.
    `waitSeconds`: before the first try, as the step timing counts it."""
    ends = _task_ends(tasks, names)
    by_key: dict[str, list[_TaskRun]] = defaultdict(list)
    for task in tasks:
        by_key[names[task.job_id]].append(task)
    never = datetime.max.replace(tzinfo=timezone.utc)

    def first_moment(task: _TaskRun) -> datetime:
        moment = task.started_at or task.ended_at
        return as_utc(moment) if moment is not None else never

    rows = []
    for key, tries in by_key.items():
        tries = sorted(tries, key=lambda t: (first_moment(t), t.run_uuid))
        rows.append(
            {
                "jobNodeId": key,
                "taskId": _task_id(key),
                "state": tries[-1].state,
                "waitSeconds": _wait_seconds(key, tries[0].started_at, upstream, ends, run_started_at),
                "attempts": [
                    {"runId": t.run_uuid, "state": t.state, "startedAt": t.started_at, "endedAt": t.ended_at}
                    for t in tries
                ],
                "_first": first_moment(tries[0]),
            }
        )
    rows.sort(key=lambda row: (row["_first"], row["jobNodeId"]))
    for row in rows:
        del row["_first"]
    return rows


def _task_ends(tasks: Sequence[_TaskRun], names: Mapping[int, str]) -> dict[str, datetime]:
    """The last end of each task (over its tries)."""
    ends: dict[str, datetime] = {}
    for task in tasks:
        if task.ended_at:
            key = names[task.job_id]
            ends[key] = max(ends[key], task.ended_at) if key in ends else task.ended_at
    return ends


def _wait_seconds(
    key: str,
    started_at: datetime | None,
    upstream: Mapping[str, Iterable[str]],
    ends: Mapping[str, datetime],
    run_started_at: datetime | None,
) -> float | None:
    """Wait before a start: from the last upstream end before it (or the DAG run's start), queue and scheduling."""
    if started_at is None:
        return None
    ups = [ends[u] for u in upstream.get(key, ()) if u in ends and ends[u] <= started_at]
    reference = max(ups) if ups else run_started_at
    if reference is None or reference > started_at:
        return None
    return (started_at - reference).total_seconds()


def _task_id(key: str) -> str:
    """The task id of a task's job node id ("job:airflow:sales.load" → "load")."""
    name = key.rsplit(":", 1)[-1]
    return name.split(".", 1)[-1] if "." in name else key


def _tasks_of_batches(batch_ids: Sequence[str], *, session: Session, principal: Principal) -> dict[str, list[_TaskRun]]:
    found: dict[str, list[_TaskRun]] = {batch: [] for batch in batch_ids}
    for offset in range(0, len(batch_ids), 500):
        query = (
            select(
                Run.run_uuid,
                Run.job_id,
                Run.batch_run_uuid,
                Run.state,
                Run.started_at,
                Run.ended_at,
                Job.namespace,
                Job.dag_id,
            )
            .join(Job, Job.id == Run.job_id)
            .where(Run.batch_run_uuid.in_(batch_ids[offset : offset + 500]), Run.run_uuid != Run.batch_run_uuid)
            .where(Run.state.is_not(None))
        )
        for run_uuid, job_id, batch, state, started, ended, job_namespace, job_dag in session.execute(query):
            if batch is not None and can_see_job(principal, job_namespace, job_dag):
                found[batch].append(_TaskRun(run_uuid, job_id, batch, state, started, ended))
    return found


def steps(dag_id: str, *, session: Session, principal: Principal, start: datetime, end: datetime) -> dict[str, Any]:
    start, end = _check_range(start, end)
    _visible_dag(dag_id, session=session, principal=principal)
    batches = session.execute(
        select(Run, Job)
        .join(RunFact, RunFact.run_uuid == Run.run_uuid)
        .join(Job, Job.id == Run.job_id)
        .where(
            _named_dag(RunFact, dag_id, session=session, principal=principal),
            RunFact.level == "dag",
            Run.sort_time >= start,
            Run.sort_time < end,
        )
        .order_by(Run.sort_time.desc())
    ).all()
    tasks_by_batch = _tasks_of_batches([b.run_uuid for b, _ in batches], session=session, principal=principal)
    names = _job_names((t.job_id for ts in tasks_by_batch.values() for t in ts), session=session)
    per_task: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"runs": 0, "failed": 0, "durations": [], "waits": [], "critical": 0, "pathSeconds": 0.0}
    )
    dag_seconds = 0.0
    path_runs = 0
    for index, (batch, dag_job) in enumerate(batches):
        tasks = tasks_by_batch[batch.run_uuid]
        if batch.started_at and batch.ended_at:
            dag_seconds += (batch.ended_at - batch.started_at).total_seconds()
        for task in tasks:
            entry = per_task[names[task.job_id]]
            entry["runs"] += 1
            entry["failed"] += task.state in ("FAILED", "ABORTED")
            if task.started_at and task.ended_at:
                entry["durations"].append((task.ended_at - task.started_at).total_seconds())
        if not tasks:
            continue
        path, upstream = _batch_path(batch, tasks, names, dag_job, session=session)
        ends = _task_ends(tasks, names)
        for task in tasks:
            key = names[task.job_id]
            wait = _wait_seconds(key, task.started_at, upstream, ends, batch.started_at)
            if wait is not None:
                per_task[key]["waits"].append(wait)
        if index < MAX_PATH_RUNS:
            path_runs += 1
            for step in path.steps:
                per_task[step.key]["critical"] += 1
                per_task[step.key]["pathSeconds"] += step.run_seconds + step.wait_seconds
    items = []
    for key, entry in per_task.items():
        durations = entry["durations"]
        items.append(
            {
                "jobNodeId": key,
                "taskId": _task_id(key),
                "runs": entry["runs"],
                "failureRate": entry["failed"] / entry["runs"] if entry["runs"] else None,
                "avgDurationSeconds": sum(durations) / len(durations) if durations else None,
                "p50DurationSeconds": exact_quantile(durations, 0.5),
                "p95DurationSeconds": exact_quantile(durations, 0.95),
                "avgWaitSeconds": sum(entry["waits"]) / len(entry["waits"]) if entry["waits"] else None,
                "shareOfDagRunTime": sum(durations) / dag_seconds if dag_seconds else None,
                "criticalPathRuns": entry["critical"],
                "criticalPathShare": entry["critical"] / path_runs if path_runs else None,
            }
        )
    items.sort(key=lambda item: item["jobNodeId"])
    bottlenecks = sorted(
        (item for item in items if item["criticalPathRuns"]),
        key=lambda item: (-item["criticalPathRuns"], -per_task[item["jobNodeId"]]["pathSeconds"], item["jobNodeId"]),
    )
    return {
        "dagId": dag_id,
        "from": start,
        "to": end,
        "dagRuns": len(batches),
        "criticalPathRunsCounted": path_runs,
        "items": items,
        "totalCount": len(items),
        "bottlenecks": [
            {
                "jobNodeId": b["jobNodeId"],
                "criticalPathRuns": b["criticalPathRuns"],
                "criticalPathShare": b["criticalPathShare"],
            }
            for b in bottlenecks
        ],
    }


def versions(dag_id: str, *, session: Session, principal: Principal) -> dict[str, Any]:
    _visible_dag(dag_id, session=session, principal=principal)
    rows = session.execute(
        select(
            RunFact.dag_version, RunFact.state, RunFact.duration_seconds, RunFact.started_at, RunFact.bucket_hour
        ).where(_named_dag(RunFact, dag_id, session=session, principal=principal), RunFact.level == "dag")
    ).all()
    groups: dict[str | None, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row.dag_version].append(row)
    items = []
    for version, members in groups.items():
        finished = [m for m in members if m.state in ("COMPLETED", "FAILED", "ABORTED")]
        durations = [m.duration_seconds for m in finished if m.duration_seconds is not None]
        times = [m.started_at or m.bucket_hour for m in members]
        items.append(
            {
                "dagVersion": version,
                "runs": len(members),
                "successRate": sum(m.state == "COMPLETED" for m in finished) / len(finished) if finished else None,
                "avgDurationSeconds": sum(durations) / len(durations) if durations else None,
                "p95DurationSeconds": exact_quantile(durations, 0.95),
                "firstRunAt": min(times),
                "lastRunAt": max(times),
            }
        )
    items.sort(key=lambda item: item["firstRunAt"])
    return {"dagId": dag_id, "items": items, "totalCount": len(items)}


# --- rankings -----------------------------------------------------------------------------------------

RankingMetric = Literal["slowest", "failing", "growing"]


def rankings(
    *,
    session: Session,
    principal: Principal,
    metric: RankingMetric,
    level: Level,
    start: datetime,
    end: datetime,
    limit: int,
) -> dict[str, Any]:
    start, end = _check_range(start, end)
    start, end = bucket_start(start, "hour"), end

    def by_job(range_start: datetime, range_end: datetime) -> dict[int, Figures]:
        found: dict[int, Figures] = defaultdict(Figures)
        for row in _rollup_rows(
            session=session,
            principal=principal,
            grain="hour",
            start=range_start,
            end=range_end,
            level=level,
            dag_id=None,
            env=None,
            env_by_namespace={},
        ):
            found[row.job_id].add_row(row)
        return found

    current = by_job(start, end)
    previous = by_job(start - (end - start), start) if metric == "growing" else {}
    names = _job_names(current, session=session)
    items = []
    for job_id, figures in current.items():
        point = figures.point()
        value: float | None
        if metric == "slowest":
            value = point["p95DurationSeconds"]
        elif metric == "failing":
            value = float(point["failed"] + point["aborted"])
        else:
            before = previous[job_id].point()["p95DurationSeconds"] if job_id in previous else None
            now = point["p95DurationSeconds"]
            value = (now - before) / before if now is not None and before else None
            point["previousP95DurationSeconds"] = before
        if value is None or (metric == "failing" and value == 0):
            continue
        items.append({"jobNodeId": names.get(job_id, str(job_id)), "value": value, **point})
    items.sort(key=lambda item: (-item["value"], item["jobNodeId"]))
    return {
        "metric": metric,
        "level": level,
        "from": start,
        "to": end,
        "items": items[:limit],
        "totalCount": len(items),
    }


# --- cost -----------------------------------------------------------------------------------------------


def cost_overview(
    *,
    session: Session,
    principal: Principal,
    rates: CostRates,
    budgets: Sequence[Budget],
    dag_id: str | None,
    today: date | None = None,
) -> dict[str, Any]:
    """Cost per day of the last 28 days, per DAG this month, the 30-day projection and budget use."""
    today = today or datetime.now(timezone.utc).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=timezone.utc)
    history_start = midnight - timedelta(days=28)
    month_start = midnight.replace(day=1)
    start = min(history_start, month_start)
    if dag_id is not None:
        _visible_dag(dag_id, session=session, principal=principal)
    query = (
        select(
            RunRollup.bucket_start,
            RunRollup.dag_key,
            func.sum(RunRollup.cost_estimated),
            func.sum(RunRollup.cost_billed),
        )
        .where(
            RunRollup.grain == "day",
            RunRollup.bucket_start >= start,
            RunRollup.bucket_start <= midnight,
        )
        .group_by(RunRollup.bucket_start, RunRollup.dag_key)
    )
    if dag_id is not None:
        query = query.where(_named_dag(RunRollup, dag_id, session=session, principal=principal))
    clause = _visibility(RunRollup, principal)
    if clause is not None:
        query = query.where(clause)
    daily: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0])
    month_by_dag: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for bucket, dag_key, estimated, billed in session.execute(query):
        day = as_utc(bucket).date()
        if day < today:  # today is not over yet: it stays out of the history
            daily[day][0] += estimated or 0.0
            daily[day][1] += billed or 0.0
        if bucket >= month_start:
            month_by_dag[dag_key][0] += estimated or 0.0
            month_by_dag[dag_key][1] += billed or 0.0
    projection = project({day: sum(v) for day, v in daily.items()}, today=today)
    history = [history_start.date() + timedelta(days=offset) for offset in range(28)]
    owners = _dag_owners([k for k in month_by_dag if k], session=session)
    days_in_month = (next_bucket(month_start, "month") - month_start).days
    budget_items = []
    for budget in budgets:
        if budget.dag_id is not None and not _sees_dag(principal, budget.dag_id, session=session):
            continue
        if dag_id is not None and budget.dag_id != dag_id and (budget.owner not in owners.get(dag_id, ())):
            continue
        dags = [budget.dag_id] if budget.dag_id else [d for d, o in owners.items() if budget.owner in o]
        spent = sum(sum(month_by_dag.get(d, [0.0, 0.0])) for d in dags if d)
        remaining_days = [day for day, _ in projection.days if day.month == today.month and day.year == today.year]
        share = (
            sum(sum(month_by_dag.get(d, [0.0, 0.0])) for d in dags if d) / sum(sum(v) for v in month_by_dag.values())
            if sum(sum(v) for v in month_by_dag.values())
            else 0.0
        )
        projected = spent + share * sum(amount for day, amount in projection.days if day in remaining_days)
        budget_items.append(
            {
                "dagId": budget.dag_id,
                "owner": budget.owner,
                "monthlyAmount": budget.monthly_amount,
                "spentThisMonth": round(spent, 6),
                "use": budget_use(spent, budget),
                "projectedMonthEnd": round(projected, 6),
                "projectedUse": budget_use(projected, budget),
                "daysInMonth": days_in_month,
            }
        )
    return {
        "currency": rates.currency,
        "rateCardConfigured": rates.configured,
        "days": [
            {
                "day": day,
                "cost": round(sum(daily.get(day, [0.0, 0.0])), 6),
                "costEstimated": round(daily.get(day, [0.0, 0.0])[0], 6),
                "costBilled": round(daily.get(day, [0.0, 0.0])[1], 6),
            }
            for day in history
        ],
        "byDag": sorted(
            (
                {
                    "dagId": key or None,
                    "cost": round(sum(v), 6),
                    "costEstimated": round(v[0], 6),
                    "costBilled": round(v[1], 6),
                }
                for key, v in month_by_dag.items()
            ),
            key=lambda item: (-item["cost"], item["dagId"] or ""),
        ),
        "projection": {
            "basis": "estimated",
            "next30Days": round(projection.total, 6),
            "dailyMean": round(projection.daily_mean, 6),
            "weekdayFactors": [round(f, 6) for f in projection.weekday_factors],
        },
        "budgets": budget_items,
    }


def _dag_owners(dag_ids: Sequence[str], *, session: Session) -> dict[str, list[str]]:
    if not dag_ids:
        return {}
    jobs = session.execute(
        select(Job.namespace, Job.name, Job.dag_id).where(Job.dag_id.in_(list(dag_ids)), Job.name.in_(list(dag_ids)))
    ).all()
    ids = {job_node_id(ns, name): str(dag) for ns, name, dag in jobs}
    stored = stored_metadata(list(ids), session=session)
    owners: dict[str, list[str]] = defaultdict(list)
    for node_id, meta in stored.items():
        owners[ids[node_id]].extend(meta.owners or [])
    return owners


def run_cost_of(run_uuid: str, currency: str, *, session: Session) -> dict[str, Any] | None:
    fact = session.get(RunFact, run_uuid)
    if fact is None:
        return None
    estimated, billed = fact.cost_estimated, fact.cost_billed
    basis = "mixed" if estimated and billed else ("billed" if billed else "estimated")
    return {
        "amount": round(estimated + billed, 6),
        "estimated": round(estimated, 6),
        "billed": round(billed, 6),
        "currency": currency,
        "basis": basis,
    }
