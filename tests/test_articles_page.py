"""The staff Articles page (/staff/articles…) and "Write an answer" on the insights page, against the real app.

One app over a copy of the test corpus and its index (so a re-index embeds only what changed), the real
model, real SQLite, real uploads (multipart) and a real HTTP server for imports. Every change is published
by a live re-index; the tests wait for it and then ask /api/ask, as a patient would.
"""
from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from index.embedder import Embedder
from service.app import create_app
from service.settings import Settings
from service.staff.articles_publish import Publisher, megabytes
from tests.conftest import CLINIC, NO_RATE_LIMITS, STAFF_PASSWORD, staff_login
from tests.servers import live_server, patients_asking

UPLOAD_LIMIT = 200_000  # a small per-file limit, so a too-big upload is cheap to make
PARKING = b"""---
title: Parking and getting here
---

# Parking and getting here

## Where to park

Patients park for free in the private car park behind the clinic on Mill Lane, where twelve spaces are kept
for our patients.
"""
PARKING_QUESTION = "where can I park my car?"
HOURS_TXT = b"""Evening appointments

When we are open late

The clinic stays open until eight in the evening on Tuesdays and Thursdays for patients who work during the day.
"""
HOSTILE_HTML = b"""<!doctype html><html><head><title>Odd &lt;script&gt;alert(1)&lt;/script&gt; page</title></head>
<body><article><h1>Odd &lt;script&gt;alert(1)&lt;/script&gt; page</h1>
<p>Our reception keeps &lt;img src=x onerror=alert(2)&gt; a printed copy of the consent form for every new patient
who asks to read it before the first appointment, and staff are happy to explain it.</p>
<script>window.evil = 1</script></article></body></html>
"""
SITE_PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Home visits</title></head>
<body><main><article><h1>Home visits</h1>
<p>For patients who cannot travel, our practitioners offer home visits within five miles of the clinic on
Friday mornings, booked by phone at least a week ahead.</p>
<p>A home visit costs the same as a session at the clinic plus a travel fee of fifteen dollars.</p>
</article></main></body></html>
"""


@dataclass
class Site:
    client: TestClient
    corpus: Path
    settings: Settings
    app: Any
    web: str  # the clinic's website, for imports


@pytest.fixture(scope="module")
def site(corpus_dir: Path, index_dir: Path, embedder: Embedder,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app over its own copy of the corpus and index, signed in, with a clinic website to import from."""
    folder = tmp_path_factory.mktemp("articles-page")
    corpus = folder / "corpus"
    shutil.copytree(corpus_dir, corpus)
    shutil.copytree(index_dir.parent, folder / "var", symlinks=True,
                    ignore=shutil.ignore_patterns("clinicbot.db*"))
    pages = {"/home-visits.html": SITE_PAGE}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"not found")))
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    web = f"127.0.0.1:{httpd.server_address[1]}"
    settings = Settings(index_dir=folder / "var" / "index", corpus_dir=corpus, database=folder / "clinicbot.db",
                        staff_password=STAFF_PASSWORD, upload_max_bytes=UPLOAD_LIMIT, import_allowed_hosts=[web],
                        **CLINIC, **NO_RATE_LIMITS)
    app = create_app(settings, embedder)
    with TestClient(app) as client:
        staff_login(client)
        yield Site(client, corpus, settings, app, f"http://{web}")
    httpd.shutdown()
    httpd.server_close()


def token(client: TestClient) -> str:
    return str(client.cookies.get("clinicbot_csrf"))


def files_in(corpus: Path) -> dict[str, bytes]:
    return {p.relative_to(corpus).as_posix(): p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()}


def published(client: TestClient, timeout: float = 180) -> dict[str, Any]:
    """Wait until the re-index publishing the changes (and any queued after it) is done; its state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get("/api/articles/publishing").json()
        if not state["busy"]:
            assert state["state"] == "succeeded", state
            return state  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("the re-index did not finish")


def ask(client: TestClient, question: str) -> dict[str, Any]:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def upload(client: TestClient, *files: tuple[str, bytes], **headers: str) -> Any:
    return client.post("/staff/articles/upload", data={"csrf_token": token(client)},
                       files=[("files", (name, data, "application/octet-stream")) for name, data in files],
                       headers=headers)


def draft_ids(page: str) -> list[str]:
    return re.findall(r'data-draft-id="([0-9a-f]+)"', page)


def publish_all(client: TestClient) -> None:
    response = client.post("/staff/articles/drafts/publish-all", data={"csrf_token": token(client)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    published(client)


def version_of(page: str, form: str = "delete-form") -> str:
    found = re.search(rf'class="{form}[^"]*".*?name="version" value="([0-9a-f]*)"', page, re.S)
    assert found, "no version in the form"
    return found.group(1)


def editor_version(page: str) -> str:
    found = re.search(r'<input type="hidden" name="version" value="([0-9a-f]*)">', page)
    assert found
    return found.group(1)


def assert_error_shape(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == status and body["error"]["message"]


# --- access ---------------------------------------------------------------------------------------------

def test_pages_need_a_staff_login(site: Site) -> None:
    anonymous = TestClient(site.app)
    for path in ("/staff/articles", "/staff/articles/drafts", "/staff/articles/new",
                 "/staff/articles/edit/aftercare.md", "/staff/articles/history/aftercare.md", "/staff/insights/answer"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/login?next="), path
    response = anonymous.post("/staff/articles/upload", files=[("files", ("a.md", b"# A\n\nText.", "text/plain"))],
                              follow_redirects=False)
    assert response.status_code == 303
    assert_error_shape(anonymous.get("/api/articles/publishing"), 401)
    assert_error_shape(anonymous.post("/api/articles/preview", data={"body": "x"}), 401)


def test_every_change_needs_the_csrf_token(site: Site) -> None:
    client, before = site.client, files_in(site.corpus)
    no_header = {"X-CSRF-Token": ""}
    posts = ["/staff/articles/import", "/staff/articles/save", "/staff/articles/delete/aftercare.md",
             "/staff/articles/trash/1/restore", "/staff/articles/drafts/abc/publish",
             "/staff/articles/drafts/abc/discard", "/staff/articles/drafts/publish-all",
             "/staff/articles/versions/1/restore", "/api/articles/preview", "/staff/insights/answer",
             "/staff/articles/publish"]
    for path in posts:
        for data in ({}, {"csrf_token": "forged.token"}):
            assert_error_shape(client.post(path, data={**data, "title": "x", "body": "x"}, headers=no_header), 403)
    multipart = [("files", ("evil.md", b"# Evil\n\nReplaced.", "text/markdown"))]
    assert_error_shape(client.post("/staff/articles/upload", files=multipart, headers=no_header), 403)
    assert_error_shape(client.post("/staff/articles/upload", files=multipart, data={"csrf_token": "nope.nope"},
                                   headers=no_header), 403)
    assert files_in(site.corpus) == before


# --- the list ---------------------------------------------------------------------------------------------

def test_the_list_shows_every_article_with_its_counts_and_citations(site: Site) -> None:
    reply = ask(site.client, "how long do cupping marks last")
    assert reply["status"] == "answered"
    page = site.client.get("/staff/articles?days=7")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    for name in files_in(site.corpus):
        assert f'data-name="{name}"' in html
    cupping = re.search(r'<tr data-name="cupping-therapy.md".*?</tr>', html, re.S)
    assert cupping
    row = cupping.group(0)
    assert re.search(r'class="num cited">[1-9]', row), "an answer quoting it is counted"
    assert re.search(r'class="num passage-count">[1-9]', row) and 'class="format">md' in row
    assert 'aria-current="page">Last 7 days' in html and 'name="days"' in html
    assert 'enctype="multipart/form-data"' in html and 'type="file" multiple' in html
    assert "Import from the clinic's website" in html and 'id="import-url"' in html
    assert ">Articles</a>" in html and 'aria-current="page">Articles' in html


def test_import_says_it_is_off_without_allowed_hosts(client: TestClient) -> None:
    page = client.get("/staff/articles").text
    assert "Importing is off" in page and "CLINICBOT_IMPORT_ALLOWED_HOSTS" in page and 'id="import-url"' not in page
    response = client.post("/staff/articles/import", data={"url": "https://clinic.example/"})
    assert response.status_code == 403 and "Importing is off" in response.text


# --- upload, preview, publish ------------------------------------------------------------------------------

def test_upload_preview_publish_then_the_bot_quotes_it(site: Site) -> None:
    client = site.client
    assert ask(client, PARKING_QUESTION)["status"] == "no_answer"
    response = upload(client, ("parking.md", PARKING), ("evening-hours.txt", HOURS_TXT))
    assert response.status_code == 200, response.text
    page = response.text
    assert 'data-name="parking.md"' in page and 'data-name="evening-hours.txt"' in page
    assert "twelve spaces are kept" in page and "until eight in the evening" in page  # the passages, before publishing
    assert "parking.md" not in files_in(site.corpus)
    assert ask(client, PARKING_QUESTION)["status"] == "no_answer", "a draft is not published"
    publish_all(client)
    assert {"parking.md", "evening-hours.txt"} <= set(files_in(site.corpus))
    reply = ask(client, PARKING_QUESTION)
    assert reply["status"] == "answered", reply
    assert reply["sources"][0]["title"] == "Parking and getting here" and "Mill Lane" in reply["answer"]
    listing = client.get("/staff/articles").text
    assert 'data-name="parking.md"' in listing and "uploaded" in listing  # in the list and in the recent changes


def test_publishing_one_draft_and_discarding_another(site: Site) -> None:
    client = site.client
    page = upload(client, ("house-calls.md", b"# House calls\n\nWe visit patients at home on Fridays.\n"),
                  ("discard-me.md", b"# Discard me\n\nThis draft is thrown away.\n")).text
    ids = dict(zip(re.findall(r'<section class="draft" data-name="([^"]+)"', page), draft_ids(page), strict=True))
    response = client.post(f"/staff/articles/drafts/{ids['discard-me.md']}/discard", data={"csrf_token": token(client)},
                           follow_redirects=False)
    assert response.status_code == 303
    assert "Discarded the draft of discard-me.md" in client.get(response.headers["location"]).text
    response = client.post(f"/staff/articles/drafts/{ids['house-calls.md']}/publish",
                           data={"csrf_token": token(client)}, follow_redirects=False)
    assert response.status_code == 303 and "done=published" in response.headers["location"]
    assert "Published house-calls.md" in client.get(response.headers["location"]).text
    published(client)
    assert "house-calls.md" in files_in(site.corpus) and "discard-me.md" not in files_in(site.corpus)
    assert_error_shape(client.post(f"/staff/articles/drafts/{ids['house-calls.md']}/publish"), 404)


def test_an_unreadable_file_is_refused_with_the_reason_and_nothing_changes(site: Site) -> None:
    client = site.client
    before, drafts_before = files_in(site.corpus), draft_ids(client.get("/staff/articles/drafts").text)
    response = upload(client, ("handout.pdf", b"%PDF-1.4 this is not really a PDF"), ("tool.exe", b"MZ\x90\x00"),
                      ("blank.md", b""))
    assert response.status_code == 422, response.text
    refused = re.findall(r'<code class="refused-name">([^<]+)</code>: <span class="refused-reason">([^<]+)</span>',
                         response.text)
    assert [name for name, _ in refused] == ["handout.pdf", "tool.exe", "blank.md"]
    assert all(reason.strip() for _, reason in refused)
    assert "unsupported file type" in dict(refused)["tool.exe"]
    assert files_in(site.corpus) == before
    assert draft_ids(client.get("/staff/articles/drafts").text) == drafts_before


def test_upload_limits(site: Site) -> None:
    client, before = site.client, files_in(site.corpus)
    big = b"# Big\n\n" + b"Lots of words here. " * (UPLOAD_LIMIT // 20 + 10)
    response = upload(client, ("big.md", big))
    assert response.status_code == 413
    assert f"the limit is {megabytes(UPLOAD_LIMIT)} a file" in response.text  # a friendly page, not a stack trace
    too_many = upload(client, *[(f"f{n}.md", b"# F\n\nText.\n") for n in range(11)])
    assert too_many.status_code == 413 and "at most 10 at a" in too_many.text
    # Over the whole request's limit: refused from its Content-Length, before the body is read.
    huge = b"x" * (UPLOAD_LIMIT * 10 + 300_000)
    assert_error_shape(client.post("/staff/articles/upload", content=huge,
                                   headers={"Content-Type": "multipart/form-data; boundary=x"}), 413)
    page = client.post("/staff/articles/upload", content=huge,
                       headers={"Content-Type": "multipart/form-data; boundary=x", "Accept": "text/html"})
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert "The upload is too large" in page.text
    assert files_in(site.corpus) == before


def test_uploaded_html_is_shown_as_text(site: Site) -> None:
    client = site.client
    response = upload(client, ("odd-page.html", HOSTILE_HTML))
    assert response.status_code == 200, response.text
    page = response.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<img src=x" not in page and "<script>alert" not in page and "window.evil" not in page
    for draft in draft_ids(page):
        client.post(f"/staff/articles/drafts/{draft}/discard", data={"csrf_token": token(client)})


def test_import_from_the_clinic_website(site: Site) -> None:
    client = site.client
    response = client.post("/staff/articles/import", data={"url": f"{site.web}/home-visits.html",
                                                           "csrf_token": token(client)})
    assert response.status_code == 200, response.text
    assert "within five miles of the clinic" in response.text and f"from {site.web}/home-visits.html" in response.text
    refused = client.post("/staff/articles/import", data={"url": "http://elsewhere.example/page.html"})
    assert refused.status_code == 422 and "host not allowed" in refused.text
    missing = client.post("/staff/articles/import", data={"url": f"{site.web}/nope.html"})
    assert missing.status_code == 422 and "Could not import" in missing.text
    for draft in draft_ids(response.text):
        client.post(f"/staff/articles/drafts/{draft}/discard", data={"csrf_token": token(client)})


# --- the editor ---------------------------------------------------------------------------------------------

def test_write_a_new_article_with_preview_then_edit_it_and_the_bot_quotes_the_new_sentence(site: Site) -> None:
    client = site.client
    fields = {"name": "", "version": "", "title": "Gift vouchers", "url": "https://harbour.test/vouchers",
              "date": "2024-05-01", "body": "## Buying a voucher\n\nVouchers are sold at the front desk.\n",
              "csrf_token": token(client)}
    preview = client.post("/staff/articles/save", data={**fields, "action": "preview"})
    assert preview.status_code == 200 and "Vouchers are sold at the front desk." in preview.text
    assert not any("voucher" in n for n in files_in(site.corpus)), "a preview saves nothing"
    live = client.post("/api/articles/preview", data=fields).json()
    assert live["title"] == "Gift vouchers" and live["passages"][0]["section"] == "Buying a voucher"
    saved = client.post("/staff/articles/save", data={**fields, "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/staff/articles/edit/gift-vouchers.md?done=saved"
    editor = client.get(saved.headers["location"]).text
    assert "Saved gift-vouchers.md" in editor and 'value="Gift vouchers"' in editor
    published(client)
    sentence = "A gift voucher for a first acupuncture session costs sixty dollars and is valid for one year."
    edited = {**fields, "name": "gift-vouchers.md", "version": editor_version(editor), "action": "save",
              "body": fields["body"] + "\n" + sentence + "\n"}
    assert client.post("/staff/articles/save", data=edited, follow_redirects=False).status_code == 303
    published(client)
    reply = ask(client, "how much does a gift voucher cost?")
    assert reply["status"] == "answered" and "sixty dollars" in reply["answer"], reply
    assert reply["sources"][0]["url"] == "https://harbour.test/vouchers"


def test_two_staff_editing_the_same_article_get_a_conflict_not_a_lost_edit(site: Site) -> None:
    client = site.client
    page = client.get("/staff/articles/edit/aftercare.md")
    assert page.status_code == 200
    loaded = editor_version(page.text)
    title = re.search(r'name="title" type="text" value="([^"]*)"', page.text)
    assert title
    first = {"name": "aftercare.md", "version": loaded, "title": title.group(1), "url": "", "date": "",
             "body": "## Aftercare\n\nDrink water after your session.\n", "action": "save", "csrf_token": token(client)}
    assert client.post("/staff/articles/save", data=first, follow_redirects=False).status_code == 303
    second = {**first, "body": "## Aftercare\n\nRest for an hour after your session.\n"}
    conflict = client.post("/staff/articles/save", data=second)
    assert conflict.status_code == 409
    assert "Someone else changed this article" in conflict.text
    assert "Rest for an hour after your session." in conflict.text, "their text is kept in the form"
    assert "Drink water" in (site.corpus / "aftercare.md").read_text()
    current = re.search(r'name="current_version" value="([0-9a-f]+)"', conflict.text)
    assert current
    replaced = client.post("/staff/articles/save", data={**second, "action": "overwrite",
                                                         "current_version": current.group(1)},
                           follow_redirects=False)
    assert replaced.status_code == 303
    assert "Rest for an hour" in (site.corpus / "aftercare.md").read_text()
    published(client)


def test_unknown_articles_are_404(site: Site) -> None:
    client = site.client
    for path in ("/staff/articles/edit/nope.md", "/staff/articles/history/nope.md",
                 "/staff/articles/history/cupping-therapy.md?version=999999"):
        assert_error_shape(client.get(path), 404)
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 404
    assert_error_shape(client.post("/staff/articles/delete/nope.md", data={"version": ""}), 404)
    assert_error_shape(client.post("/staff/articles/trash/999999/restore"), 404)
    assert_error_shape(client.post("/staff/articles/versions/999999/restore", data={"expected_version": ""}), 404)
    assert_error_shape(client.post("/staff/articles/drafts/0123abcd/discard"), 404)
    assert_error_shape(client.get("/staff/articles/edit/../secrets.md"), 404)
    not_markdown = client.get("/staff/articles/edit/relieving-upper-back-pain-with-acupuncture.txt")
    assert not_markdown.status_code == 422 and "only .md articles" in not_markdown.json()["error"]["message"]


# --- delete, trash, history -------------------------------------------------------------------------------------

def test_delete_then_the_bot_refuses_and_restore_brings_it_back(site: Site) -> None:
    client = site.client
    if "parking.md" not in files_in(site.corpus):
        upload(client, ("parking.md", PARKING))
        publish_all(client)
    assert ask(client, PARKING_QUESTION)["status"] == "answered"
    listing = client.get("/staff/articles").text
    row = re.search(r'<tr data-name="parking.md".*?</tr>', listing, re.S)
    assert row
    stale = client.post("/staff/articles/delete/parking.md", data={"version": "0" * 64})
    assert stale.status_code == 409 and "was not deleted" in stale.text
    deleted = client.post("/staff/articles/delete/parking.md", data={"version": version_of(row.group(0))},
                          follow_redirects=False)
    assert deleted.status_code == 303
    published(client)
    assert "parking.md" not in files_in(site.corpus)
    assert ask(client, PARKING_QUESTION)["status"] == "no_answer"
    trash = client.get("/staff/articles").text
    item = re.search(r'<li data-item-id="(\d+)">\s*<span class="trash-title">Parking and getting here', trash)
    assert item
    restored = client.post(f"/staff/articles/trash/{item.group(1)}/restore", follow_redirects=False)
    assert restored.status_code == 303
    published(client)
    assert ask(client, PARKING_QUESTION)["status"] == "answered"


def test_history_keeps_every_version_and_restores_one(site: Site) -> None:
    client = site.client
    page = client.get("/staff/articles/edit/first-visit.md").text
    original = (site.corpus / "first-visit.md").read_bytes()
    fields = {"name": "first-visit.md", "version": editor_version(page), "title": "First visit", "url": "", "date": "",
              "body": "## Your first visit\n\nPlease arrive ten minutes early.\n", "action": "save",
              "csrf_token": token(client)}
    assert client.post("/staff/articles/save", data=fields, follow_redirects=False).status_code == 303
    history = client.get("/staff/articles/history/first-visit.md")
    assert history.status_code == 200
    versions = re.findall(r'<tr data-version-id="(\d+)"', history.text)
    assert versions and "edited by staff" in history.text
    shown = client.get(f"/staff/articles/history/first-visit.md?version={versions[0]}")
    assert shown.status_code == 200
    assert 'class="shown-version"' in shown.text and 'class="article-passages"' in shown.text
    expected = re.search(r'name="expected_version" value="([0-9a-f]*)"', history.text)
    assert expected
    restored = client.post(f"/staff/articles/versions/{versions[0]}/restore",
                           data={"expected_version": expected.group(1)}, follow_redirects=False)
    assert restored.status_code == 303
    assert restored.headers["location"].startswith("/staff/articles/history/first-visit.md")
    assert (site.corpus / "first-visit.md").read_bytes() == original
    stale = client.post(f"/staff/articles/versions/{versions[0]}/restore", data={"expected_version": expected.group(1)})
    assert_error_shape(stale, 409)
    published(client)


# --- from content gap to answer ---------------------------------------------------------------------------------

def test_write_an_answer_for_a_content_gap_then_the_bot_answers_it(site: Site) -> None:
    client = site.client
    question = "is there a wheelchair ramp at the entrance?"
    for _ in range(2):
        assert ask(client, question)["status"] == "no_answer"
    insights = client.get("/staff/insights").text
    gap = re.search(r'<li class="gap">(?:(?!</li>\s*<li class="gap">).)*?' + re.escape(question) + r".*?</li>",
                    insights, re.S)
    assert gap, "the question is a content gap"
    assert "Still unanswered" in gap.group(0) and "Write an answer" in gap.group(0)
    assert f'name="question" type="text" value="{question}"' in gap.group(0)
    logged = client.get("/staff/insights.csv").text.count(question)
    form = client.get("/staff/insights/answer", params={"question": question})
    assert form.status_code == 200 and f'value="{question}"' in form.text
    assert '<option value="cupping-therapy.md"' in form.text and "clinic-faq.md" in form.text
    refused = client.post("/staff/insights/answer", data={"question": question, "answer": "  ", "days": "30"})
    assert refused.status_code == 422 and "the answer is empty" in refused.text
    answer = ("Yes: a gentle ramp leads from the pavement to the front entrance, and every treatment room is on "
              "the ground floor, so wheelchair users can reach all of the clinic.")
    response = client.post("/staff/insights/answer", data={"question": question, "answer": answer, "article": "",
                                                           "days": "30"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/insights?days=30")
    assert "was added to clinic-faq.md" in client.get(response.headers["location"]).text
    published(client)
    assert "## Is there a wheelchair ramp at the entrance?" in (site.corpus / "clinic-faq.md").read_text() or \
        f"## {question}" in (site.corpus / "clinic-faq.md").read_text()
    reply = ask(client, question)
    assert reply["status"] == "answered" and "ramp" in reply["answer"], reply
    assert reply["sources"][0]["article_id"] == "clinic-faq"
    insights = client.get("/staff/insights").text
    assert client.get("/staff/insights.csv").text.count(question) == logged + 1, "the answered-now check is not logged"
    gap = re.search(r'<li class="gap">(?:(?!</li>\s*<li class="gap">).)*?' + re.escape(question) + r".*?</li>",
                    insights, re.S)
    assert gap and 'data-answered="true"' in gap.group(0) and "Answered now" in gap.group(0)


# --- publishing ---------------------------------------------------------------------------------------------------

def test_a_change_during_a_rebuild_is_published_by_the_next_one(site: Site) -> None:
    client = site.client
    reindexer = site.app.state.reindexer
    publisher: Publisher = site.app.state.article_publisher
    (site.corpus / "queued-one.md").write_text("# Queued one\n\nThe first queued sentence about saunas.\n")
    reindexer.start()
    (site.corpus / "queued-two.md").write_text("# Queued two\n\nThe clinic lends umbrellas when it rains.\n")
    publisher.publish()
    publisher.publish()  # a second change while one is queued shares the queued build
    state = client.get("/api/articles/publishing").json()
    assert set(state) >= {"state", "queued", "busy", "progress", "skipped", "message", "build_id"}
    final = published(client)
    ids = {a["article_id"] for a in site.app.state.answerer.retriever.stored.articles}
    assert {"queued-one", "queued-two"} <= ids, final
    for name in ("queued-one.md", "queued-two.md"):
        (site.corpus / name).unlink()
    publisher.publish()
    published(client)


def test_a_file_the_index_cannot_read_is_named_with_the_reason(site: Site) -> None:
    client = site.client
    (site.corpus / "scan.pdf").write_bytes(b"%PDF-1.4 broken")
    publisher: Publisher = site.app.state.article_publisher
    publisher.publish()
    state = published(client)
    assert any(s["path"].endswith("scan.pdf") and s["reason"] for s in state["skipped"])
    page = client.get("/staff/articles").text
    assert "Files the index could not read" in page and "scan.pdf" in page
    assert re.search(r'<tr data-name="scan.pdf".*?class="entry-error"', page, re.S)
    (site.corpus / "scan.pdf").unlink()
    again = client.post("/staff/articles/publish", data={"csrf_token": token(client)}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/staff/articles#publishing"
    assert not published(client)["skipped"]


def test_patients_are_answered_without_a_failure_while_staff_publish(corpus_dir: Path, index_dir: Path,
                                                                     embedder: Embedder, tmp_path: Path) -> None:
    """Patients keep asking through a live server while staff upload, then delete, an article (each change a
    live re-index): no request fails, and the answers follow the published changes."""
    shutil.copytree(corpus_dir, tmp_path / "corpus")
    shutil.copytree(index_dir.parent, tmp_path / "var", symlinks=True, ignore=shutil.ignore_patterns("clinicbot.db*"))
    settings = Settings(index_dir=tmp_path / "var" / "index", corpus_dir=tmp_path / "corpus",
                        database=tmp_path / "clinicbot.db", staff_password=STAFF_PASSWORD, **CLINIC, **NO_RATE_LIMITS)
    def wait_published(staff: httpx.Client) -> None:
        deadline = time.monotonic() + 180
        while staff.get("/api/articles/publishing").json()["busy"]:
            assert time.monotonic() < deadline, "the re-index did not finish"
            time.sleep(0.2)

    questions = [PARKING_QUESTION, "does it hurt?", "how much does a session cost?"]
    with live_server(create_app(settings, embedder)) as base, httpx.Client(base_url=base, timeout=60) as staff, \
            patients_asking(base, questions) as asked:
        staff_login(staff)  # type: ignore[arg-type]  # uses only the httpx.Client API
        time.sleep(0.5)
        staged = staff.post("/staff/articles/upload", files=[("files", ("parking.md", PARKING, "text/markdown"))])
        assert staged.status_code == 200, staged.text
        assert staff.post("/staff/articles/drafts/publish-all").status_code in (200, 303)
        wait_published(staff)
        uploaded = len(asked)
        time.sleep(0.5)
        row = re.search(r'<tr data-name="parking.md".*?</tr>', staff.get("/staff/articles").text, re.S)
        assert row
        deleted = staff.post("/staff/articles/delete/parking.md", data={"version": version_of(row.group(0))})
        assert deleted.status_code in (200, 303), deleted.text
        wait_published(staff)
        removed = len(asked)
        time.sleep(0.5)

    # (question, HTTP status, the answer's status or the error)
    results = [(q, code, body["status"] if isinstance(body, dict) else body) for _, q, code, body in asked]
    failures = [r for r in results if r[1] != 200 or r[2] not in ("answered", "no_answer", "emergency")]
    assert not failures, failures[:5]
    parking = [r[2] for r in results if r[0] == PARKING_QUESTION]
    between = [r[2] for r in results[uploaded:removed] if r[0] == PARKING_QUESTION]
    # three patients: at most three requests were in flight when the deletion was published
    after = [r[2] for r in results[removed + 3:] if r[0] == PARKING_QUESTION]
    assert parking[0] == "no_answer" and "answered" in between, (parking[:3], between[:3])
    assert after and set(after) == {"no_answer"}, after[:5]
