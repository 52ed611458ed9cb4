"""Topics: the period's phrasings grouped by meaning with the bot's model, and the unanswered ones (content gaps).

A phrasing is a question's normalised text ("Does it hurt?" = "does it hurt"). The MAX_DISTINCT most frequent
phrasings of the period are grouped (the rare rest are mostly one-off typos, and the page lists only the
MAX_TOPICS largest topics); `vectors` gives their vectors — all of them, or, within an embedding budget, the
most frequent first, the others left for the next page load (`Topics.pending`).
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.passage import Passage
from service.staff.log_summary import LogSummary

# Phrasings are one topic when the average cosine between them reaches GROUP_THRESHOLD, measured on the
# all-MiniLM-L6-v2 vectors after removing the clinic's "domain" direction (the mean of the article titles'
# vectors): raw, every question sharing "acupuncture" scores ~0.45 alike and one topic swallows half the log.
# Measured after that projection: "does it hurt"/"is it painful" 0.81, "does it hurt"/"will the needles sting"
# 0.41, "is it painful"/"will the needles sting" 0.35 (so "sting" joins the pair at 0.38), while
# "how much does it cost"/"does it hurt" is 0.10 and 95% of pairs of unrelated questions stay below 0.30.
GROUP_THRESHOLD = 0.35
# Distinct phrasings grouped per period, the most frequent first. In a generated log of 100,000 questions
# (benchmarks/insights.py) 21,000 phrasings are distinct and the 2,000 most frequent are 77% of the questions;
# the rest are asked at most four times each.
MAX_DISTINCT = 2000
MAX_TOPICS = 20  # topics and gaps listed
MAX_PHRASINGS = 4  # other phrasings shown under a topic's example

Vectors = Callable[[Sequence[str]], dict[str, np.ndarray]]  # texts -> the unit vectors it has or can make now


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
class Topics:
    """The largest topics and gaps, and how much of the period they were grouped from."""

    topics: list[Topic]
    gaps: list[Topic]
    distinct: int  # distinct phrasings in the period
    grouped: int  # how many of them were grouped
    grouped_asked: int  # questions asked in those phrasings
    pending: int  # phrasings among the MAX_DISTINCT most frequent with no vector yet


@dataclass
class _Phrasing:
    """One phrasing's questions: by status, unanswered by reason, by original wording, their nearest passages."""

    statuses: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    wordings: dict[str, tuple[int, str]] = field(default_factory=dict)  # wording -> (count, newest asked_at)
    nearest: list[tuple[str, float | None]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    def wording(self) -> str:
        """The most common original wording (spaces collapsed); ties: the most recently asked."""
        return max(self.wordings, key=lambda w: (*self.wordings[w], w))


@functools.lru_cache(maxsize=1 << 17)  # a page over 100,000 questions normalises ~30,000 wordings: once each
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


def _phrasings(summary: LogSummary, limit: int) -> tuple[int, dict[str, _Phrasing]]:
    """How many phrasings the period has (the empty one dropped), and the `limit` most frequent, tallied.

    Only those are tallied in full: a big log has tens of thousands of rare phrasings that are never grouped.
    """
    keys = {q: normalise(q) for q in {w.question for w in summary.wordings}}
    counts: dict[str, int] = {}
    for w in summary.wordings:
        counts[keys[w.question]] = counts.get(keys[w.question], 0) + w.asked
    counts.pop("", None)
    tallies = {k: _Phrasing() for k in sorted(counts, key=lambda k: (-counts[k], k))[:limit]}
    for w in summary.wordings:
        if (tally := tallies.get(keys[w.question])) is None:
            continue
        tally.statuses[w.status] += w.asked
        if w.status == "no_answer":
            tally.reasons[str(w.reason or "not_covered")] += w.asked  # logged without a reason: not covered
        wording = " ".join(w.question.split())
        count, latest = tally.wordings.get(wording, (0, ""))
        tally.wordings[wording] = (count + w.asked, max(latest, w.latest))
    for question, passage_id, score in summary.nearest:
        if (target := tallies.get(keys.get(question) or normalise(question))) is not None:
            target.nearest.append((passage_id, score))
    return len(counts), tallies


def _nearest(candidates: list[tuple[str, float | None]], passages: dict[str, Passage]) -> NearestPassage | None:
    """The candidate passage with the highest score, as the loaded index has it."""
    if not candidates:
        return None
    pid, score = max(candidates, key=lambda c: (c[1] or 0.0, c[0]))
    p = passages.get(pid)
    if p is None:
        return NearestPassage(pid, pid.split("#")[0], pid.split("#")[0], "", "", "", score)
    return NearestPassage(pid, p.article_id, p.title or p.article_id, p.section, p.anchor, p.text, score)


def _topic(keys: list[str], tallies: dict[str, _Phrasing], only: str | None = None,
           nearest: NearestPassage | None = None) -> Topic:
    """A topic from its phrasings (only their `only` questions, when given); each shown as its usual wording."""
    counts = {k: tallies[k].statuses[only] if only else tallies[k].count for k in keys}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [(tallies[k].wording(), n) for k, n in ranked]
    status: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for k in keys:
        status.update({only: counts[k]} if only else tallies[k].statuses)
        reasons.update(tallies[k].reasons)
    return Topic(example=shown[0][0], count=sum(counts.values()), phrasings=shown[1: 1 + MAX_PHRASINGS],
                 answered=status["answered"], no_answer=status["no_answer"], emergency=status["emergency"],
                 nearest=nearest, reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))))


def _largest(topics: list[Topic]) -> list[Topic]:
    """The MAX_TOPICS largest topics, largest first (ties: alphabetical by example)."""
    return sorted(topics, key=lambda t: (-t.count, t.example.lower()))[:MAX_TOPICS]


def find_topics(summary: LogSummary, vectors: Vectors, passages: dict[str, Passage], titles: list[str],
                threshold: float = GROUP_THRESHOLD, limit: int = MAX_DISTINCT) -> Topics:
    """Topics over all questions and gaps over the unanswered ones, largest first."""
    distinct, tallies = _phrasings(summary, limit)
    ranked = list(tallies)  # most frequent first
    # the titles first: every phrasing's vector is read against their direction, whatever the budget
    title_vectors = list(vectors(titles).values()) if ranked and titles else []
    found = vectors(ranked) if ranked else {}
    keys = [k for k in ranked if k in found]
    matrix = np.zeros((0, 1), np.float32)
    if keys:
        domain = np.mean(np.stack(title_vectors), axis=0) if title_vectors else None
        matrix = without_direction(np.stack([found[k] for k in keys]), domain)
    topics: list[Topic] = []
    gaps: list[Topic] = []
    for members in group(matrix, threshold):
        phrasings = [keys[i] for i in members]
        topics.append(_topic(phrasings, tallies))
        open_keys = [k for k in phrasings if tallies[k].statuses["no_answer"]]
        if open_keys:
            candidates = [c for k in open_keys for c in tallies[k].nearest]
            gaps.append(_topic(open_keys, tallies, "no_answer", _nearest(candidates, passages)))
    return Topics(_largest(topics), _largest(gaps), distinct=distinct, grouped=len(keys),
                  grouped_asked=sum(tallies[k].count for k in keys), pending=len(ranked) - len(keys))
