"""
### Flowlytics demo: payments reconciliation (fails on purpose)

`extract_payments` stages the payments feed; `reconcile_payments` checks every payment against the
orders feed and **fails**, because 5 of 60 payments reference orders that do not exist. Its FAIL event
still carries the inputs it read (with row counts), the failed `dataQualityAssertions` and the error
message, so Flowlytics shows what broke and where. `publish_payments` never runs (upstream failed).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task
from flowlytics_demo import steps
from flowlytics_demo.operators import CsvStepOperator

with DAG(
    dag_id="flowlytics_demo_payments",
    description="Payments: extract → reconcile (fails: orphan payments) → publish",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["flowlytics-demo"],
    default_args={"owner": "finance-data", "retries": 0},
    doc_md=__doc__,
):
    extract = CsvStepOperator(
        task_id="extract_payments",
        prepare=steps.receive_feeds,
        step=steps.extract_payments,
        reads=[steps.PAYMENTS_FEED],
        writes=[steps.STAGING_PAYMENTS],
        columns={steps.PAYMENTS_FEED: steps.PAYMENT_COLUMNS},
    )
    reconcile = CsvStepOperator(
        task_id="reconcile_payments",
        step=steps.reconcile_payments,
        reads=[steps.STAGING_PAYMENTS, steps.ORDERS_FEED],
        writes=[steps.RECONCILED_PAYMENTS],
        columns={steps.STAGING_PAYMENTS: steps.PAYMENT_COLUMNS, steps.ORDERS_FEED: steps.ORDER_COLUMNS},
    )

    @task
    def publish_payments() -> str:
        return "published"

    extract >> reconcile >> publish_payments()
