"""Shared parts of the benchmarks: an Airflow-like event workload, a throwaway PostgreSQL cluster,
and small helpers. Imported by the scripts in this folder (run them as scripts: this folder is then on
sys.path)."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Self

import orjson

PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/2.6.0"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACET_URL = "https://openlineage.io/spec/facets/{}.json"
ADAPTER_VERSION = "2.6.0"
AIRFLOW_VERSION = "3.0.4"

# The workload is the same in every client process (same seed): a few hundred jobs and datasets shared
# by concurrent DAG runs, as in a real deployment. Only run ids, times and counts differ per run.
WORKLOAD_SEED = 20240501
N_DAGS = 60

_TOKEN = re.compile(r"@@([A-Za-z0-9_]+)@@")
_COUNT = re.compile(r'"(@@(?:IN|OUT|SIZE)\d+_\d+@@)"')

_NAMESPACES = (
    ("postgres://warehouse.internal:5432", "analytics.{schema}.{table}", "postgres"),
    ("s3://acme-datalake", "raw/{schema}/{table}", "s3"),
    ("bigquery", "acme-prod.{schema}.{table}", "bigquery"),
)
_SCHEMAS = ("sales", "finance", "marketing", "ops", "hr", "inventory", "web", "crm")
_ENTITIES = (
    "orders",
    "customers",
    "invoices",
    "payments",
    "sessions",
    "events",
    "products",
    "stock",
    "campaigns",
    "leads",
    "employees",
    "shipments",
    "refunds",
    "accounts",
    "ledger",
    "clicks",
)
_SUFFIXES = ("", "_daily", "_stg", "_agg", "_snapshot")
_FIELDS = (
    ("id", "BIGINT"),
    ("customer_id", "BIGINT"),
    ("order_id", "BIGINT"),
    ("amount", "NUMERIC(12,2)"),
    ("currency", "VARCHAR(3)"),
    ("created_at", "TIMESTAMP"),
    ("updated_at", "TIMESTAMP"),
    ("status", "VARCHAR(16)"),
    ("country", "VARCHAR(2)"),
    ("email", "VARCHAR(255)"),
    ("quantity", "INTEGER"),
    ("sku", "VARCHAR(32)"),
    ("channel", "VARCHAR(32)"),
    ("is_deleted", "BOOLEAN"),
)
_OPERATORS = (
    ("SQLExecuteQueryOperator", "airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator"),
    ("PythonOperator", "airflow.providers.standard.operators.python.PythonOperator"),
    ("S3ToSqlOperator", "airflow.providers.amazon.aws.transfers.s3_to_sql.S3ToSqlOperator"),
    ("BigQueryInsertJobOperator", "airflow.providers.google.cloud.operators.bigquery.BigQueryInsertJobOperator"),
)


def facet(schema: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": FACET_URL.format(schema), **fields}


@dataclass(frozen=True)
class DatasetSpec:
    namespace: str
    name: str
    source: str
    fields: tuple[tuple[str, str], ...]

    def ref(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "facets": {
                "schema": facet(
                    "1-1-1/SchemaDatasetFacet",
                    fields=[{"name": name, "type": type_} for name, type_ in self.fields],
                ),
            },
        }


@dataclass(frozen=True)
class TaskSpec:
    task_id: str
    operator: tuple[str, str]
    inputs: tuple[DatasetSpec, ...]
    outputs: tuple[DatasetSpec, ...]
    downstream: tuple[str, ...]


@dataclass(frozen=True)
class DagSpec:
    dag_id: str
    owner: str
    schedule: str
    tasks: tuple[TaskSpec, ...]


def build_workload(seed: int = WORKLOAD_SEED, n_dags: int = N_DAGS) -> list[DagSpec]:
    rng = random.Random(seed)
    datasets: list[DatasetSpec] = []
    seen: set[tuple[str, str]] = set()
    while len(datasets) < 260:
        namespace, pattern, source = rng.choice(_NAMESPACES)
        schema, entity, suffix = rng.choice(_SCHEMAS), rng.choice(_ENTITIES), rng.choice(_SUFFIXES)
        name = pattern.format(schema=schema, table=entity + suffix)
        if (namespace, name) in seen:
            continue
        seen.add((namespace, name))
        fields = tuple(rng.sample(_FIELDS, rng.randint(2, 6)))
        datasets.append(DatasetSpec(namespace, name, source, fields))
    dags = []
    for d in range(n_dags):
        domain = rng.choice(_SCHEMAS)
        dag_id = f"{domain}_{rng.choice(_ENTITIES)}_pipeline_{d:02d}"
        n_tasks = rng.randint(3, 8)
        task_ids = [
            f"{verb}_{i}"
            for i, verb in enumerate(
                rng.choices(("extract", "load", "transform", "validate", "publish", "aggregate"), k=n_tasks)
            )
        ]
        tasks = []
        for i, task_id in enumerate(task_ids):
            n_in = rng.choice((0, 1, 1, 1, 2, 2))
            n_out = 0 if n_in == 0 and rng.random() < 0.5 else 1
            tasks.append(
                TaskSpec(
                    task_id=task_id,
                    operator=rng.choice(_OPERATORS),
                    inputs=tuple(rng.sample(datasets, n_in)),
                    outputs=tuple(rng.sample(datasets, n_out)),
                    downstream=tuple(task_ids[i + 1 : i + 2]),
                )
            )
        dags.append(DagSpec(dag_id, f"team-{domain}", rng.choice(("@daily", "@hourly", "0 3 * * *")), tuple(tasks)))
    return dags


def workload_size(dags: list[DagSpec]) -> tuple[int, int]:
    """(distinct jobs, distinct datasets) of the workload."""
    jobs = sum(1 + len(dag.tasks) for dag in dags)
    datasets = {(d.namespace, d.name) for dag in dags for t in dag.tasks for d in (*t.inputs, *t.outputs)}
    return jobs, len(datasets)


class Template:
    """An event serialised once with @@TOKEN@@ placeholders; rendering is a join of the parts."""

    def __init__(self, text: str) -> None:
        parts = _TOKEN.split(text)
        self.literals = parts[0::2]
        self.tokens = parts[1::2]

    def render(self, values: dict[str, str]) -> str:
        out = [self.literals[0]]
        for token, literal in zip(self.tokens, self.literals[1:], strict=True):
            out.append(values[token])
            out.append(literal)
        return "".join(out)


def _dag_facets(dag: DagSpec) -> dict[str, Any]:
    return {
        "dag_id": dag.dag_id,
        "owner": dag.owner,
        "schedule_interval": dag.schedule,
        "start_date": "2024-01-01T00:00:00+00:00",
        "tags": "['flowlytics-bench']",
        "fileloc": f"/opt/airflow/dags/{dag.dag_id}.py",
    }


def _dag_run_facets() -> dict[str, Any]:
    return {
        "run_id": "scheduled__@@LOGICAL@@",
        "run_type": "scheduled",
        "data_interval_start": "@@LOGICAL@@",
        "data_interval_end": "@@TS0@@",
        "start_date": "@@TS0@@",
        "conf": {},
        "external_trigger": False,
    }


def _processing_engine() -> dict[str, Any]:
    return facet(
        "1-1-1/ProcessingEngineRunFacet",
        version=AIRFLOW_VERSION,
        name="Airflow",
        openlineageAdapterVersion=ADAPTER_VERSION,
    )


def dag_templates(dag: DagSpec) -> list[Template]:
    """The events of one DAG run, in emission order: DAG START, each task START and COMPLETE, DAG COMPLETE."""
    job_dag = {"namespace": "airflow", "name": dag.dag_id}
    events: list[dict[str, Any]] = []
    nominal = facet("1-0-1/NominalTimeRunFacet", nominalStartTime="@@LOGICAL@@", nominalEndTime="@@TS0@@")
    events.append(
        {
            "eventType": "START",
            "eventTime": "@@TS0@@",
            "producer": PRODUCER,
            "schemaURL": SCHEMA_URL,
            "run": {
                "runId": "@@DAGRUN@@",
                "facets": {
                    "airflowDagRun": facet("2-0-2/OpenLineage", dag=_dag_facets(dag), dagRun=_dag_run_facets()),
                    "nominalTime": nominal,
                    "processing_engine": _processing_engine(),
                },
            },
            "job": {
                **job_dag,
                "facets": {
                    "jobType": facet(
                        "2-0-3/JobTypeJobFacet", processingType="BATCH", integration="AIRFLOW", jobType="DAG"
                    ),
                    "airflow": facet(
                        "2-0-2/OpenLineage",
                        taskGroups={},
                        tasks={
                            t.task_id: {
                                "operator": t.operator[1],
                                "emits_ol_events": True,
                                "downstream_task_ids": list(t.downstream),
                            }
                            for t in dag.tasks
                        },
                    ),
                    "ownership": facet("1-0-1/OwnershipJobFacet", owners=[{"name": dag.owner}]),
                },
            },
            "inputs": [],
            "outputs": [],
        }
    )
    parent = facet(
        "1-1-0/ParentRunFacet",
        run={"runId": "@@DAGRUN@@"},
        job=job_dag,
        root={"run": {"runId": "@@DAGRUN@@"}, "job": job_dag},
    )
    for i, task in enumerate(dag.tasks):
        job = {"namespace": "airflow", "name": f"{dag.dag_id}.{task.task_id}"}
        job_facets: dict[str, Any] = {
            "jobType": facet("2-0-3/JobTypeJobFacet", processingType="BATCH", integration="AIRFLOW", jobType="TASK"),
        }
        if task.operator[0] in ("SQLExecuteQueryOperator", "BigQueryInsertJobOperator") and task.outputs:
            sources = ", ".join(d.name for d in task.inputs) or "dual"
            job_facets["sql"] = facet(
                "1-1-0/SQLJobFacet",
                query=f"INSERT INTO {task.outputs[0].name} SELECT * FROM {sources} WHERE updated_at >= %(ds)s",
            )
        for state in ("START", "COMPLETE"):
            run_facets: dict[str, Any] = {
                "parent": parent,
                "airflow": facet(
                    "2-0-2/OpenLineage",
                    dag={"dag_id": dag.dag_id, "owner": dag.owner, "schedule_interval": dag.schedule},
                    dagRun={"run_id": "scheduled__@@LOGICAL@@", "run_type": "scheduled"},
                    task={
                        "task_id": task.task_id,
                        "operator_class": task.operator[0],
                        "retries": 2,
                        "downstream_task_ids": str(list(task.downstream)),
                    },
                    taskInstance={"try_number": 1, "map_index": -1, "queued_dttm": f"@@TQ{i}@@"},
                    taskUuid=f"@@TASKRUN{i}@@",
                ),
            }
            inputs = [d.ref() for d in task.inputs]
            outputs = [d.ref() for d in task.outputs]
            if state == "COMPLETE":
                for n, item in enumerate(inputs):
                    item["inputFacets"] = {
                        "inputStatistics": facet("1-0-0/InputStatisticsInputDatasetFacet", rowCount=f"@@IN{i}_{n}@@")
                    }
                for n, item in enumerate(outputs):
                    item["outputFacets"] = {
                        "outputStatistics": facet(
                            "1-0-2/OutputStatisticsOutputDatasetFacet",
                            rowCount=f"@@OUT{i}_{n}@@",
                            size=f"@@SIZE{i}_{n}@@",
                        )
                    }
            events.append(
                {
                    "eventType": state,
                    "eventTime": f"@@T{i}{state[0]}@@",
                    "producer": PRODUCER,
                    "schemaURL": SCHEMA_URL,
                    "run": {"runId": f"@@TASKRUN{i}@@", "facets": run_facets},
                    "job": {**job, "facets": job_facets},
                    "inputs": inputs,
                    "outputs": outputs,
                }
            )
    events.append(
        {
            "eventType": "COMPLETE",
            "eventTime": "@@TEND@@",
            "producer": PRODUCER,
            "schemaURL": SCHEMA_URL,
            "run": {
                "runId": "@@DAGRUN@@",
                "facets": {
                    "airflowState": facet(
                        "2-0-2/OpenLineage",
                        dagRunState="success",
                        tasksState={t.task_id: "success" for t in dag.tasks},
                    ),
                    "processing_engine": _processing_engine(),
                },
            },
            "job": {
                **job_dag,
                "facets": {
                    "jobType": facet(
                        "2-0-3/JobTypeJobFacet", processingType="BATCH", integration="AIRFLOW", jobType="DAG"
                    )
                },
            },
            "inputs": [],
            "outputs": [],
        }
    )
    # Counts are placeholders inside strings in the dicts above: unquote them so they render as JSON ints.
    return [Template(_COUNT.sub(r"\1", orjson.dumps(event).decode())) for event in events]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class EventStream:
    """Endless unique events: DAG runs of the shared workload, each with fresh run ids and current times."""

    seed: int
    dags: list[DagSpec] = field(default_factory=build_workload)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.templates = [(dag, dag_templates(dag)) for dag in self.dags]

    def runs(self) -> Iterator[list[str]]:
        """One DAG run at a time: its events in emission order."""
        while True:
            dag, templates = self.rng.choice(self.templates)
            values = self._values(dag)
            yield [template.render(values) for template in templates]

    def _values(self, dag: DagSpec) -> dict[str, str]:
        rng = self.rng
        start = datetime.now(timezone.utc)
        values = {
            "DAGRUN": str(uuid.uuid4()),
            "TS0": _iso(start),
            "LOGICAL": _iso(start.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)),
        }
        moment = start
        for i, task in enumerate(dag.tasks):
            values[f"TASKRUN{i}"] = str(uuid.uuid4())
            values[f"TQ{i}"] = _iso(moment)
            moment += timedelta(milliseconds=rng.randint(200, 900))
            values[f"T{i}S"] = _iso(moment)
            moment += timedelta(milliseconds=rng.randint(500, 5000))
            values[f"T{i}C"] = _iso(moment)
            for n in range(len(task.inputs)):
                values[f"IN{i}_{n}"] = str(rng.randint(0, 5_000_000))
            for n in range(len(task.outputs)):
                rows = rng.randint(0, 2_000_000)
                values[f"OUT{i}_{n}"] = str(rows)
                values[f"SIZE{i}_{n}"] = str(rows * rng.randint(40, 400))
        values["TEND"] = _iso(moment + timedelta(milliseconds=50))
        return values

    def events(self) -> Iterator[str]:
        for run in self.runs():
            yield from run


class PostgresCluster:
    """A PostgreSQL cluster on loopback with default (durable) settings, owned by this run: throwaway, or kept
    in `workdir` (created on the first start, started again as it is later; `stop` then leaves it)."""

    def __init__(self, bin_dir: Path | None = None, extra: tuple[str, ...] = (), workdir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_pg_bin()
        self.kept = workdir is not None
        if workdir is None:
            workdir = Path(tempfile.mkdtemp(prefix="flowlytics-bench-pg-"))
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir.resolve()
        self.data = self.workdir / "data"
        self.port = free_port()
        self.extra = extra
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.workdir, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    def start(self) -> PostgresCluster:
        if self.kept and (self.data / "PG_VERSION").exists():
            return self._start_server()
        subprocess.run(
            [
                *self.as_postgres,
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "bench",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return self._start_server()

    def _start_server(self) -> PostgresCluster:
        # The database name in each log line lets the benchmark count deadlocks per cell.
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c max_connections=200"
            " -c log_line_prefix=%m:%d:"  # pg_ctl hands -o to /bin/sh: no spaces or shell metacharacters
        )
        options += "".join(f" -c {setting}" for setting in self.extra)
        done = subprocess.run(
            [
                *self.as_postgres,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.workdir / "log"),
                "-w",
                "start",
                "-o",
                options,
            ],
            # Not captured: the server inherits pg_ctl's stdout/stderr, and a pipe would never reach EOF.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )
        if done.returncode:
            log = (self.workdir / "log").read_text(errors="replace")[-3000:] if (self.workdir / "log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start (pg_ctl exit {done.returncode}); its log:\n{log}")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://bench@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=bench dbname=postgres", autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def count_log(self, database: str, message: str) -> int:
        """How many times the server logged `message` (e.g. "deadlock detected") for `database`."""
        try:
            text = (self.workdir / "log").read_text(errors="replace")
        except OSError:
            return 0
        return sum(1 for line in text.splitlines() if f":{database}:" in line and message in line)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self, keep_log_in: Path | None = None) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
            capture_output=True,
        )
        if keep_log_in is not None and (self.workdir / "log").exists():
            shutil.copy(self.workdir / "log", keep_log_in / "postgresql.log")
        if not self.kept:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _proc_stat(pid: int | str) -> list[str] | None:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def tree_ticks(roots: list[int]) -> int:
    """utime + stime of the processes under `roots` (server workers, clients, PostgreSQL backends)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _proc_stat(entry.name)) is not None:
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        pid = stack.pop()
        if pid not in seen:
            seen.add(pid)
            stack.extend(children.get(pid, []))
    return sum(int(stats[pid][11]) + int(stats[pid][12]) for pid in seen if pid in stats)


def machine_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)  # busy, total


def find_pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
    return found[-1].parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


class ServerProcess:
    """A server under test as a child process in its own session, ready once `/health` answers. Stopped
    with SIGTERM (uvicorn's supervisor stops its workers), then its whole session killed if it lingers."""

    name = "server"

    def __init__(self, argv: list[str], env: dict[str, str], port: int, log_path: Path) -> None:
        self.argv, self.env, self.port, self.log_path = argv, env, port, log_path
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def __enter__(self) -> Self:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_for_http(self.url + "/health", timeout=240)  # a loaded shared machine starts slowly
        except TimeoutError:
            self.__exit__()
            raise RuntimeError(f"{self.name} did not start; log:\n{self.log_path.read_text()[-3000:]}") from None
        return self

    def __exit__(self, *_: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
