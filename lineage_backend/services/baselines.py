"""What the Batch Health page shows of anomaly detection: the stored anomalies of process rows and trend points,
each job's learning state, and the band of normal of a job's metric. The band is the detector's own verdict
(lineage_backend/anomaly/detector.py), replayed over the job's runs, never re-derived here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from lineage_backend.alerting.evaluate import HISTORY_RUNS, RUN_METRICS, run_metrics
from lineage_backend.anomaly.detector import AnomalyConfig, Point, Verdict, band, replay
from lineage_backend.api.alert_schemas import BaselineBand, BaselinePoint, BaselineResponse
from lineage_backend.api.schemas import AnomalyMark, LearningState, ProcessResponse, TrendAnomaly
from lineage_backend.auth import ADMIN, Principal
from lineage_backend.config import Settings
from lineage_backend.errors import InvalidParameterError, NotFoundError
from lineage_backend.services.metadata import effective, stored_metadata
from lineage_backend.services.nodes import job_node_id, resolve_job
from lineage_backend.services.visibility import can_see_job, visible_jobs_clause
from lineage_backend.store.models import Anomaly, Job, Run

CHUNK = 500
MAX_POINTS = 200


def anomaly_config(settings: Settings) -> AnomalyConfig:
    """The global defaults, as evaluation uses them (lineage_backend/app.py)."""
    return AnomalyConfig(
        sensitivity=settings.anomaly_sensitivity,
        min_history=settings.anomaly_min_history,
        window=settings.anomaly_window,
    )


def may_mark_normal(principal: Principal) -> bool:
    """Marking normal changes what the detector learns: the UI offers it to those who may edit."""
    return ADMIN in principal.scopes


def job_configs(jobs: Iterable[Job], base: AnomalyConfig, *, session: Session) -> dict[int, AnomalyConfig]:
    """Each job's settings: its own node metadata `anomaly` block, else its DAG's (as evaluation reads them)."""
    jobs = list(jobs)
    dag_keys = {(j.namespace, j.dag_id) for j in jobs if j.dag_id and j.name != j.dag_id}
    dag_jobs: dict[tuple[str, str], Job] = {}
    keys = sorted(dag_keys)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        for dag_job in session.execute(
            select(Job).where(or_(*[(Job.namespace == ns) & (Job.name == name) for ns, name in chunk]))
        ).scalars():
            dag_jobs[(dag_job.namespace, dag_job.name)] = dag_job
    everything = {j.id: j for j in [*jobs, *dag_jobs.values()]}
    stored = stored_metadata([job_node_id(j.namespace, j.name) for j in everything.values()], session=session)

    def overrides(job: Job | None) -> dict[str, Any] | None:
        if job is None:
            return None
        block = effective(job.facets or {}, stored.get(job_node_id(job.namespace, job.name)))["anomaly"]
        return block if isinstance(block, dict) else None

    return {
        j.id: base.with_overrides(
            overrides(j) or overrides(dag_jobs.get((j.namespace, j.dag_id)) if j.dag_id else None)
        )
        for j in jobs
    }


def anomaly_mark(anomaly: Anomaly) -> AnomalyMark:
    return AnomalyMark(**_mark_fields(anomaly))


def _mark_fields(a: Anomaly) -> dict[str, Any]:
    return {
        "id": a.id,
        "run_id": a.run_uuid,
        "job_node_id": a.subject,
        "metric": a.metric,
        "value": a.value,
        "median": a.median,
        "ratio": a.value / a.median if a.median else None,
        "expected_low": a.expected_low,
        "expected_high": a.expected_high,
        "direction": a.direction,
        "level": a.level,
        "event_time": a.event_time,
        "marked_normal_by": a.marked_normal_by,
        "marked_normal_at": a.marked_normal_at,
    }


def _runs_anomalies(run_uuids: Sequence[str], *, session: Session) -> dict[str, list[Anomaly]]:
    found: dict[str, list[Anomaly]] = {}
    for start in range(0, len(run_uuids), CHUNK):
        chunk = list(run_uuids[start : start + CHUNK])
        for anomaly in session.execute(
            select(Anomaly).where(Anomaly.run_uuid.in_(chunk), Anomaly.metric.in_(RUN_METRICS)).order_by(Anomaly.id)
        ).scalars():
            found.setdefault(anomaly.run_uuid or "", []).append(anomaly)
    return found


def learning_counts(
    runs: Sequence[tuple[str, int, datetime | None]], configs: dict[int, AnomalyConfig], *, session: Session
) -> dict[str, int]:
    """Per (run, job, sort_time): how many completed runs of the job came before it, counted up to the job's
    min_history (an index range scan each, bounded, in one statement per chunk)."""
    counts: dict[str, int] = {}
    wanted = [(r, j, t) for r, j, t in runs if t is not None]
    for start in range(0, len(wanted), 100):
        parts = []
        for run_uuid, job_id, sort_time in wanted[start : start + 100]:
            earlier = (
                select(Run.run_uuid)
                .where(Run.job_id == job_id, Run.state == "COMPLETED", Run.sort_time < sort_time)
                .order_by(Run.sort_time.desc())
                .limit(configs[job_id].min_history)
                .subquery()
            )
            parts.append(select(literal(run_uuid).label("run_uuid"), func.count().label("n")).select_from(earlier))
        if parts:
            for run_uuid, n in session.execute(union_all(*parts)):
                counts[run_uuid] = int(n)
    return counts


def with_anomalies(
    processes: Sequence[ProcessResponse], base: AnomalyConfig, *, session: Session
) -> list[ProcessResponse]:
    """The process rows with their stored anomalies and their job's learning state. The rows come from the
    batch's cache, shared: copies, never changed in place; anomalies are read fresh (marking normal changes
    them while the batch's runs stay the same)."""
    run_uuids = [p.run_id for p in processes if p.run_id]
    if not run_uuids:
        return list(processes)
    runs: dict[str, tuple[int, datetime | None]] = {}
    for start in range(0, len(run_uuids), CHUNK):
        chunk = run_uuids[start : start + CHUNK]
        for run_uuid, job_id, sort_time in session.execute(
            select(Run.run_uuid, Run.job_id, Run.sort_time).where(Run.run_uuid.in_(chunk))
        ):
            runs[run_uuid] = (job_id, sort_time)
    job_ids = sorted({job_id for job_id, _ in runs.values()})
    jobs = list(session.execute(select(Job).where(Job.id.in_(job_ids))).scalars()) if job_ids else []
    configs = job_configs(jobs, base, session=session)
    counts = learning_counts([(r, j, t) for r, (j, t) in runs.items()], configs, session=session)
    anomalies = _runs_anomalies(run_uuids, session=session)
    out = []
    for process in processes:
        if not process.run_id or process.run_id not in runs:
            out.append(process)
            continue
        config = configs[runs[process.run_id][0]]
        seen = counts.get(process.run_id)
        learning = (
            LearningState(runs=seen, min_history=config.min_history, learning=seen < config.min_history)
            if seen is not None
            else None
        )
        marks = [anomaly_mark(a) for a in anomalies.get(process.run_id, [])]
        out.append(process.model_copy(update={"anomalies": marks, "learning": learning}))
    return out


def trend_anomalies(
    batches: Sequence[Run], dag_name: str, *, session: Session, principal: Principal
) -> list[TrendAnomaly]:
    """The anomalies of these batches and of their tasks, each placed on its batch's UTC day."""
    days = {b.run_uuid: b.sort_time.date().isoformat() for b in batches if b.sort_time is not None}
    ids = list(days)
    visible = visible_jobs_clause(principal)
    found: list[TrendAnomaly] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = (
            select(Anomaly, Run.run_uuid, Run.batch_run_uuid, Job.name)
            .join(Run, Run.run_uuid == Anomaly.run_uuid)
            .join(Job, Job.id == Run.job_id)
            .where(or_(Run.batch_run_uuid.in_(chunk), Run.run_uuid.in_(chunk)), Anomaly.metric.in_(RUN_METRICS))
        )
        if visible is not None:
            query = query.where(visible)
        for anomaly, run_uuid, batch_uuid, job_name in session.execute(query.order_by(Anomaly.id)):
            batch = run_uuid if run_uuid in days else batch_uuid
            if batch not in days:
                continue
            process = None
            if run_uuid != batch:
                prefix = f"{dag_name}."
                process = job_name[len(prefix) :] if job_name.startswith(prefix) else job_name
            found.append(TrendAnomaly(**_mark_fields(anomaly), date=days[batch], process=process))
    found.sort(key=lambda a: (a.date, a.event_time, a.id))
    return found


def _band(verdict: Verdict) -> BaselineBand | None:
    if verdict.status == "learning" or verdict.median is None:
        return None
    assert verdict.expected_low is not None and verdict.expected_high is not None
    return BaselineBand(
        median=verdict.median,
        expected_low=verdict.expected_low,
        expected_high=verdict.expected_high,
        seasonal=verdict.seasonal,
    )


def job_baseline(
    job_node_id_: str,
    metric: str,
    limit: int,
    base: AnomalyConfig,
    *,
    session: Session,
    principal: Principal,
    now: datetime | None = None,
) -> BaselineResponse:
    """The job's last `limit` completed runs of `metric`, each with the band it was judged against, and the band
    its next run will meet. Failed runs are no part of a baseline, so they are not points either."""
    if metric not in RUN_METRICS:
        raise InvalidParameterError(f"metric must be one of {list(RUN_METRICS)}, not {metric!r}")
    if not 1 <= limit <= MAX_POINTS:
        raise InvalidParameterError(f"limit must be from 1 to {MAX_POINTS}")
    job = resolve_job(job_node_id_, session=session)
    if not can_see_job(principal, job.namespace, job.dag_id):
        raise NotFoundError(f"no job with id {job_node_id_!r}")
    config = job_configs([job], base, session=session)[job.id]
    newest = session.execute(
        select(Run.run_uuid, Run.sort_time)
        .where(Run.job_id == job.id, Run.state == "COMPLETED", Run.sort_time.is_not(None))
        .order_by(Run.sort_time.desc(), Run.run_uuid.desc())
        .limit(limit + HISTORY_RUNS)
    ).all()
    rows: list[tuple[str, datetime]] = [(run_uuid, at) for run_uuid, at in reversed(newest) if at is not None]
    values = run_metrics([r for r, _ in rows], session=session)
    stored = {
        a.run_uuid: a
        for items in _runs_anomalies([r for r, _ in rows], session=session).values()
        for a in items
        if a.metric == metric
    }
    series = [(run_uuid, at, values[run_uuid][metric]) for run_uuid, at in rows if metric in values.get(run_uuid, {})]

    def unlearned(run_uuid: str) -> bool:
        anomaly = stored.get(run_uuid)
        return anomaly is not None and anomaly.marked_normal_at is None

    points = [
        Point(
            value,
            at,
            anomalous=unlearned(run_uuid),
            direction=stored[run_uuid].direction if unlearned(run_uuid) else None,  # type: ignore[arg-type]
        )
        for run_uuid, at, value in series
    ]
    first = max(0, len(points) - limit)
    verdicts = replay(metric, points, config, history_runs=HISTORY_RUNS, start=first)
    shown = [
        BaselinePoint(
            run_id=run_uuid,
            at=at,
            value=value,
            status=verdict.status,
            band=_band(verdict),
            anomaly=anomaly_mark(stored[run_uuid]) if run_uuid in stored else None,
        )
        for (run_uuid, at, value), verdict in zip(series[first:], verdicts, strict=True)
    ]
    upcoming = band(metric, now or datetime.now(timezone.utc), points[-HISTORY_RUNS:], config)
    return BaselineResponse(
        job_node_id=job_node_id(job.namespace, job.name),
        metric=metric,
        sensitivity=config.sensitivity,
        window=config.window,
        min_history=config.min_history,
        history_runs=upcoming.baseline_size,
        learning=upcoming.status == "learning",
        current=_band(upcoming),
        points=shown,
    )
