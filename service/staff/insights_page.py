"""The staff insights page (/staff/insights) and the question log as CSV (/staff/insights.csv).

Both take `?days=` (default 30, clamped to 1..retention_days) and cover whole UTC days ending today.
The page is rendered on the server (charts are inline SVG) and works without JavaScript.
"""
from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, UTC
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from service.answering.answerer import Answerer
from service.staff.chart import SERIES, feedback_chart, questions_chart, short_day
from service.database import Database, utcnow
from service.staff.counted_days import CountedDays
from service.staff.insights import Insights, Topic, log_insights
from service.staff.insights_cache import InsightsCache, PhrasingVectors
from service.pages import render
from service.staff.search import article_href
from service.staff.gap_answers_page import gap_answers

router = APIRouter(include_in_schema=False)

PERIODS = (7, 30, 90)  # the period links; each is capped at the retention period
DEFAULT_DAYS = 30
CSV_COLUMNS = ("asked_at", "conversation_id", "question", "status", "reason", "answer", "top_article", "top_score",
               "nearest_passage", "nearest_score", "latency_ms", "helpful", "comment")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet may run a cell starting with one of these
CSV_BATCH = 2000  # rows per page read and streamed chunk: the log is never all in memory
STATUS_LABELS = {field: label for field, label, _ in SERIES}
REASON_LABELS = {"not_covered": "not in the articles", "medical_advice": "medical advice (dose, diagnosis, cure)",
                 "off_topic": "off topic"}


def parse_days(raw: str | None, retention_days: int) -> int:
    """The period in days: an integer clamped to 1..retention_days; missing or not a number: 30 (clamped)."""
    try:
        value = int((raw or "").strip())
    except ValueError:
        value = DEFAULT_DAYS
    return min(max(value, 1), retention_days)


def period_start(days: int, today: date) -> datetime:
    """Midnight UTC of the period's first day."""
    return datetime.combine(today - timedelta(days=days - 1), time(), tzinfo=UTC)


def csv_cell(value: Any) -> str:
    """One CSV cell: None is empty; text that a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(value)


def csv_row(row: dict[str, Any]) -> list[str]:
    """A question log row as CSV cells, in CSV_COLUMNS order (helpful as yes/no/empty)."""
    helpful = {1: "yes", 0: "no"}.get(row.get("helpful"), "")  # type: ignore[arg-type]
    return [helpful if column == "helpful" else csv_cell(row.get(column)) for column in CSV_COLUMNS]


_state_lock = threading.Lock()


def _caches(request: Request) -> tuple[PhrasingVectors, InsightsCache, CountedDays]:
    """This app's phrasing vectors, kept insights and counted days (made on first use, over the app's database)."""
    state = request.app.state
    with _state_lock:
        if getattr(state, "insights_vectors", None) is None:
            state.insights_vectors = PhrasingVectors(state.database)
            state.insights_results = InsightsCache()
            state.insights_days = CountedDays(state.database)
        return state.insights_vectors, state.insights_results, state.insights_days


def _gap_view(request: Request, gap: Topic) -> dict[str, Any]:
    """A content gap with a link to its nearest passage's section, when that passage is still indexed."""
    nearest = gap.nearest
    href = article_href(request, nearest.article_id, nearest.anchor) if nearest and nearest.text else ""
    return {"gap": gap, "nearest": nearest, "href": href}


def insights_context(request: Request, data: Insights, days: int) -> dict[str, Any]:
    """What insights.html needs beyond the Insights themselves."""
    retention = request.app.state.settings.retention_days
    base = request.url_for("insights_page")
    t = data.totals
    return {
        "data": data, "days": days, "retention_days": retention,
        "periods": [{"days": p, "href": f"{base}?days={p}", "current": p == days}
                    for p in sorted({min(p, retention) for p in PERIODS})],
        "csv_href": f"{request.url_for('insights_csv')}?days={days}",
        "questions_chart": questions_chart(data.days), "feedback_chart": feedback_chart(data.days),
        "share": (lambda n: f"{round(100 * n / t.questions)}%" if t.questions else "—"),
        "short_day": short_day,
        "gaps": [_gap_view(request, g) for g in data.gaps],
        "max_cited": max((c.count for c in data.cited), default=1),
        "article_href": lambda article_id: article_href(request, article_id),
        "status_labels": STATUS_LABELS,
        "reason_labels": REASON_LABELS,
        "gap_answers": gap_answers(request, data.gaps, days),  # "Write an answer" and answered-now markers
    }


@router.get("/staff/insights", name="insights_page", response_class=HTMLResponse)
def insights_page(request: Request, days: str | None = None) -> HTMLResponse:
    """Totals and charts per day, top question topics, content gaps, unhelpful answers and article citations."""
    chosen = parse_days(days, request.app.state.settings.retention_days)
    bot: Answerer = request.app.state.answerer
    database: Database = request.app.state.database
    database.flush_log()  # this process's queued answers are on the page (and in its cache key)
    today = utcnow().date()
    vectors, results, counted = _caches(request)
    embedder, stored = bot.retriever.embedder, bot.retriever.stored
    first = period_start(chosen, today).date().isoformat()
    # kept while the period's log, the loaded index (a re-index is a new object) and the model stay the same
    key = (chosen, today, database.stats.version(first), stored.manifest.get("build_id"), id(stored), embedder.name)
    data = results.get(key, lambda: log_insights(database, stored.passages, stored.articles,
                                                 vectors.for_load(embedder), chosen, today, counted=counted))
    response = render(request, "insights.html", insights_context(request, data, chosen))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/staff/insights.csv", name="insights_csv")
def insights_csv(request: Request, days: str | None = None) -> StreamingResponse:
    """The question log of the period as CSV, oldest first, with a header row."""
    chosen = parse_days(days, request.app.state.settings.retention_days)
    today = utcnow().date()
    database: Database = request.app.state.database
    database.flush_log()
    since = period_start(chosen, today).isoformat(timespec="seconds")
    until = (utcnow() + timedelta(days=1)).isoformat(timespec="seconds")  # the bound Database.questions uses

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        after: tuple[str, str] | None = None
        while rows := database.stats.page(since, until, after, CSV_BATCH):
            writer.writerows(csv_row(r) for r in rows)
            after = (str(rows[-1]["asked_at"]), str(rows[-1]["id"]))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="clinicbot-questions-{today.isoformat()}.csv"',
        "Cache-Control": "no-store",
    })
