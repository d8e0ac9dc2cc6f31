"""Workflow drafts: the catalog a draft may use, the draft itself, and drafts saved per user."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineage_backend.api.workflow_schemas import (
    DraftResponse,
    IssueResponse,
    RewriteResponse,
    SavedDraftPatch,
    SavedDraftRequest,
    SavedDraftResponse,
    SavedDraftSummaryResponse,
    TestEventResponse,
)
from lineage_backend.auth import Principal
from lineage_backend.errors import ConfigurationError, NotFoundError
from lineage_backend.services.nodes import dataset_node_id
from lineage_backend.store.models import Dataset, WorkflowDraft
from lineage_backend.workflows.catalog import Catalog, CatalogEvent, CatalogOperation
from lineage_backend.workflows.draft import Draft, make_draft

# Events from Airflow assets come through a hook the host (the Airflow plugin) supplies.
AssetSource = Callable[[], Sequence[CatalogEvent]]
MAX_CATALOG_DATASETS = 5000


def seen_datasets(*, session: Session, limit: int = MAX_CATALOG_DATASETS) -> list[CatalogEvent]:
    rows = session.execute(select(Dataset.namespace, Dataset.name).order_by(Dataset.id).limit(limit)).all()
    events = []
    for namespace, name in rows:
        node_id = dataset_node_id(namespace, name)
        events.append(CatalogEvent(id=node_id, kind="dataset", name=name, namespace=namespace, dataset_id=node_id))
    return events


def build_catalog(*, session: Session, operations: Sequence[CatalogOperation], assets: AssetSource | None) -> Catalog:
    events = list(assets() if assets is not None else [])
    events.extend(seen_datasets(session=session))
    return Catalog(events, operations)


def draft_response(draft: Draft) -> DraftResponse:
    return DraftResponse(
        model=draft.workflow.model_dump(mode="json", by_alias=True) if draft.workflow else None,
        paraphrase=draft.paraphrase,
        mermaid=draft.mermaid,
        issues=[IssueResponse.model_validate(issue.model_dump()) for issue in draft.issues],
        dag_code=draft.dag_code,
        test_events=[TestEventResponse.model_validate(event.model_dump()) for event in draft.test_events],
    )


def rewrite_text(text: str, catalog: Catalog, model: Any) -> RewriteResponse:
    from lineage_backend.workflows.engine import EngineUnavailableError, rewrite

    try:
        outcome = rewrite(text, catalog, model)
    except EngineUnavailableError as error:
        raise ConfigurationError(str(error)) from None
    return RewriteResponse(
        accepted=outcome.accepted,
        controlled_text=outcome.controlled_text,
        questions=outcome.questions,
        attempts=outcome.attempts,
        issues=[IssueResponse.model_validate(issue.model_dump()) for issue in outcome.issues],
        draft=draft_response(outcome.draft) if outcome.draft else None,
    )


def draft_text(text: str, catalog: Catalog, *, dag_id: str | None = None) -> DraftResponse:
    return draft_response(make_draft(text, catalog, dag_id=dag_id))


def _owned(draft_id: int, *, session: Session, principal: Principal) -> WorkflowDraft:
    row = session.get(WorkflowDraft, draft_id)
    # Another user's draft is "not found": its existence is not theirs to know.
    if row is None or row.owner != principal.name:
        raise NotFoundError(f"no saved workflow draft {draft_id} of yours; GET /api/v1/workflows/saved lists them")
    return row


def _summary(row: WorkflowDraft) -> SavedDraftSummaryResponse:
    return SavedDraftSummaryResponse(id=row.id, name=row.name, created_at=row.created_at, updated_at=row.updated_at)


def _full(row: WorkflowDraft, catalog: Catalog) -> SavedDraftResponse:
    return SavedDraftResponse(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        text=row.text,
        draft=draft_text(row.text, catalog),
    )


def list_saved(
    *, session: Session, principal: Principal, limit: int, offset: int
) -> tuple[list[SavedDraftSummaryResponse], int]:
    mine = select(WorkflowDraft).where(WorkflowDraft.owner == principal.name)
    total = session.execute(select(func.count()).select_from(mine.subquery())).scalar_one()
    rows = session.scalars(
        mine.order_by(WorkflowDraft.updated_at.desc(), WorkflowDraft.id.desc()).limit(limit).offset(offset)
    )
    return [_summary(row) for row in rows], int(total)


def save(body: SavedDraftRequest, catalog: Catalog, *, session: Session, principal: Principal) -> SavedDraftResponse:
    now = datetime.now(timezone.utc)
    row = WorkflowDraft(owner=principal.name, name=body.name.strip(), text=body.text, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _full(row, catalog)


def open_saved(draft_id: int, catalog: Catalog, *, session: Session, principal: Principal) -> SavedDraftResponse:
    return _full(_owned(draft_id, session=session, principal=principal), catalog)


def update(
    draft_id: int, patch: SavedDraftPatch, catalog: Catalog, *, session: Session, principal: Principal
) -> SavedDraftResponse:
    row = _owned(draft_id, session=session, principal=principal)
    if patch.name is not None:
        row.name = patch.name.strip()
    if patch.text is not None:
        row.text = patch.text
    row.updated_at = datetime.now(timezone.utc)
    session.flush()
    return _full(row, catalog)


def delete(draft_id: int, *, session: Session, principal: Principal) -> None:
    session.delete(_owned(draft_id, session=session, principal=principal))
