"""The Articles page in a real browser: upload a PDF and a Word file, publish, edit, delete, restore, answer a gap.

Its own live server over a copy of the test corpus and index (the other browser tests keep theirs as they
are), the widget on a clinic page of another origin, and Debian's Chromium driven by Playwright.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from index.embedder import Embedder
from tests.browser.conftest import Sites, bot_and_clinic, clinic_page
from tests.conftest import ROOT, STAFF_PASSWORD

W = "#clinicbot-widget"
FORMATS = ROOT / "tests" / "data" / "formats"
PUBLISHED = 180_000  # ms a publish (a live re-index) may take on a slow machine
PDF_QUESTION = "how long should I hold a chin tuck?"
NEW_SENTENCE = "Patients may borrow a heated blanket from reception to stay warm on the drive home."
BLANKET_QUESTION = "can I borrow a heated blanket?"
GAP_QUESTION = "do you sell gift cards?"
GAP_ANSWER = ("Yes: gift cards for one session or a course of three are sold at reception and can be used for "
              "any treatment within a year.")


@pytest.fixture(scope="module")
def site(corpus_dir: Path, index_dir: Path, embedder: Embedder,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    """The bot over its own copy of the corpus (and of its index, so a publish embeds only what changed)."""
    folder = tmp_path_factory.mktemp("browser-articles")
    shutil.copytree(corpus_dir, folder / "corpus")
    shutil.copytree(index_dir.parent, folder / "var", symlinks=True, ignore=shutil.ignore_patterns("clinicbot.db*"))
    with bot_and_clinic(folder / "corpus", folder / "var" / "index", folder / "clinicbot.db", embedder,
                        lambda bot: {"/": clinic_page(bot, "Harbour Acupuncture", "/")}) as found:
        yield found


def sign_in(page: Page, site: Sites, path: str) -> None:
    page.goto(f"{site.bot}{path}")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.bot}{path}")


def wait_published(page: Page) -> None:
    """articles.js follows the re-index and reloads the page once it is done (the editor it leaves as it is)."""
    expect(page.locator("#publishing")).to_have_attribute("data-busy", "false", timeout=PUBLISHED)
    expect(page.locator("#publishing .publishing-ok")).to_be_visible(timeout=PUBLISHED)


def widget_reply(page: Page, site: Sites, question: str) -> object:
    """Ask the widget on the clinic's page (a fresh conversation) and return its reply."""
    page.goto(site.clinic)
    page.evaluate("sessionStorage.clear()")
    page.reload()
    page.locator(f"{W} button.launcher").click()
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    expect(page.locator(W)).to_have_attribute("data-busy", "false", timeout=15_000)
    return page.locator(f"{W} .msg.bot:not(.greeting)").last


def test_articles_from_upload_to_answer(page: Page, site: Sites, screenshots: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())  # the delete confirmation
    before = widget_reply(page, site, PDF_QUESTION)
    expect(before).to_have_class(re.compile("no_answer"))

    # Upload a PDF and a Word file: their passages, then publish both.
    sign_in(page, site, "/staff/articles")
    page.set_input_files("#upload-files", [FORMATS / "handout.pdf", FORMATS / "new-patients.docx"])
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/staff/articles/upload")
    pdf = page.locator('section.draft[data-name="handout.pdf"]')
    expect(pdf.locator(".draft-title")).to_have_text("After Your First Physiotherapy Session")
    expect(pdf.locator("ol.article-passages")).to_contain_text("Leave the gym and heavy lifting until the next day.")
    docx = page.locator('section.draft[data-name="new-patients.docx"]')
    expect(docx.locator("ol.article-passages")).to_contain_text("Parking is free behind the building.")
    page.get_by_role("button", name="Publish all 2 drafts").click()
    page.wait_for_url("**/staff/articles?done=published_all*")
    wait_published(page)
    rows = page.locator("table.library-table tbody")
    expect(rows.locator('tr[data-name="handout.pdf"] .format')).to_have_text("pdf")
    expect(rows.locator('tr[data-name="new-patients.docx"] .passage-count')).not_to_have_text("0")
    page.screenshot(path=f"{screenshots}/articles.png", full_page=True)

    reply = widget_reply(page, site, PDF_QUESTION)
    expect(reply).to_have_class(re.compile("answered"))
    expect(reply.locator(".answer")).to_contain_text("hold for five seconds")
    expect(reply.locator("a.source").first).to_contain_text("After Your First Physiotherapy Session")

    # Edit an article: the live preview shows the new passage as it is typed; saving publishes it.
    page.goto(f"{site.bot}/staff/articles")
    page.locator('tr[data-name="aftercare.md"] a.edit-link').click()
    page.wait_for_url("**/staff/articles/edit/aftercare.md")
    expect(page.locator('button[value="preview"]')).to_be_hidden()  # with JavaScript the preview is live
    body = page.locator("#article-body")
    body.press("Control+End")
    body.press_sequentially(f"\n\n## Going home\n\n{NEW_SENTENCE}\n", delay=5)
    preview = page.locator("#article-live-preview")
    expect(preview.locator("li.article-passage").filter(has_text=NEW_SENTENCE)).to_be_visible()
    expect(preview.locator("li.article-passage .passage-section").last).to_have_text("Going home")
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.evaluate("""() => {
      window.scrollTo(0, 0);
      const pane = document.querySelector('.editor-preview');
      pane.scrollTop = pane.scrollHeight;  // the new passage, at the end
    }""")
    page.screenshot(path=f"{screenshots}/article-editor.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Save and publish").click()
    page.wait_for_url("**/staff/articles/edit/aftercare.md?done=saved")
    expect(page.locator(".article-notice")).to_contain_text("Saved aftercare.md")
    wait_published(page)
    reply = widget_reply(page, site, BLANKET_QUESTION)
    expect(reply).to_have_class(re.compile("answered"))
    expect(reply.locator(".answer")).to_contain_text(NEW_SENTENCE)

    # Delete it: the widget refuses; restore it from the trash: it answers again.
    page.goto(f"{site.bot}/staff/articles")
    page.get_by_role("button", name="Delete aftercare.md").click()
    page.wait_for_url("**/staff/articles?done=deleted*")
    expect(page.locator(".article-notice")).to_contain_text("Moved aftercare.md to the trash")
    wait_published(page)
    expect(page.locator('tr[data-name="aftercare.md"]')).to_have_count(0)
    expect(widget_reply(page, site, BLANKET_QUESTION)).to_have_class(re.compile("no_answer"))
    page.goto(f"{site.bot}/staff/articles")
    page.get_by_role("button", name="Restore aftercare.md").click()
    page.wait_for_url("**/staff/articles?done=restored*")
    wait_published(page)
    expect(page.locator('tr[data-name="aftercare.md"]')).to_have_count(1)
    reply = widget_reply(page, site, BLANKET_QUESTION)
    expect(reply).to_have_class(re.compile("answered"))
    expect(reply.locator(".answer")).to_contain_text(NEW_SENTENCE)

    # A content gap on the insights page: write an answer; the widget then answers that question.
    expect(widget_reply(page, site, GAP_QUESTION)).to_have_class(re.compile("no_answer"))
    page.goto(f"{site.bot}/staff/insights")
    gap = page.locator("ol.gaps > li.gap").filter(has=page.locator(".gap-example", has_text=GAP_QUESTION))
    expect(gap.locator(".gap-now")).to_have_text("Still unanswered")
    gap.locator("details.gap-answer summary").click()
    expect(gap.get_by_label("The patients' question")).to_have_value(GAP_QUESTION)
    gap.get_by_label("Your answer").fill(GAP_ANSWER)
    gap.get_by_role("button", name="Add the answer and publish").click()
    page.wait_for_url("**/staff/insights?days=30&answered=*")
    expect(page.locator(".article-notice")).to_contain_text("was added to clinic-faq.md")
    wait_published(page)
    gap = page.locator("ol.gaps > li.gap").filter(has=page.locator(".gap-example", has_text=GAP_QUESTION))
    expect(gap.locator(".gap-now")).to_contain_text("Answered now")
    reply = widget_reply(page, site, GAP_QUESTION)
    expect(reply).to_have_class(re.compile("answered"))
    expect(reply.locator(".answer")).to_contain_text("gift cards")


def test_the_pages_work_without_javascript(browser: Browser, site: Sites) -> None:
    """Upload, preview and the editor's Preview button with JavaScript off: plain forms, server-rendered."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, site, "/staff/articles/new")
        page.get_by_label("Title").fill("Late cancellations")
        page.get_by_label("Text (Markdown)").fill("## Cancelling\n\nPlease tell us a day ahead if you cannot come.")
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#article-live-preview li.article-passage")).to_contain_text("a day ahead")
        expect(page.get_by_label("Title")).to_have_value("Late cancellations")
        page.goto(f"{site.bot}/staff/articles")
        page.set_input_files("#upload-files", [FORMATS / "encrypted.pdf"])
        page.get_by_role("button", name="Upload and preview").click()
        expect(page.locator("ul.refused li")).to_contain_text("encrypted.pdf")
        assert page.locator("ul.refused .refused-reason").inner_text().strip()
    finally:
        context.close()
