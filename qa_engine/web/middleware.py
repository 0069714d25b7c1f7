"""Plain ASGI middleware: a limit on request bodies (Starlette limits only non-file form parts) and
the security headers of every response, with `Cache-Control: no-store` on everything but the public
static files (pages, API answers and downloads may carry what only the signed-in user may see)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa_engine.domain.errors import FileTooLarge
from qa_engine.domain.limits import too_large as too_large_error

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action "
    "'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", CSP.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def too_large(size: int | None, file_limit: int) -> FileTooLarge:
    """The refusal of a body over the limit: "This file is 30.2 MB; the limit is 20 MB.", written
    in the reader's language where it is shown (web.errors)."""
    return too_large_error(size, file_limit)


class BodyLimit:
    """Refuse bodies above `limit` bytes: at once from Content-Length, else while streaming. The
    message speaks of the file (`file_limit`, the upload limit the body limit allows for)."""

    def __init__(self, app: ASGIApp, limit: int, file_limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.file_limit = limit if file_limit is None else file_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.limit or declared < 0:
                    await self._refuse(scope, receive, send, declared if declared > 0 else None)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise too_large(None, self.file_limit)
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: int | None) -> None:
        # rendered like every other error: JSON for the API, the upload form for the browser
        from qa_engine.web.errors import qa_error

        response = await qa_error(Request(scope, receive), too_large(size, self.file_limit))
        await response(scope, receive, send)


NO_STORE = (b"cache-control", b"no-store")
PUBLIC_PREFIX = "/static/"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        cacheable = str(scope.get("path", "")).startswith(PUBLIC_PREFIX)
        extra = SECURITY_HEADERS if cacheable else [*SECURITY_HEADERS, NO_STORE]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
