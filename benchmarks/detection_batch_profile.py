"""Where detection's cost goes while batches (or, with --single, single events) are ingested (issue 12's ingest
target), in one process, no HTTP.

    .venv/bin/python benchmarks/detection_batch_profile.py                   # PostgreSQL, 6 rounds of 8 s
    .venv/bin/python benchmarks/detection_batch_profile.py --rounds 8 --seconds 6 --code 741d184
    .venv/bin/python benchmarks/detection_batch_profile.py --single --threads 4   # single-event posts

One process stands for one server worker: `--threads` ingest threads post 100-event batches of the benchmark's
workload (benchlib.EventStream) back to back through `ingest_batch` (rollups off, as the `detection` variant) and
hand each to `AlertEngine.observe`, as the batch route does. Rounds alternate loop off / loop on (the loop started
as the server starts it, default settings, so the 5 % busy-time budget applies), on the same growing database.
Per round: events/s, this process's CPU and PostgreSQL's backends' CPU per event, the ingest threads' own CPU per
event (what the loop costs them indirectly: GIL waits, collections), and for loop-on rounds each part of the loop:
passes, wall (busy) and thread CPU of the queued evaluation, its write transactions, deliver(), the sweep and the
clock. Compare within one run: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))


class Parts:
    """Wall and thread-CPU seconds per wrapped method of one engine, and call counts."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, obj: Any, name: str, label: str | None = None) -> None:
        inner = getattr(obj, name)
        key = label or name

        def timed(*args: Any, **kwargs: Any) -> Any:
            w, c = time.perf_counter(), time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.wall[key] += time.perf_counter() - w
                self.cpu[key] += time.thread_time() - c
                self.calls[key] += 1

        setattr(obj, name, timed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6, help="rounds, alternating loop off / on")
    parser.add_argument("--seconds", type=float, default=8.0, help="per round")
    parser.add_argument("--threads", type=int, default=2, help="ingest threads (concurrent requests per worker)")
    parser.add_argument("--history", type=int, default=4000, help="events ingested (and judged) first")
    parser.add_argument("--code", metavar="REV", help="measure lineage_backend/ as committed at REV")
    parser.add_argument(
        "--single",
        action="store_true",
        help="post one event per call through ingest_one (the single-event route's group commit) instead of "
        "100-event batches",
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-detbatch-"))
    if args.code:
        from derived_cost import export_code

        export_code(args.code, workdir / "code")
    from benchlib import EventStream, PostgresCluster, tree_ticks

    from lineage_backend.alerting.engine import AlertEngine, EngineSettings
    from lineage_backend.db import Database
    from lineage_backend.ingest.service import ingest_batch, ingest_one
    from lineage_backend.store.migrate import upgrade

    pg = PostgresCluster().start()
    load0 = os.getloadavg()
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        pg.execute("CREATE DATABASE detbatch")
        database = Database.from_url(pg.url("detbatch"))
        upgrade(database.engine)
        postmaster = [pid for pid in [pg.postmaster_pid()] if pid]
        streams = [EventStream(seed=21 + i).events() for i in range(args.threads)]

        def body(i: int) -> bytes:
            return ("[" + ",".join(next(streams[i]) for _ in range(100)) + "]").encode()

        warm = AlertEngine(database, None, EngineSettings())
        for _ in range(max(1, args.history // 100)):
            document = orjson.loads(body(0))
            ingest_batch(database, document, max_events=10_000, rollups=False)
            warm.observe(document)
        warm.evaluate_queued()

        rows = []
        for r in range(args.rounds):
            on = r % 2 == 1
            engine = AlertEngine(database, None, EngineSettings())
            parts = Parts()
            for name in ("run_once", "deliver", "sweep", "check_absences", "_write"):
                parts.wrap(engine, name)
            parts.wrap(engine, "_prepare")
            # As in ingest_benchmark's cells (a fresh database per cell), the start-up sweep finds nothing: here
            # the earlier rounds' runs are unevaluated, so the sweep is put 30 s off (it is measured apart).
            engine._last_sweep = time.monotonic()
            if on:
                engine.start()
            # Bodies made before the window: generating them is the clients' work, not the server's.
            if args.single:  # one event per post; enough for the round at well over the expected rate
                per_thread = max(4000, int(args.seconds * 1500))
                bodies = [[next(streams[i]).encode() for _ in range(per_thread)] for i in range(args.threads)]
            else:
                per_thread = max(40, int(args.seconds * 15))
                bodies = [[body(i) for _ in range(per_thread)] for i in range(args.threads)]
            stop = threading.Event()
            counts = [0] * args.threads
            thread_cpu = [0.0] * args.threads

            def ingest(
                i: int,
                bodies: list[list[bytes]] = bodies,
                counts: list[int] = counts,
                thread_cpu: list[float] = thread_cpu,
                engine: AlertEngine = engine,
                stop: threading.Event = stop,
            ) -> None:
                began = time.thread_time()
                for raw in bodies[i]:
                    if stop.is_set():
                        break
                    document = orjson.loads(raw)
                    if args.single:
                        ingest_one(database, document, rollups=False, body=raw)
                        counts[i] += 1
                    else:
                        ingest_batch(database, document, max_events=10_000, rollups=False)
                        counts[i] += len(document)
                    engine.observe(document)
                thread_cpu[i] = time.thread_time() - began

            threads = [threading.Thread(target=ingest, args=(i,)) for i in range(args.threads)]
            w0, c0, b0 = time.perf_counter(), time.process_time(), tree_ticks(postmaster) / ticks
            for thread in threads:
                thread.start()
            timer = threading.Timer(args.seconds, stop.set)
            timer.start()
            for thread in threads:
                thread.join()
            timer.cancel()
            wall = time.perf_counter() - w0
            cpu, backend = time.process_time() - c0, tree_ticks(postmaster) / ticks - b0
            backlog = engine._queue.qsize()
            engine.stop()
            events = sum(counts)
            row = {
                "round": r,
                "loop": "on" if on else "off",
                "events_per_s": events / wall,
                "process_cpu_us": cpu / events * 1e6,
                "backend_cpu_us": backend / events * 1e6,
                "ingest_thread_cpu_us": sum(thread_cpu) / events * 1e6,
                "passes": parts.calls["run_once"],
                "backlog": backlog,
                "parts": {
                    k: {
                        "calls": parts.calls[k],
                        "wall_ms": round(parts.wall[k] * 1e3, 1),
                        "cpu_ms": round(parts.cpu[k] * 1e3, 1),
                    }
                    for k in parts.calls
                },
                "wall_s": wall,
            }
            rows.append(row)
            print(orjson.dumps(row).decode(), flush=True)
        for key in ("events_per_s", "process_cpu_us", "backend_cpu_us", "ingest_thread_cpu_us"):
            off = statistics.mean(r[key] for r in rows if r["loop"] == "off")
            on_ = statistics.mean(r[key] for r in rows if r["loop"] == "on")
            print(f"{key}: off {off:,.1f}  on {on_:,.1f}  change {on_ / off - 1:+.1%}")
        database.engine.dispose()
    finally:
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"code: {args.code or 'working tree'}; load average before {load0[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
