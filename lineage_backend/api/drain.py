"""Read what is left of a request body before answering, so that the client can read the answer.

An answer sent before the body was read (401 from the key check, 413 past `max_body_bytes`, 422) makes the
server close with unread bytes when the client asked for `Connection: close` (urllib does), and the kernel
then resets the connection: the client, still sending, sees "connection reset by peer" or "broken pipe"
instead of the answer. So before the response starts, the rest of the body is read and dropped, bounded
in bytes and time (beyond that the answer goes out anyway)."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_MAX_BYTES = 128 * 1024 * 1024
DRAIN_MAX_SECONDS = 30.0
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class DrainUnreadBody:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        # A client that sent `Expect: 100-continue` waits for the answer before it sends the body.
        expects_continue = headers.get(b"expect", b"").lower() == b"100-continue"
        # Past the cap it is cheaper to let the client be cut off than to read all of it.
        too_long_to_read = declared.isdigit() and int(declared) > DRAIN_MAX_BYTES
        state = {"received": False, "done": False}

        async def tracking_receive() -> Message:
            message = await receive()
            state["received"] = True
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                state["done"] = True
            return message

        async def draining_send(message: Message) -> None:
            unread = not state["done"] and not too_long_to_read and (state["received"] or not expects_continue)
            if message["type"] == "http.response.start" and unread:
                await drain()
            await send(message)

        async def drain() -> None:
            read = 0
            with anyio.move_on_after(DRAIN_MAX_SECONDS):
                while not state["done"] and read <= DRAIN_MAX_BYTES:
                    read += len((await tracking_receive()).get("body", b""))

        await self.app(scope, tracking_receive, draining_send)
