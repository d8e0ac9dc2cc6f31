"""Lineage graph and impact latency of Flowlytics through its HTTP API, against two recursive-CTE baselines
(Marquez's approach: ids only, and with each node's details) and a networkx baseline, on synthetic graphs
of 10k and 100k jobs + datasets.

    .venv/bin/python benchmarks/lineage_benchmark.py --code HEAD          # 10k and 100k nodes, both DBs, ~20 min
    .venv/bin/python benchmarks/lineage_benchmark.py --quick --code HEAD  # 10k nodes, 200k runs, ~1-2 min

(`--code REV` measures lineage_backend/ as committed at REV, whatever the working tree holds meanwhile.)

For every size x database: a fresh database (`flowlytics db migrate`), the synthetic graph and its runs
loaded with benchmarks/synthetic.py (COPY / executemany, not the HTTP ingest), then `flowlytics serve
--workers 1`. The first request builds the server's in-memory graph index (reported on its own), a few
warm-up requests follow, then, one request at a time over a keep-alive httpx connection:

- impact, unbounded depth (`GET /api/v1/impact?nodeId=`), from a uniform sample of the nodes that have
  anything downstream, and separately from a few hub datasets (the worst case: 5-20% of the graph);
- graph (`GET /api/v1/graph?direction=both&collapse=false`) around start nodes whose neighbourhood at some
  depth holds ~500 nodes (picked beforehand with networkx; the actual node counts are reported).

Baselines, same start nodes, same run:

- recursive CTE, ids only ("cte"): `WITH RECURSIVE ... UNION` over flowlytics_lineage_edge in the same
  database (PostgreSQL via psycopg; SQLite via sqlite3), computing the downstream reachable set (impact) or
  the nodes within the depth and the edges among them (graph); timed from Python, rows fetched. It returns
  ids only, less than the API does;
- recursive CTE with details ("cte_details"), the same payload as the API, as Marquez's lineage endpoint
  does it (a recursive CTE over the lineage mapping, then each found job's / dataset's data and latest run):
  the same CTE, and in the same statement, for every node found (the impact start excluded, as in the API)
  what the API loads per node (lineage_backend.services.graph.load_nodes): namespace, name, dag_id, the
  facets' ownership / tags / documentation (and a dataset's dataQualityAssertions), the latest run with a
  state (a job's newest run, through the (job_id, sort_time) index; a dataset's newest OUT link whose run
  has a state, through the dataset_id index, with its row count) and the node's flowlytics_node_metadata
  row (by its unique node_id); for graph, also the edges, as the ids-only query finds them. PostgreSQL: LEFT
  JOIN LATERAL per node; SQLite (no LATERAL): a correlated subquery finds the latest run's (link's) id,
  joined by primary key. One statement, one round trip; rows fetched and, on SQLite, JSON and timestamps
  decoded (psycopg does that itself). Left out, which favours the baseline: impact distances (a depth column
  would make the unbounded CTE keep a row per node and path length; the API has them from its walk), edge
  annotations and symlink aliases (none in these graphs), and the API's HTTP and JSON work;
- networkx: the whole edge table loaded into a DiGraph (load time reported), then `nx.descendants` (impact)
  or a depth-bounded BFS on the undirected view (graph).

Correctness: for every start node, the impact API's item count must equal the CTE's reachable set minus the
start, networkx's, and the number of rows of the CTE with details; the graph API's node count must equal
both CTEs' and networkx's. Against the CTE with details, also: the edges (graph), and the nodes with a latest
run and (graph) with rows written must be as many as in the API's answer.

Bounded time: each measured series stops after `--budget` seconds (at least one request), and a request that
outlasts `--request-timeout` is recorded at the timeout (a lower bound) and ends its series; the baselines
then run the same requests that the API was measured on.
"""

from __future__ import annotations

import argparse
import json
import linecache
import math
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import httpx  # noqa: E402
import networkx as nx  # noqa: E402
from benchlib import PostgresCluster, ServerProcess, free_port  # noqa: E402
from synthetic import SyntheticGraph, generate, load  # noqa: E402

READ_KEY = "bench-lineage-read-key"
FLOWLYTICS = str(Path(sys.executable).parent / "flowlytics")

# Targets (issue 3, 100k-node graph, this 2-core machine).
TARGET_IMPACT_P95_MS = 100.0
TARGET_GRAPH_P95_MS = 150.0
TARGET_SPEEDUP = 10.0
GRAPH_NODES = (400, 650)  # a "~500-node neighbourhood"

# The ids-only baseline: the walk (a recursive CTE), then its rows.
IMPACT_REACH_PG = """
WITH RECURSIVE reach(kind, id) AS (
    SELECT %(kind)s::text, %(id)s::bigint
  UNION
    SELECT n.kind, n.id FROM reach r CROSS JOIN LATERAL (
        SELECT 'J'::text AS kind, e.job_id AS id FROM flowlytics_lineage_edge e
         WHERE r.kind = 'D' AND e.dataset_id = r.id AND e.direction = 'IN'
        UNION ALL
        SELECT 'D'::text, e.dataset_id FROM flowlytics_lineage_edge e
         WHERE r.kind = 'J' AND e.job_id = r.id AND e.direction = 'OUT'
    ) n
)"""
IMPACT_CTE_PG = IMPACT_REACH_PG + "\nSELECT kind, id FROM reach\n"

GRAPH_WALK_PG = """
WITH RECURSIVE walk(kind, id, depth) AS (
    SELECT %(kind)s::text, %(id)s::bigint, 0
  UNION
    SELECT n.kind, n.id, r.depth + 1 FROM walk r CROSS JOIN LATERAL (
        SELECT 'J'::text AS kind, e.job_id AS id FROM flowlytics_lineage_edge e
         WHERE r.kind = 'D' AND e.dataset_id = r.id
        UNION ALL
        SELECT 'D'::text, e.dataset_id FROM flowlytics_lineage_edge e
         WHERE r.kind = 'J' AND e.job_id = r.id
    ) n
    WHERE r.depth < %(depth)s
),
nodes AS (SELECT kind, id, min(depth) AS distance FROM walk GROUP BY kind, id)"""
# The edges among the nodes found (both databases).
GRAPH_EDGES = """FROM flowlytics_lineage_edge e
  JOIN nodes j ON j.kind = 'J' AND j.id = e.job_id
  JOIN nodes d ON d.kind = 'D' AND d.id = e.dataset_id
"""
GRAPH_CTE_PG = (
    GRAPH_WALK_PG
    + "\nSELECT 'N', kind, id, distance, NULL::text FROM nodes\nUNION ALL\n"
    + "SELECT 'E', NULL, e.job_id, e.dataset_id, e.direction "
    + GRAPH_EDGES
)

# SQLite has no LATERAL; it allows several recursive SELECTs in one recursive CTE instead (3.34+).
IMPACT_REACH_SQLITE = """
WITH RECURSIVE reach(kind, id) AS (
    SELECT :kind, :id
  UNION
    SELECT 'J', e.job_id FROM reach r JOIN flowlytics_lineage_edge e
        ON r.kind = 'D' AND e.dataset_id = r.id AND e.direction = 'IN'
  UNION
    SELECT 'D', e.dataset_id FROM reach r JOIN flowlytics_lineage_edge e
        ON r.kind = 'J' AND e.job_id = r.id AND e.direction = 'OUT'
)"""
IMPACT_CTE_SQLITE = IMPACT_REACH_SQLITE + "\nSELECT kind, id FROM reach\n"

GRAPH_WALK_SQLITE = """
WITH RECURSIVE walk(kind, id, depth) AS (
    SELECT :kind, :id, 0
  UNION
    SELECT 'J', e.job_id, r.depth + 1 FROM walk r JOIN flowlytics_lineage_edge e
        ON r.kind = 'D' AND e.dataset_id = r.id WHERE r.depth < :depth
  UNION
    SELECT 'D', e.dataset_id, r.depth + 1 FROM walk r JOIN flowlytics_lineage_edge e
        ON r.kind = 'J' AND e.job_id = r.id WHERE r.depth < :depth
),
nodes AS (SELECT kind, id, min(depth) AS distance FROM walk GROUP BY kind, id)"""
GRAPH_CTE_SQLITE = (
    GRAPH_WALK_SQLITE
    + "\nSELECT 'N', kind, id, distance, NULL FROM nodes\nUNION ALL\n"
    + "SELECT 'E', NULL, e.job_id, e.dataset_id, e.direction "
    + GRAPH_EDGES
)

# The baseline with details: the same walks, and for each node found ({found}: kind, id) what the API loads
# per node (lineage_backend.services.graph.load_nodes), in the same statement. A job's latest run is its
# newest run with a state (a backward probe of the (job_id, sort_time) index, ordered as the API orders it:
# sort_time is set whenever state is); a dataset's is the run of its newest OUT link whose run has a state
# (the dataset's links through the dataset_id index, newest by coalesce(sort_time, first_event_at) as the
# API's `newest_first`), with that link's row count; what people added comes from flowlytics_node_metadata
# by its unique node_id. One row per node, in the columns of DETAIL_COLUMNS.
DETAIL_COLUMNS = (
    "tag", "kind", "id", "distance", "namespace", "name", "dag_id", "ownership", "facet_tags", "documentation",
    "dq_assertions", "run_uuid", "state", "started_at", "ended_at", "rows_written",
    "owners", "criticality", "sla", "tags", "annotations",
)  # fmt: skip
NODE_DETAILS_PG = """
SELECT 'N', 'J', j.id, {distance}, j.namespace, j.name, j.dag_id,
       j.facets -> 'ownership', j.facets -> 'tags', j.facets -> 'documentation', NULL::jsonb,
       lr.run_uuid, lr.state, lr.started_at, lr.ended_at, NULL::bigint,
       m.owners, m.criticality, m.sla, m.tags, m.annotations
  FROM {found} f
  JOIN flowlytics_job j ON j.id = f.id
  LEFT JOIN LATERAL (
      SELECT r.run_uuid, r.state, r.started_at, r.ended_at FROM flowlytics_run r
       WHERE r.job_id = j.id AND r.state IS NOT NULL
       ORDER BY r.sort_time DESC LIMIT 1
  ) lr ON true
  LEFT JOIN flowlytics_node_metadata m ON m.node_id = 'job:' || j.namespace || ':' || j.name
 WHERE f.kind = 'J'
UNION ALL
SELECT 'N', 'D', d.id, {distance}, d.namespace, d.name, NULL,
       d.facets -> 'ownership', d.facets -> 'tags', d.facets -> 'documentation', d.facets -> 'dataQualityAssertions',
       lw.run_uuid, lw.state, lw.started_at, lw.ended_at, lw.row_count,
       m.owners, m.criticality, m.sla, m.tags, m.annotations
  FROM {found} f
  JOIN flowlytics_dataset d ON d.id = f.id
  LEFT JOIN LATERAL (
      SELECT r.run_uuid, r.state, r.started_at, r.ended_at, rd.row_count
        FROM flowlytics_run_dataset rd JOIN flowlytics_run r ON r.run_uuid = rd.run_uuid
       WHERE rd.dataset_id = d.id AND rd.direction = 'OUT' AND r.state IS NOT NULL
       ORDER BY coalesce(r.sort_time, r.first_event_at) DESC LIMIT 1
  ) lw ON true
  LEFT JOIN flowlytics_node_metadata m ON m.node_id = 'dataset:' || d.namespace || ':' || d.name
 WHERE f.kind = 'D'
"""
# Without LATERAL: a correlated subquery picks the latest run (link) by the same index probe, and the row it
# names is joined by primary key.
NODE_DETAILS_SQLITE = """
SELECT 'N', 'J', j.id, {distance}, j.namespace, j.name, j.dag_id,
       j.facets -> '$.ownership', j.facets -> '$.tags', j.facets -> '$.documentation', NULL,
       r.run_uuid, r.state, r.started_at, r.ended_at, NULL,
       m.owners, m.criticality, m.sla, m.tags, m.annotations
  FROM {found} f
  JOIN flowlytics_job j ON j.id = f.id
  LEFT JOIN flowlytics_run r ON r.run_uuid = (
      SELECT x.run_uuid FROM flowlytics_run x
       WHERE x.job_id = j.id AND x.state IS NOT NULL
       ORDER BY x.sort_time DESC LIMIT 1)
  LEFT JOIN flowlytics_node_metadata m ON m.node_id = 'job:' || j.namespace || ':' || j.name
 WHERE f.kind = 'J'
UNION ALL
SELECT 'N', 'D', d.id, {distance}, d.namespace, d.name, NULL,
       d.facets -> '$.ownership', d.facets -> '$.tags', d.facets -> '$.documentation',
       d.facets -> '$.dataQualityAssertions',
       r.run_uuid, r.state, r.started_at, r.ended_at, w.row_count,
       m.owners, m.criticality, m.sla, m.tags, m.annotations
  FROM {found} f
  JOIN flowlytics_dataset d ON d.id = f.id
  LEFT JOIN flowlytics_run_dataset w ON w.id = (
      SELECT rd.id FROM flowlytics_run_dataset rd JOIN flowlytics_run x ON x.run_uuid = rd.run_uuid
       WHERE rd.dataset_id = d.id AND rd.direction = 'OUT' AND x.state IS NOT NULL
       ORDER BY coalesce(x.sort_time, x.first_event_at) DESC LIMIT 1)
  LEFT JOIN flowlytics_run r ON r.run_uuid = w.run_uuid
  LEFT JOIN flowlytics_node_metadata m ON m.node_id = 'dataset:' || d.namespace || ':' || d.name
 WHERE f.kind = 'D'
"""
# Impact: the nodes reached, the start excluded (the API lists what is downstream of it).
IMPACT_DETAILS_PG = (
    IMPACT_REACH_PG
    + ",\nfound AS (SELECT kind, id FROM reach WHERE NOT (kind = %(kind)s AND id = %(id)s))"
    + NODE_DETAILS_PG.format(found="found", distance="NULL::int")
)
IMPACT_DETAILS_SQLITE = (
    IMPACT_REACH_SQLITE
    + ",\nfound AS (SELECT kind, id FROM reach WHERE NOT (kind = :kind AND id = :id))"
    + NODE_DETAILS_SQLITE.format(found="found", distance="NULL")
)
# Graph: the nodes with their distance, then the edges among them as in the ids-only query (padded).
_EDGE_ROWS = "UNION ALL\nSELECT 'E', NULL, e.job_id, e.dataset_id, e.direction" + ", NULL" * 16 + " " + GRAPH_EDGES
GRAPH_DETAILS_PG = GRAPH_WALK_PG + NODE_DETAILS_PG.format(found="nodes", distance="f.distance") + _EDGE_ROWS
GRAPH_DETAILS_SQLITE = GRAPH_WALK_SQLITE + NODE_DETAILS_SQLITE.format(found="nodes", distance="f.distance") + _EDGE_ROWS


# ---------------------------------------------------------------------------------------------- results


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Series:
    """Latencies (ms) of one kind of request, with what each answered (item or node counts)."""

    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def add(self, ms: float, size: int) -> None:
        self.latencies.append(ms)
        self.sizes.append(size)

    def summary(self) -> dict[str, float]:
        return {
            "n": len(self.latencies),
            "p50_ms": percentile(self.latencies, 50),
            "p95_ms": percentile(self.latencies, 95),
            "max_ms": max(self.latencies, default=math.nan),
            "size_p50": percentile([float(s) for s in self.sizes], 50),
            "size_p95": percentile([float(s) for s in self.sizes], 95),
            "size_max": max(self.sizes, default=0),
        }


@dataclass
class CellResult:
    size: int
    db: str
    jobs: int = 0
    datasets: int = 0
    edges: int = 0
    runs: int = 0
    run_datasets: int = 0
    metadata: int = 0
    load_s: float = 0.0
    first_request_s: float = 0.0  # includes the index build
    second_request_s: float = 0.0  # the same request again
    server_rss_mb: list[float] = field(default_factory=list)  # before the first request, after the measurement
    nx_load_s: float = 0.0
    graph_depths: list[int] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    load_avg: list[float] = field(default_factory=list)  # 1-minute load average before and after the API runs
    capped: dict[str, str] = field(default_factory=dict)  # series cut short by the time budget or a timeout
    hot_spots: list[tuple[str, float]] = field(default_factory=list)  # with --profile
    timed_out: list[str] = field(default_factory=list)  # series whose last request timed out
    made: dict[str, list[Any]] = field(default_factory=dict)  # the requests of each series (start nodes)

    def s(self, name: str) -> Series:
        return self.series.setdefault(name, Series())


# -------------------------------------------------------------------------------------------- the server


class Server(ServerProcess):
    """`flowlytics serve --workers 1` on a free port, in its own session (stopped by its pid)."""

    def __init__(self, db_url: str, log_path: Path) -> None:
        port = free_port()
        argv = [
            FLOWLYTICS, "serve", "--db-url", db_url, "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--no-migrate",
        ]  # fmt: skip
        super().__init__(argv, {**os.environ, "FLOWLYTICS_READ_API_KEYS": READ_KEY}, port, log_path)


class Api:
    """The server under test and one keep-alive client. A request that outlasts the timeout is abandoned:
    PostgreSQL's running queries on the database are cancelled and the server is restarted, so that the
    abandoned work does not slow down what follows."""

    def __init__(self, db_url: str, db: str, log_path: Path, timeout: float) -> None:
        self.db_url, self.db, self.log_path, self.timeout = db_url, db, log_path, timeout
        self.server: Server | None = None
        self.client: httpx.Client | None = None
        self.warm_up: tuple[str, dict[str, Any]] | None = None  # a request that builds the index after a restart

    def start(self) -> None:
        self.server = Server(self.db_url, self.log_path).__enter__()
        self.client = httpx.Client(
            base_url=self.server.url, headers={"Authorization": f"Bearer {READ_KEY}"}, timeout=self.timeout
        )

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.server is not None:
            self.server.__exit__()
        self.client = self.server = None

    def get(self, path: str, params: dict[str, Any]) -> tuple[float, Any]:
        """(ms, parsed body), or (timeout in ms, None) when the request timed out."""
        assert self.client is not None
        began = time.perf_counter()
        try:
            response = self.client.get(path, params=params)
        except httpx.TimeoutException:
            if self.db == "postgresql":
                cancel_queries(self.db_url)
            self.stop()
            self.start()
            if self.warm_up is not None:
                self.get(*self.warm_up)
            return self.timeout * 1000, None
        ms = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{path} {params}: HTTP {response.status_code} {response.text[:300]}")
        return ms, response.json()


def cancel_queries(url: str) -> None:
    import psycopg

    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
        )


class Profiler:
    """Optional py-spy recording of the server while it is measured (--profile DIR): wall-clock samples
    (`--idle`, so that waiting for the database counts), raw collapsed stacks, summarised by `hot_spots`.
    It follows the first server process only (not one restarted after a timeout)."""

    def __init__(self, pid: int, out: Path | None) -> None:
        self.pid, self.out = pid, out
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        if self.out is not None:
            py_spy = str(Path(sys.executable).parent / "py-spy")
            self.proc = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(self.pid),
                    "--rate",
                    "100",
                    "--idle",
                    "--format",
                    "raw",
                    "-o",
                    str(self.out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # let it attach
        return self

    def __exit__(self, *_: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            self.proc.wait(timeout=60)


def hot_spots(path: Path, top: int = 12) -> list[tuple[str, float]]:
    """Share of the request-handling samples (stacks through lineage_backend/api/routes/graph.py) spent
    in each lineage_backend frame (inclusive: a query counts where it is executed and fetched)."""
    handling = 0
    inclusive: dict[str, int] = {}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if "lineage_backend/api/routes/graph.py" not in stack or not count.isdigit():
            continue
        handling += int(count)
        for frame in set(stack.split(";")):
            if "lineage_backend/" in frame and "routes/graph.py" not in frame and "db.py" not in frame:
                inclusive[frame] = inclusive.get(frame, 0) + int(count)
    ranked = sorted(inclusive.items(), key=lambda item: -item[1])[:top]
    return [(_with_source(frame), 100.0 * n / handling) for frame, n in ranked] if handling else []


def _with_source(frame: str) -> str:
    """`func (lineage_backend/x.py:12)` followed by that line of the source, as profiled."""
    try:
        location = frame[frame.rindex("(") + 1 : frame.rindex(")")]
        path, _, line = location.rpartition(":")
        source = linecache.getline(str(BENCH_DIR.parent / path[path.index("lineage_backend/") :]), int(line))
    except ValueError:
        return frame
    return f"{frame}: `{source.strip()[:70]}`" if source.strip() else frame


# ------------------------------------------------------------------------------------------- baselines


def _dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _kind_id(key: int) -> tuple[str, int]:
    return ("J", key // 2) if key % 2 == 0 else ("D", key // 2)


def _key(kind: str, id_: int) -> int:
    return id_ * 2 if kind == "J" else id_ * 2 + 1


class CteBaseline:
    """The recursive CTE over the edge table, in the database under test."""

    def __init__(self, db: str, url: str) -> None:
        self.db = db
        if db == "postgresql":
            import psycopg

            self.conn: Any = psycopg.connect(_dsn(url), autocommit=True)
        else:
            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"))

    def impact(self, key: int) -> set[int]:
        kind, id_ = _kind_id(key)
        if self.db == "postgresql":
            rows = self.conn.execute(IMPACT_CTE_PG, {"kind": kind, "id": id_}).fetchall()
        else:
            rows = self.conn.execute(IMPACT_CTE_SQLITE, {"kind": kind, "id": id_}).fetchall()
        return {_key(k, i) for k, i in rows}

    def neighbourhood(self, key: int, depth: int) -> tuple[set[int], int]:
        kind, id_ = _kind_id(key)
        sql = GRAPH_CTE_PG if self.db == "postgresql" else GRAPH_CTE_SQLITE
        rows = self.conn.execute(sql, {"kind": kind, "id": id_, "depth": depth}).fetchall()
        nodes = {_key(r[1], r[2]) for r in rows if r[0] == "N"}
        return nodes, sum(1 for r in rows if r[0] == "E")

    def impact_details(self, key: int) -> list[tuple[Any, ...]]:
        """The nodes downstream of `key` (not itself), one row each in DETAIL_COLUMNS."""
        kind, id_ = _kind_id(key)
        sql = IMPACT_DETAILS_PG if self.db == "postgresql" else IMPACT_DETAILS_SQLITE
        return self._details(sql, {"kind": kind, "id": id_})

    def neighbourhood_details(self, key: int, depth: int) -> tuple[list[tuple[Any, ...]], int]:
        """The nodes within `depth` of `key` (rows in DETAIL_COLUMNS) and the number of edges among them."""
        kind, id_ = _kind_id(key)
        sql = GRAPH_DETAILS_PG if self.db == "postgresql" else GRAPH_DETAILS_SQLITE
        rows = self._details(sql, {"kind": kind, "id": id_, "depth": depth})
        nodes = [r for r in rows if r[0] == "N"]
        return nodes, len(rows) - len(nodes)

    def _details(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        rows = self.conn.execute(sql, params).fetchall()
        if self.db == "postgresql":
            return rows  # psycopg has decoded jsonb and timestamps
        return [_decoded(r) if r[0] == "N" else r for r in rows]

    def close(self) -> None:
        self.conn.close()


_JSON_COLUMNS = [
    DETAIL_COLUMNS.index(c)
    for c in ("ownership", "facet_tags", "documentation", "dq_assertions", "owners", "sla", "tags", "annotations")
]
_TIME_COLUMNS = [DETAIL_COLUMNS.index("started_at"), DETAIL_COLUMNS.index("ended_at")]
_STATE, _ROWS = DETAIL_COLUMNS.index("state"), DETAIL_COLUMNS.index("rows_written")


def _decoded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A SQLite detail row with its JSON text and timestamps decoded, as psycopg returns PostgreSQL's (and
    as the API reads them, through SQLAlchemy's JSON and DateTime types)."""
    values = list(row)
    for i in _JSON_COLUMNS:
        if values[i] is not None:
            values[i] = json.loads(values[i])
    for i in _TIME_COLUMNS:
        if values[i] is not None:
            values[i] = datetime.fromisoformat(values[i])
    return tuple(values)


def load_networkx(db: str, url: str) -> nx.DiGraph:
    """The whole edge table, read from the database, as a DiGraph over index keys (as the server does)."""
    sql = "SELECT job_id, dataset_id, direction FROM flowlytics_lineage_edge"
    if db == "postgresql":
        import psycopg

        with psycopg.connect(_dsn(url)) as conn:
            rows = conn.execute(sql).fetchall()
    else:
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            rows = conn.execute(sql).fetchall()
    graph = nx.DiGraph()
    graph.add_edges_from((d * 2 + 1, j * 2) if direction == "IN" else (j * 2, d * 2 + 1) for j, d, direction in rows)
    return graph


def neighbourhood_sizes(undirected: Any, start: int, max_depth: int) -> list[int]:
    """Cumulative node counts within depth 0..max_depth of `start`, both directions."""
    sizes, total = [], 0
    for layer in nx.bfs_layers(undirected, [start]):
        total += len(layer)
        sizes.append(total)
        if len(sizes) > max_depth:
            break
    return sizes


# ----------------------------------------------------------------------------------------- one cell


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return (time.perf_counter() - began) * 1000.0, result


def pick_samples(
    graph: SyntheticGraph, nxg: nx.DiGraph, rng: random.Random, n_impact: int, n_hubs: int, n_graph: int
) -> tuple[list[int], list[int], list[tuple[int, int]], list[int]]:
    """Impact starts (uniform over nodes with a non-empty downstream), hub starts, graph (start, depth)
    pairs with a ~500-node neighbourhood, and warm-up nodes (not among the measured ones)."""
    candidates = sorted(k for k in nxg.nodes if nxg.out_degree(k) > 0)
    impact = rng.sample(candidates, min(n_impact, len(candidates)))
    hubs = [h * 2 + 1 for h in rng.sample(graph.hubs, min(n_hubs, len(graph.hubs)))]
    undirected = nxg.to_undirected(as_view=True)
    pairs: list[tuple[int, int]] = []
    pool = sorted(nxg.nodes)
    rng.shuffle(pool)
    for start in pool:
        sizes = neighbourhood_sizes(undirected, start, 40)
        depths = [d for d, n in enumerate(sizes) if GRAPH_NODES[0] <= n <= GRAPH_NODES[1]]
        if depths:
            pairs.append((start, depths[0]))
            if len(pairs) >= n_graph:
                break
    taken = set(impact) | set(hubs) | {s for s, _ in pairs}
    warmup = [k for k in candidates[:: max(1, len(candidates) // 50)] if k not in taken][:8]
    return impact, hubs, pairs, warmup


def run_cell(
    size: int, db: str, graph: SyntheticGraph, args: argparse.Namespace, workdir: Path, pg: PostgresCluster | None
) -> CellResult:
    began = time.monotonic()
    result = CellResult(size=size, db=db)
    if db == "sqlite":
        url = f"sqlite:///{workdir / f'lineage_{size}.db'}"
    else:
        assert pg is not None
        pg.execute(f"CREATE DATABASE lineage_{size}")
        url = pg.url(f"lineage_{size}")
    migrate = subprocess.run([FLOWLYTICS, "db", "migrate", "--db-url", url], capture_output=True, text=True)
    if migrate.returncode:
        raise RuntimeError(f"flowlytics db migrate failed:\n{migrate.stdout}{migrate.stderr}")
    report = load(graph, url, args.runs)
    result.jobs, result.datasets, result.edges = report.jobs, report.datasets, report.edges
    result.runs, result.run_datasets, result.metadata = report.runs, report.run_datasets, report.metadata
    result.load_s = report.seconds
    log(f"  loaded {report.jobs} jobs, {report.datasets} datasets, {report.edges} edges, {report.runs} runs, "
        f"{report.run_datasets} run outputs in {report.seconds:.1f} s")  # fmt: skip

    t0 = time.perf_counter()
    nxg = load_networkx(db, url)
    result.nx_load_s = time.perf_counter() - t0
    rng = random.Random(args.seed * 7 + size)
    impact_starts, hub_starts, graph_pairs, warmup = pick_samples(
        graph, nxg, rng, args.impact_samples, args.hubs, args.graph_starts
    )
    result.graph_depths = sorted({d for _, d in graph_pairs})

    profile = Path(args.profile) / f"server-{size}-{db}.txt" if args.profile else None
    api = Api(url, db, workdir / f"server-{size}-{db}.log", args.request_timeout)
    graph_counts: dict[tuple[int, int], int] = {}
    # What the payload holds besides the node count, to check the CTE with details against: for impact,
    # the items with a last run; for graph, the edges, the nodes with a latest run, with rows written.
    impact_runs: dict[int, int] = {}
    graph_payload: dict[tuple[int, int], tuple[int, int, int]] = {}
    timed_out: set[str] = set()

    def impact(key: int) -> tuple[float, int]:
        ms, body = api.get("/api/v1/impact", {"nodeId": graph.node_id(key)})
        if body is None:
            return ms, -1
        impact_runs[key] = sum(1 for item in body["items"] if item["lastRunState"] is not None)
        return ms, len(body["items"])

    def neighbourhood(pair: tuple[int, int]) -> tuple[float, int]:
        key, depth = pair
        params = {
            "nodeId": graph.node_id(key), "direction": "both", "depth": depth, "collapse": "false", "maxNodes": 2000,
        }  # fmt: skip
        ms, body = api.get("/api/v1/graph", params)
        if body is None:
            return ms, -1
        graph_counts[pair] = len(body["nodes"])
        graph_payload[pair] = (
            len(body["edges"]),
            sum(1 for n in body["nodes"] if n["latestRun"] is not None),
            sum(1 for n in body["nodes"] if n["rowsWritten"] is not None),
        )
        if body["truncated"]:
            result.mismatches.append(f"graph {graph.node_id(key)} depth {depth}: truncated")
        return ms, len(body["nodes"])

    def measure(name: str, items: list[Any], call: Callable[[Any], tuple[float, int]]) -> tuple[list[Any], list[Any]]:
        """Requests one at a time until done, until the time budget is spent (one request at least), or
        until a request times out (recorded at the timeout: a lower bound). Returns the requests answered
        and the requests made (the timed-out one included: the baselines still run it)."""
        done: list[Any] = []
        began = time.monotonic()
        for item in items:
            if done and time.monotonic() - began > args.budget:
                result.capped[name] = f"{len(done)} of {len(items)} requests within the {args.budget:.0f} s budget"
                break
            ms, size = call(item)
            if size < 0:
                timed_out.add(name)
                result.capped[name] = (
                    f"request {len(done) + 1} of {len(items)} timed out after {args.request_timeout:g} s "
                    "(latency recorded as the timeout; the series stopped)"
                )
                result.s(name).add(ms, 0)
                return done, [*done, item]
            result.s(name).add(ms, size)
            done.append(item)
        return done, done

    try:
        api.start()
        # The first request builds the index; a job's own row and latest run are quick to read, so the same
        # request again shows what the build added.
        first = next(k for k in warmup if k % 2 == 0)
        api.warm_up = ("/api/v1/graph", {"nodeId": graph.node_id(first), "depth": 0})
        assert api.server is not None and api.server.proc is not None
        result.server_rss_mb.append(rss_mb(api.server.proc.pid))
        result.first_request_s = neighbourhood((first, 0))[0] / 1000
        result.second_request_s = neighbourhood((first, 0))[0] / 1000
        log(
            f"  first request (index build) {result.first_request_s:.2f} s, "
            f"again {result.second_request_s * 1000:.1f} ms"
        )
        began = time.monotonic()
        for key in warmup[1:4]:  # warm-up: a few of each, within the budget
            impact(key)
            neighbourhood((key, 2))
            if time.monotonic() - began > args.budget / 2:
                break
        result.load_avg.append(os.getloadavg()[0])
        assert api.server is not None and api.server.proc is not None
        with Profiler(api.server.proc.pid, profile):
            impact_done, impact_made = measure("impact", impact_starts, impact)
            # Round by round, so that a spent budget still leaves every start node measured at least once.
            _, graph_made = measure("graph", graph_pairs * args.graph_rounds, neighbourhood)
            hubs_done, hubs_made = measure("impact_hubs", hub_starts, impact)
        result.server_rss_mb.append(rss_mb(api.server.proc.pid))
        result.load_avg.append(os.getloadavg()[0])
    finally:
        api.stop()
    result.timed_out = sorted(timed_out)
    result.made = {"impact": impact_made, "impact_hubs": hubs_made, "graph": [list(p) for p in graph_made]}
    if profile is not None and profile.exists():
        result.hot_spots = hot_spots(profile)
    log(
        f"  API measured: impact {fmt(result.s('impact'))}; hubs {fmt(result.s('impact_hubs'))}; "
        f"graph {fmt(result.s('graph'))}" + "".join(f"; {k}: {v}" for k, v in result.capped.items())
    )

    # Baselines, for exactly the requests measured, after the server has stopped (so that nothing else
    # competes for the 2 cores).
    sizes = result.s("impact").sizes[: len(impact_done)] + result.s("impact_hubs").sizes[: len(hubs_done)]
    api_impact = dict(zip(impact_done + hubs_done, sizes, strict=True))
    cte = CteBaseline(db, url)
    try:
        for key in warmup[1:4]:  # warm-up, as the API's: both statements
            cte.impact(key)
            cte.neighbourhood(key, 2)
        for name, starts in (("impact", impact_made), ("impact_hubs", hubs_made)):
            for key in starts:
                ms, reach = timed(lambda key=key: cte.impact(key))
                result.s(f"cte_{name}").add(ms, len(reach) - 1)
                expected = len(nx.descendants(nxg, key))
                if key in api_impact and not (api_impact[key] == len(reach) - 1 == expected):
                    result.mismatches.append(
                        f"impact {graph.node_id(key)}: API {api_impact[key]} items, "
                        f"CTE {len(reach) - 1}, networkx {expected}"
                    )
        for key, depth in graph_made:
            ms, (nodes, _edges) = timed(lambda key=key, depth=depth: cte.neighbourhood(key, depth))
            result.s("cte_graph").add(ms, len(nodes))
            if (key, depth) in graph_counts and len(nodes) != graph_counts[(key, depth)]:
                result.mismatches.append(
                    f"graph {graph.node_id(key)} depth {depth}: "
                    f"API {graph_counts[(key, depth)]} nodes, CTE {len(nodes)}"
                )
        # The same, with each node's details: the API's payload.
        for key in warmup[1:4]:
            cte.impact_details(key)
            cte.neighbourhood_details(key, 2)
        for name, starts in (("impact", impact_made), ("impact_hubs", hubs_made)):
            for key in starts:
                ms, rows = timed(lambda key=key: cte.impact_details(key))
                result.s(f"cte_details_{name}").add(ms, len(rows))
                with_run = sum(1 for r in rows if r[_STATE] is not None)
                if key in api_impact and (api_impact[key], impact_runs[key]) != (len(rows), with_run):
                    result.mismatches.append(
                        f"impact {graph.node_id(key)}: API {api_impact[key]} items ({impact_runs[key]} with a "
                        f"last run), CTE with details {len(rows)} ({with_run})"
                    )
        for key, depth in graph_made:
            ms, (rows, n_edges) = timed(lambda key=key, depth=depth: cte.neighbourhood_details(key, depth))
            result.s("cte_details_graph").add(ms, len(rows))
            ours = (
                len(rows),
                n_edges,
                sum(1 for r in rows if r[_STATE] is not None),
                sum(1 for r in rows if r[_ROWS] is not None),
            )
            if (key, depth) in graph_payload and ours != (graph_counts[(key, depth)], *graph_payload[(key, depth)]):
                result.mismatches.append(
                    f"graph {graph.node_id(key)} depth {depth}: (nodes, edges, with a latest run, with rows "
                    f"written): API {(graph_counts[(key, depth)], *graph_payload[(key, depth)])}, "
                    f"CTE with details {ours}"
                )
    finally:
        cte.close()

    undirected = nxg.to_undirected(as_view=True)
    for name, starts in (("impact", impact_made), ("impact_hubs", hubs_made)):
        for key in starts:
            ms, reach = timed(lambda key=key: nx.descendants(nxg, key))
            result.s(f"nx_{name}").add(ms, len(reach))
    for key, depth in graph_made:
        ms, lengths = timed(
            lambda key=key, depth=depth: nx.single_source_shortest_path_length(undirected, key, cutoff=depth)
        )
        result.s("nx_graph").add(ms, len(lengths))
        if (key, depth) in graph_counts and len(lengths) != graph_counts[(key, depth)]:
            result.mismatches.append(
                f"graph {graph.node_id(key)} depth {depth}: "
                f"API {graph_counts[(key, depth)]} nodes, networkx {len(lengths)}"
            )

    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(workdir / f"lineage_{size}.db") + suffix).unlink(missing_ok=True)
    else:
        assert pg is not None
        pg.execute(f"DROP DATABASE lineage_{size}")
    result.elapsed_s = time.monotonic() - began
    return result


# ---------------------------------------------------------------------------------------------- report


def log(message: str) -> None:
    print(message, flush=True)


def fmt(series: Series) -> str:
    s = series.summary()
    return (
        f"p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms "
        f"(n={s['n']}, size p50 {s['size_p50']:.0f} max {s['size_max']})"
    )


def _status(ok: bool, detail: str) -> str:
    return ("MET" if ok else "MISSED") + f" ({detail})"


def speed_up(theirs: dict[str, float], ours: dict[str, float], q: int) -> float:
    """How many times faster the API is than a baseline at percentile q (50 or 95)."""
    return theirs[f"p{q}_ms"] / ours[f"p{q}_ms"]


def targets(cell: CellResult, cells: list[CellResult]) -> list[tuple[str, str]]:
    impact, graph = cell.s("impact").summary(), cell.s("graph").summary()
    hubs = cell.s("impact_hubs").summary()
    rows = []
    p95 = impact["p95_ms"]
    rows.append(
        (
            f"impact unbounded p95 <= {TARGET_IMPACT_P95_MS:.0f} ms",
            _status(p95 <= TARGET_IMPACT_P95_MS, f"{p95:.1f} ms, {p95 / TARGET_IMPACT_P95_MS:.2f}x the target"),
        )
    )
    p95 = graph["p95_ms"]
    rows.append(
        (
            f"graph ~500 nodes p95 <= {TARGET_GRAPH_P95_MS:.0f} ms",
            _status(p95 <= TARGET_GRAPH_P95_MS, f"{p95:.1f} ms, {p95 / TARGET_GRAPH_P95_MS:.2f}x the target"),
        )
    )
    # Judged against the CTE with details (the API's payload); the ids-only CTE's ratio is shown alongside.
    # The baseline is a PostgreSQL recursive CTE: a SQLite cell is judged against the PostgreSQL
    # cell's CTE over the same requests, and against a SQLite CTE on its own file as well (stricter).
    postgres = next((c for c in cells if c.db == "postgresql" and c.size == cell.size and c.made == cell.made), None)
    baselines = [(postgres, "the PostgreSQL recursive-CTE baseline")] if postgres is not None else []
    if cell.db != "postgresql":
        if postgres is None:
            rows.append(("against the PostgreSQL CTE", "not measured (run with --db sqlite,postgresql)"))
        baselines.append((cell, f"a {cell.db} recursive CTE on the same database (stricter, not the issue's)"))
    for base, what in baselines:
        for label, name, ours in (
            ("impact", "impact", impact),
            ("impact (hubs)", "impact_hubs", hubs),
            ("graph", "graph", graph),
        ):
            if not ours["n"]:
                continue
            details, ids = base.s(f"cte_details_{name}").summary(), base.s(f"cte_{name}").summary()
            rows.append(
                (
                    f"{label} >= {TARGET_SPEEDUP:.0f}x faster than {what}, CTE + details (equal payload)",
                    _status(
                        speed_up(details, ours, 95) >= TARGET_SPEEDUP,
                        f"p95 {speed_up(details, ours, 95):.2f}x, p50 {speed_up(details, ours, 50):.2f}x; "
                        f"against the ids-only CTE: p95 {speed_up(ids, ours, 95):.2f}x, "
                        f"p50 {speed_up(ids, ours, 50):.2f}x",
                    ),
                )
            )
    rows.append(
        (
            "impact (hubs) p95 <= 100 ms (not a target; worst case)",
            _status(hubs["p95_ms"] <= TARGET_IMPACT_P95_MS, f"{hubs['p95_ms']:.1f} ms"),
        )
    )
    return rows


def use_committed_code(rev: str, target: Path) -> None:
    """Export lineage_backend/ at `rev` and import it from there, here and in the servers: others edit the
    working tree while the benchmark runs, and a figure should name the code it measured."""
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(BENCH_DIR.parent), "archive", "--format=tar", rev, "lineage_backend"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    # PYTHONPATH comes before the editable install's finder (at the end of sys.meta_path).
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(target))
    os.environ["FLOWLYTICS_BENCH_CODE"] = rev


def code_version() -> str:
    """The commit measured, and whether lineage_backend/ had uncommitted changes."""
    repo = BENCH_DIR.parent

    def git(*argv: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *argv], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else "?"

    rev = os.environ.get("FLOWLYTICS_BENCH_CODE")
    if rev:
        return f"{git('rev-parse', '--short', rev)} (lineage_backend/ exported with --code {rev})"
    changed = git("status", "--porcelain", "--", "lineage_backend")
    return git("rev-parse", "--short", "HEAD") + (
        " + uncommitted changes in lineage_backend/ (use --code REV)" if changed else ", lineage_backend/ clean"
    )


def report(cells: list[CellResult], args: argparse.Namespace, elapsed: float) -> str:
    lines = [
        f"# lineage benchmark: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, networkx {nx.__version__}; {elapsed / 60:.1f} min",
        f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}",
        f"# code: {code_version()}",
        "",
        "| nodes | db | jobs | datasets | edges | runs | run outputs | load s "
        "| index build (1st request) s | server RSS MB (start -> end) | networkx load s | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        lines.append(
            f"| {c.size:,} | {c.db} | {c.jobs:,} | {c.datasets:,} | {c.edges:,} | {c.runs:,} | {c.run_datasets:,} "
            f"| {c.load_s:.0f} | {c.first_request_s:.2f} (again {c.second_request_s * 1000:.0f} ms) "
            f"| {' -> '.join(f'{x:.0f}' for x in c.server_rss_mb)} "
            f"| {c.nx_load_s:.2f} | {' -> '.join(f'{x:.1f}' for x in c.load_avg)} |"
        )
    lines += [
        "",
        "Latency in ms (API p50 / p95 / max, baselines p50 / p95); size = impact items or graph nodes (p50 / max);"
        " API speed-up = baseline p95 / API p95.",
        "",
        "| nodes | db | query | n | Flowlytics API | CTE, ids only | CTE + details | networkx | size "
        "| API speed-up, p95: vs CTE + details, vs ids-only |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        for name, label in (
            ("impact", "impact, unbounded, random"),
            ("impact_hubs", "impact, unbounded, hubs"),
            ("graph", "graph ~500 nodes, both"),
        ):
            ours, cte, nxs = c.s(name).summary(), c.s(f"cte_{name}").summary(), c.s(f"nx_{name}").summary()
            details = c.s(f"cte_details_{name}").summary()
            if not ours["n"]:
                continue
            if name in c.timed_out:
                label += " (a request timed out: lower bound)"

            def two(s: dict[str, float]) -> str:
                return f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f}"

            lines.append(
                f"| {c.size:,} | {c.db} | {label} | {ours['n']} | {two(ours)} / {ours['max_ms']:.1f} | {two(cte)} "
                f"| {two(details)} | {two(nxs)} | {ours['size_p50']:.0f} / {ours['size_max']} "
                f"| {speed_up(details, ours, 95):.2f}x, {speed_up(cte, ours, 95):.2f}x |"
            )
    lines += ["", "Graph depths used: " + "; ".join(f"{c.size:,} {c.db}: {c.graph_depths}" for c in cells)]
    capped = [f"{c.size:,} {c.db} {name}: {text}" for c in cells for name, text in c.capped.items()]
    if capped:
        lines += ["", "Cut short (--budget, --request-timeout): " + "; ".join(capped)]
    lines.append("")
    largest = max(c.size for c in cells)
    lines.append(f"Targets (issue 3, judged on the {largest:,}-node graph):")
    lines.append("")
    for c in cells:
        if c.size != largest:
            continue
        for target, status in targets(c, cells):
            lines.append(f"- {c.db}: {target}: {status}")
    lines.append("")
    bad = [m for c in cells for m in c.mismatches]
    lines.append(
        "Correctness: "
        + ("every impact count equals the CTE's reachable set minus the start, networkx's descendants and "
           "the CTE with details' rows; every graph node count equals the CTEs' and networkx's; edges and "
           "nodes with a latest run (rows written) as many as in the CTE with details." if not bad
           else f"{len(bad)} MISMATCHES")
    )  # fmt: skip
    lines += [f"- {m}" for m in bad[:30]]
    for c in cells:
        if c.hot_spots:
            lines += ["", f"Where the time goes, {c.size:,} nodes, {c.db} (py-spy, wall clock, % of request handling):"]
            lines += [f"- {share:5.1f}%  {frame}" for frame, share in c.hot_spots]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10k nodes only, 200k runs, fewer samples (< 3 min)")
    parser.add_argument("--sizes", help="comma-separated node counts (default 10000,100000; --quick: 10000)")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--runs", type=int, help="runs per graph (default 1,000,000; --quick: 200,000)")
    parser.add_argument("--impact-samples", type=int, help="random impact start nodes (default 100; --quick: 40)")
    parser.add_argument("--hubs", type=int, help="hub impact start nodes (default 3)")
    parser.add_argument("--graph-starts", type=int, help="graph start nodes (default 20; --quick: 10)")
    parser.add_argument("--graph-rounds", type=int, help="requests per graph start (default 5; --quick: 3)")
    parser.add_argument(
        "--budget", type=float, help="seconds per measured API series (default 60; --quick: 15); 1 request at least"
    )
    parser.add_argument("--request-timeout", type=float, default=120.0, help="seconds (default 120)")
    parser.add_argument(
        "--code",
        metavar="REV",
        help="measure lineage_backend/ as committed at REV (git archive, first on PYTHONPATH), not the working tree",
    )
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--profile", help="record the server with py-spy while measuring (raw stacks into DIR)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = [int(s) for s in (args.sizes or ("10000" if quick else "10000,100000")).split(",")]
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    if any(d not in ("sqlite", "postgresql") for d in dbs):
        parser.error("--db takes sqlite and/or postgresql")
    args.runs = args.runs or (200_000 if quick else 1_000_000)
    args.impact_samples = args.impact_samples or (40 if quick else 100)
    args.hubs = args.hubs if args.hubs is not None else 3
    args.graph_starts = args.graph_starts or (10 if quick else 20)
    args.graph_rounds = args.graph_rounds or (3 if quick else 5)
    args.budget = args.budget or (15.0 if quick else 60.0)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)

    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-lineage-bench-"))
    if args.code:
        use_committed_code(args.code, workdir / "code")
    pg: PostgresCluster | None = None
    cells: list[CellResult] = []
    try:
        if "postgresql" in dbs:
            # Default settings, except that the bulk load writes no WAL (COPY into tables truncated in the
            # same transaction); reads are unaffected.
            pg = PostgresCluster(extra=("wal_level=minimal", "max_wal_senders=0")).start()
        for size in args.sizes:
            t0 = time.monotonic()
            graph = generate(size, args.seed)
            log(
                f"graph {size:,}: {len(graph.jobs):,} jobs, {len(graph.datasets):,} datasets, "
                f"{len(graph.edges):,} edges, {len(graph.hubs)} hubs ({time.monotonic() - t0:.1f} s)"
            )
            for db in dbs:
                log(f"[{size:,} nodes, {db}]")
                cells.append(run_cell(size, db, graph, args, workdir, pg))
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(cells, args, time.monotonic() - began)
    print()
    print(text)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [{**asdict(c), "summary": {k: v.summary() for k, v in c.series.items()}} for c in cells], indent=1
            )
        )
    return 1 if any(c.mismatches for c in cells) else 0


if __name__ == "__main__":
    raise SystemExit(main())
