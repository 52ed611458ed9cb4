"""The insights page (/staff/insights) and its CSV against a question log seeded with known rows.

A real SQLite file and the real model: every number on the page and in `build_insights` is checked against
the seed below (written out by hand, not recomputed), as are the topics, gaps, unhelpful answers and citations.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, UTC
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from benchmarks.insights import fill
from index.embedder import Embedder
from index.store import read_index
from service.app import create_app
from service.staff.chart import nice_max, questions_chart
from service.staff.counted_days import CountedDays
from service.database import Database, QuestionRecord, utcnow
from service.staff.insights import (GROUP_THRESHOLD, DayTotals, build_insights, group, log_insights, normalise,
                                    period_days_of, without_direction)
from service.staff.insights_cache import EMBED_BATCH, PhrasingVectors
from service.staff.insights_page import csv_cell, parse_days
from service.staff.log_summary import from_database, summarise
from service.settings import Settings
from tests.conftest import staff_login

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
TODAY = utcnow().date()
FIELDS = ("questions", "answered", "no_answer", "emergency", "helpful", "not_helpful", "visitors")


@dataclass(frozen=True)
class Seed:
    """One logged question: `ago` days before today; `nearest` names a passage chosen in the fixture."""

    ago: int
    question: str
    status: str
    visitor: str = ""
    top: str | None = None
    nearest: str | None = None
    nearest_score: float | None = None
    helpful: bool | None = None
    comment: str = ""
    reason: str | None = None


FORMULA = '=HYPERLINK("http://evil.test","click")'
SEED = [
    Seed(0, "Does it hurt?", "answered", "a", top="needle-safety", helpful=True),
    Seed(0, "How much does it cost?", "answered", "a", top="fees-and-insurance", helpful=False, comment="too vague"),
    Seed(0, "do you treat dogs", "no_answer", "b", nearest="dogs", nearest_score=0.31, reason="off_topic"),
    Seed(1, "is it painful", "answered", "c", top="needle-safety", helpful=False, comment=FORMULA),
    Seed(1, "do you treat dogs", "no_answer", "c", nearest="dogs", nearest_score=0.29),
    Seed(1, "I can't breathe", "emergency", ""),
    Seed(2, "will the needles sting", "answered", "d", top="needle-safety", helpful=True),
    Seed(2, "is there parking near the clinic", "no_answer", "e", nearest="park", nearest_score=0.27),
    Seed(3, "how much does it cost", "answered", "f", top="fees-and-insurance", helpful=True),
    Seed(4, "can you treat my cat", "no_answer", "g", nearest="cat", nearest_score=0.35, reason="off_topic"),
    Seed(5, "where can I park?", "no_answer", "g", nearest="park", nearest_score=0.22),
    Seed(5, "=1+2 what are your opening hours", "no_answer", "h", nearest="park", nearest_score=0.12),
    # outside a 7-day period (inside 30 days)
    Seed(7, "does it hurt", "answered", "a", top="needle-safety", helpful=False),
    Seed(7, "do you treat dogs", "no_answer", "b", nearest="dogs", nearest_score=0.30),
    Seed(9, "what is cupping", "answered", "i", top="cupping-therapy", helpful=True),
]
# The seed by day for a 7-day period, counted by hand (visitors: distinct non-empty ids per day).
EXPECTED_7 = {
    0: dict(questions=3, answered=2, no_answer=1, emergency=0, helpful=1, not_helpful=1, visitors=2),
    1: dict(questions=3, answered=1, no_answer=1, emergency=1, helpful=0, not_helpful=1, visitors=1),
    2: dict(questions=2, answered=1, no_answer=1, emergency=0, helpful=1, not_helpful=0, visitors=2),
    3: dict(questions=1, answered=1, no_answer=0, emergency=0, helpful=1, not_helpful=0, visitors=1),
    4: dict(questions=1, answered=0, no_answer=1, emergency=0, helpful=0, not_helpful=0, visitors=1),
    5: dict(questions=2, answered=0, no_answer=2, emergency=0, helpful=0, not_helpful=0, visitors=2),
    6: dict(questions=0, answered=0, no_answer=0, emergency=0, helpful=0, not_helpful=0, visitors=0),
}
TOTALS_7 = dict(questions=12, answered=5, no_answer=6, emergency=1, helpful=3, not_helpful=2, visitors=9)
TOTALS_30 = dict(questions=15, answered=7, no_answer=7, emergency=1, helpful=4, not_helpful=3, visitors=12)
ALL_ARTICLES = {"acupuncture-upper-back-pain-naturally", "relieving-upper-back-pain-with-acupuncture", "aftercare",
                "cupping-therapy", "fees-and-insurance", "first-visit", "needle-safety"}


def day(ago: int) -> str:
    return (TODAY - timedelta(days=ago)).isoformat()


# --- a small HTML tree ----------------------------------------------------------------------------------

class Node:
    """One element of a parsed page."""

    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Node | str] = []

    def get(self, name: str) -> str:
        return self.attrs.get(name) or ""

    def text(self) -> str:
        return " ".join("".join(c if isinstance(c, str) else " " + c.text() + " " for c in self.children).split())

    def iter(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def all(self, selector: str) -> list[Node]:
        """Descendants matching `tag#id.class[attr=value]` (each part optional)."""
        tag, _, rest = selector.partition("[")
        tag, *classes = tag.split(".")
        tag, _, wanted_id = tag.partition("#")
        attr, _, value = rest.rstrip("]").partition("=")
        return [n for n in self.iter() if (not tag or n.tag == tag) and (not wanted_id or n.get("id") == wanted_id)
                and all(c in n.get("class").split() for c in classes)
                and (not attr or (n.attrs.get(attr) is not None and (not value or n.get(attr) == value)))]

    def one(self, selector: str) -> Node:
        found = self.all(selector)
        assert len(found) == 1, f"expected one {selector}, found {len(found)}"
        return found[0]


class Tree(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    return Tree(html).root


# --- fixtures -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def passages(index_dir: Path) -> dict[str, str]:
    """Real passage ids for the seed's `nearest` names."""
    stored = read_index(index_dir)
    first_visit = [p for p in stored.passages if p.article_id == "first-visit"]
    fees = [p for p in stored.passages if p.article_id == "fees-and-insurance"]
    return {"dogs": first_visit[0].passage_id, "cat": first_visit[1].passage_id, "park": fees[0].passage_id}


def seed_database(path: Path, passages: dict[str, str]) -> Database:
    database = Database(path)
    for i, s in enumerate(SEED):
        at = datetime.combine(TODAY - timedelta(days=s.ago), time(9, 0), tzinfo=UTC) + timedelta(minutes=i)
        database.record_question(QuestionRecord(
            id=f"q{i:02d}", question=s.question, status=s.status, visitor=s.visitor, conversation_id=f"c{i}",
            answer=f"Quoted answer {i}." if s.status == "answered" else "", latency_ms=10.0 + i,
            top_article=s.top, top_title=f"Logged title of {s.top}" if s.top else None,
            top_score=0.61 if s.top else None, nearest_passage=passages[s.nearest] if s.nearest else None,
            nearest_score=s.nearest_score, asked_at=at, reason=s.reason))
        if s.helpful is not None:
            database.record_feedback(f"q{i:02d}", s.helpful, s.comment)
    return database


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, passages: dict[str, str]) -> Database:
    return seed_database(tmp_path_factory.mktemp("insights") / "clinicbot.db", passages)


@contextmanager
def signed_in_client(settings: Settings, embedder: Embedder, db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"database": str(db)}), embedder)) as client:
        staff_login(client)
        yield client


@pytest.fixture(scope="module")
def client(settings: Settings, embedder: Embedder, database: Database) -> Iterator[TestClient]:
    """The real app over the seeded log, signed in as staff."""
    with signed_in_client(settings, embedder, database.path) as test_client:
        yield test_client


# --- build_insights -------------------------------------------------------------------------------------

def test_grouping_threshold_with_the_real_model(embedder: Embedder, index_dir: Path) -> None:
    titles = [a["title"] for a in read_index(index_dir).articles]
    keys = [normalise(q) for q in ("Does it hurt?", "is it painful", "will the needles sting",
                                   "how much does it cost")]
    vectors = without_direction(embedder.encode(keys), embedder.encode(titles).mean(axis=0))
    assert group(vectors) == [[0, 1, 2], [3]]
    assert float(vectors[0] @ vectors[3]) < GROUP_THRESHOLD / 2, "cost and pain are far apart"
    assert group(vectors, threshold=0.99) == [[0], [1], [2], [3]]
    assert group(np.zeros((0, 4), np.float32)) == []


def test_build_insights_matches_the_seed(database: Database, embedder: Embedder, index_dir: Path,
                                         passages: dict[str, str]) -> None:
    stored = read_index(index_dir)
    data = build_insights(database.questions(), stored.passages, stored.articles, embedder.encode, 7, TODAY)
    assert (data.start, data.end) == (day(6), day(0))
    assert [d.day for d in data.days] == [day(ago) for ago in range(6, -1, -1)]
    for d in data.days:
        ago = (TODAY - date.fromisoformat(d.day)).days
        assert {f: getattr(d, f) for f in FIELDS} == EXPECTED_7[ago], d.day
    assert data.totals == DayTotals(day="total", **TOTALS_7)

    topics = {t.example: t for t in data.topics}
    assert set(topics) == {"Does it hurt?", "do you treat dogs", "How much does it cost?",
                           "is there parking near the clinic", "I can't breathe", "=1+2 what are your opening hours"}
    pain = topics["Does it hurt?"]
    assert (pain.count, pain.answered, pain.no_answer) == (3, 3, 0)
    assert sorted(pain.phrasings) == [("is it painful", 1), ("will the needles sting", 1)]
    cost = topics["How much does it cost?"]  # "how much does it cost" is the same phrasing; the newest wording shows
    assert (cost.count, cost.phrasings) == (2, [])
    assert [t.count for t in data.topics] == sorted((t.count for t in data.topics), reverse=True)
    assert topics["I can't breathe"].emergency == 1

    assert [(g.example, g.count) for g in data.gaps] == [
        ("do you treat dogs", 3), ("is there parking near the clinic", 2), ("=1+2 what are your opening hours", 1)]
    dogs, park, _ = data.gaps
    assert dogs.phrasings == [("can you treat my cat", 1)]
    assert dogs.reasons == (("off_topic", 2), ("not_covered", 1))  # a row logged without a reason counts as not covered
    assert dogs.nearest is not None and dogs.nearest.passage_id == passages["cat"]  # the best of 0.31, 0.29, 0.35
    assert (dogs.nearest.article_id, dogs.nearest.score) == ("first-visit", 0.35)
    assert dogs.nearest.text == next(p.text for p in stored.passages if p.passage_id == passages["cat"])
    assert park.nearest is not None and (park.nearest.passage_id, park.nearest.score) == (passages["park"], 0.27)

    assert [(u.question, u.answer, u.article_id, u.comment) for u in data.unhelpful] == [
        ("How much does it cost?", "Quoted answer 1.", "fees-and-insurance", "too vague"),
        ("is it painful", "Quoted answer 3.", "needle-safety", FORMULA)]  # newest first
    assert data.unhelpful[1].title == "How Safe Are Acupuncture Needles? Your Questions Answered"
    assert [(c.article_id, c.count) for c in data.cited] == [("needle-safety", 3), ("fees-and-insurance", 2)]
    assert {c.article_id for c in data.never_cited} == ALL_ARTICLES - {"needle-safety", "fees-and-insurance"}


def test_build_insights_thirty_days_and_empty(database: Database, embedder: Embedder, index_dir: Path) -> None:
    stored = read_index(index_dir)
    data = build_insights(database.questions(), stored.passages, stored.articles, embedder.encode, 30, TODAY)
    assert len(data.days) == 30 and data.totals == DayTotals(day="total", **TOTALS_30)
    assert [(c.article_id, c.count) for c in data.cited] == [
        ("needle-safety", 4), ("fees-and-insurance", 2), ("cupping-therapy", 1)]
    assert data.gaps[0].example == "do you treat dogs" and data.gaps[0].count == 4
    empty = build_insights([], stored.passages, stored.articles, embedder.encode, 7, TODAY)
    assert empty.totals == DayTotals(day="total") and len(empty.days) == 7
    assert (empty.topics, empty.gaps, empty.unhelpful, empty.cited) == ([], [], [], [])
    assert {c.article_id for c in empty.never_cited} == ALL_ARTICLES


def test_helpers() -> None:
    assert [parse_days(raw, 90) for raw in (None, "", "7", " 30 ", "90", "1000", "0", "-5", "abc", "7.5")] == [
        30, 30, 7, 30, 90, 90, 1, 1, 30, 30]
    assert parse_days(None, 10) == 10
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "ok", None, 0.5, -0.5, 3)] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "ok", "", "0.5", "-0.5", "3"]
    assert [nice_max(v) for v in (0, 1, 4, 5, 6, 12, 37, 101)] == [
        (1, 1), (1, 1), (4, 1), (5, 1), (6, 2), (15, 5), (40, 10), (150, 50)]
    svg = questions_chart([DayTotals(day="2024-05-01", questions=2, answered=1, emergency=1)])
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg and "<desc" in svg


# --- the page -------------------------------------------------------------------------------------------

def totals_on(page: Node) -> dict[str, int]:
    return {div.get("data-key"): int(div.one("dd").text()) for div in page.one("dl.insights-totals").all("div")}


def test_page_numbers_match_the_seed(client: TestClient, passages: dict[str, str]) -> None:
    response = client.get("/staff/insights?days=7")
    assert response.status_code == 200
    page = parse(response.text)
    assert totals_on(page) == TOTALS_7
    rows = page.one("table.days-table").one("tbody").all("tr")
    assert [r.get("data-day") for r in rows] == [day(ago) for ago in range(7)]
    for r in rows:
        ago = (TODAY - date.fromisoformat(r.get("data-day"))).days
        assert {td.get("data-key"): int(td.text()) for td in r.all("td")} == EXPECTED_7[ago]
    assert {td.get("data-key"): int(td.text()) for td in page.one("tfoot").all("td")} == TOTALS_7

    questions_svg, feedback_svg = page.one("svg#questions-chart"), page.one("svg#feedback-chart")
    assert questions_svg.get("role") == "img" and "12 questions over 7 days" in questions_svg.one("desc").text()
    assert len(questions_svg.all("g.day")) == 6  # one bar per day with questions
    assert "3 helpful, 2 not helpful" in feedback_svg.one("desc").text()

    topics = {r.one("span.topic-example").text(): r for r in page.all("tr.topic")}
    assert int(topics["Does it hurt?"].one("td.topic-count").text()) == 3
    assert "is it painful" in topics["Does it hurt?"].text()
    assert "will the needles sting" in topics["Does it hurt?"].text()
    assert int(topics["do you treat dogs"].one("td[data-key=no_answer]").text()) == 3

    gaps = page.one("ol.gaps").all("li.gap")
    assert [(g.one("h3.gap-example").text(), g.one("span.gap-count").text()) for g in gaps] == [
        ("do you treat dogs", "3×"), ("is there parking near the clinic", "2×"),
        ("=1+2 what are your opening hours", "1×")]
    link = gaps[0].one("a.nearest-article")
    anchor = link.get("href").split("#")[1]
    assert link.get("href").endswith(f"/articles/first-visit#{anchor}") and anchor
    assert gaps[0].one("span.nearest-score").text() == "score 0.35"
    assert gaps[0].one("ul.phrasings").text() == "“can you treat my cat”"
    assert [r.get("data-reason") for r in gaps[0].all("span.gap-reason")] == ["off_topic", "not_covered"]
    assert [r.text() for r in gaps[0].all("span.gap-reason")] == ["off topic (2)", "not in the articles (1)"]
    assert gaps[0].one("p.gap-reasons").text().startswith("Why not answered:")
    assert gaps[0].one("blockquote.nearest-text").text()
    assert client.get(link.get("href").split("#")[0]).status_code == 200

    unhelpful = page.one("ul.unhelpful").all("li")
    assert [u.one("span.question").text() for u in unhelpful] == ["How much does it cost?", "is it painful"]
    assert unhelpful[1].one("blockquote.answer").text() == "Quoted answer 3."
    assert unhelpful[1].one("a.source").text() == "How Safe Are Acupuncture Needles? Your Questions Answered"
    assert unhelpful[1].one("a.source").get("href").endswith("/articles/needle-safety")
    assert FORMULA in unhelpful[1].one("p.comment").text()

    cited = page.one("table.cited-table").all("tr[data-article-id]")
    assert [(r.get("data-article-id"), int(r.one("td.cite-count").text())) for r in cited] == [
        ("needle-safety", 3), ("fees-and-insurance", 2)]
    never = {li.get("data-article-id") for li in page.one("ul.never-cited").all("li")}
    assert never == ALL_ARTICLES - {"needle-safety", "fees-and-insurance"}
    assert page.one("a#insights-csv").get("href").endswith("/staff/insights.csv?days=7")


def test_period_selector(client: TestClient) -> None:
    for query, days in (("", 30), ("?days=7", 7), ("?days=90", 90), ("?days=1000", 90), ("?days=0", 1),
                        ("?days=abc", 30), ("?days=2", 2)):
        page = parse(client.get(f"/staff/insights{query}").text)
        assert page.one("form#insights-period").one("input[name=days]").get("value") == str(days), query
        assert len(page.one("table.days-table").one("tbody").all("tr")) == days
        current = [a.text() for a in page.one("nav.period-links").all("a[aria-current=page]")]
        assert current == ([f"Last {days} days"] if days in (7, 30, 90) else []), query
    page = parse(client.get("/staff/insights?days=30").text)
    assert totals_on(page) == TOTALS_30
    assert [a.text() for a in page.one("nav.period-links").all("a")] == ["Last 7 days", "Last 30 days", "Last 90 days"]
    assert parse(client.get("/staff/insights?days=1").text).one("dl.insights-totals").text().startswith("Questions 3")


def test_csv_export(client: TestClient, passages: dict[str, str]) -> None:
    response = client.get("/staff/insights.csv?days=7")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="clinicbot-questions-{TODAY.isoformat()}.csv"')
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["asked_at", "conversation_id", "question", "status", "reason", "answer", "top_article",
                       "top_score", "nearest_passage", "nearest_score", "latency_ms", "helpful", "comment"]
    inside = sorted(((i, s) for i, s in enumerate(SEED) if s.ago < 7), key=lambda pair: (-pair[1].ago, pair[0]))
    assert len(rows) - 1 == len(inside) == 12
    for row, (i, s) in zip(rows[1:], inside, strict=True):
        at = datetime.combine(TODAY - timedelta(days=s.ago), time(9, 0), tzinfo=UTC) + timedelta(minutes=i)
        question = "'" + s.question if s.question.startswith("=") else s.question
        comment = "'" + s.comment if s.comment.startswith("=") else s.comment
        assert row == [at.isoformat(timespec="seconds"), f"c{i}", question, s.status, s.reason or "",
                       f"Quoted answer {i}." if s.status == "answered" else "", s.top or "",
                       "0.61" if s.top else "", passages[s.nearest] if s.nearest else "",
                       str(s.nearest_score) if s.nearest_score is not None else "", str(10.0 + i),
                       {True: "yes", False: "no", None: ""}[s.helpful], comment]
    by_question = {row[2]: row for row in rows[1:]}  # oldest first: the seed's day 5 comes first
    assert rows[2][2] == "'=1+2 what are your opening hours" and by_question["is it painful"][12] == "'" + FORMULA
    assert len(list(csv.reader(io.StringIO(client.get("/staff/insights.csv?days=30").text)))) == 16


def test_staff_only(settings: Settings, embedder: Embedder, database: Database) -> None:
    with TestClient(create_app(settings.model_copy(update={"database": str(database.path)}), embedder)) as anonymous:
        for path in ("/staff/insights", "/staff/insights.csv"):
            response = anonymous.get(path, follow_redirects=False)
            assert response.status_code == 303 and "/staff/login" in response.headers["location"]


def test_empty_log_renders(settings: Settings, embedder: Embedder, tmp_path: Path) -> None:
    with signed_in_client(settings, embedder, tmp_path / "empty.db") as client:
        response = client.get("/staff/insights")
        assert response.status_code == 200
        page = parse(response.text)
        assert totals_on(page) == dict.fromkeys(FIELDS, 0)
        assert "No questions in this period" in page.one("svg#questions-chart").text()
        assert page.all("ol.gaps") == [] and page.all("ul.unhelpful") == [] and page.all("table.cited-table") == []
        assert len(page.one("ul.never-cited").all("li")) == len(ALL_ARTICLES)
        rows = list(csv.reader(io.StringIO(client.get("/staff/insights.csv").text)))
        assert len(rows) == 1 and rows[0][0] == "asked_at"
        assert client.get("/staff").status_code == 200
        assert 'href="http://testserver/staff/insights"' in client.get("/staff").text


# --- the database's counts and what the page keeps ------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, index_dir: Path) -> Database:
    """A log of 400 questions over 90 days from the benchmark's generator: typos, votes, every status."""
    database = Database(tmp_path_factory.mktemp("generated") / "clinicbot.db")
    fill(database, 400, utcnow(), [p.passage_id for p in read_index(index_dir).passages])
    return database


def test_database_counts_equal_the_python_counts(database_url: str, embedder: Embedder, index_dir: Path,
                                                 passages: dict[str, str]) -> None:
    """The SQL aggregates (SQLite and PostgreSQL) give what counting every row in Python gives, page for page."""
    stored = read_index(index_dir)
    seeded = Database(database_url)
    fill(seeded, 400, utcnow(), [p.passage_id for p in stored.passages])
    for i, s in enumerate(SEED):  # and the hand-made seed: a formula, a comment, reasons missing
        at = datetime.combine(TODAY - timedelta(days=s.ago), time(9, 0), tzinfo=UTC) + timedelta(minutes=i)
        seeded.record_question(QuestionRecord(id=f"seed{i}", question=s.question, status=s.status, answer="",
                                              latency_ms=1.0, visitor=s.visitor, top_article=s.top,
                                              nearest_passage=passages[s.nearest] if s.nearest else None,
                                              nearest_score=s.nearest_score, asked_at=at, reason=s.reason))
        if s.helpful is not None:
            seeded.record_feedback(f"seed{i}", s.helpful, s.comment)
    rows = seeded.questions()
    vectors = PhrasingVectors(seeded)
    for days in (1, 7, 30, 90):
        period = period_days_of(days, TODAY)
        first, last = period[0], period[-1]
        assert from_database(seeded, first, last) == summarise(rows, first, last), days
        expected = build_insights(rows, stored.passages, stored.articles, embedder.encode, days, TODAY)
        found = log_insights(seeded, stored.passages, stored.articles, vectors.for_load(embedder, 60.0), days, TODAY)
        assert found == expected, days
        assert found.pending == 0 and found.grouped_questions == found.distinct_questions
    assert sum(d.questions for d in expected.days) == 400 + len(SEED)
    seeded.close()


def test_earlier_days_are_counted_once_and_today_merged(database_url: str, index_dir: Path) -> None:
    """Kept counts of each day before today, merged with today's, equal counting the whole period (both
    databases); a restart reads them back, a question today or a late vote counts no earlier day again, a
    question logged into an earlier day counts that day alone again."""
    stored = read_index(index_dir)
    database = Database(database_url)
    fill(database, 400, utcnow(), [p.passage_id for p in stored.passages])
    database.record_question(QuestionRecord(id="today", question="Do you open on Sundays?", status="no_answer",
                                            answer="", latency_ms=1.0, nearest_passage=stored.passages[0].passage_id,
                                            nearest_score=0.2, asked_at=utcnow()))
    period = period_days_of(90, TODAY)
    earlier_days = len(database.stats.day_sizes(period[0], period[-2]))
    assert earlier_days > 60, "the generated log has questions on most days"

    def check(counted: CountedDays) -> None:
        for days in (1, 7, 90):
            period = period_days_of(days, TODAY)
            assert counted.summary(period[0], TODAY) == from_database(database, period[0], period[-1]), days

    counted = CountedDays(database)
    check(counted)
    assert (counted.counted, counted.loaded, counted.loaded_runs) == (earlier_days, 0, 0), "each day counted once"
    check(counted)
    assert (counted.counted, counted.loaded, counted.loaded_runs) == (earlier_days, 0, 0), "kept in memory"
    restarted = CountedDays(database)
    check(restarted)
    assert (restarted.counted, restarted.loaded, restarted.loaded_runs) == (0, 0, 2), "7 and 90 days' runs, read back"

    voted = {str(v["answer_id"]) for v in _votes(database)}
    earlier = next(r for r in database.questions() if r["day"] < TODAY.isoformat() and r["status"] == "answered"
                   and r["id"] not in voted)
    database.record_feedback(str(earlier["id"]), False, "late vote")
    database.record_question(QuestionRecord(id="today2", question="do you open on sundays", status="no_answer",
                                            answer="", latency_ms=1.0, nearest_passage=stored.passages[0].passage_id,
                                            nearest_score=0.4, asked_at=utcnow()))
    check(restarted)
    assert (restarted.counted, restarted.loaded, restarted.loaded_runs) == (0, 0, 2), "only today was counted again"

    backdated = datetime.combine(TODAY - timedelta(days=3), time(12, 0), tzinfo=UTC)
    database.record_question(QuestionRecord(id="late", question="Do you open on Sundays?", status="answered",
                                            answer="", latency_ms=1.0, asked_at=backdated))
    check(restarted)
    assert restarted.counted == 1, "a question logged into an earlier day counts that day again, alone"
    assert restarted.loaded == earlier_days - 1, "the other days' counts were read back"

    tomorrow = TODAY + timedelta(days=1)  # a new day: today is counted as an earlier day, once, for both periods
    for days in (7, 90):
        period = period_days_of(days, tomorrow)
        assert counted.summary(period[0], tomorrow) == from_database(database, period[0], period[-1]), days
    assert counted.counted == earlier_days + 1, "today, now an earlier day, counted once for both periods"
    assert counted.loaded == 1, "the backdated day, which the other process counted again, is read back"
    database.close()


def test_kept_days_go_with_the_log(tmp_path: Path) -> None:
    """A day's counts are replaced when counted again, and dropped once the log holds nothing that old."""
    database = Database(tmp_path / "log.db")
    stats = database.stats
    old = datetime.combine(TODAY - timedelta(days=5), time(9, 0), tzinfo=UTC)
    database.record_question(QuestionRecord(id="q", question="hi", status="answered", answer="", latency_ms=1.0,
                                            asked_at=old))
    day = old.date().isoformat()
    before = (old.date() - timedelta(days=1)).isoformat()
    stats.keep_days([(before, "1", b"a"), (day, "1", b"b")], "2026-01-01T00:00:00+00:00")
    assert stats.kept_days(before, day) == {day: ("1", b"b")}, "a day older than the whole log is not kept"
    stats.keep_days([(day, "2", b"c")], "2026-01-01T00:00:00+00:00")
    assert stats.kept_days(day, day) == {day: ("2", b"c")}, "a day counted again replaces its counts"
    database.close()


def _votes(database: Database) -> list[dict[str, object]]:
    with database.backend.read() as tx:
        return tx.rows("SELECT answer_id FROM feedback")


def test_a_repeat_is_kept_until_a_question_or_vote_is_logged(settings: Settings, embedder: Embedder, tmp_path: Path,
                                                             passages: dict[str, str]) -> None:
    database = seed_database(tmp_path / "log.db", passages)
    with signed_in_client(settings, embedder, tmp_path / "log.db") as client:
        state = client.app.state  # type: ignore[attr-defined]
        first = client.get("/staff/insights?days=7").text
        results, vectors = state.insights_results, state.insights_vectors
        embedded = vectors.embedded
        assert (results.builds, results.hits) == (1, 0) and embedded > 0
        assert client.get("/staff/insights?days=7").text == first
        assert (results.builds, results.hits) == (1, 1)

        database.record_question(QuestionRecord(id="new", question="Do you have a car park?", status="no_answer",
                                                answer="", latency_ms=5.0, asked_at=utcnow()))
        page = parse(client.get("/staff/insights?days=7").text)
        assert results.builds == 2 and totals_on(page)["questions"] == TOTALS_7["questions"] + 1
        assert vectors.embedded == embedded + 1, "only the new phrasing is embedded"

        database.record_feedback("new", False, "no parking info")
        page = parse(client.get("/staff/insights?days=7").text)
        assert results.builds == 3 and totals_on(page)["not_helpful"] == TOTALS_7["not_helpful"] + 1
        assert vectors.embedded == embedded + 1
    with signed_in_client(settings, embedder, tmp_path / "log.db") as restarted:  # a new worker or replica
        assert restarted.get("/staff/insights?days=7").status_code == 200
        assert restarted.app.state.insights_vectors.embedded == 0, "every vector came from the database"  # type: ignore[attr-defined]
        counted = restarted.app.state.insights_days  # type: ignore[attr-defined]
        assert counted.loaded_runs == 1 and counted.counted == 0, "the earlier days' counts came from the database"


def test_phrasings_wait_for_their_vectors_most_frequent_first(generated: Database, embedder: Embedder,
                                                              index_dir: Path) -> None:
    stored = read_index(index_dir)
    vectors = PhrasingVectors(generated)
    hurried = log_insights(generated, stored.passages, stored.articles, vectors.for_load(embedder, 0.0), 90, TODAY)
    assert hurried.grouped_questions == EMBED_BATCH < hurried.distinct_questions, "one batch per load at least"
    assert hurried.pending == hurried.distinct_questions - EMBED_BATCH
    done = log_insights(generated, stored.passages, stored.articles, vectors.for_load(embedder, 60.0), 90, TODAY)
    assert done.pending == 0 and done.grouped_questions == done.distinct_questions
    assert done.grouped_asked == done.totals.questions
    assert hurried.topics[0].example == done.topics[0].example, "the most frequent phrasings are grouped first"


def test_csv_pages_and_vector_retention(database: Database, generated: Database) -> None:
    since, until = "1970-01-01T00:00:00", "9999-01-01T00:00:00"
    paged, after = [], None
    while page := database.stats.page(since, until, after, 5):
        paged += page
        after = (page[-1]["asked_at"], page[-1]["id"])
    assert paged == database.questions() and len(paged) == len(SEED)

    generated.vectors.put("probe-model", {"an old phrasing": np.ones(3, np.float32)}, "2000-01-01T00:00:00+00:00")
    assert set(generated.vectors.get("probe-model", ["an old phrasing"], 3)) == {"an old phrasing"}
    generated.purge_older_than(90)
    assert generated.vectors.get("probe-model", ["an old phrasing"], 3) == {}
