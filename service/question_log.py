"""The question log's writer: answers are logged by one background thread, in batches, off the request's path.

POST /api/ask puts its record in a bounded in-process queue and returns. One thread takes whatever has queued
up (at most BATCH records) and inserts it in one transaction (executemany), so concurrent requests no longer
wait one by one for the database's write lock (SQLite's BEGIN IMMEDIATE). Nothing is lost in normal operation:

- a full queue (the database down or very slow) drops nothing: the request writes its own record, as it did
  before the queue, in the threadpool (the route is a sync `def`, so the event loop never waits); it is counted
  (`overflows`) and logged once per spell;
- a batch that fails is kept and retried, after a pause that doubles up to MAX_PAUSE; each failure is counted
  and logged. Only a record the database refuses for itself (an integrity error, such as a duplicate id) is
  dropped, counted and logged, so that it cannot hold up the others;
- `close()` (the app's lifespan exit: SIGTERM or SIGINT to uvicorn) writes everything still queued before the
  database closes, retrying for at most `drain_seconds`; whatever is still unwritten then is counted as
  dropped and logged.

Readers in this process see their own writes: `flush()` waits for everything queued so far (Database.questions
and count_questions call it through `Database.log_flush`, the insights page through `Database.flush_log`), and
`wait_for(id)` waits for one record (feedback on an answer just given). Another process's queue is not
visible; its records arrive within one transaction (milliseconds).
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque

from service.database import Database, QuestionRecord

log = logging.getLogger(__name__)

BATCH = 500  # most records in one transaction
FIRST_PAUSE = 0.1  # seconds before a failed batch is tried again; doubles with each failure in a row …
MAX_PAUSE = 5.0  # … up to this
FLUSH_SECONDS = 10.0  # longest a reader waits for the queue: a database that is down must not hang a page

Queued = tuple[int, QuestionRecord]  # a record and its place in the queue (1, 2, 3, … in order of arrival)


class QuestionLog:
    """A bounded queue of question records and the one thread that writes them to the database."""

    def __init__(self, database: Database, retention_days: int, capacity: int = 10_000,
                 drain_seconds: float = 30.0) -> None:
        self.database = database
        self.retention_days = retention_days
        self.capacity = capacity
        self.drain_seconds = drain_seconds
        self.written = 0  # records the writer has committed
        self.failures = 0  # failed writes: the writer's transactions (each retried) and requests' own writes
        self.overflows = 0  # records a request wrote itself because the queue was full
        self.dropped = 0  # records never written: refused by the database, or still unwritten when the drain ended
        self._cond = threading.Condition()
        self._queue: deque[Queued] = deque()
        self._pending: dict[str, int] = {}  # answer id -> place, for every record not yet written
        self._queued = 0  # the place of the last record queued
        self._done = 0  # every record up to this place is written (or given up on)
        self._open = False
        self._overflowing = False
        self._deadline = math.inf  # set by close(): when the drain gives up
        self._thread = threading.Thread(target=self._run, name="question-log-writer", daemon=True)

    def start(self) -> None:
        """Start the writer thread; from now on the database's log readers flush this queue first."""
        with self._cond:
            self._open = True
        self._thread.start()
        self.database.log_flush = self.flush

    @property
    def depth(self) -> int:
        """Records queued or being written, not yet in the database."""
        with self._cond:
            return len(self._pending)

    def add(self, record: QuestionRecord) -> None:
        """Queue one record for the writer; when the queue is full (or the writer stopped), write it now."""
        with self._cond:
            if self._open and len(self._queue) < self.capacity:
                self._queued += 1
                self._queue.append((self._queued, record))
                self._pending[record.id] = self._queued
                self._overflowing = False
                self._cond.notify_all()
                return
            full = self._open
            first = full and not self._overflowing
            if full:
                self.overflows += 1
                self._overflowing = True
        if first:
            log.warning("question log: %d records are waiting for the database (slow or down?); answers write "
                        "their own records until the queue has room", self.capacity)
        try:
            self.database.record_question(record)
        except Exception:
            with self._cond:
                self.failures += 1
            raise

    def flush(self, timeout: float = FLUSH_SECONDS) -> bool:
        """Wait until every record queued so far is written; False if that took longer than `timeout` seconds."""
        with self._cond:
            target = self._queued
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def wait_for(self, answer_id: str, timeout: float = FLUSH_SECONDS) -> bool:
        """Wait until the record of `answer_id` is written, if it is queued; False if that took too long."""
        with self._cond:
            place = self._pending.get(answer_id)
            if place is None:
                return True
            return self._cond.wait_for(lambda: self._done >= place, timeout)

    def close(self) -> None:
        """Take no more records, write those still queued (retrying for at most `drain_seconds`), then stop."""
        with self._cond:
            if not self._open:
                return
            self._open = False
            self._deadline = time.monotonic() + self.drain_seconds
            self._cond.notify_all()
        self._thread.join(self.drain_seconds + 60)  # a write under way may wait for its own timeouts first
        if self._thread.is_alive():
            log.error("question log: the writer did not stop; %d records may not be written", self.depth)
        self.database.log_flush = None

    # --- the writer thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while batch := self._take():
                self._write(batch)
                self._purge()
        finally:
            if self.database.path is not None:
                self.database.close()  # this thread's own SQLite connection (a PostgreSQL pool is the app's)

    def _take(self) -> list[Queued]:
        """The next batch, oldest first: waits while the queue is empty; empty once closed and drained."""
        with self._cond:
            while not self._queue and self._open:
                self._cond.wait()
            return [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]

    def _write(self, batch: list[Queued]) -> None:
        """Commit `batch` in one transaction, trying again while the database fails."""
        pause = FIRST_PAUSE
        while True:
            try:
                self.database.record_questions([record for _, record in batch])
            except self.database.backend.integrity_error as exc:
                self._count_failure()
                if len(batch) > 1:  # one refused record must not keep the others out: write them one by one
                    for item in batch:
                        self._write([item])
                    return
                log.error("question log: the database refuses record %s (%s); it is dropped", batch[0][1].id, exc)
                self._finish(batch, dropped=True)
                return
            except Exception as exc:
                self._count_failure()
                if time.monotonic() >= self._deadline:
                    self._give_up(batch, exc)
                    return
                log.warning("question log: writing %d records failed (%s); trying again in %.1f s",
                            len(batch), exc, pause)
                with self._cond:
                    self._cond.wait(min(pause, max(0.0, self._deadline - time.monotonic())))
                pause = min(2 * pause, MAX_PAUSE)
            else:
                self._finish(batch)
                return

    def _count_failure(self) -> None:
        with self._cond:
            self.failures += 1

    def _finish(self, batch: list[Queued], dropped: bool = False) -> None:
        """The batch is written (or given up on): readers waiting for it may go on."""
        with self._cond:
            for _, record in batch:
                self._pending.pop(record.id, None)
            if dropped:
                self.dropped += len(batch)
            else:
                self.written += len(batch)
            self._done = max(self._done, batch[-1][0])
            self._cond.notify_all()

    def _give_up(self, batch: list[Queued], error: Exception) -> None:
        """Shutting down and the database still fails: drop this batch and everything queued behind it."""
        with self._cond:
            batch = batch + list(self._queue)
            self._queue.clear()
        log.error("question log: the database still fails at shutdown after %.0f s (%s); %d records are not "
                  "written", self.drain_seconds, error, len(batch))
        self._finish(batch, dropped=True)

    def _purge(self) -> None:
        """Apply retention, at most once an hour, from the writer (as each write used to)."""
        try:
            self.database.purge_if_due(self.retention_days)
        except Exception as exc:
            log.warning("question log: applying retention failed (%s); it is tried again later", exc)
