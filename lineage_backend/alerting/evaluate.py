"""Evaluation of a run that reached a terminal state: its anomalies, then every enabled rule whose scope it is
in. Also the clock's absences (SLA missed, stale datasets). Helpers take a keyword-only session, never commit."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lineage_backend.alerting.incidents import AlertContext, Finding, clear, raise_finding
from lineage_backend.anomaly.detector import AnomalyConfig, Point, Verdict, judge, judge_freshness
from lineage_backend.graph.sla import is_late
from lineage_backend.services.metadata import CRITICALITIES, effective
from lineage_backend.services.nodes import dataset_node_id, job_node_id
from lineage_backend.store.models import (
    AlertEvaluation,
    AlertRule,
    Anomaly,
    Dataset,
    Job,
    NodeMetadata,
    Run,
    RunDataset,
)
from lineage_backend.store.sql import insert_for

log = logging.getLogger(__name__)
FAILED_STATES = ("FAILED", "ABORTED")
TERMINAL_STATES = ("COMPLETED", "FAILED", "ABORTED")
HISTORY_RUNS = 90  # the level uses the newest `window`; the weekday profile uses all of these
RUN_METRICS = ("durationSeconds", "rowsRead", "rowsWritten", "dqErrorRate")
NOT_EVALUATED = ("cost_above",)
FRESHNESS_HORIZON = timedelta(days=30)  # accepted; evaluated once run analytics has cost


@dataclass(frozen=True)
class EvaluationSettings:
    anomaly: AnomalyConfig
    airflow_url: str | None = None
    env_by_namespace: dict[str, str] | None = None
    max_event_age: timedelta | None = None  # older runs raise no incident (replays, backfills)


@dataclass
class RunFacts:
    run: Run
    job: Job
    subject_job: Job  # the DAG for an Airflow task (its batch's root job), else the job itself
    is_root: bool
    metrics: dict[str, float]
    owners: tuple[str, ...]
    criticality: str | None
    env: str
    anomaly_overrides: dict[str, Any] | None


def run_metrics(run_uuids: list[str], *, session: Session) -> dict[str, dict[str, float]]:
    """durationSeconds, rowsRead, rowsWritten, dqErrorRate of each run (those it has)."""
    found: dict[str, dict[str, float]] = defaultdict(dict)
    if not run_uuids:
        return found
    for start in range(0, len(run_uuids), 500):
        chunk = run_uuids[start : start + 500]
        # Only the facets read here are extracted in SQL: a run's whole facets (Airflow's are large) would be
        # decoded for each of the up to HISTORY_RUNS runs of a baseline.
        for run_uuid, started, ended, stats in session.execute(
            select(Run.run_uuid, Run.started_at, Run.ended_at, Run.facets["flowlytics_stats"]).where(
                Run.run_uuid.in_(chunk)
            )
        ):
            if started and ended:
                found[run_uuid]["durationSeconds"] = max(0.0, (ended - started).total_seconds())
            if isinstance(stats, dict):
                failed = (stats.get("dqFailedRows") or 0) + (stats.get("rowsInvalid") or 0)
                found[run_uuid]["_dqFailed"] = float(failed)
        for run_uuid, direction, rows, assertions in session.execute(
            select(
                RunDataset.run_uuid,
                RunDataset.direction,
                RunDataset.row_count,
                RunDataset.facets["dataQualityAssertions"],
            ).where(RunDataset.run_uuid.in_(chunk))
        ):
            metric = "rowsRead" if direction == "IN" else "rowsWritten"
            if rows is not None:
                found[run_uuid][metric] = found[run_uuid].get(metric, 0.0) + rows
            if isinstance(assertions, dict):
                items = [a for a in assertions.get("assertions") or [] if isinstance(a, dict)]
                found[run_uuid]["_assertions"] = found[run_uuid].get("_assertions", 0.0) + len(items)
                found[run_uuid]["_assertionsFailed"] = found[run_uuid].get("_assertionsFailed", 0.0) + sum(
                    1 for a in items if a.get("success") is False
                )
    for values in found.values():
        rows = values.get("rowsWritten") or values.get("rowsRead")
        if "_dqFailed" in values and rows:
            values["dqErrorRate"] = min(1.0, values["_dqFailed"] / rows)
        elif values.get("_assertions"):
            values["dqErrorRate"] = values["_assertionsFailed"] / values["_assertions"]
        for key in [k for k in values if k.startswith("_")]:
            del values[key]
    return found


class MetricsCache:
    """The metrics of runs by (run, event count), so that each baseline does not read its runs again. A run's
    metrics change only when one of its own events is ingested (its times, `flowlytics_stats` and its
    run-dataset rows are written from its events only), and each of its events increments its event count: a
    hit is exact whichever process ingested the run. Bounded: the oldest entries go first."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._items: dict[str, tuple[int, dict[str, float]]] = {}
        self._lock = threading.Lock()  # the loop's thread, and a caller's (tests, `flowlytics` commands)

    def get(self, run_uuid: str, version: int) -> dict[str, float] | None:
        item = self._items.get(run_uuid)
        return item[1] if item is not None and item[0] == version else None

    def put(self, run_uuid: str, version: int, metrics: dict[str, float]) -> None:
        with self._lock:
            self._items.pop(run_uuid, None)
            while len(self._items) >= self.size:
                del self._items[next(iter(self._items))]
            self._items[run_uuid] = (version, metrics)

    def __len__(self) -> int:
        return len(self._items)


def cached_run_metrics(
    versions: dict[str, int], *, session: Session, cache: MetricsCache | None
) -> dict[str, dict[str, float]]:
    """`run_metrics` of these runs (run uuid → its event count as just read), from `cache` where it has them.
    Data read after its version can only be newer, so a stored entry never passes for a newer version."""
    if cache is None:
        return run_metrics(list(versions), session=session)
    found: dict[str, dict[str, float]] = {}
    missing = []
    for run_uuid, version in versions.items():
        hit = cache.get(run_uuid, version)
        if hit is None:
            missing.append(run_uuid)
        else:
            found[run_uuid] = hit
    if missing:
        read = run_metrics(missing, session=session)
        for run_uuid in missing:
            metrics = dict(read.get(run_uuid, {}))
            cache.put(run_uuid, versions[run_uuid], metrics)
            found[run_uuid] = metrics
    return found


def _metadata(node_ids: list[str], *, session: Session) -> dict[str, NodeMetadata]:
    return {
        m.node_id: m for m in session.execute(select(NodeMetadata).where(NodeMetadata.node_id.in_(node_ids))).scalars()
    }


def load_facts(
    run: Run,
    *,
    session: Session,
    settings: EvaluationSettings,
    metrics: dict[str, float] | None = None,
    stored: dict[str, NodeMetadata] | None = None,
) -> RunFacts:
    """`stored`: the node metadata of the run's job and DAG, when the caller read it for several runs."""
    job = session.get(Job, run.job_id)
    assert job is not None
    subject_job, is_root = job, run.batch_run_uuid in (None, run.run_uuid)
    if not is_root and run.batch_run_uuid:
        root = session.get(Run, run.batch_run_uuid)  # no query when `preload` loaded it
        if root is not None:
            subject_job = session.get(Job, root.job_id) or job
    ids = [job_node_id(job.namespace, job.name), job_node_id(subject_job.namespace, subject_job.name)]
    if stored is None:
        stored = _metadata(ids, session=session)
    owners: list[str] = []
    criticality = None
    for node_id, node in zip(ids, (job, subject_job), strict=True):
        meta = effective(node.facets or {}, stored.get(node_id))
        owners.extend(o for o in meta["owners"] or [] if o not in owners)
        if meta["criticality"] and (
            criticality is None or CRITICALITIES.index(meta["criticality"]) > CRITICALITIES.index(criticality)
        ):
            criticality = meta["criticality"]
    # Anomaly settings: the job's own, else its DAG's (node metadata `anomaly`).
    overrides = None
    for node_id, node in zip(ids, (job, subject_job), strict=True):
        overrides = overrides or effective(node.facets or {}, stored.get(node_id))["anomaly"]
    env = run.env_tag or (settings.env_by_namespace or {}).get(job.namespace) or job.namespace
    if metrics is None:
        metrics = run_metrics([run.run_uuid], session=session).get(run.run_uuid, {})
    return RunFacts(run, job, subject_job, is_root, metrics, tuple(owners), criticality, env, overrides)


def airflow_link(run: Run, job: Job, base_url: str | None) -> str | None:
    """The Airflow UI page of the run's DAG run (and task), from the `airflow`/`airflowDagRun` facets."""
    if not base_url or not job.dag_id:
        return None
    facets = run.facets or {}
    dag_run = (facets.get("airflowDagRun") or {}).get("dagRun") or (facets.get("airflow") or {}).get("dagRun") or {}
    run_id = dag_run.get("run_id") if isinstance(dag_run, dict) else None
    base = base_url.rstrip("/")
    # Each id is one path segment, percent-encoded: the ids come from events, and a `?`, `#`, `/`, space or
    # line break in one must not end the path, nor start a line of its own where the link is printed.
    if not run_id:
        return f"{base}/dags/{_segment(job.dag_id)}"
    task = (facets.get("airflow") or {}).get("task") or {}
    task_id = task.get("task_id") if isinstance(task, dict) else None
    link = f"{base}/dags/{_segment(job.dag_id)}/runs/{_segment(str(run_id))}"
    return f"{link}/tasks/{_segment(str(task_id))}" if task_id else link


def _segment(value: str) -> str:
    return quote(value, safe=":+@")


# --- anomalies -------------------------------------------------------------------------------------------------


def judge_run(
    facts: RunFacts,
    *,
    session: Session,
    settings: EvaluationSettings,
    cache: MetricsCache | None = None,
    unwritten: Mapping[tuple[str, str], str] | None = None,
) -> list[Verdict]:
    """Judge a completed run's metrics against the job's previous completed runs (reads only; `cache`: the
    previous runs' metrics as a long-lived caller read them before; `unwritten`: anomalies the caller found
    and has not written yet, (run, metric) → direction, which keep out of the baseline as stored ones do)."""
    run = facts.run
    if run.state != "COMPLETED" or not facts.metrics:
        return []
    config = settings.anomaly.with_overrides(facts.anomaly_overrides)
    previous = session.execute(
        select(Run.run_uuid, Run.sort_time, Run.event_count)
        .where(
            Run.job_id == run.job_id,
            Run.state == "COMPLETED",
            Run.run_uuid != run.run_uuid,
            Run.sort_time < run.sort_time,
        )
        .order_by(Run.sort_time.desc())
        .limit(HISTORY_RUNS)
    ).all()
    history = [(run_uuid, at) for run_uuid, at, _ in reversed(previous)]
    values = cached_run_metrics({r: count for r, _, count in previous}, session=session, cache=cache)
    flags: dict[tuple[str | None, str], str] = {}
    if history:
        for run_uuid, metric, direction in session.execute(
            select(Anomaly.run_uuid, Anomaly.metric, Anomaly.direction).where(
                Anomaly.run_uuid.in_([r for r, _ in history]), Anomaly.marked_normal_at.is_(None)
            )
        ):
            flags[(run_uuid, metric)] = direction
        if unwritten:
            for run_uuid, _ in history:
                for metric in RUN_METRICS:
                    if (run_uuid, metric) in unwritten:
                        flags[(run_uuid, metric)] = unwritten[(run_uuid, metric)]
    verdicts = []
    for metric in RUN_METRICS:
        if metric not in config.metrics or metric not in facts.metrics:
            continue
        points = [
            Point(values[r][metric], at, anomalous=(r, metric) in flags, direction=flags.get((r, metric)))  # type: ignore[arg-type]
            for r, at in history
            if metric in values.get(r, {}) and at is not None
        ]
        verdict = judge(metric, facts.metrics[metric], run.sort_time or run.ended_at, points, config)  # type: ignore[arg-type]
        verdicts.append(verdict)
    return verdicts


def run_anomaly_rows(facts: RunFacts, verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """The `flowlytics_anomaly` rows of a run's anomalous verdicts (keyed per run and metric)."""
    run = facts.run
    subject = job_node_id(facts.job.namespace, facts.job.name)
    at = run.ended_at or run.sort_time or datetime.now().astimezone()
    return [
        _anomaly_row(f"{run.run_uuid}|{v.metric}", run.run_uuid, subject, facts.job.dag_id, v, at)
        for v in verdicts
        if v.is_anomaly
    ]


def store_run_anomalies(facts: RunFacts, verdicts: list[Verdict], *, session: Session) -> None:
    _insert_anomalies(run_anomaly_rows(facts, verdicts), session=session)


def _insert_anomalies(rows: Sequence[dict[str, Any]], *, session: Session) -> None:
    if rows:
        statement = insert_for(session, Anomaly.__table__).on_conflict_do_nothing(index_elements=["key"])
        session.execute(statement, list(rows))


def _anomaly_row(
    key: str, run_uuid: str | None, subject: str, dag_id: str | None, verdict: Verdict, at: datetime
) -> dict[str, Any]:
    return {
        "key": key,
        "run_uuid": run_uuid,
        "subject": subject,
        "dag_id": dag_id,
        "metric": verdict.metric,
        "value": verdict.value,
        "expected_low": verdict.expected_low,
        "expected_high": verdict.expected_high,
        "median": verdict.median,
        "score": verdict.score,
        "direction": verdict.direction,
        "level": verdict.level,
        "event_time": at,
        "detected_at": datetime.now(at.tzinfo),
    }


def _store_anomaly(
    key: str,
    run_uuid: str | None,
    subject: str,
    dag_id: str | None,
    verdict: Verdict,
    at: datetime,
    *,
    session: Session,
) -> None:
    _insert_anomalies([_anomaly_row(key, run_uuid, subject, dag_id, verdict, at)], session=session)


# --- rules -----------------------------------------------------------------------------------------------------


def in_scope(
    scope: dict[str, Any],
    *,
    job: Job,
    subject_job: Job,
    owners: tuple[str, ...],
    criticality: str | None,
    env: str | None,
    node_ids: tuple[str, ...] = (),
) -> bool:
    dag_ids = scope.get("dagIds") or []
    if dag_ids and job.dag_id not in dag_ids and subject_job.dag_id not in dag_ids:
        return False
    namespaces = scope.get("namespaces") or []
    if namespaces and job.namespace not in namespaces:
        return False
    wanted = scope.get("nodeIds") or []
    ids = {job_node_id(job.namespace, job.name), job_node_id(subject_job.namespace, subject_job.name), *node_ids}
    if wanted and not ids & set(wanted):
        return False
    if scope.get("owners") and not set(owners) & set(scope["owners"]):
        return False
    minimum = scope.get("minCriticality")
    if minimum and (criticality is None or CRITICALITIES.index(criticality) < CRITICALITIES.index(minimum)):
        return False
    return not (scope.get("env") and env not in scope["env"])


def _finding(facts: RunFacts, title: str, severity: str, settings: EvaluationSettings, **details: Any) -> Finding:
    run, job, subject_job = facts.run, facts.job, facts.subject_job
    return Finding(
        subject=job_node_id(subject_job.namespace, subject_job.name),
        title=title,
        severity=severity,
        occurrence_key=run.run_uuid,
        at=run.ended_at or run.last_event_at or datetime.now().astimezone(),
        dag_id=job.dag_id or subject_job.dag_id,
        run_uuid=run.run_uuid,
        job_node_id=job_node_id(job.namespace, job.name),
        job_id=job.id,
        owners=facts.owners,
        link=airflow_link(run, job, settings.airflow_url),
        details={"state": run.state, "errorMessage": run.error_message, **details},
    )


def _severity(facts: RunFacts, base: str = "error") -> str:
    return "critical" if facts.criticality == "critical" else base


def evaluate_rule(
    rule: AlertRule,
    facts: RunFacts,
    verdicts: list[Verdict],
    *,
    session: Session,
    context: AlertContext,
    settings: EvaluationSettings,
) -> None:
    condition = rule.condition or {}
    kind = condition.get("type")
    run, job = facts.run, facts.job
    subject = job_node_id(facts.subject_job.namespace, facts.subject_job.name)
    failed = run.state in FAILED_STATES
    recovered_at = run.ended_at or run.last_event_at or datetime.now().astimezone()
    if kind == "run_failed":
        if failed:
            raise_finding(
                rule,
                _finding(
                    facts,
                    f"{job.name} {run.state.lower()}: {run.error_message or 'no error message'}",  # type: ignore[union-attr]
                    _severity(facts),
                    settings,
                ),
                session=session,
                context=context,
            )
        elif facts.is_root:
            clear(rule, subject, session=session, at=recovered_at, why=f"{job.name} completed (run {run.run_uuid})")
    elif kind == "consecutive_failures":
        count = int(condition.get("count") or 3)
        states = (
            session.execute(
                select(Run.state)
                .where(Run.job_id == run.job_id, Run.state.in_(TERMINAL_STATES), Run.sort_time <= run.sort_time)
                .order_by(Run.sort_time.desc())
                .limit(count)
            )
            .scalars()
            .all()
        )
        if failed and len(states) == count and all(s in FAILED_STATES for s in states):
            raise_finding(
                rule,
                _finding(facts, f"{job.name} failed {count} times in a row", _severity(facts), settings),
                session=session,
                context=context,
            )
        elif not failed and facts.is_root:
            clear(rule, subject, session=session, at=recovered_at, why=f"{job.name} completed")
    elif kind == "anomaly":
        metric = condition.get("metric")
        min_level = condition.get("minLevel") or "warn"
        hits = [
            v
            for v in verdicts
            if v.is_anomaly and (metric is None or v.metric == metric) and (min_level == "warn" or v.level == "error")
        ]
        if hits:
            worst = max(hits, key=lambda v: abs(v.score or 0))
            ratio = worst.value / worst.median if worst.median else None
            told = f"{ratio:.1f}x usual" if ratio else f"score {worst.score}"
            finding = _finding(
                facts,
                f"{job.name}: {worst.metric} {worst.value:g} ({told}; expected {worst.expected_low:g}"
                f"-{worst.expected_high:g})",
                _severity(facts, "error" if worst.level == "error" else "warn"),
                settings,
                anomalies=[
                    {
                        "metric": v.metric,
                        "value": v.value,
                        "expectedLow": v.expected_low,
                        "expectedHigh": v.expected_high,
                        "score": v.score,
                        "level": v.level,
                    }
                    for v in hits
                ],
            )
            raise_finding(rule, replace_subject(finding, job), session=session, context=context)
        elif run.state == "COMPLETED" and any(v.status == "normal" for v in verdicts):
            clear(
                rule,
                job_node_id(job.namespace, job.name),
                session=session,
                at=recovered_at,
                why=f"{job.name} back within its usual band",
            )
    elif kind in ("duration_above", "dq_error_rate_above"):
        metric = "durationSeconds" if kind == "duration_above" else "dqErrorRate"
        threshold = float(condition.get("threshold") or 0)
        value = facts.metrics.get(metric)
        if value is None:
            return
        own = job_node_id(job.namespace, job.name)
        if value > threshold:
            finding = _finding(
                facts,
                f"{job.name}: {metric} {value:g} above {threshold:g}",
                _severity(facts, "warn"),
                settings,
                metric=metric,
                value=value,
                threshold=threshold,
            )
            raise_finding(rule, replace_subject(finding, job), session=session, context=context)
        elif run.state == "COMPLETED":
            clear(rule, own, session=session, at=recovered_at, why=f"{metric} {value:g} within {threshold:g}")


def replace_subject(finding: Finding, job: Job) -> Finding:
    """Per-job conditions (anomalies, thresholds) are about the job itself, not its DAG."""
    from dataclasses import replace

    return replace(finding, subject=job_node_id(job.namespace, job.name))


@dataclass(frozen=True)
class PreparedRun:
    """What evaluating a run needs, read without holding a write lock (the heavy part: baselines), and what it
    writes (`anomaly_rows`), so that the write transaction only writes."""

    run_uuid: str
    state: str
    subject_job_id: int
    is_root: bool
    metrics: dict[str, float]
    owners: tuple[str, ...]
    criticality: str | None
    env: str
    verdicts: list[Verdict]
    anomaly_rows: tuple[dict[str, Any], ...] = ()
    ended: datetime | None = None  # the run's end (else its last event): replays raise no incident


def prepare_run(
    run_uuid: str,
    *,
    session: Session,
    settings: EvaluationSettings,
    checked: bool = False,
    metrics: dict[str, float] | None = None,
    stored: dict[str, NodeMetadata] | None = None,
    cache: MetricsCache | None = None,
    unwritten: Mapping[tuple[str, str], str] | None = None,
) -> PreparedRun | None:
    """Read-only: None when the run is not terminal or was evaluated already (`checked`: the caller knows it is
    terminal and unevaluated, see `unevaluated_of`; `stored`, `cache`, `unwritten`: see `load_facts`,
    `judge_run`)."""
    run = session.get(Run, run_uuid)
    if run is None or run.state not in TERMINAL_STATES:
        return None
    if not checked and session.get(AlertEvaluation, run_uuid) is not None:
        return None
    facts = load_facts(run, session=session, settings=settings, metrics=metrics, stored=stored)
    verdicts = judge_run(facts, session=session, settings=settings, cache=cache, unwritten=unwritten)
    return PreparedRun(
        run_uuid,
        run.state,
        facts.subject_job.id,
        facts.is_root,
        facts.metrics,
        facts.owners,
        facts.criticality,
        facts.env,
        verdicts,
        tuple(run_anomaly_rows(facts, verdicts)),
        run.ended_at or run.last_event_at,
    )


def node_metadata_of(run_uuids: Sequence[str], *, session: Session) -> dict[str, NodeMetadata]:
    """The stored node metadata of these runs' jobs and DAGs (loaded already, see `preload`): one query."""
    ids: set[str] = set()
    for run_uuid in run_uuids:
        run = session.get(Run, run_uuid)
        if run is None:
            continue
        for owner in (run, session.get(Run, run.batch_run_uuid) if run.batch_run_uuid else None):
            job = session.get(Job, owner.job_id) if owner is not None else None
            if job is not None:
                ids.add(job_node_id(job.namespace, job.name))
    found: dict[str, NodeMetadata] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        found.update(_metadata(ordered[start : start + 500], session=session))
    return found


def preload(run_uuids: Sequence[str], *, session: Session) -> list[Any]:
    """Load these runs, their batches' root runs and the jobs of both into the session, a few queries for
    all of them, so that `session.get` finds them without a query each. The caller holds the returned list
    for as long as it needs them (the session's identity map keeps objects only while they are referenced)."""
    held: list[Any] = []
    for start in range(0, len(run_uuids), 500):
        runs = list(
            session.execute(select(Run).where(Run.run_uuid.in_(list(run_uuids[start : start + 500])))).scalars()
        )
        roots = {run.batch_run_uuid for run in runs if run.batch_run_uuid and run.batch_run_uuid != run.run_uuid}
        if roots:
            runs += session.execute(select(Run).where(Run.run_uuid.in_(list(roots)))).scalars().all()
        job_ids = {run.job_id for run in runs}
        held += runs
        if job_ids:
            held += session.execute(select(Job).where(Job.id.in_(list(job_ids)))).scalars().all()
    return held


def unevaluated_of(run_uuids: Sequence[str], *, session: Session) -> list[str]:
    """Of these runs (loaded already, see `preload`), the terminal ones not evaluated yet: one query."""
    terminal = [
        uuid for uuid in run_uuids if (run := session.get(Run, uuid)) is not None and run.state in TERMINAL_STATES
    ]
    done: set[str] = set()
    for start in range(0, len(terminal), 500):
        chunk = terminal[start : start + 500]
        done.update(
            session.execute(select(AlertEvaluation.run_uuid).where(AlertEvaluation.run_uuid.in_(chunk))).scalars()
        )
    return [uuid for uuid in terminal if uuid not in done]


def enabled_rules(*, session: Session) -> list[AlertRule]:
    return list(session.execute(select(AlertRule).where(AlertRule.enabled.is_(True)).order_by(AlertRule.id)).scalars())


def apply_run(
    prepared: PreparedRun,
    *,
    session: Session,
    context: AlertContext,
    settings: EvaluationSettings,
    rules: Sequence[AlertRule] | None = None,
) -> bool:
    """Write: claim the run's evaluation (once per run, across workers), store its anomalies, run the rules
    (`rules`: the enabled rules, when the caller read them once for several runs)."""
    run = session.get(Run, prepared.run_uuid)
    if run is None or run.state != prepared.state:
        return False  # changed since it was read; its new terminal event queued it again
    now = datetime.now().astimezone()
    statement = insert_for(session, AlertEvaluation.__table__).on_conflict_do_nothing(index_elements=["run_uuid"])
    result = session.execute(statement, {"run_uuid": run.run_uuid, "state": run.state, "evaluated_at": now})
    if not result.rowcount:  # type: ignore[attr-defined]
        return False  # another worker or an earlier pass did it
    _insert_anomalies(prepared.anomaly_rows, session=session)
    if _replayed(prepared, settings, now):
        return True  # history being replayed: nobody is to be paged about it
    _apply_rules(
        prepared,
        _run_rules(enabled_rules(session=session) if rules is None else rules),
        session=session,
        context=context,
        settings=settings,
    )
    return True


def _run_rules(rules: Sequence[AlertRule]) -> list[AlertRule]:
    """The rules a terminal run is evaluated against (absences and cost are the clock's or not evaluated)."""
    return [rule for rule in rules if (rule.condition or {}).get("type") not in (*NOT_EVALUATED, "sla_missed")]


def _replayed(prepared: PreparedRun, settings: EvaluationSettings, now: datetime) -> bool:
    ended = prepared.ended
    return settings.max_event_age is not None and ended is not None and now - ended > settings.max_event_age


def _apply_rules(
    prepared: PreparedRun,
    rules: Sequence[AlertRule],
    *,
    session: Session,
    context: AlertContext,
    settings: EvaluationSettings,
) -> None:
    if not rules:
        return
    run = session.get(Run, prepared.run_uuid)
    assert run is not None
    job = session.get(Job, run.job_id)
    subject_job = session.get(Job, prepared.subject_job_id) or job
    assert job is not None and subject_job is not None
    facts = RunFacts(
        run,
        job,
        subject_job,
        prepared.is_root,
        prepared.metrics,
        prepared.owners,
        prepared.criticality,
        prepared.env,
        None,
    )
    for rule in rules:
        if in_scope(
            rule.scope or {},
            job=job,
            subject_job=subject_job,
            owners=facts.owners,
            criticality=facts.criticality,
            env=facts.env,
        ):
            evaluate_rule(rule, facts, prepared.verdicts, session=session, context=context, settings=settings)


def apply_prepared(
    prepared: Sequence[PreparedRun], *, session: Session, context: AlertContext, settings: EvaluationSettings
) -> int:
    """Write the results of many runs in one transaction: a few statements for all of them (their current
    states, the claims, their anomalies), then the rules, only when there are any. Nothing is read or judged
    here that could be before (baselines and verdicts are in `prepared`): the write lock, which SQLite's one
    writer shares with ingestion, is held briefly. Each run's rules run in a savepoint; a run whose rules fail
    gives its claim back, so that the sweep retries it. Returns the runs evaluated."""
    items = {item.run_uuid: item for item in prepared}
    if not items:
        return 0
    uuids = list(items)
    states: dict[str, str | None] = {}
    for start in range(0, len(uuids), 500):
        chunk = uuids[start : start + 500]
        states.update(session.execute(select(Run.run_uuid, Run.state).where(Run.run_uuid.in_(chunk))).tuples().all())
    # A run whose state changed since it was read is left: its new terminal event queued it again.
    current = [item for item in items.values() if states.get(item.run_uuid) == item.state]
    if not current:
        return 0
    now = datetime.now().astimezone()
    table = AlertEvaluation.__table__
    claim = insert_for(session, table).on_conflict_do_nothing(index_elements=["run_uuid"]).returning(table.c.run_uuid)
    claimed = set(
        session.execute(
            claim, [{"run_uuid": item.run_uuid, "state": item.state, "evaluated_at": now} for item in current]
        ).scalars()
    )  # the others: another worker or an earlier pass did them
    mine = [item for item in current if item.run_uuid in claimed]
    _insert_anomalies([row for item in mine for row in item.anomaly_rows], session=session)
    rules = _run_rules(enabled_rules(session=session))
    paged = [item for item in mine if not _replayed(item, settings, now)] if rules else []
    failed = 0
    if paged:
        held = preload([item.run_uuid for item in paged], session=session)  # noqa: F841  (see preload)
        for item in paged:
            try:
                with session.begin_nested():
                    _apply_rules(item, rules, session=session, context=context, settings=settings)
            except Exception:
                log.exception("evaluating run %s for alerts failed; the sweep will retry it", item.run_uuid)
                session.execute(delete(AlertEvaluation).where(AlertEvaluation.run_uuid == item.run_uuid))
                failed += 1
    return len(mine) - failed


def evaluate_run(run_uuid: str, *, session: Session, context: AlertContext, settings: EvaluationSettings) -> bool:
    """Evaluate a terminal run once (per state), reading and writing in one session."""
    prepared = prepare_run(run_uuid, session=session, settings=settings)
    return prepared is not None and apply_run(prepared, session=session, context=context, settings=settings)


def unevaluated_runs(*, session: Session, since: datetime, limit: int = 500) -> list[str]:
    """Terminal runs that ended after `since` and were not evaluated (their process died before it could)."""
    return list(
        session.execute(
            select(Run.run_uuid)
            .outerjoin(AlertEvaluation, AlertEvaluation.run_uuid == Run.run_uuid)
            .where(Run.state.in_(TERMINAL_STATES), Run.last_event_at >= since, AlertEvaluation.run_uuid.is_(None))
            .order_by(Run.last_event_at)
            .limit(limit)
        ).scalars()
    )


# --- the clock: what is defined by absence --------------------------------------------------------------------


def evaluate_absences(
    *, session: Session, context: AlertContext, settings: EvaluationSettings, now: datetime, freshness: bool = True
) -> int:
    """sla_missed rules over nodes with an SLA; freshness anomalies of datasets. Returns findings raised."""
    rules_all = list(session.execute(select(AlertRule).where(AlertRule.enabled.is_(True))).scalars())
    rules = [r for r in rules_all if (r.condition or {}).get("type") == "sla_missed"]
    raised = 0
    with_sla = session.execute(select(NodeMetadata).where(NodeMetadata.sla.is_not(None))).scalars().all()
    for meta in with_sla:
        node = _node(meta.node_id, session=session)
        if node is None:
            continue
        kind, row = node
        last_success = _last_success(kind, row, session=session)
        late = is_late(meta.sla, last_success, now)
        job_like = row if isinstance(row, Job) else Job(namespace=row.namespace, name=row.name, dag_id=None)
        facts_meta = effective(row.facets or {}, meta)
        for rule in rules:
            if not in_scope(
                rule.scope or {},
                job=job_like,
                subject_job=job_like,
                owners=tuple(facts_meta["owners"] or ()),
                criticality=facts_meta["criticality"],
                env=None,
                node_ids=(meta.node_id,),
            ):
                continue
            if late:
                due = (meta.sla or {}).get("latestArrival") or f"{(meta.sla or {}).get('maxAgeMinutes')} min max age"
                finding = Finding(
                    subject=meta.node_id,
                    title=f"{row.name} missed its SLA ({due})",
                    severity="critical" if facts_meta["criticality"] == "critical" else "error",
                    occurrence_key=f"sla|{now.date().isoformat()}",
                    at=now,
                    dag_id=row.dag_id if isinstance(row, Job) else None,
                    job_node_id=meta.node_id if isinstance(row, Job) else None,
                    job_id=row.id if isinstance(row, Job) else None,
                    owners=tuple(facts_meta["owners"] or ()),
                    details={"sla": meta.sla, "lastSuccessAt": last_success.isoformat() if last_success else None},
                )
                raise_finding(rule, finding, session=session, context=context)
                raised += 1
            else:
                clear(rule, meta.node_id, session=session, at=now, why="a successful write arrived in time")
    if freshness:
        raised += _freshness(rules_all, session=session, context=context, settings=settings, now=now)
    return raised


def _node(node_id: str, *, session: Session) -> tuple[str, Job | Dataset] | None:
    from lineage_backend.alerting.incidents import SYSTEM
    from lineage_backend.errors import FlowlyticsError
    from lineage_backend.services.nodes import resolve_node

    try:
        resolved = resolve_node(node_id, session=session, principal=SYSTEM)
    except FlowlyticsError:
        return None
    return resolved.type, resolved.row


def _last_success(kind: str, row: Job | Dataset, *, session: Session) -> datetime | None:
    if isinstance(row, Job):
        return session.execute(
            select(func.max(Run.ended_at)).where(Run.job_id == row.id, Run.state == "COMPLETED")
        ).scalar()
    return session.execute(
        select(func.max(Run.ended_at))
        .join(RunDataset, RunDataset.run_uuid == Run.run_uuid)
        .where(RunDataset.dataset_id == row.id, RunDataset.direction == "OUT", Run.state == "COMPLETED")
    ).scalar()


def _freshness(
    rules: list[AlertRule], *, session: Session, context: AlertContext, settings: EvaluationSettings, now: datetime
) -> int:
    """A dataset whose last successful write is far older than its usual interval: a freshness anomaly, and an
    incident for each `anomaly` rule (metric freshness or any) in whose scope it is; a fresh write clears it."""
    if "freshness" not in settings.anomaly.metrics:
        return 0
    rows = session.execute(
        select(RunDataset.dataset_id, Run.ended_at)
        .join(Run, Run.run_uuid == RunDataset.run_uuid)
        .where(RunDataset.direction == "OUT", Run.state == "COMPLETED", Run.ended_at >= now - FRESHNESS_HORIZON)
        .order_by(RunDataset.dataset_id, Run.ended_at)
    ).all()
    writes: dict[int, list[datetime]] = defaultdict(list)
    for dataset_id, ended in rows:
        if ended is not None:
            writes[dataset_id].append(ended)
    datasets = {d.id: d for d in session.execute(select(Dataset).where(Dataset.id.in_(list(writes)))).scalars()}
    node_ids = {i: dataset_node_id(d.namespace, d.name) for i, d in datasets.items()}
    stored = _metadata(list(node_ids.values()), session=session)
    anomaly_rules = [
        r
        for r in rules
        if (r.condition or {}).get("type") == "anomaly" and (r.condition or {}).get("metric") in (None, "freshness")
    ]
    found = 0
    for dataset_id, times in writes.items():
        dataset = datasets.get(dataset_id)
        if dataset is None:
            continue
        node_id = node_ids[dataset_id]
        meta = effective(dataset.facets or {}, stored.get(node_id))
        config = settings.anomaly.with_overrides(meta["anomaly"])
        if "freshness" not in config.metrics:
            continue
        verdict = judge_freshness(times[-HISTORY_RUNS:], now, config)
        if verdict.status == "learning":
            continue
        last_write = max(times)
        if verdict.is_anomaly:
            _store_anomaly(
                f"freshness|{dataset_id}|{last_write.isoformat()}", None, node_id, None, verdict, now, session=session
            )
            found += 1
        owners = tuple(meta["owners"] or ())
        as_job = Job(namespace=dataset.namespace, name=dataset.name, dag_id=None)
        for rule in anomaly_rules:
            if not in_scope(
                rule.scope or {},
                job=as_job,
                subject_job=as_job,
                owners=owners,
                criticality=meta["criticality"],
                env=None,
                node_ids=(node_id,),
            ):
                continue
            if verdict.is_anomaly:
                hours = verdict.value / 3600
                usual = (verdict.median or 0) / 3600
                raise_finding(
                    rule,
                    Finding(
                        subject=node_id,
                        title=f"{dataset.name} is stale: no successful write for {hours:.1f} h "
                        f"(usually every {usual:.1f} h)",
                        severity="critical" if meta["criticality"] == "critical" else "warn",
                        occurrence_key=f"freshness|{last_write.isoformat()}",
                        at=now,
                        owners=owners,
                        details={
                            "lastWriteAt": last_write.isoformat(),
                            "ageSeconds": verdict.value,
                            "expectedHigh": verdict.expected_high,
                        },
                    ),
                    session=session,
                    context=context,
                )
            else:
                clear(rule, node_id, session=session, at=now, why=f"{dataset.name} was written again")
    return found
