"""The standalone server SIGKILLed and restarted while the real openlineage-python HTTP client (its own
retry settings) posts a stream of events: every acknowledged event is stored exactly once, and what the
server derived equals an in-order ingestion of the same events into a fresh database."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lineage_backend.db import Database
from tests.conftest import INGEST_KEY
from tests.lineage_backend.faults.harness import (
    REQUEST_GUARD_SECONDS,
    RetryCounter,
    ServerProcess,
    canonical,
    event_key,
    figures,
    fresh_postgres_database,
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
APP_LEVEL_ATTEMPTS = 6  # when the client itself gives up (its retries exhausted), the emitter re-emits


def openlineage_events(dag: str, runs: int) -> list[Any]:
    """START and COMPLETE of task runs under one DAG run, each task reading the previous one's output."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import output_statistics_output_dataset, parent_run
    from openlineage.client.uuid import generate_new_uuid

    producer = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"
    dag_run = str(generate_new_uuid())
    parent = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=dag_run), job=parent_run.Job(namespace="faults", name=dag)
    )
    events = []
    for index in range(runs):
        run = Run(runId=str(generate_new_uuid()), facets={"parent": parent})
        job = Job(namespace="faults", name=f"{dag}.task_{index % 7}")
        inputs = [InputDataset(namespace="postgres://db:5432", name=f"{dag}.t{index - 1}")] if index else []
        stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=index * 10, size=index)
        output = OutputDataset(
            namespace="postgres://db:5432", name=f"{dag}.t{index}", outputFacets={"outputStatistics": stats}
        )
        for state, seconds, outputs in ((RunState.START, 0, []), (RunState.COMPLETE, 30, [output])):
            events.append(
                RunEvent(
                    eventType=state,
                    eventTime=f"2024-05-01T10:{index % 60:02d}:{seconds:02d}Z",
                    producer=producer,
                    run=run,
                    job=job,
                    inputs=inputs,
                    outputs=outputs,
                )
            )
    return events


def recording_transport(config: Any) -> Any:
    """The real HttpTransport, keeping the JSON of what it posts (the client adds facets, e.g. `tags`)."""
    from openlineage.client.serde import Serde
    from openlineage.client.transport.http import HttpTransport

    class RecordingHttpTransport(HttpTransport):
        last_posted: dict[str, Any] | None = None

        def emit(self, event: Any) -> Any:
            self.last_posted = json.loads(Serde.to_json(event))
            return super().emit(event)

    return RecordingHttpTransport(config)


class Emitter(threading.Thread):
    """One OpenLineageClient with the real HttpTransport (default retries: 5, backoff 0.3, 5xx forced)."""

    def __init__(self, url: str, events: list[Any]) -> None:
        super().__init__(daemon=True)
        from openlineage.client import OpenLineageClient
        from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig

        config = HttpConfig(
            url=url + "/", endpoint="api/v1/lineage", auth=ApiKeyTokenProvider({"apiKey": INGEST_KEY}), timeout=10
        )
        self.transport = recording_transport(config)
        self.client = OpenLineageClient(transport=self.transport)
        self.events = events
        self.sent: list[dict[str, Any]] = []  # what was posted, in order (an event re-emitted: once)
        self.acknowledged: list[dict[str, Any]] = []
        self.client_gave_up = 0
        self.ack_times: list[float] = []
        self.errors: Counter[str] = Counter()

    def run(self) -> None:
        for event in self.events:
            for attempt in range(APP_LEVEL_ATTEMPTS):
                try:
                    self.client.emit(event)
                except Exception as error:  # the client's own retries are exhausted
                    self.client_gave_up += 1
                    self.errors[type(error).__name__] += 1
                    time.sleep(0.5)
                    continue
                finally:
                    if attempt == 0:
                        self.sent.append(self.transport.last_posted)
                self.acknowledged.append(self.transport.last_posted)
                self.ack_times.append(time.monotonic())
                break


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
        recovery_seconds=[round(r, 2) for r in recoveries],
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


def kill_and_restart_while_emitting(server: ServerProcess, emitters: list[Emitter], total: int) -> list[float]:
    """SIGKILL the server at each of KILLS thresholds of acknowledged events, restart it at once on the same
    port; returns for each kill the seconds until the next event was acknowledged."""
    recoveries = []
    deadline = time.monotonic() + REQUEST_GUARD_SECONDS * 4
    for kill in range(1, KILLS + 1):
        threshold = total * kill // (KILLS + 1)
        while sum(len(e.acknowledged) for e in emitters) < threshold:
            assert time.monotonic() < deadline, "the emitters stopped making progress"
            time.sleep(0.01)
        acknowledged_before = sum(len(e.acknowledged) for e in emitters)
        killed_at = time.monotonic()
        server.kill()
        server.start()
        while sum(len(e.acknowledged) for e in emitters) <= acknowledged_before:
            assert time.monotonic() < deadline, "no event was acknowledged after the restart"
            time.sleep(0.01)
        recoveries.append(min(t for e in emitters for t in e.ack_times if t > killed_at) - killed_at)
    return recoveries
