"""Batch health benchmark: a 1,000-process batch among 1M runs, through the HTTP API.

    .venv/bin/python benchmarks/batch_benchmark.py [--runs 1000000] [--db postgresql,sqlite] [--requests 60]

Loads generated runs straight into the tables (bulk inserts; going through ingestion would take hours),
starts `flowlytics serve`, and times:
  - the batch page's first view: GET /batches/{id} + GET /batches/{id}/processes (first page of 25),
    for a batch of 1,000 processes;
  - the batch list (GET /batches?limit=50, default 7-day window) over all runs.
Targets (PostgreSQL): first view p95 <= 200 ms; list p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from benchlib import PostgresCluster, free_port, wait_for_http
from sqlalchemy import insert

from lineage_backend.db import Database
from lineage_backend.store.migrate import upgrade
from lineage_backend.store.models import Dataset, Job, Run, RunDataset

KEY = "bench-read-key"
BIG_TASKS = 1000
TASKS_PER_DAG = 10
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _job(i: int, namespace: str, name: str, dag_id: str, parent: int | None, facets: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": i,
        "namespace": namespace,
        "name": name,
        "dag_id": dag_id,
        "parent_job_id": parent,
        "facets": facets,
        "facet_times": {},
        "created_at": NOW,
        "updated_at": NOW,
    }


def _run(
    run_uuid: str,
    job_id: int,
    batch: str,
    parent: str | None,
    start: datetime,
    seconds: float,
    state: str,
    try_number: int | None = None,
    stats: dict[str, int] | None = None,
) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if try_number is not None:
        facets["airflow"] = {
            "taskInstance": {"try_number": try_number, "log_url": f"http://airflow/log?try={try_number}"}
        }
    if stats:
        facets["flowlytics_stats"] = stats
    end = start + timedelta(seconds=seconds)
    return {
        "run_uuid": run_uuid,
        "job_id": job_id,
        "state": state,
        "state_rank": "1",
        "started_at": start,
        "ended_at": end if state != "RUNNING" else None,
        "first_event_at": start,
        "last_event_at": end,
        "sort_time": start,
        "parent_run_uuid": parent,
        "root_run_uuid": None,
        "batch_run_uuid": batch,
        "is_root": parent is None,
        "env_tag": None,
        "error_message": "boom" if state == "FAILED" else None,
        "facets": facets,
        "facet_times": {},
        "event_count": 2,
    }


def load(database: Database, total_runs: int, rng: random.Random) -> str:
    """Returns the id of the 1,000-process batch."""
    jobs: list[dict[str, Any]] = []
    big_dag = 1
    jobs.append(
        _job(
            big_dag,
            "airflow",
            "big_dag",
            "big_dag",
            None,
            {"airflow": {"tasks": {f"t{i:04d}": {} for i in range(BIG_TASKS)}}},
        )
    )
    jobs += [_job(2 + i, "airflow", f"big_dag.t{i:04d}", "big_dag", big_dag, {}) for i in range(BIG_TASKS)]
    per_batch = TASKS_PER_DAG + 1
    batches_needed = max(1, (total_runs - BIG_TASKS - 1) // per_batch)
    n_dags = 200
    next_id = 2 + BIG_TASKS
    dags = []
    for d in range(n_dags):
        dag_id = next_id
        tasks = list(range(dag_id + 1, dag_id + 1 + TASKS_PER_DAG))
        jobs.append(
            _job(
                dag_id,
                "airflow",
                f"dag_{d:03d}",
                f"dag_{d:03d}",
                None,
                {"airflow": {"tasks": {f"task_{t}": {} for t in range(TASKS_PER_DAG)}}},
            )
        )
        jobs += [_job(t, "airflow", f"dag_{d:03d}.task_{k}", f"dag_{d:03d}", dag_id, {}) for k, t in enumerate(tasks)]
        dags.append((dag_id, tasks))
        next_id = dag_id + 1 + TASKS_PER_DAG
    datasets = [
        {
            "id": 1,
            "namespace": "pg",
            "name": "in",
            "facets": {},
            "facet_times": {},
            "created_at": NOW,
            "updated_at": NOW,
        },
        {
            "id": 2,
            "namespace": "pg",
            "name": "out",
            "facets": {},
            "facet_times": {},
            "created_at": NOW,
            "updated_at": NOW,
        },
    ]
    with database.engine.begin() as connection:
        connection.execute(insert(Job.__table__), jobs)
        connection.execute(insert(Dataset.__table__), datasets)

    # The big batch: 1,000 task runs (a few retried, a few failed), each with input and output statistics.
    big = str(uuid.uuid4())
    start = NOW - timedelta(hours=2)
    runs = [_run(big, big_dag, big, None, start, 3600, "RUNNING")]
    links = []
    for i in range(BIG_TASKS):
        run_uuid = str(uuid.uuid4())
        state = "FAILED" if i % 97 == 0 else ("RUNNING" if i % 50 == 1 else "COMPLETED")
        runs.append(
            _run(
                run_uuid,
                2 + i,
                big,
                big,
                start + timedelta(seconds=i),
                rng.uniform(5, 600),
                state,
                try_number=1,
                stats={"rowsInserted": i, "rowsUpdated": i // 2, "dqFailedRows": i % 7},
            )
        )
        links += [
            {
                "run_uuid": run_uuid,
                "dataset_id": 1,
                "direction": "IN",
                "row_count": 1000 + i,
                "facets": {},
                "facet_times": {},
            },
            {
                "run_uuid": run_uuid,
                "dataset_id": 2,
                "direction": "OUT",
                "row_count": 990 + i,
                "facets": {},
                "facet_times": {},
            },
        ]
    _insert_runs(database, runs, links)

    # The rest: DAG runs of 10 tasks spread over 30 days, newest last.
    written = len(runs)
    chunk: list[dict[str, Any]] = []
    for b in range(batches_needed):
        dag_id, tasks = dags[b % n_dags]
        batch = str(uuid.uuid4())
        when = NOW - timedelta(days=30) + timedelta(seconds=b * (30 * 86400 / batches_needed))
        chunk.append(_run(batch, dag_id, batch, None, when, 900, "COMPLETED" if b % 13 else "FAILED"))
        for k, task in enumerate(tasks):
            chunk.append(
                _run(
                    str(uuid.uuid4()),
                    task,
                    batch,
                    batch,
                    when + timedelta(seconds=k * 60),
                    50,
                    "COMPLETED" if (b + k) % 29 else "FAILED",
                    try_number=1,
                )
            )
        if len(chunk) >= 20_000:
            _insert_runs(database, chunk, [])
            written += len(chunk)
            chunk = []
            print(f"  loaded {written:,} runs", flush=True)
    _insert_runs(database, chunk, [])
    return big


def _insert_runs(database: Database, runs: list[dict[str, Any]], links: list[dict[str, Any]]) -> None:
    with database.engine.begin() as connection:
        if runs:
            connection.execute(insert(Run.__table__), runs)
        if links:
            connection.execute(insert(RunDataset.__table__), links)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(base: str, big: str, requests: int, database: Database) -> dict[str, tuple[float, float]]:
    from sqlalchemy import update

    headers = {"Authorization": f"Bearer {KEY}"}
    results: dict[str, list[float]] = {
        "first view (metrics + 1st page)": [],
        "batch list (50, 7 days)": [],
        "processes sorted by rowsWritten desc": [],
        "first view right after the batch changed": [],
    }
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for path in (f"/api/v1/batches/{big}", "/api/v1/batches?limit=50"):  # warm-up
            client.get(path).raise_for_status()
        for _ in range(requests):
            began = time.perf_counter()
            client.get(f"/api/v1/batches/{big}").raise_for_status()
            page = client.get(f"/api/v1/batches/{big}/processes", params={"page_size": 25}).json()
            results["first view (metrics + 1st page)"].append(time.perf_counter() - began)
            assert page["totalCount"] == BIG_TASKS, page["totalCount"]
            began = time.perf_counter()
            client.get("/api/v1/batches", params={"limit": 50}).raise_for_status()
            results["batch list (50, 7 days)"].append(time.perf_counter() - began)
            began = time.perf_counter()
            client.get(
                f"/api/v1/batches/{big}/processes", params={"sort": "rowsWritten", "order": "desc", "page": 3}
            ).raise_for_status()
            results["processes sorted by rowsWritten desc"].append(time.perf_counter() - began)
            # A new event in the batch invalidates the server's cached rows: the worst case a user sees.
            with database.engine.begin() as connection:
                connection.execute(update(Run).where(Run.run_uuid == big).values(event_count=Run.event_count + 1))
            began = time.perf_counter()
            client.get(f"/api/v1/batches/{big}").raise_for_status()
            client.get(f"/api/v1/batches/{big}/processes", params={"page_size": 25}).raise_for_status()
            results["first view right after the batch changed"].append(time.perf_counter() - began)
    return {name: (statistics.median(v) * 1000, percentile(v, 0.95) * 1000) for name, v in results.items()}


def run_cell(db: str, total_runs: int, requests: int) -> dict[str, tuple[float, float]]:
    cluster = None
    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-batch-bench-"))
    if db == "postgresql":
        cluster = PostgresCluster().start()
        url = cluster.url()
    else:
        url = f"sqlite:///{workdir / 'bench.db'}"
    try:
        database = Database.from_url(url)
        upgrade(database.engine)
        began = time.perf_counter()
        big = load(database, total_runs, random.Random(7))
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        print(f"{db}: loaded {total_runs:,} runs in {time.perf_counter() - began:.0f} s", flush=True)
        port = free_port()
        env = {**os.environ, "FLOWLYTICS_READ_API_KEYS": KEY}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lineage_backend.cli",
                "serve",
                "--db-url",
                url,
                "--port",
                str(port),
                "--no-migrate",
            ],
            env=env,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/health")
            return measure(f"http://127.0.0.1:{port}", big, requests, database)
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        if cluster is not None:
            cluster.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--db", default="postgresql,sqlite")
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    targets = {
        "first view (metrics + 1st page)": 200.0,
        "batch list (50, 7 days)": 300.0,
        "first view right after the batch changed": 200.0,
    }
    print(f"batch benchmark: {args.runs:,} runs, a {BIG_TASKS}-process batch, {args.requests} requests per figure")
    rows = []
    for db in args.db.split(","):
        for name, (p50, p95) in run_cell(db, args.runs, args.requests).items():
            target = targets.get(name)
            verdict = "" if target is None or db != "postgresql" else ("met" if p95 <= target else "MISSED")
            rows.append((db, name, p50, p95, f"<= {target:.0f} ms {verdict}" if target else ""))
    print("\n| database | request | p50 ms | p95 ms | target (PostgreSQL) |\n|---|---|---|---|---|")
    for db, name, p50, p95, target in rows:
        print(f"| {db} | {name} | {p50:.1f} | {p95:.1f} | {target} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
