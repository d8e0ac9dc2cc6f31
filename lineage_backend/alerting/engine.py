"""The background loop of one process: evaluates runs as they are ingested, sweeps for runs nobody evaluated
(a process that died), checks absences on a clock, and delivers the outbox. Any number of processes may run it
on one database: evaluation is claimed per run, incidents are unique per rule and subject, messages are claimed
under a lock with a lease."""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lineage_backend.alerting.delivery import deliver_due
from lineage_backend.alerting.evaluate import (
    EvaluationSettings,
    MetricsCache,
    PreparedRun,
    apply_prepared,
    evaluate_absences,
    evaluate_run,
    node_metadata_of,
    preload,
    prepare_run,
    run_metrics,
    unevaluated_of,
    unevaluated_runs,
)
from lineage_backend.alerting.incidents import OUTBOX_QUEUED, AlertContext
from lineage_backend.anomaly.detector import AnomalyConfig
from lineage_backend.db import Database
from lineage_backend.graph.index import GraphIndex
from lineage_backend.store.models import AlertOutbox, AlertRule, Run

log = logging.getLogger(__name__)
TERMINAL_EVENT_TYPES = ("COMPLETE", "FAIL", "ABORT")
MAX_QUEUED = 100_000  # run ids per queue
IDLE_SECONDS = 1.0  # no body ingested for this long: completed runs are judged without a budget
# The outbox is read when a message this process queued may be due, when a known one falls due, and otherwise
# this often (messages queued elsewhere: another worker's, a user's resolve, a dead sender's expired claim).
OUTBOX_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class EngineSettings:
    tick_seconds: float = 0.5
    # After ingestion wakes the loop, wait this long for more runs: a burst of single-event posts is then
    # evaluated in one pass (a few reads and one write transaction) instead of one pass per event.
    coalesce_seconds: float = 0.2
    # Runs that COMPLETED (anomalies, duration/DQ rules) are judged in at most this share of wall time while
    # ingest goes on, so that sustained ingest keeps its throughput (the backlog is worked off when ingest
    # slows down). Busy time, not this thread's CPU: it also bounds what the database does for the loop
    # (PostgreSQL's backends) and the loop's waits for the GIL and the write lock. Failed and aborted runs are
    # never held back: a FAIL is known at once. None: no limit.
    completed_busy_share: float | None = 0.05
    sweep_seconds: float = 30.0
    clock_seconds: float = 30.0  # SLA deadlines: noticed within this (plus a tick) of passing
    freshness_seconds: float = 300.0  # stale datasets: a scan of recent writes, so less often
    lease: timedelta = timedelta(seconds=60)
    group_wait: timedelta = timedelta(seconds=2)
    smtp_url: str | None = None
    evaluation: EvaluationSettings = field(default_factory=lambda: EvaluationSettings(anomaly=AnomalyConfig()))


def terminal_run_ids(document: Any) -> list[str]:
    """Run ids of the terminal run events in an ingested body (one event or a list), cheaply."""
    return [run_id for run_id, _ in terminal_runs(document)]


def terminal_runs(document: Any) -> list[tuple[str, bool]]:
    """(run id, urgent) of the terminal run events in an ingested body: urgent for FAIL and ABORT."""
    events: Iterable[Any] = document if isinstance(document, list) else [document]
    found = []
    for event in events:
        if isinstance(event, dict) and event.get("eventType") in TERMINAL_EVENT_TYPES:
            run = event.get("run")
            if isinstance(run, dict) and isinstance(run.get("runId"), str):
                found.append((run["runId"].lower(), event["eventType"] != "COMPLETE"))
    return found


class AlertEngine:
    def __init__(self, database: Database, index: GraphIndex | None, settings: EngineSettings) -> None:
        self.database = database
        self.settings = settings
        self.context = AlertContext(index=index, group_wait=settings.group_wait)
        self.worker = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()  # completed runs: judged within a budget
        self._urgent: queue.SimpleQueue[str] = queue.SimpleQueue()  # failed and aborted runs: at once
        self._credit = 0.0  # busy seconds the loop may still spend on completed runs
        self._credit_at: float | None = None
        self._observed_at = float("-inf")  # when ingestion last handed over a body (monotonic)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sweep = self._last_clock = self._last_freshness = 0.0
        self._metrics = MetricsCache()  # runs' metrics for baselines
        # Anomalies judged and not written yet ((run, metric) → direction): the runs judged after them, before
        # the write, must not take them into their baselines either.
        self._unwritten: dict[tuple[str, str], str] = {}
        self._outbox_at = float("-inf")  # monotonic: when deliver() next reads the outbox
        # Busy seconds per completed run as last measured (a moving average): a budgeted pass reads only as many
        # runs as its credit pays for, so that one chunk (cold caches: a baseline read per run) cannot overrun
        # the budget by a second while ingest goes on.
        self._run_cost: float | None = None

    # Called by ingestion after its commit: never blocks, never raises.
    def observe(self, document: Any) -> None:
        try:
            self._observed_at = time.monotonic()
            found = terminal_runs(document)
            for run_id, urgent in found:
                target = self._urgent if urgent else self._queue
                # Bounded: a process whose loop is off (alerts_enabled = false) or far behind must not grow
                # without end; a run left out is found by a running loop's sweep (terminal, not evaluated).
                if target.qsize() < MAX_QUEUED:
                    target.put(run_id)
            if found:  # a body with no terminal event gives the loop nothing to do: no pass for it
                self._wake.set()
        except Exception:
            log.exception("could not queue runs for alert evaluation")

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="flowlytics-alerts", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once(time.monotonic())
            except Exception:
                log.exception("alert loop pass failed; retrying")
            if self._wake.wait(self.settings.tick_seconds) and not self._stop.is_set():
                self._stop.wait(self.settings.coalesce_seconds)
            self._wake.clear()

    def run_once(self, monotonic_now: float) -> None:
        """One pass: queued evaluations, the sweep and the clock when due, then deliveries."""
        budget = self._accrue(monotonic_now)
        self.evaluate_queued(budget=budget)
        # The sweep is for runs no process evaluated (one died): not while this one still has a backlog.
        if monotonic_now - self._last_sweep >= self.settings.sweep_seconds and self._queue.empty():
            self._last_sweep = monotonic_now
            self.sweep()
        if monotonic_now - self._last_clock >= self.settings.clock_seconds:
            self._last_clock = monotonic_now
            freshness = monotonic_now - self._last_freshness >= self.settings.freshness_seconds
            if freshness:
                self._last_freshness = monotonic_now
            self.check_absences(freshness=freshness)
        self.deliver()

    def _accrue(self, monotonic_now: float) -> float | None:
        """The busy seconds this pass may spend on completed runs while ingest goes on (credit accrues with wall
        time, capped at 1 s); None when ingest has been idle for IDLE_SECONDS."""
        share = self.settings.completed_busy_share
        if share is None or monotonic_now - self._observed_at > IDLE_SECONDS:
            self._credit, self._credit_at = 0.0, None
            return None  # no ingest going on: nothing to protect, the backlog goes at full speed
        if self._credit_at is not None:
            self._credit = min(1.0, self._credit + share * (monotonic_now - self._credit_at))
        self._credit_at = monotonic_now
        return self._credit

    def evaluate_queued(self, chunk: int = 200, write_chunk: int = 500, *, budget: float | None = None) -> int:
        """Evaluate what ingestion queued: failed and aborted runs first and all of them, then completed runs,
        within `budget` busy seconds (wall clock) when given (None: all). Baselines are read and runs judged
        without a write lock; then the results of up to `write_chunk` runs are written in one short transaction
        (SQLite has one writer, shared with ingestion: its lock is held for a few statements, not for the
        judging; and one commit for many runs). A run that fails here is retried by the sweep."""
        done = self._evaluate_from(self._urgent, chunk, write_chunk)
        if budget is None:
            # Idle: the backlog at full speed, but only while ingest stays idle; once a body is ingested again
            # the rest waits for the budgeted passes (a pass of a large backlog lasts many seconds).
            began_at = time.monotonic()
            return done + self._evaluate_from(
                self._queue, chunk, write_chunk, resumed=lambda: self._observed_at > began_at
            )
        began = time.perf_counter()
        # Small read chunks, so that a pass stops close to its budget; still one write for the pass.
        done += self._evaluate_from(self._queue, 20, write_chunk, until=began + budget, costed=True)
        self._credit -= time.perf_counter() - began  # an overrun is paid back from the next passes' credit
        return done

    def _evaluate_from(
        self,
        source: queue.SimpleQueue[str],
        chunk: int,
        write_chunk: int,
        *,
        until: float | None = None,
        resumed: Callable[[], bool] | None = None,
        costed: bool = False,
    ) -> int:
        done = 0
        ready: list[PreparedRun] = []
        while (until is None or time.perf_counter() < until) and not (resumed is not None and resumed()):
            size = chunk
            if costed and until is not None:  # as many as the credit left pays for (>= 1; one while unknown)
                left = until - time.perf_counter()
                size = 1 if self._run_cost is None else max(1, min(chunk, int(left / self._run_cost)))
            run_ids: list[str] = []
            while len(run_ids) < size:
                try:
                    run_ids.append(source.get_nowait())
                except queue.Empty:
                    break
            if not run_ids:
                break
            read_began = time.perf_counter()
            try:
                ready += self.database.read(lambda session, ids=run_ids: self._prepare(ids, session=session))  # type: ignore[misc]
            except Exception:
                log.exception("reading %s runs for alerts failed; the sweep will retry them", len(run_ids))
            if costed:
                cost = (time.perf_counter() - read_began) / len(run_ids)
                self._run_cost = cost if self._run_cost is None else 0.7 * self._run_cost + 0.3 * cost
            if len(ready) >= write_chunk:
                done += self._write(ready)
                ready = []
        return done + self._write(ready)

    def _write(self, prepared: list[PreparedRun]) -> int:
        if not prepared:
            return 0
        try:
            return self.database.run(
                self._noting_outbox(
                    lambda session: apply_prepared(
                        prepared, session=session, context=self.context, settings=self.settings.evaluation
                    )
                )
            )
        except Exception:
            log.exception("writing %s runs' alert evaluations failed; the sweep will retry them", len(prepared))
            return 0
        finally:
            for item in prepared:
                for verdict in item.verdicts:
                    self._unwritten.pop((item.run_uuid, verdict.metric), None)

    def _noting_outbox(self, work: Callable[[Session], Any]) -> Callable[[Session], Any]:
        """`work`, and when its transaction queued messages, the outbox is read at the next pass (a message whose
        commit then fails costs one needless read)."""

        def noted(session: Session) -> Any:
            result = work(session)
            if session.info.get(OUTBOX_QUEUED):
                self._outbox_at = float("-inf")
            return result

        return noted

    def _prepare(self, run_ids: list[str], *, session: Session) -> list[PreparedRun]:
        found = []
        unique = list(dict.fromkeys(run_ids))
        held = preload(unique, session=session)  # noqa: F841  (kept referenced: see preload)
        pending = unevaluated_of(unique, session=session)
        metrics = run_metrics(pending, session=session)  # the judged runs' own metrics, in two queries for all
        stored = node_metadata_of(pending, session=session)  # their jobs' and DAGs' metadata, one query
        for run_id in pending:
            run = session.get(Run, run_id)
            if run is not None:  # judged now: its metrics serve the next runs' baselines
                self._metrics.put(run_id, run.event_count, dict(metrics.get(run_id, {})))
            try:
                prepared = prepare_run(
                    run_id,
                    session=session,
                    settings=self.settings.evaluation,
                    checked=True,
                    metrics=metrics.get(run_id, {}),
                    stored=stored,
                    cache=self._metrics,
                    unwritten=self._unwritten,
                )
            except Exception:
                log.exception("reading run %s for alerts failed", run_id)
                continue
            if prepared is not None:
                found.append(prepared)
                for verdict in prepared.verdicts:
                    if verdict.is_anomaly:
                        self._unwritten[(run_id, verdict.metric)] = verdict.direction  # type: ignore[assignment]
        return found

    def evaluate(self, run_id: str) -> bool:
        try:
            return self.database.run(
                self._noting_outbox(
                    lambda session: evaluate_run(
                        run_id, session=session, context=self.context, settings=self.settings.evaluation
                    )
                )
            )
        except Exception:
            log.exception("evaluating run %s for alerts failed", run_id)
            return False

    def sweep(self, since: timedelta = timedelta(days=1)) -> int:
        """Runs no process evaluated (one died before it could): read and judged first, then written in one
        short transaction, as queued runs are."""
        horizon = datetime.now(timezone.utc) - since
        missed = self.database.read(lambda session: unevaluated_runs(session=session, since=horizon))
        found: queue.SimpleQueue[str] = queue.SimpleQueue()
        for run_id in missed:
            found.put(run_id)
        return self._evaluate_from(found, 200, 500)

    def check_absences(self, *, freshness: bool = True, now: datetime | None = None) -> int:
        """SLA and freshness checks, only while a rule asks for them (a read first: no write transaction, which
        SQLite would serialise with ingestion, when there is nothing to check)."""
        moment = now or datetime.now(timezone.utc)
        kinds = self.database.read(
            lambda session: {
                (rule.condition or {}).get("type")
                for rule in session.execute(select(AlertRule).where(AlertRule.enabled.is_(True))).scalars()
            }
        )
        if "sla_missed" not in kinds and not (freshness and "anomaly" in kinds):
            return 0
        return self.database.run(
            self._noting_outbox(
                lambda session: evaluate_absences(
                    session=session,
                    context=self.context,
                    settings=self.settings.evaluation,
                    now=moment,
                    freshness=freshness,
                )
            )
        )

    def deliver(self) -> int:
        """Send what is due. The outbox is read only when something may be due (see OUTBOX_POLL_SECONDS): a
        pass under ingest does not pay a read for an outbox that is empty or holds only later retries."""
        monotonic_now = time.monotonic()
        if monotonic_now < self._outbox_at:
            return 0
        now = datetime.now(timezone.utc)
        soonest = self.database.read(
            lambda session: session.execute(
                select(func.min(AlertOutbox.next_attempt_at)).where(
                    AlertOutbox.delivered_at.is_(None),
                    AlertOutbox.gave_up_at.is_(None),
                    or_(AlertOutbox.claimed_until.is_(None), AlertOutbox.claimed_until < now),
                )
            ).scalar()
        )
        if soonest is not None and soonest.tzinfo is None:
            soonest = soonest.replace(tzinfo=timezone.utc)
        if soonest is None or soonest > now:
            # A read, not a write transaction, when there is nothing to send (SQLite has one writer).
            wait = OUTBOX_POLL_SECONDS if soonest is None else (soonest - now).total_seconds()
            self._outbox_at = monotonic_now + min(OUTBOX_POLL_SECONDS, wait)
            return 0
        self._outbox_at = float("-inf")  # sent now; retries and what came meanwhile: read again next pass
        return deliver_due(
            self.database, worker=self.worker, lease=self.settings.lease, smtp_url=self.settings.smtp_url
        )
