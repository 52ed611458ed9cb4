"""GET /metrics: Prometheus text for staff, and the same registry on `metrics_port` without a login."""
from __future__ import annotations

import socket
import time
from collections import Counter
from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from index.embedder import Embedder
from service.app import create_app
from service.metrics import count_rate_limited
from service.settings import Settings
from tests.test_api import assert_error

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


QUESTIONS = ["does acupuncture hurt?", "I have crushing chest pain and I can't breathe",
             "what is the capital of France?"]


def test_requests_answers_and_index_are_counted(client: TestClient) -> None:
    before = scrape(client)
    replies = [client.post("/api/ask", json={"question": q}).json() for q in QUESTIONS]
    article_id = client.app.state.answerer.retriever.stored.articles[0]["article_id"]  # type: ignore[attr-defined]
    assert client.get(f"/articles/{article_id}").status_code == 200
    assert client.get("/static/site.css").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    count_rate_limited("ask")
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("clinicbot_http_requests_total", route="/api/ask", method="POST", status="200") == 3
    assert delta("clinicbot_http_request_duration_seconds_count", route="/api/ask", method="POST", status="200") == 3
    assert delta("clinicbot_http_requests_total", route="/articles/{article_id}", method="GET", status="200") == 1
    assert delta("clinicbot_http_requests_total", route="/static/{path}", method="GET", status="200") == 1
    assert delta("clinicbot_http_requests_total", route="<unmatched>", method="GET", status="404") == 1
    assert not any(("route", f"/articles/{article_id}") in labels for _, labels in after), "a raw path is a label"
    expected = Counter((r["status"], r["reason"] or "") for r in replies)
    assert {r["status"] for r in replies} == {"answered", "emergency", "no_answer"}
    for (status, reason), n in expected.items():
        assert delta("clinicbot_answers_total", status=status, reason=reason) == n
    assert delta("clinicbot_rate_limited_total", scope="ask") == 1

    manifest = client.app.state.answerer.retriever.manifest  # type: ignore[attr-defined]
    assert value(after, "clinicbot_index_info", build_id=str(manifest["build_id"]), model=manifest["model"]) == 1
    age = time.time() - datetime.fromisoformat(manifest["built_at"]).timestamp()
    assert value(after, "clinicbot_index_age_seconds") == pytest.approx(age, abs=5)


def test_metrics_need_a_staff_login(client: TestClient) -> None:
    """Like the staff APIs, /metrics answers 401 in the JSON error shape; a scraper uses metrics_port."""
    anonymous = TestClient(client.app)  # the same running app, without the staff session cookie
    response = anonymous.get("/metrics", follow_redirects=False)
    assert assert_error(response, 401)["message"].startswith("staff only")
    assert "clinicbot_" not in response.text


def test_metrics_port_serves_the_same_registry(settings: Settings, embedder: Embedder) -> None:
    port = free_port()
    app = create_app(settings.model_copy(update={"metrics_port": port}), embedder)
    with TestClient(app) as local:
        local.post("/api/ask", json={"question": "does acupuncture hurt?"})
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert response.status_code == 200
        found = samples(response.text)
        assert value(found, "clinicbot_http_requests_total", route="/api/ask", method="POST", status="200") == 1
        assert found == samples(app.state.metrics.text().decode()) | {
            key: v for key, v in found.items() if key[0] == "clinicbot_index_age_seconds"}
    with pytest.raises(httpx.TransportError):  # the port closes with the app
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
