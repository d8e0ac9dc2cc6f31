"""Response models: camelCase on the wire, as OpenLineage and Marquez use."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

T = TypeVar("T")

RunState = Literal["RUNNING", "COMPLETED", "FAILED", "ABORTED"]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


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


class FailedEvent(ApiModel):
    index: int
    reason: str
    retriable: bool


class BatchSummary(ApiModel):
    received: int
    successful: int
    failed: int
    retriable: int
    non_retriable: int


class BatchIngestResponse(ApiModel):
    status: Literal["success", "partial_success", "failure"]
    summary: BatchSummary
    failed_events: list[FailedEvent]


class HealthResponse(ApiModel):
    status: Literal["ok", "unavailable"]
    database: str
    version: str
