"""Database: the question log, feedback, staff sessions, login failures and rate-limit counters.

`Database(target)` takes a SQLite file path or a `postgresql://` URL (service/storage/backend.py) and brings
its schema up to date (service/storage/schema.py). SQLite suits one machine (WAL: several worker processes
share the file); PostgreSQL lets several replicas share one log, one set of sessions and one set of counters.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any

from service.storage.article_records import ArticleRecords
from service.storage.backend import Backend, is_server_url, open_backend
from service.storage.counters import DatabaseCounters
from service.storage.log_stats import LogStats
from service.storage.login_failures import SIGN_IN_LOCK, LoginFailures
from service.storage.schema import MIGRATIONS
from service.storage.sessions import SessionStore
from service.storage.vectors import VectorStore


class FeedbackError(ValueError):
    """Feedback that cannot be stored: `code` is "unknown_answer" or "already_voted"."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class QuestionRecord:
    """One answered (or refused) question, as logged."""

    id: str
    question: str
    status: str
    answer: str
    latency_ms: float
    conversation_id: str = ""
    visitor: str = ""
    top_article: str | None = None
    top_title: str | None = None
    top_score: float | None = None
    nearest_passage: str | None = None
    nearest_score: float | None = None
    asked_at: datetime | None = None
    reason: str | None = None


def utcnow() -> datetime:
    """Now, in UTC (one place, so tests and retention agree)."""
    return datetime.now(UTC)


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _question_row(record: QuestionRecord, at: datetime) -> tuple[Any, ...]:
    return (record.id, _stamp(at), at.date().isoformat(), record.conversation_id, record.visitor, record.question,
            record.status, record.answer, record.top_article, record.top_title, record.top_score,
            record.nearest_passage, record.nearest_score, round(record.latency_ms, 2), record.reason)


class Database:
    """The app's database: a SQLite file or a PostgreSQL server."""

    def __init__(self, target: str | Path, pool_size: int = 10) -> None:
        self.target = str(target)
        self.backend: Backend = open_backend(target, pool_size)
        self.path: Path | None = None if is_server_url(self.target) else Path(target)
        self._last_purge: datetime | None = None
        self.backend.migrate(MIGRATIONS)
        self.sessions = SessionStore(self.backend)
        self.counters = DatabaseCounters(self.backend)
        self.stats = LogStats(self.backend)  # the insights page's aggregates
        self.vectors = VectorStore(self.backend)  # the insights page's phrasing vectors
        self.articles = ArticleRecords(self.backend)  # staff changes to the articles: versions, trash, audit
        # Set by service/question_log.py while its writer runs, so readers of the log see every answer given.
        self.log_flush: Callable[[], object] | None = None

    @property
    def schema_version(self) -> int:
        """The migration the database is at."""
        return self.backend.version()

    def close(self) -> None:
        """Close this thread's connection (SQLite) or the pool (PostgreSQL)."""
        self.backend.close()

    def describe(self) -> str:
        """Which database this is, without its password (for logs and the staff pages)."""
        return self.backend.describe()

    # --- the question log ---------------------------------------------------------------------------------

    def record_question(self, record: QuestionRecord) -> None:
        """Log one /api/ask (the question must already be masked)."""
        self.record_questions([record])

    def record_questions(self, records: Sequence[QuestionRecord]) -> None:
        """Log several /api/ask in one transaction (service/question_log.py's batches); all or none."""
        now = utcnow()
        rows = [_question_row(record, record.asked_at or now) for record in records]
        with self.backend.transaction() as tx:
            tx.run_many(
                "INSERT INTO questions (id, asked_at, day, conversation_id, visitor, question, status, answer,"
                " top_article, top_title, top_score, nearest_passage, nearest_score, latency_ms, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def flush_log(self) -> None:
        """Wait until the records this process has queued are written: what a reader of the log calls first."""
        if self.log_flush is not None:
            self.log_flush()

    def record_feedback(self, answer_id: str, helpful: bool, comment: str = "") -> None:
        """Store a visitor's vote; an unknown answer or a second vote raises FeedbackError."""
        try:
            with self.backend.transaction() as tx:
                if tx.one("SELECT 1 AS found FROM questions WHERE id = ?", (answer_id,)) is None:
                    raise FeedbackError("unknown_answer", f"no answer with id '{answer_id}'")
                tx.run("INSERT INTO feedback (answer_id, helpful, comment, created_at) VALUES (?, ?, ?, ?)",
                       (answer_id, int(helpful), comment, _stamp(utcnow())))
        except self.backend.integrity_error as exc:
            raise FeedbackError("already_voted", "this answer already has a vote") from exc

    def questions(self, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
        """Logged questions (with their vote, if any), oldest first; this process's queued records included."""
        self.flush_log()
        since_s = _stamp(since or datetime(1970, 1, 1, tzinfo=UTC))
        until_s = _stamp(until or utcnow() + timedelta(days=1))
        with self.backend.read() as tx:
            return tx.rows(
                "SELECT q.*, f.helpful AS helpful, f.comment AS comment FROM questions q"
                " LEFT JOIN feedback f ON f.answer_id = q.id"
                " WHERE q.asked_at >= ? AND q.asked_at < ? ORDER BY q.asked_at, q.id",
                (since_s, until_s),
            )

    def count_questions(self) -> int:
        """How many questions are logged (this process's queued records included)."""
        self.flush_log()
        with self.backend.read() as tx:
            row = tx.one("SELECT COUNT(*) AS n FROM questions")
        return int(row["n"]) if row else 0

    def purge_older_than(self, days: int, now: datetime | None = None) -> int:
        """Delete log records (and their feedback) older than `days`, and expired sessions and counters."""
        now = now or utcnow()
        cutoff = _stamp(now - timedelta(days=days))
        with self.backend.transaction() as tx:
            tx.run("DELETE FROM feedback WHERE answer_id IN (SELECT id FROM questions WHERE asked_at < ?)",
                   (cutoff,))
            deleted = tx.run("DELETE FROM questions WHERE asked_at < ?", (cutoff,))
            tx.run("DELETE FROM login_failures WHERE at < ?", (_stamp(now - timedelta(days=1)),))
        self.sessions.purge(now)
        self.counters.purge()
        self.vectors.purge(cutoff)  # vectors of phrasings go with the log's retention
        return deleted

    def purge_if_due(self, days: int, every: timedelta = timedelta(hours=1)) -> int:
        """Apply retention at most once per `every` in this process (called on start-up and on writes)."""
        now = utcnow()
        if self._last_purge is not None and now - self._last_purge < every:
            return 0
        self._last_purge = now
        return self.purge_older_than(days, now)

    # --- login failures -----------------------------------------------------------------------------------

    @contextmanager
    def sign_in(self) -> Iterator[LoginFailures]:
        """The login failures in a write transaction holding the sign-in lock: one attempt at a time, everywhere."""
        with self.backend.transaction() as tx:
            tx.lock(SIGN_IN_LOCK)
            yield LoginFailures(tx)

    def add_login_failure(self, *keys: str, now: datetime | None = None) -> None:
        """Remember a failed login under each of `keys` (a user and client pair, a client)."""
        with self.backend.transaction() as tx:
            LoginFailures(tx).add(*keys, at=now or utcnow())

    def login_failures(self, key: str, window: timedelta, now: datetime | None = None) -> list[datetime]:
        """When `key` failed to log in within the last `window`, oldest first."""
        with self.backend.read() as tx:
            return LoginFailures(tx).times(key, window, now or utcnow())

    def count_login_failures(self, prefix: str, window: timedelta, now: datetime | None = None) -> int:
        """Failed logins of every key starting with `prefix` within `window` (the global ceiling)."""
        with self.backend.read() as tx:
            return LoginFailures(tx).count(prefix, window, now or utcnow())

    def clear_login_failures(self, key: str) -> None:
        """Forget failures after a successful login."""
        with self.backend.transaction() as tx:
            LoginFailures(tx).clear(key)
