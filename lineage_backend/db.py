"""Engines, sessions and the unit of work that retries lock contention."""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from lineage_backend.errors import ConfigurationError

log = logging.getLogger(__name__)
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long one request keeps retrying lock contention (PostgreSQL deadlocks, SQLite busy) before it gives
# up with a retriable 503; on SQLite each attempt may itself wait up to the busy timeout.
CONTENTION_BUDGET_SECONDS = 10.0
# A PostgreSQL that accepts connections but never answers (hung, or a half-open network path) would
# otherwise hold a request forever; `?connect_timeout=N` in the URL overrides it.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
READ_ONLY_OPTION = "flowlytics_read_only"


def sqlite_busy_timeout_ms() -> int:
    """How long a SQLite writer waits for the write lock (FLOWLYTICS_SQLITE_BUSY_TIMEOUT_MS, default 30 s)."""
    return int(os.environ.get("FLOWLYTICS_SQLITE_BUSY_TIMEOUT_MS") or SQLITE_BUSY_TIMEOUT_MS)


# JSON `->` (the rollup recount reads facet paths with it) arrived in SQLite 3.38.
MIN_SQLITE_VERSION = (3, 38, 0)


def check_sqlite_version(version: tuple[int, int, int] = sqlite3.sqlite_version_info) -> None:
    if tuple(version) < MIN_SQLITE_VERSION:
        found, needed = ".".join(map(str, version)), ".".join(map(str, MIN_SQLITE_VERSION))
        raise ConfigurationError(
            f"Flowlytics needs SQLite {needed} or newer; this Python's sqlite3 module uses SQLite {found}. "
            "Use a Python built against a newer SQLite (Debian 12 and Airflow's images have 3.40), or PostgreSQL."
        )


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        check_sqlite_version()
        busy_timeout_ms = sqlite_busy_timeout_ms()
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000}, **kwargs)
        configure_sqlite(engine, busy_timeout_ms)
        return engine
    if url.startswith("postgresql://") and not _importable("psycopg2") and _importable("psycopg"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    if url.startswith("postgresql") and "connect_timeout" not in url:
        kwargs["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS, **kwargs.get("connect_args", {})}
    return create_engine(url, **kwargs)


def configure_sqlite(engine: Engine, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so writers queue on the busy timeout instead of
    failing at the read→write lock upgrade."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def is_contention(error: BaseException) -> bool:
    """Errors that a retry of the same transaction can fix: SQLite busy/locked, PG deadlock/serialization."""
    if not isinstance(error, (OperationalError, DBAPIError)):
        return False
    text = str(getattr(error, "orig", error)).lower()
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    return (
        "database is locked" in text
        or "database table is locked" in text
        or "deadlock detected" in text
        or "could not serialize" in text
        or code in {"40001", "40P01", "55P03"}
    )


def is_unavailable(error: BaseException) -> bool:
    """Errors of a database that cannot be reached or dropped the connection (refused at connect, server
    restarting, connection killed, pool exhausted): nothing was committed, and a later retry may succeed."""
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class Database:
    """One engine and the unit of work over it: `run` commits (retrying the whole function on lock
    contention), `read` never writes."""

    def __init__(self, engine: Engine, attempts: int = 8, contention_budget_seconds: float | None = None) -> None:
        self.engine = engine
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False)
        self.read_session_factory = sessionmaker(
            bind=engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )
        self.attempts = attempts
        if contention_budget_seconds is None:
            # On SQLite one attempt already waited the busy timeout: a lock held longer is an outage.
            sqlite = engine.dialect.name == "sqlite"
            contention_budget_seconds = sqlite_busy_timeout_ms() / 1000 if sqlite else CONTENTION_BUDGET_SECONDS
        self.contention_budget_seconds = contention_budget_seconds

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(make_engine(url, **kwargs))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def run(self, work: Callable[[Session], T]) -> T:
        started = time.monotonic()
        for attempt in range(1, self.attempts + 1):
            session = self.session_factory()
            try:
                result = work(session)
                session.commit()
                return result
            except Exception as error:
                session.rollback()
                out_of_time = time.monotonic() - started >= self.contention_budget_seconds
                if attempt == self.attempts or out_of_time or not is_contention(error):
                    raise
                delay = min(2.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.5)  # noqa: S311
                log.info("retrying after lock contention (attempt %s): %s", attempt, error)
                time.sleep(delay)
            finally:
                session.close()
        raise AssertionError("unreachable")

    def read(self, work: Callable[[Session], T]) -> T:
        session = self.read_session_factory()
        try:
            return work(session)
        finally:
            session.rollback()
            session.close()
