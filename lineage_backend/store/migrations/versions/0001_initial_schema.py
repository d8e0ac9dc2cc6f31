"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lineage_backend.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "flowlytics_dataset",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("namespace", sa.String(length=1000), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column(
            "facets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "facet_times",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_dataset")),
        sa.UniqueConstraint("namespace", "name", name=op.f("uq_flowlytics_dataset_namespace_name")),
    )
    op.create_table(
        "flowlytics_job",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("namespace", sa.String(length=1000), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("job_type", sa.String(length=64), nullable=True),
        sa.Column("integration", sa.String(length=64), nullable=True),
        sa.Column(
            "facets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "facet_times",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_job")),
        sa.UniqueConstraint("namespace", "name", name=op.f("uq_flowlytics_job_namespace_name")),
    )
    with op.batch_alter_table("flowlytics_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flowlytics_job_dag_id"), ["dag_id"], unique=False)

    op.create_table(
        "flowlytics_raw_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("event_kind", sa.String(length=16), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=True),
        sa.Column("event_time", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("received_at", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("run_uuid", sa.String(length=36), nullable=True),
        sa.Column("job_namespace", sa.Text(), nullable=True),
        sa.Column("job_name", sa.Text(), nullable=True),
        sa.Column("producer", sa.Text(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_raw_event")),
        sa.UniqueConstraint("event_hash", name=op.f("uq_flowlytics_raw_event_event_hash")),
    )
    with op.batch_alter_table("flowlytics_raw_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flowlytics_raw_event_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_flowlytics_raw_event_run_uuid"), ["run_uuid"], unique=False)

    op.create_table(
        "flowlytics_column_edge",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("output_dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("output_field", sa.String(length=1000), nullable=False),
        sa.Column("input_dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("input_field", sa.String(length=1000), nullable=False),
        sa.Column("transformation_type", sa.String(length=32), nullable=False),
        sa.Column("transformation_subtype", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("masking", sa.Boolean(), nullable=True),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("first_seen", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("last_seen", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["input_dataset_id"],
            ["flowlytics_dataset.id"],
            name=op.f("fk_flowlytics_column_edge_input_dataset_id"),
        ),
        sa.ForeignKeyConstraint(["job_id"], ["flowlytics_job.id"], name=op.f("fk_flowlytics_column_edge_job_id")),
        sa.ForeignKeyConstraint(
            ["output_dataset_id"],
            ["flowlytics_dataset.id"],
            name=op.f("fk_flowlytics_column_edge_output_dataset_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_column_edge")),
        sa.UniqueConstraint(
            "output_dataset_id",
            "output_field",
            "input_dataset_id",
            "input_field",
            "transformation_type",
            "transformation_subtype",
            name="uq_flowlytics_column_edge_identity",
        ),
    )
    with op.batch_alter_table("flowlytics_column_edge", schema=None) as batch_op:
        batch_op.create_index("ix_flowlytics_column_edge_input", ["input_dataset_id", "input_field"], unique=False)

    op.create_table(
        "flowlytics_dataset_symlink",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alias_namespace", sa.String(length=1000), nullable=False),
        sa.Column("alias_name", sa.String(length=1000), nullable=False),
        sa.Column("alias_type", sa.String(length=64), nullable=True),
        sa.Column("first_seen", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["flowlytics_dataset.id"], name=op.f("fk_flowlytics_dataset_symlink_dataset_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_dataset_symlink")),
        sa.UniqueConstraint(
            "dataset_id",
            "alias_namespace",
            "alias_name",
            name="uq_flowlytics_dataset_symlink_alias",
        ),
    )
    op.create_table(
        "flowlytics_lineage_edge",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("first_seen", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.Column("last_seen", lineage_backend.store.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["flowlytics_dataset.id"], name=op.f("fk_flowlytics_lineage_edge_dataset_id")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["flowlytics_job.id"], name=op.f("fk_flowlytics_lineage_edge_job_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_lineage_edge")),
        sa.UniqueConstraint(
            "job_id",
            "dataset_id",
            "direction",
            name=op.f("uq_flowlytics_lineage_edge_job_id_dataset_id_direction"),
        ),
    )
    with op.batch_alter_table("flowlytics_lineage_edge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flowlytics_lineage_edge_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "flowlytics_run",
        sa.Column("run_uuid", sa.String(length=36), nullable=False),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column("state_rank", sa.String(length=64), nullable=True),
        sa.Column("started_at", lineage_backend.store.types.UtcDateTime(), nullable=True),
        sa.Column("ended_at", lineage_backend.store.types.UtcDateTime(), nullable=True),
        sa.Column("first_event_at", lineage_backend.store.types.UtcDateTime(), nullable=True),
        sa.Column("last_event_at", lineage_backend.store.types.UtcDateTime(), nullable=True),
        sa.Column("sort_time", lineage_backend.store.types.UtcDateTime(), nullable=True),
        sa.Column("nominal_start_at", lineage_backend.store.types.UtcDateTime(), nullable=True),
        sa.Column("nominal_end_at", lineage_backend.store.types.UtcDateTime(), nullable=True),
        sa.Column("parent_run_uuid", sa.String(length=36), nullable=True),
        sa.Column("root_run_uuid", sa.String(length=36), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column(
            "facets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "facet_times",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["flowlytics_job.id"], name=op.f("fk_flowlytics_run_job_id")),
        sa.PrimaryKeyConstraint("run_uuid", name=op.f("pk_flowlytics_run")),
    )
    with op.batch_alter_table("flowlytics_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flowlytics_run_job_id"), ["job_id"], unique=False)
        batch_op.create_index("ix_flowlytics_run_job_started", ["job_id", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_flowlytics_run_parent_run_uuid"), ["parent_run_uuid"], unique=False)
        batch_op.create_index(batch_op.f("ix_flowlytics_run_root_run_uuid"), ["root_run_uuid"], unique=False)
        batch_op.create_index("ix_flowlytics_run_sort_time", ["sort_time"], unique=False)
        batch_op.create_index(batch_op.f("ix_flowlytics_run_state"), ["state"], unique=False)

    op.create_table(
        "flowlytics_run_dataset",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("run_uuid", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("file_count", sa.BigInteger(), nullable=True),
        sa.Column(
            "facets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "facet_times",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["flowlytics_dataset.id"], name=op.f("fk_flowlytics_run_dataset_dataset_id")
        ),
        sa.ForeignKeyConstraint(
            ["run_uuid"], ["flowlytics_run.run_uuid"], name=op.f("fk_flowlytics_run_dataset_run_uuid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flowlytics_run_dataset")),
        sa.UniqueConstraint(
            "run_uuid",
            "dataset_id",
            "direction",
            name=op.f("uq_flowlytics_run_dataset_run_uuid_dataset_id_direction"),
        ),
    )
    with op.batch_alter_table("flowlytics_run_dataset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flowlytics_run_dataset_dataset_id"), ["dataset_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("flowlytics_run_dataset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowlytics_run_dataset_dataset_id"))

    op.drop_table("flowlytics_run_dataset")
    with op.batch_alter_table("flowlytics_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowlytics_run_state"))
        batch_op.drop_index("ix_flowlytics_run_sort_time")
        batch_op.drop_index(batch_op.f("ix_flowlytics_run_root_run_uuid"))
        batch_op.drop_index(batch_op.f("ix_flowlytics_run_parent_run_uuid"))
        batch_op.drop_index("ix_flowlytics_run_job_started")
        batch_op.drop_index(batch_op.f("ix_flowlytics_run_job_id"))

    op.drop_table("flowlytics_run")
    with op.batch_alter_table("flowlytics_lineage_edge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowlytics_lineage_edge_dataset_id"))

    op.drop_table("flowlytics_lineage_edge")
    op.drop_table("flowlytics_dataset_symlink")
    with op.batch_alter_table("flowlytics_column_edge", schema=None) as batch_op:
        batch_op.drop_index("ix_flowlytics_column_edge_input")

    op.drop_table("flowlytics_column_edge")
    with op.batch_alter_table("flowlytics_raw_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowlytics_raw_event_run_uuid"))
        batch_op.drop_index(batch_op.f("ix_flowlytics_raw_event_received_at"))

    op.drop_table("flowlytics_raw_event")
    with op.batch_alter_table("flowlytics_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowlytics_job_dag_id"))

    op.drop_table("flowlytics_job")
    op.drop_table("flowlytics_dataset")
