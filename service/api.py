"""The JSON API: thin routes that translate HTTP into Answerer calls."""
from __future__ import annotations

from typing import Annotated, Any

import os
import time

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from service import questions
from service.answering.answerer import Answerer, check_length
from service.database import Database, FeedbackError
from service.errors import error_response
from service.schemas import VISIBLE, AskRequest, AskResponse, Feedback, Health, SearchResponse, WidgetConfig

# A vote for an answer no one logged is looked for again for this long: the answer may come from another worker
# or replica whose writer thread has not written it yet (it does within milliseconds).
OTHER_WORKER_SECONDS = 0.5
OTHER_WORKER_POLL = 0.05

router = APIRouter()
staff_router = APIRouter()  # staff-only routes: app.py includes this with the login dependency


def answerer(request: Request) -> Answerer:
    """The app's answerer (loaded at start-up in the lifespan)."""
    return request.app.state.answerer  # type: ignore[no-any-return]


@router.post("/api/ask", response_model=AskResponse, tags=["patients"])
def ask(body: AskRequest, request: Request) -> AskResponse:
    """Answer a patient's question from the clinic's articles, with sources; the question is logged, masked."""
    started = time.perf_counter()
    check_length(body.sent_chars, request.app.state.settings.max_question_chars)  # as sent, as the schema counts
    result = answerer(request).answer(body.question, body.history)
    # Queued for the question log's writer thread (service/question_log.py): the answer does not wait for it.
    request.app.state.question_log.add(questions.question_record(
        request.app.state.secrets, result, body, request.client.host if request.client else "",
        (time.perf_counter() - started) * 1000))
    request.app.state.metrics.answered(result.response.status, result.response.reason)
    return result.response


@staff_router.get("/api/search", response_model=SearchResponse, tags=["staff"])
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, pattern=VISIBLE, description="What to search for.")],
    k: Annotated[int | None, Query(ge=1, le=100, description="How many passages.")] = None,
) -> SearchResponse:
    """Ranked passages with scores, as the retriever sees them."""
    bot = answerer(request)
    check_length(len(q), bot.settings.max_question_chars)  # as sent; the search cleans it (`clean_text`)
    return bot.search(q, k or bot.settings.search_k)


@router.post("/api/feedback", status_code=201, tags=["patients"])
def feedback(body: Feedback, request: Request) -> dict[str, str]:
    """Record whether an answer helped; an unknown answer is a 404, a second vote a 409."""
    request.app.state.question_log.wait_for(body.id)  # an answer given a moment ago may still be queued
    database: Database = request.app.state.database
    deadline = time.monotonic() + OTHER_WORKER_SECONDS
    while True:
        try:
            database.record_feedback(body.id, body.helpful, body.comment)
            return {"status": "recorded", "id": body.id}
        except FeedbackError as exc:
            # another worker or replica may have given that answer a moment ago, its record still in its queue
            if exc.code != "unknown_answer" or time.monotonic() >= deadline:
                raise
        time.sleep(OTHER_WORKER_POLL)


@router.get("/api/widget-config", response_model=WidgetConfig, tags=["patients"])
def widget_config(request: Request) -> WidgetConfig:
    """The clinic's contact details and the widget's defaults."""
    s = request.app.state.settings
    return WidgetConfig(clinic_name=s.clinic_name, phone=s.clinic_phone, email=s.clinic_email,
                        booking_url=s.clinic_booking_url, emergency_number=s.emergency_number,
                        title=s.widget_title, greeting=s.widget_greeting, starters=s.starter_questions)


@router.get("/healthz", response_model=Health, tags=["ops"])
def healthz(request: Request) -> Health:
    """The process is up: its pid (which worker answered) and the build id of the index it serves."""
    bot: Answerer | None = getattr(request.app.state, "answerer", None)
    build_id = bot.retriever.manifest.get("build_id") if bot is not None else None
    return Health(pid=os.getpid(), build_id=str(build_id) if build_id else None)


@router.get("/readyz", tags=["ops"], response_model=None)
def readyz(request: Request) -> dict[str, Any] | JSONResponse:
    """The index is loaded: a summary of its manifest."""
    bot: Answerer | None = getattr(request.app.state, "answerer", None)
    if bot is None:
        return error_response(503, "the index is not loaded yet")
    m = bot.retriever.manifest
    keys = ("model", "dimension", "article_count", "passage_count", "built_at", "corpus_hash", "build_id")
    return {"status": "ready", "index": {k: m.get(k) for k in keys}}
