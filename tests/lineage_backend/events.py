"""Builders of OpenLineage events for tests (plain dicts, as emitters send them)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

PRODUCER = "https://github.com/flowlytics/tests"
BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> str:
    return (BASE_TIME + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def dataset(namespace: str, name: str, **facets: Any) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, "facets": facets}


def run_event(
    event_type: str | None,
    *,
    run_id: str | None = None,
    job: str = "etl.load",
    namespace: str = "airflow",
    seconds: float = 0,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    run_facets: dict[str, Any] | None = None,
    job_facets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventTime": at(seconds),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id or str(uuid.uuid4()), "facets": run_facets or {}},
        "job": {"namespace": namespace, "name": job, "facets": job_facets or {}},
        "inputs": inputs or [],
        "outputs": outputs or [],
    }
    if event_type is not None:
        event["eventType"] = event_type
    return event


def parent_facet(
    run_id: str, job: str, namespace: str = "airflow", root: tuple[str, str] | None = None
) -> dict[str, Any]:
    facet: dict[str, Any] = {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json",
        "run": {"runId": run_id},
        "job": {"namespace": namespace, "name": job},
    }
    if root is not None:
        facet["root"] = {"run": {"runId": root[0]}, "job": {"namespace": namespace, "name": root[1]}}
    return facet


def output_stats(rows: int, size: int | None = None) -> dict[str, Any]:
    stats: dict[str, Any] = {"rowCount": rows}
    if size is not None:
        stats["size"] = size
    return {"outputStatistics": stats}
