"""Alert rules (condition, scope, channels) and silences (snooze or mute a rule or a subject)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from lineage_backend.api.alert_schemas import (
    AlertAccessResponse,
    RuleCollectionResponse,
    RuleCreate,
    RulePatch,
    RuleResponse,
    SilenceCollectionResponse,
    SilenceCreate,
    SilenceResponse,
)
from lineage_backend.api.deps import MAX_ROW_ID, AdminPrincipal, DatabaseDep, ReadPrincipal
from lineage_backend.auth import ADMIN, READ
from lineage_backend.services import alerts

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
RuleId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
SilenceId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


@router.get("/access", response_model=AlertAccessResponse, summary="What the caller may change on the Alerts page")
def access(principal: ReadPrincipal) -> AlertAccessResponse:
    return AlertAccessResponse(
        user=principal.name, can_edit=ADMIN in principal.scopes, can_silence=READ in principal.scopes
    )


@router.get("/rules", response_model=RuleCollectionResponse, summary="Alert rules")
def rules(_: ReadPrincipal, database: DatabaseDep) -> RuleCollectionResponse:
    items = database.read(lambda session: alerts.list_rules(session=session))
    return RuleCollectionResponse(items=items, total_count=len(items))


@router.post("/rules", status_code=201, response_model=RuleResponse, summary="Create a rule")
def create_rule(principal: AdminPrincipal, database: DatabaseDep, body: RuleCreate) -> RuleResponse:
    return database.run(lambda session: alerts.create_rule(body, session=session, principal=principal))


@router.patch("/rules/{rule_id}", response_model=RuleResponse, summary="Change a rule")
def patch_rule(principal: AdminPrincipal, database: DatabaseDep, rule_id: RuleId, body: RulePatch) -> RuleResponse:
    return database.run(lambda session: alerts.patch_rule(rule_id, body, session=session, principal=principal))


@router.delete("/rules/{rule_id}", status_code=204, response_class=Response, summary="Delete a rule and its incidents")
def delete_rule(_: AdminPrincipal, database: DatabaseDep, rule_id: RuleId) -> Response:
    database.run(lambda session: alerts.delete_rule(rule_id, session=session))
    return Response(status_code=204)


@router.get("/silences", response_model=SilenceCollectionResponse, summary="Snoozes and mutes")
def silences(_: ReadPrincipal, database: DatabaseDep) -> SilenceCollectionResponse:
    items = database.read(lambda session: alerts.list_silences(session=session))
    return SilenceCollectionResponse(items=items, total_count=len(items))


@router.post(
    "/silences", status_code=201, response_model=SilenceResponse, summary="Snooze (until) or mute a rule/subject"
)
def create_silence(principal: ReadPrincipal, database: DatabaseDep, body: SilenceCreate) -> SilenceResponse:
    return database.run(lambda session: alerts.create_silence(body, session=session, principal=principal))


@router.delete("/silences/{silence_id}", status_code=204, response_class=Response, summary="End a silence")
def delete_silence(_: ReadPrincipal, database: DatabaseDep, silence_id: SilenceId) -> Response:
    database.run(lambda session: alerts.delete_silence(silence_id, session=session))
    return Response(status_code=204)
