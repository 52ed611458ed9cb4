"""The chat widget in a real browser, embedded with one script tag on a clinic page of another origin."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, Route, expect

from index.embedder import Embedder
from service.app import create_app
from service.settings import Settings
from tests.browser.conftest import LiveServer, Sites, free_port
from tests.conftest import NO_RATE_LIMITS

W = "#clinicbot-widget"


def open_widget(page: Page, sites: Sites) -> None:
    page.goto(sites.clinic)
    page.locator(f"{W} button.launcher").click()
    expect(page.locator(W)).to_have_attribute("data-state", "open")


def ask(page: Page, question: str) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    expect(page.locator(W)).to_have_attribute("data-busy", "false", timeout=15_000)


def last_reply(page: Page) -> object:
    return page.locator(f"{W} .msg.bot:not(.greeting)").last


def test_starter_question_from_another_origin(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    assert page.evaluate("location.origin") != sites.bot, "the widget runs on the clinic's own origin"
    starters = page.locator(f"{W} button.starter")
    expect(starters).to_have_count(3)
    starters.filter(has_text="How many sessions will I need?").click()
    reply = page.locator(f"{W} .msg.bot.answered").last
    expect(reply).to_contain_text("1–2 sessions per week", timeout=15_000)
    expect(page.locator(f"{W} button.starter").first).to_be_hidden()
    expect(page.locator(f"{W} .disclaimer")).to_contain_text("not medical advice")


def test_quoted_answer_with_a_source_that_opens_the_article(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    ask(page, "does it hurt?")
    reply = page.locator(f"{W} .msg.bot.answered").last
    expect(reply.locator(".answer")).to_contain_text(re.compile("pain|pinch"))
    link = reply.locator("a.source").first
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    assert href.startswith(("https://example-clinic.test/", f"{sites.bot}/articles/")), href
    # The seed articles have no URL: their source links go to the bot's own article page.
    ask(page, "how long does an acupuncture session usually last?")
    seed = page.locator(f"{W} .msg.bot.answered").last.locator("a.source").first
    expect(seed).to_have_attribute("href", re.compile(rf"^{re.escape(sites.bot)}/articles/relieving-upper"))
    with page.context.expect_page() as new_tab:
        seed.click()
    article = new_tab.value
    article.wait_for_load_state()
    expect(article.locator("h1")).to_contain_text("Relieving Upper Back Pain with Acupuncture")
    expect(article.locator("section#what-to-expect-during-an-acupuncture-session")).to_contain_text("30–60 minutes")
    expect(article.locator("body")).not_to_contain_text("BOOK A FREE DISCOVERY CALL")


def test_follow_up_sends_history(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    sent: list[dict[str, object]] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith("/api/ask") else None)
    ask(page, "what is qi?")
    first = page.locator(f"{W} .msg.bot.answered").last.locator(".answer").inner_text()
    ask(page, "and how does the needling change it?")
    second = page.locator(f"{W} .msg.bot").last
    expect(second).to_have_class(re.compile("answered"))
    assert second.locator(".answer").inner_text() != first
    assert sent[-1]["history"] and sent[-1]["history"][0]["question"] == "what is qi?"  # type: ignore[index]


def test_off_topic_shows_fallback_with_contact_links(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    ask(page, "do you do laser hair removal?")
    reply = page.locator(f"{W} .msg.bot.no_answer").last
    expect(reply).to_contain_text("won't guess")
    expect(reply.locator("a.contact-phone")).to_have_attribute("href", "tel:+15550100")
    expect(reply.locator("a.contact-email")).to_have_attribute("href", "mailto:hello@harbour.test")
    expect(reply.locator("a.contact-booking")).to_have_attribute("href", "https://harbour.test/book")
    expect(reply).to_have_attribute("data-reason", "off_topic")


def test_medical_advice_is_refused_with_its_reason(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    ask(page, "how many ibuprofen can i take after my session?")
    reply = page.locator(f"{W} .msg.bot.no_answer").last
    expect(reply).to_have_attribute("data-reason", "medical_advice")
    expect(reply).to_contain_text("doctor or pharmacist")
    expect(reply.locator("a.contact-phone")).to_have_attribute("href", "tel:+15550100")


def test_a_list_answer_keeps_one_item_a_line(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    ask(page, "what should i do for the rest of the day after treatment")
    quote = last_reply(page).locator("blockquote.answer-quote")
    expect(quote).to_contain_text("\n- ")
    assert quote.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-line"


def test_emergency_is_distinct_with_a_call_link(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    ask(page, "my dad has crushing chest pain and is sweating")
    reply = page.locator(f"{W} .msg.bot.emergency").last
    expect(reply).to_have_attribute("role", "alert")
    expect(reply.locator("a.emergency-call")).to_have_attribute("href", "tel:911")
    color = reply.evaluate("el => getComputedStyle(el).borderColor")
    normal = page.locator(f"{W} .msg.bot.greeting").evaluate("el => getComputedStyle(el).borderColor")
    assert color != normal, "emergency replies look different"


def test_keyboard_only(page: Page, sites: Sites) -> None:
    page.goto(sites.clinic)
    page.keyboard.press("Tab")  # the page's own link
    for _ in range(5):
        if page.evaluate("document.activeElement && document.activeElement.id") == "clinicbot-widget":
            break
        page.keyboard.press("Tab")
    launcher = page.locator(f"{W} button.launcher")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your question")).to_be_focused()
    page.keyboard.type("how long do the needles stay in?")
    page.keyboard.press("Enter")
    expect(page.locator(f"{W} .msg.bot.answered").last).to_contain_text("20–30 minutes", timeout=15_000)
    page.keyboard.press("Escape")
    expect(page.locator(W)).to_have_attribute("data-state", "closed")
    expect(launcher).to_be_focused()
    expect(page.locator(f"{W} [role=log]")).to_have_attribute("aria-live", "polite")


def test_mobile_viewport_goes_full_screen(page: Page, sites: Sites, screenshots: object) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    open_widget(page, sites)
    panel = page.locator(f"{W} .panel")
    box = panel.bounding_box()
    assert box and box["width"] >= 370 and box["height"] >= 700, box
    ask(page, "can i use a heating pad on my back at home?")
    expect(page.locator(f"{W} .msg.bot.answered").last).to_be_visible()
    field = page.get_by_label("Your question").bounding_box()
    assert field and field["y"] + field["height"] <= 812
    page.screenshot(path=f"{screenshots}/widget-mobile.png")


def test_desktop_screenshot(page: Page, sites: Sites, screenshots: object) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_widget(page, sites)
    ask(page, "how many sessions will I need?")
    ask(page, "does insurance cover acupuncture?")
    page.screenshot(path=f"{screenshots}/widget-desktop.png")


def test_script_in_question_and_article_is_inert(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    payload = '<img src=x onerror="window.__xss_q=1"><script>window.__xss_q=2</script> consent form'
    ask(page, payload)
    expect(page.locator(f"{W} .msg.user").last).to_have_text(payload)
    reply = page.locator(f"{W} .msg.bot").last
    expect(reply).to_contain_text("consent form")
    expect(reply.locator("a.source").first).to_contain_text("<script>")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss_q") == "undefined"
    assert page.evaluate("typeof window.__xss_article") == "undefined"
    assert page.locator(f"{W} img, {W} .log script").count() == 0
    article = page.context.new_page()
    article.goto(f"{sites.bot}/articles/hostile")
    expect(article.locator("h1")).to_contain_text("<script>")
    assert article.evaluate("typeof window.__xss_article") == "undefined"


def test_conversation_survives_navigation_and_can_be_cleared(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    ask(page, "what should i wear to acupuncture")
    page.locator("#next").click()
    page.wait_for_url(re.compile("about.html"))
    if page.locator(W).get_attribute("data-state") != "open":
        page.locator(f"{W} button.launcher").click()
    expect(page.locator(f"{W} .msg.user")).to_have_text(["what should i wear to acupuncture"])
    page.locator(f"{W} button.clear").click()
    expect(page.locator(f"{W} .msg.user")).to_have_count(0)
    expect(page.locator(f"{W} button.starter").first).to_be_visible()


def test_unreachable_api_shows_error_and_retry(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    page.route("**/api/ask", lambda route: route.abort())
    ask(page, "how long do the needles stay in?")
    error = page.locator(f"{W} .msg.bot.error").last
    expect(error).to_contain_text("can't reach")
    page.unroute("**/api/ask")
    error.locator("button.retry").click()
    expect(page.locator(f"{W} .msg.bot.answered").last).to_contain_text("20–30 minutes", timeout=15_000)


def test_slow_api_times_out_readably(page: Page, sites: Sites) -> None:
    open_widget(page, sites)

    def stall(route: Route) -> None:
        """Leave the request hanging, like an overloaded server."""

    page.route("**/api/ask", stall)
    page.get_by_label("Your question").fill("does cupping hurt?")
    page.get_by_label("Your question").press("Enter")
    expect(page.locator(f"{W} .msg.bot.error").last).to_contain_text("can't reach", timeout=25_000)
    expect(page.locator(f"{W} .msg.bot.error button.retry").last).to_be_visible()
    page.unroute_all(behavior="ignoreErrors")


def test_feedback_thumbs(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    ask(page, "do you take credit card")
    reply = page.locator(f"{W} .msg.bot.answered").last
    with page.expect_response("**/api/feedback") as response:
        reply.locator("button.vote-up").click()
    assert response.value.status == 201
    expect(reply.locator(".feedback-status")).to_contain_text("Thanks")
    expect(reply.locator("button.vote-down")).to_be_disabled()


def test_api_errors_are_shown(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    page.get_by_label("Your question").fill("   ")
    page.get_by_label("Your question").press("Enter")
    expect(page.locator(f"{W} .msg.user")).to_have_count(0)  # nothing to send


def test_cors_allows_only_listed_origins(sites: Sites) -> None:
    allowed = httpx.options(f"{sites.bot}/api/ask", headers={
        "Origin": sites.clinic, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert allowed.headers.get("access-control-allow-origin") == sites.clinic
    denied = httpx.options(f"{sites.bot}/api/ask", headers={
        "Origin": "https://evil.test", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in denied.headers
    plain = httpx.post(f"{sites.bot}/api/ask", json={"question": "does it hurt?"}, headers={"Origin": "https://evil.test"})
    assert "access-control-allow-origin" not in plain.headers


CONTRAST = """(selectors) => {
  const root = document.querySelector('#clinicbot-widget').shadowRoot;
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement || (e.getRootNode && e.getRootNode().host)) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0.9) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return selectors.map((s) => {
    const el = root.querySelector(s);
    if (!el) return [s, 0];
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    return [s, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}"""


def test_text_contrast_meets_wcag_aa(page: Page, sites: Sites) -> None:
    open_widget(page, sites)
    ask(page, "do you take credit card")
    ask(page, "i think im having a heart attack")
    ask(page, "who won the football last night?")
    selectors = [".title", ".msg.user", ".msg.bot.answered .answer", ".msg.bot.answered a.source", ".disclaimer",
                 ".msg.bot.emergency .answer", ".msg.bot.no_answer .answer", "button.send", ".vote-up"]
    ratios = dict(page.evaluate(CONTRAST, selectors))
    low = {s: round(r, 2) for s, r in ratios.items() if r < 4.5}
    assert not low, f"text below WCAG AA 4.5:1: {low}"


def test_rate_limited_visitor_is_told_to_slow_down(page: Page, index_dir: Path, corpus_dir: Path,
                                                   embedder: Embedder, tmp_path: Path) -> None:
    settings = Settings(index_dir=index_dir, corpus_dir=corpus_dir, database=tmp_path / "limited.db",
                        **{**NO_RATE_LIMITS, "rate_limit_ask": "1/minute", "rate_limit_feedback": "1/minute"})
    with LiveServer(create_app(settings, embedder), free_port()) as bot:
        page.goto(bot.url + "/")  # the demo page embeds the widget from the same server
        page.locator(f"{W} button.launcher").click()
        ask(page, "how long does a session last?")
        reply = page.locator(f"{W} .msg.bot.answered").last
        expect(reply).to_contain_text("minutes")
        with page.expect_response("**/api/ask") as response:
            ask(page, "does acupuncture hurt?")
        assert response.value.status == 429 and response.value.headers["retry-after"]
        error = page.locator(f"{W} .msg.bot.error").last
        expect(error).to_have_text(re.compile("You're asking faster than we can answer — try again in a minute"))
        expect(error.locator("button.retry")).to_be_visible()
        reply.locator("button.vote-up").click()
        expect(reply.locator(".feedback-status")).to_contain_text("Thanks")
        assert httpx.post(f"{bot.url}/api/feedback", json={"id": "0" * 32, "helpful": True}).status_code == 429
