"""alerts and incidents: anomalies, channels, rules, owner routes, silences, incidents, timeline, outbox

Revision ID: 0005
Revises: 0004 (re-chained onto 0004 at merge; independent of the analytics tables)
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from lineage_backend.store.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def _id() -> sa.Column:
    return sa.Column("id", BigIntId, primary_key=True, autoincrement=True)


def upgrade() -> None:
    with op.batch_alter_table("flowlytics_node_metadata", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anomaly", Json, nullable=True))
    op.create_table(
        "flowlytics_anomaly",
        _id(),
        sa.Column("key", sa.String(2200), nullable=False),
        sa.Column("run_uuid", sa.String(36)),
        sa.Column("subject", sa.String(2100), nullable=False),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("expected_low", sa.Float()),
        sa.Column("expected_high", sa.Float()),
        sa.Column("median", sa.Float()),
        sa.Column("score", sa.Float()),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("event_time", UtcDateTime(), nullable=False),
        sa.Column("detected_at", UtcDateTime(), nullable=False),
        sa.Column("marked_normal_by", sa.String(250)),
        sa.Column("marked_normal_at", UtcDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_flowlytics_anomaly"),
        sa.UniqueConstraint("key", name="uq_flowlytics_anomaly_key"),
    )
    op.create_index("ix_flowlytics_anomaly_run_uuid", "flowlytics_anomaly", ["run_uuid"])
    op.create_index("ix_flowlytics_anomaly_dag_id", "flowlytics_anomaly", ["dag_id"])
    op.create_index("ix_flowlytics_anomaly_subject_time", "flowlytics_anomaly", ["subject", "event_time"])

    op.create_table(
        "flowlytics_alert_channel",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("addresses", Json),
        sa.Column("secret", sa.Text()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(250), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flowlytics_alert_channel"),
        sa.UniqueConstraint("name", name="uq_flowlytics_alert_channel_name"),
    )
    op.create_table(
        "flowlytics_alert_rule",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("condition", Json, nullable=False),
        sa.Column("scope", Json, nullable=False),
        sa.Column("channel_ids", Json, nullable=False),
        sa.Column("route_to_owners", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("muted_until", UtcDateTime()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(250), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flowlytics_alert_rule"),
        sa.UniqueConstraint("name", name="uq_flowlytics_alert_rule_name"),
    )
    op.create_table(
        "flowlytics_alert_owner_route",
        sa.Column("owner", sa.String(250), nullable=False),
        sa.Column("channel_id", BigIntId, nullable=False),
        sa.PrimaryKeyConstraint("owner", name="pk_flowlytics_alert_owner_route"),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["flowlytics_alert_channel.id"],
            name="fk_flowlytics_alert_owner_route_channel_id",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "flowlytics_alert_silence",
        _id(),
        sa.Column("rule_id", BigIntId),
        sa.Column("subject", sa.String(2100)),
        sa.Column("until", UtcDateTime()),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(250), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flowlytics_alert_silence"),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["flowlytics_alert_rule.id"], name="fk_flowlytics_alert_silence_rule_id", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "flowlytics_incident",
        _id(),
        sa.Column("rule_id", BigIntId, nullable=False),
        sa.Column("subject", sa.String(2100), nullable=False),
        sa.Column("open_key", sa.String(2200)),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime()),
        sa.Column("acknowledged_by", sa.String(250)),
        sa.Column("resolved_at", UtcDateTime()),
        sa.Column("resolved_by", sa.String(250)),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("impact", Json, nullable=False),
        sa.Column("parent_incident_id", BigIntId),
        sa.Column("link", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_flowlytics_incident"),
        sa.UniqueConstraint("open_key", name="uq_flowlytics_incident_open_key"),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["flowlytics_alert_rule.id"], name="fk_flowlytics_incident_rule_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_incident_id"], ["flowlytics_incident.id"], name="fk_flowlytics_incident_parent_incident_id"
        ),
    )
    op.create_index("ix_flowlytics_incident_rule_id", "flowlytics_incident", ["rule_id"])
    op.create_index("ix_flowlytics_incident_subject", "flowlytics_incident", ["subject"])
    op.create_index("ix_flowlytics_incident_dag_id", "flowlytics_incident", ["dag_id"])
    op.create_index("ix_flowlytics_incident_state_opened", "flowlytics_incident", ["state", "opened_at"])
    op.create_table(
        "flowlytics_incident_occurrence",
        _id(),
        sa.Column("incident_id", BigIntId, nullable=False),
        sa.Column("occurrence_key", sa.String(200), nullable=False),
        sa.Column("run_uuid", sa.String(36)),
        sa.Column("job_node_id", sa.String(2100)),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("details", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flowlytics_incident_occurrence"),
        sa.UniqueConstraint(
            "incident_id", "occurrence_key", name="uq_flowlytics_incident_occurrence_incident_id_occurrence_key"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["flowlytics_incident.id"],
            name="fk_flowlytics_incident_occurrence_incident_id",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "flowlytics_incident_event",
        _id(),
        sa.Column("incident_id", BigIntId, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(250)),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flowlytics_incident_event"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["flowlytics_incident.id"],
            name="fk_flowlytics_incident_event_incident_id",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_flowlytics_incident_event_incident_id", "flowlytics_incident_event", ["incident_id"])
    op.create_table(
        "flowlytics_alert_outbox",
        _id(),
        sa.Column("dedup_key", sa.String(300), nullable=False),
        sa.Column("incident_id", BigIntId),
        sa.Column("channel_id", BigIntId, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(100)),
        sa.Column("claimed_until", UtcDateTime()),
        sa.Column("delivered_at", UtcDateTime()),
        sa.Column("gave_up_at", UtcDateTime()),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_flowlytics_alert_outbox"),
        sa.UniqueConstraint("dedup_key", name="uq_flowlytics_alert_outbox_dedup_key"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["flowlytics_incident.id"],
            name="fk_flowlytics_alert_outbox_incident_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["flowlytics_alert_channel.id"],
            name="fk_flowlytics_alert_outbox_channel_id",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_flowlytics_alert_outbox_due", "flowlytics_alert_outbox", ["delivered_at", "next_attempt_at"])
    op.create_table(
        "flowlytics_alert_evaluation",
        sa.Column("run_uuid", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("evaluated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", name="pk_flowlytics_alert_evaluation"),
    )


def downgrade() -> None:
    for table in (
        "flowlytics_alert_evaluation",
        "flowlytics_alert_outbox",
        "flowlytics_incident_event",
        "flowlytics_incident_occurrence",
        "flowlytics_incident",
        "flowlytics_alert_silence",
        "flowlytics_alert_owner_route",
        "flowlytics_alert_rule",
        "flowlytics_alert_channel",
        "flowlytics_anomaly",
    ):
        op.drop_table(table)
    with op.batch_alter_table("flowlytics_node_metadata", schema=None) as batch_op:
        batch_op.drop_column("anomaly")
