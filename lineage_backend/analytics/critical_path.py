"""The critical path of a DAG run: from the task that finished last, back through the upstream task that
finished last (flightpath's rule), with wait (start - upstream's end) and run time per step, and the slack
of every other finished task (how much later it could have finished without moving the run's end).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TaskAttempt:
    """One try of a task: `key` names the task (its job node id), `run_id` the try's run."""

    key: str
    run_id: str
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class Step:
    key: str
    run_id: str
    started_at: datetime
    ended_at: datetime
    wait_seconds: float
    run_seconds: float
    tries: int


@dataclass(frozen=True)
class CriticalPath:
    total_seconds: float
    steps: list[Step]  # first to last
    # Finished tasks off the path and their slack; tasks that never ended have None.
    others: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class _Task:
    key: str
    run_id: str
    started_at: datetime
    ended_at: datetime
    tries: int


def _collapse(attempts: Iterable[TaskAttempt]) -> tuple[dict[str, _Task], set[str]]:
    """One entry per task: a retried task spans its first try's start to its last try's end."""
    by_key: dict[str, list[TaskAttempt]] = defaultdict(list)
    for attempt in attempts:
        by_key[attempt.key].append(attempt)
    tasks: dict[str, _Task] = {}
    unfinished: set[str] = set()
    for key, tries in by_key.items():
        ended = [a for a in tries if a.ended_at is not None]
        if not ended:
            unfinished.add(key)
            continue
        last = max(ended, key=lambda a: a.ended_at)  # type: ignore[arg-type, return-value]
        assert last.ended_at is not None
        starts = [a.started_at for a in tries if a.started_at is not None]
        started = min(starts) if starts else last.ended_at
        tasks[key] = _Task(key, last.run_id, min(started, last.ended_at), last.ended_at, len(tries))
    return tasks, unfinished


def critical_path(
    attempts: Iterable[TaskAttempt],
    upstream: Mapping[str, Iterable[str]],
    *,
    run_started_at: datetime | None = None,
) -> CriticalPath:
    """Walk back from the last task to finish. `upstream[key]` are the tasks `key` waits for."""
    tasks, unfinished = _collapse(attempts)
    if not tasks:
        return CriticalPath(0.0, [], {key: None for key in sorted(unfinished)})
    current = max(tasks.values(), key=lambda t: (t.ended_at, t.key))
    chain = [current]
    seen = {current.key}
    while True:
        candidates = [tasks[k] for k in upstream.get(current.key, ()) if k in tasks and k not in seen]
        if not candidates:
            break
        current = max(candidates, key=lambda t: (t.ended_at, t.key))
        chain.append(current)
        seen.add(current.key)
    chain.reverse()
    origin = run_started_at if run_started_at is not None and run_started_at <= chain[0].started_at else None
    steps = []
    previous_end = origin
    for task in chain:
        wait = (task.started_at - previous_end).total_seconds() if previous_end is not None else 0.0
        steps.append(
            Step(
                key=task.key,
                run_id=task.run_id,
                started_at=task.started_at,
                ended_at=task.ended_at,
                wait_seconds=max(wait, 0.0),
                run_seconds=(task.ended_at - task.started_at).total_seconds(),
                tries=task.tries,
            )
        )
        previous_end = task.ended_at
    end = chain[-1].ended_at
    total = (end - (origin or chain[0].started_at)).total_seconds()
    slack = _slack(tasks, upstream, end)
    others: dict[str, float | None] = {key: slack[key] for key in sorted(tasks) if key not in seen}
    others.update({key: None for key in sorted(unfinished)})
    return CriticalPath(total, steps, others)


def _slack(tasks: Mapping[str, _Task], upstream: Mapping[str, Iterable[str]], end: datetime) -> dict[str, float]:
    """Latest finish - actual finish, where a task must finish before each downstream task's latest start."""
    downstream: dict[str, set[str]] = defaultdict(set)
    for key, ups in upstream.items():
        for up in ups:
            if up in tasks and key in tasks and up != key:
                downstream[up].add(key)
    latest_finish: dict[str, datetime] = {}

    def finish(key: str, trail: frozenset[str]) -> datetime:
        if key in latest_finish:
            return latest_finish[key]
        result = end
        for down in downstream.get(key, ()):
            if down in trail:  # a cycle in a hand-written graph: ignore the back edge
                continue
            task = tasks[down]
            result = min(result, finish(down, trail | {key}) - (task.ended_at - task.started_at))
        latest_finish[key] = result
        return result

    return {key: max((finish(key, frozenset()) - task.ended_at).total_seconds(), 0.0) for key, task in tasks.items()}


def lineage_upstream(reads: Mapping[str, Iterable[str]], writes: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Task dependencies from lineage inside a batch: a task that reads what another wrote waits for it."""
    writers: dict[str, set[str]] = defaultdict(set)
    for key, datasets in writes.items():
        for dataset in datasets:
            writers[dataset].add(key)
    upstream: dict[str, set[str]] = {}
    for key, datasets in reads.items():
        found = {writer for dataset in datasets for writer in writers.get(dataset, ()) if writer != key}
        if found:
            upstream[key] = found
    return upstream


def graph_upstream(downstream: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Invert a task graph given as `downstream_task_ids` per task."""
    upstream: dict[str, set[str]] = defaultdict(set)
    for key, downs in downstream.items():
        for down in downs:
            upstream[down].add(key)
    return dict(upstream)
