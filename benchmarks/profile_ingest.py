"""Where ingestion spends its time, without HTTP: `ingest_one` / `ingest_batch` called in one process.

    .venv/bin/python benchmarks/profile_ingest.py --db postgresql --mode single
    .venv/bin/python benchmarks/profile_ingest.py --db postgresql --mode batch --cprofile

Same workload as ingest_benchmark.py, one thread, a fresh database migrated with Alembic (a throwaway
PostgreSQL cluster with default settings, or a SQLite file). Prints:
- events/s and microseconds per event, and what parsing alone costs;
- the SQL statements issued per event, with the time spent in the driver per statement kind;
- with --overhead, what one indexed SELECT costs through SQLAlchemy's Session and on the raw cursor;
- with --cprofile, the time by package (lineage_backend, sqlalchemy, psycopg, ...) and the top functions.
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
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event

BENCH_DIR = Path(__file__).resolve().parent


def package_of(filename: str) -> str:
    for marker in ("lineage_backend", "sqlalchemy", "psycopg", "orjson", "pydantic"):
        if f"/{marker}/" in filename or f"/{marker}_" in filename:
            return marker
    if filename.startswith("~") or filename.startswith("<built-in"):
        return "builtins (C calls, incl. waiting for the server)"
    return "other (stdlib, ...)"


def by_package(profiler: cProfile.Profile) -> list[tuple[str, float]]:
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[package_of(filename)] += tottime
    return sorted(totals.items(), key=lambda item: -item[1])


def statement_overhead(database: Any, repeat: int = 3000) -> None:
    """The same indexed one-row SELECT: built as a Core statement and run through the Session (as the
    projection does), as text() through the Session, and on the raw DBAPI cursor of the same connection."""
    from sqlalchemy import select, text

    from lineage_backend.store.models import Job

    table = Job.__table__
    session = database.session_factory()
    try:
        key = session.execute(select(table.c.namespace, table.c.name).limit(1)).first()
        if key is None:
            return
        namespace, name = key
        marker = "?" if database.dialect == "sqlite" else "%s"
        cursor = session.connection().connection.dbapi_connection.cursor()
        sql = f"SELECT id FROM flowlytics_job WHERE namespace = {marker} AND name = {marker}"

        def raw() -> object:
            cursor.execute(sql, (namespace, name))
            return cursor.fetchone()

        variants = {
            "Core select() built per call, Session.execute": lambda: session.execute(
                select(table.c.id).where(table.c.namespace == namespace, table.c.name == name)
            ).first(),
            "text(), Session.execute": lambda: session.execute(
                text("SELECT id FROM flowlytics_job WHERE namespace = :ns AND name = :name"),
                {"ns": namespace, "name": name},
            ).first(),
            "raw DBAPI cursor, same connection": raw,
        }
        print(f"\none indexed SELECT by (namespace, name), mean of {repeat}:")
        for label, run in variants.items():
            for _ in range(100):
                run()
            began = time.perf_counter()
            for _ in range(repeat):
                run()
            print(f"  {(time.perf_counter() - began) / repeat * 1e6:6.0f} us  {label}")
    finally:
        session.rollback()
        session.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--mode", choices=("single", "batch"), default="single")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--warm", type=int, default=300, help="events ingested before measuring")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--no-rollups", action="store_true", help="ingest without the run-analytics rollups (their cost: compare)"
    )
    parser.add_argument("--cprofile", action="store_true", help="also profile with cProfile (slows it down)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--overhead", action="store_true", help="also time one SELECT through the Session and on the raw cursor"
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(BENCH_DIR))
    from benchlib import EventStream, PostgresCluster, tree_ticks

    from lineage_backend.db import Database
    from lineage_backend.ingest.parse import parse_event
    from lineage_backend.ingest.service import ingest_batch, ingest_one
    from lineage_backend.store.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-profile-"))
    pg = PostgresCluster().start() if args.db == "postgresql" else None
    try:
        url = pg.url() if pg is not None else f"sqlite:///{workdir / 'profile.db'}"
        database = Database.from_url(url)
        upgrade(database.engine)
        stream = EventStream(seed=7).events()
        docs = [orjson.loads(next(stream)) for _ in range(args.warm + args.events)]
        warm, docs = docs[: args.warm], docs[args.warm :]
        n = len(docs)

        def ingest(items: list[Any]) -> None:
            if args.mode == "single":
                for doc in items:
                    ingest_one(database, doc, rollups=not args.no_rollups)
            else:
                for start in range(0, len(items), args.batch_size):
                    ingest_batch(
                        database,
                        items[start : start + args.batch_size],
                        max_events=10_000,
                        rollups=not args.no_rollups,
                    )

        ingest(warm)

        began = time.perf_counter()
        for doc in docs:
            parse_event(doc)
        parse_us = (time.perf_counter() - began) / n * 1e6

        statements: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

        @event.listens_for(database.engine, "before_cursor_execute")
        def _before(conn: Any, _cursor: Any, _statement: str, *_: Any) -> None:
            conn.info["bench_t"] = time.perf_counter()

        @event.listens_for(database.engine, "after_cursor_execute")
        def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            entry = statements[re.sub(r"\s+", " ", statement)[:80]]
            entry[0] += 1
            entry[1] += time.perf_counter() - conn.info["bench_t"]

        half = n // 2
        postmaster = [pid for pid in [pg.postmaster_pid() if pg is not None else None] if pid]
        ticks = os.sysconf("SC_CLK_TCK")
        server0, cpu0 = tree_ticks(postmaster), time.process_time()
        began = time.perf_counter()
        ingest(docs[:half])
        total = time.perf_counter() - began
        cpu = time.process_time() - cpu0
        server_cpu = (tree_ticks(postmaster) - server0) / ticks
        count = half
        print(
            f"{args.db} {args.mode}: {count / total:,.0f} events/s in one thread, {total / count * 1e6:,.0f} us/event "
            f"wall (parsing alone {parse_us:,.0f} us/event)"
        )
        print(
            f"CPU per event: {cpu / count * 1e6:,.0f} us in this Python process"
            + (f", {server_cpu / count * 1e6:,.0f} us in PostgreSQL" if postmaster else "")
            + " (CPU time is steadier than wall time on a shared machine)"
        )
        n_statements = sum(int(v[0]) for v in statements.values())
        driver = sum(v[1] for v in statements.values())
        print(
            f"{n_statements / count:.1f} SQL statements/event; {driver / count * 1e6:,.0f} us/event inside "
            f"cursor.execute (driver + server round trips), the rest is Python around them and COMMIT"
        )
        print(f"\n{'per event':>9} {'us/stmt':>8} {'us/event':>8}  statement")
        for text, (calls, seconds) in sorted(statements.items(), key=lambda kv: -kv[1][1])[: args.top]:
            print(f"{calls / count:9.2f} {seconds / calls * 1e6:8.0f} {seconds / count * 1e6:8.0f}  {text}")

        if args.overhead:
            statement_overhead(database)

        if args.cprofile:
            event.remove(database.engine, "before_cursor_execute", _before)
            event.remove(database.engine, "after_cursor_execute", _after)
            profiler = cProfile.Profile()
            profiler.enable()
            ingest(docs[half:])
            profiler.disable()
            print("\ncProfile, own time by package (profiling inflates Python-heavy parts):")
            packages = by_package(profiler)
            grand = sum(seconds for _, seconds in packages)
            for name, seconds in packages:
                print(f"  {seconds / grand:6.1%}  {name}")
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
        database.engine.dispose()
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
