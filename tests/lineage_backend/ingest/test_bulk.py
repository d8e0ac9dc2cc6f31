"""The set-based writes of `ingest/bulk.py`: rows a request creates, and rows it updates in one statement."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lineage_backend.db import Database
from lineage_backend.ingest.service import ingest_batch
from lineage_backend.store.models import Run, RunDataset
from tests.lineage_backend.events import BASE_TIME, dataset, run_event

STATS = {"outputStatistics": {"rowCount": 42, "size": 4096, "fileCount": 3}}


def _output(**io_facets: object) -> dict[str, object]:
    out = dataset("postgres://db", "public.sales")
    out["outputFacets"] = io_facets
    return out


def test_a_run_created_by_a_batch_gets_its_run_dataset_rows_merged(database: Database) -> None:
    run_id = str(uuid.uuid4())
    events = [
        run_event("COMPLETE", run_id=run_id, seconds=60, outputs=[_output(**STATS)]),
        run_event("START", run_id=run_id, seconds=0, outputs=[_output()]),
    ]
    result = ingest_batch(database, events, max_events=10)
    assert result.status == "success"
    rd = RunDataset
    row = database.read(
        lambda s: s.execute(
            select(rd.direction, rd.row_count, rd.bytes, rd.file_count, rd.facets).where(rd.run_uuid == run_id)
        ).one()
    )
    assert tuple(row[:4]) == ("OUT", 42, 4096, 3)
    assert row[4]["outputStatistics"]["rowCount"] == 42


def test_a_later_batch_updates_existing_runs_and_their_run_datasets(database: Database) -> None:
    run_id = str(uuid.uuid4())
    ingest_batch(database, [run_event("START", run_id=run_id, seconds=0, outputs=[_output()])], max_events=10)
    stats = {"outputStatistics": {"rowCount": 7}}
    ingest_batch(
        database, [run_event("COMPLETE", run_id=run_id, seconds=90, outputs=[_output(**stats)])], max_events=10
    )
    state, started, ended, count = database.read(
        lambda s: s.execute(
            select(Run.state, Run.started_at, Run.ended_at, Run.event_count).where(Run.run_uuid == run_id)
        ).one()
    )
    assert (state, started, count) == ("COMPLETED", BASE_TIME, 2)
    assert (ended - BASE_TIME).total_seconds() == 90
    rows = database.read(
        lambda s: s.execute(select(RunDataset.row_count).where(RunDataset.run_uuid == run_id)).scalar_one()
    )
    assert rows == 7


def test_set_based_updates_store_times_as_sqlalchemy_does(database: Database) -> None:
    # On SQLite times are text compared as text: the set-based UPDATE must write SQLAlchemy's own format.
    run_id, inserted_id = str(uuid.uuid4()), str(uuid.uuid4())
    ingest_batch(database, [run_event("START", run_id=run_id, seconds=0.5)], max_events=10)
    ingest_batch(database, [run_event("COMPLETE", run_id=run_id, seconds=30.25)], max_events=10)  # an UPDATE
    ingest_batch(database, [run_event("START", run_id=inserted_id, seconds=0.5)], max_events=10)

    def stored(session: Session, uuid_: str) -> tuple[object, object]:
        row = session.execute(
            text("SELECT started_at, ended_at FROM flowlytics_run WHERE run_uuid = :u"), {"u": uuid_}
        ).one()
        return row[0], row[1]

    updated = database.read(lambda s: stored(s, run_id))
    fresh = database.read(lambda s: stored(s, inserted_id))
    assert type(updated[0]) is type(fresh[0])
    assert str(updated[0]) == str(fresh[0])
    if database.dialect == "sqlite":
        assert updated == ("2024-05-01 12:00:00.500000", "2024-05-01 12:00:30.250000")
