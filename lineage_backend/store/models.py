"""Flowlytics' own tables, on their own MetaData so they never mix with Airflow's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    false as sa_false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lineage_backend.store.types import JsonType, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL wants BIGINT for event volumes.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = metadata


class RawEvent(Base):
    """Every accepted event, kept whole; `event_hash` makes replays no-ops."""

    __tablename__ = "flowlytics_raw_event"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    event_hash: Mapped[str] = mapped_column(String(64), unique=True)
    event_kind: Mapped[str] = mapped_column(String(16))  # RunEvent | DatasetEvent | JobEvent
    event_type: Mapped[str | None] = mapped_column(String(16))
    event_time: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    run_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    job_namespace: Mapped[str | None] = mapped_column(Text)
    job_name: Mapped[str | None] = mapped_column(Text)
    producer: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # the event's JSON as received


class Job(Base):
    __tablename__ = "flowlytics_job"
    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    namespace: Mapped[str] = mapped_column(String(1000))
    name: Mapped[str] = mapped_column(String(1000))
    # Set for Airflow DAG and task jobs: drives per-DAG visibility.
    dag_id: Mapped[str | None] = mapped_column(String(250), index=True)
    # The job whose runs parent this job's runs (an Airflow task's DAG, a Spark action's application).
    parent_job_id: Mapped[int | None] = mapped_column(ForeignKey("flowlytics_job.id"), index=True)
    job_type: Mapped[str | None] = mapped_column(String(64))
    integration: Mapped[str | None] = mapped_column(String(64))
    facets: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # eventTime per facet key: the newest event wins a key whatever the arrival order.
    facet_times: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Dataset(Base):
    __tablename__ = "flowlytics_dataset"
    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    namespace: Mapped[str] = mapped_column(String(1000))
    name: Mapped[str] = mapped_column(String(1000))
    facets: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    facet_times: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Run(Base):
    __tablename__ = "flowlytics_run"
    __table_args__ = (
        Index("ix_flowlytics_run_job_sort_time", "job_id", "sort_time"),
        Index("ix_flowlytics_run_sort_time", "sort_time"),
        # Batch lists: root runs newest first.
        Index("ix_flowlytics_run_root_sort", "is_root", "sort_time"),
    )

    run_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_job.id"), index=True)
    # None until an event of the run itself arrives (a parent known only from a child's facet).
    state: Mapped[str | None] = mapped_column(String(16), index=True)
    # (terminal, eventTime, type rank) of the event that set `state`: the maximum always wins.
    state_rank: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    first_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Newest-first ordering key: start time, else the first event seen.
    sort_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    nominal_start_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    nominal_end_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    parent_run_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    root_run_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    # The batch (top-most ancestor run) this run belongs to; its own id when it has no parent.
    batch_run_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    # `env`/`environment` tag of the run or its job, when the emitter sent one.
    env_tag: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    facets: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    facet_times: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    is_root: Mapped[bool] = mapped_column(default=False, server_default=sa_false())


class RollupQueue(Base):
    """Runs awaiting their rollup recount (migration 0009): ingestion inserts the runs it changed, the recount
    (ingest.rollups.flush_pending_rollups) deletes those it counted. A table of its own, not a run column:
    clearing a mark is then a delete of a narrow row, not a new version of the wide run row. No foreign key:
    retention deletes runs whatever their marks (a mark left behind is dropped by the recount)."""

    __tablename__ = "flowlytics_rollup_queue"

    run_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)


class RunDataset(Base):
    """A run's inputs and outputs with their statistics; accumulated over the run's events."""

    __tablename__ = "flowlytics_run_dataset"
    __table_args__ = (UniqueConstraint("run_uuid", "dataset_id", "direction"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    run_uuid: Mapped[str] = mapped_column(String(36), ForeignKey("flowlytics_run.run_uuid"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_dataset.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # IN | OUT
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    file_count: Mapped[int | None] = mapped_column(BigInteger)
    facets: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    facet_times: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


# The columns that identify an edge: its unique constraint, and the conflict target of ingest's upserts
# (ingest/bulk.py), which must be the same columns.
LINEAGE_EDGE_IDENTITY = ("job_id", "dataset_id", "direction")
COLUMN_EDGE_IDENTITY = (
    "output_dataset_id",
    "output_field",
    "input_dataset_id",
    "input_field",
    "transformation_type",
    "transformation_subtype",
)


class LineageEdge(Base):
    """job → output dataset (OUT) and input dataset → job (IN)."""

    __tablename__ = "flowlytics_lineage_edge"
    __table_args__ = (UniqueConstraint(*LINEAGE_EDGE_IDENTITY),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_job.id"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_dataset.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime())


class ColumnEdge(Base):
    __tablename__ = "flowlytics_column_edge"
    __table_args__ = (
        UniqueConstraint(*COLUMN_EDGE_IDENTITY, name="uq_flowlytics_column_edge_identity"),
        Index("ix_flowlytics_column_edge_input", "input_dataset_id", "input_field"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    output_dataset_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_dataset.id"))
    output_field: Mapped[str] = mapped_column(String(1000))
    input_dataset_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_dataset.id"))
    # "" for dataset-level dependencies (filters, joins) that feed the whole output.
    input_field: Mapped[str] = mapped_column(String(1000))
    transformation_type: Mapped[str] = mapped_column(String(32))
    transformation_subtype: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    masking: Mapped[bool | None] = mapped_column()
    job_id: Mapped[int | None] = mapped_column(ForeignKey("flowlytics_job.id"))
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime())


class DatasetSymlink(Base):
    __tablename__ = "flowlytics_dataset_symlink"
    __table_args__ = (
        UniqueConstraint("dataset_id", "alias_namespace", "alias_name", name="uq_flowlytics_dataset_symlink_alias"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_dataset.id"))
    alias_namespace: Mapped[str] = mapped_column(String(1000))
    alias_name: Mapped[str] = mapped_column(String(1000))
    alias_type: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime())


class NodeMetadata(Base):
    """What people add to a node. NULL means "not set by people": the value from facets applies."""

    __tablename__ = "flowlytics_node_metadata"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    node_id: Mapped[str] = mapped_column(String(2100), unique=True)
    owners: Mapped[list[str] | None] = mapped_column(JsonType)
    criticality: Mapped[str | None] = mapped_column(String(16))
    sla: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    tags: Mapped[list[str] | None] = mapped_column(JsonType)
    annotations: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    # Anomaly detection settings for this node: {sensitivity, metrics, direction, minHistory} (migration 0005).
    anomaly: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(250))


class EdgeMetadata(Base):
    __tablename__ = "flowlytics_edge_metadata"
    __table_args__ = (UniqueConstraint("source_id", "target_id", name="uq_flowlytics_edge_metadata_ends"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(2100))
    target_id: Mapped[str] = mapped_column(String(2100))
    annotations: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(250))


class MetadataAudit(Base):
    """Every edit of node or edge metadata: who, when, before, after."""

    __tablename__ = "flowlytics_metadata_audit"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(4300), index=True)
    actor: Mapped[str] = mapped_column(String(250))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JsonType)
    after: Mapped[dict[str, Any]] = mapped_column(JsonType)


class WorkflowDraft(Base):
    """A saved workflow draft: its owner's text, nothing derived (the draft is recomputed when opened)."""

    __tablename__ = "flowlytics_workflow_draft"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(250), index=True)
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


# --- Anomalies, alerts and incidents (migration 0005) ---------------------------------------------------------


class Anomaly(Base):
    """A run's metric (or a dataset's freshness) outside its learned band. `key` makes re-evaluation a no-op."""

    __tablename__ = "flowlytics_anomaly"
    __table_args__ = (Index("ix_flowlytics_anomaly_subject_time", "subject", "event_time"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(2200), unique=True)
    run_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    subject: Mapped[str] = mapped_column(String(2100))  # job or dataset node id
    dag_id: Mapped[str | None] = mapped_column(String(250), index=True)
    metric: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    expected_low: Mapped[float | None] = mapped_column(Float)
    expected_high: Mapped[float | None] = mapped_column(Float)
    median: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(4))  # HIGH | LOW
    level: Mapped[str] = mapped_column(String(8))  # warn | error
    event_time: Mapped[datetime] = mapped_column(UtcDateTime())
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    marked_normal_by: Mapped[str | None] = mapped_column(String(250))
    marked_normal_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AlertChannel(Base):
    __tablename__ = "flowlytics_alert_channel"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(16))  # webhook | slack | email | apprise
    url: Mapped[str | None] = mapped_column(Text)  # write-only for slack/apprise (it holds their tokens)
    addresses: Mapped[list[str] | None] = mapped_column(JsonType)
    secret: Mapped[str | None] = mapped_column(Text)  # write-only, never returned nor logged
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(250))


class AlertRule(Base):
    __tablename__ = "flowlytics_alert_rule"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    condition: Mapped[dict[str, Any]] = mapped_column(JsonType)
    scope: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    channel_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    route_to_owners: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    muted_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(250))


class OwnerRoute(Base):
    """ "Notify the owners of what breaks": an owner's channel."""

    __tablename__ = "flowlytics_alert_owner_route"

    owner: Mapped[str] = mapped_column(String(250), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_alert_channel.id", ondelete="CASCADE"))


class AlertSilence(Base):
    """Snooze (until a time) or mute (no end) a rule, a subject, or a rule for one subject."""

    __tablename__ = "flowlytics_alert_silence"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("flowlytics_alert_rule.id", ondelete="CASCADE"))
    subject: Mapped[str | None] = mapped_column(String(2100))
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(250))


class Incident(Base):
    __tablename__ = "flowlytics_incident"
    __table_args__ = (Index("ix_flowlytics_incident_state_opened", "state", "opened_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_alert_rule.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(2100), index=True)
    # "<rule>|<subject>" while not resolved, NULL after: at most one open incident per rule and subject.
    open_key: Mapped[str | None] = mapped_column(String(2200), unique=True)
    dag_id: Mapped[str | None] = mapped_column(String(250), index=True)
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # OPEN | ACKNOWLEDGED | RESOLVED
    severity: Mapped[str] = mapped_column(String(16))  # warn | error | critical
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(250))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(250))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    impact: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # Grouped under an open incident upstream (lineage): no message of its own.
    parent_incident_id: Mapped[int | None] = mapped_column(ForeignKey("flowlytics_incident.id"))
    link: Mapped[str | None] = mapped_column(Text)


class IncidentOccurrence(Base):
    __tablename__ = "flowlytics_incident_occurrence"
    __table_args__ = (UniqueConstraint("incident_id", "occurrence_key"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_incident.id", ondelete="CASCADE"))
    occurrence_key: Mapped[str] = mapped_column(String(200))  # a run id, or a clock tick for absences
    run_uuid: Mapped[str | None] = mapped_column(String(36))
    job_node_id: Mapped[str | None] = mapped_column(String(2100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class IncidentEvent(Base):
    """The timeline: opened, occurrences, deliveries and their results, ack, resolve, notes, grouping."""

    __tablename__ = "flowlytics_incident_event"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_incident.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(250))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class AlertOutbox(Base):
    """Messages to send. Claimed under a lock with a lease (`claimed_until`): a sender that dies mid-send
    leaves the row to be claimed again once the lease ends. `dedup_key` makes one message per incident,
    kind and channel."""

    __tablename__ = "flowlytics_alert_outbox"
    __table_args__ = (Index("ix_flowlytics_alert_outbox_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("flowlytics_incident.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("flowlytics_alert_channel.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # opened | resolved
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    gave_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class AlertEvaluation(Base):
    """Runs whose terminal state was evaluated: on-ingest evaluation and the sweep after a crash agree."""

    __tablename__ = "flowlytics_alert_evaluation"

    run_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    evaluated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RunFact(Base):
    """Each run's analytics facts as last counted into the rollups (its "contribution"), kept at ingest."""

    __tablename__ = "flowlytics_run_fact"
    __table_args__ = (
        Index("ix_flowlytics_run_fact_dag_hour", "dag_key", "level", "bucket_hour"),
        Index("ix_flowlytics_run_fact_bucket_hour", "bucket_hour"),
    )

    run_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[int] = mapped_column(BigInteger, index=True)
    dag_key: Mapped[str] = mapped_column(String(250))
    # The DAG job's namespace ("" outside Airflow): with the DAG id, what per-DAG visibility matches.
    dag_namespace: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    level: Mapped[str] = mapped_column(String(8))
    env_key: Mapped[str] = mapped_column(String(1000))
    trigger_type: Mapped[str] = mapped_column(String(32))
    dag_version: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    bucket_hour: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
    dq_errors: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_estimated: Mapped[float] = mapped_column(Float, default=0.0)
    cost_billed: Mapped[float] = mapped_column(Float, default=0.0)


class RunRollup(Base):
    """Runs counted per hour and job ("hour"), per day and DAG with its namespace ("day") and per day over
    all DAGs ("dayall"), by level, env, trigger type and state; `sketch` holds duration counts in log-scale
    buckets (analytics.sketch) for percentiles. Kept when retention deletes the runs."""

    __tablename__ = "flowlytics_run_rollup"
    __table_args__ = (
        UniqueConstraint(
            "grain",
            "bucket_start",
            "level",
            "dag_key",
            "dag_namespace",
            "job_id",
            "env_key",
            "trigger_type",
            "state",
            name="uq_flowlytics_run_rollup_key",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    grain: Mapped[str] = mapped_column(String(8))
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime())
    level: Mapped[str] = mapped_column(String(8))
    dag_key: Mapped[str] = mapped_column(String(250))
    # The DAG's namespace ("" outside Airflow and in "dayall"), so that day rows answer per-DAG visibility.
    dag_namespace: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    job_id: Mapped[int] = mapped_column(BigInteger)
    env_key: Mapped[str] = mapped_column(String(1000))
    trigger_type: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    runs: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_count: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_sum: Mapped[float] = mapped_column(Float, default=0.0)
    sketch: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
    dq_errors: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_estimated: Mapped[float] = mapped_column(Float, default=0.0)
    cost_billed: Mapped[float] = mapped_column(Float, default=0.0)
