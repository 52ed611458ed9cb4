"""Live re-indexing: rebuild the index from the corpus in a background thread and swap the new one in.

`Reindexer.start()` runs `build_index` on one thread, loads the new index with the already-loaded model and
hands a new `Answerer` to `on_ready`, which replaces `app.state.answerer` in one assignment. A request
that already fetched the old answerer finishes with it; later requests get the new one. A build that fails
leaves the old answerer serving and keeps the error message for the staff page (`GET /api/reindex`).
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

from index.document import SkippedFile
from index.embedder import Embedder
from service import memory
from service.answering.answerer import Answerer
from service.errors import error_response
from service.answering.retrieve import Retriever
from service.settings import Settings

log = logging.getLogger(__name__)

State = Literal["idle", "running", "succeeded", "failed"]
SHUTDOWN_WAIT = 30.0  # seconds `close()` waits for a cancelled build to stop


class ReindexRunning(RuntimeError):
    """A re-index was asked for while one is already running."""


class _Cancelled(Exception):
    """Raised from the progress callback to stop a build when the server shuts down."""


@dataclass(frozen=True)
class Progress:
    """Texts embedded so far out of those that need embedding (unchanged passages reuse their vectors)."""

    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class ReindexStatus:
    """The state of the latest re-index, as `GET /api/reindex` returns it."""

    state: State = "idle"
    started_at: str | None = None  # UTC, ISO 8601
    finished_at: str | None = None
    message: str = ""  # the build's summary line when it succeeded, the error when it failed
    progress: Progress = field(default_factory=Progress)
    skipped: list[SkippedFile] = field(default_factory=list)  # corpus files left out, and why
    build_id: str | None = None  # the build now serving, after a success


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Reindexer:
    """Runs at most one re-index at a time and publishes its state; thread-safe."""

    def __init__(self, settings: Settings, embedder: Embedder, on_ready: Callable[[Answerer], None]) -> None:
        self.settings = settings
        self.embedder = embedder  # the model the app already loaded: a re-index never loads a second copy
        self.on_ready = on_ready
        self._lock = threading.Lock()
        self._status = ReindexStatus()
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()

    def status(self) -> ReindexStatus:
        """A snapshot of the current state."""
        with self._lock:
            return self._status

    def running(self) -> bool:
        """Whether a re-index is running now."""
        return self.status().state == "running"

    def start(self) -> ReindexStatus:
        """Start a re-index in the background; ReindexRunning if one is already running."""
        with self._lock:
            if self._status.state == "running":
                raise ReindexRunning(f"a re-index is already running (started {self._status.started_at}); "
                                     "wait for it to finish")
            self._cancel.clear()
            self._status = ReindexStatus(state="running", started_at=_now())
            self._thread = threading.Thread(target=self._run, name="clinicbot-reindex", daemon=True)
            self._thread.start()
            return self._status

    def wait(self, timeout: float | None = None) -> ReindexStatus:
        """Block until the running re-index (if any) ends, or `timeout` seconds pass; the state then."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def close(self, timeout: float = SHUTDOWN_WAIT) -> None:
        """Stop a running build at its next batch (nothing is written) and wait for the thread to end."""
        self._cancel.set()
        self.wait(timeout)

    def _progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise _Cancelled
        self._update(progress=Progress(done, total))

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    def _run(self) -> None:
        """The thread: build, load, swap; any failure is recorded and the old answerer keeps serving."""
        # The builder (and the readers of every format it imports) is loaded by the first re-index, not at
        # start-up: a serving process that never re-indexes never imports them.
        from index.builder import BuildError, build_index

        try:
            summary = build_index(self.settings.corpus_dir, self.settings.index_dir, self.embedder, self._progress)
            answerer = Answerer(Retriever.load(self.settings.index_dir, self.embedder), self.settings)
            self.on_ready(answerer)
            memory.release()  # the build's activations and the old index: back to the OS, not kept by malloc
        except _Cancelled:
            self._finish("failed", "cancelled: the server shut down during the build; the index is unchanged")
        except BuildError as exc:
            self._finish("failed", str(exc))
        except Exception as exc:  # any failure must leave the old index serving, and say why
            log.exception("re-index failed")
            self._finish("failed", f"re-index failed ({type(exc).__name__}: {exc}); the previous index is "
                                   "still serving")
        else:
            build_id = answerer.retriever.manifest.get("build_id")
            self._finish("succeeded", summary.line(), skipped=list(summary.skipped),
                         build_id=str(build_id) if build_id else None)
            log.info("re-index: %s", summary.line())

    def _finish(self, state: State, message: str, **changes: Any) -> None:
        self._update(state=state, message=message, finished_at=_now(), **changes)


# Staff-only routes. The login dependency is added where the router is included, e.g. in app.py
# `app.include_router(router, dependencies=staff_dependencies)`; this module adds none of its own.
dependencies: list[Any] = []
router = APIRouter(tags=["staff"], include_in_schema=True, dependencies=dependencies)


def _reindexer(request: Request) -> Reindexer | None:
    return getattr(request.app.state, "reindexer", None)


@router.post("/api/reindex", status_code=202, response_model=ReindexStatus,
             responses={409: {"description": "A re-index is already running."}})
def start_reindex(request: Request) -> ReindexStatus | JSONResponse:
    """Rebuild the index from the corpus folder in the background; poll `GET /api/reindex` for the outcome."""
    reindexer = _reindexer(request)
    if reindexer is None:
        return error_response(503, "the service is still starting; try again in a moment")
    try:
        return reindexer.start()
    except ReindexRunning as exc:
        return error_response(409, str(exc))


@router.get("/api/reindex", response_model=ReindexStatus)
def reindex_status(request: Request) -> ReindexStatus | JSONResponse:
    """The latest re-index: state, times, progress, and its summary line or error message."""
    reindexer = _reindexer(request)
    if reindexer is None:
        return error_response(503, "the service is still starting; try again in a moment")
    return reindexer.status()


@router.post("/staff/reindex", include_in_schema=False)
def start_reindex_form(request: Request) -> RedirectResponse:
    """The staff page's "Rebuild the index" form without JavaScript: start, then show the status on /staff."""
    reindexer = _reindexer(request)
    if reindexer is not None:
        with contextlib.suppress(ReindexRunning):  # the page shows the build that is already running
            reindexer.start()
    return RedirectResponse(str(request.url_for("staff_page")) + "#reindex", status_code=303)
