"""Insights: what the question log says, for the staff insights page. Nothing here knows about HTTP.

A period's log is first counted (`service/staff/log_summary.py`: by the database in `log_insights`, in Python
from log rows in `build_insights`), then turned into per-day totals, question topics (phrasings grouped by
embedding similarity, `service/staff/topics.py`), content gaps (the unanswered topics), answers voted not
helpful, and how often each indexed article was cited.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from index.passage import Passage
from service.database import Database
from service.staff.counted_days import CountedDays
from service.staff.log_summary import DAY_FIELDS, MAX_UNHELPFUL, DayTotals, LogSummary, from_database, summarise
from service.staff.topics import (GROUP_THRESHOLD, MAX_DISTINCT, MAX_PHRASINGS, MAX_TOPICS, NearestPassage, Topic,
                                  Vectors, find_topics, group, normalise, without_direction)

__all__ = ["GROUP_THRESHOLD", "MAX_DISTINCT", "MAX_PHRASINGS", "MAX_TOPICS", "MAX_UNHELPFUL", "STATUSES", "Cited",
           "DayTotals", "Insights", "NearestPassage", "Topic", "Unhelpful", "build_insights", "group",
           "log_insights", "normalise", "period_days_of", "without_direction"]

STATUSES = ("answered", "no_answer", "emergency")

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Unhelpful:
    """An answer a visitor voted not helpful."""

    asked_at: str
    question: str
    answer: str
    article_id: str
    title: str
    comment: str


@dataclass(frozen=True)
class Cited:
    """An indexed (or formerly indexed) article and how many answered questions it was the top source of."""

    article_id: str
    title: str
    count: int


@dataclass(frozen=True)
class Insights:
    """Everything the insights page shows for one period."""

    period_days: int
    start: str
    end: str
    days: list[DayTotals]
    totals: DayTotals
    topics: list[Topic]
    gaps: list[Topic]
    unhelpful: list[Unhelpful]
    cited: list[Cited]
    never_cited: list[Cited]
    distinct_questions: int = 0  # distinct phrasings in the period
    grouped_questions: int = 0  # how many of them were grouped (the most frequent, at most MAX_DISTINCT)
    threshold: float = GROUP_THRESHOLD
    grouped_asked: int = 0  # questions asked in the grouped phrasings
    pending: int = 0  # phrasings to group that have no vector yet (embedded on the next page loads)


def period_days_of(period_days: int, today: date) -> list[str]:
    """The period's UTC days, oldest first, as ISO dates."""
    first = today - timedelta(days=period_days - 1)
    return [(first + timedelta(days=i)).isoformat() for i in range(period_days)]


def _articles(summary: LogSummary, indexed: dict[str, str]) -> tuple[dict[str, str], Counter[str]]:
    """Each article's title (the index's, else the newest logged one) and its answered questions."""
    logged: dict[str, tuple[str, str]] = {}  # article -> (newest asked_at, its logged title)
    cites: Counter[str] = Counter()
    for w in summary.wordings:
        if not w.top_article:
            continue
        title = str(w.top_title or w.top_article)
        logged[w.top_article] = max(logged.get(w.top_article, ("", "")), (w.latest, title))
        if w.status == "answered":
            cites[w.top_article] += w.asked
    titles = {article: title for article, (_, title) in logged.items()}
    titles.update(indexed)  # the index's current title wins over the one logged
    return titles, cites


def compose(summary: LogSummary, passages: Sequence[Passage], articles: Sequence[dict[str, Any]],
            vectors: Vectors, period_days: int, today: date, threshold: float = GROUP_THRESHOLD) -> Insights:
    """The insights of a counted period: `vectors` gives phrasing vectors, `passages`/`articles` are the index's."""
    days = period_days_of(period_days, today)
    per_day = [summary.days.get(d, DayTotals(day=d)) for d in days]
    totals = DayTotals(day="total", **{f: sum(getattr(d, f) for d in per_day) for f in DAY_FIELDS})
    indexed = {str(a.get("article_id")): str(a.get("title") or a.get("article_id")) for a in articles}
    found = find_topics(summary, vectors, {p.passage_id: p for p in passages}, sorted(set(indexed.values())),
                        threshold)
    titles, cites = _articles(summary, indexed)
    cited = sorted((Cited(a, titles[a], n) for a, n in cites.items()), key=lambda c: (-c.count, c.title.lower()))
    never = sorted((Cited(a, t, 0) for a, t in indexed.items() if a not in cites), key=lambda c: c.title.lower())
    unhelpful = [Unhelpful(asked_at=str(r["asked_at"]), question=str(r["question"]), answer=str(r["answer"] or ""),
                           article_id=str(r.get("top_article") or ""),
                           title=titles.get(str(r.get("top_article") or ""), ""), comment=str(r.get("comment") or ""))
                 for r in summary.unhelpful]
    return Insights(period_days=period_days, start=days[0], end=days[-1], days=per_day, totals=totals,
                    topics=found.topics, gaps=found.gaps, unhelpful=unhelpful, cited=cited, never_cited=never,
                    distinct_questions=found.distinct, grouped_questions=found.grouped, threshold=threshold,
                    grouped_asked=found.grouped_asked, pending=found.pending)


def log_insights(database: Database, passages: Sequence[Passage], articles: Sequence[dict[str, Any]],
                 vectors: Vectors, period_days: int, today: date, threshold: float = GROUP_THRESHOLD,
                 counted: CountedDays | None = None) -> Insights:
    """The insights for the `period_days` UTC days ending `today`, counted by the database (what the page shows).

    With `counted`, the days before today are counted once and kept (service/staff/counted_days.py).
    """
    days = period_days_of(period_days, today)
    summary = counted.summary(days[0], today) if counted else from_database(database, days[0], days[-1])
    return compose(summary, passages, articles, vectors, period_days, today, threshold)


def build_insights(rows: list[dict[str, Any]], passages: Sequence[Passage], articles: Sequence[dict[str, Any]],
                   embed: Embed, period_days: int, today: date, threshold: float = GROUP_THRESHOLD) -> Insights:
    """The same insights from log rows, counted in Python; rows outside the period are ignored.

    `rows` are `Database.questions` rows (oldest first); `embed` maps texts to unit vectors (the loaded
    model's `encode`); `passages` and `articles` are the loaded index's.
    """
    days = period_days_of(period_days, today)

    def vectors(texts: Sequence[str]) -> dict[str, np.ndarray]:
        return dict(zip(texts, np.asarray(embed(list(texts)), dtype=np.float32), strict=True))

    return compose(summarise(rows, days[0], days[-1]), passages, articles, vectors, period_days, today, threshold)
