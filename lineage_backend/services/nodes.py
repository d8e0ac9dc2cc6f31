"""Node ids: `job:<namespace>:<name>` and `dataset:<namespace>:<name>`.

Namespaces hold ':' (`postgres://host:5432`), so an id is resolved by trying each split against what is
stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from lineage_backend.auth import Principal
from lineage_backend.errors import InvalidParameterError, NotFoundError
from lineage_backend.graph.node_ids import dataset_node_id as dataset_node_id
from lineage_backend.graph.node_ids import job_node_id as job_node_id
from lineage_backend.services.visibility import can_see_job
from lineage_backend.store.models import Dataset, Job

NODE_TYPES: dict[str, type[Job] | type[Dataset]] = {"job": Job, "dataset": Dataset}


@dataclass(frozen=True)
class NodeId:
    type: str  # job | dataset
    namespace: str
    name: str


def candidate_splits(node_id: str, expected_type: str) -> list[tuple[str, str]]:
    prefix, sep, rest = node_id.partition(":")
    if not sep or prefix != expected_type:
        raise InvalidParameterError(
            f"node id {node_id!r} must look like '{expected_type}:<namespace>:<name>', "
            f"e.g. '{expected_type}:postgres://db:5432:public.orders' (URL-encode it in a path)"
        )
    splits = [(rest[:i], rest[i + 1 :]) for i, char in enumerate(rest) if char == ":"]
    splits = [(ns, name) for ns, name in splits if ns and name]
    if not splits:
        raise InvalidParameterError(
            f"node id {node_id!r} has no name part: expected '{expected_type}:<namespace>:<name>'"
        )
    return splits


def resolve_job(node_id: str, *, session: Session) -> Job:
    job = _resolve(node_id, "job", session=session)
    assert isinstance(job, Job)
    return job


def resolve_dataset(node_id: str, *, session: Session) -> Dataset:
    dataset = _resolve(node_id, "dataset", session=session)
    assert isinstance(dataset, Dataset)
    return dataset


def _resolve(node_id: str, expected_type: str, *, session: Session) -> Job | Dataset:
    model = NODE_TYPES[expected_type]
    splits = candidate_splits(node_id, expected_type)
    found = session.execute(select(model).where(tuple_(model.namespace, model.name).in_(splits))).scalars()
    rows = [row for row in found if isinstance(row, (Job, Dataset))]
    if not rows:
        raise NotFoundError(f"no {expected_type} with id {node_id!r}; list them with GET /api/v1/{expected_type}s")
    # With several matches, the longest namespace is the most specific reading.
    return max(rows, key=lambda row: len(row.namespace))


@dataclass(frozen=True)
class ResolvedNode:
    id: str  # canonical node id, as stored
    type: str  # JOB | DATASET
    row: Job | Dataset

    @property
    def facets(self) -> dict[str, Any]:
        return self.row.facets or {}


def resolve_node(node_id: str, *, session: Session, principal: Principal) -> ResolvedNode:
    """A job or dataset by node id, hidden (404) when it belongs to a DAG the caller may not read."""
    kind = node_id.partition(":")[0]
    if kind not in NODE_TYPES:
        raise InvalidParameterError(
            f"node id {node_id!r} must start with 'job:' or 'dataset:' (e.g. 'dataset:postgres://db:5432:public.orders')"
        )
    row = _resolve(node_id, kind, session=session)
    if isinstance(row, Job):
        if not can_see_job(principal, row.namespace, row.dag_id):
            raise hidden_job(node_id)
        return ResolvedNode(id=job_node_id(row.namespace, row.name), type="JOB", row=row)
    return ResolvedNode(id=dataset_node_id(row.namespace, row.name), type="DATASET", row=row)


def hidden_job(node_id: str) -> NotFoundError:
    """The answer for a job of a DAG the caller may not read: the same as for a job that does not exist."""
    return NotFoundError(f"no job with id {node_id!r}; list them with GET /api/v1/jobs")
