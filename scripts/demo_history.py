"""Seeded history for the demo: the two producer DAGs' past days, posted through the real OpenLineage client.

A fresh demo has only today's runs, so the Analytics page would show one day. This posts, once, what the
demo's producers would have reported on the previous DAYS days (one scheduled run a day, a manual rerun after
a failure), through `openlineage-python`'s HttpTransport into the plugin's ingest endpoint: the same path,
parsing, rollups and anomaly baselines as the real runs that follow. Every seeded event says what it is:
producer `.../scripts/demo_history.py`, a run tag `flowlytics_demo=seeded-history`, and Airflow run ids
`seeded__<date>`; none of these runs exists in Airflow's own database. The seeded runs end more than a day
before now, so alerting records their anomalies but pages nobody about them (`alert_max_age_hours`).

    python scripts/demo_history.py --url http://127.0.0.1:8080/flowlytics/ --api-key KEY --data-dir DIR [--days 14]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attr

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "dags"))

from flowlytics_demo import steps  # noqa: E402  (the demo DAGs' own names and columns)
from openlineage.client import OpenLineageClient, set_producer  # noqa: E402
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState  # noqa: E402
from openlineage.client.facet_v2 import (  # noqa: E402
    RunFacet,
    data_quality_assertions_dataset,
    error_message_run,
    input_statistics_input_dataset,
    job_type_job,
    output_statistics_output_dataset,
    ownership_job,
    parent_run,
    schema_dataset,
    tags_run,
)
from openlineage.client.transport.http import HttpConfig, HttpTransport  # noqa: E402

PRODUCER = "https://github.com/flowlytics/flowlytics/tree/main/scripts/demo_history.py"
NAMESPACE = "flowlytics_demo"  # the OpenLineage provider's namespace in the demo (scripts/airflow_env.sh)
FILE_NAMESPACE = "file"
PIPELINE = "flowlytics_demo_pipeline"
PAYMENTS = "flowlytics_demo_payments"
SEED_TAG = tags_run.TagsRunFacet(
    tags=[tags_run.TagsRunFacetFields(key="flowlytics_demo", value="seeded-history", source="DEMO")]
)
RUN_ID_NAMESPACE = uuid.UUID("6f1c8f0e-3b7a-4d8e-9a51-0d6c1f9b2e47")


@attr.define
class AirflowDagRunFacet(RunFacet):
    """`airflowDagRun`, the fields Flowlytics reads from the provider's facet of the same name."""

    dag: dict[str, Any] = attr.field(factory=dict)
    dagRun: dict[str, Any] = attr.field(factory=dict)


@attr.define
class AirflowTaskRunFacet(RunFacet):
    """`airflow` on a task run: its DAG, DAG run, task and task instance."""

    dag: dict[str, Any] = attr.field(factory=dict)
    dagRun: dict[str, Any] = attr.field(factory=dict)
    task: dict[str, Any] = attr.field(factory=dict)
    taskInstance: dict[str, Any] = attr.field(factory=dict)


@attr.define
class FlowlyticsStatsRunFacet(RunFacet):
    """The demo's `flowlytics_stats` run facet (dags/flowlytics_demo/facets.py), without Airflow imports."""

    rowsInserted: int | None = attr.field(default=None)
    rowsUpdated: int | None = attr.field(default=None)
    rowsInvalid: int | None = attr.field(default=None)
    dqFailedRows: int | None = attr.field(default=None)


@dataclass
class Io:
    path: str
    rows: int
    columns: steps.Columns | None = None
    checks: list[tuple[str, bool, str | None]] = field(default_factory=list)  # (assertion, success, column)


@dataclass
class Task:
    task_id: str
    seconds: float
    inputs: list[Io]
    outputs: list[Io]
    stats: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # the task fails with this message
    exception: str = "flowlytics_demo.steps.StepFailedError"  # ... raised as this (as the real step does)


@dataclass
class DagRun:
    dag_id: str
    owner: str
    start: datetime
    run_type: str
    tasks: list[Task]  # in order; the first failure ends the run (the rest are upstream_failed)


def pipeline_run(day: int, start: datetime, rng: random.Random, *, drift: bool, run_type: str) -> DagRun:
    """The orders pipeline on one day: a feed of ~110-130 orders, ~9 % invalid; slower as volumes grow."""
    orders = rng.randint(108, 130)
    invalid = max(1, round(orders * rng.uniform(0.07, 0.11)))
    valid = orders - invalid
    new = rng.randint(6, 18)
    growth = 1.0 + (14 - min(day, 14)) * 0.03  # the transform slows down over the two weeks
    feed = Io(steps.ORDERS_FEED, orders, steps.ORDER_COLUMNS)
    extract = Task("extract_orders", rng.uniform(2.0, 3.5), [feed], [Io(steps.STAGING_ORDERS, orders)])
    extract.stats = {"rowsInserted": orders}
    if drift:
        extract.error = (
            f"Schema drift in {steps.ORDERS_FEED}: column 'amount' is missing and 'order_amount' is new (expected "
            "order_id, customer_id, order_date, amount, currency). The sender changed its export; ask it to "
            "re-send the feed with the agreed columns (or map the new name in extract_orders), then clear this task."
        )
        extract.exception = "flowlytics_demo.steps.FeedSchemaError"
        return DagRun(PIPELINE, "data-platform", start, run_type, [extract])
    missing = invalid // 3
    staged = Io(
        steps.STAGING_ORDERS,
        orders,
        steps.ORDER_COLUMNS,
        [
            ("not_null", missing == 0, "customer_id"),
            ("amount_non_negative", False, "amount"),
            ("unique", True, "order_id"),
        ],
    )
    transform = Task(
        "transform_orders",
        rng.uniform(3.0, 4.5) * growth,
        [staged],
        [Io(steps.CURATED_ORDERS, valid), Io(steps.REJECTED_ORDERS, invalid)],
        {"rowsInserted": valid, "rowsInvalid": invalid, "dqFailedRows": invalid},
    )
    load = Task(
        "load_orders",
        rng.uniform(2.0, 3.0) * growth,
        [Io(steps.CURATED_ORDERS, valid, steps.ORDER_COLUMNS)],
        [Io(steps.WAREHOUSE_ORDERS, valid)],
        {"rowsInserted": new, "rowsUpdated": rng.randint(0, 3)},
    )
    customers = rng.randint(26, 30)
    mart = Task(
        "build_customer_revenue",
        rng.uniform(1.5, 2.5),
        [Io(steps.WAREHOUSE_ORDERS, valid, steps.ORDER_COLUMNS)],
        [Io(steps.CUSTOMER_REVENUE, customers)],
        {"rowsInserted": customers},
    )
    return DagRun(PIPELINE, "data-platform", start, run_type, [extract, transform, load, mart])


def payments_run(start: datetime, rng: random.Random, *, orphans: int) -> DagRun:
    payments = rng.randint(52, 66)
    feed = Io(steps.PAYMENTS_FEED, payments, steps.PAYMENT_COLUMNS)
    extract = Task("extract_payments", rng.uniform(2.0, 3.0), [feed], [Io(steps.STAGING_PAYMENTS, payments)])
    extract.stats = {"rowsInserted": payments}
    staged = Io(
        steps.STAGING_PAYMENTS,
        payments,
        steps.PAYMENT_COLUMNS,
        [("payments_reference_known_orders", not orphans, "order_id")],
    )
    reconcile = Task(
        "reconcile_payments",
        rng.uniform(2.0, 3.5),
        [staged, Io(steps.ORDERS_FEED, rng.randint(108, 130), steps.ORDER_COLUMNS)],
        [Io(steps.RECONCILED_PAYMENTS, payments)],
        {"rowsInserted": payments},
    )
    tasks = [extract, reconcile]
    if orphans:
        sample = ", ".join(str(9000 + payments - orphans + i + 1) for i in range(min(3, orphans)))
        reconcile.error = (
            f"Reconciliation failed: {orphans} of {payments} payments reference orders that do not exist (order_id "
            f"{sample}, …). Refusing to publish unreconciled payments; fix the payments feed or load the missing "
            "orders, then clear this task."
        )
        reconcile.outputs = []
    else:
        tasks.append(Task("publish_payments", rng.uniform(1.0, 1.8), [], []))
    return DagRun(PAYMENTS, "finance-data", start, "scheduled", tasks)


def history(now: datetime, days: int) -> list[DagRun]:
    """What the producers did on each of the last `days` days: deterministic, so every demo tells the same story."""
    rng = random.Random(2026)  # noqa: S311 (reproducible demo data, not security)
    runs: list[DagRun] = []
    payment_failures = {9: 3, 4: 7, 2: 4}  # days ago → orphan payments that day
    for day in range(days, 0, -1):
        # Past a day old when posted (so alerting pages nobody about it), one run per DAG per day.
        start = now - timedelta(days=day, hours=1, minutes=rng.randint(0, 20))
        drift = day == 6  # the orders feed's sender renamed a column once before; a manual rerun fixed it
        runs.append(pipeline_run(day, start, rng, drift=drift, run_type="scheduled"))
        if drift:
            runs.append(pipeline_run(day, start + timedelta(minutes=40), rng, drift=False, run_type="manual"))
        runs.append(payments_run(start + timedelta(minutes=2), rng, orphans=payment_failures.get(day, 0)))
    return runs


def _dataset(io: Io, data_dir: Path, *, output: bool) -> InputDataset | OutputDataset:
    name = str(data_dir / io.path)
    facets: dict[str, Any] = {}
    if io.columns:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in io.columns]
        )
    if output:
        stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=io.rows)
        return OutputDataset(
            namespace=FILE_NAMESPACE, name=name, facets=facets, outputFacets={"outputStatistics": stats}
        )
    input_facets: dict[str, Any] = {
        "inputStatistics": input_statistics_input_dataset.InputStatisticsInputDatasetFacet(rowCount=io.rows)
    }
    if io.checks:
        input_facets["dataQualityAssertions"] = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=[
                data_quality_assertions_dataset.Assertion(assertion=a, success=ok, column=c) for a, ok, c in io.checks
            ]
        )
    return InputDataset(namespace=FILE_NAMESPACE, name=name, facets=facets, inputFacets=input_facets)


def _job_facets(kind: str, owner: str) -> dict[str, Any]:
    """`jobType` and the DAG owner as `ownership`, as the provider sends them for DAGs and tasks."""
    return {
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="AIRFLOW", jobType=kind),
        "ownership": ownership_job.OwnershipJobFacet(owners=[ownership_job.Owner(name=owner)]),
    }


def _event(
    state: RunState,
    at: datetime,
    run_id: str,
    facets: dict[str, RunFacet],
    job: Job,
    inputs: list[Any] | None = None,
    outputs: list[Any] | None = None,
) -> RunEvent:
    return RunEvent(
        eventType=state,
        eventTime=at.isoformat(),
        run=Run(runId=run_id, facets=facets),
        job=job,
        producer=PRODUCER,
        inputs=inputs or [],
        outputs=outputs or [],
    )


def events(dag_run: DagRun, data_dir: Path) -> list[RunEvent]:
    """START and COMPLETE/FAIL of the DAG run and of each task that ran, as the provider would send them."""
    run_id = f"seeded__{dag_run.start.strftime('%Y-%m-%dT%H:%M:%S')}+00:00"
    root = str(uuid.uuid5(RUN_ID_NAMESPACE, f"{dag_run.dag_id}|{run_id}"))
    dag_facets = {"dag_id": dag_run.dag_id, "owner": dag_run.owner}
    dag_run_facet = {
        "run_id": run_id,
        "run_type": dag_run.run_type,
        "start_date": dag_run.start.isoformat(),
        "dag_version_number": 1,  # the demo DAGs' code has not changed
    }
    dag_job = Job(namespace=NAMESPACE, name=dag_run.dag_id, facets=_job_facets("DAG", dag_run.owner))
    dag_run_facets: dict[str, RunFacet] = {
        "airflowDagRun": AirflowDagRunFacet(dag=dag_facets, dagRun=dag_run_facet),
        "tags": SEED_TAG,
    }
    out = [_event(RunState.START, dag_run.start, root, dag_run_facets, dag_job)]
    at = dag_run.start + timedelta(seconds=1.5)
    failed = None
    for task in dag_run.tasks:
        queued = at
        at += timedelta(seconds=1.0 + len(task.task_id) % 7 / 10)  # scheduling and queue wait
        task_run = str(uuid.uuid5(RUN_ID_NAMESPACE, f"{root}|{task.task_id}"))
        parent = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=root),
            job=parent_run.Job(namespace=NAMESPACE, name=dag_run.dag_id),
            root=parent_run.Root(
                run=parent_run.RootRun(runId=root), job=parent_run.RootJob(namespace=NAMESPACE, name=dag_run.dag_id)
            ),
        )
        airflow = AirflowTaskRunFacet(
            dag=dag_facets,
            dagRun=dag_run_facet,
            task={"task_id": task.task_id},
            taskInstance={"try_number": 1, "queued_dttm": queued.isoformat()},
        )
        facets: dict[str, RunFacet] = {"parent": parent, "airflow": airflow, "tags": SEED_TAG}
        task_name = f"{dag_run.dag_id}.{task.task_id}"
        job = Job(namespace=NAMESPACE, name=task_name, facets=_job_facets("TASK", dag_run.owner))
        inputs = [_dataset(io, data_dir, output=False) for io in task.inputs]
        out.append(_event(RunState.START, at, task_run, facets, job, inputs))
        at += timedelta(seconds=task.seconds)
        end_facets = dict(facets)
        if task.stats:
            end_facets["flowlytics_stats"] = FlowlyticsStatsRunFacet(**task.stats)
        if task.error:
            end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=task.error,
                programmingLanguage="python",
                stackTrace=f"{task.exception}: {task.error}",
            )
        outputs = [_dataset(io, data_dir, output=True) for io in task.outputs]
        state = RunState.FAIL if task.error else RunState.COMPLETE
        out.append(_event(state, at, task_run, end_facets, job, inputs, outputs))
        if task.error:
            failed = task.error
            break
    at += timedelta(seconds=1.0)
    end_state = RunState.FAIL if failed else RunState.COMPLETE
    end_facets = dict(dag_run_facets)
    if failed:  # what the provider says of a failed DAG run
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message="task_failure", programmingLanguage="python"
        )
    out.append(_event(end_state, at, root, end_facets, dag_job))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="Flowlytics base URL, with its trailing slash")
    parser.add_argument("--api-key", required=True, help="an ingest key")
    parser.add_argument("--data-dir", required=True, type=Path, help="FLOWLYTICS_DEMO_DATA of the demo")
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args(argv)
    set_producer(PRODUCER)
    config = HttpConfig.from_dict(
        {"url": args.url, "endpoint": "api/v1/lineage", "auth": {"type": "api_key", "apiKey": args.api_key}}
    )
    client = OpenLineageClient(transport=HttpTransport(config))
    started = time.monotonic()
    runs = history(datetime.now(timezone.utc), args.days)
    sent = 0
    for dag_run in runs:
        for event in events(dag_run, args.data_dir.resolve()):
            client.emit(event)
            sent += 1
    days = len({r.start.date() for r in runs})
    print(f"seeded {len(runs)} DAG runs over {days} past days ({sent} events) in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
