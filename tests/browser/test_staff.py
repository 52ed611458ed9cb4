"""The staff page in a real browser: with JavaScript (in place) and without (a plain form GET)."""
from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Sites
from tests.conftest import STAFF_PASSWORD


def sign_in(page: Page, sites: Sites, path: str = "/staff") -> None:
    """Open a staff page: it sends the browser to the sign-in form, which comes back to it."""
    page.goto(f"{sites.bot}{path}")
    expect(page).to_have_url(f"{sites.bot}/staff/login?next={path}")
    expect(page.get_by_label("User name")).to_have_value("staff")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{sites.bot}{path}")


def test_staff_search_with_javascript(page: Page, sites: Sites, screenshots: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, sites)
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
    why = page.locator("section.why")
    expect(why.locator(".why-rule")).to_contain_text("confidence")
    expect(why.locator('tr[data-signal="confidence"] td.value')).to_be_visible()
    in_place = why.locator("table.why-signals").locator("th, td").all_inner_texts()
    page.screenshot(path=f"{screenshots}/staff.png", full_page=True)
    page.reload()  # the server renders the same explanation for the same question
    expect(page.locator("section.why table.why-signals")).to_be_visible()
    assert page.locator("section.why table.why-signals").locator("th, td").all_inner_texts() == in_place


def test_staff_search_without_javascript(browser: Browser, sites: Sites) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, sites)
    page.get_by_label("Question").fill("who won the football")
    page.locator("form#staff-search button[type=submit]").click()
    page.wait_for_url("**/staff?q=who+won+the+football*")
    expect(page.locator("section.answer-card")).to_have_attribute("data-status", "no_answer")
    expect(page.locator("section.answer-card")).to_contain_text("+1 555 0100")
    expect(page.locator("section.why .why-rule")).to_contain_text("refused because it is not about the clinic's field")
    context.close()


def test_staff_sign_in_and_out(page: Page, sites: Sites) -> None:
    page.goto(f"{sites.bot}/staff/login")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".login-error")).to_have_text("Wrong user name or password.")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert "clinicbot_staff" not in cookies and cookies["clinicbot_csrf"]["httpOnly"]
    sign_in(page, sites)
    session = next(c for c in page.context.cookies() if c["name"] == "clinicbot_staff")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(f"{sites.bot}/staff/login")
    assert all(c["name"] != "clinicbot_staff" for c in page.context.cookies())
    page.goto(f"{sites.bot}/staff")
    expect(page).to_have_url(f"{sites.bot}/staff/login?next=/staff")


def test_rebuild_the_index_from_the_staff_page(page: Page, sites: Sites) -> None:
    sign_in(page, sites)
    before = page.locator('dl.manifest dd[data-key="build_id"]').inner_text()
    page.evaluate("window.__same_document = true")
    page.get_by_role("button", name="Rebuild the index").click()
    status = page.locator("#reindex .reindex-status")
    expect(status).to_contain_text("Rebuil", timeout=10_000)
    # When the build succeeds the script reloads the page, which then shows the new build.
    expect(page.locator('dl.manifest dd[data-key="build_id"]')).not_to_have_text(before, timeout=120_000)
    expect(page.locator("#reindex .reindex-ok")).to_contain_text("indexed 8 articles")
    answer = httpx.post(f"{sites.bot}/api/ask", json={"question": "how long do the needles stay in?"}).json()
    assert answer["status"] == "answered"
