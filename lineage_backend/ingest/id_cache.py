"""In-process memory of what ingestion learnt for good: job and dataset ids, and jobs whose parent is set.

Safe across workers and replicas without any messaging because none of it can change once committed:
a job or dataset keeps its id for life (Flowlytics never deletes jobs or datasets; retention deletes runs
and raw events only), and a job's `parent_job_id` is only ever set when it is NULL. So an entry only
needs to be true once, and the cache is filled only with committed facts:
- ids read before this transaction wrote to the table (other transactions' committed rows) at once;
- ids of rows this transaction created, and parent links it set, after its commit (`after_commit` below),
  never when it rolls back.

Whoever deletes jobs or datasets (a test truncating tables, a manual clean-up) calls `forget`; and the
projection checks the (namespace, name) of every job and dataset row it locks, so a stale entry is
noticed (`StaleIdCacheError`), dropped, and the events are stored again without it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

Key = tuple[str, str]
_PENDING = "flowlytics_pending_ids"
# Bounds memory on a deployment with very many jobs and datasets; past it, lookups go to the database.
MAX_ENTRIES = 200_000


class StaleIdCacheError(RuntimeError):
    """A cached id names a row that is gone or is another job/dataset now (tables were emptied)."""


class IdCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ids: dict[str, dict[Key, int]] = {}
        self.parent_linked: set[int] = set()

    def lookup(self, table: str, keys: Iterable[Key]) -> dict[Key, int]:
        known = self.ids.get(table)
        if not known:
            return {}
        return {key: known[key] for key in keys if key in known}

    def remember(self, table: str, ids: dict[Key, int]) -> None:
        if not ids:
            return
        with self._lock:
            known = self.ids.setdefault(table, {})
            if len(known) + len(ids) > MAX_ENTRIES:
                known.clear()
            known.update(ids)

    def remember_parent_links(self, job_ids: Iterable[int]) -> None:
        with self._lock:
            if len(self.parent_linked) > MAX_ENTRIES:
                self.parent_linked.clear()
            self.parent_linked.update(job_ids)

    def clear(self) -> None:
        with self._lock:
            self.ids = {}
            self.parent_linked = set()


_caches: weakref.WeakKeyDictionary[Engine, IdCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(session: Session) -> IdCache:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    cache = _caches.get(engine)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(engine, IdCache())
    return cache


def forget(engine: Engine | None = None) -> None:
    """Drop what was learnt about one database (or all): call it after deleting jobs or datasets."""
    with _caches_lock:
        caches = list(_caches.values()) if engine is None else [c for e, c in _caches.items() if e is engine]
    for cache in caches:
        cache.clear()


def remember_after_commit(session: Session, table: str, ids: dict[Key, int]) -> None:
    """Ids of rows this transaction created: true for everyone only once it commits."""
    if ids:
        session.info.setdefault(_PENDING, []).append((table, dict(ids)))


def link_after_commit(session: Session, job_ids: Iterable[int]) -> None:
    session.info.setdefault(_PENDING, []).append((None, set(job_ids)))


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    cache = cache_for(session)
    for table, facts in pending:
        if table is None:
            cache.remember_parent_links(facts)
        else:
            cache.remember(table, facts)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
