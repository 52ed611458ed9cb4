"""Database: the question log, feedback and login failures in SQLite (WAL), behind a small interface.

Each thread gets its own connection; WAL plus a busy timeout make concurrent requests and several worker
processes safe. The schema is created and migrated here (PRAGMA user_version). A server database can replace
this module by offering the same methods.
"""
from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any

MIGRATIONS: list[str] = [
    # 1: the question log, feedback, login failures, settings the app generates for itself
    """
    CREATE TABLE questions (
        id TEXT PRIMARY KEY,
        asked_at TEXT NOT NULL,
        day TEXT NOT NULL,
        conversation_id TEXT NOT NULL DEFAULT '',
        visitor TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL,
        status TEXT NOT NULL,
        answer TEXT NOT NULL DEFAULT '',
        top_article TEXT,
        top_title TEXT,
        top_score REAL,
        nearest_passage TEXT,
        nearest_score REAL,
        latency_ms REAL NOT NULL
    );
    CREATE INDEX questions_day ON questions(day);
    CREATE INDEX questions_asked_at ON questions(asked_at);
    CREATE TABLE feedback (
        answer_id TEXT PRIMARY KEY REFERENCES questions(id) ON DELETE CASCADE,
        helpful INTEGER NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE TABLE login_failures (key TEXT NOT NULL, at TEXT NOT NULL);
    CREATE INDEX login_failures_key ON login_failures(key, at);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: why a question got no answer (not_covered, medical_advice, off_topic), for the insights page
    """
    ALTER TABLE questions ADD COLUMN reason TEXT;
    """,
]


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


class Database:
    """The app's SQLite database file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._last_purge: datetime | None = None
        self._migrate()

    def connect(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: writers queue instead of failing with 'database is locked'."""
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self.transaction() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        """The migration the file is at."""
        return int(self.connect().execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- generated settings -------------------------------------------------------------------------------

    def secret(self, name: str) -> str:
        """A random secret made once and shared by every worker process (e.g. for signing cookies)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
            if row is not None:
                return str(row["value"])
            value = secrets.token_hex(32)
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (name, value))
            return value

    # --- the question log ---------------------------------------------------------------------------------

    def record_question(self, record: QuestionRecord) -> None:
        """Log one /api/ask (the question must already be masked)."""
        at = record.asked_at or utcnow()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO questions (id, asked_at, day, conversation_id, visitor, question, status, answer,"
                " top_article, top_title, top_score, nearest_passage, nearest_score, latency_ms, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.id, at.isoformat(timespec="seconds"), at.date().isoformat(), record.conversation_id,
                 record.visitor, record.question, record.status, record.answer, record.top_article,
                 record.top_title, record.top_score, record.nearest_passage, record.nearest_score,
                 round(record.latency_ms, 2), record.reason),
            )

    def record_feedback(self, answer_id: str, helpful: bool, comment: str = "") -> None:
        """Store a visitor's vote; an unknown answer or a second vote raises FeedbackError."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM questions WHERE id = ?", (answer_id,)).fetchone() is None:
                raise FeedbackError("unknown_answer", f"no answer with id '{answer_id}'")
            try:
                conn.execute(
                    "INSERT INTO feedback (answer_id, helpful, comment, created_at) VALUES (?, ?, ?, ?)",
                    (answer_id, int(helpful), comment, utcnow().isoformat(timespec="seconds")),
                )
            except sqlite3.IntegrityError as exc:
                raise FeedbackError("already_voted", "this answer already has a vote") from exc

    def questions(self, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
        """Logged questions (with their vote, if any), oldest first."""
        since_s = (since or datetime(1970, 1, 1, tzinfo=UTC)).isoformat(timespec="seconds")
        until_s = (until or utcnow() + timedelta(days=1)).isoformat(timespec="seconds")
        rows = self.connect().execute(
            "SELECT q.*, f.helpful AS helpful, f.comment AS comment FROM questions q"
            " LEFT JOIN feedback f ON f.answer_id = q.id"
            " WHERE q.asked_at >= ? AND q.asked_at < ? ORDER BY q.asked_at, q.id",
            (since_s, until_s),
        ).fetchall()
        return [dict(row) for row in rows]

    def count_questions(self) -> int:
        """How many questions are logged."""
        return int(self.connect().execute("SELECT COUNT(*) FROM questions").fetchone()[0])

    def purge_older_than(self, days: int, now: datetime | None = None) -> int:
        """Delete log records (and their feedback) older than `days`; returns how many questions went."""
        cutoff = ((now or utcnow()) - timedelta(days=days)).isoformat(timespec="seconds")
        with self.transaction() as conn:
            deleted = conn.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount
            conn.execute("DELETE FROM login_failures WHERE at < ?", (cutoff,))
        return int(deleted)

    def purge_if_due(self, days: int, every: timedelta = timedelta(hours=1)) -> int:
        """Apply retention at most once per `every` in this process (called on start-up and on writes)."""
        now = utcnow()
        if self._last_purge is not None and now - self._last_purge < every:
            return 0
        self._last_purge = now
        return self.purge_older_than(days, now)

    # --- login failures -----------------------------------------------------------------------------------

    def add_login_failure(self, key: str, now: datetime | None = None) -> None:
        """Remember a failed login for `key` (a user name or a visitor hash)."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)",
                         (key, (now or utcnow()).isoformat(timespec="seconds")))

    def login_failures(self, key: str, window: timedelta, now: datetime | None = None) -> int:
        """Failed logins for `key` within the last `window`."""
        since = ((now or utcnow()) - window).isoformat(timespec="seconds")
        row = self.connect().execute(
            "SELECT COUNT(*) FROM login_failures WHERE key = ? AND at >= ?", (key, since)).fetchone()
        return int(row[0])

    def clear_login_failures(self, key: str) -> None:
        """Forget failures after a successful login."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))
