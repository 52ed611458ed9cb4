"""Staff login: a signed session cookie, the staff-only dependency and the sign-in and sign-out routes.

Passwords and staff users are in passwords.py, CSRF tokens in csrf.py, signing in signing.py, the lockout
after failed sign-ins in lockout.py.

- `require_staff`: the dependency every staff router is included with (app.py). Signed in: the user name
  (also `request.state.staff_user`). Otherwise pages redirect to the login page and `/api/` routes answer
  401 in the one JSON error shape; with no staff credentials configured at all, 503 with how to set one.
- `install(app, users)`: the staff users, the `StaffCookies` middleware and the handler for `AuthResponse`.
- `router`: GET/POST /staff/login (CSRF, lockout, then password) and POST /staff/logout.
"""
from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.staff import lockout
from service.staff.csrf import CSRF_FIELD, StaffCookies, csrf_ok, form_data, new_csrf_token, require_csrf
from service.errors import error_response
from service.pages import render, templates
from service.staff.passwords import DEFAULT_USER
from service.staff.signing import b64d, b64e, sign, signing_key

SESSION_COOKIE = "clinicbot_staff"
LOGIN_PATH = "/staff/login"
HOME_PATH = "/staff"

SETUP_MESSAGE = ("Staff sign-in is not set up: set CLINICBOT_STAFF_PASSWORD (user `staff`), or add users to "
                 "CLINICBOT_STAFF_USERS as name:hash with hashes from `clinicbot hash-password`, then restart.")


def _users(request: Request) -> dict[str, str]:
    return getattr(request.app.state, "staff_users", None) or {}


# --- sessions -------------------------------------------------------------------------------------------

def make_session(secret: str, user: str, seconds: float, now: float | None = None) -> str:
    """The session cookie's value: base64(user|expires_at|nonce) "." HMAC-SHA256 of it."""
    expires = int((time.time() if now is None else now) + seconds)
    body = b64e(f"{user}|{expires}|{secrets.token_urlsafe(12)}".encode())
    return f"{body}.{sign(signing_key(secret, 'session'), body)}"


def read_session(secret: str, value: str, users: dict[str, str], max_seconds: float,
                 now: float | None = None) -> str | None:
    """The signed-in user, or None for a missing, tampered, expired or unknown-user cookie."""
    body, dot, signature = (value or "").partition(".")
    if not dot or not hmac.compare_digest(sign(signing_key(secret, "session"), body).encode(), signature.encode()):
        return None
    try:
        user, expires, _nonce = b64d(body).decode().split("|")
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


def _staff_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "staff_user", None) or current_user(request)
    return {"staff_user": user}


templates.context_processors.append(_staff_context)


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
        new_csrf_token(request)
        return _login_page(request, 403, error="The form had expired. Please sign in again.", user=user,
                           target=target)
    outcome, failures = await lockout.attempt(request, user, password, _users(request).get(user))
    if outcome == "locked":
        minutes = int(lockout.FAILURE_WINDOW.total_seconds() // 60)
        return _login_page(request, 429, user=user, target=target,
                           error=f"Too many failed sign-ins. Sign-in is paused; try again in {minutes} minutes.",
                           headers={"Retry-After": str(int(lockout.FAILURE_WINDOW.total_seconds()))})
    if outcome == "failed":
        await asyncio.sleep(lockout.slowdown(failures))
        return _login_page(request, 401, error="Wrong user name or password.", user=user, target=target)
    response = RedirectResponse(safe_next(target), status_code=303)
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, make_session(request.app.state.secrets, user, _session_seconds(request)),
                        max_age=_session_seconds(request), path="/", secure=settings.cookie_secure,
                        httponly=True, samesite="lax")
    new_csrf_token(request)  # a fresh CSRF token for the signed-in session
    return response


@router.post("/staff/logout", name="staff_logout")
async def logout(request: Request) -> Response:
    """End the session (CSRF-checked) and go back to the sign-in page."""
    await require_csrf(request)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=request.app.state.settings.cookie_secure,
                           httponly=True, samesite="lax")
    return response
