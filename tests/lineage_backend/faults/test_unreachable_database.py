"""Every way the database can fail to answer ends as a retriable 503 with Retry-After, on every route:
refused at connect (PostgreSQL port closed), a PostgreSQL that accepts and never answers, a SQLite file
that cannot be opened, an exhausted pool."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from lineage_backend.app import create_app
from lineage_backend.db import POSTGRES_CONNECT_TIMEOUT_SECONDS, Database, is_contention, is_unavailable
from tests.conftest import INGEST, READ, free_port, make_settings
from tests.lineage_backend.events import run_event


def assert_503(response: object) -> None:
    assert response.status_code == 503, response.text  # type: ignore[attr-defined]
    assert response.headers["Retry-After"].isdigit()  # type: ignore[attr-defined]
    assert "retry later" in response.json()["detail"]  # type: ignore[attr-defined]


def every_route_is_a_503(database: Database) -> None:
    with TestClient(create_app(make_settings(), database=database), raise_server_exceptions=False) as client:
        assert_503(client.post("/api/v1/lineage", json=run_event("START"), headers=INGEST))
        # Regression: a batch was a 422 listing every event as "could not be stored".
        assert_503(client.post("/api/v1/lineage/batch", json=[run_event("START")] * 2, headers=INGEST))
        assert_503(client.get("/api/v1/runs", headers=READ))
        for path in ("/api/v1/jobs", "/api/v1/graph?nodeId=job%3Aa%3Ab", "/api/v1/search?q=a", "/api/v1/batches"):
            assert_503(client.get(path, headers=READ))
        assert client.get("/health").status_code == 503


def test_postgres_refusing_connections_is_a_503_everywhere() -> None:
    database = Database.from_url(f"postgresql+psycopg://flowlytics@127.0.0.1:{free_port()}/postgres")
    try:
        every_route_is_a_503(database)
    finally:
        database.engine.dispose()


def test_sqlite_file_that_cannot_be_opened_is_a_503_everywhere(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'missing-directory' / 'flowlytics.db'}")
    try:
        every_route_is_a_503(database)
    finally:
        database.engine.dispose()


@pytest.fixture
def exhausted_pool(sqlite_database: Database) -> Iterator[Database]:
    """A pool of one connection, held elsewhere: requests wait `pool_timeout` and then fail."""
    url = str(sqlite_database.engine.url)
    database = Database.from_url(url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    held = database.engine.connect()
    try:
        yield database
    finally:
        held.close()
        database.engine.dispose()


def test_an_exhausted_connection_pool_is_a_503_not_a_500(exhausted_pool: Database) -> None:
    # Regression: sqlalchemy's pool TimeoutError is no DBAPI error and ended as a 500.
    every_route_is_a_503(exhausted_pool)


def test_which_database_errors_are_retriable() -> None:
    refused = OperationalError("connect", {}, Exception("connection refused"))
    closed = InterfaceError("SELECT 1", {}, Exception("connection already closed"))
    dropped = DBAPIError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)
    locked = OperationalError("INSERT", {}, Exception("database is locked"))
    duplicate = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    assert all(is_unavailable(error) for error in (refused, closed, dropped, PoolTimeoutError("pool")))
    assert is_contention(locked) and not is_contention(refused)
    assert not is_unavailable(duplicate) and not is_contention(duplicate)  # a bug, not an outage: stays a 500


@pytest.fixture
def silent_postgres() -> Iterator[int]:
    """A port that accepts TCP connections and never answers: a hung server or a half-open path."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@pytest.mark.slow
def test_postgres_that_never_answers_is_a_503_not_a_hang(silent_postgres: int) -> None:
    # Regression: without a connect timeout the request waited forever (past every client's timeout).
    database = Database.from_url(f"postgresql+psycopg://flowlytics@127.0.0.1:{silent_postgres}/postgres")
    answers: list[object] = []

    def post() -> None:
        with TestClient(create_app(make_settings(), database=database), raise_server_exceptions=False) as client:
            answers.append(client.post("/api/v1/lineage", json=run_event("START"), headers=INGEST))

    worker = threading.Thread(target=post, daemon=True)
    worker.start()
    worker.join(timeout=POSTGRES_CONNECT_TIMEOUT_SECONDS * 6)  # a hang guard, not a speed check
    try:
        assert not worker.is_alive(), "the request hung on a PostgreSQL that never answers"
        assert_503(answers[0])
    finally:
        database.engine.dispose()
