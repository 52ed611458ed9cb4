"""The staff page (/staff) against the real app: form, answer card, ranked passages, articles, manifest.

HTML is parsed with the standard library's html.parser into a small tree, queried by tag and class.
"""
from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.embedder import Embedder
from service.app import create_app
from service.schemas import SearchHit
from service.settings import Settings
from tests.conftest import STAFF_PASSWORD, staff_login
from service.staff.search import marked, parse_k, passage_units, safe_url, score_text

ROOT = Path(__file__).resolve().parent.parent
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    """One element of a parsed page."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None = None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def get(self, name: str) -> str:
        return self.attrs.get(name) or ""

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def clean_text(self) -> str:
        return " ".join(self.text().split())

    def iter(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with this tag, class and attributes (`data_score` means `data-score`)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [n for n in self.iter()
                if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
                and all(n.attrs.get(k) == v for k, v in wanted.items())]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, cls, **attrs)
        assert len(found) == 1, f"expected one <{tag or '*'} class={cls} {attrs}>, found {len(found)}"
        return found[0]

    def children_tagged(self, tag: str) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node) and c.tag == tag]


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def staff(client: TestClient, *, expect: int = 200, **params: str | int) -> tuple[Node, str]:
    response = client.get("/staff", params=params)
    assert response.status_code == expect, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text), response.text


def selected(select: Node) -> str:
    chosen = [o.get("value") for o in select.all("option") if "selected" in o.attrs]
    assert len(chosen) == 1, chosen
    return chosen[0]


def passages(page: Node) -> list[Node]:
    return page.one("ol", "passages").children_tagged("li")


def scores(page: Node) -> list[float]:
    return [float(p.one(cls="score").get("data-score")) for p in passages(page)]


# --- The page without a question -------------------------------------------------------------

def test_page_has_search_form(client: TestClient) -> None:
    page, _ = staff(client)
    form = page.one("form", id="staff-search")
    assert form.get("method") == "get" and form.get("action") == "/staff"
    q = form.one("input", name="q")
    assert q.get("type") == "search" and q.get("aria-label") == "Question"
    assert form.one("label", **{"for": q.get("id")}).clean_text() == "Question"
    k = form.one("select", name="k")
    assert form.one("label", **{"for": k.get("id")})
    assert [o.get("value") for o in k.all("option")] == ["5", "10", "20"]
    assert selected(k) == "10"  # settings.search_k
    assert form.one("button").get("type") == "submit"
    assert page.one(id="staff-status").get("role") == "status"
    assert page.one(id="staff-results").all(cls="answer-card") == []
    assert page.all(cls="staff-error") == []


def test_page_lists_every_indexed_article(client: TestClient) -> None:
    stored = client.app.state.answerer.retriever.stored  # type: ignore[attr-defined]
    expected = Counter(p.article_id for p in stored.passages)
    page, _ = staff(client)
    table = page.one("table", "articles-table")
    assert [th.get("scope") for th in table.all("th")] == ["col"] * 5
    rows = table.one("tbody").children_tagged("tr")
    assert len(rows) == 7
    shown = {r.get("data-article-id"): int(r.one(cls="passage-count").clean_text()) for r in rows}
    assert shown == dict(expected)
    cupping = next(r for r in rows if r.get("data-article-id") == "cupping-therapy")
    link = cupping.one(cls="title").one("a")
    assert link.clean_text() == "Cupping Therapy: What Those Round Marks Really Mean"
    assert link.get("href").endswith("/articles/cupping-therapy")
    assert cupping.one(cls="date").clean_text() == "2024-03-12"
    assert cupping.one(cls="url").one("a").get("href") == "https://example-clinic.test/blog/cupping-therapy"
    plain = next(r for r in rows if r.get("data-article-id") == "acupuncture-upper-back-pain-naturally")
    assert plain.one(cls="url").all("a") == [], "an article without a url has no source link"


def test_page_shows_the_manifest(client: TestClient) -> None:
    manifest = client.app.state.answerer.retriever.manifest  # type: ignore[attr-defined]
    page, _ = staff(client)
    box = page.one("dl", "manifest")
    values = {dd.get("data-key"): dd.clean_text() for dd in box.all("dd")}
    assert values["model"] == "all-MiniLM-L6-v2"
    assert values["dimension"] == "384"
    assert values["built_at"] == manifest["built_at"]
    assert values["article_count"] == "7"
    assert values["passage_count"] == str(manifest["passage_count"])
    assert values["sentence_count"] == str(manifest["sentence_count"])
    assert values["corpus_hash"] == manifest["corpus_hash"]
    assert page.one(cls="no-skipped")


def test_page_structure_is_accessible(client: TestClient) -> None:
    page, _ = staff(client, q="does cupping hurt")
    levels = [int(n.tag[1]) for n in page.one("main").iter() if re.fullmatch(r"h[1-6]", n.tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), f"heading levels skip: {levels}"
    ids = [n.get("id") for n in page.iter() if n.get("id")]
    assert len(ids) == len(set(ids)), "ids are unique"
    script = next(s for s in page.all("script") if s.get("src").endswith("/static/staff.js"))
    assert "defer" in script.attrs
    assert any(link.get("href").endswith("/static/staff.css") for link in page.all("link"))
    assert client.get("/static/staff.js").status_code == 200
    assert client.get("/static/staff.css").status_code == 200
    assert "/staff" not in client.get("/openapi.json").json()["paths"]


# --- Results for ?q= -------------------------------------------------------------------------

def test_answered_question(client: TestClient) -> None:
    page, _ = staff(client, q="does cupping hurt")
    card = page.one("section", "answer-card")
    assert card.get("data-status") == "answered"
    assert card.one(cls="badge").clean_text() == "Answered"
    assert "Cupping should not be painful." in card.one(cls="answer").clean_text()
    source = card.one("a", "source")
    assert source.get("href") == "https://example-clinic.test/blog/cupping-therapy"
    assert source.clean_text() == "Cupping Therapy: What Those Round Marks Really Mean — Does cupping hurt?"
    # Exactly what a website visitor gets from the API.
    api = client.post("/api/ask", json={"question": "does cupping hurt"}).json()
    assert card.one(cls="answer").text() == api["answer"]
    assert len(card.all("a", "source")) == len(api["sources"])

    hits = passages(page)
    assert len(hits) == 10  # settings.search_k
    assert scores(page) == sorted(scores(page), reverse=True)
    for rank, hit in enumerate(hits, 1):
        assert "passage" in hit.classes
        assert hit.one(cls="rank").clean_text() == f"#{rank}"
        assert re.fullmatch(r"-?\d+\.\d\d", hit.one(cls="score").clean_text())
        assert hit.one("a", "article").get("href").split("/articles/")[1]
        assert hit.one(cls="section").clean_text()
    first = hits[0]
    assert first.get("data-article-id") == "cupping-therapy"
    assert first.one("a", "article").get("href").endswith("/articles/cupping-therapy#does-cupping-hurt")
    assert first.one(cls="section").clean_text() == "Does cupping hurt?"
    assert [m.clean_text() for m in first.all("mark")] == ["Cupping should not be painful."]
    assert sum(len(h.all("mark")) for h in hits) >= 1
    assert "Answered; 10 passages" in page.one(id="staff-status").clean_text()


def test_source_without_url_links_to_the_article_page(client: TestClient) -> None:
    page, _ = staff(client, q="how long does a session last?")
    card = page.one(cls="answer-card")
    assert card.get("data-status") == "answered"
    href = card.all("a", "source")[0].get("href")
    assert href.endswith("/articles/relieving-upper-back-pain-with-acupuncture"
                         "#what-to-expect-during-an-acupuncture-session"), href
    assert client.get(href.split("#")[0]).status_code == 200


def test_passage_lists_are_shown_as_items(client: TestClient) -> None:
    page, _ = staff(client, q="who should avoid cupping", k=5)
    with_list = [h for h in passages(page) if h.all("ul", "items")]
    assert with_list, "a passage with a list shows its items"
    items = with_list[0].one("ul", "items").children_tagged("li")
    assert len(items) >= 2 and all(i.clean_text() for i in items)


def test_off_topic_question_gets_the_no_answer_card(client: TestClient) -> None:
    page, _ = staff(client, q="who is the president?")
    card = page.one(cls="answer-card")
    assert card.get("data-status") == "no_answer"
    assert card.one(cls="badge").clean_text() == "No answer"
    assert "+1 555 0100" in card.one(cls="answer").clean_text()
    assert card.all("a", "source") == []
    assert len(passages(page)) == 10, "staff still see what the search found"


def test_emergency_question_gets_the_emergency_card(client: TestClient) -> None:
    page, _ = staff(client, q="I have crushing chest pain after my acupuncture session")
    card = page.one(cls="answer-card")
    assert card.get("data-status") == "emergency"
    assert card.one(cls="badge").clean_text() == "Emergency"
    assert "911" in card.one(cls="answer").clean_text()
    assert card.all("a", "source") == []


@pytest.mark.parametrize(("q", "words"), [("", "empty"), ("    ", "empty"), ("x" * 1001, "1000")])
def test_invalid_question_shows_a_readable_error(client: TestClient, q: str, words: str) -> None:
    page, _ = staff(client, expect=422, q=q)
    error = page.one(cls="staff-error")
    assert error.get("role") == "alert"
    message = error.one(cls="error-message").clean_text()
    assert words in message and "question" in message
    assert page.all(cls="answer-card") == [] and page.all("ol", "passages") == []
    assert page.one("form", id="staff-search"), "the form stays usable"
    assert len(page.one("table", "articles-table").one("tbody").children_tagged("tr")) == 7


@pytest.mark.parametrize(("k", "count"), [(5, 5), (20, 20), ("abc", 10), (0, 1)])
def test_k_is_respected(client: TestClient, k: int | str, count: int) -> None:
    page, _ = staff(client, q="needles", k=k)
    assert len(passages(page)) == count
    assert selected(page.one("select", name="k")) == str(count)


def test_hostile_question_is_escaped(client: TestClient) -> None:
    page, html = staff(client, q="<script>alert(1)</script>")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert page.one("input", name="q").get("value") == "<script>alert(1)</script>"
    assert all(s.get("src") for s in page.all("script")), "no inline script came from the question"


# --- Articles with markup in them are shown as text ------------------------------------------

HOSTILE_ARTICLE = """---
title: "<script>alert('title')</script> Gua sha & scraping"
url: "javascript:alert('url')"
date: 2024-06-01
---

## Heading `<script>alert('heading')</script>`

Gua sha is a gentle scraping therapy `<script>alert('body')</script>` that many patients find relaxing.
It uses a smooth tool `<img src=x onerror=alert('img')>` along the muscles of the upper back and neck.

## Does gua sha hurt?

Gua sha feels like firm pressure and should never be sharp or painful for our patients.
Tell your practitioner if the pressure is too strong and they will ease off straight away.
"""


@pytest.fixture(scope="module")
def hostile_client(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real app over one article full of markup, plus a file the indexer skips."""
    from index.builder import build_index

    corpus = tmp_path_factory.mktemp("hostile-corpus")
    (corpus / "gua-sha.md").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    (corpus / "notes<b>.docx").write_bytes(b"not an article")
    index_dir = tmp_path_factory.mktemp("hostile-var") / "index"
    build_index(corpus, index_dir, embedder)
    settings = Settings(index_dir=index_dir, corpus_dir=corpus, clinic_phone="+1 555 0100",
                        database=index_dir.parent / "clinicbot.db", staff_password=STAFF_PASSWORD)
    with TestClient(create_app(settings, embedder)) as test_client:
        staff_login(test_client)
        yield test_client


def test_article_markup_is_shown_as_text(hostile_client: TestClient) -> None:
    cases: list[dict[str, str | int]] = [{}, {"q": "does gua sha hurt"}, {"q": "scraping tool"}]
    for params in cases:
        page, html = staff(hostile_client, **params)
        scripts = page.all("script")
        assert all(s.get("src") and not s.text().strip() for s in scripts), "only the page's own script"
        assert "<script>alert(" not in html and "<img src=x" not in html and "<b>" not in html
        assert 'href="javascript:' not in html.replace(" ", "")
        row = page.one("table", "articles-table").one("tbody").one("tr")
        assert row.one(cls="title").clean_text() == "<script>alert('title')</script> Gua sha & scraping"
        assert row.one(cls="url").all("a") == [], "a javascript: url is never a link"
        assert "javascript:alert('url')" in row.one(cls="url").clean_text()
        skipped = page.one("ul", "skipped").one("li")
        assert "notes<b>.docx" in skipped.one(cls="skipped-path").clean_text()
        assert skipped.one(cls="skipped-reason").clean_text()
    page, html = staff(hostile_client, q="scraping tool")
    text = " ".join(h.clean_text() for h in passages(page))
    assert "<script>alert('body')</script>" in text
    assert "<img src=x onerror=alert('img')>" in text
    assert any("<script>alert('heading')</script>" in h.one(cls="section").clean_text() for h in passages(page))
    page, _ = staff(hostile_client, q="does gua sha hurt")
    sources = page.all("a", "source")
    assert sources and all(s.get("href").endswith("/articles/gua-sha#does-gua-sha-hurt") for s in sources), \
        "a source whose url is not http(s) links to the article page instead"


# --- The rules the server and staff.js share ---------------------------------------------------

def test_highlight_rule() -> None:
    assert marked([0.2, 0.9, 0.87, 0.84, 0.5]) == {1, 2}
    assert marked([0.9, 0.85]) == {0, 1}, "within 0.05 counts"
    assert marked([0.29, 0.25]) == set(), "weak sentences are never highlighted"
    assert marked([]) == set()


def test_passage_units_split_lists() -> None:
    hit = SearchHit(
        passage_id="a#0", article_id="a", title="A", url="", section="S", anchor="s",
        passage="Lead one. Lead two:\n- Item one.\n- Item two. More of item two.", score=0.5,
        sentences=["Lead one.", "Lead two:", "Item one.", "Item two.", "More of item two."],
        sentence_scores=[0.1, 0.6, 0.58, 0.2, 0.3],
    )
    lead, items = passage_units(hit)
    assert [s["text"] for s in lead] == ["Lead one.", "Lead two:"]
    assert [[s["text"] for s in item] for item in items] == [["Item one."], ["Item two.", "More of item two."]]
    assert [s["marked"] for s in lead] == [False, True] and items[0][0]["marked"]


def test_small_helpers() -> None:
    assert score_text(0.8922) == "0.89" and score_text(0.125) == "0.13" and score_text(-0.0759) == "-0.08"
    assert parse_k("7", 10) == 7 and parse_k("x", 10) == 10 and parse_k("500", 10) == 100 and parse_k(None, 10) == 10
    assert safe_url("https://a.test/x") == "https://a.test/x"
    assert safe_url("javascript:alert(1)") == "" and safe_url(" JavaScript:alert(1)") == "" and safe_url("") == ""


def test_staff_js_builds_the_same_markup() -> None:
    """staff.js re-renders results in place: it must use the templates' classes and never innerHTML."""
    js = (ROOT / "web" / "static" / "staff.js").read_text(encoding="utf-8")
    templates = "".join((ROOT / "web" / "templates" / name).read_text(encoding="utf-8")
                        for name in ("staff.html", "_answer_card.html", "_passage.html"))
    server = templates + (ROOT / "service" / "staff" / "search.py").read_text(encoding="utf-8")
    for cls in ("answer-card", "badge", "answer", "sources", "source", "passages-section", "passages", "passage",
                "passage-head", "rank", "score", "score-label", "article", "section", "passage-text", "lead",
                "items", "item", "sentence", "staff-error", "error-message", "no-passages"):
        assert re.search(rf"['\"` ]{cls}['\"` ]", js), f"staff.js lacks class {cls}"
        assert re.search(rf"class=\"[^\"]*\b{cls}\b", templates), f"templates lack class {cls}"
    for text in ("Answer a visitor gets", "Top passages", "Can't search", "(no heading)", "No passages found.",
                 "Answered", "No answer", "Emergency", "The question could not be searched."):
        assert text in js and text in server, text
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "outerHTML" not in js


def test_article_page_never_links_a_javascript_url(hostile_client: TestClient) -> None:
    html = hostile_client.get("/articles/gua-sha", headers={"accept": "text/html"}).text
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html.replace(" ", "")
    assert "Original article" not in html
