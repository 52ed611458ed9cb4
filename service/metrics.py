"""Prometheus metrics: requests and latency by route, answers by status and reason, rate limits, the index,
the question log's writer.

Each app has its own `CollectorRegistry` (tests build several apps in one process); `GET /metrics` (staff
only) and, with `metrics_port` set, a separate listener on `host` serve it in the Prometheus text format.
Rate-limited requests are counted process-wide by `count_rate_limited`, which the rate-limit code calls
without an app at hand; every app's registry exposes that one counter.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import Match, Mount

from service.question_log import QuestionLog

UNMATCHED = "<unmatched>"  # the route label of a request no route matched: raw paths would be unbounded labels
# Latency buckets in seconds: an answer takes tens of milliseconds, a page a few, a cold start a second or more.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

RATE_LIMITED = Counter("clinicbot_rate_limited", "Requests refused by a rate limit, by limit scope.",
                       ["scope"], registry=None)


def count_rate_limited(scope: str) -> None:
    """Count one request refused by the rate limit `scope` (ask, origin, feedback, pages)."""
    RATE_LIMITED.labels(scope=scope).inc()


class IndexCollector(Collector):
    """The serving index's build id and age, read from its manifest at each scrape (a re-index swaps it)."""

    def __init__(self, manifest: Callable[[], Mapping[str, object] | None]) -> None:
        self.manifest = manifest

    def collect(self) -> Iterator[Metric]:
        """An info metric with the build id and model, and the seconds since the build."""
        m = self.manifest()
        if m is None:
            return
        info = InfoMetricFamily("clinicbot_index", "The index being served.")
        info.add_metric([], {"build_id": str(m.get("build_id") or ""), "model": str(m.get("model") or "")})
        yield info
        built = _parse_time(m.get("built_at"))
        if built is not None:
            yield GaugeMetricFamily("clinicbot_index_age_seconds", "Seconds since the served index was built.",
                                    value=max(0.0, time.time() - built))
        passages = m.get("passage_count")
        if isinstance(passages, int):
            yield GaugeMetricFamily("clinicbot_index_passages", "Passages in the served index.", value=passages)


class QuestionLogCollector(Collector):
    """The question log writer's queue depth and its counts (service/question_log.py), read at each scrape."""

    def __init__(self, question_log: Callable[[], QuestionLog | None]) -> None:
        self.question_log = question_log

    def collect(self) -> Iterator[Metric]:
        """A gauge of the records not yet written, and counters of failures, overflows and drops."""
        q = self.question_log()
        if q is None:
            return
        yield GaugeMetricFamily("clinicbot_question_log_queue_depth",
                                "Question log records queued or being written, not yet in the database.",
                                value=q.depth)
        yield CounterMetricFamily("clinicbot_question_log_write_failures",
                                  "Failed writes of question log records (the writer's are retried).",
                                  value=q.failures)
        yield CounterMetricFamily("clinicbot_question_log_overflows",
                                  "Question log records written by their own request because the queue was full.",
                                  value=q.overflows)
        yield CounterMetricFamily("clinicbot_question_log_dropped",
                                  "Question log records never written: refused by the database, or at shutdown.",
                                  value=q.dropped)


def _parse_time(value: object) -> float | None:
    try:
        return datetime.fromisoformat(str(value)).timestamp() if value else None
    except ValueError:
        return None


class Metrics:
    """One app's registry and the metrics recorded into it."""

    def __init__(self, manifest: Callable[[], Mapping[str, object] | None],
                 question_log: Callable[[], QuestionLog | None] = lambda: None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("clinicbot_http_requests", "HTTP requests by route template, method and status.",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("clinicbot_http_request_duration_seconds",
                                 "Time to answer HTTP requests, by route template, method and status.",
                                 ["route", "method", "status"], buckets=BUCKETS, registry=self.registry)
        self.answers = Counter("clinicbot_answers", "Replies of POST /api/ask by status and refusal reason.",
                               ["status", "reason"], registry=self.registry)
        self.registry.register(RATE_LIMITED)
        self.registry.register(IndexCollector(manifest))
        self.registry.register(QuestionLogCollector(question_log))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        labels = {"route": route, "method": method, "status": str(status)}
        self.requests.labels(**labels).inc()
        self.latency.labels(**labels).observe(seconds)

    def answered(self, status: str, reason: str | None) -> None:
        """Count one reply of /api/ask (`reason` is empty unless it is a refusal)."""
        self.answers.labels(status=status, reason=reason or "").inc()

    def text(self) -> bytes:
        """Everything in the Prometheus text format."""
        return generate_latest(self.registry)

    def serve(self, host: str, port: int | None) -> Callable[[], None]:
        """Serve this registry on its own port (no login, for a scraper); the function that stops it."""
        if port is None:
            return lambda: None
        server, thread = start_http_server(port, addr=host, registry=self.registry)

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(5)

        return stop


def manifest_of(state: Any) -> Mapping[str, object] | None:
    """The manifest of the index an app serves (None before the lifespan loaded it)."""
    answerer = getattr(state, "answerer", None)
    return answerer.retriever.manifest if answerer is not None else None


def route_template(scope: Mapping[str, Any], request: Mapping[str, Any]) -> str:
    """The matched route's path template ("/articles/{article_id}", "/static/{path}"), never the raw path.

    `scope` is the scope after the app ran (the router notes the route it chose in it), `request` a copy of
    it from before: a mount is not noted, so the app's routes are matched against the request again.
    """
    route = scope.get("route")
    if route is None and "app" in request:
        routes = getattr(getattr(request["app"], "router", None), "routes", [])
        route = next((r for r in routes if isinstance(r, Mount) and r.matches(dict(request))[0] == Match.FULL), None)
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    return f"{path}/{{path}}" if isinstance(route, Mount) else path


router = APIRouter(include_in_schema=False)  # staff only: app.py includes it with the login dependency


@router.get("/metrics", name="metrics")
def metrics(request: Request) -> Response:
    """This app's metrics in the Prometheus text format."""
    return Response(request.app.state.metrics.text(), media_type=CONTENT_TYPE_LATEST)
