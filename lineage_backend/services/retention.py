"""Retention: delete old runs and raw events in small transactions, so ingestion never waits long.

Lineage (jobs, datasets, edges), people's metadata, the audit log and the run-analytics rollups are kept
(a deleted run's facts go with it; what it counted into the rollups stays). A run still queued for its
rollup recount loses its mark with its row (a mark a recount holds is left to it, which drops it on finding
the run gone): nothing is subtracted, what it counted last stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lineage_backend.db import Database
from lineage_backend.store.models import RawEvent, RollupQueue, Run, RunDataset, RunFact

_AGE = re.compile(r"^\s*(\d+)\s*([dhmw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    match = _AGE.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"age {text!r} must be a positive number with a unit: 90d, 12h, 30m or 2w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class CleanReport:
    cutoff: datetime
    runs: int
    raw_events: int


def _delete_runs_chunk(cutoff: datetime, size: int, *, session: Session) -> int:
    # The runs are locked first, in run_uuid order as ingestion and the rollup recount lock them (no
    # deadlock); their facts go after them (a recount holding a run writes its fact before it lets go).
    ids = (
        session.execute(
            select(Run.run_uuid).where(Run.sort_time < cutoff).order_by(Run.run_uuid).limit(size).with_for_update()
        )
        .scalars()
        .all()
    )
    if ids:
        session.execute(delete(RunDataset).where(RunDataset.run_uuid.in_(ids)))
        session.execute(delete(Run).where(Run.run_uuid.in_(ids)))
        session.execute(delete(RunFact).where(RunFact.run_uuid.in_(ids)))
        # Their marks too, but not those a recount holds (PostgreSQL): it locks marks before runs, so waiting
        # here could close a circle with the read barrier; it drops a mark whose run it finds gone.
        marks = select(RollupQueue.run_uuid).where(RollupQueue.run_uuid.in_(ids))
        session.execute(delete(RollupQueue).where(RollupQueue.run_uuid.in_(marks.with_for_update(skip_locked=True))))
    return len(ids)


def _delete_events_chunk(cutoff: datetime, size: int, *, session: Session) -> int:
    ids = session.execute(select(RawEvent.id).where(RawEvent.received_at < cutoff).limit(size)).scalars().all()
    if ids:
        session.execute(delete(RawEvent).where(RawEvent.id.in_(ids)))
    return len(ids)


def clean(database: Database, older_than: timedelta, *, chunk_size: int = 1000, dry_run: bool = False) -> CleanReport:
    cutoff = datetime.now(timezone.utc) - older_than
    if dry_run:
        from sqlalchemy import func

        runs = database.read(lambda s: s.execute(select(func.count()).where(Run.sort_time < cutoff)).scalar_one())
        events = database.read(
            lambda s: s.execute(select(func.count()).where(RawEvent.received_at < cutoff)).scalar_one()
        )
        return CleanReport(cutoff=cutoff, runs=int(runs), raw_events=int(events))
    runs = events = 0
    while deleted := database.run(lambda session: _delete_runs_chunk(cutoff, chunk_size, session=session)):
        runs += deleted
    while deleted := database.run(lambda session: _delete_events_chunk(cutoff, chunk_size, session=session)):
        events += deleted
    return CleanReport(cutoff=cutoff, runs=runs, raw_events=events)
