"""Response models: camelCase on the wire, as OpenLineage and Marquez use."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from lineage_backend.camel import ApiModel as ApiModel  # the one base, re-exported for the API's models
from lineage_backend.ingest.results import BatchIngestResponse as BatchIngestResponse
from lineage_backend.ingest.results import BatchSummary as BatchSummary
from lineage_backend.ingest.results import FailedEvent as FailedEvent

T = TypeVar("T")

RunState = Literal["RUNNING", "COMPLETED", "FAILED", "ABORTED"]


class CollectionResponse(ApiModel, Generic[T]):
    items: list[T]
    total_count: int


class JobRef(ApiModel):
    namespace: str
    name: str


class RunDatasetResponse(ApiModel):
    namespace: str
    name: str
    row_count: int | None = None
    bytes: int | None = None
    file_count: int | None = None


class RunSummaryResponse(ApiModel):
    run_id: str
    state: RunState | None
    job: JobRef
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float | None
    nominal_start_time: datetime | None = None
    nominal_end_time: datetime | None = None
    parent_run_id: str | None
    root_run_id: str | None
    error_message: str | None
    inputs: list[RunDatasetResponse] = []
    outputs: list[RunDatasetResponse] = []


class RunResponse(RunSummaryResponse):
    facets: dict[str, Any] = {}
    event_count: int = 0
    job_id: str | None = None
    batch_id: str | None = None
    stack_trace: str | None = None
    sql: str | None = None
    log_url: str | None = None
    try_number: int | None = None
    # Its metrics that left their learned band (GET /api/v1/anomalies items).
    anomalies: list[dict[str, Any]] = []
    # Run analytics: the run's cost as counted into the rollups (None until it has facts).
    cost: RunCostResponse | None = None


class RunCollectionResponse(CollectionResponse[RunSummaryResponse]):
    pass


class NamespaceResponse(ApiModel):
    name: str
    job_count: int
    dataset_count: int


class NamespaceCollectionResponse(CollectionResponse[NamespaceResponse]):
    pass


class LatestRunResponse(ApiModel):
    run_id: str
    state: RunState | None
    started_at: datetime | None
    ended_at: datetime | None


class NodeMetadataResponse(ApiModel):
    owners: list[str] = []
    tags: list[str] = []
    description: str | None = None


class JobSummaryResponse(ApiModel):
    id: str
    type: Literal["JOB"] = "JOB"
    namespace: str
    name: str
    job_type: str | None
    integration: str | None
    dag_id: str | None
    created_at: datetime
    updated_at: datetime
    latest_run: LatestRunResponse | None = None


class JobResponse(JobSummaryResponse):
    facets: dict[str, Any]
    metadata: NodeMetadataResponse
    inputs: list[str]
    outputs: list[str]
    latest_runs: list[RunSummaryResponse]


class JobCollectionResponse(CollectionResponse[JobSummaryResponse]):
    pass


class DatasetSummaryResponse(ApiModel):
    id: str
    type: Literal["DATASET"] = "DATASET"
    namespace: str
    name: str
    created_at: datetime
    updated_at: datetime


class DatasetResponse(DatasetSummaryResponse):
    facets: dict[str, Any]
    metadata: NodeMetadataResponse
    aliases: list[str]
    producers: list[str]
    consumers: list[str]
    latest_runs: list[RunSummaryResponse]


class DatasetCollectionResponse(CollectionResponse[DatasetSummaryResponse]):
    pass


class HealthResponse(ApiModel):
    status: Literal["ok", "unavailable"]
    database: str
    version: str


Criticality = Literal["low", "medium", "high", "critical"]


class SlaModel(ApiModel):
    latest_arrival: str | None = None  # "HH:MM", UTC: data must have landed by then each day
    max_age_minutes: int | None = None  # data must be younger than this


class AnnotationModel(ApiModel):
    text: str
    author: str | None = None
    created_at: datetime | None = None


class LatestRunRef(ApiModel):
    run_id: str
    state: RunState | None
    started_at: datetime | None
    ended_at: datetime | None


class FieldModel(ApiModel):
    name: str
    type: str | None = None


class GraphNodeResponse(ApiModel):
    id: str
    type: Literal["JOB", "DATASET"]
    namespace: str
    name: str
    distance: int
    parent_id: str | None = None
    is_group: bool = False
    expanded: bool = False
    child_count: int = 0
    aliases: list[str] = []
    latest_run: LatestRunRef | None = None
    rows_written: int | None = None
    owners: list[str] = []
    tags: list[str] = []
    criticality: Criticality | None = None
    sla: SlaModel | None = None
    fields: list[FieldModel] = []


class GraphEdgeResponse(ApiModel):
    id: str
    source: str
    target: str
    source_field: str | None = None
    target_field: str | None = None
    transformation_type: str | None = None
    transformation_subtype: str | None = None
    annotations: list[AnnotationModel] = []


class GraphResponse(ApiModel):
    root_ids: list[str]
    level: Literal["job", "column"]
    nodes: list[GraphNodeResponse]
    edges: list[GraphEdgeResponse]
    truncated: bool


class GraphVersionResponse(ApiModel):
    version: str


class ImpactItem(ApiModel):
    id: str
    type: Literal["JOB", "DATASET"]
    namespace: str
    name: str
    distance: int
    owners: list[str]
    criticality: Criticality | None
    sla: SlaModel | None
    last_run_state: RunState | None
    last_run_at: datetime | None
    problems: list[Literal["FAILED", "LATE", "DQ_FAILED"]] = []


class ImpactSummary(ApiModel):
    total: int
    datasets: int
    jobs: int
    by_owner: dict[str, int]
    by_criticality: dict[str, int]
    sla_bound: int
    critical: int
    culprits: list[str] = []


class ImpactResponse(ApiModel):
    node_id: str
    direction: Literal["downstream", "upstream"]
    items: list[ImpactItem]
    truncated: bool = False  # `limit` left items out; the summary counts them all
    summary: ImpactSummary


class SearchItem(ApiModel):
    id: str
    type: Literal["JOB", "DATASET"]
    namespace: str
    name: str
    score: float


class SearchResponse(CollectionResponse[SearchItem]):
    pass


class NodeMetadataDetailResponse(ApiModel):
    node_id: str
    owners: list[str]
    criticality: Criticality | None
    sla: SlaModel | None
    tags: list[str]
    annotations: list[AnnotationModel]
    description: str | None
    anomaly: dict[str, Any] | None = None
    # Where each value comes from: "user" (edited here) or "facet" (sent by the emitter).
    sources: dict[str, str]
    updated_at: datetime | None
    updated_by: str | None


class NodeMetadataPatch(ApiModel):
    """Fields present replace the stored value; null clears it (the facet value applies again)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    owners: list[str] | None = None
    criticality: Criticality | None = None
    sla: SlaModel | None = None
    tags: list[str] | None = None
    annotations: list[AnnotationModel] | None = None
    # Anomaly detection for this node: {sensitivity, metrics, direction, minHistory}; null: the defaults.
    anomaly: dict[str, Any] | None = None


class EdgeMetadataResponse(ApiModel):
    source: str
    target: str
    annotations: list[AnnotationModel]
    updated_at: datetime | None
    updated_by: str | None


class EdgeMetadataPatch(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    annotations: list[AnnotationModel]


class AuditEntry(ApiModel):
    id: int
    target: str
    actor: str
    at: datetime
    before: dict[str, Any]
    after: dict[str, Any]


class AuditCollectionResponse(CollectionResponse[AuditEntry]):
    pass


ProcessStatus = Literal["PENDING", "RUNNING", "SUCCESS", "FAILED", "ABORTED", "SKIPPED"]
Health = Literal["GREEN", "YELLOW", "RED"]


class BatchSummaryResponse(ApiModel):
    batch_id: str
    job: JobRef
    job_id: str
    dag_id: str | None
    state: RunState | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float | None
    env: str
    total_processes: int
    succeeded: int
    failed: int
    aborted: int
    running: int
    pending: int
    skipped: int
    success_rate: float | None  # succeeded + skipped over finished; None while nothing finished
    health: Health


class BatchResponse(BatchSummaryResponse):
    rows_read: int
    rows_written: int
    dq_errors: int
    dq_error_rate: float | None
    dq_warnings: list[str]  # processes whose DQ error rate is above 1 %
    critical_failures: list[str]
    sla: SlaModel | None
    sla_status: Literal["MET", "MISSED", "PENDING"] | None
    refresh_after_seconds: int | None  # set while anything runs


class BatchCollectionResponse(CollectionResponse[BatchSummaryResponse]):
    pass


class AnomalyMark(ApiModel):
    """A stored anomaly as the Batch Health page marks it: `ratio` is the value over the baseline's median
    ("duration 3.4x usual"), None when the median is 0."""

    id: int
    run_id: str | None
    job_node_id: str
    metric: str
    value: float
    median: float | None
    ratio: float | None
    expected_low: float | None
    expected_high: float | None
    direction: Literal["HIGH", "LOW"]
    level: Literal["warn", "error"]
    event_time: datetime
    marked_normal_by: str | None = None
    marked_normal_at: datetime | None = None


class LearningState(ApiModel):
    """How much history the job's baseline has: below `min_history` completed runs there is no verdict."""

    runs: int  # completed runs of the job before this one, counted up to min_history
    min_history: int
    learning: bool


class ProcessResponse(ApiModel):
    run_id: str | None
    job_id: str
    name: str
    status: ProcessStatus
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float | None
    rows_read: int | None
    rows_written: int | None
    rows_updated: int | None
    rows_inserted: int | None
    dq_errors: int | None
    dq_error_rate: float | None
    dq_warning: bool
    read_throughput: float | None  # rows per second
    write_throughput: float | None
    tries: int
    error_message: str | None
    log_url: str | None
    critical: bool
    anomalies: list[AnomalyMark] = Field(default_factory=list)
    learning: LearningState | None = None


class ProcessCollectionResponse(CollectionResponse[ProcessResponse]):
    page: int
    page_size: int
    # Whether this caller may mark an anomaly normal (it changes what the detector learns): editors only.
    can_mark_normal: bool = False


class DqAssertionResponse(ApiModel):
    dataset: str
    column: str | None
    assertion: str
    success: bool
    severity: str | None
    process: str
    run_id: str


class DqResponse(ApiModel):
    items: list[DqAssertionResponse]
    total: int
    failed: int
    dq_errors: int
    dq_error_rate: float | None


class TrendPoint(ApiModel):
    date: str
    batches: int
    avg_duration_seconds: float | None
    success_rate: float | None
    rows_processed: int
    dq_error_rate: float | None


class TrendAnomaly(AnomalyMark):
    date: str  # the UTC day of the batch the run belongs to (the trend point it marks)
    process: str | None  # the task's name when the run is a task of the batch, None for the batch itself


class TrendResponse(ApiModel):
    job_id: str
    days: int
    points: list[TrendPoint]
    anomalies: list[TrendAnomaly] = Field(default_factory=list)


class LastWriteResponse(ApiModel):
    run_id: str
    job: str  # job node id
    state: RunState | None
    started_at: datetime | None
    ended_at: datetime | None
    rows_written: int | None


class DatasetStatusResponse(ApiModel):
    """What an upstream-health gate needs: who wrote it last, how it went, how fresh, how clean."""

    node_id: str
    last_write: LastWriteResponse | None
    age_seconds: float | None
    dq_errors: int | None
    dq_error_rate: float | None
    failed_assertions: int


# --- run analytics -------------------------------------------------------------------------------------

CostBasis = Literal["estimated", "billed", "mixed"]


class AnalyticsFigures(ApiModel):
    total: int
    succeeded: int
    failed: int
    aborted: int
    success_rate: float | None
    avg_duration_seconds: float | None
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None
    rows_read: int
    rows_written: int
    dq_errors: int
    cost: float
    cost_estimated: float
    cost_billed: float


class ExecutionPoint(AnalyticsFigures):
    bucket: datetime


class ExecutionSeries(ApiModel):
    key: str
    points: list[ExecutionPoint]


class ExecutionsResponse(ApiModel):
    granularity: str
    from_: datetime = Field(alias="from")
    to: datetime
    group_by: str | None
    level: str
    currency: str
    cost_basis: CostBasis
    series: list[ExecutionSeries]


class PeriodFigures(AnalyticsFigures):
    from_: datetime = Field(alias="from")
    to: datetime
    cost_basis: CostBasis


class ExecutionSummaryResponse(PeriodFigures):
    level: str
    currency: str
    previous: PeriodFigures


class ErrorCategoryResponse(ApiModel):
    fingerprint: str
    pattern: str
    exception_type: str | None
    example: str
    example_run_id: str
    count: int
    jobs: list[str]
    first_seen: datetime
    last_seen: datetime


class ErrorCategoryCollectionResponse(CollectionResponse[ErrorCategoryResponse]):
    pass


class StepTimingResponse(ApiModel):
    job_node_id: str
    task_id: str
    runs: int
    failure_rate: float | None
    avg_duration_seconds: float | None
    p50_duration_seconds: float | None
    p95_duration_seconds: float | None
    avg_wait_seconds: float | None
    share_of_dag_run_time: float | None
    critical_path_runs: int
    critical_path_share: float | None


class BottleneckResponse(ApiModel):
    job_node_id: str
    critical_path_runs: int
    critical_path_share: float | None


class StepTimingCollectionResponse(CollectionResponse[StepTimingResponse]):
    dag_id: str
    from_: datetime = Field(alias="from")
    to: datetime
    dag_runs: int
    critical_path_runs_counted: int
    bottlenecks: list[BottleneckResponse]


class DagVersionResponse(ApiModel):
    dag_version: str | None
    runs: int
    success_rate: float | None
    avg_duration_seconds: float | None
    p95_duration_seconds: float | None
    first_run_at: datetime
    last_run_at: datetime


class DagVersionCollectionResponse(CollectionResponse[DagVersionResponse]):
    dag_id: str


class CriticalPathStep(ApiModel):
    job_node_id: str
    run_id: str
    started_at: datetime
    ended_at: datetime
    wait_seconds: float
    run_seconds: float
    tries: int


class CriticalPathOther(ApiModel):
    job_node_id: str
    slack_seconds: float | None


class CriticalPathAttempt(ApiModel):
    run_id: str
    state: str | None
    started_at: datetime | None
    ended_at: datetime | None


class CriticalPathTask(ApiModel):
    """One task of the DAG run with its tries (for the Gantt): on the path or not, finished or not."""

    job_node_id: str
    task_id: str
    state: str | None
    wait_seconds: float | None
    attempts: list[CriticalPathAttempt]


class CriticalPathResponse(ApiModel):
    run_id: str
    total_seconds: float
    steps: list[CriticalPathStep]
    others: list[CriticalPathOther]
    dag_run_started_at: datetime | None
    dag_run_ended_at: datetime | None
    state: str | None
    tasks: list[CriticalPathTask]


class RankingItem(AnalyticsFigures):
    job_node_id: str
    value: float
    previous_p95_duration_seconds: float | None = None


class RankingCollectionResponse(CollectionResponse[RankingItem]):
    metric: str
    level: str
    from_: datetime = Field(alias="from")
    to: datetime


class CostDay(ApiModel):
    day: date
    cost: float
    cost_estimated: float
    cost_billed: float


class CostByDag(ApiModel):
    dag_id: str | None
    cost: float
    cost_estimated: float
    cost_billed: float


class CostProjection(ApiModel):
    basis: CostBasis
    next30_days: float = Field(alias="next30Days")
    daily_mean: float
    weekday_factors: list[float]


class BudgetUse(ApiModel):
    dag_id: str | None
    owner: str | None
    monthly_amount: float
    spent_this_month: float
    use: float
    projected_month_end: float
    projected_use: float
    days_in_month: int


class CostOverviewResponse(ApiModel):
    currency: str
    rate_card_configured: bool
    days: list[CostDay]
    by_dag: list[CostByDag]
    projection: CostProjection
    budgets: list[BudgetUse]


class RunCostResponse(ApiModel):
    amount: float
    estimated: float
    billed: float
    currency: str
    basis: CostBasis


RunResponse.model_rebuild()
