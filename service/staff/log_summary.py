"""Log summary: the counts the insights page is made from, from the database's aggregates or from log rows.

`from_database` asks the database to count (service/storage/log_stats.py); `summarise` counts the same things
in Python from `Database.questions` rows. Both give an equal `LogSummary` (a test holds them to it), so the
page and `build_insights` share everything after this step. Summaries of disjoint days merge (`merge`,
`merge_all`) and travel as compressed JSON (`to_bytes`), which is how service/staff/counted_days.py keeps the
days before today counted.
"""
from __future__ import annotations

import functools
import json
import zlib
from collections import Counter
from dataclasses import dataclass, replace
from collections.abc import Sequence
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

    @functools.cached_property
    def wordings_by_key(self) -> dict[tuple[Any, ...], Wording]:
        """Each wording by its (question, status, reason, top article, title): what `merge` looks up."""
        return {w[:5]: w for w in self.wordings}

    @functools.cached_property
    def nearest_by_pair(self) -> dict[tuple[str, str], float | None]:
        """Each (question, passage)'s best score."""
        return {(q, p): s for q, p, s in self.nearest}


def _int(value: Any) -> int:
    return int(value or 0)


def from_database(database: Database, first: str, last: str) -> LogSummary:
    """The summary of UTC days `first`..`last`, counted by the database."""
    return with_votes(database, count_questions(database, first, last), first, last)


def count_questions(database: Database, first: str, last: str) -> LogSummary:
    """What the questions of days `first`..`last` alone say (no votes, no unhelpful answers), by the database."""
    stats = database.stats
    return LogSummary(_question_days(database, first, last),
                      frozenset(_wording(r) for r in stats.wordings(first, last)),
                      frozenset(_nearest(r) for r in stats.nearest(first, last)), ())


def count_days(database: Database, first: str, last: str) -> dict[str, LogSummary]:
    """`count_questions` of each day `first`..`last` that has questions, in three queries for all of them."""
    stats = database.stats
    days = _question_days(database, first, last)
    wordings: dict[str, list[Wording]] = {d: [] for d in days}
    for r in stats.wordings(first, last, by_day=True):
        wordings.setdefault(str(r["day"]), []).append(_wording(r))
    nearest: dict[str, list[tuple[str, str, float | None]]] = {d: [] for d in days}
    for r in stats.nearest(first, last, by_day=True):
        nearest.setdefault(str(r["day"]), []).append(_nearest(r))
    return {d: LogSummary({d: t}, frozenset(wordings[d]), frozenset(nearest[d]), ()) for d, t in days.items()}


def _question_days(database: Database, first: str, last: str) -> dict[str, DayTotals]:
    return {str(r["day"]): DayTotals(day=str(r["day"]), **{f: _int(r.get(f)) for f in DAY_FIELDS})
            for r in database.stats.question_days(first, last)}


def _wording(row: dict[str, Any]) -> Wording:
    return Wording(str(row["question"]), str(row["status"]), row["reason"], row["top_article"], row["top_title"],
                   _int(row["n"]), str(row["latest"]))


def _nearest(row: dict[str, Any]) -> tuple[str, str, float | None]:
    return str(row["question"]), str(row["nearest_passage"]), row["nearest_score"]


def _higher(score: float | None, known: float | None) -> bool:
    """Whether `score` replaces `known` as a (question, passage)'s best score (no score yet: anything does)."""
    return known is None or (score is not None and score > known)


def with_votes(database: Database, summary: LogSummary, first: str, last: str) -> LogSummary:
    """`summary` with the votes on questions of days `first`..`last` and the newest answers voted not helpful."""
    stats = database.stats
    votes = stats.vote_days(first, last)
    days = {d: replace(t, helpful=votes.get(d, (0, 0))[0], not_helpful=votes.get(d, (0, 0))[1])
            for d, t in summary.days.items()}
    unhelpful = tuple({k: r[k] for k in UNHELPFUL_FIELDS} for r in stats.unhelpful(first, last, MAX_UNHELPFUL))
    return LogSummary(days, summary.wordings, summary.nearest, unhelpful)


def merge_all(summaries: Sequence[LogSummary]) -> LogSummary:
    """The summary of disjoint runs of days, oldest first, as if counted together (votes and unhelpful aside)."""
    counts: dict[tuple[Any, ...], tuple[int, str]] = {}
    best: dict[tuple[str, str], float | None] = {}
    days: dict[str, DayTotals] = {}
    for summary in summaries:
        days.update(summary.days)
        for w in summary.wordings:
            key = w[:5]
            if (known := counts.get(key)) is None:
                counts[key] = (w.asked, w.latest)
            else:
                counts[key] = (known[0] + w.asked, max(known[1], w.latest))
        for question, passage, score in summary.nearest:
            if (question, passage) not in best or _higher(score, best[(question, passage)]):
                best[(question, passage)] = score
    return LogSummary(days, frozenset(Wording._make((*k, n, latest)) for k, (n, latest) in counts.items()),
                      frozenset((q, p, sc) for (q, p), sc in best.items()), ())


def merge(older: LogSummary, newer: LogSummary) -> LogSummary:
    """The summary of two disjoint runs of days (`older`'s all before `newer`'s), as if counted together.

    Only `newer`'s entries are looked up in `older` (by its kept index), so merging a day into a quarter costs
    about the day.
    """
    by_key = older.wordings_by_key
    wordings = set(older.wordings)
    for w in newer.wordings:
        if (known := by_key.get(w[:5])) is not None:
            wordings.discard(known)
            wordings.add(Wording(*w[:5], known.asked + w.asked, max(known.latest, w.latest)))
        else:
            wordings.add(w)
    near = older.nearest_by_pair
    nearest = set(older.nearest)
    for question, passage, score in newer.nearest:
        if (question, passage) in near:
            if not _higher(score, near[(question, passage)]):
                continue
            nearest.discard((question, passage, near[(question, passage)]))
        nearest.add((question, passage, score))
    unhelpful = (*newer.unhelpful, *older.unhelpful)[:MAX_UNHELPFUL]
    return LogSummary({**older.days, **newer.days}, frozenset(wordings), frozenset(nearest), unhelpful)


def to_bytes(summary: LogSummary) -> bytes:
    """A question summary (days, wordings, nearest passages) as compressed JSON, to keep in the database."""
    data = {"days": [[t.day, *(getattr(t, f) for f in DAY_FIELDS)] for t in summary.days.values()],
            "wordings": [list(w) for w in summary.wordings], "nearest": [list(n) for n in summary.nearest]}
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 1)


def from_bytes(blob: bytes) -> LogSummary:
    """The summary `to_bytes` kept (no unhelpful answers: they come with the votes)."""
    data = json.loads(zlib.decompress(blob))
    days = {row[0]: DayTotals(row[0], *row[1:]) for row in data["days"]}
    return LogSummary(days, frozenset(map(Wording._make, data["wordings"])),
                      frozenset((q, p, s) for q, p, s in data["nearest"]), ())


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
            best[pair] = score if _higher(score, known) else known
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
