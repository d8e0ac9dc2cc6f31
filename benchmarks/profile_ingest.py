"""Where ingestion spends its time, without HTTP: `ingest_one` / `ingest_batch` called in one process.

    .venv/bin/python benchmarks/profile_ingest.py --db postgresql --mode single
    .venv/bin/python benchmarks/profile_ingest.py --db postgresql --mode batch --cprofile

Same workload as ingest_benchmark.py, one thread, a fresh database migrated with Alembic (a throwaway
PostgreSQL cluster with default settings, or a SQLite file). Prints:
- events/s and microseconds per event, and what parsing alone costs;
- the SQL statements issued per event, with the time spent in the driver per statement kind;
- with --overhead, what one indexed SELECT costs through SQLAlchemy's Session and on the raw cursor;
- with --parts, wall and CPU time and statements per event of each step (decode, parse, raw insert, id
  resolution, the merges of jobs, datasets, runs and run-datasets, edges, rollups, commit, the alert hand-over);
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
import threading
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


# The steps of one request, as the functions that do them (module, attribute); bulk's are called by name
# from `bulk._project`, so wrapping the module attribute times every call.
PARTS = (
    ("lineage_backend.ingest.service", "parse_event", "parse + validate (ingest/parse.py)"),
    ("lineage_backend.ingest.service", "store_events", "store_events (all of the projection)"),
    ("lineage_backend.ingest.bulk", "_append_raw", "  raw event insert"),
    ("lineage_backend.ingest.bulk", "_ensure", "  job and dataset ids"),
    ("lineage_backend.ingest.bulk", "_merge_jobs", "  jobs: lock, merge facets, update"),
    ("lineage_backend.ingest.bulk", "_merge_datasets", "  datasets: lock, merge facets, update, symlinks"),
    ("lineage_backend.ingest.bulk", "_write_edges", "  lineage and column edges (upserts)"),
    ("lineage_backend.ingest.bulk", "_merge_runs", "  runs: insert, lock, merge, update"),
    ("lineage_backend.ingest.bulk", "_merge_run_datasets", "  run-datasets: insert, lock, merge, update"),
    ("lineage_backend.ingest.bulk", "update_rollups", "  rollups and facts (ingest/rollups.py)"),
)


class Parts:
    """Inclusive wall/CPU time and statements of each wrapped step; statements go to the innermost step."""

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0, 0])
        self.local = threading.local()  # each posting thread's own stack of steps
        self.lock = threading.Lock()
        self.active = False

    @property
    def stack(self) -> list[str]:
        if not hasattr(self.local, "stack"):
            self.local.stack = []
        return self.local.stack

    def wrap(self, label: str, function: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.active:
                return function(*args, **kwargs)
            self.stack.append(label)
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.stack.pop()
                with self.lock:
                    entry = self.totals[label]
                    entry[0] += time.perf_counter() - wall
                    entry[1] += time.thread_time() - cpu
                    entry[2] += 1

        return timed

    def statement(self) -> None:
        if self.active:
            with self.lock:
                self.totals[self.stack[-1] if self.stack else "outside the steps (BEGIN, COMMIT, ...)"][3] += 1

    def install(self) -> None:
        import importlib

        for module_name, attribute, label in PARTS:
            module = importlib.import_module(module_name)
            setattr(module, attribute, self.wrap(label, getattr(module, attribute)))


def table_stats(database: Any) -> dict[str, tuple[int, int, int]]:
    """Cumulative inserts, updates and HOT updates per table; backends report theirs when idle (≤ 10 s)."""
    from sqlalchemy import text

    time.sleep(11)
    rows = database.read(
        lambda session: session.execute(
            text("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables")
        ).all()
    )
    return {name: (int(ins), int(upd), int(hot)) for name, ins, upd, hot in rows}


def baseline_cost(database: Any, docs: list[Any], args: argparse.Namespace, postmaster: list[int]) -> None:
    """What the baseline app does per post, in this process: decode, re-encode, insert the raw JSON, commit."""
    from baseline_app import CREATE_SQL, bench_raw
    from benchlib import tree_ticks
    from sqlalchemy import insert, text

    database.run(lambda session: session.execute(text(CREATE_SQL)))
    bodies = [orjson.dumps(doc) for doc in docs]
    statements = [0]

    @event.listens_for(database.engine, "after_cursor_execute")
    def _count(*_: Any) -> None:
        statements[0] += 1

    def post_single(part: list[bytes]) -> None:
        for body in part:
            payload = orjson.dumps(orjson.loads(body)).decode()
            database.run(lambda session, p=payload: session.execute(insert(bench_raw), [{"payload": p}]))

    ticks = os.sysconf("SC_CLK_TCK")
    server0, cpu0, began = tree_ticks(postmaster), time.process_time(), time.perf_counter()
    if args.mode == "single":
        threads = [
            threading.Thread(target=post_single, args=(bodies[start :: args.threads],)) for start in range(args.threads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for start in range(0, len(bodies), args.batch_size):
            rows = [
                {"payload": orjson.dumps(doc).decode()}
                for doc in orjson.loads(b"[" + b",".join(bodies[start : start + args.batch_size]) + b"]")
            ]
            database.run(lambda session, r=rows: session.execute(insert(bench_raw), r))
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu0
    server = (tree_ticks(postmaster) - server0) / ticks
    event.remove(database.engine, "after_cursor_execute", _count)
    n = len(bodies)
    print(
        f"\nbaseline's unit of work, same {n} events (no HTTP): {wall / n * 1e6:,.0f} us/event wall, "
        f"{cpu / n * 1e6:,.0f} us CPU in this process"
        + (f", {server / n * 1e6:,.0f} us in PostgreSQL" if postmaster else "")
        + f", {statements[0] / n:.2f} statements/event (COMMIT not counted)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--mode", choices=("single", "batch"), default="single")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--warm", type=int, default=300, help="events ingested before measuring")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--threads", type=int, default=1, help="single mode: threads posting at once (their posts share group commits)"
    )
    parser.add_argument(
        "--no-rollups", action="store_true", help="ingest without the run-analytics rollups (their cost: compare)"
    )
    parser.add_argument("--cprofile", action="store_true", help="also profile with cProfile (slows it down)")
    parser.add_argument("--parts", action="store_true", help="also time each step of a request (see PARTS)")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after the warm-up, as a server's graph-index warm-up does (graph/index.py _settle_heap): "
        "full collections then skip the imported modules' objects",
    )
    parser.add_argument(
        "--table-stats",
        action="store_true",
        help="PostgreSQL: rows inserted and updated per event in each table (pg_stat_user_tables; waits 11 s twice)",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also run the same events through the raw-insert baseline's unit of work (baseline_app.py, no HTTP)",
    )
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
        bodies = [next(stream) for _ in range(args.warm + args.events)]
        docs = [orjson.loads(body) for body in bodies]
        # Single posts store the body as received, as the route does.
        body_of = {
            id(doc): body if isinstance(body, bytes) else body.encode() for doc, body in zip(docs, bodies, strict=True)
        }
        parts = Parts()
        if args.parts:
            parts.install()
        warm, docs = docs[: args.warm], docs[args.warm :]
        n = len(docs)

        def ingest(items: list[Any]) -> None:
            if args.mode == "single":

                def post(part: list[Any]) -> None:
                    for doc in part:
                        ingest_one(database, doc, rollups=not args.no_rollups, body=body_of[id(doc)])

                threads = [
                    threading.Thread(target=post, args=(items[start :: args.threads],)) for start in range(args.threads)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            else:
                for start in range(0, len(items), args.batch_size):
                    ingest_batch(
                        database,
                        items[start : start + args.batch_size],
                        max_events=10_000,
                        rollups=not args.no_rollups,
                    )

        ingest(warm)
        if args.gc_freeze:
            import gc

            gc.collect()
            gc.freeze()

        began = time.perf_counter()
        for doc in docs:
            parse_event(doc)
        parse_us = (time.perf_counter() - began) / n * 1e6

        began = time.perf_counter()
        for body in bodies:
            orjson.loads(body)
        decode_us = (time.perf_counter() - began) / len(bodies) * 1e6
        from lineage_backend.alerting.engine import terminal_runs

        began = time.perf_counter()
        for doc in docs:
            terminal_runs(doc)
        observe_us = (time.perf_counter() - began) / n * 1e6

        statements: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

        @event.listens_for(database.engine, "before_cursor_execute")
        def _before(conn: Any, _cursor: Any, _statement: str, *_: Any) -> None:
            conn.info["bench_t"] = time.perf_counter()

        @event.listens_for(database.engine, "after_cursor_execute")
        def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            entry = statements[re.sub(r"\s+", " ", statement)[:80]]
            entry[0] += 1
            entry[1] += time.perf_counter() - conn.info["bench_t"]
            parts.statement()

        half = n // 2
        postmaster = [pid for pid in [pg.postmaster_pid() if pg is not None else None] if pid]
        ticks = os.sysconf("SC_CLK_TCK")
        server0, cpu0 = tree_ticks(postmaster), time.process_time()
        tables_before = table_stats(database) if args.table_stats and pg is not None else {}
        parts.active = args.parts
        began = time.perf_counter()
        ingest(docs[:half])
        total = time.perf_counter() - began
        cpu = time.process_time() - cpu0
        parts.active = False
        if tables_before:
            tables_after = table_stats(database)
            print(f"\n{'table':28} {'inserted':>9} {'updated':>8} {'of which HOT':>12}  (rows per event)")
            for name, (ins, upd, hot) in sorted(tables_after.items()):
                ins0, upd0, hot0 = tables_before.get(name, (0, 0, 0))
                if ins - ins0 or upd - upd0:
                    print(
                        f"{name:28} {(ins - ins0) / half:9.2f} {(upd - upd0) / half:8.2f} {(hot - hot0) / half:12.2f}"
                    )
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

        if args.baseline:
            baseline_cost(database, docs[:half], args, postmaster)

        if args.parts:
            print(f"\nper event, {count} events ({args.mode}); inclusive times (store_events holds the indented steps)")
            print(f"{'wall us':>8} {'CPU us':>8} {'stmts':>6}  step")
            print(f"{decode_us:8.0f} {decode_us:8.0f} {0:6.2f}  JSON decode of the body (orjson.loads, timed apart)")
            for _module, _attribute, label in PARTS:
                wall_s, cpu_s, _calls, stmts = parts.totals.get(label, [0.0, 0.0, 0, 0])
                print(f"{wall_s / count * 1e6:8.0f} {cpu_s / count * 1e6:8.0f} {stmts / count:6.2f}  {label}")
            stored = parts.totals.get(PARTS[1][2], [0.0, 0.0, 0, 0])
            steps = [parts.totals.get(label, [0.0, 0.0, 0, 0]) for _m, _a, label in PARTS[2:]]
            print(
                f"{(stored[0] - sum(s[0] for s in steps)) / count * 1e6:8.0f} "
                f"{(stored[1] - sum(s[1] for s in steps)) / count * 1e6:8.0f} {stored[3] / count:6.2f}  "
                "  the rest of store_events (planning, dedup)"
            )
            outside = parts.totals.get("outside the steps (BEGIN, COMMIT, ...)", [0.0, 0.0, 0, 0])
            rest_wall = total - sum(parts.totals[label][0] for label in (PARTS[0][2], PARTS[1][2]))
            rest_cpu = cpu - sum(parts.totals[label][1] for label in (PARTS[0][2], PARTS[1][2]))
            print(
                f"{rest_wall / count * 1e6:8.0f} {rest_cpu / count * 1e6:8.0f} {outside[3] / count:6.2f}  "
                "transaction (session, BEGIN, COMMIT and its flush) and group commit"
            )
            print(f"{observe_us:8.0f} {observe_us:8.0f} {0:6.2f}  alert hand-over (observe(): terminal_runs)")
            print(f"{total / count * 1e6:8.0f} {cpu / count * 1e6:8.0f} {n_statements / count:6.2f}  total")

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
