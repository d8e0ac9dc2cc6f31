"""An in-memory index of the lineage graph, kept in step with the edge table incrementally.

Walking 100k nodes in SQL costs one round trip per level (Marquez's recursive CTE takes seconds); in
memory it is milliseconds. Edges are append-only, so new ones are read by id cursor; symlinks (which
merge nodes) trigger a rebuild; a periodic rebuild catches anything else (retention deletes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineage_backend.graph.traversal import Graph
from lineage_backend.store.models import Dataset, DatasetSymlink, Job, LineageEdge


def job_key(job_id: int) -> int:
    return job_id * 2


def dataset_key(dataset_id: int) -> int:
    return dataset_id * 2 + 1


def is_job_key(key: int) -> bool:
    return key % 2 == 0


def row_id(key: int) -> int:
    return key // 2


class GraphIndex:
    def __init__(self, check_interval: float = 1.0, rebuild_interval: float = 300.0) -> None:
        self.check_interval = check_interval
        self.rebuild_interval = rebuild_interval
        self._lock = threading.RLock()
        self._graph: Graph[int] = Graph()
        self.alias_of: dict[int, int] = {}  # alias dataset key -> canonical dataset key
        self.aliases: dict[int, set[int]] = {}
        self.group_of: dict[int, int] = {}  # job key -> parent job key
        self._edge_cursor = 0
        self._symlink_cursor = 0
        self._job_cursor = 0
        self._checked_at = float("-inf")
        self._built_at = float("-inf")

    @contextmanager
    def current(self, session: Session) -> Iterator[GraphIndex]:
        """The index, brought up to date, held for the caller's traversal."""
        with self._lock:
            self._refresh(session)
            yield self

    @property
    def graph(self) -> Graph[int]:
        return self._graph

    def canonical(self, key: int) -> int:
        return self.alias_of.get(key, key)

    def _refresh(self, session: Session) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.check_interval:
            return
        self._checked_at = now
        edge_max, symlink_max, job_max = session.execute(
            select(
                select(func.max(LineageEdge.id)).scalar_subquery(),
                select(func.max(DatasetSymlink.id)).scalar_subquery(),
                select(func.max(Job.id)).scalar_subquery(),
            )
        ).one()
        edge_max, symlink_max, job_max = edge_max or 0, symlink_max or 0, job_max or 0
        if (
            now - self._built_at > self.rebuild_interval
            or symlink_max != self._symlink_cursor
            or edge_max < self._edge_cursor  # rows were deleted
        ):
            self._rebuild(session, edge_max, symlink_max, job_max)
            self._built_at = now
            return
        if edge_max > self._edge_cursor:
            self._add_edges(session, self._edge_cursor, edge_max)
            self._edge_cursor = edge_max
        if job_max != self._job_cursor:
            self._load_groups(session)
            self._job_cursor = job_max

    def _rebuild(self, session: Session, edge_max: int, symlink_max: int, job_max: int) -> None:
        self._graph = Graph()
        self._load_aliases(session)
        self._add_edges(session, 0, edge_max)
        self._load_groups(session)
        self._edge_cursor, self._symlink_cursor, self._job_cursor = edge_max, symlink_max, job_max

    def _load_aliases(self, session: Session) -> None:
        rows = session.execute(
            select(DatasetSymlink.dataset_id, Dataset.id).join(
                Dataset,
                (Dataset.namespace == DatasetSymlink.alias_namespace) & (Dataset.name == DatasetSymlink.alias_name),
            )
        ).all()
        self.alias_of, self.aliases = {}, {}
        for canonical_id, alias_id in rows:
            canonical, alias = dataset_key(canonical_id), dataset_key(alias_id)
            if canonical != alias:
                self.alias_of[alias] = canonical
                self.aliases.setdefault(canonical, set()).add(alias)

    def _add_edges(self, session: Session, after: int, upto: int) -> None:
        rows = session.execute(
            select(LineageEdge.job_id, LineageEdge.dataset_id, LineageEdge.direction).where(
                LineageEdge.id > after, LineageEdge.id <= upto
            )
        )
        graph, canonical = self._graph, self.canonical
        for job_id, dataset_id, direction in rows:
            job, dataset = job_key(job_id), canonical(dataset_key(dataset_id))
            if direction == "IN":
                graph.add_edge(dataset, job)
            else:
                graph.add_edge(job, dataset)

    def _load_groups(self, session: Session) -> None:
        rows = session.execute(select(Job.id, Job.parent_job_id).where(Job.parent_job_id.is_not(None)))
        self.group_of = {job_key(job_id): job_key(parent_id) for job_id, parent_id in rows if parent_id is not None}


def graph_as_of(session: Session, moment: datetime, alias_of: dict[int, int]) -> Graph[int]:
    """The edges that existed at `moment` (first seen at or before it): lineage as it was."""
    graph: Graph[int] = Graph()
    rows = session.execute(
        select(LineageEdge.job_id, LineageEdge.dataset_id, LineageEdge.direction).where(
            LineageEdge.first_seen <= moment
        )
    )
    for job_id, dataset_id, direction in rows:
        dataset = alias_of.get(dataset_key(dataset_id), dataset_key(dataset_id))
        if direction == "IN":
            graph.add_edge(dataset, job_key(job_id))
        else:
            graph.add_edge(job_key(job_id), dataset)
    return graph
