"""
### Flowlytics demo: orders pipeline

Extract → transform → load over CSV files under `$FLOWLYTICS_DEMO_DATA` (default `/tmp/flowlytics_demo`).
Every task reports its inputs and outputs to OpenLineage with row counts, a schema, data-quality
assertions (the transform's `amount_non_negative` and `not_null` checks fail on purpose: 11 of 120
orders are rejected) and the `flowlytics_stats` run facet (rows inserted, updated, invalid).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG
from flowlytics_demo import steps
from flowlytics_demo.operators import CsvStepOperator

with DAG(
    dag_id="flowlytics_demo_pipeline",
    description="Orders: extract → transform → load → mart, with real OpenLineage lineage",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["flowlytics-demo"],
    default_args={"owner": "data-platform", "retries": 0},
    doc_md=__doc__,
):
    extract = CsvStepOperator(
        task_id="extract_orders",
        prepare=steps.receive_feeds,
        step=steps.extract_orders,
        reads=[steps.ORDERS_FEED],
        writes=[steps.STAGING_ORDERS],
        columns={steps.ORDERS_FEED: steps.ORDER_COLUMNS},
    )
    transform = CsvStepOperator(
        task_id="transform_orders",
        step=steps.transform_orders,
        reads=[steps.STAGING_ORDERS],
        writes=[steps.CURATED_ORDERS, steps.REJECTED_ORDERS],
        columns={steps.STAGING_ORDERS: steps.ORDER_COLUMNS},
    )
    load = CsvStepOperator(
        task_id="load_orders",
        step=steps.load_orders,
        reads=[steps.CURATED_ORDERS],
        writes=[steps.WAREHOUSE_ORDERS],
        merge_into=steps.WAREHOUSE_ORDERS,
        columns={steps.CURATED_ORDERS: steps.ORDER_COLUMNS},
    )
    mart = CsvStepOperator(
        task_id="build_customer_revenue",
        step=steps.customer_revenue,
        reads=[steps.WAREHOUSE_ORDERS],
        writes=[steps.CUSTOMER_REVENUE],
        columns={steps.WAREHOUSE_ORDERS: steps.ORDER_COLUMNS},
    )

    extract >> transform >> load >> mart
