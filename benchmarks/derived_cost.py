"""What the derived work costs ingestion, per event, in one process without HTTP (issues 11 and 12).

    .venv/bin/python benchmarks/derived_cost.py --db sqlite,postgresql --mode single,batch
    .venv/bin/python benchmarks/derived_cost.py --code 0390257   # the same for lineage_backend/ at a commit

The same events (benchlib.EventStream, as ingest_benchmark.py posts them) go, chunk by chunk and alternately,
into two fresh databases: one with the run-analytics rollups off, one with them on. A third database gets them
too (not counted), and after each chunk its terminal runs are evaluated for alerts and anomalies as the alert
loop does (`AlertEngine.evaluate_queued`, without the loop's CPU budget: the full cost). CPU time is counted
per part: this process (Python, and SQLite's engine, which runs in it) plus PostgreSQL's backends. Alternating
chunks keeps the load of a shared machine out of the comparison better than separate runs (events/s in
ingest_benchmark.py are its end-to-end check).

Rollups are deferred (ingest marks runs; a thread of the API process recounts them, ingest/rollup_worker.py):
after each chunk the "on" side also recounts what its chunk marked, as that thread does (`flush_once` until
no full batch is left), and that CPU is counted on the "on" side. Code before the deferral (--code) counts in
the ingest transaction and has no flush step.

Reads: `rollups` is the extra CPU per event of ingesting with rollups over without (the recount included);
`detection` is the CPU per event of the evaluation; both also as a share of the bare ingest's CPU (the
targets: at most 10 %). `flush` is the recount's own share of the "on" side.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))


def export_code(rev: str, target: Path) -> None:
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "lineage_backend"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    sys.path.insert(0, str(target))


def measure(db: str, mode: str, args: argparse.Namespace, workdir: Path, pg: Any) -> dict[str, float]:
    from benchlib import EventStream, tree_ticks

    from lineage_backend.alerting.engine import AlertEngine, EngineSettings
    from lineage_backend.db import Database
    from lineage_backend.ingest.service import ingest_batch, ingest_one
    from lineage_backend.store.migrate import upgrade

    ticks = os.sysconf("SC_CLK_TCK")
    databases = {}
    for name in ("bare", "rollups", "detection"):
        tag = f"{db}_{mode}_{name}"
        if pg is not None:
            pg.execute(f"CREATE DATABASE {tag}")
            url = pg.url(tag)
        else:
            url = f"sqlite:///{workdir / (tag + '.db')}"
        database = Database.from_url(url)
        upgrade(database.engine)
        databases[name] = database
    # Detection on a database of its own (rollups off, its ingest not counted): its writes (evaluations,
    # anomalies) would otherwise land in one of the two measured databases and bias it.
    engine = AlertEngine(databases["detection"], None, EngineSettings())
    postmaster = [pid for pid in [pg.postmaster_pid() if pg is not None else None] if pid]

    def cpu() -> float:
        return time.process_time() + (tree_ticks(postmaster) / ticks if postmaster else 0.0)

    try:
        from lineage_backend.analytics.cost import CostRates
        from lineage_backend.ingest.rollup_worker import RollupMaintainer

        maintainer: Any = RollupMaintainer(databases["rollups"], cost_rates=CostRates())
    except ImportError:  # code from before the deferral: it counts inside the ingest transaction
        maintainer = None

    def flush() -> None:
        if maintainer is not None:
            while maintainer.flush_once() >= maintainer.batch:
                pass

    def ingest(database: Database, docs: list[Any], rollups: bool) -> None:
        kwargs: dict[str, Any] = {} if args.code else {"rollups": rollups}
        if mode == "single":
            for doc in docs:
                ingest_one(database, doc, **kwargs)
        else:
            for start in range(0, len(docs), args.batch_size):
                ingest_batch(database, docs[start : start + args.batch_size], max_events=10_000, **kwargs)

    stream = EventStream(seed=11).events()
    spent = {"bare": 0.0, "rollups": 0.0, "detection": 0.0, "flush": 0.0}
    events = evaluated = 0
    for chunk_index in range(args.chunks + 1):
        docs = [orjson.loads(next(stream)) for _ in range(args.chunk)]
        measured = chunk_index > 0  # the first chunk warms caches and connections
        order = ("bare", "rollups") if chunk_index % 2 else ("rollups", "bare")
        for name in order:
            if name == "bare" and args.code:
                continue  # older code has no switch: its ingest always maintains the rollups
            began = cpu()
            ingest(databases[name], docs, rollups=name == "rollups")
            if name == "rollups":
                flushing = cpu()
                flush()  # what the rollup thread does with this chunk's marks
                if measured:
                    spent["flush"] += cpu() - flushing
            if measured:
                spent[name] += cpu() - began
        ingest(databases["detection"], docs, rollups=False)
        for doc in docs:
            engine.observe(doc)
        began = cpu()
        done = engine.evaluate_queued()
        if measured:
            spent["detection"] += cpu() - began
            evaluated += done
            events += len(docs)
    for database in databases.values():
        database.engine.dispose()
    return {name: seconds / events * 1e6 for name, seconds in spent.items()} | {
        "events": events,
        "evaluated": evaluated,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--mode", default="single,batch")
    parser.add_argument("--chunk", type=int, default=200, help="events per chunk (alternating databases)")
    parser.add_argument("--chunks", type=int, default=6, help="measured chunks (after one warm-up chunk)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--code", metavar="REV", help="measure lineage_backend/ as committed at REV")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-derived-"))
    if args.code:
        export_code(args.code, workdir / "code")
    from benchlib import PostgresCluster

    dbs, modes = args.db.split(","), args.mode.split(",")
    pg = PostgresCluster().start() if "postgresql" in dbs else None
    load0 = os.getloadavg()
    rows = []
    try:
        for db in dbs:
            for mode in modes:
                figures = measure(db, mode, args, workdir, pg if db == "postgresql" else None)
                rows.append((db, mode, figures))
                print(f"{db} {mode}: {figures}", flush=True)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    load1 = os.getloadavg()
    code = args.code or "working tree"
    print(f"\ncode: {code}; load average before {load0[0]:.2f}, after {load1[0]:.2f} (1 min)")
    print("\nCPU µs per event (this process + PostgreSQL backends); shares of the bare ingest's CPU:\n")
    print("| db | mode | events | ingest, rollups off | ingest, rollups on | rollups | of which flush | detection |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for db, mode, f in rows:
        bare, on, detection = f["bare"], f["rollups"], f["detection"]
        if args.code:
            print(
                f"| {db} | {mode} | {f['events']:.0f} | - | {on:,.0f} | - | - "
                f"| {detection:,.0f} ({f['evaluated']:.0f}) |"
            )
            continue
        print(
            f"| {db} | {mode} | {f['events']:.0f} | {bare:,.0f} | {on:,.0f} | {on - bare:+,.0f} "
            f"({(on - bare) / bare:+.0%}) | {f['flush']:,.0f} | {detection:,.0f} ({detection / bare:.0%}; "
            f"{f['evaluated']:.0f} runs) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
