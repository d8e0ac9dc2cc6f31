"""Alert channels (webhook, Slack, email, apprise) and the owner routing map. Secrets are write-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from lineage_backend.api.alert_schemas import (
    ChannelCollectionResponse,
    ChannelCreate,
    ChannelPatch,
    ChannelResponse,
    ChannelTestResponse,
    OwnerRoutes,
)
from lineage_backend.api.deps import MAX_ROW_ID, AdminPrincipal, DatabaseDep, ReadPrincipal
from lineage_backend.services import alerts

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
ChannelId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


@router.get("/channels", response_model=ChannelCollectionResponse, summary="Alert channels (secrets never shown)")
def channels(_: ReadPrincipal, database: DatabaseDep) -> ChannelCollectionResponse:
    items = database.read(lambda session: alerts.list_channels(session=session))
    return ChannelCollectionResponse(items=items, total_count=len(items))


@router.post("/channels", status_code=201, response_model=ChannelResponse, summary="Create a channel")
def create_channel(principal: AdminPrincipal, database: DatabaseDep, body: ChannelCreate) -> ChannelResponse:
    return database.run(lambda session: alerts.create_channel(body, session=session, principal=principal))


@router.patch("/channels/{channel_id}", response_model=ChannelResponse, summary="Change a channel")
def patch_channel(
    principal: AdminPrincipal, database: DatabaseDep, channel_id: ChannelId, body: ChannelPatch
) -> ChannelResponse:
    return database.run(lambda session: alerts.patch_channel(channel_id, body, session=session, principal=principal))


@router.delete("/channels/{channel_id}", status_code=204, response_class=Response, summary="Delete a channel")
def delete_channel(_: AdminPrincipal, database: DatabaseDep, channel_id: ChannelId) -> Response:
    database.run(lambda session: alerts.delete_channel(channel_id, session=session))
    return Response(status_code=204)


@router.post("/channels/{channel_id}/test", response_model=ChannelTestResponse, summary="Send a test message now")
async def test_channel(
    request: Request, _: AdminPrincipal, database: DatabaseDep, channel_id: ChannelId
) -> ChannelTestResponse:
    target = await run_in_threadpool(database.read, lambda session: alerts.channel_target(channel_id, session=session))
    return await run_in_threadpool(alerts.send_test, target, smtp_url=request.app.state.settings.smtp_url)


@router.get("/owner-routes", response_model=OwnerRoutes, summary="Which channel each owner is told through")
def owner_routes(_: ReadPrincipal, database: DatabaseDep) -> OwnerRoutes:
    return database.read(lambda session: alerts.get_owner_routes(session=session))


@router.put("/owner-routes", response_model=OwnerRoutes, summary="Replace the owner routing map")
def put_owner_routes(_: AdminPrincipal, database: DatabaseDep, body: OwnerRoutes) -> OwnerRoutes:
    return database.run(lambda session: alerts.put_owner_routes(body, session=session))
