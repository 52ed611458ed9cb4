"""What the insights page keeps between loads: phrasing vectors and finished pages' insights.

Phrasing vectors come from memory (an LRU per process), else from the database (`phrasing_vectors`, shared by
every worker and replica and kept across restarts), else from the model — the most frequent phrasings first,
and for at most about EMBED_SECONDS of model time per page load, so even the first load over a big log
answers in under a second and the next loads embed the rest. A finished page's insights are kept per (period, day,
log version, index), so a repeat costs one small query; a new question or vote changes the log version and
the page is counted again, embedding only phrasings it has not seen.
"""
from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from index.embedder import Embedder
from service.database import Database, utcnow
from service.staff.insights import MAX_DISTINCT, Insights
from service.staff.topics import Vectors

# Model time a page load may spend on new phrasings, checked between batches: on 2 CPUs about 200 phrasings,
# so a first 90-day page over 100,000 questions answers in about 0.8 s and ten more loads group all 2,000.
EMBED_SECONDS = 0.25
EMBED_BATCH = 64  # phrasings embedded at once: the budget is checked between batches
RESULTS = 8  # finished pages kept (three periods, a few custom ones)


class PhrasingVectors:
    """Phrasing vectors from memory, the database or the model (in that order), for one loaded model at a time."""

    def __init__(self, database: Database, size: int = 2 * MAX_DISTINCT) -> None:
        self.database = database
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()
        self.embedded = 0  # texts this process embedded (the tests read it)

    def for_load(self, embedder: Embedder, seconds: float = EMBED_SECONDS) -> Vectors:
        """A lookup for one page load: texts with no vector are embedded, in order, for about `seconds`.

        The clock starts at the first lookup (after the counting), and each lookup embeds at least one batch,
        so every load makes progress however slow the machine.
        """
        deadline: list[float] = []

        def vectors(texts: Sequence[str]) -> dict[str, np.ndarray]:
            if not deadline:
                deadline.append(time.monotonic() + seconds)
            return self._lookup(embedder, texts, deadline[0])

        return vectors

    def _lookup(self, embedder: Embedder, texts: Sequence[str], deadline: float) -> dict[str, np.ndarray]:
        """The vectors found or made for `texts`; batches after the first only while `deadline` is ahead."""
        wanted = list(dict.fromkeys(texts))
        with self._lock:
            if embedder is not self._embedder:
                self._vectors.clear()
                self._embedder = embedder
            found = {t: self._vectors[t] for t in wanted if t in self._vectors}
        missing = [t for t in wanted if t not in found]
        stored = self.database.vectors.get(embedder.name, missing, embedder.dimension) if missing else {}
        found.update(stored)
        todo = [t for t in missing if t not in stored]
        fresh: dict[str, np.ndarray] = {}
        for start in range(0, len(todo), EMBED_BATCH):
            if start and time.monotonic() >= deadline:
                break
            batch = todo[start:start + EMBED_BATCH]
            fresh.update(zip(batch, embedder.encode(batch), strict=True))
        if fresh:
            self.database.vectors.put(embedder.name, fresh, utcnow().isoformat(timespec="seconds"))
            self.embedded += len(fresh)
        found.update(fresh)
        with self._lock:
            for text in wanted:
                if text in found:
                    self._vectors[text] = found[text]
                    self._vectors.move_to_end(text)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return found


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting still frees everything).

    Counting a 100,000-question log makes about 100,000 short-lived rows and tuples; each few hundred of them
    start a collection that walks every live object, the model's included: a third of the page's time after
    the first load (measured in benchmarks/insights.py). Builds run one at a time, so the switch pairs up.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class InsightsCache:
    """Finished pages' insights by key (LRU); one page is counted at a time, so a second request waits for it."""

    def __init__(self, size: int = RESULTS) -> None:
        self.size = size
        self._results: OrderedDict[Hashable, Insights] = OrderedDict()
        self._lock = threading.Lock()
        self._build = threading.Lock()
        self.hits = 0
        self.builds = 0

    def get(self, key: Hashable, build: Callable[[], Insights]) -> Insights:
        """The kept insights for `key`, else `build()`'s (kept unless phrasings were left to embed)."""
        with self._lock:
            if key in self._results:
                self.hits += 1
                self._results.move_to_end(key)
                return self._results[key]
        with self._build:
            with self._lock:
                if key in self._results:  # built while this request waited
                    self.hits += 1
                    return self._results[key]
            with _no_cyclic_gc():
                data = build()
            with self._lock:
                self.builds += 1
                if not data.pending:
                    self._results[key] = data
                    while len(self._results) > self.size:
                        self._results.popitem(last=False)
        return data
