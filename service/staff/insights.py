"""Insights: what the question log says, computed in plain Python for the staff insights page.

`build_insights` turns the log rows of a period (`Database.questions`) into per-day totals, question topics
(phrasings grouped by embedding similarity), content gaps (the unanswered topics), answers voted not helpful,
and how often each indexed article was cited. Nothing here knows about HTTP.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from index.passage import Passage

# Phrasings are one topic when the average cosine between them reaches GROUP_THRESHOLD, measured on the
# all-MiniLM-L6-v2 vectors after removing the clinic's "domain" direction (the mean of the article titles'
# vectors): raw, every question sharing "acupuncture" scores ~0.45 alike and one topic swallows half the log.
# Measured after that projection: "does it hurt"/"is it painful" 0.81, "does it hurt"/"will the needles sting"
# 0.41, "is it painful"/"will the needles sting" 0.35 (so "sting" joins the pair at 0.38), while
# "how much does it cost"/"does it hurt" is 0.10 and 95% of pairs of unrelated questions stay below 0.30.
GROUP_THRESHOLD = 0.35
MAX_DISTINCT = 2000  # distinct phrasings grouped per page load (the most recent), so the page stays fast
MAX_TOPICS = 20  # topics and gaps listed
MAX_PHRASINGS = 4  # other phrasings shown under a topic's example
MAX_UNHELPFUL = 50  # answers voted not helpful listed (most recent first)
STATUSES = ("answered", "no_answer", "emergency")

Embed = Callable[[Sequence[str]], np.ndarray]


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


@dataclass(frozen=True)
class NearestPassage:
    """The passage a question came closest to, as it is in the loaded index (if it still is)."""

    passage_id: str
    article_id: str
    title: str
    section: str
    anchor: str
    text: str
    score: float | None


@dataclass(frozen=True)
class Topic:
    """Phrasings asked about one thing: the most frequent is the example."""

    example: str
    count: int
    phrasings: list[tuple[str, int]]  # the other phrasings, most frequent first (at most MAX_PHRASINGS)
    answered: int = 0
    no_answer: int = 0
    emergency: int = 0
    nearest: NearestPassage | None = None  # gaps only: the best passage the bot had found
    reasons: tuple[tuple[str, int], ...] = ()  # gaps only: why they were not answered, most frequent first


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
    grouped_questions: int = 0  # how many of them were grouped (at most MAX_DISTINCT)
    threshold: float = GROUP_THRESHOLD


def normalise(question: str) -> str:
    """The phrasing key: lower case, single spaces, no trailing punctuation ("Does it hurt?" = "does it hurt")."""
    return re.sub(r"[\s?!.…]+$", "", " ".join(question.lower().split()))


def without_direction(vectors: np.ndarray, direction: np.ndarray | None) -> np.ndarray:
    """Unit vectors with their component along `direction` removed (nothing removed when it is None)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if direction is None or not len(vectors) or float(np.linalg.norm(direction)) < 1e-9:
        return vectors
    unit = (direction / np.linalg.norm(direction)).astype(np.float32)
    rest: np.ndarray = vectors - np.outer(vectors @ unit, unit)
    rest /= np.maximum(np.linalg.norm(rest, axis=1, keepdims=True), 1e-9)
    return rest


def group(vectors: np.ndarray, threshold: float = GROUP_THRESHOLD) -> list[list[int]]:
    """Group unit vectors (rows, in priority order) by average linkage; deterministic.

    The similarity of two groups is the mean cosine over all their pairs of members (sum·sum / sizes), so a
    growing group never drifts towards "any question about acupuncture" as a centroid would. A first pass
    puts each row into the most similar existing group if that reaches `threshold`, else starts a group;
    then groups are merged, most similar pair first, while the pair reaches `threshold`.
    Groups come back in order of their first row, each listing its rows in order.
    """
    n = len(vectors)
    if n == 0:
        return []
    sums = np.zeros_like(vectors, dtype=np.float32)
    sizes = np.zeros(n, dtype=np.float32)
    members: list[list[int]] = []
    for row in range(n):
        g = len(members)
        if g:
            sims = sums[:g] @ vectors[row] / sizes[:g]
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                members[best].append(row)
                sums[best] += vectors[row]
                sizes[best] += 1
                continue
        sums[g], sizes[g] = vectors[row], 1
        members.append([row])
    g = len(members)
    alive = np.ones(g, dtype=bool)
    sim = (sums[:g] @ sums[:g].T) / np.outer(sizes[:g], sizes[:g])
    np.fill_diagonal(sim, -np.inf)
    for _ in range(g - 1):
        a, b = divmod(int(np.argmax(sim)), g)
        if sim[a, b] < threshold:
            break
        keep, gone = min(a, b), max(a, b)
        members[keep].extend(members[gone])
        alive[gone] = False
        sums[keep] += sums[gone]
        sizes[keep] += sizes[gone]
        row_sims = np.where(alive, sums[:g] @ sums[keep] / (sizes[:g] * sizes[keep]), -np.inf)
        row_sims[keep] = -np.inf
        sim[keep, :] = sim[:, keep] = row_sims
        sim[gone, :] = sim[:, gone] = -np.inf
    return [sorted(members[i]) for i in range(g) if alive[i]]


def _nearest(rows: list[dict[str, Any]], passages: dict[str, Passage]) -> NearestPassage | None:
    """The passage with the highest score among the rows' nearest passages."""
    found = [r for r in rows if r.get("nearest_passage")]
    if not found:
        return None
    best = max(found, key=lambda r: (r.get("nearest_score") or 0.0, r["nearest_passage"]))
    pid = str(best["nearest_passage"])
    p = passages.get(pid)
    if p is None:
        return NearestPassage(pid, pid.split("#")[0], pid.split("#")[0], "", "", "", best.get("nearest_score"))
    return NearestPassage(pid, p.article_id, p.title or p.article_id, p.section, p.anchor, p.text,
                          best.get("nearest_score"))


def _topics(rows: list[dict[str, Any]], embed: Embed, passages: dict[str, Passage], titles: list[str],
            threshold: float) -> tuple[list[Topic], list[Topic], int, int]:
    """Topics over all rows and gaps over the unanswered rows, largest first; plus distinct/grouped counts."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in reversed(rows):  # newest first, so the cap keeps the most recent phrasings
        by_key.setdefault(normalise(str(row["question"])), []).append(row)
    by_key.pop("", None)
    keys = list(by_key)[:MAX_DISTINCT]
    keys.sort(key=lambda k: (-len(by_key[k]), k))
    vectors = np.zeros((0, 1), np.float32)
    if keys:
        domain = np.asarray(embed(titles), dtype=np.float32).mean(axis=0) if titles else None
        vectors = without_direction(np.asarray(embed(keys), dtype=np.float32), domain)
    topics: list[Topic] = []
    gaps: list[Topic] = []
    for members in group(vectors, threshold):
        phrasings = [keys[i] for i in members]
        topic_rows = [r for k in phrasings for r in by_key[k]]
        topics.append(_topic(phrasings, topic_rows, by_key))
        open_rows = [r for r in topic_rows if r["status"] == "no_answer"]
        if open_rows:
            open_phrasings = [k for k in phrasings if any(r["status"] == "no_answer" for r in by_key[k])]
            gaps.append(_topic(open_phrasings, open_rows, by_key, "no_answer", _nearest(open_rows, passages)))
    return _largest(topics), _largest(gaps), len(by_key), len(keys)


def _largest(topics: list[Topic]) -> list[Topic]:
    """The MAX_TOPICS largest topics, largest first (ties: alphabetical by example)."""
    return sorted(topics, key=lambda t: (-t.count, t.example.lower()))[:MAX_TOPICS]


def _topic(phrasings: list[str], rows: list[dict[str, Any]], by_key: dict[str, list[dict[str, Any]]],
           only: str | None = None, nearest: NearestPassage | None = None) -> Topic:
    """A topic from its phrasings' rows; each phrasing is shown as its most common original wording."""
    counts = Counter({k: sum(1 for r in by_key[k] if only is None or r["status"] == only) for k in phrasings})
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [(_wording(by_key[k]), n) for k, n in ranked]
    status = Counter(r["status"] for r in rows)
    reasons = Counter(str(r.get("reason") or "not_covered") for r in rows if r["status"] == "no_answer")
    return Topic(example=shown[0][0], count=len(rows), phrasings=shown[1: 1 + MAX_PHRASINGS],
                 answered=status["answered"], no_answer=status["no_answer"], emergency=status["emergency"],
                 nearest=nearest, reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))))


def _wording(rows: list[dict[str, Any]]) -> str:
    """The most common original wording of one phrasing (ties: the most recent)."""
    counts = Counter(" ".join(str(r["question"]).split()) for r in rows)
    return max(counts, key=lambda w: counts[w])


def _day_totals(day: str, rows: list[dict[str, Any]]) -> DayTotals:
    status = Counter(r["status"] for r in rows)
    return DayTotals(
        day=day, questions=len(rows), answered=status["answered"], no_answer=status["no_answer"],
        emergency=status["emergency"], helpful=sum(1 for r in rows if r.get("helpful") == 1),
        not_helpful=sum(1 for r in rows if r.get("helpful") == 0),
        visitors=len({r["visitor"] for r in rows if r.get("visitor")}),
    )


def build_insights(rows: list[dict[str, Any]], passages: Sequence[Passage], articles: Sequence[dict[str, Any]],
                   embed: Embed, period_days: int, today: date, threshold: float = GROUP_THRESHOLD) -> Insights:
    """The insights for the `period_days` days ending `today` (UTC days); rows outside the period are ignored.

    `rows` are `Database.questions` rows (oldest first); `embed` maps texts to unit vectors (the loaded
    model's `encode`); `passages` and `articles` are the loaded index's.
    """
    first = today - timedelta(days=period_days - 1)
    days = [(first + timedelta(days=i)).isoformat() for i in range(period_days)]
    rows = [r for r in rows if days[0] <= r["day"] <= days[-1]]
    by_day: dict[str, list[dict[str, Any]]] = {d: [] for d in days}
    for r in rows:
        by_day[r["day"]].append(r)
    per_day = [_day_totals(d, by_day[d]) for d in days]
    totals = DayTotals(day="total", **{
        f: sum(getattr(d, f) for d in per_day)
        for f in ("questions", "answered", "no_answer", "emergency", "helpful", "not_helpful", "visitors")})
    indexed = {str(a.get("article_id")): str(a.get("title") or a.get("article_id")) for a in articles}
    topics, gaps, distinct, grouped = _topics(rows, embed, {p.passage_id: p for p in passages},
                                              sorted(set(indexed.values())), threshold)
    titles = {str(r["top_article"]): str(r.get("top_title") or r["top_article"]) for r in rows if r.get("top_article")}
    titles.update(indexed)  # the index's current title wins over the one logged
    cites = Counter(str(r["top_article"]) for r in rows if r["status"] == "answered" and r.get("top_article"))
    cited = sorted((Cited(a, titles[a], n) for a, n in cites.items()), key=lambda c: (-c.count, c.title.lower()))
    never = sorted((Cited(a, t, 0) for a, t in indexed.items() if a not in cites), key=lambda c: c.title.lower())
    unhelpful = [Unhelpful(asked_at=str(r["asked_at"]), question=str(r["question"]), answer=str(r["answer"] or ""),
                           article_id=str(r.get("top_article") or ""),
                           title=titles.get(str(r.get("top_article") or ""), ""), comment=str(r.get("comment") or ""))
                 for r in reversed(rows) if r.get("helpful") == 0][:MAX_UNHELPFUL]
    return Insights(period_days=period_days, start=days[0], end=days[-1], days=per_day, totals=totals,
                    topics=topics, gaps=gaps, unhelpful=unhelpful, cited=cited, never_cited=never,
                    distinct_questions=distinct, grouped_questions=grouped, threshold=threshold)
