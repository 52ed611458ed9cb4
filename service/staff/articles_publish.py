"""What every change on the Articles page shares: the app's ArticleLibrary, publishing by live re-index, limits.

- `library(request)`: one `ArticleLibrary` per app, made on first use over `settings.corpus_dir` and the app's
  database.
- `Publisher`: a change is written to corpus/ first, then `publish()` starts a live re-index. A re-index that
  is already running may have read the corpus before the change, so another is queued to start the moment it
  ends: the last change is never left unpublished, and the changes made during one build share the next.
- `body_limit` / `too_large`: the article forms and uploads may send more than the API's 64 KiB (service/app.py
  asks `body_limit` first); a request over it is refused before it is read, with a 413 page or the JSON error.
- `require_staff_csrf`: the CSRF check of csrf.py, reading the token from multipart forms (uploads) too.
"""
from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData, UploadFile
from starlette.types import ASGIApp, Scope

from service.articles.library import ArticleLibrary
from service.errors import error_response, html_error, wants_html
from service.settings import Settings
from service.staff.csrf import CSRF_FIELD, CSRF_HEADER, UNSAFE_METHODS, csrf_ok
from service.staff.reindex import Reindexer, ReindexRunning, ReindexStatus

MAX_FILES = 10  # files in one upload
FORM_ALLOWANCE = 256 * 1024  # an upload's other fields and multipart framing, beyond the files themselves
LIMITED_PATHS = ("/staff/articles", "/api/articles", "/staff/insights/answer")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_state_lock = threading.Lock()


def upload_max_bytes(settings: Settings) -> int:
    """The largest file staff may upload (`upload_max_bytes`, 10 MB by default)."""
    return settings.upload_max_bytes


def trash_days(settings: Settings) -> int:
    """How long a deleted article stays restorable."""
    return settings.trash_days


def megabytes(size: int) -> str:
    """A size for people: "10 MB", "1.5 MB", "300 KB"."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1000))} KB"


def library(request: Request) -> ArticleLibrary:
    """The app's article library (made on first use)."""
    state = request.app.state
    with _state_lock:
        if getattr(state, "article_library", None) is None:
            settings: Settings = state.settings
            state.article_library = ArticleLibrary(settings.corpus_dir, state.database,
                                                   max_bytes=upload_max_bytes(settings),
                                                   trash_days=trash_days(settings))
        return state.article_library  # type: ignore[no-any-return]


def username(request: Request) -> str:
    """The signed-in staff user (set by `auth.require_staff`)."""
    return str(getattr(request.state, "staff_user", "") or "staff")


# --- publishing -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Publishing:
    """The re-index that publishes the changes, and whether another is queued after it."""

    status: ReindexStatus
    queued: bool

    @property
    def busy(self) -> bool:
        """A change is not yet serving: a build is running or queued."""
        return self.queued or self.status.state == "running"

    def as_json(self) -> dict[str, Any]:
        """What articles.js polls."""
        s = self.status
        return {"state": s.state, "queued": self.queued, "busy": self.busy, "started_at": s.started_at,
                "finished_at": s.finished_at, "message": s.message,
                "progress": {"done": s.progress.done, "total": s.progress.total},
                "skipped": [{"path": k.path, "reason": k.reason} for k in s.skipped], "build_id": s.build_id}


class Publisher:
    """Starts a live re-index after each change; queues one more when a build is already running."""

    def __init__(self, reindexer: Reindexer) -> None:
        self.reindexer = reindexer
        self._lock = threading.Lock()
        self._queued = False
        self._closed = False
        self._follower: threading.Thread | None = None

    def publish(self) -> None:
        """Publish the corpus as it is now: start a re-index, or queue one after the running build."""
        with self._lock:
            if self._closed or self._queued:
                return  # a queued build starts after this change was written, so it takes it too
            try:
                self.reindexer.start()
                return
            except ReindexRunning:
                self._queued = True
            self._follower = threading.Thread(target=self._follow, name="clinicbot-publish", daemon=True)
            self._follower.start()

    def _follow(self) -> None:
        """Wait for the running build, then start the queued one."""
        while True:
            self.reindexer.wait()
            with self._lock:
                if self._closed:
                    self._queued = False
                    return
                try:
                    self.reindexer.start()
                except ReindexRunning:
                    continue  # another build slipped in before the change was certain to be read; wait for it
                self._queued = False
                return

    def state(self) -> Publishing:
        """The current re-index and whether another is queued."""
        with self._lock:
            return Publishing(self.reindexer.status(), self._queued)

    def wait(self, timeout: float = 120.0) -> Publishing:
        """Block until no build is running or queued (tests, and a shutdown)."""
        follower = self._follower
        if follower is not None:
            follower.join(timeout)
        self.reindexer.wait(timeout)
        return self.state()

    def close(self) -> None:
        """Queue nothing more (the server is stopping; a queued build is dropped with it)."""
        with self._lock:
            self._closed = True


def publisher(request: Request) -> Publisher:
    """The app's publisher (made on first use, over the app's re-indexer)."""
    state = request.app.state
    with _state_lock:
        if getattr(state, "article_publisher", None) is None:
            state.article_publisher = Publisher(state.reindexer)
        return state.article_publisher  # type: ignore[no-any-return]


def publish(request: Request) -> None:
    """Publish the change just written."""
    publisher(request).publish()


def article_url(request: Request, route: str, name: str) -> str:
    """The path of an article's page (`name` may hold "/" and characters a URL escapes)."""
    return request.url_for(route, name=quote(name, safe="/")).path


def back_to(request: Request, route: str, *, path: dict[str, str] | None = None, fragment: str = "",
            **query: str | int) -> RedirectResponse:
    """303 to a page after a change (Post/Redirect/Get), with what happened in the query."""
    url = request.url_for(route, **{k: quote(v, safe="/") for k, v in (path or {}).items()}).path
    shown = {k: str(v) for k, v in query.items() if v != ""}
    return RedirectResponse(url + (f"?{urlencode(shown)}" if shown else "") + (f"#{fragment}" if fragment else ""),
                            status_code=303)


# --- limits and CSRF ------------------------------------------------------------------------------------

def request_limit(settings: Settings) -> int:
    """The most one article request may send: MAX_FILES files of the upload limit, and the form."""
    return upload_max_bytes(settings) * MAX_FILES + FORM_ALLOWANCE


def body_limit(scope: Scope) -> int | None:
    """The body limit of an article page's request (None: the app's own limit applies)."""
    path = str(scope.get("path", ""))
    if not any(path == p or path.startswith(p + "/") for p in LIMITED_PATHS):
        return None
    return request_limit(scope["app"].state.settings)


def too_large(scope: Scope, limit: int) -> ASGIApp:
    """The 413 for an article request over `limit`: the error page for a browser's form, else the JSON error."""
    settings = scope["app"].state.settings
    message = (f"The upload is too large: send at most {MAX_FILES} files of up to "
               f"{megabytes(upload_max_bytes(settings))} each ({megabytes(limit)} in all). "
               "Go back and choose fewer or smaller files.")
    request = Request(scope)
    if wants_html(request):
        return html_error(request, 413, message)
    return error_response(413, message)


async def require_staff_csrf(request: Request) -> AsyncIterator[None]:
    """csrf.require_csrf, also for multipart forms: the `X-CSRF-Token` header or the form's `csrf_token`, or 403.

    A form read here is the one the route gets (Starlette keeps it on the request); its spooled upload files
    are closed once the route is done, or at once when the token is wrong.
    """
    form: FormData | None = None
    try:
        if request.method in UNSAFE_METHODS:
            submitted: Any = request.headers.get(CSRF_HEADER)
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if not submitted and content_type in FORM_TYPES:
                try:
                    form = await request.form()
                except Exception:  # a malformed body has no token in it either
                    form = None
                submitted = form.get(CSRF_FIELD) if form is not None else None
            if isinstance(submitted, UploadFile) or not csrf_ok(request, submitted):
                raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        yield
    finally:
        if form is not None:
            await form.close()
