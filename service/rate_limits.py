"""Rate limits on the public routes, per visitor and per widget origin, with the `limits` library.

A visitor is the daily visitor hash of the client's address (service/privacy.py), the same id the question
log keeps. Counters live in the app's database by default (service/storage/counters.py), so every worker and
replica counts together, or in Redis (`CLINICBOT_RATE_LIMIT_STORAGE=redis://…`). Fixed windows.

Scopes: `ask` (POST /api/ask, also counted per `Origin` as `origin`), `feedback` (POST /api/feedback), and
`pages` for every other public request. Staff routes, which need a signed-in session, and the health checks
are not limited here. A limited request gets 429 with `Retry-After`, in the one error shape (an HTML error
page for browsers). When the counter storage fails, requests are let through and the failure is logged:
patients keep their answers while Redis or the database recovers.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from service.database import Database
from service.errors import error_response, html_error, wants_html
from service.metrics import count_rate_limited
from service.privacy import visitor_hash
from service.settings import Settings

log = logging.getLogger(__name__)
PUBLIC_API = frozenset({"/api/ask", "/api/feedback", "/api/widget-config"})
UNLIMITED = frozenset({"/healthz", "/readyz"})


@dataclass(frozen=True)
class Limited:
    """A request over a limit: which limit, and how many seconds until it may try again."""

    scope: str
    limit: RateLimitItem
    retry_after: int

    def message(self) -> str:
        what = {"ask": "questions", "origin": "questions from this website", "feedback": "votes"}.get(
            self.scope, "requests")
        per = f"{self.limit.multiples} {self.limit.GRANULARITY.name}" if self.limit.multiples > 1 \
            else self.limit.GRANULARITY.name
        return (f"too many {what}: at most {self.limit.amount} per {per}; "
                f"try again in {self.retry_after} second{'s' if self.retry_after != 1 else ''}")


def scopes_for(method: str, path: str) -> tuple[str, ...]:
    """The limits a request counts against (none for staff routes and health checks)."""
    if path in UNLIMITED:
        return ()
    if path == "/api/ask":
        return ("ask", "origin") if method == "POST" else ("pages",)
    if path == "/api/feedback":
        return ("feedback",) if method == "POST" else ("pages",)
    staff = (path.startswith("/api/") and path not in PUBLIC_API) or path == "/metrics" or (
        (path == "/staff" or path.startswith("/staff/")) and not path.startswith("/staff/login"))
    return () if staff else ("pages",)


class RateLimits:
    """The configured limits and the storage they count in."""

    def __init__(self, settings: Settings, database: Database) -> None:
        storage = storage_from_string(settings.rate_limit_storage) if settings.rate_limit_storage else None
        if storage is not None and not isinstance(storage, Storage):
            raise ValueError(f"{settings.rate_limit_storage!r} names an asyncio storage; use redis:// or memory://")
        self.storage: Storage = storage or database.counters
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.rules: dict[str, list[RateLimitItem]] = {
            scope: parse_many(text) if text else []
            for scope, text in (("ask", settings.rate_limit_ask), ("feedback", settings.rate_limit_feedback),
                                ("origin", settings.rate_limit_origin), ("pages", settings.rate_limit_pages))
        }

    def hit(self, scope: str, identity: str) -> Limited | None:
        """Count one request of `identity` against each limit of `scope`; the limit it exceeds, if any."""
        over: Limited | None = None
        for item in self.rules.get(scope, []):
            if not self.limiter.hit(item, scope, identity):
                reset = self.limiter.get_window_stats(item, scope, identity).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                if over is None or wait > over.retry_after:
                    over = Limited(scope, item, wait)
        return over

    def check(self, method: str, path: str, visitor: str, origin: str) -> Limited | None:
        """The first limit this request exceeds; storage failures let it through (logged)."""
        for scope in scopes_for(method, path):
            identity = origin if scope == "origin" else visitor
            if not identity:
                continue
            try:
                over = self.hit(scope, identity)
            except Exception:  # the storage is down: answering patients matters more than counting them
                log.exception("rate-limit storage failed; letting the request through")
                return None
            if over is not None:
                count_rate_limited(scope)
                return over
        return None


class RateLimitMiddleware:
    """Counts each public request and answers 429 (with Retry-After) when it is over a limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limits: RateLimits | None = getattr(scope["app"].state, "rate_limits", None) if "app" in scope else None
        if scope["type"] != "http" or limits is None or not scopes_for(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        address = request.client.host if request.client else ""
        visitor = visitor_hash(scope["app"].state.secrets, address, datetime.now(UTC).date().isoformat())
        origin = request.headers.get("origin", "")[:200]
        over = await run_in_threadpool(limits.check, scope["method"], scope["path"], visitor, origin)
        if over is None:
            await self.app(scope, receive, send)
            return
        await limited_response(request, over)(scope, receive, send)


def limited_response(request: Request, over: Limited) -> ASGIApp:
    """429 in the one error shape (or the HTML error page for a browser), with Retry-After."""
    headers = {"Retry-After": str(over.retry_after)}
    if wants_html(request):
        response = html_error(request, 429, over.message()[0].upper() + over.message()[1:] + ".")
        response.headers.update(headers)
        return response
    return error_response(429, over.message(), headers=headers)
