"""Request and response models of the workflow-draft routes (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from lineage_backend.api.schemas import ApiModel, CollectionResponse
from lineage_backend.workflows.parse import MAX_TEXT_CHARS

MAX_NAME_CHARS = 200


class DraftRequest(ApiModel):
    text: str = Field(max_length=MAX_TEXT_CHARS, description="the workflow in Flowlytics' controlled English")
    dag_id: str | None = Field(default=None, max_length=250, pattern=r"^[A-Za-z0-9_.\-]+$")


class IssueResponse(ApiModel):
    severity: Literal["error", "warning", "info"]
    code: str
    message: str
    line: int | None = None
    column: int | None = None
    node: str | None = None


class TestEventResponse(ApiModel):
    name: str
    event: dict[str, Any]
    expected_tasks: list[str]
    skipped_tasks: list[str]
    choices: list[str]


class DraftResponse(ApiModel):
    model: dict[str, Any] | None
    paraphrase: str
    mermaid: str
    issues: list[IssueResponse]
    dag_code: str | None
    test_events: list[TestEventResponse]


class CatalogEventResponse(ApiModel):
    id: str
    kind: Literal["asset", "dataset"]
    name: str
    uri: str | None = None
    namespace: str | None = None
    dataset_id: str | None = None


class CatalogOperationResponse(ApiModel):
    id: str
    name: str
    aliases: list[str]
    description: str
    kind: Literal["callable", "operator"]
    target: str
    dataset: Literal["required", "optional", "none"]
    dataset_namespaces: list[str]
    builtin: bool


class WorkflowCatalogResponse(ApiModel):
    events: list[CatalogEventResponse]
    operations: list[CatalogOperationResponse]


class SavedDraftRequest(ApiModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    text: str = Field(max_length=MAX_TEXT_CHARS)


class SavedDraftPatch(ApiModel):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_CHARS)
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)


class SavedDraftSummaryResponse(ApiModel):
    id: int
    name: str
    created_at: datetime
    updated_at: datetime


class SavedDraftResponse(SavedDraftSummaryResponse):
    text: str
    draft: DraftResponse


class SavedDraftCollectionResponse(CollectionResponse[SavedDraftSummaryResponse]):
    pass


class RewriteRequest(ApiModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="free English, rewritten by the model")


class RewriteResponse(ApiModel):
    accepted: bool  # False: the model's answer could not be read as controlled English (see issues)
    controlled_text: str  # to show to the person, who edits it or posts it to /drafts
    questions: list[str]
    attempts: int
    issues: list[IssueResponse]
    draft: DraftResponse | None
