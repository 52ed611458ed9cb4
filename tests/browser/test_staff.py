"""The staff page in a real browser: with JavaScript (in place) and without (a plain form GET)."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Sites


def test_staff_search_with_javascript(page: Page, sites: Sites, screenshots: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"{sites.bot}/staff")
    expect(page.locator("table.articles-table tbody tr")).to_have_count(8)
    expect(page.locator('dl.manifest dd[data-key="model"]')).to_have_text("all-MiniLM-L6-v2")
    page.get_by_label("Question").fill("how long do cupping marks last")
    page.evaluate("window.__same_document = true")
    page.locator("form#staff-search button[type=submit]").click()
    card = page.locator("section.answer-card")
    expect(card).to_have_attribute("data-status", "answered", timeout=15_000)
    expect(card.locator("a.source").first).to_be_visible()
    passages = page.locator("ol.passages > li.passage")
    expect(passages).to_have_count(10)
    scores = [float(s) for s in passages.locator(".score").evaluate_all("els => els.map(e => e.dataset.score)")]
    assert scores == sorted(scores, reverse=True)
    expect(passages.first.locator("mark").first).to_be_visible()
    assert page.evaluate("window.__same_document") is True, "JavaScript searches in place, no reload"
    assert "q=how+long+do+cupping+marks+last" in page.url
    page.screenshot(path=f"{screenshots}/staff.png", full_page=True)


def test_staff_search_without_javascript(browser: Browser, sites: Sites) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{sites.bot}/staff")
    page.get_by_label("Question").fill("who won the football")
    page.locator("form#staff-search button[type=submit]").click()
    page.wait_for_url("**/staff?q=who+won+the+football*")
    expect(page.locator("section.answer-card")).to_have_attribute("data-status", "no_answer")
    expect(page.locator("section.answer-card")).to_contain_text("+1 555 0100")
    context.close()
