"""What the deferred rollup recount costs per ingested event, by statement, in one process without HTTP (issue 11).

    .venv/bin/python benchmarks/rollup_flush_profile.py                              # PostgreSQL, the defaults
    .venv/bin/python benchmarks/rollup_flush_profile.py --db sqlite --per 200 --limit 500
    .venv/bin/python benchmarks/rollup_flush_profile.py --cprofile                   # and the Python hot spots

`--per` events of the benchmark's workload (benchlib.EventStream, as ingest_benchmark.py posts them) are ingested
in 100-event batches with the rollup marks on, then recounted as the API process's thread does
(`RollupMaintainer.flush_once` until no full batch is left, `--limit` runs per transaction), `--rounds` times
after one warm-up round, on one fresh database. Prints the recount's CPU per event (this process plus
PostgreSQL's backends), the part that is this process (Python, and SQLite's engine, which runs in it), and the
driver wall time of each statement per event. `--per` stands for the events ingested during one flush interval
(the server's rate times `rollup_flush_seconds`).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))


def main(argv: list[str] | None = None) -> int:
    from benchlib import EventStream, PostgresCluster, tree_ticks
    from sqlalchemy import event

    from lineage_backend.analytics.cost import CostRates
    from lineage_backend.db import Database
    from lineage_backend.ingest.rollup_worker import RollupMaintainer
    from lineage_backend.ingest.rollups import FLUSH_LIMIT
    from lineage_backend.ingest.service import ingest_batch
    from lineage_backend.store.migrate import upgrade

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--per", type=int, default=3000, help="events ingested between two recounts")
    parser.add_argument("--limit", type=int, default=FLUSH_LIMIT, help="runs per recount transaction")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--cprofile", action="store_true", help="also print the recount's Python hot spots")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-flushprof-"))
    pg = PostgresCluster().start() if args.db == "postgresql" else None
    try:
        if pg is not None:
            pg.execute("CREATE DATABASE flushprof")
            url = pg.url("flushprof")
        else:
            url = f"sqlite:///{workdir / 'flushprof.db'}"
        database = Database.from_url(url)
        upgrade(database.engine)
        maintainer = RollupMaintainer(database, cost_rates=CostRates(), batch=args.limit)
        statements: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        started: dict[int, float] = {}
        measuring = False

        @event.listens_for(database.engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            started[id(cursor)] = time.perf_counter()

        @event.listens_for(database.engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            began = started.pop(id(cursor), None)
            if measuring and began is not None:
                entry = statements[" ".join(statement.split())[:100]]
                entry[0] += 1
                entry[1] += time.perf_counter() - began

        ticks = os.sysconf("SC_CLK_TCK")
        postmaster = [pg.postmaster_pid()] if pg is not None else []

        def cpu() -> float:
            return time.process_time() + (tree_ticks(postmaster) / ticks if postmaster else 0.0)

        profile = cProfile.Profile()
        stream = EventStream(seed=11).events()
        events = runs = 0
        ingest_cpu = flush_cpu = flush_python = flush_wall = 0.0
        for round_ in range(args.rounds + 1):
            docs = [orjson.loads(next(stream)) for _ in range(args.per)]
            began = cpu()
            for start in range(0, len(docs), 100):
                ingest_batch(database, docs[start : start + 100], max_events=10_000, rollups=True)
            counted = round_ > 0  # the first round warms caches and connections
            if counted:
                ingest_cpu += cpu() - began
                events += len(docs)
            measuring = counted
            if counted and args.cprofile:
                profile.enable()
            began, python0, wall0 = cpu(), time.process_time(), time.perf_counter()
            while True:
                claimed = maintainer.flush_once()
                runs += claimed if counted else 0
                if claimed < maintainer.batch:
                    break
            if counted:
                profile.disable()
                flush_cpu += cpu() - began
                flush_python += time.process_time() - python0
                flush_wall += time.perf_counter() - wall0
            measuring = False
        per_event = 1e6 / events
        print(
            f"{args.db}: {events} events, {runs} runs recounted, {args.per} events per recount, "
            f"{args.limit} runs per transaction\n"
            f"ingest CPU per event {ingest_cpu * per_event:.0f} µs; "
            f"recount CPU per event {flush_cpu * per_event:.0f} µs "
            f"(this process {flush_python * per_event:.0f} µs), wall {flush_wall * per_event:.0f} µs"
        )
        total = sum(wall for _, wall in statements.values())
        print(f"\nstatements' driver wall per event: {total * per_event:.1f} µs\n")
        print("| µs per event | calls | statement |\n|---:|---:|---|")
        for text, (calls, wall) in sorted(statements.items(), key=lambda item: -item[1][1])[:12]:
            print(f"| {wall * per_event:.1f} | {calls:.0f} | `{text}` |")
        if args.cprofile:
            print()
            pstats.Stats(profile).sort_stats("tottime").print_stats(20)
        database.engine.dispose()
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
