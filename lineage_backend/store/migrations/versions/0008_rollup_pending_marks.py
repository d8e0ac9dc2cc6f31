"""runs marked for a deferred rollup recount

Ingestion no longer counts runs into the rollups in its own transaction: it marks the runs it changed
(`rollup_pending`) and a background step recounts them in batches (ingest.rollups.flush_pending_rollups).
Existing runs are not marked: their rollups are current (counted at ingest until now).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (ALTER TABLE ADD COLUMN) on both databases: a batch copy of the table would drop the old one,
    # which the run-dataset rows' foreign keys refuse on SQLite.
    op.add_column(
        "flowlytics_run", sa.Column("rollup_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_index(
        "ix_flowlytics_run_rollup_pending",
        "flowlytics_run",
        ["run_uuid"],
        postgresql_where=sa.text("rollup_pending"),
        sqlite_where=sa.text("rollup_pending"),
    )


def downgrade() -> None:
    # Marked runs would be forgotten by the ingest-time counting of 0007's code: recount them first with
    # `flowlytics analytics rebuild` (run after the downgrade) if any were pending.
    op.drop_index("ix_flowlytics_run_rollup_pending", table_name="flowlytics_run")
    # In place as well (SQLite 3.35+).
    op.execute("ALTER TABLE flowlytics_run DROP COLUMN rollup_pending")
