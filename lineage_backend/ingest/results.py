"""What a batch post answers: per-event outcomes as in the OpenLineage OpenAPI spec (returned by the API)."""

from __future__ import annotations

from typing import Literal

from lineage_backend.camel import ApiModel


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
    # Set when nothing was stored (the answer is then a 422): what was wrong, as every error says it.
    detail: str | None = None
