"""Log summary: the counts the insights page is made from, from the database's aggregates or from log rows.

`from_database` asks the database to count (service/storage/log_stats.py); `summarise` counts the same things
in Python from `Database.questions` rows. Both give an equal `LogSummary` (a test holds them to it), so the
page and `build_insights` share everything after this step.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from service.database import Database

MAX_UNHELPFUL = 50  # answers voted not helpful listed (most recent first)
DAY_FIELDS = ("questions", "answered", "no_answer", "emergency", "helpful", "not_helpful", "visitors")
UNHELPFUL_FIELDS = ("asked_at", "question", "answer", "top_article", "comment")


@dataclass(frozen=True)
class DayTotals:
    """One day of the period (UTC) or the whole period; `visitors` counts daily visitor ids."""

    day: str
    questions: int = 0
    answered: int = 0
    no_answer: int = 0
    emergency: int = 0
    helpful: int = 0
    not_helpful: int = 0
    visitors: int = 0


class Wording(NamedTuple):
    """Questions logged with one text, status, reason and top article: how many, and when the newest was asked."""

    question: str
    status: str
    reason: str | None
    top_article: str | None
    top_title: str | None
    asked: int  # how many times
    latest: str


@dataclass(frozen=True)
class LogSummary:
    """A period of the log, counted: days with questions, wordings, unanswered questions' nearest passages."""

    days: dict[str, DayTotals]
    wordings: frozenset[Wording]
    nearest: frozenset[tuple[str, str, float | None]]  # (question, passage id, its best score) when not answered
    unhelpful: tuple[dict[str, Any], ...]  # newest first: asked_at, question, answer, top_article, comment


def _int(value: Any) -> int:
    return int(value or 0)


def from_database(database: Database, first: str, last: str) -> LogSummary:
    """The summary of UTC days `first`..`last`, counted by the database."""
    stats = database.stats
    days = {str(r["day"]): DayTotals(day=str(r["day"]), **{f: _int(r[f]) for f in DAY_FIELDS})
            for r in stats.days(first, last)}
    wordings = frozenset(Wording(str(r["question"]), str(r["status"]), r["reason"], r["top_article"], r["top_title"],
                                 _int(r["n"]), str(r["latest"])) for r in stats.wordings(first, last))
    nearest = frozenset((str(r["question"]), str(r["nearest_passage"]), r["nearest_score"])
                        for r in stats.nearest(first, last))
    unhelpful = tuple({k: r[k] for k in UNHELPFUL_FIELDS} for r in stats.unhelpful(first, last, MAX_UNHELPFUL))
    return LogSummary(days, wordings, nearest, unhelpful)


def summarise(rows: list[dict[str, Any]], first: str, last: str) -> LogSummary:
    """The same summary counted in Python from `Database.questions` rows (oldest first)."""
    rows = [r for r in rows if first <= r["day"] <= last]
    by_day: dict[str, list[dict[str, Any]]] = {}
    counts: Counter[tuple[Any, ...]] = Counter()
    latest: dict[tuple[Any, ...], str] = {}
    best: dict[tuple[str, str], float | None] = {}
    for r in rows:
        by_day.setdefault(r["day"], []).append(r)
        key = (r["question"], r["status"], r.get("reason"), r.get("top_article"), r.get("top_title"))
        counts[key] += 1
        latest[key] = max(latest.get(key, ""), str(r["asked_at"]))
        if r["status"] == "no_answer" and r.get("nearest_passage"):
            pair = (str(r["question"]), str(r["nearest_passage"]))
            score, known = r.get("nearest_score"), best.get(pair)
            best[pair] = score if known is None or (score is not None and score > known) else known
    days = {d: DayTotals(
        day=d, questions=len(day_rows), answered=sum(r["status"] == "answered" for r in day_rows),
        no_answer=sum(r["status"] == "no_answer" for r in day_rows),
        emergency=sum(r["status"] == "emergency" for r in day_rows),
        helpful=sum(r.get("helpful") == 1 for r in day_rows), not_helpful=sum(r.get("helpful") == 0 for r in day_rows),
        visitors=len({r["visitor"] for r in day_rows if r.get("visitor")})) for d, day_rows in by_day.items()}
    wordings = frozenset(Wording(q, status, reason, article, title, n, latest[(q, status, reason, article, title)])
                         for (q, status, reason, article, title), n in counts.items())
    unhelpful = tuple({k: r.get(k) for k in UNHELPFUL_FIELDS}
                      for r in reversed(rows) if r.get("helpful") == 0)[:MAX_UNHELPFUL]
    return LogSummary(days, wordings, frozenset((q, p, s) for (q, p), s in best.items()), unhelpful)
