"""Ingest throughput and latency of Flowlytics against a raw-insert baseline on the same server stack.

    .venv/bin/python benchmarks/ingest_benchmark.py --code HEAD   # full matrix, 5-7 minutes
    .venv/bin/python benchmarks/ingest_benchmark.py --quick       # same matrix, short windows (~2 minutes)

Matrix: {sqlite, postgresql} x {single, batch} x {1, 4 clients} x {flowlytics, baseline}, each cell on a
fresh database and a freshly started server (`flowlytics serve`, or benchmarks/baseline_app.py, with the
same uvicorn options and --workers). Clients are separate processes, each with one keep-alive httpx
connection posting back to back (closed loop): a warm-up, then a measuring window in which every request that
starts counts (at least MIN_REQUESTS per client). Throughput is the events acknowledged (2xx) over each
client's measured span, summed; latency is per request (p50/p95). After each cell the stored rows are counted:
none may be lost (acknowledged but not stored); refused events (non-2xx) are reported. The share of the CPU
used by other processes during each window is reported too: this machine is shared.

PostgreSQL: a throwaway cluster started by this script (default, durable settings: fsync and
synchronous_commit on); its log gives the deadlocks per cell. SQLite: a file in a temporary folder (WAL,
synchronous=NORMAL, as lineage_backend.db configures it). Figures and their reading: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from benchlib import ServerProcess, free_port  # noqa: E402

REPO = BENCH_DIR.parent
API_KEY = "bench-ingest-key"
BATCH_SIZE = 100
MIN_REQUESTS = 3  # per client and cell (1 with --quick), even when requests outlast the measuring window

# Targets (PostgreSQL, this 2-core machine), from the benchmark issue.
TARGET_SINGLE_EPS = 1000.0
TARGET_SINGLE_P95_MS = 20.0
TARGET_BATCH_EPS = 5000.0
TARGET_RATIO = 0.5


# The derived work ingest does besides storing the events, switched per Flowlytics cell with --variants:
# run-analytics rollups (in the ingest transaction) and alert/anomaly evaluation (the alert loop's thread).
VARIANTS: dict[str, dict[str, str]] = {
    "bare": {"FLOWLYTICS_ANALYTICS_ROLLUPS": "0", "FLOWLYTICS_ALERTS_ENABLED": "0"},
    "rollups": {"FLOWLYTICS_ANALYTICS_ROLLUPS": "1", "FLOWLYTICS_ALERTS_ENABLED": "0"},
    "detection": {"FLOWLYTICS_ANALYTICS_ROLLUPS": "0", "FLOWLYTICS_ALERTS_ENABLED": "1"},
    "all": {"FLOWLYTICS_ANALYTICS_ROLLUPS": "1", "FLOWLYTICS_ALERTS_ENABLED": "1"},
}
TARGET_DERIVED_DROP = 0.10  # rollups on, detection on: throughput drops by at most this (issues 11, 12)


# --------------------------------------------------------------------------------------------- clients


def client_main(
    index: int,
    url: str,
    mode: str,
    batch_size: int,
    seed: int,
    ready: Any,
    go: Any,
    t0: Any,
    results: Any,
    warmup: float,
    duration: float,
    min_requests: int,
) -> None:
    """One client process: post back to back over one keep-alive connection; report what it measured."""
    import httpx
    from benchlib import EventStream

    stream = EventStream(seed=seed).events()
    path = "/api/v1/lineage" if mode == "single" else "/api/v1/lineage/batch"
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    latencies: list[float] = []
    window_events = 0
    posted = acked = requests = 0
    errors: list[str] = []

    def next_body() -> tuple[bytes, int]:
        if mode == "single":
            return next(stream).encode(), 1
        events = [next(stream) for _ in range(batch_size)]
        return ("[" + ",".join(events) + "]").encode(), batch_size

    # Limits: one connection, kept alive; httpx pools it.
    with httpx.Client(
        base_url=url,
        headers=headers,
        timeout=120.0,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    ) as client:
        body, n = next_body()
        ready.set()
        go.wait()
        start = t0.value
        window_start, window_end = start + warmup, start + warmup + duration
        hard_stop = window_end + 2 * duration
        first_began: float | None = None
        last_ended = 0.0
        everything: list[float] = []  # every request's latency, warm-up included
        while time.monotonic() < start:
            time.sleep(0.001)
        while True:
            began = time.monotonic()
            # Every request that starts in the window counts, and at least `min_requests` of them, so that
            # cells whose requests take longer than the window are still measured.
            if began >= window_end and (len(latencies) >= min_requests or began >= hard_stop):
                break
            try:
                response = client.post(path, content=body)
                ok = response.status_code == (201 if mode == "single" else 200)
                if ok and mode == "batch":
                    ok = orjson.loads(response.content)["summary"]["successful"] == n
                if not ok and len(errors) < 20:
                    errors.append(f"HTTP {response.status_code}: {response.text[:300]}")
            except httpx.HTTPError as error:
                ok = False
                if len(errors) < 20:
                    errors.append(f"{type(error).__name__}: {error}")
            ended = time.monotonic()
            requests += 1
            posted += n
            acked += n if ok else 0
            everything.append(ended - began)
            if began >= window_start:
                first_began = began if first_began is None else first_began
                last_ended = ended
                latencies.append(ended - began)  # failed requests too: their time is part of the story
                window_events += n if ok else 0
            body, n = next_body()
    span = last_ended - first_began if first_began is not None else 0.0
    whole_run = first_began is None and acked > 0
    if whole_run:
        # Not one request started inside the window (each outlasted warm-up, window and hard stop): report the
        # whole run, warm-up included, rather than nothing. The cell is flagged.
        latencies, window_events, span = everything, acked, time.monotonic() - start
    results.put(
        {
            "index": index,
            "latencies": latencies,
            "window_events": window_events,
            "events_per_s": window_events / span if span > 0 else 0.0,
            "span": span,
            "whole_run": whole_run,
            "posted": posted,
            "acked": acked,
            "requests": requests,
            "errors": errors,
        }
    )


class Clients:
    """The client processes of one cell. Spawned while the server starts (they connect on their first post),
    then released together by `measure`."""

    def __init__(
        self,
        url: str,
        mode: str,
        clients: int,
        warmup: float,
        duration: float,
        seed: int,
        batch_size: int,
        min_requests: int,
    ) -> None:
        ctx = mp.get_context("spawn")
        self.warmup, self.duration = warmup, duration
        self.go = ctx.Event()
        self.t0 = ctx.Value("d", 0.0)
        self.results = ctx.Queue()
        self.readies = [ctx.Event() for _ in range(clients)]
        self.procs = [
            ctx.Process(
                target=client_main,
                args=(
                    i,
                    url,
                    mode,
                    batch_size,
                    seed * 100 + i,
                    self.readies[i],
                    self.go,
                    self.t0,
                    self.results,
                    warmup,
                    duration,
                    min_requests,
                ),
                daemon=True,
            )
            for i in range(clients)
        ]
        for proc in self.procs:
            proc.start()

    def measure(self, server_pids: list[int], probe: Any = None) -> dict[str, Any]:
        """Release the clients together; collect their reports and the CPU shares over the window (`probe`: called
        in the middle of the window, its answer is "probe")."""
        procs, readies, go, t0, results = self.procs, self.readies, self.go, self.t0, self.results
        warmup, duration = self.warmup, self.duration
        for ready in readies:
            if not ready.wait(60):
                raise RuntimeError("a client process did not get ready within 60 s")
        t0.value = time.monotonic() + 0.2
        go.set()
        roots = [*server_pids, *(proc.pid for proc in procs if proc.pid is not None)]
        cpu: dict[str, float] = {}
        sampler = threading.Thread(target=sample_cpu, args=(roots, t0.value + warmup, duration, cpu), daemon=True)
        sampler.start()
        probed: list[Any] = []
        prober = threading.Timer(
            max(0.0, t0.value + warmup + duration / 2 - time.monotonic()), lambda: probed.append(probe and probe())
        )
        prober.start()
        reports = [results.get(timeout=warmup + duration + 300) for _ in procs]
        sampler.join(timeout=duration + 5)
        prober.join(timeout=duration + 5)
        for proc in procs:
            proc.join(timeout=30)
        latencies = sorted(lat for report in reports for lat in report["latencies"])
        return {
            # Closed loop: each client's events over its own measured span; the clients' rates add up.
            "events_per_s": sum(report["events_per_s"] for report in reports),
            "p50_ms": percentile(latencies, 50) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000,
            "requests_in_window": len(latencies),
            "posted": sum(r["posted"] for r in reports),
            "acked": sum(r["acked"] for r in reports),
            "errors": [e for r in reports for e in r["errors"]][:10],
            "others_cpu": cpu.get("others", float("nan")),
            "bench_cpu": cpu.get("ours", float("nan")),
            "whole_run": any(r["whole_run"] for r in reports),
            "probe": probed[0] if probed else None,
        }


def connections_by_worker(server_pid: int, port: int) -> list[int]:
    """Established connections to `port` held by each worker process under `server_pid`, most first: with
    several uvicorn workers the kernel hands each keep-alive connection to one of them, and all on one worker
    (e.g. [4, 0]) runs that cell on one core."""
    inodes: dict[int, int] = {}  # socket inode -> worker pid
    workers = [int(c) for c in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()]
    for worker in workers:
        try:
            for fd in Path(f"/proc/{worker}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes[int(target[8:-1])] = worker
        except OSError:
            continue
    workers = sorted(set(inodes.values())) or [server_pid]  # not the resource tracker (no socket); 1 worker: itself
    if workers == [server_pid]:
        inodes = {}
        for fd in Path(f"/proc/{server_pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes[int(target[8:-1])] = server_pid
    counts = dict.fromkeys(workers, 0)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], int(fields[9])
            if local_port == port and state == "01" and inode in inodes:  # 01: ESTABLISHED
                counts[inodes[inode]] += 1
    return sorted(counts.values(), reverse=True)


def sample_cpu(roots: list[int], window_start: float, duration: float, out: dict[str, float]) -> None:
    """CPU shares over the measuring window: this benchmark's processes, and everything else on the machine."""
    from benchlib import machine_ticks, tree_ticks

    time.sleep(max(0.0, window_start - time.monotonic()))
    ours0, (busy0, total0) = tree_ticks(roots), machine_ticks()
    time.sleep(duration)
    ours1, (busy1, total1) = tree_ticks(roots), machine_ticks()
    total = max(1, total1 - total0)
    out["ours"] = (ours1 - ours0) / total
    out["others"] = max(0, (busy1 - busy0) - (ours1 - ours0)) / total


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(pct / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


# --------------------------------------------------------------------------------------------- servers


class Server(ServerProcess):
    """`flowlytics serve` or the baseline app, as a child process of this script."""

    def __init__(
        self, kind: str, db_url: str, workers: int, log_dir: Path, extra_env: dict[str, str] | None = None
    ) -> None:
        port = free_port()
        common = ["--db-url", db_url, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        if kind == "flowlytics":
            argv = [str(Path(sys.executable).parent / "flowlytics"), "serve", *common, "--no-migrate"]
        else:
            argv = [sys.executable, str(BENCH_DIR / "baseline_app.py"), *common]
        env = {
            **os.environ,
            "FLOWLYTICS_INGEST_API_KEYS": API_KEY,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")])),
            **(extra_env or {}),
        }
        super().__init__(argv, env, port, log_dir / f"{kind}-{port}.log")
        self.kind = kind
        self.name = f"{kind} server"


# ------------------------------------------------------------------------------------------- databases


class Databases:
    """A fresh database per cell: migrated as `flowlytics db migrate` does (Flowlytics), or holding only the
    one-column table (baseline)."""

    def __init__(self, workdir: Path, pg: Any | None) -> None:
        self.workdir = workdir
        self.pg = pg
        self.counter = 0

    def fresh(self, db: str, kind: str) -> str:
        from baseline_app import CREATE_SQL
        from sqlalchemy import text

        from lineage_backend.db import make_engine

        self.counter += 1
        name = f"cell{self.counter}_{kind}"
        if db == "sqlite":
            url = f"sqlite:///{self.workdir / f'{name}.db'}"
        else:
            assert self.pg is not None
            self.pg.execute(f"CREATE DATABASE {name}")
            url = self.pg.url(name)
        if kind == "flowlytics":
            from lineage_backend.store.migrate import upgrade

            # What `flowlytics db migrate --db-url URL` does, without starting a process per cell.
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            return url
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text(CREATE_SQL))
        engine.dispose()
        return url

    def drop(self, db: str, url: str) -> None:
        if db == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        else:
            assert self.pg is not None
            self.pg.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def stored_count(url: str, kind: str) -> int:
    from sqlalchemy import text

    from lineage_backend.db import make_engine

    table = "flowlytics_raw_event" if kind == "flowlytics" else "bench_raw"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def drain_rollup_marks(url: str, pids: list[int], timeout: float = 300.0) -> tuple[int, float, float]:
    """Rollups are deferred: when the clients stop, the server's rollup thread may still have marked runs to
    recount. Returns (marked runs left at the end of the window, seconds until the thread had recounted them,
    CPU seconds of the server and PostgreSQL meanwhile); zeros for code without marks."""
    from benchlib import tree_ticks
    from sqlalchemy import text

    from lineage_backend.db import make_engine

    ticks = os.sysconf("SC_CLK_TCK")
    engine = make_engine(url)
    # The queue table (migration 0009); the run column of 0008 for code before it; neither: no marks.
    queries = [
        text("SELECT count(*) FROM flowlytics_rollup_queue"),
        text("SELECT count(*) FROM flowlytics_run WHERE rollup_pending"),
    ]
    try:
        with engine.connect() as connection:
            for query in queries:
                try:
                    backlog = int(connection.execute(query).scalar_one())
                    break
                except Exception:
                    connection.rollback()
            else:  # code from before the deferral
                return 0, 0.0, 0.0
            connection.rollback()
            began, cpu0 = time.monotonic(), tree_ticks(pids)
            left = backlog
            while left and time.monotonic() - began < timeout:
                time.sleep(0.05)
                left = int(connection.execute(query).scalar_one())
                connection.rollback()
            if left:
                raise RuntimeError(f"{left} runs still marked for their rollup recount after {timeout:.0f} s")
            return backlog, (time.monotonic() - began) if backlog else 0.0, (tree_ticks(pids) - cpu0) / ticks
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------------ cells


@dataclass
class Cell:
    db: str
    mode: str
    clients: int
    kind: str
    variant: str = ""  # which derived work ran on ingest (VARIANTS); "" = the server's defaults
    events_per_s: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    requests_in_window: int = 0
    posted: int = 0
    acked: int = 0
    stored: int = 0
    whole_run: bool = False  # some client had no request inside the window: measured over its whole run
    spread: list[int] = field(default_factory=list)  # connections per server worker, mid-window
    deadlocks: int = 0  # PostgreSQL "deadlock detected" errors in this cell's database (each one is retried)
    others_cpu: float = 0.0  # share of the machine's CPU used by other processes during the window
    bench_cpu: float = 0.0  # ... and by this cell's server, clients and PostgreSQL
    # Deferred rollups: marked runs left when the window closed, and the time and CPU the server took after it
    # to recount them (charged to the cell in the derived report's "incl. backlog" columns).
    backlog: int = 0
    drain_s: float = 0.0
    drain_cpu_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Events acknowledged with a 2xx but not stored: must be 0."""
        return self.acked - self.stored

    @property
    def rejected(self) -> int:
        """Events posted but refused (non-2xx, e.g. 503 after exhausting lock-contention retries)."""
        return self.posted - self.acked

    @property
    def lossless(self) -> bool:
        return self.stored == self.acked == self.posted and not self.errors

    def check(self) -> str:
        if self.lossless:
            return "yes"
        parts = [f"stored {self.stored}/acked {self.acked}/posted {self.posted}"]
        if self.lost:
            parts.append(f"{self.lost} LOST")
        if self.rejected:
            parts.append(f"{self.rejected} rejected")
        return "NO: " + ", ".join(parts)


def run_cell(cell: Cell, dbs: Databases, args: argparse.Namespace, log_dir: Path, seed: int) -> None:
    url = dbs.fresh(cell.db, cell.kind)
    try:
        server = Server(cell.kind, url, args.workers, log_dir, VARIANTS.get(cell.variant))
        clients = Clients(
            server.url,
            cell.mode,
            cell.clients,
            args.warmup,
            args.duration,
            seed,
            args.batch_size,
            1 if args.quick else MIN_REQUESTS,
        )
        with server:
            pids = [pid for pid in (server.pid, dbs.pg.postmaster_pid() if dbs.pg else None) if pid]
            server_pid = server.pid
            measured = clients.measure(
                pids, probe=lambda: connections_by_worker(server_pid, server.port) if server_pid else None
            )
            if cell.kind == "flowlytics":
                cell.backlog, cell.drain_s, cell.drain_cpu_s = drain_rollup_marks(url, pids)
        keys = ("events_per_s", "p50_ms", "p95_ms", "requests_in_window", "posted", "acked", "errors")
        for key in (*keys, "others_cpu", "bench_cpu", "whole_run"):
            setattr(cell, key, measured[key])
        cell.spread = measured["probe"] or []
        cell.stored = stored_count(url, cell.kind)
        if cell.db == "postgresql" and dbs.pg is not None:
            cell.deadlocks = dbs.pg.count_log(url.rsplit("/", 1)[1], "deadlock detected")
    finally:
        dbs.drop(cell.db, url)


# ----------------------------------------------------------------------------------------------- report


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of all CPUs busy over a short sample (before the run: other users of this machine)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(1, total1 - total0)


def use_committed_code(rev: str, target: Path) -> None:
    """Export lineage_backend/ at `rev` and import it from there, here and in every child process."""
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "lineage_backend"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    # PYTHONPATH wins over the editable install's finder, which sits at the end of sys.meta_path.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(target))
    os.environ["FLOWLYTICS_BENCH_CODE"] = rev


def code_version() -> str:
    """The commit measured, and whether lineage_backend/ had uncommitted changes."""
    rev = os.environ.get("FLOWLYTICS_BENCH_CODE")
    if rev:
        done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], capture_output=True, text=True)
        return f"{done.stdout.strip() or rev} (lineage_backend/ exported with --code {rev})"
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "lineage_backend"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" + uncommitted changes in lineage_backend/" if dirty else "")


def report(cells: list[Cell], args: argparse.Namespace, elapsed: float, background: float) -> str:
    # The main matrix: Flowlytics as shipped (every derived work on), the last repeat of each cell.
    by_key = {(c.db, c.mode, c.clients, c.kind): c for c in cells if c.variant in ("", "all")}
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        f"code: {code_version()}",
        f"machine: background CPU busy before the run {background:.0%} (1 s sample), load average at the end {load}",
        f"workers={args.workers} batch_size={args.batch_size} warmup={args.warmup}s window={args.duration}s "
        f"cpus={os.cpu_count()} python={platform.python_version()} elapsed={elapsed:.0f}s",
        "",
        "| db | mode | clients | Flowlytics events/s | p50 ms | p95 ms | baseline events/s | p50 ms | p95 ms "
        "| ratio | others' CPU (F / B) | nothing lost or refused |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for db in args.dbs:
        for mode in args.modes:
            for clients in args.clients:
                ours = by_key.get((db, mode, clients, "flowlytics"))
                base = by_key.get((db, mode, clients, "baseline"))
                if ours is None and base is None:
                    continue
                ratio = ours.events_per_s / base.events_per_s if ours and base and base.events_per_s else float("nan")
                check = " ".join(
                    f"{label}{cell.check()}" for label, cell in (("", ours), ("baseline: ", base)) if cell is not None
                )
                if ours is not None and base is not None and base.lossless:
                    check = ours.check()
                lines.append(
                    f"| {db} | {mode} | {clients} | {_figures(ours)} | {_figures(base)} | {ratio:.2f} "
                    f"| {_share(ours)} / {_share(base)} | {check} |"
                )
    if any(c.whole_run for c in cells):
        lines += ["", "\\* requests outlasted the measuring window: figures over the whole run, warm-up included"]
    lines += [
        "",
        "Events per CPU-second of the cell's own processes (server workers, clients, PostgreSQL backends): less "
        "sensitive to other load on the machine than events/s; 2 x this is what 2 unshared cores could do.",
        "",
        "| db | mode | clients | Flowlytics | baseline | ratio |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for db in args.dbs:
        for mode in args.modes:
            for clients in args.clients:
                ours = by_key.get((db, mode, clients, "flowlytics"))
                base = by_key.get((db, mode, clients, "baseline"))
                if ours is None and base is None:
                    continue
                a, b = _per_cpu(ours), _per_cpu(base)
                ratio = f"{a / b:.2f}" if a and b else "-"
                lines.append(f"| {db} | {mode} | {clients} | {a or 0:,.0f} | {b or 0:,.0f} | {ratio} |")
    lines += ["", *targets(by_key)]
    if args.variants:
        lines += ["", *derived_report(cells, args)]
    for cell in cells:
        if cell.errors:
            lines.append(f"errors in {cell.db}/{cell.mode}/{cell.clients}/{cell.kind}: {cell.errors[:3]}")
    return "\n".join(lines)


def derived_report(cells: list[Cell], args: argparse.Namespace) -> list[str]:
    """What rollups and detection cost ingest: each variant against `bare` (both off), same run, means over
    the repeats. Events per CPU-second is the steadier figure on a shared machine."""
    lines = [
        f"Derived work on ingest (means of {args.repeat} interleaved repeat(s); change against `bare`, "
        "both off; target: a drop of at most 10 %):",
        "",
        "| db | mode | clients | variant | events/s | change | events per CPU-s | change | p95 ms "
        "| backlog (runs) | drain s | events per CPU-s incl. backlog | change |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for db in args.dbs:
        for mode in args.modes:
            for clients in args.clients:
                means: dict[str, tuple[float, float, float]] = {}
                backlogs: dict[str, tuple[float, float, float]] = {}
                for variant in args.variants:
                    group = [
                        c
                        for c in cells
                        if (c.db, c.mode, c.clients, c.kind, c.variant) == (db, mode, clients, "flowlytics", variant)
                    ]
                    if not group:
                        continue
                    per_cpu = [v for v in (_per_cpu(c) for c in group) if v]
                    means[variant] = (
                        sum(c.events_per_s for c in group) / len(group),
                        sum(per_cpu) / len(per_cpu) if per_cpu else float("nan"),
                        sum(c.p95_ms for c in group) / len(group),
                    )
                    with_backlog = [v for v in (_per_cpu(c, args.duration) for c in group) if v]
                    backlogs[variant] = (
                        sum(c.backlog for c in group) / len(group),
                        sum(c.drain_s for c in group) / len(group),
                        sum(with_backlog) / len(with_backlog) if with_backlog else float("nan"),
                    )
                bare = means.get("bare")
                bare_backlog = backlogs.get("bare")
                for variant, (eps, cpu, p95) in means.items():
                    backlog, drain, cpu_all = backlogs[variant]
                    change_all = "-"
                    if bare_backlog is not None and variant != "bare" and bare_backlog[2]:
                        change_all = f"{cpu_all / bare_backlog[2] - 1:+.0%}"
                    change_eps = change_cpu = "-"
                    if bare is not None and variant != "bare":
                        change_eps = f"{eps / bare[0] - 1:+.0%}" if bare[0] else "-"
                        change_cpu = f"{cpu / bare[1] - 1:+.0%}" if bare[1] else "-"
                        if variant in ("rollups", "detection") and bare[1]:
                            drop = 1 - cpu / bare[1]
                            verdicts.append(
                                f"- {variant} on, {db} {mode} {clients} client(s): events per CPU-s "
                                f"{-drop:+.0%} (drop <= {TARGET_DERIVED_DROP:.0%}): "
                                + ("MET" if drop <= TARGET_DERIVED_DROP else "NOT MET")
                            )
                    lines.append(
                        f"| {db} | {mode} | {clients} | {variant} | {eps:,.0f} | {change_eps} | {cpu:,.0f} "
                        f"| {change_cpu} | {p95:.1f} | {backlog:,.0f} | {drain:.1f} | {cpu_all:,.0f} | {change_all} |"
                    )
    return [*lines, "", *verdicts]


def _figures(cell: Cell | None) -> str:
    if cell is None:
        return "- | - | -"
    mark = "*" if cell.whole_run else ""
    return f"{cell.events_per_s:,.0f}{mark} | {cell.p50_ms:.1f} | {cell.p95_ms:.1f}"


def _per_cpu(cell: Cell | None, window_s: float | None = None) -> float | None:
    """Events per CPU-second over the window; given the window's length, with the CPU that the recount of the
    rollup backlog left at its end took afterwards added (deferred rollups pay for all of their work)."""
    if cell is None or math.isnan(cell.bench_cpu) or cell.bench_cpu <= 0:
        return None
    window_cpu = cell.bench_cpu * (os.cpu_count() or 1)
    if window_s is None:
        return cell.events_per_s / window_cpu
    return cell.events_per_s * window_s / (window_cpu * window_s + cell.drain_cpu_s)


def _share(cell: Cell | None) -> str:
    return "-" if cell is None or math.isnan(cell.others_cpu) else f"{cell.others_cpu:.0%}"


def targets(by_key: dict[tuple[str, str, int, str], Cell]) -> list[str]:
    out = ["Targets (PostgreSQL):"]

    def verdict(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    single = by_key.get(("postgresql", "single", 4, "flowlytics"))
    if single is not None:
        ok = single.events_per_s >= TARGET_SINGLE_EPS and single.p95_ms <= TARGET_SINGLE_P95_MS
        out.append(
            f"- single posts, 4 clients: {single.events_per_s:,.0f} events/s (>= {TARGET_SINGLE_EPS:,.0f}), "
            f"p95 {single.p95_ms:.1f} ms (<= {TARGET_SINGLE_P95_MS:.0f}): {verdict(ok)}"
        )
    batch = [
        c for (db, mode, _, kind), c in by_key.items() if (db, mode, kind) == ("postgresql", "batch", "flowlytics")
    ]
    if batch:
        best = max(batch, key=lambda c: c.events_per_s)
        out.append(
            f"- batch posts: {best.events_per_s:,.0f} events/s at {best.clients} client(s) "
            f"(>= {TARGET_BATCH_EPS:,.0f}): {verdict(best.events_per_s >= TARGET_BATCH_EPS)}"
        )
    for (db, mode, clients, kind), ours in sorted(by_key.items()):
        if db != "postgresql" or kind != "flowlytics":
            continue
        base = by_key.get((db, mode, clients, "baseline"))
        if base is None or not base.events_per_s:
            continue
        ratio = ours.events_per_s / base.events_per_s
        out.append(
            f"- ratio to raw-insert baseline, {mode}, {clients} client(s): {ratio:.2f} (>= {TARGET_RATIO}): "
            f"{verdict(ratio >= TARGET_RATIO)}"
        )
    deadlocks = {f"{c.mode}/{c.clients}": c.deadlocks for c in by_key.values() if c.deadlocks}
    if deadlocks:
        out.append(f"- PostgreSQL deadlocks (each rolls back and retries a whole transaction): {deadlocks}")
    lost = sum(c.lost for c in by_key.values())
    rejected = sum(c.rejected for c in by_key.values() if c.kind == "flowlytics")
    out.append(f"- nothing lost (stored rows = events acknowledged, every cell): {verdict(lost == 0)}")
    out.append(
        f"- nothing refused (events acknowledged = events posted, every Flowlytics cell): {verdict(rejected == 0)}"
        + (f" ({rejected:,} events refused)" if rejected else "")
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short windows: the whole matrix in < 2 minutes")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers for both servers (default 2)")
    parser.add_argument("--duration", type=float, help="measuring window per cell, s (default 10; quick 2.5)")
    parser.add_argument("--warmup", type=float, help="warm-up per cell, s (default 2; quick 1)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--dbs", default="sqlite,postgresql")
    parser.add_argument("--modes", default="single,batch")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--kinds", default="flowlytics,baseline")
    parser.add_argument(
        "--variants",
        default="",
        help="comma-separated Flowlytics variants measured in the same run, e.g. bare,rollups,detection,all "
        "(rollups and alert/anomaly evaluation off/on; see VARIANTS); default: the server's defaults only",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the Flowlytics variants per cell, interleaved")
    parser.add_argument("--json", type=Path, help="also write the cells as JSON to this file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server and PostgreSQL logs)")
    parser.add_argument(
        "--code",
        metavar="REV",
        help="measure lineage_backend/ as committed at REV (git archive, put first on PYTHONPATH) instead of the "
        "working tree: reproducible figures while others edit the tree, or before/after comparisons",
    )
    args = parser.parse_args(argv)
    args.duration = args.duration or (2.5 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    args.dbs = args.dbs.split(",")
    args.modes = args.modes.split(",")
    args.clients = [int(n) for n in args.clients.split(",")]
    args.kinds = args.kinds.split(",")
    args.variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}: choose from {', '.join(VARIANTS)}")

    sys.path.insert(0, str(BENCH_DIR))
    from benchlib import PostgresCluster

    background = cpu_busy()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-bench-"))
    if args.code:
        use_committed_code(args.code, workdir / "code")
    pg = PostgresCluster().start() if "postgresql" in args.dbs else None
    cells: list[Cell] = []
    try:
        dbs = Databases(workdir, pg)
        for db in args.dbs:
            for mode in args.modes:
                for clients in args.clients:
                    plan = [
                        (kind, variant)
                        for round_ in range(args.repeat)
                        for kind in args.kinds
                        if kind == "flowlytics" or round_ == 0  # the baseline once per cell
                        for variant in ((args.variants or [""]) if kind == "flowlytics" else [""])
                    ]
                    for kind, variant in plan:
                        cell = Cell(db, mode, clients, kind, variant)
                        run_cell(cell, dbs, args, workdir, args.seed)
                        cells.append(cell)
                        print(
                            f"{db:10} {mode:6} clients={clients} {kind:10} {variant:9} "
                            f"{cell.events_per_s:9,.0f} events/s "
                            f"p50 {cell.p50_ms:6.1f} ms  p95 {cell.p95_ms:6.1f} ms  "
                            f"stored/acked/posted {cell.stored}/{cell.acked}/{cell.posted}  "
                            f"CPU: bench {cell.bench_cpu:.0%} others {cell.others_cpu:.0%}  "
                            f"connections per worker {'+'.join(map(str, cell.spread)) or '?'}"
                            + (f"  deadlocks: {cell.deadlocks}" if cell.deadlocks else "")
                            + (f"  errors: {cell.errors[:2]}" if cell.errors else ""),
                            flush=True,
                        )
    finally:
        if pg is not None:
            pg.stop(keep_log_in=workdir if args.keep else None)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(cells, args, time.monotonic() - started, background)
    print()
    print(text)
    if args.json:
        args.json.write_text(orjson.dumps([asdict(c) for c in cells], option=orjson.OPT_INDENT_2).decode())
    return 1 if any(c.lost for c in cells) else 0


if __name__ == "__main__":
    raise SystemExit(main())
