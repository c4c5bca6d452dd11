"""ASGI middleware: security headers on every response, a JSON 500 for any unexpected exception, a cap
on request body size, and who is asking (for the fair share of app/admission.py)."""

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.admission import client_address
from app.errors import error_response
from app.limits import MAX_BODY_BYTES

logger = logging.getLogger(__name__)

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class InternalErrors:
    """Answer an unexpected exception with a 500 in the one error shape, and log its traceback.

    Starlette's own handler for these sits outside every user middleware, so its plain-text 500
    would leave without the security headers; this sits inside SecurityHeaders. An exception from
    a sandbox worker carries the worker's traceback as a note, which the log shows too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception:
            logger.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # too late for another answer: the server closes the connection
            response = error_response(500, "internal", "the server failed unexpectedly; the error has been logged")
            await response(scope, receive, send)


class BodyLimit:
    """Refuse bodies over MAX_BODY_BYTES, by Content-Length up front or by counting a streamed body.

    A streamed (chunked) body is counted as the app reads it; past the cap, reading raises, and
    whatever the app makes of that (FastAPI answers 400, "error parsing the body") is replaced by
    the 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await self.too_large(scope, receive, send)
        seen = 0
        over = started = False

        async def counting_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    raise BodyTooLarge
            return message

        async def send_unless_over(message: Message) -> None:
            nonlocal started
            if over:
                return  # the app's answer to a body it could not read: the 413 goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, send_unless_over)
        except BodyTooLarge:
            pass
        if over and not started:
            await self.too_large(scope, receive, send)

    async def too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "limit", f"request body is larger than {self.max_bytes // 1024} KiB")
        await response(scope, receive, send)


class BodyTooLarge(Exception):
    pass


class ClientAddress:
    """Remember the client's address while its request is answered, for the caps of app/admission.py.

    It is the connection's address, or the one a trusted proxy forwarded: uvicorn rewrites the scope's
    client from X-Forwarded-For only for connections from `--forwarded-allow-ips` (127.0.0.1 by default).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        client = scope.get("client")
        token = client_address.set(client[0] if client else "unknown")
        try:
            await self.app(scope, receive, send)
        finally:
            client_address.reset(token)
