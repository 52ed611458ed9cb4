"""HTTP hygiene for every response: security headers, and HEAD answered wherever GET is.

- Every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and HSTS when the app is
  served over HTTPS (`cookie_secure`).
- HTML pages: a Content-Security-Policy with no inline script (`script-src 'self'`; inline styles stay allowed
  for the widget's Shadow DOM stylesheet and a few computed widths). Staff pages may not be framed by anyone
  (`frame-ancestors 'none'`, `X-Frame-Options: DENY`); public pages only by this site.
- HEAD: FastAPI routes only answer the methods they declare, so HEAD is run as GET and the body dropped; the
  status and headers (Content-Length included) are the GET's.
"""
from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frames}")
HSTS = "max-age=31536000; includeSubDomains"


def is_staff_path(path: str) -> bool:
    """Pages for the clinic's staff, which must never be framed."""
    return path == "/staff" or path.startswith("/staff/")


def content_security_policy(path: str) -> str:
    """The CSP of an HTML page at `path`."""
    return _POLICY.format(frames="'none'" if is_staff_path(path) else "'self'")


class SecurityHeaders:
    """Adds the security headers to every response."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("referrer-policy", "same-origin")
                if self.https:
                    headers.setdefault("strict-transport-security", HSTS)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("content-security-policy", content_security_policy(path))
                    if is_staff_path(path):
                        headers.setdefault("x-frame-options", "DENY")
            await send(message)

        await self.app(scope, receive, wrapped)


class HeadAsGet:
    """Answers HEAD with the GET's status and headers and no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get: dict[str, Any] = {**scope, "method": "GET"}

        async def bodiless(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(as_get, receive, bodiless)
