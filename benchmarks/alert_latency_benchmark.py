"""Alert latency: from a FAIL event's acknowledgement (the 201/200 of the ingest request) to the webhook request
arriving at a local receiver, and from an SLA deadline to its message. Real `flowlytics serve`, default alert
settings (2 s group wait so that a DAG run's failed tasks make one message; a 0.5 s loop tick; a 30 s clock).

    .venv/bin/python benchmarks/alert_latency_benchmark.py                 # SQLite, 30 failures, 3 SLA misses
    .venv/bin/python benchmarks/alert_latency_benchmark.py --failures 60 --workers 2

Each failure is a distinct DAG (START, a failed task, the DAG's FAIL, posted as one batch), posted one after the
other; the receiver timestamps each request on arrival. SLA: jobs that succeed now with `sla.maxAgeMinutes = 1`;
the delay is the message's arrival minus (last success + 60 s). Targets (issue 12): p95 <= 5 s; SLA miss
detected within 60 s of its deadline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import ServerProcess, free_port

KEY = "bench-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}
PRODUCER = "https://github.com/flowlytics/benchmarks"


def _event(
    kind: str, run_id: str, job: str, facets: dict[str, Any] | None = None, job_facets: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id, "facets": facets or {}},
        "job": {"namespace": "airflow", "name": job, "facets": job_facets or {}},
        "inputs": [],
        "outputs": [],
    }


def failing_dag_run(dag: str) -> list[dict[str, Any]]:
    dag_run, task_run = str(uuid.uuid4()), str(uuid.uuid4())
    parent = {
        "parent": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json",
            "run": {"runId": dag_run},
            "job": {"namespace": "airflow", "name": dag},
        }
    }
    dag_facets = {"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}}
    task_facets = {"jobType": {"jobType": "TASK", "integration": "AIRFLOW", "processingType": "BATCH"}}
    return [
        _event("START", dag_run, dag, job_facets=dag_facets),
        _event("START", task_run, f"{dag}.load", parent, task_facets),
        _event("FAIL", task_run, f"{dag}.load", parent, task_facets),
        _event("FAIL", dag_run, dag, job_facets=dag_facets),
    ]


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = orjson.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                with receiver.lock:
                    receiver.arrivals.setdefault(f"{body['event']}|{body['subject']}", arrived)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, key: str, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if key in self.arrivals:
                    return self.arrivals[key]
            time.sleep(0.01)
        return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--failures", type=int, default=30)
    parser.add_argument("--sla-jobs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flowlytics-alert-bench-"))
    db_url = args.db_url or f"sqlite:///{work / 'alerts.db'}"
    receiver = Receiver()
    port = free_port()
    env = {**os.environ, "FLOWLYTICS_INGEST_API_KEYS": KEY, "FLOWLYTICS_ADMIN_API_KEYS": KEY}
    argv = [
        str(Path(sys.executable).parent / "flowlytics"),
        "serve",
        "--db-url",
        db_url,
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    with (
        ServerProcess(argv, env, port, work / "server.log") as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        channel = client.post(
            "/api/v1/alerts/channels",
            json={"name": "hook", "type": "webhook", "url": receiver.url, "secret": "s"},
            headers=HEADERS,
        ).json()["id"]
        for name, condition in (("failures", {"type": "run_failed"}), ("sla", {"type": "sla_missed"})):
            client.post(
                "/api/v1/alerts/rules",
                json={"name": name, "condition": condition, "channelIds": [channel]},
                headers=HEADERS,
            ).raise_for_status()

        # SLA jobs first: their deadline passes while the failures are measured.
        deadlines: dict[str, float] = {}
        for i in range(args.sla_jobs):
            run_id, job = str(uuid.uuid4()), f"sla_job_{i}"
            client.post("/api/v1/lineage", json=_event("START", run_id, job), headers=HEADERS).raise_for_status()
            client.post("/api/v1/lineage", json=_event("COMPLETE", run_id, job), headers=HEADERS).raise_for_status()
            done = time.monotonic()
            client.patch(
                f"/api/v1/nodes/job:airflow:{job}/metadata", json={"sla": {"maxAgeMinutes": 1}}, headers=HEADERS
            ).raise_for_status()
            deadlines[f"opened|job:airflow:{job}"] = done + 60
            time.sleep(7)

        latencies = []
        for i in range(args.failures):
            dag = f"bench_dag_{i}"
            response = client.post("/api/v1/lineage/batch", json=failing_dag_run(dag), headers=HEADERS)
            acknowledged = time.monotonic()
            response.raise_for_status()
            arrived = receiver.wait(f"opened|job:airflow:{dag}", timeout=60)
            if arrived is None:
                print(f"no message for {dag} within 60 s", file=sys.stderr)
                return 1
            latencies.append(arrived - acknowledged)

        sla_delays = []
        for key, deadline in deadlines.items():
            arrived = receiver.wait(key, timeout=max(0.0, deadline - time.monotonic()) + 120)
            if arrived is None:
                print(f"no SLA message for {key}", file=sys.stderr)
                return 1
            sla_delays.append(arrived - deadline)

    print(
        f"alert latency ({db_url.split(':')[0]}, {args.workers} worker(s)), FAIL acknowledged -> webhook received, "
        f"{len(latencies)} failures:"
    )
    print(
        f"  p50 {statistics.median(latencies):.2f} s  p95 {percentile(latencies, 0.95):.2f} s  "
        f"max {max(latencies):.2f} s  min {min(latencies):.2f} s"
    )
    print(
        f"SLA miss (maxAgeMinutes=1) deadline -> webhook received, {len(sla_delays)} jobs: "
        + ", ".join(f"{d:.1f} s" for d in sla_delays)
    )
    met = percentile(latencies, 0.95) <= 5 and max(sla_delays) <= 60
    print(f"targets (p95 <= 5 s; SLA miss within 60 s of the deadline): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
