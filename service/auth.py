"""Staff login: hashed passwords, a signed session cookie, CSRF tokens and a lockout after failed sign-ins.

Standard library only. Everything a staff page or API needs is here:

- `hash_password` / `verify_password`: scrypt, compared with `hmac.compare_digest`.
- `load_staff_users(settings)`: CLINICBOT_STAFF_PASSWORD becomes the user `staff` (hashed at start-up, the
  plain text is not kept) plus the `name:hash` entries of CLINICBOT_STAFF_USERS; a bad entry stops start-up.
- `require_staff`: the dependency every staff router is included with (app.py). Signed in: the user name
  (also `request.state.staff_user`). Otherwise pages redirect to the login page and `/api/` routes answer
  401 in the one JSON error shape; with no staff credentials configured at all, 503 with how to set one.
- `require_csrf`: the dependency for state-changing staff routes. POST/PUT/PATCH/DELETE must carry the
  token of the `clinicbot_csrf` cookie as the form field `csrf_token` or the `X-CSRF-Token` header.
  Templates render it with `{{ csrf_field() }}` (or `{{ csrf_token() }}`); the cookie is set by `StaffCookies`.
- `router`: GET/POST /staff/login and POST /staff/logout.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context
from markupsafe import Markup, escape
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import error_response
from service.pages import render, templates
from service.privacy import visitor_hash
from service.settings import Settings

SESSION_COOKIE = "clinicbot_staff"
CSRF_COOKIE = "clinicbot_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
DEFAULT_USER = "staff"  # the user CLINICBOT_STAFF_PASSWORD signs in
LOGIN_PATH = "/staff/login"
HOME_PATH = "/staff"

MAX_FAILURES = 5  # failed sign-ins per user name, or per visitor, before sign-in pauses
FAILURE_WINDOW = timedelta(minutes=15)
SLOWDOWN_STEP = 0.2  # seconds added to a failed attempt's answer per recent failure …
SLOWDOWN_CAP = 2.0  # … up to this

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # ~16 MB and ~50 ms per hash
SCRYPT_BYTES = 32
USER_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SETUP_MESSAGE = ("Staff sign-in is not set up: set CLINICBOT_STAFF_PASSWORD (user `staff`), or add users to "
                 "CLINICBOT_STAFF_USERS as name:hash with hashes from `clinicbot hash-password`, then restart.")


class StaffConfigError(ValueError):
    """CLINICBOT_STAFF_USERS (or the password) cannot be used; the message names the entry, never the hash."""


# --- passwords ------------------------------------------------------------------------------------------

def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=SCRYPT_BYTES,
                          maxmem=128 * r * (n + p + 2) + 1024 * 1024)


def hash_password(password: str) -> str:
    """`scrypt:N:r:p:salt:hash` (base64url); no `$`, so it survives shells and .env files unquoted."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}:{_b64e(salt)}:{_b64e(digest)}"


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    """The parameters of a stored hash, or None when it is not one `hash_password` makes."""
    parts = stored.strip().split(":")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(x.isdigit() for x in parts[1:4]):
        return None
    n, r, p = (int(x) for x in parts[1:4])
    if n < 2**10 or n > 2**17 or n & (n - 1) or not 1 <= r <= 16 or not 1 <= p <= 4:
        return None
    try:
        salt, digest = _b64d(parts[4]), _b64d(parts[5])
    except (ValueError, TypeError):
        return None
    if len(salt) < 8 or len(digest) != SCRYPT_BYTES:
        return None
    return n, r, p, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored` (constant-time comparison; a malformed hash never matches)."""
    parsed = _parse_hash(stored)
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), digest)


@cache
def _dummy_hash() -> str:
    """Checked for unknown user names, so they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(16))


def load_staff_users(settings: Settings) -> dict[str, str]:
    """User name -> password hash, from CLINICBOT_STAFF_PASSWORD and CLINICBOT_STAFF_USERS; {} = no login set up."""
    users: dict[str, str] = {}
    for number, entry in enumerate(settings.staff_users, 1):
        name, colon, stored = entry.strip().partition(":")
        name = name.strip()
        where = f"CLINICBOT_STAFF_USERS entry {number}"
        if not colon or not USER_NAME.fullmatch(name):
            shown = f" (user '{name}')" if USER_NAME.fullmatch(name) else ""
            raise StaffConfigError(f"{where}{shown} is not `name:hash`: names use letters, digits and . _ @ -; "
                                   "make the hash with `clinicbot hash-password`")
        if _parse_hash(stored) is None:
            raise StaffConfigError(f"{where} (user '{name}') has no valid password hash; make one with "
                                   "`clinicbot hash-password`")
        if name in users:
            raise StaffConfigError(f"{where}: user '{name}' is listed twice")
        users[name] = stored.strip()
    password = settings.staff_password.get_secret_value()
    if password:
        if DEFAULT_USER in users:
            raise StaffConfigError(f"user '{DEFAULT_USER}' is set twice: by CLINICBOT_STAFF_PASSWORD and in "
                                   "CLINICBOT_STAFF_USERS; keep one")
        users[DEFAULT_USER] = hash_password(password)
    return users


def without_password(settings: Settings) -> Settings:
    """The settings with the plain staff password blanked (call after `load_staff_users`)."""
    if settings.staff_password.get_secret_value():
        return settings.model_copy(update={"staff_password": SecretStr("")})
    return settings


def _users(request: Request) -> dict[str, str]:
    return getattr(request.app.state, "staff_users", None) or {}


# --- signed values --------------------------------------------------------------------------------------

def _key(request_or_secret: Request | str, purpose: str) -> bytes:
    secret = request_or_secret if isinstance(request_or_secret, str) else request_or_secret.app.state.secrets
    return hmac.new(str(secret).encode(), f"clinicbot {purpose}".encode(), hashlib.sha256).digest()


def _sign(key: bytes, body: str) -> str:
    return _b64e(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def make_session(secret: str, user: str, seconds: float, now: float | None = None) -> str:
    """The session cookie's value: base64(user|expires_at|nonce) "." HMAC-SHA256 of it."""
    expires = int((time.time() if now is None else now) + seconds)
    body = _b64e(f"{user}|{expires}|{secrets.token_urlsafe(12)}".encode())
    return f"{body}.{_sign(_key(secret, 'session'), body)}"


def read_session(secret: str, value: str, users: dict[str, str], max_seconds: float,
                 now: float | None = None) -> str | None:
    """The signed-in user, or None for a missing, tampered, expired or unknown-user cookie."""
    body, dot, signature = (value or "").partition(".")
    if not dot or not hmac.compare_digest(_sign(_key(secret, "session"), body).encode(), signature.encode()):
        return None
    try:
        user, expires, _nonce = _b64d(body).decode().split("|")
        left = int(expires) - (time.time() if now is None else now)
    except ValueError:
        return None
    if left <= 0 or left > max_seconds + 60 or user not in users:
        return None
    return user


def _session_seconds(request: Request) -> int:
    return max(1, int(request.app.state.settings.session_hours * 3600))


def current_user(request: Request) -> str | None:
    """The staff user this request's session cookie signs in, if any (no side effects)."""
    users = _users(request)
    value = request.cookies.get(SESSION_COOKIE)
    if not users or not value or not hasattr(request.app.state, "secrets"):
        return None
    return read_session(request.app.state.secrets, value, users, _session_seconds(request))


# --- CSRF -----------------------------------------------------------------------------------------------

def _valid_csrf(request: Request, token: str) -> bool:
    nonce, dot, signature = token.partition(".")
    return bool(dot) and hmac.compare_digest(_sign(_key(request, "csrf"), nonce).encode(), signature.encode())


def csrf_token(request: Request, response: Response | None = None) -> str:
    """This visitor's CSRF token (the `clinicbot_csrf` cookie's), made and set on the response when missing.

    Without `response`, `StaffCookies` sets the cookie on whatever response the request ends with.
    """
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        token = cookie if cookie and _valid_csrf(request, cookie) else _new_csrf(request)
        request.state.csrf_token = token
    if response is not None and getattr(request.state, "csrf_issue", False):
        response.headers.append("set-cookie", _csrf_cookie(token, request.app.state.settings.cookie_secure))
        request.state.csrf_issue = False
    return str(token)


def _new_csrf(request: Request) -> str:
    nonce = secrets.token_urlsafe(24)
    token = f"{nonce}.{_sign(_key(request, 'csrf'), nonce)}"
    request.state.csrf_token = token
    request.state.csrf_issue = True
    return token


def _csrf_cookie(token: str, secure: bool) -> str:
    """The Set-Cookie value: a browser-session cookie, HttpOnly (pages render the token), SameSite=Strict."""
    return f"{CSRF_COOKIE}={token}; HttpOnly; Path=/; SameSite=strict" + ("; Secure" if secure else "")


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """The submitted token equals the cookie's (constant-time) and is one this server signed."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
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


def _staff_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "staff_user", None) or current_user(request)
    return {"staff_user": user}


templates.env.globals["csrf_token"] = _csrf_token_global
templates.env.globals["csrf_field"] = _csrf_field_global
templates.context_processors.append(_staff_context)


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


# --- who may see staff pages ----------------------------------------------------------------------------

class AuthResponse(Exception):
    """Raised by the dependencies to answer with `response` (a redirect or the set-up page)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def _auth_response(request: Request, exc: AuthResponse) -> Response:
    return exc.response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def setup_page(request: Request) -> Response:
    """503: no staff credentials are configured; how to set them (JSON for the API)."""
    if _is_api(request):
        return error_response(503, SETUP_MESSAGE)
    return render(request, "staff_setup.html", {"message": SETUP_MESSAGE}, 503)


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else (another site, `//host`, `\\`) is /staff."""
    target = (target or "").strip()
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 32 or ord(c) == 127 for c in target)):
        return HOME_PATH
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(LOGIN_PATH):
        return HOME_PATH
    return target


def login_url(target: str) -> str:
    return f"{LOGIN_PATH}?next={quote(safe_next(target), safe='/')}"


async def require_staff(request: Request) -> str:
    """The signed-in staff user; otherwise a redirect to the login page (pages) or 401 JSON (`/api/`)."""
    if not _users(request):
        raise AuthResponse(setup_page(request))
    user = current_user(request)
    if user is None:
        if _is_api(request):
            raise AuthResponse(error_response(401, f"staff only: sign in at {LOGIN_PATH} first"))
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise AuthResponse(RedirectResponse(login_url(path), status_code=303))
    request.state.staff_user = user
    return user


def install(app: FastAPI, users: dict[str, str]) -> None:
    """The staff users, the CSRF-cookie middleware and the handler that lets the dependencies answer."""
    app.state.staff_users = users
    app.add_middleware(StaffCookies)
    app.add_exception_handler(AuthResponse, _auth_response)  # type: ignore[arg-type]


# --- lockout --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Keys:
    user: str
    visitor: str


def _failure_keys(request: Request, user: str) -> _Keys:
    address = request.client.host if request.client else ""
    visitor = visitor_hash(request.app.state.secrets, address, datetime.now(UTC).date().isoformat())
    return _Keys(user=f"user:{user[:64]}", visitor=f"visitor:{visitor}")


def _failures(database: Any, keys: _Keys) -> int:
    return max(int(database.login_failures(key, FAILURE_WINDOW)) for key in (keys.user, keys.visitor))


_attempts = threading.Lock()  # check, verify and record one attempt at a time: parallel guesses cannot slip past


def _attempt(database: Any, keys: _Keys, password: str, stored: str | None) -> tuple[str, int]:
    """("locked" | "ok" | "failed", recent failures); runs in a worker thread."""
    with _attempts:
        failures = _failures(database, keys)
        if failures >= MAX_FAILURES:
            return "locked", failures
        if verify_password(password, stored or _dummy_hash()) and stored:
            database.clear_login_failures(keys.user)
            return "ok", 0
        database.add_login_failure(keys.user)
        database.add_login_failure(keys.visitor)
        return "failed", failures + 1


# --- routes ---------------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


def _login_page(request: Request, status: int = 200, *, error: str = "", user: str = "", target: str = "",
                headers: dict[str, str] | None = None) -> HTMLResponse:
    users = _users(request)
    default = user or (DEFAULT_USER if DEFAULT_USER in users or not users else next(iter(users)))
    response = render(request, "login.html", {"error": error, "username": default, "next": safe_next(target),
                                              "locked": status == 429}, status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get(LOGIN_PATH, name="staff_login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form (signed in already: straight on)."""
    if not _users(request):
        return setup_page(request)
    if current_user(request):
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, target=next or "")


@router.post(LOGIN_PATH, response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the CSRF token, the lockout, then the password; success sets the session cookie."""
    if not _users(request):
        return setup_page(request)
    form = await form_data(request)
    user, password, target = form.get("username", "").strip(), form.get("password", ""), form.get("next", "")
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        _new_csrf(request)
        return _login_page(request, 403, error="The form had expired. Please sign in again.", user=user,
                           target=target)
    outcome, failures = await run_in_threadpool(_attempt, request.app.state.database,
                                                _failure_keys(request, user), password, _users(request).get(user))
    if outcome == "locked":
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        return _login_page(request, 429, user=user, target=target,
                           error=f"Too many failed sign-ins. Sign-in is paused; try again in {minutes} minutes.",
                           headers={"Retry-After": str(int(FAILURE_WINDOW.total_seconds()))})
    if outcome == "failed":
        await asyncio.sleep(min(SLOWDOWN_STEP * failures, SLOWDOWN_CAP))
        return _login_page(request, 401, error="Wrong user name or password.", user=user, target=target)
    response = RedirectResponse(safe_next(target), status_code=303)
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, make_session(request.app.state.secrets, user, _session_seconds(request)),
                        max_age=_session_seconds(request), path="/", secure=settings.cookie_secure,
                        httponly=True, samesite="lax")
    _new_csrf(request)  # a fresh CSRF token for the signed-in session
    return response


@router.post("/staff/logout", name="staff_logout")
async def logout(request: Request) -> Response:
    """End the session (CSRF-checked) and go back to the sign-in page."""
    await require_csrf(request)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=request.app.state.settings.cookie_secure,
                           httponly=True, samesite="lax")
    return response
