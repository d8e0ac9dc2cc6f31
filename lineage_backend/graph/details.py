"""What a graph or impact answer shows of each node: name, owners, criticality, SLA, latest run, rows.

Loaded set-based (one window query per table, not one probe per node), for every node when the graph
index is built and for the nodes that new events touched when it is refreshed; so an answer reads node
details from memory instead of from SQL per result.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import Select, func, nulls_last, select
from sqlalchemy.orm import Session

from lineage_backend.graph.metadata_view import effective
from lineage_backend.graph.node_ids import dataset_node_id, job_node_id
from lineage_backend.store.models import Dataset, Job, NodeMetadata, Run, RunDataset

FACET_KEYS = ("ownership", "tags", "documentation")
CHUNK = 500
NO_STRINGS: tuple[str, ...] = ()


class RunSummary(NamedTuple):
    run_id: str
    state: str
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(slots=True)
class NodeDetails:
    key: int
    id: str
    type: Literal["JOB", "DATASET"]
    namespace: str
    name: str
    dag_id: str | None
    owners: tuple[str, ...] = NO_STRINGS
    tags: tuple[str, ...] = NO_STRINGS
    criticality: str | None = None
    sla: dict[str, Any] | None = None
    latest_run: RunSummary | None = None
    rows_written: int | None = None  # datasets: by the last run that wrote it
    dq_failed: bool = False  # datasets: a failing dataQualityAssertions facet
    # The node as answer JSON, written when first served (services.graph); details are replaced, not
    # changed, once stored, so it never goes stale.
    json_tail: bytes | None = field(default=None, repr=False, compare=False)
    json_id: bytes | None = field(default=None, repr=False, compare=False)
    impact_json_tail: bytes | None = field(default=None, repr=False, compare=False)


def job_key(job_id: int) -> int:
    return job_id * 2


def dataset_key(dataset_id: int) -> int:
    return dataset_id * 2 + 1


def is_job_key(key: int) -> bool:
    return key % 2 == 0


def row_id(key: int) -> int:
    return key // 2


def load_details(
    *, session: Session, job_ids: Collection[int] | None, dataset_ids: Collection[int] | None
) -> dict[int, NodeDetails]:
    """Details of the given jobs and datasets (None: all of them, for building the index)."""
    found: dict[int, NodeDetails] = {}
    raw_facets: dict[int, dict[str, Any]] = {}
    for ids in _id_chunks(job_ids):
        query = select(Job.id, Job.namespace, Job.name, Job.dag_id, *(Job.facets[k] for k in FACET_KEYS))
        for job_id, namespace, name, dag_id, *facets in session.execute(_restrict(query, Job.id, ids)):
            key = job_key(job_id)
            found[key] = NodeDetails(key, job_node_id(namespace, name), "JOB", namespace, name, dag_id)
            raw_facets[key] = dict(zip(FACET_KEYS, facets, strict=True))
        for job_id, run in _latest_job_runs(ids, session=session):
            if job_key(job_id) in found:
                found[job_key(job_id)].latest_run = run
    for ids in _id_chunks(dataset_ids):
        query = select(
            Dataset.id,
            Dataset.namespace,
            Dataset.name,
            *(Dataset.facets[k] for k in FACET_KEYS),
            Dataset.facets["dataQualityAssertions"],
        )
        for dataset_id, namespace, name, *facets in session.execute(_restrict(query, Dataset.id, ids)):
            key = dataset_key(dataset_id)
            node = NodeDetails(key, dataset_node_id(namespace, name), "DATASET", namespace, name, None)
            assertions = (facets[3] or {}).get("assertions") if isinstance(facets[3], dict) else None
            node.dq_failed = any(isinstance(a, dict) and a.get("success") is False for a in assertions or [])
            found[key] = node
            raw_facets[key] = dict(zip(FACET_KEYS, facets[:3], strict=True))
        for dataset_id, run, rows in _last_writes(ids, session=session):
            if dataset_key(dataset_id) in found:
                found[dataset_key(dataset_id)].latest_run = run
                found[dataset_key(dataset_id)].rows_written = rows

    stored = _stored_metadata(
        None if job_ids is None and dataset_ids is None else [n.id for n in found.values()], session=session
    )
    for key, node in found.items():
        apply_metadata(node, raw_facets[key], stored.get(node.id))
    return found


def apply_metadata(node: NodeDetails, facets: dict[str, Any], stored: NodeMetadata | None) -> None:
    meta = effective({k: v for k, v in facets.items() if v is not None}, stored)
    node.owners = tuple(meta["owners"]) or NO_STRINGS
    node.tags = tuple(meta["tags"]) or NO_STRINGS
    node.criticality = meta["criticality"]
    node.sla = meta["sla"] or None


def _id_chunks(ids: Collection[int] | None) -> Iterator[list[int] | None]:
    if ids is None:
        yield None
        return
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _restrict(query: Select[Any], column: Any, ids: list[int] | None) -> Select[Any]:
    return query if ids is None else query.where(column.in_(ids))


def _newest(*tie_breakers: Any) -> list[Any]:
    # The same order as the run lists (runs.newest_first), with a tie-break so that the answer is stable.
    return [nulls_last(func.coalesce(Run.sort_time, Run.first_event_at).desc()), *tie_breakers]


def _latest_job_runs(ids: list[int] | None, *, session: Session) -> Iterator[tuple[int, RunSummary]]:
    ranked = _restrict(
        select(
            Run.job_id,
            Run.run_uuid,
            Run.state,
            Run.started_at,
            Run.ended_at,
            func.row_number().over(partition_by=Run.job_id, order_by=_newest(Run.run_uuid.desc())).label("rank"),
        ).where(Run.state.is_not(None)),
        Run.job_id,
        ids,
    ).subquery()
    query = select(ranked.c.job_id, ranked.c.run_uuid, ranked.c.state, ranked.c.started_at, ranked.c.ended_at)
    for job_id, run_uuid, state, started_at, ended_at in session.execute(query.where(ranked.c.rank == 1)):
        yield job_id, RunSummary(run_uuid, state, started_at, ended_at)


def _last_writes(ids: list[int] | None, *, session: Session) -> Iterator[tuple[int, RunSummary, int | None]]:
    ranked = _restrict(
        select(
            RunDataset.dataset_id,
            RunDataset.row_count,
            Run.run_uuid,
            Run.state,
            Run.started_at,
            Run.ended_at,
            func.row_number()
            .over(partition_by=RunDataset.dataset_id, order_by=_newest(RunDataset.id.desc()))
            .label("rank"),
        )
        .join(Run, Run.run_uuid == RunDataset.run_uuid)
        .where(RunDataset.direction == "OUT", Run.state.is_not(None)),
        RunDataset.dataset_id,
        ids,
    ).subquery()
    query = select(*(c for c in ranked.c if c.name != "rank")).where(ranked.c.rank == 1)
    for dataset_id, rows, run_uuid, state, started_at, ended_at in session.execute(query):
        yield dataset_id, RunSummary(run_uuid, state, started_at, ended_at), rows


def _stored_metadata(node_ids: list[str] | None, *, session: Session) -> dict[str, NodeMetadata]:
    if node_ids is None:
        return {row.node_id: row for row in session.execute(select(NodeMetadata)).scalars()}
    found: dict[str, NodeMetadata] = {}
    for start in range(0, len(node_ids), CHUNK):
        chunk = node_ids[start : start + CHUNK]
        found.update(
            (row.node_id, row)
            for row in session.execute(select(NodeMetadata).where(NodeMetadata.node_id.in_(chunk))).scalars()
        )
    return found
