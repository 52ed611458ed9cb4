"""Pages served by the app: demo home, article pages, widget script, widget config, feedback, HTML errors."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.test_api import assert_error

HTML = {"accept": "text/html,application/xhtml+xml"}


def test_home_embeds_the_widget_and_lists_articles(client: TestClient) -> None:
    page = client.get("/", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="http://testserver/widget.js"' in page.text
    assert 'data-starters="Does it hurt?|How many sessions will I need?|Does insurance cover it?"' in page.text
    assert page.text.count('href="http://testserver/articles/') == 7


def test_article_page_has_section_anchors_and_no_promotions(client: TestClient) -> None:
    page = client.get("/articles/relieving-upper-back-pain-with-acupuncture", headers=HTML)
    assert page.status_code == 200
    assert '<section id="what-to-expect-during-an-acupuncture-session">' in page.text
    assert '<section id="top">' in page.text
    assert "<li>Pain Modulation: Acupuncture stimulates the nervous system" in page.text
    assert "Sessions typically last 30–60 minutes" in page.text
    for promo in ("BOOK A FREE DISCOVERY CALL", "Instagram", "Learn more about Dee"):
        assert promo not in page.text


def test_article_with_url_links_to_the_original(client: TestClient) -> None:
    page = client.get("/articles/fees-and-insurance", headers=HTML)
    assert 'href="https://example-clinic.test/blog/fees-and-insurance"' in page.text


def test_unknown_article_is_the_html_error_page(client: TestClient) -> None:
    page = client.get("/articles/nope", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "404 — Page not found" in page.text and "no article called &#39;nope&#39;" in page.text
    assert_error(client.get("/articles/nope", headers={"accept": "application/json"}), 404)
    assert client.get("/no/such/page", headers=HTML).status_code == 404


def test_widget_script_is_served(client: TestClient) -> None:
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in script.text
    assert ".innerHTML" not in script.text, "the widget never parses data as HTML"


def test_widget_config(client: TestClient) -> None:
    config = client.get("/api/widget-config").json()
    assert config["phone"] == "+1 555 0100" and config["emergency_number"] == "911"
    assert config["starters"][0] == "Does it hurt?"


def test_feedback_is_validated(client: TestClient) -> None:
    answer = client.post("/api/ask", json={"question": "does cupping hurt?"}).json()
    accepted = client.post("/api/feedback", json={"id": answer["id"], "helpful": True})
    assert accepted.status_code == 201 and accepted.json()["id"] == answer["id"]


@pytest.mark.parametrize(
    "payload",
    [{}, {"id": "abc"}, {"id": "0" * 32}, {"id": "not hex at all!!", "helpful": True},
     {"id": "0" * 32, "helpful": "maybe"}, {"id": "0" * 32, "helpful": True, "comment": "x" * 1001}],
)
def test_bad_feedback_is_422(client: TestClient, payload: dict[str, object]) -> None:
    assert_error(client.post("/api/feedback", json=payload), 422)


def test_no_cors_headers_without_allowed_origins(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "hi"}, headers={"Origin": "https://evil.test"})
    assert "access-control-allow-origin" not in response.headers
