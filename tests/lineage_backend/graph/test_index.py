"""The graph index keeps node details in step with the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from sqlalchemy import select

from lineage_backend.api.schemas import NodeMetadataPatch
from lineage_backend.auth import ADMIN, READ, Principal
from lineage_backend.db import Database
from lineage_backend.graph.details import NodeDetails, dataset_key, job_key, load_details
from lineage_backend.graph.index import GraphIndex, TailCursor
from lineage_backend.ingest.service import ingest_batch, ingest_one
from lineage_backend.services.metadata import patch_node_metadata
from lineage_backend.store.models import Dataset, Job, LineageEdge
from tests.lineage_backend.events import PRODUCER, at, dataset, output_stats, run_event

PG = "postgres://db:5432"
EDITOR = Principal(name="alice", scopes=frozenset({READ, ADMIN}))


def details(database: Database, index: GraphIndex) -> dict[int, NodeDetails]:
    def read(session: Any) -> dict[int, NodeDetails]:
        with index.current(session) as current:
            return dict(current.details)

    return database.read(read)


def key_of(database: Database, model: type[Job] | type[Dataset], name: str) -> int:
    row_id = database.read(lambda s: s.query(model.id).filter(model.name == name).scalar())
    assert row_id is not None, name
    return job_key(row_id) if model is Job else dataset_key(row_id)


def run_pair(job: str, *, seconds: float, outcome: str = "COMPLETE", rows: int = 10, writes: str = "orders") -> list:
    run_id = str(uuid.uuid4())
    output = {**dataset(PG, writes), "outputFacets": output_stats(rows)}
    return [
        run_event("START", run_id=run_id, job=job, seconds=seconds),
        run_event(outcome, run_id=run_id, job=job, seconds=seconds + 5, outputs=[output]),
    ]


def test_details_follow_new_runs_dataset_events_and_edits(database: Database) -> None:
    for event in run_pair("etl.load", seconds=0, rows=100):
        ingest_one(database, event)
    index = GraphIndex(check_interval=0)
    job, orders = key_of(database, Job, "etl.load"), key_of(database, Dataset, "orders")
    first = details(database, index)
    assert first[job].latest_run is not None and first[job].latest_run.state == "COMPLETED"
    assert first[orders].rows_written == 100

    # A newer run fails after writing 5 rows; written straight to the database (as another process would).
    for event in run_pair("etl.load", seconds=100, outcome="FAIL", rows=5):
        ingest_one(database, event)
    now = details(database, index)
    assert now[job].latest_run is not None and now[job].latest_run.state == "FAILED"
    assert now[orders].rows_written == 5
    assert now[orders].latest_run == now[job].latest_run

    # A DatasetEvent names the owner; an edit then sets criticality and replaces the owners.
    ingest_one(
        database,
        {
            "eventTime": at(200),
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": dataset(PG, "orders", ownership={"owners": [{"name": "team:sales"}]}),
        },
    )
    assert details(database, index)[orders].owners == ("team:sales",)
    database.run(
        lambda s: patch_node_metadata(
            f"dataset:{PG}:orders",
            NodeMetadataPatch(owners=["team:finance"], criticality="critical"),
            session=s,
            principal=EDITOR,
        )
    )
    edited = details(database, index)[orders]
    assert (edited.owners, edited.criticality) == (("team:finance",), "critical")


def test_incremental_details_equal_a_fresh_build(database: Database) -> None:
    """Whatever order runs arrive in (late, out of order, across jobs), the details kept up to date by
    cursor are the ones a full rebuild reads."""
    rng = random.Random(7)
    index = GraphIndex(check_interval=0)
    details(database, index)  # built while empty
    events: list[dict[str, Any]] = []
    for i in range(30):
        events += run_pair(
            f"job{rng.randrange(5)}",
            seconds=rng.uniform(0, 1000),
            outcome=rng.choice(["COMPLETE", "FAIL"]),
            rows=i,
            writes=f"table{rng.randrange(4)}",
        )
    rng.shuffle(events)
    for start in range(0, len(events), 7):
        ingest_batch(database, events[start : start + 7], max_events=100)
        kept = details(database, index)
    fresh = database.read(lambda s: load_details(session=s, job_ids=None, dataset_ids=None))
    assert kept == fresh
    assert any(d.latest_run is not None for d in fresh.values())


def test_nodes_created_between_refreshes_are_read_on_demand(database: Database) -> None:
    index = GraphIndex(check_interval=3600)  # never refreshes again after the first read
    details(database, index)
    for event in run_pair("late.job", seconds=0, rows=3, writes="late_table"):
        ingest_one(database, event)
    job = key_of(database, Job, "late.job")

    def read(session: Any) -> dict[int, NodeDetails]:
        with index.current(session) as current:
            return current.details_of([job, job + 2**40], session=session)

    found = database.read(read)
    assert set(found) == {job}  # the unknown key is left out, not an error
    assert found[job].latest_run is not None and found[job].latest_run.state == "COMPLETED"


def test_background_rebuild_keeps_details_refreshed_meanwhile(database: Database) -> None:
    for event in run_pair("etl.load", seconds=0):
        ingest_one(database, event)
    index = GraphIndex(database, check_interval=0, rebuild_interval=0)
    details(database, index)  # builds, then starts a background rebuild on the next read
    for event in run_pair("etl.load", seconds=50, outcome="FAIL"):
        ingest_one(database, event)
    details(database, index)
    deadline = time.monotonic() + 30
    while index._rebuilding is not None and index._rebuilding.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    job = key_of(database, Job, "etl.load")
    kept = details(database, index)[job]
    assert kept.latest_run is not None and kept.latest_run.state == "FAILED"


def test_tail_cursor_reads_rows_that_commit_late() -> None:
    cursor = TailCursor(overlap=10.0)
    cursor.begin(0, [])
    assert cursor.fresh([1, 2, 4]) == [1, 2, 4]
    cursor.settle(now=time.monotonic())
    assert cursor.floor == 0 and cursor.needs_read(4)  # 3 may still commit: keep reading above 0
    assert cursor.fresh([1, 2, 3, 4]) == [3]  # id 3 committed after 4: picked up once
    cursor.settle(now=time.monotonic() + 11)
    assert cursor.floor == 4  # past the overlap, everything up to 4 is settled
    cursor.settle(now=time.monotonic() + 22)
    assert not cursor.needs_read(4) and cursor.needs_read(5)


def test_tail_cursor_after_a_full_read_rereads_only_the_top() -> None:
    cursor = TailCursor(overlap=10.0)
    cursor.begin(10_000, range(1, 10_001), margin=100)
    assert cursor.floor == 9_900
    assert cursor.fresh(range(9_901, 10_001)) == []
    assert cursor.fresh([9_950]) == []
    cursor.settle(now=time.monotonic() + 11)
    assert cursor.floor == 10_000 and not cursor.needs_read(10_000)


def test_warm_up_builds_the_index_before_any_request(database: Database) -> None:
    for event in run_pair("etl.load", seconds=0, rows=7):
        ingest_one(database, event)
    index = GraphIndex(database)
    thread = index.warm_up()
    assert thread is not None
    thread.join(timeout=60)
    job = key_of(database, Job, "etl.load")
    assert job in index.details and index.graph.downstream.get(job)  # built, edges and details, no request yet
    assert GraphIndex().warm_up() is None  # without a database there is nothing to build from


def test_concurrent_writers_lose_nothing_in_the_index(database: Database) -> None:
    """Writers commit out of id order while a reader keeps refreshing: once writes stop and the overlap has
    passed, the index holds every edge and the same details as a fresh build."""
    import threading

    index = GraphIndex(check_interval=0, overlap=0.5)
    details(database, index)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        rng = random.Random(worker)
        try:
            for i in range(12):
                events = run_pair(
                    f"w{worker}.job{rng.randrange(4)}",
                    seconds=rng.uniform(0, 500),
                    outcome=rng.choice(["COMPLETE", "FAIL"]),
                    rows=i,
                    writes=f"t{rng.randrange(6)}_{worker % 2}",
                )
                ingest_batch(database, events, max_events=100)
        except BaseException as error:
            errors.append(error)

    def reader() -> None:
        while not stop.is_set():
            details(database, index)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    assert not errors, errors
    time.sleep(0.6)  # past the overlap: the cursors settle
    kept = details(database, index)
    kept = details(database, index)
    fresh = database.read(lambda s: load_details(session=s, job_ids=None, dataset_ids=None))
    assert kept == fresh and len(fresh) >= 8

    def edges(session: Any) -> set[tuple[int, int]]:
        with index.current(session) as current:
            return {(s, t) for s, targets in current.graph.downstream.items() for t in targets}

    in_index = database.read(edges)
    stored = database.read(
        lambda s: {
            (job_key(j), dataset_key(d)) if direction == "OUT" else (dataset_key(d), job_key(j))
            for j, d, direction in s.execute(select(LineageEdge.job_id, LineageEdge.dataset_id, LineageEdge.direction))
        }
    )
    assert in_index == stored


def test_job_events_refresh_their_job_and_datasets(database: Database) -> None:
    for event in run_pair("etl.load", seconds=0):
        ingest_one(database, event)
    index = GraphIndex(check_interval=0)
    details(database, index)
    ingest_one(
        database,
        {
            "eventTime": at(300),
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
            "job": {
                "namespace": "airflow",
                "name": "etl.load",
                "facets": {"ownership": {"owners": [{"name": "team:etl"}]}},
            },
            "inputs": [],
            "outputs": [dataset(PG, "orders", ownership={"owners": [{"name": "team:sales"}]})],
        },
    )
    now = details(database, index)
    assert now[key_of(database, Job, "etl.load")].owners == ("team:etl",)
    assert now[key_of(database, Dataset, "orders")].owners == ("team:sales",)
