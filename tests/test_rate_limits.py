"""Rate limits on the public routes against the real app: per visitor, per widget origin, shared storage."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from index.embedder import Embedder
from service.app import create_app
from service.rate_limits import scopes_for
from service.settings import Settings
from tests.conftest import NO_RATE_LIMITS, STAFF_PASSWORD, staff_login
from tests.servers import free_port, redis_server
from tests.test_api import assert_error

Factory = Callable[..., AbstractContextManager[TestClient]]
QUESTION = {"question": "how long does a session last?"}


@pytest.fixture
def make_client(index_dir: Path, corpus_dir: Path, embedder: Embedder, tmp_path: Path) -> Factory:
    """An app over the session index with the given limits (none unless named) and a fresh database."""

    @contextmanager
    def factory(address: str = "203.0.113.5", database: str | None = None, **limits: Any) -> Iterator[TestClient]:
        settings = Settings(index_dir=index_dir, corpus_dir=corpus_dir, staff_password=STAFF_PASSWORD,
                            database=database or str(tmp_path / "limits.db"), **{**NO_RATE_LIMITS, **limits})
        with TestClient(create_app(settings, embedder), client=(address, 50000)) as client:
            yield client

    return factory


def test_the_defaults_are_the_documented_ones() -> None:
    settings = Settings()
    assert (settings.rate_limit_ask, settings.rate_limit_feedback) == ("20/minute;200/day", "5/minute;50/day")
    assert settings.rate_limit_storage == ""


def test_a_visitor_gets_20_questions_a_minute_then_429_with_retry_after(make_client: Factory) -> None:
    with make_client(rate_limit_ask=Settings().rate_limit_ask) as client:
        statuses = [client.post("/api/ask", json=QUESTION).status_code for _ in range(20)]
        assert statuses == [200] * 20
        before = client.app.state.database.count_questions()  # type: ignore[attr-defined]
        limited = client.post("/api/ask", json=QUESTION)
        error = assert_error(limited, 429)
        assert error["code"] == "too_many_requests" and "at most 20 per minute" in error["message"]
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert client.app.state.database.count_questions() == before, "a limited question is not logged"  # type: ignore[attr-defined]
    with make_client(address="198.51.100.8", rate_limit_ask="20/minute") as other:
        assert other.post("/api/ask", json=QUESTION).status_code == 200, "other visitors are not limited"


def test_the_daily_limit_waits_until_the_window_ends(make_client: Factory) -> None:
    with make_client(rate_limit_ask="100/minute;2/day") as client:
        assert [client.post("/api/ask", json=QUESTION).status_code for _ in range(2)] == [200, 200]
        limited = client.post("/api/ask", json=QUESTION)
        assert "at most 2 per day" in assert_error(limited, 429)["message"]
        assert int(limited.headers["retry-after"]) > 3600


def test_feedback_votes_are_limited(make_client: Factory) -> None:
    with make_client(rate_limit_feedback="5/minute") as client:
        statuses = [client.post("/api/feedback", json={"id": f"{n:032x}", "helpful": False}).status_code
                    for n in range(7)]
        assert statuses == [404] * 5 + [429] * 2, "random ids stop at the limit, like real ones"


def test_all_visitors_of_one_widget_origin_share_a_ceiling(make_client: Factory, tmp_path: Path) -> None:
    database = str(tmp_path / "shared.db")
    origin = {"Origin": "https://hostile.example"}
    for n in range(3):
        with make_client(address=f"192.0.2.{n + 1}", database=database, rate_limit_origin="3/minute") as client:
            assert client.post("/api/ask", json=QUESTION, headers=origin).status_code == 200
    with make_client(address="192.0.2.9", database=database, rate_limit_origin="3/minute") as client:
        assert "from this website" in assert_error(client.post("/api/ask", json=QUESTION, headers=origin), 429)[
            "message"]
        assert client.post("/api/ask", json=QUESTION, headers={"Origin": "https://clinic.example"}).status_code \
            == 200, "another site's visitors are not limited"


def test_pages_are_limited_but_staff_and_health_checks_are_not(make_client: Factory) -> None:
    with make_client(rate_limit_pages="3/minute") as client:
        assert [client.get("/widget.js").status_code for _ in range(3)] == [200] * 3
        page = client.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 429 and "text/html" in page.headers["content-type"]
        assert "Too many requests" in page.text and page.headers["retry-after"]
        assert_error(client.get("/api/widget-config"), 429)
        assert all(client.get("/healthz").status_code == 200 for _ in range(5))
    with make_client(address="198.51.100.30", rate_limit_pages="2/minute") as staff:
        staff_login(staff)  # the sign-in form and its POST count as pages
        assert all(staff.get("/staff", follow_redirects=False).status_code == 200 for _ in range(5))
        assert all(staff.get("/api/search", params={"q": "cupping"}).status_code == 200 for _ in range(5))


def test_which_routes_count_against_which_limits() -> None:
    assert scopes_for("POST", "/api/ask") == ("ask", "origin")
    assert scopes_for("POST", "/api/feedback") == ("feedback",)
    for path in ("/", "/articles/x", "/widget.js", "/static/site.css", "/staff/login", "/api/widget-config",
                 "/docs", "/openapi.json", "/no-such-page"):
        assert scopes_for("GET", path) == ("pages",), path
    for path in ("/staff", "/staff/insights", "/api/search", "/api/reindex", "/metrics", "/healthz", "/readyz"):
        assert scopes_for("GET", path) == (), path


def test_replicas_on_one_database_count_together(make_client: Factory, tmp_path: Path) -> None:
    database = str(tmp_path / "shared.db")
    with make_client(database=database, rate_limit_ask="2/minute") as one, \
            make_client(database=database, rate_limit_ask="2/minute") as two:
        assert one.post("/api/ask", json=QUESTION).status_code == 200
        assert two.post("/api/ask", json=QUESTION).status_code == 200
        assert_error(one.post("/api/ask", json=QUESTION), 429)
        assert_error(two.post("/api/ask", json=QUESTION), 429)


def test_counters_in_redis(make_client: Factory) -> None:
    with redis_server() as url:
        with make_client(rate_limit_storage=url, rate_limit_ask="2/minute") as client:
            assert [client.post("/api/ask", json=QUESTION).status_code for _ in range(3)] == [200, 200, 429]
            with client.app.state.database.backend.read() as tx:  # type: ignore[attr-defined]
                assert tx.rows("SELECT * FROM rate_limits") == [], "nothing counted in the database"
        keys = redis.Redis.from_url(url).keys("*")
        assert any(b"ask" in key for key in keys), keys


def test_a_failing_counter_store_lets_patients_through(make_client: Factory,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with make_client(rate_limit_storage=nowhere, rate_limit_ask="1/minute") as client, \
            caplog.at_level(logging.ERROR, logger="service.rate_limits"):
        assert [client.post("/api/ask", json=QUESTION).status_code for _ in range(2)] == [200, 200]
    assert any("rate-limit storage failed" in r.getMessage() for r in caplog.records)


def test_limits_are_checked_at_startup(index_dir: Path) -> None:
    with pytest.raises(ValueError, match="not a rate limit"):
        Settings(index_dir=index_dir, rate_limit_ask="lots")
