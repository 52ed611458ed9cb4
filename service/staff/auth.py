"""Staff login: server-side sessions, the staff-only dependency and the sign-in and sign-out routes.

The session cookie carries only a random id; the session is a row in the database (service/storage/
sessions.py), so logging out, "sign out everywhere" and a password change end it at once, on every replica.
Passwords and staff users are in passwords.py, CSRF tokens in csrf.py, the pauses after failed sign-ins in
lockout.py.

- `require_staff`: the dependency every staff router is included with (app.py). Signed in: the user name
  (also `request.state.staff_user`). Otherwise pages redirect to the login page and `/api/` routes answer
  401 in the one JSON error shape; with no staff credentials configured at all, 503 with how to set one.
- `install(app, users)`: the staff users, the `StaffCookies` middleware and the handler for `AuthResponse`.
- `router`: GET/POST /staff/login (CSRF, pause, then password), POST /staff/logout and
  POST /staff/sign-out-everywhere.
"""
from __future__ import annotations

import math
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from service.staff import lockout
from service.staff.csrf import CSRF_FIELD, StaffCookies, csrf_ok, form_data, new_csrf_token, require_csrf
from service.errors import error_response
from service.pages import render, templates
from service.staff.passwords import DEFAULT_USER
from service.database import utcnow

SESSION_COOKIE = "clinicbot_staff"
LOGIN_PATH = "/staff/login"
HOME_PATH = "/staff"

SETUP_MESSAGE = ("Staff sign-in is not set up: set CLINICBOT_STAFF_PASSWORD (user `staff`), or add users to "
                 "CLINICBOT_STAFF_USERS as name:hash with hashes from `clinicbot hash-password`, then restart.")


def _users(request: Request) -> dict[str, str]:
    return getattr(request.app.state, "staff_users", None) or {}


# --- sessions -------------------------------------------------------------------------------------------

def session_cookie(settings: Any) -> str:
    """The session cookie's name: `__Host-` prefixed over HTTPS, so no subdomain can set or shadow it."""
    return f"__Host-{SESSION_COOKIE}" if settings.cookie_secure else SESSION_COOKIE


def _session_seconds(request: Request) -> int:
    return max(1, int(request.app.state.settings.session_hours * 3600))


def current_user(request: Request) -> str | None:
    """The staff user this request's session cookie signs in, if any (looked up once per request)."""
    if "staff_session_user" in request.scope.get("state", {}):
        return request.state.staff_session_user  # type: ignore[no-any-return]
    user = None
    token = request.cookies.get(session_cookie(request.app.state.settings))
    database = getattr(request.app.state, "database", None)
    if _users(request) and token and database is not None:
        user = database.sessions.user(token, request.app.state.staff_credentials, utcnow())
    request.state.staff_session_user = user
    return user


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
    """JSON clients (the API, a metrics scraper) get 401, not a redirect to the sign-in page."""
    return request.url.path.startswith("/api/") or request.url.path == "/metrics"


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


def require_staff(request: Request) -> str:
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


def install(app: FastAPI, users: dict[str, str], credentials: dict[str, str]) -> None:
    """The staff users, the CSRF-cookie middleware and the handler that lets the dependencies answer."""
    app.state.staff_users = users
    # A session is valid only while its user's password is the one it was opened with (passwords.credentials).
    app.state.staff_credentials = credentials
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
    result = await lockout.attempt(request, user, password, _users(request).get(user))
    if result.outcome == "paused":
        seconds = max(1, math.ceil(result.wait.total_seconds()))
        return _login_page(request, 429, user=user, target=target,
                           error=f"Too many failed sign-ins from here. Try again in {_duration(seconds)}.",
                           headers={"Retry-After": str(seconds)})
    if result.outcome == "failed":
        return _login_page(request, 401, error="Wrong user name or password.", user=user, target=target)
    settings = request.app.state.settings
    token = await run_in_threadpool(request.app.state.database.sessions.open, user,
                                    request.app.state.staff_credentials[user],
                                    timedelta(seconds=_session_seconds(request)), utcnow())
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(session_cookie(settings), token, max_age=_session_seconds(request), path="/",
                        secure=settings.cookie_secure, httponly=True, samesite="lax")
    new_csrf_token(request)  # a fresh CSRF token for the signed-in session
    return response


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def _signed_out(request: Request) -> Response:
    settings = request.app.state.settings
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(session_cookie(settings), path="/", secure=settings.cookie_secure, httponly=True,
                           samesite="lax")
    return response


@router.post("/staff/logout", name="staff_logout")
async def logout(request: Request) -> Response:
    """End this session on the server (CSRF-checked) and go back to the sign-in page."""
    await require_csrf(request)
    token = request.cookies.get(session_cookie(request.app.state.settings))
    if token:
        await run_in_threadpool(request.app.state.database.sessions.end, token)
    return _signed_out(request)


@router.post("/staff/sign-out-everywhere", name="staff_sign_out_everywhere")
async def sign_out_everywhere(request: Request) -> Response:
    """End every session of the signed-in user, on every device and replica (CSRF-checked)."""
    await require_csrf(request)
    user = await run_in_threadpool(current_user, request)
    if user is None:
        raise AuthResponse(RedirectResponse(login_url("/staff"), status_code=303))
    await run_in_threadpool(request.app.state.database.sessions.end_all, user)
    return _signed_out(request)
