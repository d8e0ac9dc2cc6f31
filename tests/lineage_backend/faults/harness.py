"""Parts of the fault-injection tests: a `flowlytics serve` process that can be SIGKILLed and restarted on
the same port with its log kept, a dedicated PostgreSQL cluster that can be stopped and started, a
`/health` prober, the stream of events the emitters send, and the figures each test prints."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from lineage_backend.db import Database
from lineage_backend.ingest.bulk import store_events
from lineage_backend.ingest.parse import parse_event
from lineage_backend.store.migrate import upgrade
from lineage_backend.store.models import RawEvent
from tests.conftest import ADMIN_KEY, INGEST_KEY, READ_KEY, _pg_bin, free_port, skip_or_fail
from tests.lineage_backend.events import dataset, output_stats, parent_facet, run_event
from tests.lineage_backend.snapshot import snapshot

# Every wait in these tests is bounded by one of these hang guards; none is a speed assertion.
START_GUARD_SECONDS = 60.0
REQUEST_GUARD_SECONDS = 30.0


def figures(test: str, **values: object) -> None:
    """The figures of a fault run, printed for docs/architecture.md (`pytest -s` shows them)."""
    print(f"\nFAULT FIGURES {test}: " + json.dumps(values, sort_keys=False, default=str))


class RetryCounter(logging.Handler):
    """Counts urllib3's retry messages: how often the openlineage clients re-sent a request ("Retrying ..."
    after a dropped connection, "Retry: ..." after a 5xx such as our 503)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.retries = 0
        self.logger = logging.getLogger("urllib3.connectionpool")
        self.level_before = self.logger.level

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(("Retrying", "Retry:")):
            self.retries += 1

    def __enter__(self) -> RetryCounter:
        self.logger.addHandler(self)
        self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *_: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level_before)


class ServerProcess:
    """`python -m lineage_backend.cli serve` on a fixed port, one worker (so SIGKILL stops all of it),
    stderr kept in a file so that tests can check nothing was logged as a server error."""

    def __init__(self, db_url: str, log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "FLOWLYTICS_INGEST_API_KEYS": INGEST_KEY,
            "FLOWLYTICS_READ_API_KEYS": READ_KEY,
            "FLOWLYTICS_ADMIN_API_KEYS": ADMIN_KEY,
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> float:
        """Start and wait until /health answers; returns the seconds that took."""
        began = time.monotonic()
        command = [sys.executable, "-m", "lineage_backend.cli", "serve", "--db-url", self.db_url]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([*command, "--port", str(self.port)], env=self.env, stdout=log, stderr=log)
        self.starts += 1
        deadline = began + START_GUARD_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the server did not answer /health within {START_GUARD_SECONDS} s:\n{self.log()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=REQUEST_GUARD_SECONDS)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def server_errors(self) -> list[str]:
        """Lines that show a request ended as a server error (a 500) or crashed the app."""
        return [line for line in self.log().splitlines() if "Exception in ASGI application" in line]

    def count_in_log(self, text: str) -> int:
        return sum(text in line for line in self.log().splitlines())


@contextmanager
def running_server(db_url: str, log_dir: Path, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    server = ServerProcess(db_url, log_dir, env)
    try:
        server.start()  # inside the try: a server that never became healthy is stopped too
        yield server
    finally:
        server.stop()


def fresh_postgres_database(base_url: str, prefix: str) -> str:
    """A new, empty database in the PostgreSQL cluster at `base_url`; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = Database.from_url(base_url)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.engine.dispose()
    return base_url.rsplit("/", 1)[0] + f"/{name}"


class PostgresCluster:
    """A PostgreSQL cluster of its own (not the session's shared one), so that stopping it mid-stream
    affects only the test that does it."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            skip_or_fail("PostgreSQL server binaries not found (apt-get install postgresql)")
        assert bin_dir is not None
        self.bin_dir = bin_dir
        self.workdir = Path(tempfile.mkdtemp(prefix="flowlytics-faults-pg-"))
        self.data = self.workdir / "data"
        self.port = free_port()
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.workdir, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "flowlytics", "--auth=trust", "-E", "UTF8")
        self.url = f"postgresql+psycopg://flowlytics@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin_dir / tool), *args], check=True, capture_output=True, timeout=120
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "log"), "-w", "-t", "60", "start", "-o", options
        )

    def stop_immediately(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class HealthProber:
    """GETs /health every `interval` seconds in a thread while abuse goes on; counts the answers."""

    url: str
    interval: float = 0.2
    ok: int = 0
    failed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> HealthProber:
        self._thread = threading.Thread(target=self._probe, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=REQUEST_GUARD_SECONDS)

    def _probe(self) -> None:
        with httpx.Client(timeout=10) as client:  # a fresh connection each time would measure accept()
            while not self._stop.is_set():
                try:
                    status = client.get(f"{self.url}/health").status_code
                    if status == 200:
                        self.ok += 1
                    else:
                        self.failed += 1
                        self.errors[str(status)] += 1
                except httpx.HTTPError as error:
                    self.failed += 1
                    self.errors[type(error).__name__] += 1
                self._stop.wait(self.interval)


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


APP_LEVEL_ATTEMPTS = 6  # when the client itself gives up (its retries exhausted), the emitter re-emits


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


class HttpxEmitter(threading.Thread):
    """A plain emitter without client-side retries of its own: posts each event, and on a 503 (or no answer)
    waits Retry-After and posts it again. Records every answer, so that tests can check each refusal."""

    def __init__(
        self, url: str, events: list[dict[str, Any]], *, timeout: float = 10.0, hold_after: int | None = None
    ) -> None:
        super().__init__(daemon=True)
        self.url = f"{url}/api/v1/lineage"
        self.events = events
        self.timeout = timeout
        # With `hold_after`, the emitter stops after that many acks until `release` is set: a test puts its
        # fault in place meanwhile, so the next post meets the fault however fast the machine is.
        self.hold_after = hold_after
        self.holding = threading.Event()
        self.release = threading.Event()
        self.acknowledged: list[dict[str, Any]] = []
        self.ack_times: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.unavailable: list[tuple[float, httpx.Response]] = []  # (when, the 503)
        self.no_answer: Counter[str] = Counter()  # connection errors and timeouts, by type
        self.unexpected: list[tuple[int, str]] = []  # any other answer (a 500 above all)

    def run(self) -> None:
        with httpx.Client(timeout=self.timeout, headers={"Authorization": f"Bearer {INGEST_KEY}"}) as client:
            for event in self.events:
                if self.hold_after is not None and len(self.acknowledged) == self.hold_after:
                    self.holding.set()
                    self.release.wait(timeout=300)  # a hang guard: the test releases it at once
                for _ in range(60):
                    try:
                        response = client.post(self.url, json=event)
                    except httpx.HTTPError as error:
                        self.no_answer[type(error).__name__] += 1
                        time.sleep(0.5)
                        continue
                    self.statuses[response.status_code] += 1
                    if response.status_code == 201:
                        self.acknowledged.append(event)
                        self.ack_times.append(time.monotonic())
                        break
                    if response.status_code != 503:
                        self.unexpected.append((response.status_code, response.text))
                        break
                    self.unavailable.append((time.monotonic(), response))
                    time.sleep(min(float(response.headers.get("Retry-After", "1")), 2.0))


def event_stream(runs: int, *, dag: str = "faults_dag") -> list[dict[str, Any]]:
    """START and COMPLETE of `runs` task runs under one DAG run, each reading the previous task's output
    and writing its own (lineage edges, row counts, parent links): every event is distinct."""
    dag_run = str(uuid.uuid4())
    events = []
    for index in range(runs):
        run_id = str(uuid.uuid4())
        parent = {"parent": parent_facet(dag_run, dag)}
        task = f"{dag}.task_{index % 7}"
        inputs = [dataset("postgres://db:5432", f"shop.public.t{index - 1}")] if index else []
        output = {**dataset("postgres://db:5432", f"shop.public.t{index}"), "outputFacets": output_stats(index * 10)}
        events.append(run_event("START", run_id=run_id, job=task, seconds=index, inputs=inputs, run_facets=parent))
        events.append(
            run_event(
                "COMPLETE",
                run_id=run_id,
                job=task,
                seconds=index + 0.5,
                inputs=inputs,
                outputs=[output],
                run_facets=parent,
            )
        )
    return events


def event_key(event: dict[str, Any]) -> tuple[str, str, str]:
    return (event["run"]["runId"], event.get("eventType", ""), event["eventTime"])


def stored_keys(database: Database) -> Counter[tuple[str, str, str]]:
    """How many times each event (run id, type, time) is in flowlytics_raw_event."""

    def read(session: Any) -> Counter[tuple[str, str, str]]:
        payloads = session.execute(select(RawEvent.payload)).scalars()
        return Counter(event_key(orjson.loads(payload)) for payload in payloads)

    return database.read(read)


def canonical(document: Any) -> str:
    return json.dumps(document, sort_keys=True)


def stored_documents(database: Database) -> Counter[str]:
    """The stored events, each as canonical JSON, with how often each is stored."""
    payloads = database.read(lambda session: list(session.execute(select(RawEvent.payload)).scalars()))
    return Counter(canonical(orjson.loads(payload)) for payload in payloads)


def reference_snapshot(db_url: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """What an in-order ingestion of `events`, one request each, into a fresh database derives."""
    database = Database.from_url(db_url)
    try:
        upgrade(database.engine)
        for event in events:
            parsed = parse_event(event)
            database.run(lambda session, e=parsed: store_events([e], session=session, received_at=_now()))
        return database.read(snapshot)
    finally:
        database.engine.dispose()


def _now() -> datetime:
    return datetime.now(timezone.utc)
