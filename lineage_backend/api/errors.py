"""The one place where domain errors become HTTP responses: `{"detail": "<what and how to fix>"}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lineage_backend.api.deps import get_principal
from lineage_backend.errors import FlowlyticsError, NotAuthenticatedError

log = logging.getLogger(__name__)


async def _auth_refusal(request: Request) -> FlowlyticsError | None:
    """The 401/403 that the matched route's scope check would raise for this caller, if any."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    for dependency in dependant.dependencies if dependant is not None else ():
        if getattr(dependency.call, "required_scope", None) is None:
            continue
        try:
            await dependency.call(principal=await get_principal(request))
        except FlowlyticsError as refusal:
            return refusal
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FlowlyticsError)
    async def domain_error(_: Request, error: FlowlyticsError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NotAuthenticatedError) else None
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        """Framework errors (no such path, wrong method, unreadable body) in the same clear form."""
        refusal = await _auth_refusal(request)
        if refusal is not None:
            return await domain_error(request, refusal)
        detail = str(error.detail)
        where = f"{request.method} {request.url.path}"
        if error.status_code == 404 and detail == "Not Found":
            detail = f"no such path: {where}; the paths are listed at /docs (URL-encode node ids in a path)"
        elif error.status_code == 405:
            allowed = (error.headers or {}).get("Allow", "")
            detail = f"{where} is not allowed; this path takes {allowed or 'other methods'}"
        elif error.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the body could not be read: send a JSON object with Content-Type: application/json"
        return JSONResponse({"detail": detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI reads a JSON body before it runs the route's auth dependency: answer who may call
        # first, so that a caller without the right key never learns how the request is checked.
        refusal = await _auth_refusal(request)
        if refusal is not None:
            return await domain_error(request, refusal)
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
            if item.get("type") == "json_invalid":
                reason = (item.get("ctx") or {}).get("error", "")
                problems.append(f"the body is not valid JSON ({reason} at character {where}); send a JSON object")
            else:
                problems.append(f"{where or 'body'}: {item.get('msg')}")
        return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, error: OperationalError) -> JSONResponse:
        log.error("database error: %s", error)
        return JSONResponse(
            {"detail": "the database is unavailable or busy; nothing was stored, retry later"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
