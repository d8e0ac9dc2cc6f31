"""`flowlytics db clean`: old runs and raw events go, in chunks; lineage and recent runs stay."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lineage_backend.db import Database
from lineage_backend.ingest.bulk import store_events
from lineage_backend.ingest.parse import parse_event
from lineage_backend.services.retention import clean, parse_age
from lineage_backend.store.models import LineageEdge, RawEvent, Run, RunDataset
from tests.lineage_backend.events import dataset, output_stats, run_event


def ingest_at(database: Database, when: datetime, count: int) -> None:
    events = []
    for i in range(count):
        event = run_event(
            "COMPLETE",
            run_id=str(uuid.uuid4()),
            job=f"job{i % 3}",
            outputs=[{**dataset("pg", f"t{i % 4}"), "outputFacets": output_stats(i)}],
        )
        event["eventTime"] = when.isoformat()
        events.append(parse_event(event))
    database.run(lambda session: store_events(events, session=session, received_at=when))


def total(database: Database, model: type) -> int:
    return database.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def test_clean_deletes_old_runs_and_events_in_chunks_and_keeps_lineage(database: Database) -> None:
    now = datetime.now(timezone.utc)
    ingest_at(database, now - timedelta(days=120), 25)
    ingest_at(database, now - timedelta(days=1), 5)
    edges = total(database, LineageEdge)
    assert clean(database, timedelta(days=90), dry_run=True).runs == 25 and total(database, Run) == 30
    report = clean(database, timedelta(days=90), chunk_size=7)
    assert (report.runs, report.raw_events) == (25, 25)
    assert total(database, Run) == 5 and total(database, RawEvent) == 5 and total(database, RunDataset) == 5
    assert total(database, LineageEdge) == edges


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("30m", timedelta(minutes=30)),
    ],
)
def test_ages(text: str, expected: timedelta) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["90", "0d", "ninety days", "-5d"])
def test_bad_ages(text: str) -> None:
    with pytest.raises(ValueError, match="90d"):
        parse_age(text)


def test_cli(sqlite_database: Database, tmp_path: Path) -> None:
    ingest_at(sqlite_database, datetime.now(timezone.utc) - timedelta(days=200), 3)
    url = sqlite_database.engine.url.render_as_string()
    run = [sys.executable, "-m", "lineage_backend.cli", "db", "clean", "--db-url", url]
    result = subprocess.run([*run, "--older-than", "90d"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "deleted 3 runs and 3 raw events" in result.stdout
    bad = subprocess.run([*run, "--older-than", "soon"], capture_output=True, text=True)
    assert bad.returncode != 0 and "90d" in bad.stderr
