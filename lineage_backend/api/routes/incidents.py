"""Incidents: list, one, acknowledge/resolve/note, timeline, postmortem export. Read access may acknowledge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from lineage_backend.api.alert_schemas import (
    IncidentCollectionResponse,
    IncidentPatch,
    IncidentResponse,
    TimelineResponse,
)
from lineage_backend.api.deps import MAX_ROW_ID, DatabaseDep, ReadPrincipal
from lineage_backend.services import alerts

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
IncidentId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


@router.get("", response_model=IncidentCollectionResponse, summary="Incidents, newest first")
def incidents(
    principal: ReadPrincipal,
    database: DatabaseDep,
    state: Annotated[str | None, Query(description="OPEN, ACKNOWLEDGED, RESOLVED (comma-separated)")] = None,
    rule_id: Annotated[int | None, Query(alias="ruleId")] = None,
    node_id: Annotated[str | None, Query(alias="nodeId", description="the incident's subject")] = None,
    since: Annotated[datetime | None, Query(description="last seen at or after")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> IncidentCollectionResponse:
    items, total = database.read(
        lambda session: alerts.list_incidents(
            session=session,
            principal=principal,
            state=state,
            rule_id=rule_id,
            node_id=node_id,
            since=since,
            limit=limit,
            offset=offset,
        )
    )
    return IncidentCollectionResponse(items=items, total_count=total)


@router.get("/{incident_id}", response_model=IncidentResponse, summary="One incident with its runs and impact")
def incident(principal: ReadPrincipal, database: DatabaseDep, incident_id: IncidentId) -> IncidentResponse:
    return database.read(lambda session: alerts.get_incident(incident_id, session=session, principal=principal))


@router.patch("/{incident_id}", response_model=IncidentResponse, summary="Acknowledge, resolve, add a note")
def patch_incident(
    principal: ReadPrincipal, database: DatabaseDep, incident_id: IncidentId, body: IncidentPatch
) -> IncidentResponse:
    return database.run(lambda session: alerts.patch_incident(incident_id, body, session=session, principal=principal))


@router.get("/{incident_id}/timeline", response_model=TimelineResponse, summary="Everything that happened")
def incident_timeline(principal: ReadPrincipal, database: DatabaseDep, incident_id: IncidentId) -> TimelineResponse:
    items = database.read(lambda session: alerts.incident_timeline(incident_id, session=session, principal=principal))
    return TimelineResponse(incident_id=incident_id, items=items, total_count=len(items))


@router.get("/{incident_id}/export", summary="A postmortem document (Markdown or JSON)")
def export_incident(
    principal: ReadPrincipal,
    database: DatabaseDep,
    incident_id: IncidentId,
    format: Annotated[Literal["markdown", "json"], Query()] = "markdown",
) -> Response:
    body, media_type = database.read(
        lambda session: alerts.export_incident(incident_id, format, session=session, principal=principal)
    )
    extension = "md" if format == "markdown" else "json"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="incident-{incident_id}.{extension}"'},
    )
