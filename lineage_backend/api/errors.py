"""The one place where domain errors become HTTP responses: `{"detail": "<what and how to fix>"}`."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from lineage_backend.api.deps import get_principal
from lineage_backend.db import is_contention, is_unavailable
from lineage_backend.errors import FlowlyticsError, NotAuthenticatedError

log = logging.getLogger(__name__)


def _route_across_lines(request: Request) -> Any:
    """The route a path would match if `{node_id:path}` took control characters too (Starlette's `.*` stops at
    a newline), so that such a path is refused as that route would refuse it rather than as an unknown path."""
    path, method = request.url.path, request.method
    for route in request.app.router.routes:
        regex = getattr(route, "path_regex", None)
        methods = getattr(route, "methods", None) or ()
        if regex is not None and method in methods and re.match(regex.pattern, path, re.DOTALL):
            return route
    return None


async def _auth_refusal(request: Request, route: Any = None) -> FlowlyticsError | None:
    """The 401/403 that the matched route's scope check would raise for this caller, if any."""
    route = route or request.scope.get("route")
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
        unmatched = error.status_code == 404 and "route" not in request.scope
        near = _route_across_lines(request) if unmatched else None
        refusal = await _auth_refusal(request, near)
        if refusal is not None:
            return await domain_error(request, refusal)
        detail = str(error.detail)
        where = f"{request.method} {request.url.path!r}" if near is not None else f"{request.method} {request.url.path}"
        if near is not None:
            detail = f"no such node or run: {where}; ids never contain control characters such as a newline or a tab"
        elif error.status_code == 404 and detail == "Not Found":
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

    async def database_down(_: Request, error: Exception) -> JSONResponse:
        # Every way a database can fail to answer (refused at connect, connection killed, SQLite locked
        # past its busy timeout, pool exhausted) is a retriable 503; anything else is a bug and stays a 500.
        if is_contention(error):
            log.warning("database busy: %s", error)
            detail = "the database is busy (a write lock is held too long); retry later (a retry never stores twice)"
            return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "2"})
        if not is_unavailable(error):
            raise error
        log.error("database unavailable: %s", error)
        return JSONResponse(
            {"detail": "the database is unavailable; retry later (a retry never stores an event twice)"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    app.add_exception_handler(DBAPIError, database_down)
    app.add_exception_handler(PoolTimeoutError, database_down)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, _: ClientDisconnect) -> Response:
        # Not a server error: the emitter hung up before its body was complete, so nothing was stored.
        log.info("client disconnected before sending the whole body of %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "the request body was cut off; nothing was stored"}, status_code=400)
