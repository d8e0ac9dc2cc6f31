"""batches: each run's batch (top-most ancestor), root flag and environment tag

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flowlytics_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_run_uuid", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("env_tag", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("is_root", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f("ix_flowlytics_run_batch_run_uuid"), ["batch_run_uuid"], unique=False)
        batch_op.create_index("ix_flowlytics_run_root_sort", ["is_root", "sort_time"], unique=False)
    # Existing runs: the facet's root, else the parent, else the run itself (new events refine it).
    op.execute(
        "UPDATE flowlytics_run SET batch_run_uuid = COALESCE(root_run_uuid, parent_run_uuid, run_uuid), "
        "is_root = (parent_run_uuid IS NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("flowlytics_run", schema=None) as batch_op:
        batch_op.drop_index("ix_flowlytics_run_root_sort")
        batch_op.drop_index(batch_op.f("ix_flowlytics_run_batch_run_uuid"))
        batch_op.drop_column("is_root")
        batch_op.drop_column("env_tag")
        batch_op.drop_column("batch_run_uuid")
