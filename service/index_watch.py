"""Index watching: a replica serves the build another replica wrote to the shared index folder.

Every `index_watch_seconds` a daemon thread reads the build id in the index folder's manifest. When it is not
the build this process serves (another replica re-indexed, or `clinicbot index` ran), the new build is
loaded with the already-loaded model and swapped in with one assignment, as a local re-index does.

A look costs one read of the small manifest (tens of microseconds), so it can run every second, which lets
every worker serve a re-index within a second of its swap. A build that fails to load is not loaded again
at every look, only after FAILED_RETRY seconds (or when the folder holds another build).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from index.store import MANIFEST
from service import memory
from service.answering.answerer import Answerer
from service.answering.retrieve import Retriever
from service.settings import Settings

log = logging.getLogger(__name__)
FAILED_RETRY = 60.0  # seconds before a build that failed to load is tried again


def folder_build_id(settings: Settings) -> str | None:
    """The build id the index folder holds now (None when it cannot be read, e.g. mid-swap)."""
    try:
        manifest = json.loads((settings.index_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    build_id = manifest.get("build_id") if isinstance(manifest, dict) else None
    return str(build_id) if build_id else None


class IndexWatcher:
    """Polls the index folder and swaps in builds made elsewhere."""

    def __init__(self, settings: Settings, current: Callable[[], Answerer], busy: Callable[[], bool],
                 on_ready: Callable[[Answerer], None]) -> None:
        self.settings = settings
        self.current = current  # the answerer serving now
        self.busy = busy  # a local re-index is running: it will swap its own build in
        self.on_ready = on_ready
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failed: tuple[str, float] | None = None  # a build that failed to load, and when to try it again

    def start(self) -> None:
        """Start polling (nothing when `index_watch_seconds` is 0)."""
        if self.settings.index_watch_seconds > 0:
            self._thread = threading.Thread(target=self._run, name="clinicbot-index-watch", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def check(self) -> bool:
        """Load the folder's build if it is not the one serving; whether a new build was swapped in."""
        if self.busy():
            return False
        serving = self.current()
        found = folder_build_id(self.settings)
        if found is None or found == str(serving.retriever.manifest.get("build_id")):
            return False
        if self._failed is not None and self._failed[0] == found and time.monotonic() < self._failed[1]:
            return False
        try:
            answerer = Answerer(Retriever.load(self.settings.index_dir, serving.retriever.embedder), self.settings)
        except Exception:
            self._failed = (found, time.monotonic() + FAILED_RETRY)
            raise
        if self.busy():  # a local re-index started meanwhile: let it finish and swap
            return False
        self.on_ready(answerer)
        memory.release()  # the old build's buffers go back to the system, as after a local re-index
        log.info("serving index build %s, written by another process", found)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.settings.index_watch_seconds):
            try:
                self.check()
            except Exception:  # a half-written or broken build: keep serving the old one, try again later
                log.exception("could not load the index folder's new build; the previous one keeps serving "
                              "(next try in %.0f s)", FAILED_RETRY)
