"""
### Flowlytics demo: a schema change on the warehouse orders, blocked by the impact gate (fails on purpose)

`alter_warehouse_orders` would rename a column of `warehouse/orders.csv`. Before it runs, `check_impact`
asks Flowlytics what is downstream of that table: the revenue mart `marts/customer_revenue.csv`, which the
demo marks **critical** (owners `team:finance`). The policy `fail_on_criticality="critical"` therefore
fails the gate: its log holds the impact report, XCom the same report as a dict, and the task's extra
link "Flowlytics impact" opens the impact view. `alter_warehouse_orders` never runs.

A gate failure is a policy answer, not a transient error: the task fails without retries. Use
`on_violation="skip"` to skip the change instead.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task
from flowlytics_demo.gating import WAREHOUSE_ORDERS

from flowlytics_plugin.gates import ImpactGateOperator

with DAG(
    dag_id="flowlytics_demo_orders_schema_change",
    description="Schema change on warehouse orders: the impact gate blocks it (critical consumer)",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["flowlytics-demo"],
    default_args={"owner": "data-platform", "retries": 0},
    doc_md=__doc__,
):
    check_impact = ImpactGateOperator(
        task_id="check_impact",
        node_ids=[WAREHOUSE_ORDERS],
        fail_on_criticality="critical",
        max_downstream_datasets=10,
    )

    @task
    def alter_warehouse_orders() -> str:
        return "renamed amount to amount_eur"  # the demo changes nothing

    check_impact >> alter_warehouse_orders()
