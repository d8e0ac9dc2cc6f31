"""A run's analytics facts, derived from what ingestion stored, and its contribution to the rollups.

A contribution is keyed by (grain, bucket start, level, DAG, job, env key, trigger type, state) and holds
additive figures and a duration sketch, so a run's old contribution can be subtracted and its new one
added when its state or duration changes: the rollups hold every run exactly once, in its latest state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lineage_backend.analytics.buckets import bucket_start
from lineage_backend.analytics.cost import CostRates, run_cost
from lineage_backend.analytics.sketch import bucket_key

FINAL_STATES = ("COMPLETED", "FAILED", "ABORTED")
# Hour rollups keep the job; day rollups drop it but keep the DAG's namespace (which per-DAG visibility
# matches with the DAG id), so a month of one DAG reads a few rows per day; "dayall" rollups drop the DAG
# too, so that a month of every DAG, for a reader who may see them all, reads ~100 rows.
NO_JOB = 0
ALL_DAGS = ""
GRAINS = ("hour", "day", "dayall")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dag_run(facets: Mapping[str, Any]) -> dict[str, Any]:
    for key in ("airflowDagRun", "airflow"):
        dag_run = _dict(_dict(facets.get(key)).get("dagRun"))
        if dag_run:
            return dag_run
    return {}


def trigger_type(facets: Mapping[str, Any]) -> str | None:
    """`run_type` of the Airflow DAG run (scheduled, manual, backfill, asset_triggered)."""
    value = _dag_run(facets).get("run_type")
    return str(value).lower()[:32] if value else None


def dag_version(facets: Mapping[str, Any]) -> str | None:
    for key in ("airflowDagRun", "airflow"):
        facet = _dict(facets.get(key))
        for source in (_dict(facet.get("dagRun")), _dict(facet.get("dag")), _dict(facet.get("taskInstance")), facet):
            value = source.get("dag_version_number")
            if value is not None and not isinstance(value, (dict, list)):
                return str(value)[:32]
    return None


def queued_at(facets: Mapping[str, Any]) -> str | None:
    value = _dict(_dict(facets.get("airflow")).get("taskInstance")).get("queued_dttm")
    return str(value) if value else None


def env_key(env_tag: str | None, namespace: str) -> str:
    """`tag:<env>` when the run or job carried an env tag, else `ns:<namespace>`: the namespace map is
    applied when reading, so that changing it needs no rebuild."""
    return f"tag:{env_tag}" if env_tag else f"ns:{namespace}"[:1000]


def resolve_env(key: str, env_by_namespace: Mapping[str, str]) -> str:
    kind, _, value = key.partition(":")
    if kind == "tag":
        return value
    return env_by_namespace.get(value, value)


def dq_failed_rows(custom: Mapping[str, Any]) -> int:
    """Rows that failed data quality by the run's `flowlytics_stats` facet (`dqFailedRows`, else `rowsInvalid`),
    as Batch Health counts them; never negative."""
    value = next((int(custom[k]) for k in ("dqFailedRows", "rowsInvalid") if isinstance(custom.get(k), int)), 0)
    return max(value, 0)


@dataclass(frozen=True)
class RunFact:
    run_uuid: str
    job_id: int
    dag_key: str  # the Airflow DAG id, "" for jobs outside Airflow
    dag_namespace: str  # the DAG job's namespace, "" for jobs outside Airflow
    level: str  # dag (a batch's root run) | task
    env_key: str
    trigger_type: str  # "" when unknown
    dag_version: str | None
    state: str
    bucket_hour: datetime
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float | None
    rows_read: int
    rows_written: int
    dq_errors: int
    cost_estimated: float
    cost_billed: float

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def derive_fact(
    run: Mapping[str, Any],
    *,
    job_namespace: str,
    job_name: str,
    dag_id: str | None,
    io: Mapping[str, int],
    cost_rates: CostRates,
) -> RunFact | None:
    """The fact of a stored run (a dict of run columns), or None while it has no event of its own. `io`: rows
    read and written and failed assertions of its inputs and outputs; for a DAG run (a batch top with
    descendants), its batch's totals, with `dq_errors` (see ingest.rollups.batch_totals)."""
    state = run.get("state")
    moment = run.get("started_at") or run.get("first_event_at")
    if state is None or moment is None:
        return None
    facets = _dict(run.get("facets"))
    started, ended = run.get("started_at"), run.get("ended_at")
    duration = None
    if state in FINAL_STATES and ended is not None:
        duration = max((ended - (started or ended)).total_seconds(), 0.0) if started else None
    custom = _dict(facets.get("flowlytics_stats"))
    dq_custom = dq_failed_rows(custom)
    cost = run_cost(
        cost_rates,
        namespace=job_namespace,
        job_name=job_name,
        dag_id=dag_id,
        duration_seconds=duration,
        run_facets=facets,
    )
    return RunFact(
        run_uuid=str(run["run_uuid"]),
        job_id=int(run["job_id"]),
        dag_key=dag_id or "",
        dag_namespace=job_namespace if dag_id else "",
        level="dag" if run.get("is_root") else "task",
        env_key=env_key(run.get("env_tag"), job_namespace),
        trigger_type=trigger_type(facets) or "",
        dag_version=dag_version(facets),
        state=str(state),
        bucket_hour=bucket_start(moment, "hour"),
        started_at=started,
        ended_at=ended,
        duration_seconds=duration,
        rows_read=int(io.get("rows_read", 0)),
        rows_written=int(io.get("rows_written", 0)),
        # A DAG run's figures are its tasks' (io["dq_errors"]: the batch's total, its own facets left out).
        dq_errors=int(io["dq_errors"]) if "dq_errors" in io else int(io.get("failed_assertions", 0)) + dq_custom,
        cost_estimated=cost.estimated,
        cost_billed=cost.billed,
    )


# grain, bucket start, level, DAG id, DAG namespace, job id, env key, trigger type, state
RollupKey = tuple[str, datetime, str, str, str, int, str, str, str]
MEASURES = ("runs", "duration_count", "duration_sum", "rows_read", "rows_written", "dq_errors")
FLOAT_MEASURES = ("cost_estimated", "cost_billed")


FIGURES = (*MEASURES, *FLOAT_MEASURES)


def rollup_keys(fact: RunFact) -> tuple[RollupKey, RollupKey, RollupKey]:
    """The rollup rows a run counts in: its hour and job, its day and DAG, its day over all DAGs."""
    rest = (fact.env_key, fact.trigger_type, fact.state)
    day = bucket_start(fact.bucket_hour, "day")
    return (
        ("hour", fact.bucket_hour, fact.level, fact.dag_key, fact.dag_namespace, fact.job_id, *rest),
        ("day", day, fact.level, fact.dag_key, fact.dag_namespace, NO_JOB, *rest),
        ("dayall", day, fact.level, ALL_DAGS, ALL_DAGS, NO_JOB, *rest),
    )


def figures(fact: RunFact) -> tuple[float, ...]:
    """What one run adds to each of its rollup rows, in FIGURES order (its duration sketch: `duration_bucket`)."""
    duration = fact.duration_seconds
    return (
        1,
        0 if duration is None else 1,
        duration or 0.0,
        fact.rows_read,
        fact.rows_written,
        fact.dq_errors,
        fact.cost_estimated,
        fact.cost_billed,
    )


def duration_bucket(fact: RunFact) -> str | None:
    """The duration sketch bucket a run adds one to, or None while it has no duration."""
    return bucket_key(fact.duration_seconds) if fact.duration_seconds is not None else None
