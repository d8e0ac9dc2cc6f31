"""Statements and commits per single-post event, with N threads posting at once (no HTTP, SQLite file).

    .venv/bin/python benchmarks/group_commit_counts.py --threads 4 --events 100

Counts, not times, so the figures hold on a loaded machine. Same workload as ingest_benchmark.py.
With --code REV-style comparisons, put an exported `lineage_backend/` first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--events", type=int, default=100, help="events per thread")
    parser.add_argument("--warm", type=int, default=300, help="events ingested before counting")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(BENCH_DIR))
    from benchlib import EventStream

    from lineage_backend.db import Database
    from lineage_backend.ingest import service
    from lineage_backend.store.migrate import upgrade

    database = Database.from_url(f"sqlite:///{tempfile.mkdtemp(prefix='flowlytics-groups-')}/groups.db")
    upgrade(database.engine)
    stream = EventStream(seed=7).events()
    for _ in range(args.warm):
        service.ingest_one(database, orjson.loads(next(stream)))
    docs = [orjson.loads(next(stream)) for _ in range(args.threads * args.events)]
    counts = {"statements": 0, "commits": 0}

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def commit(*_: Any) -> None:
        counts["commits"] += 1

    event.listen(database.engine, "before_cursor_execute", statement)
    event.listen(database.engine, "commit", commit)
    committer = getattr(service, "group_commit_for", None)  # absent before group commit
    groups_before = committer(database).groups_written if committer else 0

    def post(mine: list[Any]) -> None:
        for doc in mine:
            service.ingest_one(database, doc)

    threads = [threading.Thread(target=post, args=(docs[i :: args.threads],)) for i in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    n = len(docs)
    line = f"threads={args.threads} events={n} statements/event={counts['statements'] / n:.2f}"
    line += f" commits/event={counts['commits'] / n:.2f}"
    if committer:
        groups = committer(database).groups_written - groups_before
        line += f" transactions={groups} events/transaction={n / groups:.2f}"
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
