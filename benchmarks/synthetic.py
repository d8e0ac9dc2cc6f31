"""A deterministic generator of large, realistic lineage graphs, loaded straight into Flowlytics' tables.

Shape (same seed, same graph, same ids):

- **Domains** (sales, finance, ...; one per ~2,500 nodes) each own **pipelines**: mostly Airflow DAGs (a DAG
  job plus its task jobs, linked by `parent_job_id`), some Spark applications with their actions.
- **Layers** 0..L: layer 0 holds source tables (written by nothing we see); a task at layer l writes 1-3
  new datasets at layer l and reads 1-5 datasets from earlier layers: mostly its own pipeline's earlier
  outputs and its domain's previous 1-3 layers, sometimes a source table, another domain's dataset, or
  one of a few **hub** datasets (calendar, customers, FX rates: large fan-out). Fan-in is therefore 1-5,
  fan-out is heavy-tailed (most datasets have 0-2 readers; hubs have hundreds).
- A few tasks also append to a dataset that another task writes (several writers of one table).
- **Runs**: a fixed total (1M by default) over the pipelines, each pipeline run being one root run (the DAG
  run or Spark application run) with one child run per task (parent/root run ids set), over the 90 days
  before a fixed end time; hourly, 4-hourly and daily schedules; ~3% failed, the newest runs of some
  pipelines still running. Every task run that finished has one `run_dataset` OUT row per output dataset
  with a row count and bytes.
- **Node metadata** (what people add): owners for ~25% of nodes, criticality for ~15%, SLAs for ~3%.
  Jobs carry `jobType` and `ownership` facets; datasets a `schema` facet, as real emitters send.

Loading bypasses the HTTP ingest (which would take hours for 1M runs): rows go in with explicit ids via
PostgreSQL COPY, or executemany on SQLite, into tables created by the real migrations
(`lineage_backend.store.migrate.upgrade`). Secondary indexes of the two big tables are dropped for the
load and recreated from their own definitions afterwards; sequences are moved past the loaded ids.

    .venv/bin/python benchmarks/synthetic.py --nodes 10000 --runs 100000 --db-url sqlite:////tmp/g.db
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import inspect

DEFAULT_SEED = 20250601
END_TIME = datetime(2025, 6, 1, tzinfo=timezone.utc)  # fixed, so that runs (and the graph) are reproducible
HISTORY_DAYS = 90
LAYERS = 12

DOMAINS = (
    "sales", "finance", "marketing", "ops", "hr", "inventory", "web", "crm", "risk", "logistics",
    "billing", "support", "product", "growth", "supply", "legal",
)  # fmt: skip
ENTITIES = (
    "orders", "customers", "invoices", "payments", "sessions", "events", "products", "stock", "campaigns",
    "leads", "employees", "shipments", "refunds", "accounts", "ledger", "clicks", "tickets", "contracts",
)  # fmt: skip
LAYER_NAMES = ("src", "raw", "stg", "clean", "int", "core", "agg", "mart", "rpt", "export", "ml")
DATASET_NAMESPACES = ("postgres://warehouse.internal:5432", "s3://acme-datalake", "bigquery")
FIELD_TYPES = ("BIGINT", "VARCHAR(64)", "NUMERIC(12,2)", "TIMESTAMP", "BOOLEAN", "DATE")
OWNERS_PER_DOMAIN = 4
CRITICALITIES = ("low", "medium", "high", "critical")

# Where a task's inputs come from: its own pipeline's earlier outputs, its domain's previous 1-3 layers,
# a source table, another domain, a hub. Tuned so that the downstream blast radius of a random node is
# heavy-tailed: median ~10 nodes, p95 a few hundred, hubs 5-20% of the graph (see docs/benchmarks.md).
INPUT_SOURCES = (("own", 0.15), ("domain", 0.50), ("source", 0.05), ("cross", 0.20), ("hub", 0.10))
FAN_IN = ((1, 0.34), (2, 0.30), (3, 0.18), (4, 0.11), (5, 0.07))
FAN_OUT = ((1, 0.74), (2, 0.19), (3, 0.07))
LAYER_BACK = ((1, 0.6), (2, 0.25), (3, 0.15))
OWN_FIRST = 0.4  # probability that a task's first input is an earlier output of its own pipeline
POPULARITY = 1.5  # > 1: some datasets of a layer are read far more than others (core tables)
SCHEDULES = (("@hourly", 24.0, 0.08), ("0 */4 * * *", 6.0, 0.17), ("@daily", 1.0, 0.75))


def domain_name(domain: int) -> str:
    return f"{DOMAINS[domain % len(DOMAINS)]}{domain // len(DOMAINS) or ''}"


def _weighted(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    x, acc = rng.random(), 0.0
    for value, weight in table:
        acc += weight
        if x < acc:
            return value
    return table[-1][0]


@dataclass
class JobRow:
    id: int
    namespace: str
    name: str
    dag_id: str | None
    parent_job_id: int | None
    job_type: str
    integration: str
    facets: dict[str, Any]


@dataclass
class DatasetRow:
    id: int
    namespace: str
    name: str
    layer: int
    domain: int
    facets: dict[str, Any]


@dataclass
class Pipeline:
    """An Airflow DAG (or Spark application): its root job, its task jobs, how often it runs."""

    root_job: int
    tasks: list[int]
    domain: int
    kind: str  # airflow | spark
    schedule: str
    runs_per_day: float
    owner: str


@dataclass
class MetadataRow:
    node_id: str
    owners: list[str] | None
    criticality: str | None
    sla: dict[str, Any] | None
    tags: list[str] | None


@dataclass
class SyntheticGraph:
    seed: int
    jobs: list[JobRow] = field(default_factory=list)
    datasets: list[DatasetRow] = field(default_factory=list)
    edges: list[tuple[int, int, str]] = field(default_factory=list)  # (job_id, dataset_id, IN|OUT), edge id = index+1
    pipelines: list[Pipeline] = field(default_factory=list)
    outputs_of: dict[int, list[int]] = field(default_factory=dict)  # task job id -> dataset ids it writes
    hubs: list[int] = field(default_factory=list)  # dataset ids
    metadata: list[MetadataRow] = field(default_factory=list)

    @property
    def node_count(self) -> int:
        return len(self.jobs) + len(self.datasets)

    def job_node_id(self, job_id: int) -> str:
        job = self.jobs[job_id - 1]
        return f"job:{job.namespace}:{job.name}"

    def dataset_node_id(self, dataset_id: int) -> str:
        dataset = self.datasets[dataset_id - 1]
        return f"dataset:{dataset.namespace}:{dataset.name}"

    def node_id(self, key: int) -> str:
        """Node id of an index key (job id * 2, dataset id * 2 + 1), as lineage_backend.graph.index."""
        return self.job_node_id(key // 2) if key % 2 == 0 else self.dataset_node_id(key // 2)

    def downstream_pairs(self) -> Iterator[tuple[int, int]]:
        """Edges as (source key, target key) in data-flow direction, in edge-id order."""
        for job_id, dataset_id, direction in self.edges:
            if direction == "IN":
                yield dataset_id * 2 + 1, job_id * 2
            else:
                yield job_id * 2, dataset_id * 2 + 1


# ------------------------------------------------------------------------------------------ the graph


@dataclass
class _TaskPlan:
    pipeline: int
    index: int
    layer: int
    n_out: int


def generate(nodes: int, seed: int = DEFAULT_SEED, layers: int = LAYERS) -> SyntheticGraph:
    """A layered lineage graph of about `nodes` jobs + datasets (exactly, give or take a pipeline root)."""
    rng = random.Random(seed)
    graph = SyntheticGraph(seed=seed)
    n_domains = max(4, round(nodes / 2500))
    n_sources = max(20, int(nodes * 0.06))

    # 1. Pipeline skeletons: how many tasks, at which layers, how many outputs each; until the budget is used.
    plans: list[list[_TaskPlan]] = []
    pipeline_meta: list[tuple[int, str]] = []  # (domain, kind)
    budget = nodes - n_sources
    used = 0
    while used < budget:
        domain = len(plans) % n_domains if rng.random() < 0.7 else rng.randrange(n_domains)
        kind = "spark" if rng.random() < 0.15 else "airflow"
        n_tasks = rng.randint(3, 15) if kind == "airflow" else rng.randint(2, 6)
        start = rng.randint(1, layers - 2)
        span = rng.randint(1, min(4, layers - start))
        tasks = [
            _TaskPlan(len(plans), i, start + (i * span) // n_tasks, _weighted(rng, FAN_OUT)) for i in range(n_tasks)
        ]
        cost = 1 + n_tasks + sum(t.n_out for t in tasks)
        if used + cost > budget:
            # Trim the last pipeline so that the total lands on `nodes`.
            while tasks and used + 1 + len(tasks) + sum(t.n_out for t in tasks) > budget:
                tasks.pop()
            if len(tasks) < 1:
                break
            cost = 1 + len(tasks) + sum(t.n_out for t in tasks)
        plans.append(tasks)
        pipeline_meta.append((domain, kind))
        used += cost
    n_sources = nodes - used  # whatever is left are source tables

    # 2. Source datasets (layer 0), spread over domains; hubs among them and among early layers.
    by_domain_layer: dict[tuple[int, int], list[int]] = {}
    by_layer: dict[int, list[int]] = {}
    sources: list[int] = []

    def new_dataset(domain: int, layer: int) -> int:
        dataset_id = len(graph.datasets) + 1
        entity = rng.choice(ENTITIES)
        namespace = DATASET_NAMESPACES[0] if layer > 1 else rng.choice(DATASET_NAMESPACES)
        schema = f"{domain_name(domain)}_{LAYER_NAMES[min(layer, len(LAYER_NAMES) - 1)]}"
        name = f"{schema}.{entity}_{dataset_id}"
        fields = [
            {"name": f"{entity[:-1]}_id", "type": "BIGINT"},
            *({"name": f"col_{i}", "type": rng.choice(FIELD_TYPES)} for i in range(rng.randint(1, 6))),
        ]
        graph.datasets.append(DatasetRow(dataset_id, namespace, name, layer, domain, {"schema": {"fields": fields}}))
        by_domain_layer.setdefault((domain, layer), []).append(dataset_id)
        by_layer.setdefault(layer, []).append(dataset_id)
        return dataset_id

    for i in range(n_sources):
        sources.append(new_dataset(i % n_domains, 0))
    n_hubs = max(3, nodes // 5000)

    # 3. Jobs: pipeline roots and tasks (ids in pipeline order), then wire tasks layer by layer.
    owners = [f"team-{DOMAINS[d % len(DOMAINS)]}-{k}" for d in range(n_domains) for k in range(OWNERS_PER_DOMAIN)]
    task_ids: dict[tuple[int, int], int] = {}
    for p, (tasks, (domain, kind)) in enumerate(zip(plans, pipeline_meta, strict=True)):
        dname = domain_name(domain)
        schedule, per_day = _schedule(rng)
        owner = owners[domain * OWNERS_PER_DOMAIN + rng.randrange(OWNERS_PER_DOMAIN)]
        root_id = len(graph.jobs) + 1
        if kind == "airflow":
            dag_id = f"{dname}_{rng.choice(ENTITIES)}_{p:05d}"
            graph.jobs.append(
                JobRow(root_id, "airflow", dag_id, dag_id, None, "DAG", "AIRFLOW", _job_facets("DAG", "AIRFLOW", owner))
            )
        else:
            dag_id = None
            app = f"{dname}_spark_app_{p:05d}"
            graph.jobs.append(
                JobRow(
                    root_id,
                    "spark://cluster-1",
                    app,
                    None,
                    None,
                    "APPLICATION",
                    "SPARK",
                    _job_facets("APPLICATION", "SPARK", owner),
                )
            )
        pipeline = Pipeline(root_id, [], domain, kind, schedule, per_day, owner)
        for task in tasks:
            job_id = len(graph.jobs) + 1
            if kind == "airflow":
                assert dag_id is not None
                verb = ("extract", "load", "transform", "validate", "aggregate", "publish")[min(task.layer // 2, 5)]
                graph.jobs.append(
                    JobRow(
                        job_id,
                        "airflow",
                        f"{dag_id}.{verb}_{task.index}",
                        dag_id,
                        root_id,
                        "TASK",
                        "AIRFLOW",
                        _job_facets("TASK", "AIRFLOW", None),
                    )
                )
            else:
                graph.jobs.append(
                    JobRow(
                        job_id,
                        "spark://cluster-1",
                        f"{app}.execute_insert_into_{task.index}",
                        None,
                        root_id,
                        "JOB",
                        "SPARK",
                        _job_facets("JOB", "SPARK", None),
                    )
                )
            pipeline.tasks.append(job_id)
            task_ids[(p, task.index)] = job_id
        graph.pipelines.append(pipeline)

    # Hubs: popular early datasets. Sources first; layer-1/2 hubs are created on the fly below.
    graph.hubs = rng.sample(sources, min(len(sources), n_hubs // 2 + 1))
    own_outputs: dict[int, list[int]] = {}
    pending = sorted((t for tasks in plans for t in tasks), key=lambda t: (t.layer, t.pipeline, t.index))
    edges: set[tuple[int, int, str]] = set()
    for task in pending:
        domain = pipeline_meta[task.pipeline][0]
        job_id = task_ids[(task.pipeline, task.index)]
        inputs: list[int] = []
        fan_in = _weighted(rng, FAN_IN)
        own = [d for d in own_outputs.get(task.pipeline, []) if graph.datasets[d - 1].layer < task.layer]
        for slot in range(fan_in):
            choice = "own" if slot == 0 and rng.random() < OWN_FIRST else _weighted(rng, INPUT_SOURCES)
            picked = _pick_input(
                rng, choice, task.layer, domain, n_domains, own, sources, graph.hubs, by_domain_layer, by_layer
            )
            if picked is not None and picked not in inputs:
                inputs.append(picked)
        for dataset_id in inputs:
            edges.add((job_id, dataset_id, "IN"))
        outputs = [new_dataset(domain, task.layer) for _ in range(task.n_out)]
        if task.layer <= 2 and len(graph.hubs) < n_hubs and rng.random() < 0.02:
            graph.hubs.append(outputs[0])
        if rng.random() < 0.04 and by_domain_layer.get((domain, task.layer)):
            # Another writer of an existing table of this layer (appends, backfills).
            shared = rng.choice(by_domain_layer[(domain, task.layer)])
            if shared not in outputs and shared not in inputs:
                outputs.append(shared)
        for dataset_id in outputs:
            edges.add((job_id, dataset_id, "OUT"))
        graph.outputs_of[job_id] = outputs
        own_outputs.setdefault(task.pipeline, []).extend(outputs[: task.n_out])

    # Edge ids in a realistic arrival order: pipeline by pipeline, as their first runs were ingested.
    graph.edges = sorted(edges, key=lambda e: (e[0], e[2] == "OUT", e[1]))
    graph.metadata = _metadata(rng, graph, owners)
    return graph


def _schedule(rng: random.Random) -> tuple[str, float]:
    x, acc = rng.random(), 0.0
    for schedule, per_day, weight in SCHEDULES:
        acc += weight
        if x < acc:
            return schedule, per_day
    return SCHEDULES[-1][0], SCHEDULES[-1][1]


def _pick_input(
    rng: random.Random,
    choice: str,
    layer: int,
    domain: int,
    n_domains: int,
    own: list[int],
    sources: list[int],
    hubs: list[int],
    by_domain_layer: dict[tuple[int, int], list[int]],
    by_layer: dict[int, list[int]],
) -> int | None:
    if choice == "own" and own:
        # The pipeline's most recent outputs are the likeliest inputs (a chain of tasks).
        return own[-1 - min(len(own) - 1, int(rng.expovariate(1.0)))]
    if choice == "hub" and hubs:
        return rng.choice(hubs)
    if choice == "source" or (choice == "own" and not own):
        candidates = by_domain_layer.get((domain, 0)) or sources
        return rng.choice(candidates)
    if choice == "cross":
        other = rng.randrange(n_domains)
        back = _weighted(rng, LAYER_BACK) + 1
        pool = by_domain_layer.get((other, max(0, layer - back)))
        return _popular(rng, pool) if pool else None
    back = _weighted(rng, LAYER_BACK)
    for offset in (back, 1, 2, 3):
        pool = by_domain_layer.get((domain, max(0, layer - offset)))
        if pool:
            return _popular(rng, pool)
    return None


def _popular(rng: random.Random, pool: list[int]) -> int:
    """A skewed pick: the first datasets of a pool (the layer's core tables) are read most."""
    return pool[int(len(pool) * rng.random() ** POPULARITY)]


def _job_facets(job_type: str, integration: str, owner: str | None) -> dict[str, Any]:
    facets: dict[str, Any] = {"jobType": {"processingType": "BATCH", "integration": integration, "jobType": job_type}}
    if owner:
        facets["ownership"] = {"owners": [{"name": owner}]}
    return facets


def _metadata(rng: random.Random, graph: SyntheticGraph, owners: list[str]) -> list[MetadataRow]:
    rows: list[MetadataRow] = []
    for dataset in graph.datasets:
        if rng.random() >= 0.3:
            continue
        team = owners[dataset.domain * OWNERS_PER_DOMAIN + rng.randrange(OWNERS_PER_DOMAIN)]
        criticality = rng.choice(CRITICALITIES) if rng.random() < 0.5 else None
        if dataset.id in graph.hubs:
            criticality = "critical"
        sla = None
        if rng.random() < 0.1:
            sla = {"latestArrival": f"{rng.randint(4, 9):02d}:{rng.choice((0, 30)):02d}", "maxAgeMinutes": None}
        tags = ["pii"] if rng.random() < 0.1 else None
        rows.append(MetadataRow(graph.dataset_node_id(dataset.id), [team], criticality, sla, tags))
    for pipeline in graph.pipelines:
        if rng.random() < 0.2:
            rows.append(
                MetadataRow(
                    graph.job_node_id(pipeline.root_job),
                    [pipeline.owner, "data-platform"],
                    rng.choice(CRITICALITIES),
                    {"latestArrival": None, "maxAgeMinutes": 24 * 60} if rng.random() < 0.3 else None,
                    None,
                )
            )
    return rows


# ------------------------------------------------------------------------------------------------ runs


@dataclass
class RunBatch:
    """Rows ready to load: every value is a string (times already in UtcDateTime's stored form) or None."""

    runs: list[tuple[str | None, ...]]  # see RUN_COLUMNS
    outputs: list[tuple[str | None, ...]]  # see RUN_DATASET_COLUMNS


RUN_COLUMNS = (
    "run_uuid", "job_id", "state", "state_rank", "started_at", "ended_at", "first_event_at", "last_event_at",
    "sort_time", "nominal_start_at", "nominal_end_at", "parent_run_uuid", "root_run_uuid", "error_message",
    "facets", "facet_times", "event_count", "batch_run_uuid", "is_root",
)  # fmt: skip
RUN_DATASET_COLUMNS = (
    "id",
    "run_uuid",
    "dataset_id",
    "direction",
    "row_count",
    "bytes",
    "file_count",
    "facets",
    "facet_times",
)
# (terminal flag, type rank of the deciding event) as lineage_backend.ingest.projection.state_rank writes them
STATE_RANK = {"COMPLETED": ("1", "3"), "FAILED": ("1", "5"), "RUNNING": ("0", "1")}
ERROR = "Task failed with exception: psycopg.errors.DeadlockDetected: deadlock detected"
MS = 1000
DAY_MS = 86_400 * MS


def pipeline_run_counts(graph: SyntheticGraph, total_runs: int) -> list[int]:
    """Pipeline runs per pipeline (by schedule) so that all runs, roots and tasks, add up to ~`total_runs`."""
    scale = total_runs / sum(p.runs_per_day * (1 + len(p.tasks)) for p in graph.pipelines)
    for _ in range(3):  # rounding and the one-run minimum shift the total: correct the scale
        counts = [max(1, round(p.runs_per_day * scale)) for p in graph.pipelines]
        actual = sum(c * (1 + len(p.tasks)) for c, p in zip(counts, graph.pipelines, strict=True))
        scale *= total_runs / actual
    # About 1.5% of the planned task runs never happen (their DAG run failed earlier): plan for them.
    counts = [max(1, round(c * 1.015)) if c > 1 else c for c in counts]
    return counts


class _Clock:
    """Fast formatting of times given as milliseconds since the start of the history (UTC)."""

    def __init__(self) -> None:
        base = (END_TIME - timedelta(days=HISTORY_DAYS)).replace(tzinfo=None)
        self.days = [(base + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(HISTORY_DAYS + 3)]
        self.hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]
        self.millis = [f"{m:03d}000" for m in range(1000)]

    def fmt(self, ms: int, sep: str = " ") -> str:
        day, rest = divmod(ms, DAY_MS)
        second, milli = divmod(rest, 1000)
        return f"{self.days[day]}{sep}{self.hms[second]}.{self.millis[milli]}"


def _uuid4(rng: random.Random) -> str:
    h = f"{(rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def runs(graph: SyntheticGraph, total_runs: int, batch_rows: int = 50_000) -> Iterator[RunBatch]:
    """All runs, in batches; deterministic (one RNG per pipeline, seeded from the graph's seed)."""
    counts = pipeline_run_counts(graph, total_runs)
    clock = _Clock()
    fmt = clock.fmt
    history_ms = HISTORY_DAYS * DAY_MS
    batch = RunBatch([], [])
    run_dataset_id = 0
    for index, (pipeline, count) in enumerate(zip(graph.pipelines, counts, strict=True)):
        rng = random.Random(graph.seed * 1_000_003 + index)
        rand, uniform = rng.random, rng.uniform
        period = history_ms // count
        offset = int(uniform(0, min(3600 * MS, period)))
        failing_latest = rand() < 0.04
        running_latest = rand() < 0.03
        outputs = [(job_id, [str(d) for d in graph.outputs_of.get(job_id, ())]) for job_id in pipeline.tasks]
        root_job = str(pipeline.root_job)
        n_tasks = len(pipeline.tasks)
        for n in range(count):
            nominal = period * n + offset
            start = nominal + int(uniform(5, 120) * MS)
            latest = n == count - 1
            root_state = "COMPLETED"
            if (latest and failing_latest) or rand() < 0.03:
                root_state = "FAILED"
            if latest and running_latest:
                root_state = "RUNNING"
            root_uuid = _uuid4(rng)
            moment = start
            failed_at = rng.randrange(n_tasks) if root_state == "FAILED" else -1
            nominal_text, nominal_end_text = fmt(nominal), fmt(nominal + 3600 * MS)
            for t, (job_id, written) in enumerate(outputs):
                task_uuid = _uuid4(rng)
                t_start = moment + int(uniform(1, 30) * MS)
                t_end: int | None = t_start + int(uniform(5, 900) * MS)
                moment = t_end
                state = "COMPLETED" if t != failed_at else "FAILED"
                if root_state == "RUNNING" and t >= n_tasks // 2:
                    state, t_end = "RUNNING", None
                batch.runs.append(
                    _run_row(
                        fmt, task_uuid, str(job_id), state, t_start, t_end, nominal_text, nominal_end_text, root_uuid
                    )
                )
                if state == "COMPLETED":
                    for dataset_id in written:
                        rows = int(rng.lognormvariate(11, 2.2))
                        run_dataset_id += 1
                        batch.outputs.append(
                            (
                                str(run_dataset_id),
                                task_uuid,
                                dataset_id,
                                "OUT",
                                str(rows),
                                str(rows * 120),
                                None,
                                "{}",
                                "{}",
                            )
                        )
                elif root_state != "RUNNING":
                    break  # the rest of the DAG run did not run (upstream failed)
            end = None if root_state == "RUNNING" else moment + MS
            batch.runs.append(
                _run_row(fmt, root_uuid, root_job, root_state, start, end, nominal_text, nominal_end_text, None)
            )
            if len(batch.runs) >= batch_rows:
                yield batch
                batch = RunBatch([], [])
    if batch.runs:
        yield batch


def _run_row(
    fmt: Any,
    run_uuid: str,
    job_id: str,
    state: str,
    start: int,
    end: int | None,
    nominal: str,
    nominal_end: str,
    root_uuid: str | None,
) -> tuple[str | None, ...]:
    terminal, type_rank = STATE_RANK[state]
    started = fmt(start)
    ended = fmt(end) if end is not None else None
    last = end if end is not None else start
    rank = f"{terminal}|{fmt(last, 'T')}|{type_rank}"
    error = ERROR if state == "FAILED" and root_uuid is not None else None
    return (
        run_uuid, job_id, state, rank, started, ended, started, ended or started, started, nominal, nominal_end,
        root_uuid, root_uuid, error, "{}", "{}", "1" if end is None else "2", root_uuid or run_uuid,
        "0" if root_uuid else "1",  # a boolean both PostgreSQL and SQLite read
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------- loading


def _naive(moment: datetime | None) -> str | None:
    """How UtcDateTime stores a time: naive UTC; SQLAlchemy's SQLite text format (works for COPY too)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def node_rows(graph: SyntheticGraph) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    """Rows of the node tables, keyed by table, with their column names."""
    created = _naive(END_TIME - timedelta(days=HISTORY_DAYS + 1))
    jobs = [
        (
            j.id,
            j.namespace,
            j.name,
            j.dag_id,
            j.parent_job_id,
            j.job_type,
            j.integration,
            _json(j.facets),
            "{}",
            created,
            created,
        )
        for j in graph.jobs
    ]
    datasets = [(d.id, d.namespace, d.name, _json(d.facets), "{}", created, created) for d in graph.datasets]
    first_seen = created
    edges = [(i + 1, j, d, direction, first_seen, created) for i, (j, d, direction) in enumerate(graph.edges)]
    metadata = [
        (
            i + 1, m.node_id, _json(m.owners) if m.owners is not None else None, m.criticality,
            _json(m.sla) if m.sla is not None else None, _json(m.tags) if m.tags is not None else None,
            "[]", created, "synthetic",
        )
        for i, m in enumerate(graph.metadata)
    ]  # fmt: skip
    return {
        "flowlytics_job": (
            (
                "id",
                "namespace",
                "name",
                "dag_id",
                "parent_job_id",
                "job_type",
                "integration",
                "facets",
                "facet_times",
                "created_at",
                "updated_at",
            ),
            jobs,
        ),
        "flowlytics_dataset": (
            ("id", "namespace", "name", "facets", "facet_times", "created_at", "updated_at"),
            datasets,
        ),
        "flowlytics_lineage_edge": (
            ("id", "job_id", "dataset_id", "direction", "first_seen", "last_seen"),
            edges,
        ),
        "flowlytics_node_metadata": (
            ("id", "node_id", "owners", "criticality", "sla", "tags", "annotations", "updated_at", "updated_by"),
            metadata,
        ),
    }


BULK_TABLES = ("flowlytics_run", "flowlytics_run_dataset")


@dataclass
class LoadReport:
    jobs: int
    datasets: int
    edges: int
    runs: int
    run_datasets: int
    metadata: int
    seconds: float


def load(graph: SyntheticGraph, url: str, total_runs: int) -> LoadReport:
    """Migrate an empty database at `url` with the real migrations and fill it with `graph` and its runs."""
    from lineage_backend.db import make_engine
    from lineage_backend.store.migrate import upgrade

    began = time.monotonic()
    engine = make_engine(url)
    upgrade(engine)
    try:
        columns = {t: {c["name"] for c in inspect(engine).get_columns(t)} for t in BULK_TABLES}
        layout = (
            _layout(RUN_COLUMNS, columns["flowlytics_run"]),
            _layout(RUN_DATASET_COLUMNS, columns["flowlytics_run_dataset"]),
        )
        if engine.dialect.name == "postgresql":
            counts = _load_postgresql(engine, graph, total_runs, layout)
        else:
            counts = _load_sqlite(engine, graph, total_runs, layout)
    finally:
        engine.dispose()
    nodes = node_rows(graph)
    return LoadReport(
        jobs=len(graph.jobs),
        datasets=len(graph.datasets),
        edges=len(graph.edges),
        runs=counts[0],
        run_datasets=counts[1],
        metadata=len(nodes["flowlytics_node_metadata"][1]),
        seconds=time.monotonic() - began,
    )


Layout = tuple[tuple[str, ...], list[int] | None]


def _layout(generated: tuple[str, ...], existing: set[str]) -> Layout:
    """The generated columns that the migrated table has (the schema may be older or newer than this file);
    with the positions to keep, or None when all are kept."""
    keep = [i for i, name in enumerate(generated) if name in existing]
    if len(keep) == len(generated):
        return generated, None
    return tuple(generated[i] for i in keep), keep


def _rows(rows: list[tuple[Any, ...]], keep: list[int] | None) -> list[tuple[Any, ...]]:
    return rows if keep is None else [tuple(row[i] for i in keep) for row in rows]


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy(
    cursor: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], *, plain: bool = False
) -> None:
    """COPY rows in; `plain` rows hold only strings and None that need no escaping (generated run rows)."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FREEZE)") as copy:
        for start in range(0, len(rows), 20_000):
            chunk = rows[start : start + 20_000]
            if plain:
                lines = ["\t".join(v if v is not None else "\\N" for v in row) for row in chunk]
            else:
                lines = ["\t".join(_copy_text(v) for v in row) for row in chunk]
            copy.write("\n".join(lines) + "\n")


def _load_postgresql(
    engine: Any, graph: SyntheticGraph, total_runs: int, layout: tuple[Layout, Layout]
) -> tuple[int, int]:
    """COPY ... FREEZE into tables truncated in the same transaction: with `wal_level=minimal` (as the
    benchmark's throwaway cluster runs) PostgreSQL then writes no WAL for the data, and no VACUUM is needed
    to make the pages all-visible."""
    (run_columns, run_keep), (output_columns, output_keep) = layout
    n_runs = n_outputs = 0
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute(
                "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                "WHERE schemaname = current_schema() AND tablename LIKE 'flowlytics%%' AND tablename <> %s",
                ("flowlytics_alembic_version",),
            )
            cursor.execute(f"TRUNCATE {cursor.fetchone()[0]}")
            saved = _drop_secondary_indexes_pg(cursor)
            for table, (columns, rows) in node_rows(graph).items():
                _copy(cursor, table, columns, rows)
            for batch in runs(graph, total_runs):
                _copy(cursor, "flowlytics_run", run_columns, _rows(batch.runs, run_keep), plain=True)
                _copy(cursor, "flowlytics_run_dataset", output_columns, _rows(batch.outputs, output_keep), plain=True)
                n_runs += len(batch.runs)
                n_outputs += len(batch.outputs)
            for statement in saved:
                cursor.execute(statement)
            for table in SEQUENCED_TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does shortly after such a load
            # Write the load's dirty pages out now, not while the next measurement runs (the spread
            # checkpoint of a GB load otherwise competes with it for the 2 cores for minutes).
            cursor.execute("CHECKPOINT")
    finally:
        raw.close()
    return n_runs, n_outputs


SEQUENCED_TABLES = (
    "flowlytics_job", "flowlytics_dataset", "flowlytics_lineage_edge", "flowlytics_node_metadata",
    "flowlytics_run_dataset",
)  # fmt: skip


def _drop_secondary_indexes_pg(cursor: Any) -> list[str]:
    """Drop what slows COPY down: every foreign key of Flowlytics' tables (checked row by row), the keys
    and indexes of the two run tables (random-order B-tree inserts). Returns the statements that put them
    back, from their own definitions: keys and indexes first, then the foreign keys (validated in bulk)."""
    cursor.execute(
        "SELECT c.conname, t.relname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname LIKE 'flowlytics%%' "
        "AND (c.contype = 'f' OR (c.contype IN ('p', 'u') AND t.relname = ANY(%s)))",
        (list(BULK_TABLES),),
    )
    constraints = cursor.fetchall()
    for name, table, _, _ in sorted(constraints, key=lambda c: c[2] != "f"):  # foreign keys first
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s)", (list(BULK_TABLES),))
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    restore = [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for name, table, kind, definition in constraints
        if kind != "f"
    ]
    restore += [definition for _, definition in indexes]
    restore += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for name, table, kind, definition in constraints
        if kind == "f"
    ]
    return restore


def _load_sqlite(engine: Any, graph: SyntheticGraph, total_runs: int, layout: tuple[Layout, Layout]) -> tuple[int, int]:
    """Through a plain sqlite3 connection with the journal off (a throwaway file): the server's own
    connections switch the file to WAL when they open it, as they do for any database."""
    import sqlite3

    (run_columns, run_keep), (output_columns, output_keep) = layout
    database = engine.url.database
    engine.dispose()
    n_runs = n_outputs = 0
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")
        conn.execute("BEGIN")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN (?, ?)",
            BULK_TABLES,
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')

        def insert(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
            marks = ", ".join("?" for _ in columns)
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

        for table, (columns, rows) in node_rows(graph).items():
            insert(table, columns, rows)
        for batch in runs(graph, total_runs):
            insert("flowlytics_run", run_columns, _rows(batch.runs, run_keep))
            insert("flowlytics_run_dataset", output_columns, _rows(batch.outputs, output_keep))
            n_runs += len(batch.runs)
            n_outputs += len(batch.outputs)
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return n_runs, n_outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=10_000, help="jobs + datasets")
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--db-url", help="load into this (empty) database; without it, only print the shape")
    args = parser.parse_args(argv)
    began = time.monotonic()
    graph = generate(args.nodes, args.seed)
    print(
        f"graph: {len(graph.jobs)} jobs ({len(graph.pipelines)} pipelines), {len(graph.datasets)} datasets, "
        f"{len(graph.edges)} edges, {len(graph.hubs)} hubs, {len(graph.metadata)} metadata rows "
        f"in {time.monotonic() - began:.1f} s"
    )
    if args.db_url:
        report = load(graph, args.db_url, args.runs)
        print(f"loaded: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
