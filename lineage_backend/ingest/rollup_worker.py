"""The rollup recount of one API process: a background thread that works off the runs ingestion marked, and
the read barrier that analytics reads pass first, so that an answer right after an ingest is exact.

Any number of processes (workers, replicas) run it on one database: runs are claimed under a lock
(`flush_pending_rollups`), so each mark is counted once, by whoever claims it first."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection

from lineage_backend.analytics.cost import CostRates
from lineage_backend.db import Database
from lineage_backend.errors import InvalidEventError
from lineage_backend.ingest.parse import normalise_run_id
from lineage_backend.ingest.rollups import FLUSH_LIMIT, any_pending, flush_pending_rollups

log = logging.getLogger(__name__)
# Between two full batches of a backlog: SQLite's single writer goes to ingestion now and then.
BACKLOG_PAUSE_SECONDS = 0.05


class RollupMaintainer:
    def __init__(
        self,
        database: Database,
        *,
        cost_rates: CostRates,
        enabled: bool = True,
        interval_seconds: float = 3.0,
        batch: int = FLUSH_LIMIT,
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError(f"the rollup flush interval must be positive seconds, got {interval_seconds!r}")
        self.database = database
        self.cost_rates = cost_rates
        self.enabled = enabled  # `[flowlytics] analytics_rollups`: off, nothing is marked, flushed or waited for
        self.interval_seconds = interval_seconds
        self.batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="flowlytics-rollups", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            claimed = 0
            try:
                claimed = self.flush_once()
            except Exception:
                log.exception("recounting marked runs into the rollups failed; retrying")
            # A full batch: more is pending, go on after a short pause; else wait for the next tick.
            self._stop.wait(BACKLOG_PAUSE_SECONDS if claimed >= self.batch else self.interval_seconds)

    def flush_once(self) -> int:
        """One batch of marked runs, skipping those another process holds; a read first, so that an idle
        database sees no write transaction (SQLite has one writer)."""
        if not self.database.read(lambda session: any_pending(session=session)):
            return 0
        return self.database.run(
            lambda session: flush_pending_rollups(session=session, cost_rates=self.cost_rates, limit=self.batch)
        )

    def catch_up(self, run_uuids: Collection[str] | None = None) -> int:
        """The read barrier: recount every marked run (or those of `run_uuids`) before a read of the rollups or
        facts, waiting for runs that another transaction holds (a flush elsewhere, an ingest) rather than
        skipping them. Cheap when nothing is pending (one index probe)."""
        if not self.enabled:
            return 0
        if not self.database.read(lambda session: any_pending(session=session, run_uuids=run_uuids)):
            return 0
        total = 0
        while True:
            claimed = self.database.run(
                lambda session: flush_pending_rollups(
                    session=session, cost_rates=self.cost_rates, limit=self.batch, wait=True, run_uuids=run_uuids
                )
            )
            total += claimed
            if claimed < self.batch:
                return total

    def catch_up_run(self, run_id: str) -> int:
        """The read barrier for one run (its cost on the run's page), given its id as a caller wrote it."""
        try:
            run_uuid = normalise_run_id(run_id, "runId")
        except InvalidEventError:
            return 0  # the read itself says what is wrong with the id
        return self.catch_up([run_uuid])
