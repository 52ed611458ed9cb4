"""Reads of the question log for the staff insights page: aggregates, a version to cache by, pages for the CSV.

Every aggregate covers whole UTC days `first`..`last` (ISO dates, the `day` column) and returns one row per
group, so a page over 100,000 logged questions reads a few tens of thousands of rows of counts instead of
every question with its answer. Normalising phrasings and choosing topics stay in Python
(service/staff/topics.py): the SQL only counts, in the subset SQLite and PostgreSQL share.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.storage.backend import Backend

# `feedback f CROSS JOIN questions q WHERE q.id = f.answer_id`: in SQLite a CROSS JOIN keeps the written order,
# so the (small) feedback table drives and each vote finds its question by primary key; without it SQLite
# walks every question of the period to probe for a vote. PostgreSQL plans it as the inner join it is.
_VOTES_BY_DAY = (
    "SELECT q.day AS day, SUM(CASE WHEN f.helpful = 1 THEN 1 ELSE 0 END) AS helpful,"
    " SUM(CASE WHEN f.helpful = 0 THEN 1 ELSE 0 END) AS not_helpful"
    " FROM feedback f CROSS JOIN questions q WHERE q.id = f.answer_id AND q.day >= ? AND q.day <= ? GROUP BY q.day"
)
_UNHELPFUL = (
    "SELECT q.asked_at AS asked_at, q.question AS question, q.answer AS answer, q.top_article AS top_article,"
    " f.comment AS comment FROM feedback f CROSS JOIN questions q"
    " WHERE q.id = f.answer_id AND f.helpful = 0 AND q.day >= ? AND q.day <= ?"
    " ORDER BY q.asked_at DESC, q.id DESC LIMIT ?"
)
_LOG_PAGE = (
    "SELECT q.*, f.helpful AS helpful, f.comment AS comment FROM questions q LEFT JOIN feedback f ON f.answer_id = q.id"
    " WHERE q.asked_at >= ? AND q.asked_at < ? AND (q.asked_at > ? OR q.id > ?) ORDER BY q.asked_at, q.id LIMIT ?"
)


class LogStats:
    """Aggregates of the question log, computed by the database."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def question_days(self, first: str, last: str) -> list[dict[str, Any]]:
        """Per day: questions, answered, no_answer, emergency and visitors (distinct non-empty ids); no votes."""
        with self.backend.read() as tx:
            return tx.rows(
                "SELECT day, COUNT(*) AS questions,"
                " SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END) AS answered,"
                " SUM(CASE WHEN status = 'no_answer' THEN 1 ELSE 0 END) AS no_answer,"
                " SUM(CASE WHEN status = 'emergency' THEN 1 ELSE 0 END) AS emergency,"
                " COUNT(DISTINCT CASE WHEN visitor <> '' THEN visitor END) AS visitors"
                " FROM questions WHERE day >= ? AND day <= ? GROUP BY day", (first, last))

    def vote_days(self, first: str, last: str) -> dict[str, tuple[int, int]]:
        """Per day of the voted questions: (helpful, not helpful) votes. A vote may come days after its question."""
        with self.backend.read() as tx:
            return {str(r["day"]): (int(r["helpful"] or 0), int(r["not_helpful"] or 0))
                    for r in tx.rows(_VOTES_BY_DAY, (first, last))}

    def wordings(self, first: str, last: str, by_day: bool = False) -> list[dict[str, Any]]:
        """Per question text, status, reason and top article (with its logged title): count and newest asked_at.

        With `by_day`, per day as well (each row then has its `day`).
        """
        day = "day, " if by_day else ""
        with self.backend.read() as tx:
            return tx.rows(
                f"SELECT {day}question, status, reason, top_article, top_title, COUNT(*) AS n,"
                " MAX(asked_at) AS latest FROM questions WHERE day >= ? AND day <= ?"
                f" GROUP BY {day}question, status, reason, top_article, top_title", (first, last))

    def nearest(self, first: str, last: str, by_day: bool = False) -> list[dict[str, Any]]:
        """Per unanswered question text and the passage it came closest to: the best score (per day: `by_day`)."""
        day = "day, " if by_day else ""
        with self.backend.read() as tx:
            return tx.rows(
                f"SELECT {day}question, nearest_passage, MAX(nearest_score) AS nearest_score FROM questions"
                " WHERE status = 'no_answer' AND day >= ? AND day <= ? AND nearest_passage IS NOT NULL"
                f" AND nearest_passage <> '' GROUP BY {day}question, nearest_passage", (first, last))

    def unhelpful(self, first: str, last: str, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` answers voted not helpful: asked_at, question, answer, top_article, comment."""
        with self.backend.read() as tx:
            return tx.rows(_UNHELPFUL, (first, last, limit))

    def version(self, first: str) -> tuple[Any, ...]:
        """Changes whenever a question of the period or a vote is logged (or removed): what a cache is keyed by."""
        with self.backend.read() as tx:
            row = tx.one(
                "SELECT (SELECT COUNT(*) FROM questions WHERE day >= ?) AS questions,"
                " (SELECT MAX(asked_at) FROM questions) AS latest,"
                " (SELECT COUNT(*) FROM feedback) AS votes, (SELECT MAX(created_at) FROM feedback) AS voted", (first,))
        return tuple((row or {}).values())

    def day_sizes(self, first: str, last: str) -> dict[str, int]:
        """How many questions each day `first`..`last` holds (from the `day` index alone; days without none)."""
        with self.backend.read() as tx:
            return {str(r["day"]): int(r["n"]) for r in tx.rows(
                "SELECT day, COUNT(*) AS n FROM questions WHERE day >= ? AND day <= ? GROUP BY day", (first, last))}

    def kept_days(self, first: str, last: str) -> dict[str, tuple[str, bytes]]:
        """The counts kept for days `first`..`last`: day -> (the version they were counted at, their data)."""
        with self.backend.read() as tx:
            rows = tx.rows("SELECT day, version, data FROM insights_days WHERE day >= ? AND day <= ?", (first, last))
        return {str(r["day"]): (str(r["version"]), bytes(r["data"])) for r in rows}

    def keep_days(self, kept: Sequence[tuple[str, str, bytes]], now: str) -> None:
        """Keep (day, version, data) counts, replacing older ones; days older than the whole log go."""
        with self.backend.transaction() as tx:
            tx.run_many("INSERT INTO insights_days (day, version, data, created_at) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (day) DO UPDATE SET version = excluded.version, data = excluded.data,"
                        " created_at = excluded.created_at", [(d, v, data, now) for d, v, data in kept])
            tx.run("DELETE FROM insights_days WHERE day < (SELECT MIN(day) FROM questions)")

    def kept_run(self, run: str) -> tuple[str, bytes] | None:
        """The merged counts kept for a run of days ("first..last"): (their version, their data)."""
        with self.backend.read() as tx:
            row = tx.one("SELECT version, data FROM insights_runs WHERE run = ?", (run,))
        return (str(row["version"]), bytes(row["data"])) if row else None

    def keep_run(self, run: str, version: str, data: bytes, now: str, stale: str) -> None:
        """Keep a run's merged counts (replacing older ones); runs last written before `stale` go."""
        with self.backend.transaction() as tx:
            tx.run("INSERT INTO insights_runs (run, version, data, created_at) VALUES (?, ?, ?, ?)"
                   " ON CONFLICT (run) DO UPDATE SET version = excluded.version, data = excluded.data,"
                   " created_at = excluded.created_at", (run, version, data, now))
            tx.run("DELETE FROM insights_runs WHERE created_at < ?", (stale,))

    def page(self, since: str, until: str, after: tuple[str, str] | None, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` log rows (with their vote) with since <= asked_at < until after the row `after`, in order.

        Keyset paging on (asked_at, id): each page starts where the last ended, so the CSV streams the log in
        constant memory and no page re-reads the ones before it.
        """
        start, last_id = after if after else (since, "")
        with self.backend.read() as tx:
            return tx.rows(_LOG_PAGE, (start, until, start if after else "", last_id, limit))

