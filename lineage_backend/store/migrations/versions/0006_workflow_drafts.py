"""workflow drafts: saved per user

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lineage_backend.store.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flowlytics_workflow_draft",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(length=250), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_workflow_draft")),
    )
    with op.batch_alter_table("flowlytics_workflow_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flowlytics_workflow_draft_owner"), ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flowlytics_workflow_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowlytics_workflow_draft_owner"))
    op.drop_table("flowlytics_workflow_draft")
