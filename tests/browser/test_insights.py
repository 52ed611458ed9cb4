"""The insights page in a real browser, over a log filled by real /api/ask calls and votes."""
from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Sites
from tests.conftest import STAFF_PASSWORD

ANSWERED = ["does it hurt?", "is it painful?", "is acupuncture painful?", "do the needles hurt?", "does it hurt?",
            "how long do cupping marks last", "how much does the first visit cost?",
            "does insurance cover acupuncture?"]
UNANSWERED = ["do you treat dogs?", "can you treat my cat?", "do you treat dogs?", "is there parking near the clinic?",
              "where can I park my car?", "do you sell gift cards?", "<img src=x onerror=window.__xss_insights=1>"]
EMERGENCY = ["I can't breathe"]


def sign_in(page: Page, sites: Sites, path: str) -> None:
    """Open a staff page: it sends the browser to the sign-in form, which comes back to it."""
    page.goto(f"{sites.bot}{path}")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{sites.bot}{path}")


def ask(sites: Sites, question: str, conversation: str) -> dict[str, str]:
    response = httpx.post(f"{sites.bot}/api/ask", json={"question": question, "conversation_id": conversation},
                          timeout=30)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def vote(sites: Sites, answer_id: str, helpful: bool, comment: str = "") -> None:
    response = httpx.post(f"{sites.bot}/api/feedback", json={"id": answer_id, "helpful": helpful, "comment": comment},
                          timeout=10)
    assert response.status_code == 201, response.text


def test_insights_page(page: Page, sites: Sites, screenshots: Path) -> None:
    replies = {}
    for n, question in enumerate(ANSWERED + UNANSWERED + EMERGENCY):
        replies[question] = ask(sites, question, f"insights-{n}")
    for question in ANSWERED:
        assert replies[question]["status"] == "answered", question
    for question in UNANSWERED:
        assert replies[question]["status"] == "no_answer", question
    assert replies["I can't breathe"]["status"] == "emergency"
    vote(sites, replies["does it hurt?"]["id"], True)
    vote(sites, replies["how long do cupping marks last"]["id"], True)
    vote(sites, replies["how much does the first visit cost?"]["id"], False, "I wanted the price of a follow-up")

    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, sites, "/staff/insights")
    expect(page.locator("svg#questions-chart")).to_be_visible()
    expect(page.locator("svg#questions-chart g.day").last).to_be_visible()
    expect(page.locator("svg#feedback-chart")).to_be_visible()
    pain = page.locator("tr.topic").filter(has=page.locator(".topic-example", has_text="does it hurt?"))
    for phrasing in ("is it painful?", "is acupuncture painful?", "do the needles hurt?"):
        expect(pain.locator(".topic-phrasings")).to_contain_text(phrasing)
    dogs = page.locator("ol.gaps > li.gap").filter(has=page.locator(".gap-example", has_text="do you treat dogs?"))
    expect(dogs.locator(".gap-count")).to_have_text("3×")  # two "dogs" and one "cat"
    expect(dogs.locator("ul.phrasings")).to_contain_text("can you treat my cat?")
    expect(dogs.locator("a.nearest-article")).to_be_visible()
    unhelpful = page.locator("ul.unhelpful > li").filter(has_text="how much does the first visit cost?")
    expect(unhelpful.locator("a.source")).to_be_visible()
    expect(unhelpful.locator(".comment")).to_contain_text("follow-up")
    expect(page.locator("ul.unhelpful")).to_be_visible()
    assert page.evaluate("window.__xss_insights") is None, "a logged question is shown as text, never run"
    expect(page.locator("ol.gaps")).to_contain_text("<img src=x onerror=window.__xss_insights=1>")

    page.get_by_role("link", name="Last 7 days").click()
    page.wait_for_url("**/staff/insights?days=7")
    expect(page.locator("nav.period-links a[aria-current=page]")).to_have_text("Last 7 days")
    page.locator("details.chart-data summary").click()
    expect(page.locator("table.days-table tbody tr")).to_have_count(7)
    page.locator("details.chart-data summary").click()
    page.screenshot(path=f"{screenshots}/insights.png", full_page=True)

    with page.expect_download() as download:
        page.locator("a#insights-csv").click()
    assert download.value.suggested_filename.startswith("clinicbot-questions-")
    assert "do you treat dogs?" in Path(download.value.path()).read_text(encoding="utf-8")
