"""From content gap to answer: "Write an answer" under each gap on /staff/insights, and whether it is answered now.

Staff write a short Markdown answer under the patients' question (the gap's example wording, editable); it
goes into a Markdown article they choose, as a new section, or else into the clinic's FAQ article
(`ArticleLibrary.answer_gap`), and a live re-index publishes it. Beside every listed gap the page says whether
the bot answers its example question now: the question is put to the loaded answerer (`Answerer.ask`, what
/api/ask runs, but not logged), once per gap and index build.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from service.answering.answerer import Answerer, QuestionError
from service.articles.library import FAQ_NAME, ArticleNotFound, UploadRefused
from service.pages import render
from service.staff.articles_publish import back_to, library, publish, publisher, username
from service.staff.insights import Topic

router = APIRouter(include_in_schema=False)

ANSWERED = "Your answer to “{question}” was added to {name}. It is being published; the marker beside the gap " \
           "says “answered now” once the rebuilt index answers it."
_lock = threading.Lock()


@dataclass(frozen=True)
class AnsweredNow:
    """What the bot answers a gap's question with now: its status and, when answered, the first source's title."""

    status: str
    source: str = ""

    @property
    def answered(self) -> bool:
        """The articles answer it now."""
        return self.status == "answered"


def answered_now(request: Request, questions: Sequence[str]) -> dict[str, AnsweredNow]:
    """Each question put to the loaded answerer, unlogged; kept until another index build is loaded."""
    bot: Answerer = request.app.state.answerer
    state = request.app.state
    key = (bot.retriever.manifest.get("build_id"), id(bot.retriever.stored))
    with _lock:
        if getattr(state, "gap_checks_key", None) != key:
            state.gap_checks_key, state.gap_checks = key, {}
        known: dict[str, AnsweredNow] = state.gap_checks
    found: dict[str, AnsweredNow] = {}
    for question in questions:
        with _lock:
            check = known.get(question)
        if check is None:
            try:
                reply = bot.ask(question)
            except QuestionError:
                continue  # a logged question the answerer refuses to read (too long): nothing to say about it
            source = reply.sources[0].title or reply.sources[0].article_id if reply.sources else ""
            check = AnsweredNow(reply.status, source if reply.status == "answered" else "")
            with _lock:
                known[question] = check
        found[question] = check
    return found


def markdown_articles(request: Request) -> list[tuple[str, str]]:
    """The Markdown articles an answer can be added to: (name, title), by title."""
    return [(e.name, e.title or e.name) for e in library(request).entries() if e.format == "md" and not e.error]


def gap_answers(request: Request, gaps: Sequence[Topic], days: int) -> dict[str, Any]:
    """What _insights_gaps.html needs for "Write an answer" and the answered-now markers."""
    answered = request.query_params.get("answered", "")
    notice = ANSWERED.format(question=answered, name=request.query_params.get("article", "")) if answered else ""
    return {"action": request.url_for("gap_answer").path, "days": days, "articles": markdown_articles(request),
            "faq_name": FAQ_NAME, "now": answered_now(request, [g.example for g in gaps]), "notice": notice,
            "publishing": publisher(request).state()}


def _form_page(request: Request, question: str, answer: str, article: str, days: int, *, status: int = 200,
               error: str = "") -> HTMLResponse:
    """The answer form on a page of its own (a refused answer comes back here with the text kept)."""
    return render(request, "article_gap_answer.html", {
        "ga": {"action": request.url_for("gap_answer").path, "days": days, "articles": markdown_articles(request),
               "faq_name": FAQ_NAME},
        "question": question, "answer": answer, "article": article, "error": error, "uid": "page",
    }, status)


@router.get("/staff/insights/answer", name="gap_answer_form", response_class=HTMLResponse)
def gap_answer_form(request: Request, question: str = "", days: int = 30) -> HTMLResponse:
    """The "Write an answer" form for one question."""
    return _form_page(request, question, "", "", days)


@router.post("/staff/insights/answer", name="gap_answer")
def gap_answer(request: Request, question: str = Form(""), answer: str = Form(""), article: str = Form(""),
               days: int = Form(30)) -> Response:
    """Add the answer to the chosen Markdown article (else the FAQ article), then publish it by a live re-index."""
    try:
        entry = library(request).answer_gap(question, answer, username(request), article=article or None)
    except ArticleNotFound as exc:
        return _form_page(request, question, answer, article, days, status=404, error=str(exc))
    except UploadRefused as exc:
        return _form_page(request, question, answer, article, days, status=422, error=f"Not added: {exc.reason}")
    publish(request)
    return back_to(request, "insights_page", fragment="gaps-heading", days=days, answered=" ".join(question.split()),
                   article=entry.name)
