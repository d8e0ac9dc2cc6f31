"""The projection rules, pure: how events become jobs, datasets, runs, edges and statistics.

`bulk.store_events` applies them to the database. Every rule here is order-independent: facets keep the
value of the newest event per key (ties broken by content), run state is the maximum of (terminal?,
eventTime, type rank), times are min/max, links and edges are unions. So shuffled or duplicated
deliveries converge on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from lineage_backend.ingest.parse import (
    TERMINAL_EVENT_TYPES,
    ParsedEvent,
)

RUN_STATE_BY_EVENT = {
    "START": "RUNNING",
    "RUNNING": "RUNNING",
    "OTHER": "RUNNING",
    "COMPLETE": "COMPLETED",
    "FAIL": "FAILED",
    "ABORT": "ABORTED",
}
TRANSFORMATION_WIDTH = 32  # flowlytics_column_edge.transformation_type/_subtype
DAG_ID_WIDTH = 250  # flowlytics_job.dag_id; Airflow's own limit for DAG ids
# Breaks ties between events of one run with the same eventTime.
_TYPE_RANK = {"OTHER": 0, "START": 1, "RUNNING": 2, "COMPLETE": 3, "ABORT": 4, "FAIL": 5}


@dataclass(frozen=True)
class IngestOutcome:
    stored: bool  # False when the very same event was stored before


def time_key(moment: datetime) -> str:
    """Sortable text form of an aware UTC time (fixed width, microseconds)."""
    # Not strftime: its %Y writes year 300 as "300", which sorts after "2024".
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


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


def airflow_dag_id(event: ParsedEvent) -> str | None:
    """The DAG an Airflow job belongs to, for per-DAG visibility; None for non-Airflow jobs."""
    for facet_key in ("airflow", "airflowDagRun"):
        dag = (event.run_facets.get(facet_key) or {}).get("dag")
        if isinstance(dag, dict) and isinstance(dag.get("dag_id"), str):
            return dag["dag_id"][:DAG_ID_WIDTH]
    job_type = event.job_facets.get("jobType") or {}
    if str(job_type.get("integration", "")).upper() == "AIRFLOW" and event.job_name:
        # Cut, not dropped: a job without a DAG id would be visible to every user.
        if str(job_type.get("jobType", "")).upper() == "DAG":
            return event.job_name[:DAG_ID_WIDTH]
        if event.parent is not None:
            return event.parent.job_name[:DAG_ID_WIDTH]
        return event.job_name.split(".", 1)[0][:DAG_ID_WIDTH]
    return None


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
                    "transformation_type": short(transformation.get("type"), TRANSFORMATION_WIDTH) or "",
                    "transformation_subtype": short(transformation.get("subtype"), TRANSFORMATION_WIDTH) or "",
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


def env_tag(facets: dict[str, Any]) -> str | None:
    """The `env` or `environment` tag of a run or job tags facet."""
    for tag in (facets.get("tags") or {}).get("tags") or []:
        if isinstance(tag, dict) and str(tag.get("key", "")).lower() in ("env", "environment") and tag.get("value"):
            return str(tag["value"])[:100]
    return None


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


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def short(value: Any, width: int = 64) -> str | None:
    """Free-form labels (job types, transformation types) cut to their column's width."""
    return str(value)[:width] if value is not None else None
