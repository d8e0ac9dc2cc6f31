"""The demo's business logic: plain Python over small CSV files, no Airflow and no OpenLineage.

The data is deterministic, so that a test can predict every row count the pipeline reports:
the orders feed has 120 orders, 11 of them invalid (7 negative amounts, 4 without a customer);
the payments feed has 60 payments, 5 of them for orders that do not exist.
"""

from __future__ import annotations

import os
import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = "/tmp/flowlytics_demo"

ORDERS_FEED = "source/orders_feed.csv"
PAYMENTS_FEED = "source/payments_feed.csv"
STAGING_ORDERS = "staging/orders.csv"
STAGING_PAYMENTS = "staging/payments.csv"
CURATED_ORDERS = "curated/orders.csv"
REJECTED_ORDERS = "curated/orders_rejected.csv"
WAREHOUSE_ORDERS = "warehouse/orders.csv"
CUSTOMER_REVENUE = "marts/customer_revenue.csv"
RECONCILED_PAYMENTS = "curated/payments_reconciled.csv"

ORDER_COUNT = 120
NEGATIVE_AMOUNT_EVERY = 16  # rows 16, 32, …, 112: 7 orders
MISSING_CUSTOMER_EVERY = 25  # rows 25, 50, 75, 100: 4 orders
PAYMENT_COUNT = 60
ORPHAN_PAYMENTS = 5

Row = dict[str, str]
Columns = list[tuple[str, str]]  # (name, type) pairs, reported in the schema facet

ORDER_COLUMNS: Columns = [
    ("order_id", "INTEGER"),
    ("customer_id", "VARCHAR"),
    ("order_date", "DATE"),
    ("amount", "DECIMAL(10,2)"),
    ("currency", "VARCHAR"),
]
PAYMENT_COLUMNS: Columns = [
    ("payment_id", "INTEGER"),
    ("order_id", "INTEGER"),
    ("paid_amount", "DECIMAL(10,2)"),
    ("method", "VARCHAR"),
]
REJECTED_COLUMNS: Columns = [*ORDER_COLUMNS, ("reject_reason", "VARCHAR")]
REVENUE_COLUMNS: Columns = [("customer_id", "VARCHAR"), ("orders", "INTEGER"), ("revenue", "DECIMAL(12,2)")]


def data_dir() -> Path:
    """Read at run time, so that tests and the demo can each point the DAGs at their own directory."""
    return Path(os.environ.get("FLOWLYTICS_DEMO_DATA") or DEFAULT_DATA_DIR)


@dataclass
class Table:
    columns: Columns
    rows: list[Row]


@dataclass
class Check:
    """A data-quality assertion on one input, reported as OpenLineage `dataQualityAssertions`."""

    name: str
    success: bool
    column: str | None = None
    expected: str | None = None
    actual: str | None = None


@dataclass
class StepResult:
    outputs: dict[str, Table] = field(default_factory=dict)
    checks: dict[str, list[Check]] = field(default_factory=dict)  # keyed by input path
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_invalid: int | None = None
    dq_failed_rows: int | None = None


class StepFailedError(Exception):
    """A step refused to publish its output; `checks` tell which assertions failed, for the FAIL event."""

    def __init__(self, message: str, checks: dict[str, list[Check]]) -> None:
        super().__init__(message)
        self.checks = checks


class FeedSchemaError(StepFailedError):
    """A source feed arrived without the columns agreed with its sender (schema drift upstream)."""


def check_feed_columns(feed: str, table: Table) -> None:
    """Refuse a feed whose header is not the agreed one: a renamed column would otherwise load as blanks."""
    expected = [name for name, _ in table.columns]
    found = list(table.rows[0]) if table.rows else expected
    missing = [name for name in expected if name not in found]
    check = Check("columns_match_contract", not missing, None, ", ".join(expected), ", ".join(found))
    if missing:
        unexpected = [name for name in found if name not in expected]
        raise FeedSchemaError(
            f"Schema drift in {feed}: column {', '.join(repr(n) for n in missing)} is missing"
            + (f" and {', '.join(repr(n) for n in unexpected)} is new" if unexpected else "")
            + f" (expected {', '.join(expected)}). The sender changed its export; ask it to re-send the feed "
            "with the agreed columns (or map the new name in extract_orders), then clear this task.",
            checks={feed: [check]},
        )


def orders_feed() -> Table:
    rng = random.Random(42)  # noqa: S311 (fixed seed: reproducible demo data, not security)
    rows = []
    for i in range(1, ORDER_COUNT + 1):
        amount = round(rng.uniform(5, 500), 2)
        if i % NEGATIVE_AMOUNT_EVERY == 0:
            amount = -amount  # a refund booked as an order: the transform rejects it
        rows.append(
            {
                "order_id": str(i),
                "customer_id": "" if i % MISSING_CUSTOMER_EVERY == 0 else f"C{rng.randint(1, 30):03d}",
                "order_date": f"2026-01-{1 + i % 28:02d}",
                "amount": f"{amount:.2f}",
                "currency": "EUR",
            }
        )
    return Table(ORDER_COLUMNS, rows)


def payments_feed() -> Table:
    rng = random.Random(7)  # noqa: S311
    rows = []
    for i in range(1, PAYMENT_COUNT + 1):
        # The last few payments point at orders the shop never sent: reconciliation must catch them.
        order_id = 9000 + i if i > PAYMENT_COUNT - ORPHAN_PAYMENTS else rng.randint(1, ORDER_COUNT)
        rows.append(
            {
                "payment_id": str(i),
                "order_id": str(order_id),
                "paid_amount": f"{rng.uniform(5, 500):.2f}",
                "method": rng.choice(["card", "sepa", "paypal"]),
            }
        )
    return Table(PAYMENT_COLUMNS, rows)


def receive_feeds(base: Path) -> dict[str, Table]:
    """The files the source systems drop every day; written when missing so the demo is self-contained."""
    return {
        path: table
        for path, table in ((ORDERS_FEED, orders_feed()), (PAYMENTS_FEED, payments_feed()))
        if not (base / path).exists()
    }


def extract_orders(inputs: Mapping[str, Table]) -> StepResult:
    feed = inputs[ORDERS_FEED]
    check_feed_columns(ORDERS_FEED, feed)
    return StepResult(outputs={STAGING_ORDERS: feed}, rows_inserted=len(feed.rows))


def transform_orders(inputs: Mapping[str, Table]) -> StepResult:
    staged = inputs[STAGING_ORDERS]
    valid: list[Row] = []
    rejected: list[Row] = []
    missing_customer = negative_amount = 0
    for row in staged.rows:
        reasons = []
        if not row["customer_id"]:
            missing_customer += 1
            reasons.append("customer_id is empty")
        if float(row["amount"]) < 0:
            negative_amount += 1
            reasons.append("amount is negative")
        if reasons:
            rejected.append({**row, "reject_reason": "; ".join(reasons)})
        else:
            valid.append(row)
    ids = [row["order_id"] for row in staged.rows]
    duplicates = len(ids) - len(set(ids))
    checks = [
        Check("not_null", missing_customer == 0, "customer_id", "0", str(missing_customer)),
        Check("amount_non_negative", negative_amount == 0, "amount", "0", str(negative_amount)),
        Check("unique", duplicates == 0, "order_id", "0", str(duplicates)),
    ]
    return StepResult(
        outputs={
            CURATED_ORDERS: Table(ORDER_COLUMNS, valid),
            REJECTED_ORDERS: Table(REJECTED_COLUMNS, rejected),
        },
        checks={STAGING_ORDERS: checks},
        rows_inserted=len(valid),
        rows_invalid=len(rejected),
        dq_failed_rows=len(rejected),
    )


def load_orders(inputs: Mapping[str, Table]) -> StepResult:
    """Upsert by order_id into the warehouse table: new orders are inserted, changed ones updated."""
    current = inputs.get(WAREHOUSE_ORDERS)
    table = {row["order_id"]: row for row in (current.rows if current else [])}
    inserted = updated = 0
    for row in inputs[CURATED_ORDERS].rows:
        old = table.get(row["order_id"])
        if old is None:
            inserted += 1
        elif old != row:
            updated += 1
        table[row["order_id"]] = row
    rows = sorted(table.values(), key=lambda row: int(row["order_id"]))
    return StepResult(
        outputs={WAREHOUSE_ORDERS: Table(ORDER_COLUMNS, rows)},
        rows_inserted=inserted,
        rows_updated=updated,
    )


def customer_revenue(inputs: Mapping[str, Table]) -> StepResult:
    orders: dict[str, int] = defaultdict(int)
    revenue: dict[str, float] = defaultdict(float)
    for row in inputs[WAREHOUSE_ORDERS].rows:
        orders[row["customer_id"]] += 1
        revenue[row["customer_id"]] += float(row["amount"])
    rows = [
        {"customer_id": customer, "orders": str(orders[customer]), "revenue": f"{revenue[customer]:.2f}"}
        for customer in sorted(orders)
    ]
    return StepResult(outputs={CUSTOMER_REVENUE: Table(REVENUE_COLUMNS, rows)}, rows_inserted=len(rows))


def extract_payments(inputs: Mapping[str, Table]) -> StepResult:
    feed = inputs[PAYMENTS_FEED]
    return StepResult(outputs={STAGING_PAYMENTS: feed}, rows_inserted=len(feed.rows))


def reconcile_payments(inputs: Mapping[str, Table]) -> StepResult:
    payments = inputs[STAGING_PAYMENTS].rows
    known = {row["order_id"] for row in inputs[ORDERS_FEED].rows}
    orphans = [row for row in payments if row["order_id"] not in known]
    check = Check("payments_reference_known_orders", not orphans, "order_id", "0", str(len(orphans)))
    if orphans:
        sample = ", ".join(row["order_id"] for row in orphans[:3])
        raise StepFailedError(
            f"Reconciliation failed: {len(orphans)} of {len(payments)} payments reference orders that do "
            f"not exist (order_id {sample}, …). Refusing to publish unreconciled payments; fix the "
            "payments feed or load the missing orders, then clear this task.",
            checks={STAGING_PAYMENTS: [check]},
        )
    return StepResult(
        outputs={RECONCILED_PAYMENTS: Table(PAYMENT_COLUMNS, payments)},
        checks={STAGING_PAYMENTS: [check]},
        rows_inserted=len(payments),
    )
