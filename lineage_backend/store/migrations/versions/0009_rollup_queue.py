"""rollup marks in a queue table instead of a run column

The runs awaiting their rollup recount move from `flowlytics_run.rollup_pending` (0008) to a narrow table
of their own, `flowlytics_rollup_queue`: clearing a mark was an UPDATE of the wide run row (a new row
version and index entries per run on PostgreSQL, the column being in a partial index's predicate), it is
now the DELETE of a one-column row. Marks pending at the upgrade (or downgrade) move along.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign key: retention deletes runs, and a mark must never hold that up (the recount drops marks
    # whose run is gone).
    op.create_table(
        "flowlytics_rollup_queue",
        sa.Column("run_uuid", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", name=op.f("pk_flowlytics_rollup_queue")),
    )
    op.execute(
        "INSERT INTO flowlytics_rollup_queue (run_uuid) SELECT run_uuid FROM flowlytics_run WHERE rollup_pending"
    )
    op.drop_index("ix_flowlytics_run_rollup_pending", table_name="flowlytics_run")
    # In place (SQLite 3.35+), as 0008 added it: a batch copy of the run table would drop the old one, which
    # the run-dataset rows' foreign keys refuse on SQLite.
    op.execute("ALTER TABLE flowlytics_run DROP COLUMN rollup_pending")


def downgrade() -> None:
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
    # Marks of runs that retention deleted meanwhile have nothing to go to: they are dropped with the table.
    # (`true`: SQLite 3.23+ knows it, and stores 1.)
    op.execute(
        "UPDATE flowlytics_run SET rollup_pending = true "
        "WHERE run_uuid IN (SELECT run_uuid FROM flowlytics_rollup_queue)"
    )
    op.drop_table("flowlytics_rollup_queue")
