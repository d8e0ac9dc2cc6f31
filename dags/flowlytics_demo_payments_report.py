"""
### Flowlytics demo: payments report, waiting for a producer that failed (times out on purpose)

`wait_for_reconciled_payments` (`UpstreamHealthSensor`, reschedule mode) waits for
`curated/payments_reconciled.csv`, whose producer `flowlytics_demo_payments.reconcile_payments` fails on
purpose. Between pokes the task is `up_for_reschedule` (no worker slot held); each poke logs why it keeps
waiting. After `timeout` it fails, and the error names the failed producer and its run.

The timeout is 45 seconds so that the demo shows the outcome within a minute; a real sensor waits hours.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task
from flowlytics_demo.gating import RECONCILED_PAYMENTS

from flowlytics_plugin.gates import UpstreamHealthSensor

with DAG(
    dag_id="flowlytics_demo_payments_report",
    description="Payments report: the upstream sensor times out, naming the failed producer",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["flowlytics-demo"],
    default_args={"owner": "finance-data", "retries": 0},
    doc_md=__doc__,
):
    wait = UpstreamHealthSensor(
        task_id="wait_for_reconciled_payments",
        dataset_ids=[RECONCILED_PAYMENTS],
        mode="reschedule",
        poke_interval=10,
        timeout=45,
    )

    @task
    def send_payments_report() -> str:
        return "sent"

    wait >> send_payments_report()
