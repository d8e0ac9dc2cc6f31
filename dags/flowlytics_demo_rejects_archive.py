"""
### Flowlytics demo: archive the rejected orders, gated on upstream health and impact (passes)

The orders pipeline rejects invalid orders into `curated/orders_rejected.csv`; this DAG hands them to the
operations team once the pipeline's run is known to be good, and only if nothing downstream depends on
the file it is about to move. Both gates, in both forms:

1. `wait_for_pipeline` (`UpstreamHealthSensor`, **deferrable**): the warehouse orders and the revenue
   mart were last written by successful runs, within 24 hours, with at most 1 % DQ errors. While it waits
   the task is `deferred`: the triggerer polls Flowlytics and no worker slot is held. The first dataset is
   the `orders_dataset` param, so a manual trigger can point it elsewhere.
2. `rejects_landed` (`@task.sensor` + `upstream_health`, reschedule mode): the rejects file is fresh.
3. `check_impact` (`ImpactGateOperator`): nothing at `high` criticality or above, and no dataset at all,
   may be downstream of the rejects file.
4. `archive_rejects` (`@task` + `impact_gate`): the TaskFlow form, inside the task that makes the change
   (here: no consumer may be owned by `team:finance`), then the archive copy.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param, PokeReturnValue, task
from flowlytics_demo import steps
from flowlytics_demo.gating import CUSTOMER_REVENUE, REJECTED_ORDERS, WAREHOUSE_ORDERS

from flowlytics_plugin.gates import ImpactGateOperator, UpstreamHealthSensor, impact_gate, upstream_health

with DAG(
    dag_id="flowlytics_demo_rejects_archive",
    description="Wait for healthy upstream (deferrable), check the impact, archive the rejected orders",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["flowlytics-demo"],
    default_args={"owner": "data-ops", "retries": 0},
    params={
        "orders_dataset": Param(
            WAREHOUSE_ORDERS, type="string", description="Flowlytics node id of the orders dataset to wait for"
        )
    },
    doc_md=__doc__,
):
    wait_for_pipeline = UpstreamHealthSensor(
        task_id="wait_for_pipeline",
        dataset_ids=[CUSTOMER_REVENUE, "{{ params.orders_dataset }}"],
        max_age=timedelta(hours=24),
        max_dq_error_rate=0.01,
        deferrable=True,  # wait in the triggerer, not in a worker slot
        poke_interval=5,
        timeout=600,
    )

    @task.sensor(poke_interval=5, timeout=600, mode="reschedule")
    def rejects_landed() -> PokeReturnValue:
        return upstream_health(REJECTED_ORDERS, max_age=timedelta(hours=24))

    check_impact = ImpactGateOperator(
        task_id="check_impact",
        node_ids=[REJECTED_ORDERS],
        fail_on_criticality="high",
        max_downstream_datasets=0,
    )

    @task
    def archive_rejects() -> str:
        impact_gate(REJECTED_ORDERS, blocked_owners=["team:finance"])
        source = steps.data_dir() / steps.REJECTED_ORDERS
        target = steps.data_dir() / "archive" / f"orders_rejected_{pendulum.now('UTC'):%Y%m%dT%H%M%S}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)  # a copy: the demo pipeline's file stays as it is
        return str(target)

    [wait_for_pipeline, rejects_landed()] >> check_impact >> archive_rejects()
