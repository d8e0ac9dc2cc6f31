"""run analytics: the DAG's namespace in the facts and in the rollup key, so day rollups answer per-DAG visibility

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Facts and hour rollups take their job's namespace; the day rollups are recounted from the hour rollups
(which keep the job, and so the namespace), so that the day rows of runs that retention already deleted
are split by namespace too and nothing counted is lost. The downgrade merges them back the same way.

A database upgraded from before 0004 has stored runs but no facts yet: their backfill (0004's until now)
runs here, with the counting code of ingestion (`rebuild_rollups`), which writes the tables' newest shape.
A later revision that changes these tables takes this backfill over.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lineage_backend.store.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_OLD_KEY = ("grain", "bucket_start", "level", "dag_key", "job_id", "env_key", "trigger_type", "state")
_NEW_KEY = ("grain", "bucket_start", "level", "dag_key", "dag_namespace", "job_id", "env_key", "trigger_type", "state")
_FIGURES = (
    "runs",
    "duration_count",
    "duration_sum",
    "rows_read",
    "rows_written",
    "dq_errors",
    "cost_estimated",
    "cost_billed",
)
_JOB_NAMESPACE = (
    "COALESCE((SELECT flowlytics_job.namespace FROM flowlytics_job WHERE flowlytics_job.id = {table}.job_id), '')"
)


def _rollup_table(with_namespace: bool) -> sa.TableClause:
    columns: list[sa.ColumnClause[Any]] = [
        sa.column("grain", sa.String()),
        sa.column("bucket_start", UtcDateTime()),
        sa.column("level", sa.String()),
        sa.column("dag_key", sa.String()),
        sa.column("job_id", sa.BigInteger()),
        sa.column("env_key", sa.String()),
        sa.column("trigger_type", sa.String()),
        sa.column("state", sa.String()),
        sa.column("sketch", _JSON),
        *(
            sa.column(
                name, sa.Float() if name in ("duration_sum", "cost_estimated", "cost_billed") else sa.BigInteger()
            )
            for name in _FIGURES
        ),
    ]
    if with_namespace:
        columns.append(sa.column("dag_namespace", sa.String()))
    return sa.table("flowlytics_run_rollup", *columns)


def _recount_days(*, with_namespace: bool) -> int:
    """Day rows = the hour rows summed per day (without the job): what ingestion adds to both."""
    from lineage_backend.analytics.buckets import bucket_start

    rollup = _rollup_table(with_namespace)
    connection = op.get_bind()
    connection.execute(sa.delete(rollup).where(rollup.c.grain == "day"))
    names: Sequence[str] = ("level", "dag_key", *(("dag_namespace",) if with_namespace else ()))
    days: dict[tuple[Any, ...], dict[str, Any]] = {}
    hours = connection.execute(
        sa.select(rollup).where(rollup.c.grain == "hour", rollup.c.runs != 0).execution_options(yield_per=5000)
    )
    for row in hours:
        key = (
            bucket_start(row.bucket_start, "day"),
            *(getattr(row, name) for name in names),
            row.env_key,
            row.trigger_type,
            row.state,
        )
        day = days.get(key)
        if day is None:
            day = days[key] = {name: 0 for name in _FIGURES} | {"sketch": {}}
        for name in _FIGURES:
            day[name] += getattr(row, name)
        for bucket, count in (row.sketch or {}).items():
            total = day["sketch"].get(bucket, 0) + int(count)
            if total:
                day["sketch"][bucket] = total
            else:
                day["sketch"].pop(bucket, None)
    rows = [
        dict(zip(("bucket_start", *names, "env_key", "trigger_type", "state"), key, strict=True))
        | {"grain": "day", "job_id": 0}
        | figures
        for key, figures in sorted(days.items(), key=lambda item: tuple(str(part) for part in item[0]))
        if figures["runs"]
    ]
    for start in range(0, len(rows), 2000):
        connection.execute(sa.insert(rollup), rows[start : start + 2000])
    return len(rows)


def upgrade() -> None:
    for table in ("flowlytics_run_fact", "flowlytics_run_rollup"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("dag_namespace", sa.String(length=1000), nullable=False, server_default=""))
            if table == "flowlytics_run_rollup":
                batch_op.drop_constraint("uq_flowlytics_run_rollup_key", type_="unique")
                batch_op.create_unique_constraint("uq_flowlytics_run_rollup_key", list(_NEW_KEY))
    op.execute(
        f"UPDATE flowlytics_run_fact SET dag_namespace = {_JOB_NAMESPACE.format(table='flowlytics_run_fact')} "
        "WHERE dag_key <> ''"
    )
    op.execute(
        f"UPDATE flowlytics_run_rollup SET dag_namespace = {_JOB_NAMESPACE.format(table='flowlytics_run_rollup')} "
        "WHERE grain = 'hour' AND dag_key <> ''"
    )
    _recount_days(with_namespace=True)
    if op.get_bind().execute(sa.text("SELECT 1 FROM flowlytics_run_fact LIMIT 1")).first() is None:
        _backfill_stored_runs()


def _backfill_stored_runs() -> None:
    """Count the stored runs in (the rate card from FLOWLYTICS_COST_RATES; `flowlytics analytics rebuild`
    recounts later with another one)."""
    import os

    from sqlalchemy.orm import Session

    from lineage_backend.analytics.cost import parse_cost_rates
    from lineage_backend.ingest.rollups import rebuild_rollups

    session = Session(bind=op.get_bind())
    rebuild_rollups(
        session=session, cost_rates=parse_cost_rates(os.environ.get("FLOWLYTICS_COST_RATES")), clear_marks=False
    )
    session.flush()


def downgrade() -> None:
    op.execute("DELETE FROM flowlytics_run_rollup WHERE grain = 'day'")
    for table in ("flowlytics_run_rollup", "flowlytics_run_fact"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "flowlytics_run_rollup":
                batch_op.drop_constraint("uq_flowlytics_run_rollup_key", type_="unique")
            batch_op.drop_column("dag_namespace")
            if table == "flowlytics_run_rollup":
                batch_op.create_unique_constraint("uq_flowlytics_run_rollup_key", list(_OLD_KEY))
    _recount_days(with_namespace=False)
