"""Group commit of single posts and the id cache, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text

from lineage_backend.db import Database
from lineage_backend.ingest.group_commit import GroupCommit
from lineage_backend.ingest.id_cache import forget
from lineage_backend.ingest.parse import ParsedEvent, parse_event
from lineage_backend.ingest.projection import IngestOutcome
from lineage_backend.ingest.service import group_commit_for, ingest_one, store
from lineage_backend.store.models import Job, RawEvent, Run
from tests.lineage_backend.events import dataset, parent_facet, run_event

JOB_FACETS = {"jobType": {"processingType": "BATCH", "integration": "AIRFLOW", "jobType": "TASK"}}


def _stored_hashes(database: Database) -> set[str]:
    return set(database.read(lambda s: list(s.execute(select(RawEvent.event_hash)).scalars())))


@contextmanager
def _statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def test_concurrent_posts_share_transactions_and_each_returns_after_its_commit(database: Database) -> None:
    events = [
        run_event(
            "START", job=f"dag.task_{i % 5}", seconds=i, outputs=[dataset("db", f"t{i % 3}")], job_facets=JOB_FACETS
        )
        for i in range(60)
    ]
    release = threading.Barrier(12)
    not_visible_at_return: list[str] = []
    errors: list[BaseException] = []
    committer = group_commit_for(database)
    groups_before = committer.groups_written

    def post(mine: list[dict[str, object]]) -> None:
        try:
            release.wait()
            for document in mine:
                ingest_one(database, document)
                digest = parse_event(document).event_hash
                # Read from another session: the commit holding the event happened before the return.
                found = database.read(
                    lambda s, digest=digest: s.execute(
                        select(func.count()).where(RawEvent.event_hash == digest)
                    ).scalar_one()
                )
                if found != 1:
                    not_visible_at_return.append(digest)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=post, args=(events[i::12],)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and not not_visible_at_return
    assert _stored_hashes(database) == {parse_event(e).event_hash for e in events}
    groups = committer.groups_written - groups_before
    assert 1 <= groups < len(events), "12 concurrent posters never shared a transaction"
    assert database.read(lambda s: s.execute(select(func.count()).select_from(Run)).scalar_one()) == 60


def test_a_lone_post_is_written_at_once_in_a_group_of_its_own(database: Database) -> None:
    committer = group_commit_for(database)
    before_groups, before_events = committer.groups_written, committer.events_written
    for i in range(3):
        assert ingest_one(database, run_event("START", seconds=i)).stored
    assert committer.groups_written - before_groups == 3 and committer.events_written - before_events == 3


def test_an_event_that_fails_does_not_fail_its_neighbours(database: Database) -> None:
    """The group fails; its events are stored one by one and only the bad one gets the error."""
    documents = [run_event("START", job=f"job_{i}", seconds=i) for i in range(8)]
    bad = parse_event(documents[3]).event_hash
    calls: list[int] = []
    entered = threading.Event()
    proceed = threading.Event()

    def store_refusing_bad(events: Sequence[ParsedEvent]) -> list[IngestOutcome]:
        calls.append(len(events))
        if len(calls) == 1:  # hold the first group until the others are queued behind it
            entered.set()
            proceed.wait(timeout=30)
        if any(e.event_hash == bad for e in events):
            raise ValueError("this event cannot be projected")
        return store(database, events)

    committer = GroupCommit(store_refusing_bad)
    results: dict[int, object] = {}

    def post(index: int) -> None:
        try:
            results[index] = committer.submit(parse_event(documents[index]))
        except ValueError as error:
            results[index] = error

    first = threading.Thread(target=post, args=(0,))
    first.start()
    assert entered.wait(timeout=30)
    others = [threading.Thread(target=post, args=(i,)) for i in range(1, 8)]
    for thread in others:
        thread.start()
    while committer.queued < 7:  # all 7 queued behind the held first group
        threading.Event().wait(0.001)
    proceed.set()
    for thread in [first, *others]:
        thread.join(timeout=60)
    assert isinstance(results[3], ValueError)
    assert all(isinstance(results[i], IngestOutcome) and results[i].stored for i in range(8) if i != 3)  # type: ignore[union-attr]
    assert calls[:2] == [1, 7], "the 7 queued posts should have formed one group"
    stored = _stored_hashes(database)
    assert bad not in stored and len(stored) == 7


def test_repeat_posts_of_known_jobs_and_datasets_ask_the_database_nothing_about_them(database: Database) -> None:
    dag_run = "0b4e6e56-0000-4000-8000-000000000001"
    first = run_event(
        "START",
        job="dag.task",
        job_facets=JOB_FACETS,
        inputs=[dataset("db", "src")],
        outputs=[dataset("db", "dst")],
        run_facets={"parent": parent_facet(dag_run, "dag")},
    )
    ingest_one(database, first)
    again = run_event(
        "START",
        job="dag.task",
        seconds=60,
        job_facets=JOB_FACETS,
        inputs=[dataset("db", "src")],
        outputs=[dataset("db", "dst")],
        run_facets={"parent": parent_facet(dag_run, "dag")},
    )
    with _statements(database) as seen:
        assert ingest_one(database, again).stored
    id_lookups = [
        s
        for s in seen
        if s.lstrip().upper().startswith("SELECT")
        and "flowlytics_job.id" in s.split("FROM")[0]
        and "flowlytics_job.namespace" in s.split("FROM")[0]
        and "facets" not in s.split("FROM")[0]
    ]
    dataset_lookups = [
        s for s in seen if "SELECT flowlytics_dataset.namespace, flowlytics_dataset.name, flowlytics_dataset.id" in s
    ]
    parent_links = [s for s in seen if "SET parent_job_id" in s]
    inserts_of_jobs = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO FLOWLYTICS_JOB ")]
    assert not id_lookups and not dataset_lookups and not parent_links and not inserts_of_jobs, seen
    assert database.read(lambda s: s.execute(select(func.count()).select_from(Run)).scalar_one()) == 3


def test_a_stale_cache_after_tables_were_emptied_is_noticed_and_nothing_is_misfiled(
    sqlite_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    database = sqlite_database
    ingest_one(database, run_event("START", job="job_a", job_facets=JOB_FACETS))
    with database.engine.begin() as connection:  # behind the cache's back: ids restart at 1
        for table in (
            "flowlytics_run_rollup",
            "flowlytics_run_fact",
            "flowlytics_run_dataset",
            "flowlytics_run",
            "flowlytics_raw_event",
            "flowlytics_job",
        ):
            connection.execute(text(f"DELETE FROM {table}"))
    ingest_one(database, run_event("START", job="job_b", job_facets=JOB_FACETS))  # job_b takes id 1
    with caplog.at_level("WARNING", logger="lineage_backend.ingest.service"):
        ingest_one(database, run_event("START", job="job_a", seconds=5, job_facets={"sql": {"query": "select 1"}}))
    assert "storing again without the id cache" in caplog.text
    jobs = database.read(lambda s: {j.name: (j.id, j.facets) for j in s.execute(select(Job)).scalars()})
    assert set(jobs) == {"job_a", "job_b"} and jobs["job_a"][0] != jobs["job_b"][0]
    assert jobs["job_b"][0] == 1, "the scenario needs job_b to have taken job_a's former id"
    assert "sql" in jobs["job_a"][1] and "sql" not in jobs["job_b"][1]
    runs = database.read(lambda s: sorted(s.execute(select(Run.job_id)).scalars()))
    assert runs == sorted([jobs["job_a"][0], jobs["job_b"][0]])


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    forget()
    yield
    forget()
