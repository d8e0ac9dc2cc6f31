"""What the alert loop does per evaluated run, and what `observe()` costs on the request path (issue 12).

    .venv/bin/python benchmarks/detection_profile.py --db sqlite
    .venv/bin/python benchmarks/detection_profile.py --db sqlite,postgresql --cprofile
    .venv/bin/python benchmarks/detection_profile.py --code dd68129   # lineage_backend/ as committed there

Same workload as ingest_benchmark.py (benchlib.EventStream), one process, no HTTP, rollups off (as the
benchmark's `detection` variant). A history is ingested and evaluated first (so that baselines exist), then
`--chunks` chunks of `--chunk` events are ingested and their terminal runs evaluated by
`AlertEngine.evaluate_queued` (no CPU budget: the full cost). Counts, per evaluated run: statements (read and
write), write transactions (commits), the time the loop held the write lock (from BEGIN to COMMIT of its write
transactions), the rows it inserted per table; and CPU per run. `observe()` is timed on single events and on
100-event batches as ingestion hands them over. Counts hold on a loaded machine; times are this process's CPU.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

INSERT_TABLE = re.compile(r"^\s*INSERT\s+INTO\s+\"?(\w+)", re.IGNORECASE)


class Counts:
    """Statements, commits and write-lock time of the alert loop's transactions (this thread's only)."""

    def __init__(self) -> None:
        self.reads = self.writes = self.commits = 0
        self.inserted: Counter[str] = Counter()
        self.lock_seconds = 0.0
        self._began: dict[int, float] = {}
        self.thread = threading.get_ident()
        self.on = False

    def attach(self, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def _mine(self) -> bool:
        return self.on and threading.get_ident() == self.thread

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not self._mine():
            return
        head = statement.lstrip()[:12].upper()
        if head.startswith(("SELECT", "WITH")):
            self.reads += 1
        else:
            if head.startswith("BEGIN IMMED") or head.startswith(("INSERT", "UPDATE", "DELETE")):
                self._began.setdefault(id(conn.connection), time.perf_counter())
            if not head.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")):
                self.writes += 1
            match = INSERT_TABLE.match(statement)
            if match:
                self.inserted[match.group(1)] += 1

    def _commit(self, conn: Any) -> None:
        if not self._mine():
            return
        began = self._began.pop(id(conn.connection), None)
        if began is not None:
            self.commits += 1
            self.lock_seconds += time.perf_counter() - began

    def _rollback(self, conn: Any) -> None:
        if self._mine():
            self._began.pop(id(conn.connection), None)


def measure(db: str, args: argparse.Namespace, workdir: Path, pg: Any) -> dict[str, Any]:
    from benchlib import EventStream

    from lineage_backend.alerting.engine import AlertEngine, EngineSettings
    from lineage_backend.db import Database
    from lineage_backend.ingest.service import ingest_batch
    from lineage_backend.store.migrate import upgrade

    if pg is not None:
        pg.execute("CREATE DATABASE detection_profile")
        url = pg.url("detection_profile")
    else:
        url = f"sqlite:///{workdir / 'detection_profile.db'}"
    database = Database.from_url(url)
    upgrade(database.engine)
    engine = AlertEngine(database, None, EngineSettings())
    stream = EventStream(seed=11).events()

    def ingest(n: int) -> list[Any]:
        docs = [orjson.loads(next(stream)) for _ in range(n)]
        for start in range(0, len(docs), 100):
            ingest_batch(database, docs[start : start + 100], max_events=10_000, rollups=False)
        return docs

    for _ in range(max(1, args.history // 1000)):  # the history: baselines to judge against
        for doc in ingest(min(1000, args.history)):
            engine.observe(doc)
        engine.evaluate_queued()

    def rows() -> dict[str, int]:
        from sqlalchemy import text

        with database.engine.connect() as connection:
            return {
                table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in ("flowlytics_alert_evaluation", "flowlytics_anomaly", "flowlytics_incident")
            }

    postmaster = [pid for pid in [pg.postmaster_pid() if pg is not None else None] if pid]
    ticks = os.sysconf("SC_CLK_TCK")

    def backend_cpu() -> float:
        from benchlib import tree_ticks

        return tree_ticks(postmaster) / ticks if postmaster else 0.0

    rows_before = rows()
    counts = Counts()
    counts.attach(database.engine)
    profiler = cProfile.Profile() if args.cprofile else None
    cpu = backend = evaluated = events = 0.0
    for _ in range(args.chunks):
        docs = ingest(args.chunk)
        events += len(docs)
        for doc in docs:
            engine.observe(doc)
        counts.on = True
        began, backend_began = time.process_time(), backend_cpu()
        if profiler:
            profiler.enable()
        evaluated += engine.evaluate_queued()
        if profiler:
            profiler.disable()
        cpu += time.process_time() - began
        backend += backend_cpu() - backend_began
        counts.on = False
    added = {table: count - rows_before[table] for table, count in rows().items()}

    # observe() as the request path calls it: the parsed document of one event, or of a 100-event batch.
    singles = [orjson.loads(next(stream)) for _ in range(2000)]
    batches = [singles[i : i + 100] for i in range(0, len(singles), 100)]
    observer = AlertEngine(database, None, EngineSettings())
    began = time.perf_counter()
    for doc in singles:
        observer.observe(doc)
    single_us = (time.perf_counter() - began) / len(singles) * 1e6
    began = time.perf_counter()
    for _ in range(5):
        for batch in batches:
            observer.observe(batch)
    batch_us = (time.perf_counter() - began) / (5 * len(batches)) * 1e6
    database.engine.dispose()
    n = max(1.0, evaluated)
    result: dict[str, Any] = {
        "events": events,
        "evaluated": evaluated,
        "reads_per_run": counts.reads / n,
        "writes_per_run": counts.writes / n,
        "commits_per_run": counts.commits / n,
        "lock_ms_per_run": counts.lock_seconds / n * 1000,
        "cpu_ms_per_run": cpu / n * 1000,
        "backend_cpu_ms_per_run": backend / n * 1000,
        "insert_statements_per_run": {table: round(c / n, 3) for table, c in sorted(counts.inserted.items())},
        "rows_added_per_run": {table: round(c / n, 3) for table, c in added.items()},
        "observe_single_us": single_us,
        "observe_batch100_us": batch_us,
    }
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(args.top)
        result["profile"] = text.getvalue()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--history", type=int, default=3000, help="events ingested and evaluated first")
    parser.add_argument("--chunk", type=int, default=400, help="events per measured chunk")
    parser.add_argument("--chunks", type=int, default=3)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--code", metavar="REV", help="measure lineage_backend/ as committed at REV")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-detection-"))
    if args.code:
        from derived_cost import export_code

        export_code(args.code, workdir / "code")
    from benchlib import PostgresCluster

    dbs = args.db.split(",")
    pg = PostgresCluster().start() if "postgresql" in dbs else None
    load0 = os.getloadavg()
    try:
        for db in dbs:
            figures = measure(db, args, workdir, pg if db == "postgresql" else None)
            profile = figures.pop("profile", None)
            print(f"{db}: " + orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode(), flush=True)
            if profile:
                print(profile)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    code = args.code or "working tree"
    print(f"code: {code}; load average before {load0[0]:.2f}, after {os.getloadavg()[0]:.2f} (1 min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
