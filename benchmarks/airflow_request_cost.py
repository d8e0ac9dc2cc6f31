"""What one request costs in CPU inside Airflow's API server, route by route, and where it goes (issue 13).

    .venv/bin/python benchmarks/airflow_request_cost.py                      # SQLite, 1 worker
    .venv/bin/python benchmarks/airflow_request_cost.py --py-spy /path/to/py-spy

The same Airflow as airflow_ingest_benchmark.py (a real `airflow api-server` with the plugin, configured by
scripts/airflow_env.sh), then one client, back to back on one keep-alive connection, for `--seconds` per route:

- `airflow version`: `GET /api/v2/version`, Airflow's own cheapest authenticated route (the floor of
  Airflow's stack: its middlewares, routing, JSON);
- `plugin health`: `GET /flowlytics/health` (the plugin's sub-app through Airflow's stack, one `SELECT 1`);
- `plugin 401`: `POST /flowlytics/api/v1/lineage` without a key (the plugin's stack and its auth, no ingest);
- `plugin read`: `GET /flowlytics/api/v1/runs?limit=10` with the admin's JWT (Airflow's auth manager asked
  which DAGs the user may read, then one page of runs);
- `single`: `POST /flowlytics/api/v1/lineage` with the ingest key (one event of the ingest_benchmark stream);
- the same against `flowlytics serve` with one worker on a database of the same kind (`--skip-standalone`
  to leave it out).

CPU-ms per request of the server's process tree (utime + stime from /proc over the window) less its idle CPU
over an equal window before. With `--py-spy`, the server is also sampled while each of `--profile-routes` runs
(py-spy record, raw collapsed stacks, `--subprocesses --gil`: only the thread holding the GIL, i.e. where
Python's CPU goes), and the top frames by own and by inclusive samples are printed. py-spy is a profiling
tool, not a dependency: install it anywhere (`pip install --target /tmp/x py-spy`).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from airflow_ingest_benchmark import TICK_MS, idle_cpu, started_airflow  # noqa: E402
from benchlib import EventStream, PostgresCluster, tree_ticks  # noqa: E402
from benchlib import _proc_stat as proc_stat  # noqa: E402
from ingest_benchmark import API_KEY, Databases, Server  # noqa: E402


@dataclass
class RouteCost:
    server: str
    route: str
    requests: int
    requests_per_s: float
    cpu_ms_per_request: float
    idle_cpu_ms_per_s: float
    net_cpu_ms_per_request: float
    system_share: float  # of the CPU, the kernel's (sockets, the self-pipe of thread hops, fsync)
    statuses: str


def system_ticks(root: int) -> int:
    """stime of the server process and its direct children (uvicorn's workers)."""
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := proc_stat(entry.name)) is not None and int(fields[1]) == root:
            pids.append(int(entry.name))
    return sum(int(fields[12]) for pid in pids if (fields := proc_stat(pid)) is not None)


def run_route(
    base_url: str, server_pid: int, route: str, seconds: float, token: str | None, *, prefix: str = "/flowlytics"
) -> RouteCost:
    """One client, back to back, for `seconds`; the server tree's CPU over the same window."""
    import httpx

    stream = EventStream(seed=4242).events()
    key = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    idle = idle_cpu(server_pid, min(seconds, 5.0))
    statuses: collections.Counter[int] = collections.Counter()
    with httpx.Client(base_url=base_url, timeout=60) as client:

        def once() -> int:
            if route == "airflow version":
                return client.get("/api/v2/version", headers={"Authorization": f"Bearer {token}"}).status_code
            if route == "plugin health":
                return client.get(prefix + "/health").status_code
            if route == "plugin 401":
                return client.post(
                    prefix + "/api/v1/lineage",
                    content=next(stream).encode(),
                    headers={"Content-Type": "application/json"},
                ).status_code
            if route == "plugin read":  # an Airflow user (JWT): the auth manager decides which DAGs they see
                return client.get(
                    prefix + "/api/v1/runs", params={"limit": 10}, headers={"Authorization": f"Bearer {token}"}
                ).status_code
            if route == "single":
                return client.post(prefix + "/api/v1/lineage", content=next(stream).encode(), headers=key).status_code
            raise ValueError(route)

        for _ in range(20):  # warm: connection, caches, the route's first-use imports
            once()
        ticks0, sys0, began, count = tree_ticks([server_pid]), system_ticks(server_pid), time.monotonic(), 0
        while time.monotonic() - began < seconds:
            statuses[once()] += 1
            count += 1
        elapsed, ticks = time.monotonic() - began, tree_ticks([server_pid]) - ticks0
        system = (system_ticks(server_pid) - sys0) * TICK_MS
    cpu = ticks * TICK_MS
    return RouteCost(
        server="",
        route=route,
        requests=count,
        requests_per_s=count / elapsed,
        cpu_ms_per_request=cpu / count,
        idle_cpu_ms_per_s=idle,
        net_cpu_ms_per_request=(cpu - idle * elapsed) / count,
        system_share=system / cpu if cpu else float("nan"),
        statuses=",".join(f"{code}x{n}" for code, n in sorted(statuses.items())),
    )


def summarise_profile(raw: Path, top: int) -> str:
    """Top frames of py-spy's collapsed stacks, by own samples and by inclusive samples (a frame counted
    once per stack)."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if not frame.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total} samples", "", "own:"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "inclusive:"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(top * 2)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0, help="window per route")
    parser.add_argument("--routes", default="airflow version,plugin health,plugin 401,plugin read,single")
    parser.add_argument("--skip-standalone", action="store_true")
    parser.add_argument(
        "--py-spy", type=Path, help="a py-spy binary: sample the server while each of --profile-routes runs"
    )
    parser.add_argument("--profile-routes", default="single,plugin 401", help="routes to sample, comma-separated")
    parser.add_argument("--profile-seconds", type=float, default=20.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, help="folder for the profile and the JSON figures")
    args = parser.parse_args(argv)
    routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    out = args.out or Path(tempfile.mkdtemp(prefix="flowlytics-request-cost-"))
    out.mkdir(parents=True, exist_ok=True)

    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-request-cost-work-"))
    pg = PostgresCluster().start() if args.db == "postgresql" else None
    costs: list[RouteCost] = []
    loads = [os.getloadavg()]
    try:
        with started_airflow(workdir, pg, args.workers) as (airflow, token):
            for route in routes:
                cost = run_route(airflow.base_url, airflow.pid, route, args.seconds, token)
                cost.server = "airflow api-server"
                costs.append(cost)
                print(f"airflow {route}: {cost.net_cpu_ms_per_request:.2f} net CPU-ms/request", flush=True)
            for profile_route in filter(None, args.profile_routes.split(",")) if args.py_spy else ():
                raw = out / f"airflow-{profile_route.strip().replace(' ', '-')}.txt"
                spy = subprocess.Popen(
                    [
                        *(str(args.py_spy), "record", "--pid", str(airflow.pid), "--subprocesses"),
                        *("--gil", "--format", "raw", "--rate", "250", "--nonblocking"),
                        *("--duration", str(int(args.profile_seconds)), "--output", str(raw)),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(1.0)
                run_route(airflow.base_url, airflow.pid, profile_route.strip(), args.profile_seconds - 2, token)
                spy.wait(timeout=120)
                print(f"\nprofile of {profile_route} inside Airflow ({raw}):")
                print(summarise_profile(raw, args.top), flush=True)
        loads.append(os.getloadavg())
        if not args.skip_standalone:
            dbs = Databases(workdir, pg)
            url = dbs.fresh(args.db, "flowlytics")
            with Server("flowlytics", url, args.workers, workdir) as server:
                assert server.pid is not None
                for route in ("plugin 401", "single"):
                    if route not in routes:
                        continue
                    cost = run_route(server.url, server.pid, route, args.seconds, None, prefix="")
                    cost.server = "flowlytics serve"
                    costs.append(cost)
                    print(f"standalone {route}: {cost.net_cpu_ms_per_request:.2f} net CPU-ms/request", flush=True)
        loads.append(os.getloadavg())
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    load = [" ".join(f"{v:.2f}" for v in sample) for sample in loads]
    print(f"\ndb={args.db} workers={args.workers} window={args.seconds}s load average: {' / '.join(load)}\n")
    print(
        "| server | route | requests | requests/s | CPU-ms/request | idle CPU-ms/s | net CPU-ms/request "
        "| of it system | statuses |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for c in costs:
        print(
            f"| {c.server} | {c.route} | {c.requests} | {c.requests_per_s:.0f} | {c.cpu_ms_per_request:.2f} "
            f"| {c.idle_cpu_ms_per_s:.0f} | {c.net_cpu_ms_per_request:.2f} | {c.system_share:.0%} | {c.statuses} |"
        )
    (out / "costs.json").write_text(json.dumps({"costs": [asdict(c) for c in costs], "load": load}, indent=2))
    print(f"\nfigures in {out / 'costs.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
