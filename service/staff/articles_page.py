"""The staff Articles page (/staff/articles): the list, uploads and imports as drafts, publishing, delete and trash.

Every page works without JavaScript (forms post and the server answers with a page or a 303 to one);
web/static/articles.js adds a size check before an upload, a confirmation before a delete and the re-index's
progress. Each change is written through the `ArticleLibrary` and published by a live re-index
(articles_publish.py). The editor and history are in article_editor.py, content-gap answers in
gap_answers_page.py; their routes are on this module's `router` too.
"""
from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from service.articles.names import supported_suffixes
from service.articles.library import (ArticleConflict, ArticleEntry, ArticleLibrary, ArticleNotFound, Draft,
                                      UploadRefused)
from service.database import Database, utcnow
from service.pages import render, safe_url
from service.staff.article_editor import router as editor_router
from service.staff.articles_publish import (MAX_FILES, article_url, back_to, library, megabytes, publish, publisher,
                                            trash_days, upload_max_bytes, username)
from service.staff.gap_answers_page import router as gap_answers_router
from service.staff.insights_page import PERIODS, parse_days, period_start
from service.staff.search import article_href

router = APIRouter(include_in_schema=False)
router.include_router(editor_router)
router.include_router(gap_answers_router)

AUDIT_ROWS = 20
NOTICES = {
    "published": "Published {name}: the index is rebuilt with it (see Publishing); patients are answered from it "
                 "once that is done.",
    "published_all": "Published {name} drafts: the index is rebuilt with them (see Publishing); patients are "
                     "answered from them once that is done.",
    "discarded": "Discarded the draft of {name}; the articles are unchanged.",
    "deleted": "Moved {name} to the trash: the index is rebuilt without it. Restore it from the trash below.",
    "restored": "Restored {name}: the index is rebuilt with it.",
}


def notice_of(request: Request) -> str:
    """The message of the change just made (`?done=…&name=…`, set by the redirect after it)."""
    template = NOTICES.get(request.query_params.get("done", ""))
    return template.format(name=request.query_params.get("name", "")) if template else ""


def cited_counts(database: Database, days: int) -> Counter[str]:
    """How often each article was the top source of an answer in the last `days` days (as insights.py counts)."""
    database.flush_log()  # this process's queued answers count too
    today = utcnow().date()
    cites: Counter[str] = Counter()
    for row in database.stats.wordings(period_start(days, today).date().isoformat(), today.isoformat()):
        if row["status"] == "answered" and row["top_article"]:
            cites[str(row["top_article"])] += int(row["n"] or 0)
    return cites


def _row(request: Request, entry: ArticleEntry, cited: int, indexed: set[str]) -> dict[str, Any]:
    """One row of the articles table."""
    return {
        "name": entry.name, "article_id": entry.article_id, "title": entry.title or entry.name,
        "format": entry.format, "sections": entry.sections, "passages": entry.passages, "date": entry.date,
        "url": entry.url, "safe_url": safe_url(entry.url), "cited": cited, "error": entry.error,
        "version": entry.version, "editable": entry.format == "md",
        "href": article_href(request, entry.article_id) if entry.article_id in indexed else "",
        "edit_href": article_url(request, "article_edit", entry.name),
        "history_href": article_url(request, "article_history", entry.name),
        "delete_href": article_url(request, "article_delete", entry.name),
    }


def list_page(request: Request, days: str | None = None, *, status: int = 200, error: str = "",
              import_url: str = "") -> HTMLResponse:
    """The articles page: every article with its counts and citations, the upload and import forms, the trash."""
    settings = request.app.state.settings
    lib = library(request)
    chosen = parse_days(days, settings.retention_days)
    cites = cited_counts(request.app.state.database, chosen)
    indexed = {str(a.get("article_id")) for a in request.app.state.answerer.retriever.stored.articles}
    base = request.url_for("articles_page").path
    response = render(request, "articles.html", {
        "rows": [_row(request, e, cites.get(e.article_id, 0), indexed) for e in lib.entries()],
        "days": chosen, "retention_days": settings.retention_days,
        "periods": [{"days": p, "href": f"{base}?days={p}", "current": p == chosen}
                    for p in sorted({min(p, settings.retention_days) for p in PERIODS})],
        "drafts_count": len(lib.drafts()), "trash": lib.trash(), "trash_days": trash_days(settings),
        "audit": lib.audit(limit=AUDIT_ROWS), "publishing": publisher(request).state(),
        "notice": notice_of(request), "error": error,
        "upload": {"max_files": MAX_FILES, "max_bytes": upload_max_bytes(settings),
                   "max_size": megabytes(upload_max_bytes(settings)), "accept": ",".join(supported_suffixes())},
        "import_hosts": list(settings.import_allowed_hosts), "import_url": import_url,
    }, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def drafts_page(request: Request, refused: list[tuple[str, str]] | None = None, *, status: int = 200,
                error: str = "") -> HTMLResponse:
    """The drafts waiting to be published, each with its passages, and the files just refused with why."""
    lib = library(request)

    def view(draft: Draft) -> dict[str, Any]:
        return {"draft": draft, "replaces": bool(draft.replaces),
                "publish_href": request.url_for("draft_publish", draft_id=draft.id).path,
                "discard_href": request.url_for("draft_discard", draft_id=draft.id).path}

    return render(request, "article_drafts.html", {
        "drafts": [view(d) for d in lib.drafts()], "refused": refused or [], "error": error,
        "notice": notice_of(request), "publishing": publisher(request).state(),
    }, status)


@router.get("/staff/articles", name="articles_page", response_class=HTMLResponse)
def articles_page(request: Request, days: str | None = None) -> HTMLResponse:
    """Every article with title, format, section and passage counts, date, URL and citations in the period."""
    return list_page(request, days)


@router.get("/staff/articles/drafts", name="article_drafts", response_class=HTMLResponse)
def article_drafts(request: Request) -> HTMLResponse:
    """Uploaded and imported files waiting to be published, with the passages each becomes."""
    return drafts_page(request)


def stage_files(lib: ArticleLibrary, files: list[tuple[str, bytes]], user: str,
                max_bytes: int) -> list[tuple[str, str]]:
    """Keep each readable file as a draft; the others, with the reason, are returned (and nothing else changes)."""
    refused: list[tuple[str, str]] = []
    for name, data in files:
        if len(data) > max_bytes:
            refused.append((name, f"the file is {megabytes(len(data))}; the limit is {megabytes(max_bytes)} a file"))
            continue
        try:
            lib.stage(name, data, user)
        except UploadRefused as exc:
            refused.append((name, exc.reason))
    return refused


@router.post("/staff/articles/upload", name="articles_upload", response_class=HTMLResponse)
async def articles_upload(request: Request) -> HTMLResponse:
    """Files from the upload form (multipart, several at once) become drafts to preview; unreadable ones say why."""
    max_bytes = upload_max_bytes(request.app.state.settings)
    async with request.form() as form:  # spooled to disk past 1 MB, closed when done
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        files = []
        for upload in uploads[:MAX_FILES + 1]:
            # The browser's name only: a path some browsers send along is not a place in corpus/.
            name = PurePosixPath(str(upload.filename).replace("\\", "/")).name
            files.append((name, await upload.read(max_bytes + 1)))
    return await run_in_threadpool(_staged_page, request, files, max_bytes)


def _staged_page(request: Request, files: list[tuple[str, bytes]], max_bytes: int) -> HTMLResponse:
    """Stage the uploaded files and show the drafts, with the refused files and why."""
    if not files:
        return drafts_page(request, status=422, error="Choose one or more files to upload.")
    if len(files) > MAX_FILES:
        return drafts_page(request, status=413, error=f"Too many files at once: upload at most {MAX_FILES} at a "
                                                      "time. Nothing was changed.")
    refused = stage_files(library(request), files, username(request), max_bytes)
    status = 200
    if len(refused) == len(files):
        status = 413 if all("the limit is" in reason for _, reason in refused) else 422
    return drafts_page(request, refused, status=status)


@router.post("/staff/articles/import", name="articles_import", response_class=HTMLResponse)
def articles_import(request: Request, url: str = Form("")) -> HTMLResponse:
    """The pages of a URL on the clinic's website (a page, sitemap or feed) become drafts to preview."""
    settings = request.app.state.settings
    if not settings.import_allowed_hosts:
        return list_page(request, status=403, error="Importing is off: set CLINICBOT_IMPORT_ALLOWED_HOSTS to the "
                                                    "clinic website's host names and restart.")
    if not url.strip():
        return list_page(request, status=422, error="Give the address of a page, sitemap or feed to import.")
    from service.articles.importer import ImportLimits, ImportRefused, import_pages  # httpx: loaded when used

    try:
        pages, refused = import_pages(url.strip(), ImportLimits.from_settings(settings))
    except ImportRefused as exc:
        return list_page(request, status=422, error=f"Could not import {url.strip()}: {exc.reason}",
                         import_url=url.strip())
    lib, user, staged = library(request), username(request), 0
    for page in pages:
        try:
            lib.stage(page.filename, page.data, user, source_url=page.url)
            staged += 1
        except UploadRefused as exc:
            refused.append((page.url, exc.reason))
    return drafts_page(request, refused, status=200 if staged or not refused else 422)


@router.post("/staff/articles/drafts/publish-all", name="drafts_publish_all")
def drafts_publish_all(request: Request) -> Response:
    """Publish every draft, then rebuild the index once."""
    lib, user = library(request), username(request)
    drafts = lib.drafts()
    done = 0
    try:
        for draft in drafts:
            lib.publish(draft.id, user)
            done += 1
    except (ArticleConflict, UploadRefused) as exc:
        if done:
            publish(request)
        return drafts_page(request, status=409 if isinstance(exc, ArticleConflict) else 422,
                           error=f"Published {done} of {len(drafts)} drafts; then: {exc}")
    publish(request)
    return back_to(request, "articles_page", done="published_all", name=done)


@router.post("/staff/articles/drafts/{draft_id}/publish", name="draft_publish")
def draft_publish(request: Request, draft_id: str) -> Response:
    """Publish one draft: write it into corpus/ and rebuild the index."""
    lib = library(request)
    try:
        entry = lib.publish(draft_id, username(request))
    except ArticleNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ArticleConflict as exc:
        return drafts_page(request, status=409, error=str(exc))
    except UploadRefused as exc:
        return drafts_page(request, status=422, error=exc.reason)
    publish(request)
    return back_to(request, "articles_page", done="published", name=entry.name)


@router.post("/staff/articles/drafts/{draft_id}/discard", name="draft_discard")
def draft_discard(request: Request, draft_id: str) -> Response:
    """Drop a draft; the articles stay as they are."""
    lib = library(request)
    try:
        draft = lib.draft(draft_id)
        lib.discard(draft_id, username(request))
    except ArticleNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return back_to(request, "article_drafts", done="discarded", name=draft.name)


@router.post("/staff/articles/delete/{name:path}", name="article_delete")
def article_delete(request: Request, name: str, version: str = Form("")) -> Response:
    """Move an article to the trash (restorable for the trash days) and rebuild the index without it."""
    try:
        library(request).delete(name, username(request), expected_version=version or None)
    except (ArticleNotFound, UploadRefused) as exc:
        raise HTTPException(404, str(exc)) from None
    except ArticleConflict as exc:
        return list_page(request, status=409, error=f"{name} was changed by someone else since this page was "
                                                    f"loaded, so it was not deleted: {exc}. Check it and try again.")
    publish(request)
    return back_to(request, "articles_page", done="deleted", name=name)


@router.post("/staff/articles/trash/{item_id}/restore", name="trash_restore")
def trash_restore(request: Request, item_id: int) -> Response:
    """Put a deleted article back and rebuild the index with it."""
    try:
        entry = library(request).restore_trash(item_id, username(request))
    except ArticleNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except (ArticleConflict, UploadRefused) as exc:
        return list_page(request, status=409, error=str(exc))
    publish(request)
    return back_to(request, "articles_page", done="restored", name=entry.name)


@router.post("/staff/articles/publish", name="articles_republish")
def articles_republish(request: Request) -> Response:
    """Publish the articles as they are now (after a failed rebuild, or a file changed by hand)."""
    publish(request)
    return back_to(request, "articles_page", fragment="publishing")


@router.get("/api/articles/publishing", name="articles_publishing")
def articles_publishing(request: Request) -> JSONResponse:
    """The re-index publishing the latest changes (state, progress, unreadable files), for articles.js."""
    return JSONResponse(publisher(request).state().as_json(), headers={"Cache-Control": "no-store"})
