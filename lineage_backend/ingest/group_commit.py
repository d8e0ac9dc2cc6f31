"""Group commit: the single-event posts that one process receives at the same time share one transaction.

Each post's thread (FastAPI runs the sync ingest in its threadpool) queues its parsed event. When no group
is being written, the thread leads: it takes everything queued (its own event included) and stores it as
one set, in one transaction, with one flush. Events that arrive meanwhile wait for that commit and then
form the next group, led by the first of them. So:
- every post is answered only after the commit that holds its event ("2xx only after commit");
- nobody waits on a timer: a lone client's event is written at once (the added latency is zero, the
  "window" is exactly the time the previous group takes to commit);
- under load, the statements and the commit of a group are shared by all its events.

An event the projection cannot take does not fail its neighbours: when a group fails with anything but a
retriable outage or lock contention (those fail every event of the group alike, with the same 503 each
would have got alone), each event is stored again on its own, and only the failing one gets the error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lineage_backend.db import is_contention, is_unavailable
from lineage_backend.ingest.parse import ParsedEvent
from lineage_backend.ingest.projection import IngestOutcome

log = logging.getLogger(__name__)

# Most events in one group; the rest wait for the next one (bounds one transaction's size and locks).
MAX_GROUP_EVENTS = 200

StoreFunction = Callable[[Sequence[ParsedEvent]], list[IngestOutcome]]


@dataclass(eq=False)
class _Pending:
    event: ParsedEvent
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    outcome: IngestOutcome | None = None
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, store: StoreFunction, *, max_events: int = MAX_GROUP_EVENTS) -> None:
        self._store = store
        self._max_events = max_events
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._writing = False
        self.groups_written = 0  # for tests and benchmarks: how many transactions the posts took
        self.events_written = 0

    @property
    def queued(self) -> int:
        """Events waiting for the group being written (for tests and benchmarks)."""
        return len(self._queue)

    def submit(self, event: ParsedEvent) -> IngestOutcome:
        """Store one event; returns once the transaction holding it has committed (or raises its error)."""
        pending = _Pending(event)
        with self._lock:
            self._queue.append(pending)
            if not self._writing:
                self._writing = pending.lead = True
        if not pending.lead:
            pending.wake.wait()
        if pending.lead:
            self._write_next_group()
            pending.wake.wait()  # set by the group that held this event (the one just written)
        if pending.error is not None:
            raise pending.error
        assert pending.outcome is not None
        return pending.outcome

    def _write_next_group(self) -> None:
        with self._lock:
            group, self._queue = self._queue[: self._max_events], self._queue[self._max_events :]
        try:
            self._write(group)
        finally:
            with self._lock:
                self.groups_written += 1
                self.events_written += len(group)
                successor = self._queue[0] if self._queue else None
                if successor is None:
                    self._writing = False
                else:
                    successor.lead = True  # the first waiter writes the next group
            for pending in group:
                pending.wake.set()
            if successor is not None and successor not in group:
                successor.wake.set()

    def _write(self, group: list[_Pending]) -> None:
        try:
            outcomes = self._store([pending.event for pending in group])
        except BaseException as error:
            if len(group) == 1 or is_contention(error) or is_unavailable(error) or not isinstance(error, Exception):
                for pending in group:
                    pending.error = error
                return
            log.warning("a group of %s events failed (%s); storing them one by one", len(group), error)
            for pending in group:
                try:
                    pending.outcome = self._store([pending.event])[0]
                except BaseException as single_error:
                    pending.error = single_error
            return
        for pending, outcome in zip(group, outcomes, strict=True):
            pending.outcome = outcome
