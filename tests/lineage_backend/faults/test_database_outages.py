"""The database goes away under a running server: PostgreSQL stopped (`pg_ctl stop -m immediate`) and
started again, and SQLite with a second writer holding the write lock past the busy timeout. Requests
meanwhile get a retriable 503 with Retry-After, never a 500 nor a hang past the client timeout; nothing
acknowledged is lost or stored twice; the server recovers without a restart."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lineage_backend.db import Database
from tests.conftest import INGEST_KEY
from tests.lineage_backend.faults.harness import (
    REQUEST_GUARD_SECONDS,
    Emitter,
    HttpxEmitter,
    PostgresCluster,
    RetryCounter,
    ServerProcess,
    canonical,
    event_key,
    event_stream,
    figures,
    fresh_postgres_database,
    openlineage_events,
    reference_snapshot,
    running_server,
    stored_documents,
    stored_keys,
)
from tests.lineage_backend.snapshot import snapshot

pytestmark = pytest.mark.slow

CLIENT_TIMEOUT = 20.0  # a hang guard, generous for a loaded 2-core machine
OUTAGE_SECONDS = 3.0


@pytest.fixture
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A cluster of this test's own: stopping it must not disturb the session's shared one."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def wait_until(condition, what: str, guard: float = REQUEST_GUARD_SECONDS * 2) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + guard
    while not condition():
        assert time.monotonic() < deadline, f"hang guard: {what}"
        time.sleep(0.02)


def post_batch(server: ServerProcess) -> httpx.Response:
    """A batch during the outage (its events are never acknowledged, so must not be stored either)."""
    events = event_stream(3, dag="batch_dag")
    return httpx.post(
        f"{server.url}/api/v1/lineage/batch",
        json=events,
        headers={"Authorization": f"Bearer {INGEST_KEY}"},
        timeout=CLIENT_TIMEOUT,
    )


def assert_retriable(response: httpx.Response) -> None:
    """Regression: a batch during an outage was a 422 listing every event as "could not be stored"."""
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    assert "retry later" in response.json()["detail"]


def check_outcome(
    test: str,
    server: ServerProcess,
    db_url: str,
    reference_url: str,
    plain: HttpxEmitter,
    real: Emitter,
    retries: RetryCounter,
    outage_ended: float,
    **extra: object,
) -> None:
    """Every event acknowledged, each stored once and whole, the derived state as an in-order ingestion,
    every refusal a 503 with Retry-After and a detail; prints the figures."""
    for emitter in (plain, real):
        emitter.join(timeout=REQUEST_GUARD_SECONDS * 4)
        assert not emitter.is_alive(), "an emitter hung"
    database = Database.from_url(db_url)
    try:
        stored = stored_keys(database)
        documents = stored_documents(database)
        served_state = database.read(snapshot)
    finally:
        database.engine.dispose()
    sent = plain.events + real.sent
    acknowledged = plain.acknowledged + real.acknowledged
    after = [t for t in plain.ack_times + real.ack_times if t > outage_ended]
    figures(
        test,
        sent=len(sent),
        acknowledged=len(acknowledged),
        stored=sum(stored.values()),
        duplicates=sum(count - 1 for count in stored.values() if count > 1),
        plain_client_503s=len(plain.unavailable),
        openlineage_client_retries=retries.retries,
        server_503s=server.count_in_log("database busy") + server.count_in_log("database unavailable"),
        no_answer=dict(plain.no_answer),
        recovery_seconds=round(min(after) - outage_ended, 2) if after else None,
        server_starts=server.starts,
        **extra,
    )
    assert plain.unexpected == []  # no 500, no other refusal
    assert plain.no_answer == Counter()  # never a hang past the client timeout, never a dropped connection
    assert plain.unavailable, "the outage was not seen: no 503"
    for _, response in plain.unavailable:
        assert response.headers["Retry-After"].isdigit()
        assert "retry later" in response.json()["detail"]
    assert len(acknowledged) == len(sent)
    assert stored == Counter(event_key(document) for document in acknowledged)
    assert set(stored.values()) == {1}
    assert documents == Counter(canonical(document) for document in sent)
    assert served_state == reference_snapshot(reference_url, sent)
    assert server.starts == 1 and server.process is not None and server.process.poll() is None  # no restart
    assert server.server_errors() == []


@pytest.mark.postgres
def test_postgres_stopped_and_started_mid_stream(postgres_cluster: PostgresCluster, tmp_path: Path) -> None:
    served_url = fresh_postgres_database(postgres_cluster.url, "outage_served")
    reference_url = fresh_postgres_database(postgres_cluster.url, "outage_reference")
    with running_server(served_url, tmp_path) as server, RetryCounter() as retries:
        plain = HttpxEmitter(server.url, event_stream(40, dag="plain_dag"), timeout=CLIENT_TIMEOUT, hold_after=20)
        real = Emitter(server.url, openlineage_events("real_dag", 40))
        plain.start()
        real.start()
        wait_until(lambda: plain.holding.is_set() and len(real.acknowledged) >= 20, "first acks")
        postgres_cluster.stop_immediately()
        stopped = time.monotonic()
        plain.release.set()
        health_during = httpx.get(f"{server.url}/health", timeout=CLIENT_TIMEOUT)
        batch_during = post_batch(server)
        wait_until(lambda: len(plain.unavailable) >= 1, "a 503 during the outage")
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        postgres_cluster.start()
        restarted = time.monotonic()
        check_outcome(
            "postgres-outage",
            server,
            served_url,
            reference_url,
            plain,
            real,
            retries,
            restarted,
            outage_seconds=round(restarted - stopped, 2),
            health_during_outage=health_during.status_code,
        )
    assert health_during.status_code == 503
    assert_retriable(batch_during)


def test_sqlite_write_lock_held_past_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "served.db"
    # A short busy timeout keeps the test short; the default (30 s) behaves the same, only later.
    env = {"FLOWLYTICS_SQLITE_BUSY_TIMEOUT_MS": "1000"}
    with running_server(f"sqlite:///{path}", tmp_path, env) as server, RetryCounter() as retries:
        plain = HttpxEmitter(server.url, event_stream(40, dag="plain_dag"), timeout=CLIENT_TIMEOUT, hold_after=10)
        real = Emitter(server.url, openlineage_events("real_dag", 40))
        plain.start()
        real.start()
        wait_until(lambda: plain.holding.is_set() and len(real.acknowledged) >= 10, "first acks")
        second_writer = sqlite3.connect(path, isolation_level=None, timeout=REQUEST_GUARD_SECONDS)
        second_writer.execute("BEGIN IMMEDIATE")  # the write lock, held by another connection
        locked = time.monotonic()
        plain.release.set()
        wait_until(lambda: len(plain.unavailable) >= 1, "a 503 while the lock is held")
        health_during = httpx.get(f"{server.url}/health", timeout=CLIENT_TIMEOUT)  # readers are not blocked
        batch_during = post_batch(server)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - locked)))
        second_writer.execute("ROLLBACK")
        second_writer.close()
        released = time.monotonic()
        check_outcome(
            "sqlite-lock",
            server,
            f"sqlite:///{path}",
            f"sqlite:///{tmp_path / 'reference.db'}",
            plain,
            real,
            retries,
            released,
            lock_held_seconds=round(released - locked, 2),
            health_during_lock=health_during.status_code,
        )
    assert health_during.status_code == 200
    assert_retriable(batch_during)
