"""The staff page: ask and search the index as the clinic's staff, and see what is indexed.

Every staff route lives on `router` below, so access control (a later login) is one dependency away:
`APIRouter(include_in_schema=False, dependencies=[Depends(require_staff)])`.
The page works without JavaScript (the server renders `?q=`); web/static/staff.js re-renders the same
markup in place from /api/ask and /api/search, so both paths share the classes listed in staff.html.
"""
from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from index.passage import slugify
from service.answering.answerer import Answerer, QuestionError
from service.pages import render, safe_url
from service.schemas import AskResponse, Explanation, SearchHit

router = APIRouter(include_in_schema=False)

K_CHOICES = (5, 10, 20)
MAX_K = 100  # the API's limit for /api/search
MARK_MARGIN = 0.05  # sentences this close to a passage's best sentence are highlighted too
MARK_FLOOR = 0.30  # a sentence scoring below this is never highlighted
STATUS_LABELS = {"answered": "Answered", "no_answer": "No answer", "emergency": "Emergency"}
NO_SECTION = "(no heading)"


def _answerer(request: Request) -> Answerer:
    return request.app.state.answerer  # type: ignore[no-any-return]


def parse_k(raw: str | None, default: int) -> int:
    """The number of passages asked for: an integer clamped to 1..100, else the default."""
    try:
        value = int((raw or "").strip())
    except ValueError:
        return default
    return min(max(value, 1), MAX_K)


def score_text(score: float) -> str:
    """A score with 2 decimals, rounded half up (the same arithmetic as staff.js, so both agree)."""
    return f"{math.floor(score * 100 + 0.5) / 100:.2f}"


def marked(scores: list[float]) -> set[int]:
    """Sentences to highlight: the best one and any within MARK_MARGIN of it, if they reach MARK_FLOOR."""
    if not scores:
        return set()
    best = max(scores)
    return {i for i, s in enumerate(scores) if s >= MARK_FLOOR and s >= best - MARK_MARGIN - 1e-9}


def passage_units(hit: SearchHit) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """The passage's lead-in sentences and its list items' sentences, each with its score and highlight.

    A list item starts where the passage text has a new line starting "- " before the sentence; this
    needs only the search hit, so staff.js groups the API's results the same way.
    """
    chosen = marked(hit.sentence_scores)
    lead: list[dict[str, Any]] = []
    items: list[list[dict[str, Any]]] = []
    pos = 0
    for i, sentence in enumerate(hit.sentences):
        found = hit.passage.find(sentence, pos)
        if found >= 0:
            if "\n- " in hit.passage[pos:found]:
                items.append([])
            pos = found + len(sentence)
        score = hit.sentence_scores[i] if i < len(hit.sentence_scores) else 0.0
        (items[-1] if items else lead).append({"text": sentence, "score": score, "marked": i in chosen})
    return lead, items


def article_href(request: Request, article_id: str, anchor: str = "") -> str:
    """The article's page on this server, at a section when given."""
    href = str(request.url_for("article_page", article_id=article_id))
    return f"{href}#{anchor}" if anchor else href


def answer_card(request: Request, reply: AskResponse, hits: list[SearchHit]) -> dict[str, Any]:
    """What a website visitor gets, ready for _answer_card.html: status, answer and source links."""
    anchors = {(h.article_id, h.section): h.anchor for h in hits}
    for p in _answerer(request).retriever.stored.passages:
        anchors.setdefault((p.article_id, p.section), p.anchor)
    sources = []
    for s in reply.sources:
        anchor = anchors.get((s.article_id, s.section)) or (slugify(s.section) if s.section else "top")
        title = s.title or s.article_id or "Article"
        sources.append({
            "href": safe_url(s.url) or article_href(request, s.article_id, anchor),
            "label": f"{title} \u2014 {s.section}" if s.section else title,
        })
    return {"status": reply.status, "label": STATUS_LABELS[reply.status], "answer": reply.answer,
            "sources": sources}


def why_view(decision: Explanation | None) -> dict[str, Any] | None:
    """Why the bot answered or refused, ready for _why.html: the rule, the safety finding and each signal."""
    if decision is None:
        return None
    rows = [{"name": s.name, "label": s.label, "value": score_text(s.value),
             "limit": "" if s.limit is None else f"{s.limit_name} {score_text(s.limit)}",
             "weight": "" if s.weight is None else f"{s.weight:+.2f}"} for s in decision.signals]
    return {"rule": decision.rule, "safety": decision.safety, "rows": rows,
            "reason": decision.reason_text}


def passage_view(request: Request, rank: int, hit: SearchHit) -> dict[str, Any]:
    """One search hit, ready for _passage.html."""
    lead, items = passage_units(hit)
    return {
        "rank": rank, "score": hit.score, "score_text": score_text(hit.score),
        "passage_id": hit.passage_id, "article_id": hit.article_id, "title": hit.title or hit.article_id,
        "href": article_href(request, hit.article_id, hit.anchor), "section": hit.section or NO_SECTION,
        "has_section": bool(hit.section), "lead": lead, "items": items,
    }


def article_row(request: Request, article: dict[str, Any]) -> dict[str, Any]:
    """One row of the indexed-articles table."""
    article_id = str(article.get("article_id", ""))
    return {
        "article_id": article_id, "title": article.get("title") or article_id,
        "href": article_href(request, article_id), "passages": article.get("passages", 0),
        "date": article.get("date") or "", "url": article.get("url") or "",
        "safe_url": safe_url(str(article.get("url") or "")),
    }


@router.get("/staff", name="staff_page", response_class=HTMLResponse)
def staff_page(request: Request, q: str | None = None, k: str | None = None) -> HTMLResponse:
    """Search form, the answer a visitor would get, the top passages, the indexed articles and the manifest."""
    bot = _answerer(request)
    default_k = bot.settings.search_k
    chosen_k = parse_k(k, default_k)
    context: dict[str, Any] = {
        "q": q or "", "k": chosen_k, "k_choices": sorted({*K_CHOICES, default_k, chosen_k}),
        "searched": q is not None, "error": None, "card": None, "why": None, "passages": [],
        "articles": [article_row(request, a) for a in bot.retriever.stored.articles],
        "manifest": bot.retriever.manifest,
        "reindex": request.app.state.reindexer.status() if hasattr(request.app.state, "reindexer") else None,
    }
    status = 200
    if q is not None:
        try:
            found = bot.search(q, chosen_k)
            hits = found.results
            reply = bot.ask(q)
        except QuestionError as exc:
            context["error"] = str(exc)
            status = 422
        else:
            context["card"] = answer_card(request, reply, hits)
            context["why"] = why_view(found.decision)
            context["passages"] = [passage_view(request, rank, hit) for rank, hit in enumerate(hits, 1)]
    return render(request, "staff.html", context, status)
