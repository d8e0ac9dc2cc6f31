"""Node ids of the demo's datasets, for the gated demo DAGs.

The demo's operators report their files with OpenLineage's naming for local files (namespace `file`, name
= the absolute path), so Flowlytics knows them as `dataset:file:/abs/path.csv`. The data dir is read from
the environment when the DAG file is parsed, the same one the tasks write to.
"""

from __future__ import annotations

from flowlytics_demo import steps

FILE_NAMESPACE = "file"


def dataset_id(rel: str) -> str:
    """The Flowlytics node id of a demo file given relative to the data dir."""
    return f"dataset:{FILE_NAMESPACE}:{steps.data_dir() / rel}"


WAREHOUSE_ORDERS = dataset_id(steps.WAREHOUSE_ORDERS)
CURATED_ORDERS = dataset_id(steps.CURATED_ORDERS)
REJECTED_ORDERS = dataset_id(steps.REJECTED_ORDERS)
CUSTOMER_REVENUE = dataset_id(steps.CUSTOMER_REVENUE)  # marked critical by scripts/demo.sh (team:finance)
RECONCILED_PAYMENTS = dataset_id(steps.RECONCILED_PAYMENTS)  # its producer fails on purpose
