"""The standalone server SIGKILLed and restarted while the real openlineage-python HTTP client (its own
retry settings) posts a stream of events: every acknowledged event is stored exactly once, and what the
server derived equals an in-order ingestion of the same events into a fresh database."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage_backend.db import Database
from tests.lineage_backend.faults.harness import (
    REQUEST_GUARD_SECONDS,
    Emitter,
    RetryCounter,
    ServerProcess,
    canonical,
    event_key,
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

EMITTERS = 2
RUNS_PER_EMITTER = 50  # 100 events each
KILLS = 2


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The served database and a fresh one for the reference ingestion."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'served.db'}", f"sqlite:///{tmp_path / 'reference.db'}"
    else:
        base = request.getfixturevalue("postgres_url")
        yield fresh_postgres_database(base, "kill_served"), fresh_postgres_database(base, "kill_reference")


def test_sigkill_and_restart_lose_and_duplicate_nothing(db_urls: tuple[str, str], tmp_path: Path) -> None:
    served_url, reference_url = db_urls
    with running_server(served_url, tmp_path) as server, RetryCounter() as client_retries:
        emitters = [Emitter(server.url, openlineage_events(f"dag_{n}", RUNS_PER_EMITTER)) for n in range(EMITTERS)]
        total = sum(len(e.events) for e in emitters)
        for emitter in emitters:
            emitter.start()
        recoveries = kill_and_restart_while_emitting(server, emitters, total)
        for emitter in emitters:
            emitter.join(timeout=REQUEST_GUARD_SECONDS * 4)
            assert not emitter.is_alive(), "an emitter hung"

        database = Database.from_url(served_url)
        try:
            stored = stored_keys(database)
            documents = stored_documents(database)
            served_state = database.read(snapshot)
        finally:
            database.engine.dispose()
        server_errors = server.server_errors()

    sent = [document for emitter in emitters for document in emitter.sent]
    acknowledged = [document for emitter in emitters for document in emitter.acknowledged]
    figures(
        f"sigkill[{served_url.split(':')[0].split('+')[0]}]",
        sent=len(sent),
        acknowledged=len(acknowledged),
        stored=sum(stored.values()),
        duplicates=sum(count - 1 for count in stored.values() if count > 1),
        kills=len(recoveries),
        client_retries=client_retries.retries,
        client_gave_up=sum(e.client_gave_up for e in emitters),
        client_errors=dict(sum((e.errors for e in emitters), Counter())),
        recovery_seconds=[round(recovery, 2) for recovery, _ in recoveries],
        restart_seconds=[round(restart, 2) for _, restart in recoveries],
    )
    assert len(recoveries) == KILLS
    # Every event was acknowledged in the end (the emitters re-emit what their client gave up on) ...
    assert len(acknowledged) == len(sent) == total
    # ... and each is stored exactly once: none lost, none twice, nothing else.
    assert stored == Counter(event_key(document) for document in acknowledged)
    assert set(stored.values()) == {1}
    assert documents == Counter(canonical(document) for document in sent)  # kept whole, as posted
    # What the server derived equals an in-order ingestion of the same events into a fresh database.
    assert served_state == reference_snapshot(reference_url, sent)
    assert server_errors == []


def kill_and_restart_while_emitting(
    server: ServerProcess, emitters: list[Emitter], total: int
) -> list[tuple[float, float]]:
    """SIGKILL the server at each of KILLS thresholds of acknowledged events, restart it at once on the same
    port; returns for each kill the seconds until the restarted server acknowledged an event, and until it
    answered /health."""
    recoveries, restarts = [], []
    deadline = time.monotonic() + REQUEST_GUARD_SECONDS * 4
    for kill in range(1, KILLS + 1):
        threshold = total * kill // (KILLS + 1)
        while sum(len(e.acknowledged) for e in emitters) < threshold:
            assert time.monotonic() < deadline, "the emitters stopped making progress"
            time.sleep(0.01)
        killed_at = time.monotonic()
        server.kill()
        restarts.append(server.start())
        back_at = time.monotonic()  # acks before this were answers the old process sent before it died
        while not any(t > back_at for e in emitters for t in e.ack_times):
            assert time.monotonic() < deadline, "no event was acknowledged after the restart"
            time.sleep(0.01)
        recoveries.append(min(t for e in emitters for t in e.ack_times if t > back_at) - killed_at)
    return list(zip(recoveries, restarts, strict=True))
