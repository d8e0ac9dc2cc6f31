"""lineage graph and node metadata

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lineage_backend.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "flowlytics_edge_metadata",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(length=2100), nullable=False),
        sa.Column("target_id", sa.String(length=2100), nullable=False),
        sa.Column(
            "annotations", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_at", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=250), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_edge_metadata")),
        sa.UniqueConstraint("source_id", "target_id", name="uq_flowlytics_edge_metadata_ends"),
    )
    op.create_table(
        "flowlytics_metadata_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("target", sa.String(length=4300), nullable=False),
        sa.Column("actor", sa.String(length=250), nullable=False),
        sa.Column("at", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column(
            "before", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "after", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_metadata_audit")),
    )
    with op.batch_alter_table("flowlytics_metadata_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flowlytics_metadata_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_flowlytics_metadata_audit_target"), ["target"], unique=False)

    op.create_table(
        "flowlytics_node_metadata",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("node_id", sa.String(length=2100), nullable=False),
        sa.Column(
            "owners", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("criticality", sa.String(length=16), nullable=True),
        sa.Column("sla", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True),
        sa.Column(
            "annotations", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_at", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=250), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_node_metadata")),
        sa.UniqueConstraint("node_id", name=op.f("uq_flowlytics_node_metadata_node_id")),
    )
    with op.batch_alter_table("flowlytics_job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("parent_job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_flowlytics_job_parent_job_id"), ["parent_job_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_flowlytics_job_parent_job_id"), "flowlytics_job", ["parent_job_id"], ["id"]
        )

    with op.batch_alter_table("flowlytics_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowlytics_run_job_started"))
        batch_op.create_index("ix_flowlytics_run_job_sort_time", ["job_id", "sort_time"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("flowlytics_run", schema=None) as batch_op:
        batch_op.drop_index("ix_flowlytics_run_job_sort_time")
        batch_op.create_index(batch_op.f("ix_flowlytics_run_job_started"), ["job_id", "started_at"], unique=False)

    with op.batch_alter_table("flowlytics_job", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_flowlytics_job_parent_job_id"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_flowlytics_job_parent_job_id"))
        batch_op.drop_column("parent_job_id")

    op.drop_table("flowlytics_node_metadata")
    with op.batch_alter_table("flowlytics_metadata_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowlytics_metadata_audit_target"))
        batch_op.drop_index(batch_op.f("ix_flowlytics_metadata_audit_at"))

    op.drop_table("flowlytics_metadata_audit")
    op.drop_table("flowlytics_edge_metadata")
