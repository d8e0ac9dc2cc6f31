"""An in-memory index of the lineage graph, kept in step with the edge table incrementally.

Walking 100k nodes in SQL costs one round trip per level (Marquez's recursive CTE takes seconds); in
memory it is milliseconds, and so is reading each result's details (owners, latest run, rows) when they
are kept beside the edges. Edges, events and metadata edits are append-only, so what changed is read by
id cursor; symlinks (which merge nodes) rebuild the edges; a periodic rebuild of the details picks up
what retention deleted.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from lineage_backend.graph.details import CHUNK, NodeDetails, dataset_key, is_job_key, job_key, load_details, row_id
from lineage_backend.graph.traversal import Graph
from lineage_backend.store.models import (
    Dataset,
    DatasetSymlink,
    EdgeMetadata,
    Job,
    LineageEdge,
    MetadataAudit,
    RawEvent,
    Run,
    RunDataset,
)

if TYPE_CHECKING:
    from lineage_backend.db import Database

__all__ = ["GraphIndex", "TailCursor", "dataset_key", "graph_as_of", "is_job_key", "job_key", "row_id"]

log = logging.getLogger(__name__)


class TailCursor:
    """New rows of an append-only table, by id.

    Ids are handed out before commit, so a row with a lower id can become visible after one with a higher
    id; the ids of the last `overlap` seconds are therefore read again (and skipped if already handled)
    before the cursor settles past them.
    """

    def __init__(self, overlap: float = 10.0) -> None:
        self.overlap = overlap
        self.floor = 0  # every id up to here is handled
        self.high = 0  # the highest id handled
        self._seen: set[int] = set()  # handled ids above the floor
        self._marks: deque[tuple[float, int]] = deque()  # (when, highest id then)

    def begin(self, newest: int, visible: Iterable[int], margin: int = 2000) -> None:
        """After a full read up to `newest`, of which `visible` were the ids seen near the top: the last
        `margin` ids are read again for `overlap` seconds, for rows that commit late."""
        self.floor = max(0, newest - margin)
        self.high = newest
        self._seen = {i for i in visible if self.floor < i <= newest}
        self._marks = deque([(time.monotonic(), newest)])

    def needs_read(self, newest: int) -> bool:
        return newest > self.high or bool(self._marks)

    def fresh(self, ids: Iterable[int]) -> list[int]:
        """Of the ids read above the floor, those not handled yet; marks them handled."""
        new = [i for i in ids if i not in self._seen]
        self._seen.update(new)
        self.high = max([self.high, *new])
        return new

    def settle(self, now: float) -> None:
        self._marks.append((now, self.high))
        while self._marks and now - self._marks[0][0] >= self.overlap:
            self.floor = max(self.floor, self._marks.popleft()[1])
        self._seen = {i for i in self._seen if i > self.floor}
        if self._marks and all(mark == self.floor for _, mark in self._marks) and not self._seen:
            self._marks.clear()


class GraphIndex:
    """The lineage graph (edges, symlink aliases, job groups) and each node's details, in memory.

    `current()` brings it up to date (at most every `check_interval` seconds, or at once after
    `invalidate()`): new edges, and the details of nodes that new events or metadata edits touched, are
    read by id cursor. Node details are rebuilt whole every `rebuild_interval` seconds (in a background
    thread when a database is given), which picks up what retention deleted.
    """

    def __init__(
        self,
        database: Database | None = None,
        *,
        check_interval: float = 1.0,
        rebuild_interval: float = 600.0,
        overlap: float = 10.0,
        prepare: Callable[[Iterable[NodeDetails]], None] | None = None,
    ) -> None:
        self.database = database
        # Called with every node's details when they are loaded (the API writes each node's answer JSON
        # once, so that no answer waits for it); outside the lock for a background rebuild.
        self._prepare = prepare
        self.check_interval = check_interval
        self.rebuild_interval = rebuild_interval
        self._lock = threading.RLock()
        self._graph: Graph[int] = Graph()
        self.alias_of: dict[int, int] = {}  # alias dataset key -> canonical dataset key
        self.aliases: dict[int, set[int]] = {}
        self.group_of: dict[int, int] = {}  # job key -> parent job key
        self.details: dict[int, NodeDetails] = {}
        self.edge_notes: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (source id, target id) -> annotations
        self._key_of_id: dict[str, int] = {}
        self._edges = TailCursor(overlap)
        self._events = TailCursor(overlap)
        self._edits = TailCursor(overlap)
        self._symlink_cursor = 0
        self._job_cursor = 0
        self._built = False
        self._checked_at = float("-inf")
        self._details_built_at = float("-inf")
        self._rebuilding: threading.Thread | None = None
        self._touched_during_rebuild: set[int] | None = None

    @contextmanager
    def current(self, session: Session) -> Iterator[GraphIndex]:
        """The index, brought up to date, held for the caller's traversal."""
        with self._lock:
            self._refresh(session)
            yield self

    def warm_up(self) -> threading.Thread | None:
        """Build the index in the background now, so that the first lineage request after a start does
        not wait for it (seconds for 100k nodes and 1M runs); requests meanwhile wait for the build."""
        if self.database is None:
            return None
        database = self.database

        def build() -> None:
            began = time.monotonic()
            try:
                database.read(self._build_now)
            except Exception:  # the first request builds it instead
                log.exception("building the lineage index in the background failed")
                return
            log.info("lineage index built in %.1f s (%d nodes)", time.monotonic() - began, len(self.details))

        thread = threading.Thread(target=build, name="flowlytics-index-build", daemon=True)
        thread.start()
        return thread

    def _build_now(self, session: Session) -> None:
        with self._lock:
            if not self._built:
                self._checked_at = float("-inf")
                self._refresh(session)

    def invalidate(self) -> None:
        """Check for changes on the next read (this process wrote lineage or metadata)."""
        self._checked_at = float("-inf")

    @property
    def graph(self) -> Graph[int]:
        return self._graph

    def canonical(self, key: int) -> int:
        return self.alias_of.get(key, key)

    def key_of(self, node_id: str) -> int | None:
        """The key of a node by its canonical id, if indexed."""
        return self._key_of_id.get(node_id)

    def details_of(self, keys: Iterable[int], *, session: Session) -> dict[int, NodeDetails]:
        """Details of these nodes; any not indexed yet (created since the last refresh) are read now."""
        wanted = set(keys)
        details = self.details_including(wanted, session=session)
        return {k: details[k] for k in wanted if k in details}

    def details_including(self, keys: Iterable[int], *, session: Session) -> Mapping[int, NodeDetails]:
        """Every indexed node's details, after reading those of `keys` not indexed yet (no copy: for
        answers that look up hundreds of nodes)."""
        details = self.details
        missing = [k for k in keys if k not in details]  # not `keys - details.keys()`: that copies every key
        if missing:
            self._reload(missing, session=session)
        return self.details

    def _reload(self, keys: Collection[int], *, session: Session) -> None:
        """Read these nodes' details from the database into the index."""
        self._store(
            load_details(
                session=session,
                job_ids=[row_id(k) for k in keys if is_job_key(k)],
                dataset_ids=[row_id(k) for k in keys if not is_job_key(k)],
            )
        )

    # ------------------------------------------------------------------------------------ refreshing

    def _refresh(self, session: Session) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.check_interval:
            return
        self._checked_at = now
        edge_max, symlink_max, job_max, event_max, edit_max = session.execute(
            select(
                select(func.max(LineageEdge.id)).scalar_subquery(),
                select(func.max(DatasetSymlink.id)).scalar_subquery(),
                select(func.max(Job.id)).scalar_subquery(),
                select(func.max(RawEvent.id)).scalar_subquery(),
                select(func.max(MetadataAudit.id)).scalar_subquery(),
            )
        ).one()
        edge_max, symlink_max, job_max = edge_max or 0, symlink_max or 0, job_max or 0
        event_max, edit_max = event_max or 0, edit_max or 0
        if not self._built:
            self._build_details(session, event_max, edit_max)
            self._rebuild_edges(session, edge_max, symlink_max, job_max)
            self._built = True
            _settle_heap()
            return
        if symlink_max != self._symlink_cursor or edge_max < self._edges.high:  # merged nodes, or deletions
            self._rebuild_edges(session, edge_max, symlink_max, job_max)
        elif self._edges.needs_read(edge_max):
            self._add_edges(session)
        if job_max != self._job_cursor:
            self._load_groups(session)
            self._job_cursor = job_max
        if self._events.needs_read(event_max):
            self._refresh_touched_by_events(session)
        if self._edits.needs_read(edit_max):
            self._refresh_edited(session)
        if now - self._details_built_at > self.rebuild_interval:
            self._rebuild_details_later(session, event_max, edit_max)

    def _rebuild_edges(self, session: Session, edge_max: int, symlink_max: int, job_max: int) -> None:
        self._graph = Graph()
        self._load_aliases(session)
        rows = session.execute(
            select(LineageEdge.id, LineageEdge.job_id, LineageEdge.dataset_id, LineageEdge.direction).where(
                LineageEdge.id <= edge_max
            )
        ).all()
        self._add_edge_rows(rows)
        self._graph.compact()
        self._edges.begin(edge_max, (row[0] for row in rows))
        self._load_groups(session)
        self._symlink_cursor, self._job_cursor = symlink_max, job_max

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

    def _add_edges(self, session: Session) -> None:
        rows = session.execute(
            select(LineageEdge.id, LineageEdge.job_id, LineageEdge.dataset_id, LineageEdge.direction).where(
                LineageEdge.id > self._edges.floor
            )
        ).all()
        fresh = set(self._edges.fresh(row[0] for row in rows))
        self._add_edge_rows([row for row in rows if row[0] in fresh])
        self._edges.settle(time.monotonic())

    def _add_edge_rows(self, rows: Iterable[Any]) -> None:
        graph, canonical = self._graph, self.canonical
        for _, job_id, dataset_id, direction in rows:
            job, dataset = job_key(job_id), canonical(dataset_key(dataset_id))
            if direction == "IN":
                graph.add_edge(dataset, job)
            else:
                graph.add_edge(job, dataset)

    def _load_groups(self, session: Session) -> None:
        rows = session.execute(select(Job.id, Job.parent_job_id).where(Job.parent_job_id.is_not(None)))
        self.group_of = {job_key(job_id): job_key(parent_id) for job_id, parent_id in rows if parent_id is not None}

    def _build_details(self, session: Session, event_max: int, edit_max: int) -> None:
        self.details, self._key_of_id = {}, {}
        self._store(load_details(session=session, job_ids=None, dataset_ids=None))
        self._load_edge_notes(session)
        margin = 2000
        self._events.begin(
            event_max, session.execute(select(RawEvent.id).where(RawEvent.id > event_max - margin)).scalars(), margin
        )
        self._edits.begin(
            edit_max,
            session.execute(select(MetadataAudit.id).where(MetadataAudit.id > edit_max - margin)).scalars(),
            margin,
        )
        self._details_built_at = time.monotonic()

    def _load_edge_notes(self, session: Session) -> None:
        rows = session.execute(select(EdgeMetadata.source_id, EdgeMetadata.target_id, EdgeMetadata.annotations))
        self.edge_notes = {(source, target): notes for source, target, notes in rows if notes}

    def _store(self, found: dict[int, NodeDetails]) -> None:
        if self._prepare is not None:
            self._prepare(found.values())
        self.details.update(found)
        self._key_of_id.update((node.id, key) for key, node in found.items())
        if self._touched_during_rebuild is not None:
            self._touched_during_rebuild.update(found)

    def _refresh_touched_by_events(self, session: Session) -> None:
        """Reload the jobs and datasets of events that arrived since the last refresh."""
        rows = session.execute(
            select(
                RawEvent.id, RawEvent.event_kind, RawEvent.run_uuid, RawEvent.job_namespace, RawEvent.job_name
            ).where(RawEvent.id > self._events.floor)
        ).all()
        fresh = set(self._events.fresh(row[0] for row in rows))
        run_ids: set[str] = set()
        job_names: set[tuple[str, str]] = set()
        dataset_names: set[tuple[str, str]] = set()
        job_events: list[int] = []
        for event_id, kind, run_uuid, namespace, name in rows:
            if event_id not in fresh:
                continue
            if run_uuid:
                run_ids.add(run_uuid)
            elif kind == "DatasetEvent" and namespace and name:  # stored under the dataset's name
                dataset_names.add((namespace, name))
            elif namespace and name:  # a JobEvent: its datasets are in the payload
                job_names.add((namespace, name))
                job_events.append(event_id)
        dataset_names.update(_job_event_datasets(session, job_events))
        job_ids: set[int] = set()
        dataset_ids: set[int] = set()
        ordered_runs = sorted(run_ids)
        for start in range(0, len(ordered_runs), CHUNK):
            chunk = ordered_runs[start : start + CHUNK]
            job_ids.update(session.execute(select(Run.job_id).where(Run.run_uuid.in_(chunk))).scalars())
            dataset_ids.update(
                session.execute(select(RunDataset.dataset_id).where(RunDataset.run_uuid.in_(chunk))).scalars()
            )
        job_ids.update(_ids_by_name(session, Job, job_names))
        dataset_ids.update(_ids_by_name(session, Dataset, dataset_names))
        if job_ids or dataset_ids:
            self._store(load_details(session=session, job_ids=job_ids, dataset_ids=dataset_ids))
        self._events.settle(time.monotonic())

    def _refresh_edited(self, session: Session) -> None:
        rows = session.execute(
            select(MetadataAudit.id, MetadataAudit.target).where(MetadataAudit.id > self._edits.floor)
        ).all()
        fresh = set(self._edits.fresh(row[0] for row in rows))
        if any(target.startswith("edge:") for edit_id, target in rows if edit_id in fresh):
            self._load_edge_notes(session)
        keys = {self._key_of_id[target] for edit_id, target in rows if edit_id in fresh and target in self._key_of_id}
        if keys:
            self._reload(keys, session=session)
        self._edits.settle(time.monotonic())

    def _rebuild_details_later(self, session: Session, event_max: int, edit_max: int) -> None:
        """Reload every node's details; in the background when a database is at hand, so that no read
        waits for it. Details refreshed meanwhile are newer than the rebuild's and are kept."""
        if self.database is None:
            self._build_details(session, event_max, edit_max)
            return
        if self._rebuilding is not None and self._rebuilding.is_alive():
            return
        self._details_built_at = time.monotonic()  # not again before this one is done
        self._touched_during_rebuild = set()
        database = self.database

        def rebuild() -> None:
            try:
                fresh = database.read(lambda s: load_details(session=s, job_ids=None, dataset_ids=None))
                if self._prepare is not None:
                    self._prepare(fresh.values())
            except Exception:  # the next interval tries again; reads keep the details they have
                log.exception("rebuilding the lineage node details failed")
                with self._lock:
                    self._touched_during_rebuild = None
                return
            with self._lock:
                touched = self._touched_during_rebuild or set()
                for key in touched:
                    if key in self.details:
                        fresh[key] = self.details[key]
                self.details = fresh
                self._key_of_id = {node.id: key for key, node in fresh.items()}
                self._touched_during_rebuild = None
            _settle_heap()

        self._rebuilding = threading.Thread(target=rebuild, name="flowlytics-index-rebuild", daemon=True)
        self._rebuilding.start()


def _settle_heap() -> None:
    """Move the index's objects out of the garbage collector's view. They live until the next rebuild and
    hold no reference cycles, yet full collections walked all of them again and again while requests
    allocated their answers: this halved the time of a 1,000-node graph answer."""
    gc.collect()
    gc.freeze()


def _job_event_datasets(session: Session, event_ids: list[int]) -> set[tuple[str, str]]:
    """The input and output datasets named in these JobEvents' payloads."""
    found: set[tuple[str, str]] = set()
    for start in range(0, len(event_ids), CHUNK):
        chunk = event_ids[start : start + CHUNK]
        for payload in session.execute(select(RawEvent.payload).where(RawEvent.id.in_(chunk))).scalars():
            try:
                event = orjson.loads(payload or b"{}")
            except orjson.JSONDecodeError:
                continue
            if not isinstance(event, dict):
                continue
            for key in ("inputs", "outputs"):
                for dataset in event.get(key) or []:
                    if isinstance(dataset, dict) and dataset.get("namespace") and dataset.get("name"):
                        found.add((str(dataset["namespace"]), str(dataset["name"])))
    return found


def _ids_by_name(session: Session, model: type[Job] | type[Dataset], names: set[tuple[str, str]]) -> list[int]:
    ordered = sorted(names)
    found: list[int] = []
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        found += session.execute(select(model.id).where(tuple_(model.namespace, model.name).in_(chunk))).scalars()
    return found


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
