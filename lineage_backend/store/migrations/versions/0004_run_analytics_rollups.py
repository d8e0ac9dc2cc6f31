"""run analytics: per-run facts and hour/day rollups maintained at ingest, backfilled from stored runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lineage_backend.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "flowlytics_run_fact",
        sa.Column("run_uuid", sa.String(length=36), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("dag_key", sa.String(length=250), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("env_key", sa.String(length=1000), nullable=False),
        sa.Column("trigger_type", sa.String(length=32), nullable=False),
        sa.Column("dag_version", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("bucket_hour", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("started_at", lineage_backend.store.types.UtcDateTime(), nullable=True),
        sa.Column("ended_at", lineage_backend.store.types.UtcDateTime(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_written", sa.BigInteger(), nullable=False),
        sa.Column("dq_errors", sa.BigInteger(), nullable=False),
        sa.Column("cost_estimated", sa.Float(), nullable=False),
        sa.Column("cost_billed", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", name=op.f("pk_flowlytics_run_fact")),
    )
    op.create_index("ix_flowlytics_run_fact_dag_hour", "flowlytics_run_fact", ["dag_key", "level", "bucket_hour"])
    op.create_index("ix_flowlytics_run_fact_bucket_hour", "flowlytics_run_fact", ["bucket_hour"])
    op.create_index(op.f("ix_flowlytics_run_fact_job_id"), "flowlytics_run_fact", ["job_id"])
    op.create_table(
        "flowlytics_run_rollup",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("bucket_start", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("dag_key", sa.String(length=250), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("env_key", sa.String(length=1000), nullable=False),
        sa.Column("trigger_type", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("runs", sa.BigInteger(), nullable=False),
        sa.Column("duration_count", sa.BigInteger(), nullable=False),
        sa.Column("duration_sum", sa.Float(), nullable=False),
        sa.Column("sketch", _JSON, nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_written", sa.BigInteger(), nullable=False),
        sa.Column("dq_errors", sa.BigInteger(), nullable=False),
        sa.Column("cost_estimated", sa.Float(), nullable=False),
        sa.Column("cost_billed", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_run_rollup")),
        sa.UniqueConstraint(
            "grain",
            "bucket_start",
            "level",
            "dag_key",
            "job_id",
            "env_key",
            "trigger_type",
            "state",
            name="uq_flowlytics_run_rollup_key",
        ),
    )
    # Existing runs are counted in by 0007, the last revision that changes these tables: the counting code
    # (ingest/rollups.py) writes the tables' newest shape, which does not exist yet at this revision.


def downgrade() -> None:
    op.drop_table("flowlytics_run_rollup")
    op.drop_index(op.f("ix_flowlytics_run_fact_job_id"), table_name="flowlytics_run_fact")
    op.drop_index("ix_flowlytics_run_fact_bucket_hour", table_name="flowlytics_run_fact")
    op.drop_index("ix_flowlytics_run_fact_dag_hour", table_name="flowlytics_run_fact")
    op.drop_table("flowlytics_run_fact")
