"""CSRF protection for staff forms and APIs: a signed token in the `clinicbot_csrf` cookie, echoed by the client.

- `require_csrf`: the dependency for state-changing staff routes. POST/PUT/PATCH/DELETE must carry the
  token of the `clinicbot_csrf` cookie as the form field `csrf_token` or the `X-CSRF-Token` header.
- Templates render it with `{{ csrf_field() }}` (or `{{ csrf_token() }}`); the cookie is set by `StaffCookies`.
"""
from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import HTTPException, Request
from fastapi.responses import Response
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.pages import templates
from service.staff.signing import sign, signing_key

CSRF_COOKIE = "clinicbot_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_cookie(secure: bool) -> str:
    """The CSRF cookie's name: `__Host-` prefixed over HTTPS (only this host, over TLS, can set it)."""
    return f"__Host-{CSRF_COOKIE}" if secure else CSRF_COOKIE


def _cookie(request: Request) -> str:
    return request.cookies.get(csrf_cookie(request.app.state.settings.cookie_secure), "")


def _valid_csrf(request: Request, token: str) -> bool:
    if not token.isascii():  # a cookie with other bytes was never one of ours
        return False
    nonce, dot, signature = token.partition(".")
    return bool(dot) and hmac.compare_digest(sign(signing_key(request, "csrf"), nonce).encode(), signature.encode())


def csrf_token(request: Request, response: Response | None = None) -> str:
    """This visitor's CSRF token (the `clinicbot_csrf` cookie's), made and set on the response when missing.

    Without `response`, `StaffCookies` sets the cookie on whatever response the request ends with.
    """
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        cookie = _cookie(request)
        token = cookie if cookie and _valid_csrf(request, cookie) else new_csrf_token(request)
        request.state.csrf_token = token
    if response is not None and getattr(request.state, "csrf_issue", False):
        response.headers.append("set-cookie", _csrf_cookie(token, request.app.state.settings.cookie_secure))
        request.state.csrf_issue = False
    return str(token)


def new_csrf_token(request: Request) -> str:
    """A fresh token for this request, which `StaffCookies` sets as the cookie on its response."""
    nonce = secrets.token_urlsafe(24)
    token = f"{nonce}.{sign(signing_key(request, 'csrf'), nonce)}"
    request.state.csrf_token = token
    request.state.csrf_issue = True
    return token


def _csrf_cookie(token: str, secure: bool) -> str:
    """The Set-Cookie value: a browser-session cookie, HttpOnly (pages render the token), SameSite=Strict."""
    return f"{csrf_cookie(secure)}={token}; HttpOnly; Path=/; SameSite=strict" + ("; Secure" if secure else "")


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """The submitted token equals the cookie's (constant-time) and is one this server signed."""
    cookie = _cookie(request)
    if not submitted or not cookie:
        return False
    return hmac.compare_digest(submitted.encode(), cookie.encode()) and _valid_csrf(request, cookie)


async def form_data(request: Request) -> dict[str, str]:
    """A urlencoded form body (python-multipart is not needed); the first value of each field."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return {}
    try:
        parsed = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in parsed.items()}


async def require_csrf(request: Request) -> None:
    """For state-changing methods: the CSRF token as `X-CSRF-Token` header or `csrf_token` form field, or 403."""
    if request.method not in UNSAFE_METHODS:
        return
    submitted = request.headers.get(CSRF_HEADER) or (await form_data(request)).get(CSRF_FIELD)
    if not csrf_ok(request, submitted):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


@pass_context
def _csrf_token_global(context: Any) -> str:
    return csrf_token(context["request"])


@pass_context
def _csrf_field_global(context: Any) -> Markup:
    token = csrf_token(context["request"])
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')


templates.env.globals["csrf_token"] = _csrf_token_global
templates.env.globals["csrf_field"] = _csrf_field_global


class StaffCookies:
    """Sets the CSRF cookie a page's token came from, and keeps personalised pages out of caches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                token = state.get("csrf_token")
                if token and state.get("csrf_issue"):
                    headers.append("set-cookie", _csrf_cookie(token, scope["app"].state.settings.cookie_secure))
                    state["csrf_issue"] = False
                if (token or state.get("staff_user")) and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, wrapped)
