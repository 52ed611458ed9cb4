"""One JSON line per request, with a request id, and the request metrics (service/metrics.py).

The line holds the method, the route template and the path without its query string (a query may hold a
patient's question), the status, the duration, the response's bytes and the request id; never a body,
a query or a header. The id is the caller's `X-Request-ID` when it is a short token, else a new one, and
is sent back in the `X-Request-ID` response header.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.metrics import Metrics, route_template

log = logging.getLogger("clinicbot.access")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEADER = b"x-request-id"


def request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is a safe token (letters, digits, `._-`, at most 64), else a new one."""
    for name, value in scope.get("headers") or []:
        if name == HEADER:
            text = bytes(value).decode("latin-1")
            if REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class AccessLog:
    """Pure ASGI middleware: a request id, one access log line and the request metrics per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = dict(scope)  # as it came in: routing changes the scope
        rid, method, path = request_id(scope), scope["method"], scope["path"]
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status, size = 500, 0  # an exception that escapes the app becomes a 500

        async def send_with_id(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, rid.encode())]}
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope, request)
            metrics: Metrics | None = getattr(scope["app"].state, "metrics", None) if "app" in scope else None
            if metrics is not None:
                metrics.observe(route, method, status, seconds)
            log.info(json.dumps({
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"), "request_id": rid,
                "method": method, "route": route, "path": path, "status": status,
                "duration_ms": round(seconds * 1000, 1), "bytes": size,
            }))


def configure(stream: TextIO | None = None) -> None:
    """Send the access log's JSON lines, bare, to stderr (or `stream`) at INFO, whatever the root logger does."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
