"""FastAPI dependencies: the database, the caller, and scope checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from lineage_backend.auth import ADMIN, INGEST, READ, Authenticator, Principal
from lineage_backend.config import Settings
from lineage_backend.db import Database
from lineage_backend.errors import ForbiddenError, NotAuthenticatedError

# Async although they do not wait: FastAPI runs plain `def` dependencies in its thread pool, a hop per
# dependency per request.


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_principal(request: Request) -> Principal | None:
    authenticators: list[Authenticator] = request.app.state.authenticators
    for authenticator in authenticators:
        principal = await authenticator.authenticate(request)
        if principal is not None:
            return principal
    return None


_HOW = {
    INGEST: "send 'Authorization: Bearer <ingest key>' (keys from FLOWLYTICS_INGEST_API_KEYS or "
    "[flowlytics] ingest_api_keys)",
    READ: "log in to Airflow or send 'Authorization: Bearer <read key>' (FLOWLYTICS_READ_API_KEYS or "
    "[flowlytics] read_api_keys)",
    ADMIN: "send 'Authorization: Bearer <admin key>' (FLOWLYTICS_ADMIN_API_KEYS or [flowlytics] admin_api_keys)",
}


_VERB = {INGEST: "post events", READ: "read", ADMIN: "edit metadata"}


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(principal: Annotated[Principal | None, Depends(get_principal)]) -> Principal:
        if principal is None:
            raise NotAuthenticatedError(f"Not authenticated: {_HOW[scope]}")
        if scope not in principal.scopes:
            raise ForbiddenError(f"These credentials may not {_VERB[scope]}: {_HOW[scope]}")
        return principal

    dependency.required_scope = scope  # type: ignore[attr-defined]  # lets tests list each route's scope
    return dependency


# Offsets past this are refused (422) rather than sent to the database, which overflows at 2^63.
MAX_OFFSET = 1_000_000_000
# Ids of Flowlytics' own rows (channels, rules, incidents, drafts, ...): what a 64-bit column can hold.
MAX_ROW_ID = 2**63 - 1

DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
IngestPrincipal = Annotated[Principal, Depends(require(INGEST))]
ReadPrincipal = Annotated[Principal, Depends(require(READ))]
AdminPrincipal = Annotated[Principal, Depends(require(ADMIN))]


def rollups_current(request: Request, _principal: ReadPrincipal) -> None:
    """The read barrier of the run analytics: runs that ingestion marked are recounted into the rollups before
    the read (after the caller is authenticated). A plain `def`: it may write, FastAPI runs it in a thread."""
    request.app.state.rollups.catch_up()
