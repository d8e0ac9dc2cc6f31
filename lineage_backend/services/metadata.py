"""People-maintained metadata (owners, criticality, SLA, tags, annotations) over what facets say."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lineage_backend.anomaly.detector import validate_overrides
from lineage_backend.api.schemas import (
    AnnotationModel,
    AuditCollectionResponse,
    AuditEntry,
    EdgeMetadataPatch,
    EdgeMetadataResponse,
    NodeMetadataDetailResponse,
    NodeMetadataPatch,
    SlaModel,
)
from lineage_backend.auth import Principal
from lineage_backend.errors import InvalidParameterError
from lineage_backend.graph.metadata_view import CRITICALITIES as CRITICALITIES
from lineage_backend.graph.metadata_view import FIELDS as FIELDS
from lineage_backend.graph.metadata_view import effective as effective
from lineage_backend.graph.metadata_view import facet_metadata as facet_metadata
from lineage_backend.graph.sla import parse_arrival
from lineage_backend.services.nodes import resolve_node
from lineage_backend.store.models import EdgeMetadata, MetadataAudit, NodeMetadata
from lineage_backend.store.sql import insert_for


def stored_metadata(node_ids: list[str], *, session: Session) -> dict[str, NodeMetadata]:
    found: dict[str, NodeMetadata] = {}
    for start in range(0, len(node_ids), 500):
        chunk = node_ids[start : start + 500]
        for row in session.execute(select(NodeMetadata).where(NodeMetadata.node_id.in_(chunk))).scalars():
            found[row.node_id] = row
    return found


def get_node_metadata(node_id: str, *, session: Session, principal: Principal) -> NodeMetadataDetailResponse:
    node = resolve_node(node_id, session=session, principal=principal)
    stored = stored_metadata([node.id], session=session).get(node.id)
    return _detail(node.id, node.facets, stored)


def patch_node_metadata(
    node_id: str, patch: NodeMetadataPatch, *, session: Session, principal: Principal
) -> NodeMetadataDetailResponse:
    node = resolve_node(node_id, session=session, principal=principal)
    changes = _validated_changes(patch, principal)
    if not changes:
        raise InvalidParameterError(f"nothing to change: send one or more of {', '.join(FIELDS)}")
    now = datetime.now(timezone.utc)
    session.execute(
        insert_for(session, NodeMetadata.__table__)
        .values(node_id=node.id, annotations=[], updated_at=now, updated_by=principal.name)
        .on_conflict_do_nothing(index_elements=["node_id"])
    )
    stored = session.execute(select(NodeMetadata).where(NodeMetadata.node_id == node.id).with_for_update()).scalar_one()
    before = {key: getattr(stored, key) for key in FIELDS}
    for key, value in changes.items():
        setattr(stored, key, value)
    stored.updated_at, stored.updated_by = now, principal.name
    after = {key: getattr(stored, key) for key in FIELDS}
    session.add(MetadataAudit(target=node.id, actor=principal.name, at=now, before=before, after=after))
    session.flush()
    return _detail(node.id, node.facets, stored)


def _validated_changes(patch: NodeMetadataPatch, principal: Principal) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in patch.model_fields_set:
        value = getattr(patch, key)
        if key in ("owners", "tags") and value is not None:
            cleaned = [item.strip() for item in value]
            if any(not item or len(item) > 200 for item in cleaned):
                raise InvalidParameterError(f"{key}: every entry must be 1-200 characters")
            value = list(dict.fromkeys(cleaned))
        elif key == "sla" and value is not None:
            value = _validated_sla(value)
        elif key == "annotations" and value is not None:
            value = _stamped(value, principal)
        elif key == "anomaly" and value is not None:
            try:
                value = validate_overrides(value)
            except ValueError as error:
                raise InvalidParameterError(str(error)) from None
        changes[key] = value
    return changes


def _validated_sla(sla: SlaModel) -> dict[str, Any] | None:
    if sla.latest_arrival is None and sla.max_age_minutes is None:
        return None
    if sla.latest_arrival is not None:
        try:
            parse_arrival(sla.latest_arrival)
        except ValueError as error:
            raise InvalidParameterError(f"sla.{error}") from None
    if sla.max_age_minutes is not None and not 1 <= sla.max_age_minutes <= 525_600:
        raise InvalidParameterError("sla.maxAgeMinutes must be between 1 and 525600 (a year)")
    return {"latestArrival": sla.latest_arrival, "maxAgeMinutes": sla.max_age_minutes}


def _stamped(annotations: list[AnnotationModel], principal: Principal) -> list[dict[str, Any]]:
    now = datetime.now(timezone.utc)
    result = []
    for note in annotations:
        text = note.text.strip()
        if not text or len(text) > 4000:
            raise InvalidParameterError("annotations: each text must be 1-4000 characters")
        result.append(
            {
                "text": text,
                "author": note.author or principal.name,
                "createdAt": (note.created_at or now).isoformat(),
            }
        )
    return result


def _detail(node_id: str, facets: dict[str, Any], stored: NodeMetadata | None) -> NodeMetadataDetailResponse:
    values = effective(facets, stored)
    return NodeMetadataDetailResponse(
        node_id=node_id,
        owners=values["owners"],
        criticality=values["criticality"],
        sla=SlaModel(**values["sla"]) if values["sla"] else None,
        tags=values["tags"],
        annotations=[AnnotationModel(**note) for note in values["annotations"]],
        description=values["description"],
        anomaly=values["anomaly"],
        sources=values["sources"],
        updated_at=stored.updated_at if stored else None,
        updated_by=stored.updated_by if stored else None,
    )


def metadata_history(
    target: str, *, session: Session, principal: Principal, limit: int, offset: int
) -> AuditCollectionResponse:
    if not target.startswith("edge:"):
        target = resolve_node(target, session=session, principal=principal).id
    query = select(MetadataAudit).where(MetadataAudit.target == target)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(MetadataAudit.id.desc()).limit(limit).offset(offset)).scalars()
    return AuditCollectionResponse(
        items=[
            AuditEntry(id=r.id, target=r.target, actor=r.actor, at=r.at, before=r.before, after=r.after) for r in rows
        ],
        total_count=int(total),
    )


def edge_target(source: str, target: str) -> str:
    return f"edge:{source}->{target}"


def get_edge_metadata(source: str, target: str, *, session: Session, principal: Principal) -> EdgeMetadataResponse:
    resolve_node(source, session=session, principal=principal)
    resolve_node(target, session=session, principal=principal)
    stored = session.execute(
        select(EdgeMetadata).where(EdgeMetadata.source_id == source, EdgeMetadata.target_id == target)
    ).scalar_one_or_none()
    return _edge_detail(source, target, stored)


def patch_edge_metadata(
    source: str, target: str, patch: EdgeMetadataPatch, *, session: Session, principal: Principal
) -> EdgeMetadataResponse:
    a = resolve_node(source, session=session, principal=principal)
    b = resolve_node(target, session=session, principal=principal)
    now = datetime.now(timezone.utc)
    session.execute(
        insert_for(session, EdgeMetadata.__table__)
        .values(source_id=a.id, target_id=b.id, annotations=[], updated_at=now, updated_by=principal.name)
        .on_conflict_do_nothing(index_elements=["source_id", "target_id"])
    )
    stored = session.execute(
        select(EdgeMetadata).where(EdgeMetadata.source_id == a.id, EdgeMetadata.target_id == b.id).with_for_update()
    ).scalar_one()
    before = {"annotations": stored.annotations}
    stored.annotations = _stamped(patch.annotations, principal)
    stored.updated_at, stored.updated_by = now, principal.name
    session.add(
        MetadataAudit(
            target=edge_target(a.id, b.id),
            actor=principal.name,
            at=now,
            before=before,
            after={"annotations": stored.annotations},
        )
    )
    session.flush()
    return _edge_detail(a.id, b.id, stored)


def _edge_detail(source: str, target: str, stored: EdgeMetadata | None) -> EdgeMetadataResponse:
    return EdgeMetadataResponse(
        source=source,
        target=target,
        annotations=[AnnotationModel(**note) for note in (stored.annotations if stored else [])],
        updated_at=stored.updated_at if stored else None,
        updated_by=stored.updated_by if stored else None,
    )
