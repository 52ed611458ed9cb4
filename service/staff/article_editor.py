"""Writing and editing a Markdown article in the browser, its passage preview, and every article's history.

The editor form carries the version (SHA-256) the article was loaded at: saving over a version someone else
has replaced meanwhile is refused with a conflict message and the staff member's text kept in the form, never
a lost edit. Without JavaScript a "Preview" button re-renders the form with the passages; with it,
web/static/articles.js posts the fields to /api/articles/preview as they are typed.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from service.articles.library import (ArticleConflict, ArticleNotFound, MarkdownFields, Preview, UploadRefused,
                                      Version)
from service.articles.names import format_of
from service.errors import error_response
from service.pages import render
from service.staff.articles_publish import article_url, back_to, library, publish, publisher, trash_days, username

router = APIRouter(include_in_schema=False)

TEXT_FORMATS = ("md", "txt")  # shown as text in the history; other formats only as their passages
EMPTY = MarkdownFields(title="", url="", date="", body="")
SAVED = "Saved {name}. The index is being rebuilt; patients are answered from it once that is done."
RESTORED = "Restored an earlier version of {name}. The index is being rebuilt with it."


def _preview(fields: MarkdownFields, request: Request) -> tuple[Preview | None, str]:
    """The passages the fields become, or the reason they cannot be read."""
    try:
        return library(request).preview_markdown(fields), ""
    except UploadRefused as exc:
        return None, exc.reason


def editor(request: Request, name: str, version: str, fields: MarkdownFields, *, status: int = 200,
           notice: str = "", error: str = "", conflict: dict[str, str] | None = None) -> HTMLResponse:
    """The editor page with its passage preview."""
    preview, preview_error = _preview(fields, request)
    response = render(request, "article_edit.html", {
        "name": name, "version": version, "fields": fields, "preview": preview, "preview_error": preview_error,
        "notice": notice, "error": error, "conflict": conflict, "publishing": publisher(request).state(),
        "trash_days": trash_days(request.app.state.settings),
        "history_href": article_url(request, "article_history", name) if name else "",
        "delete_href": article_url(request, "article_delete", name) if name else "",
    }, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/staff/articles/new", name="article_new", response_class=HTMLResponse)
def article_new(request: Request) -> HTMLResponse:
    """An empty editor for a new Markdown article."""
    return editor(request, "", "", EMPTY)


@router.get("/staff/articles/edit/{name:path}", name="article_edit", response_class=HTMLResponse)
def article_edit(request: Request, name: str) -> HTMLResponse:
    """The editor over a Markdown article, at the version it has now."""
    lib = library(request)
    try:
        entry = lib.entry(name)
        fields = lib.markdown_fields(name)
    except ArticleNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except UploadRefused as exc:  # not Markdown, or not a safe name
        raise HTTPException(404 if format_of(name) == "md" else 422, exc.reason) from None
    notice = SAVED.format(name=name) if request.query_params.get("done") == "saved" else ""
    return editor(request, name, entry.version, fields, notice=notice)


@router.post("/staff/articles/save", name="article_save", response_class=HTMLResponse)
def article_save(request: Request, name: str = Form(""), version: str = Form(""), title: str = Form(""),
                 url: str = Form(""), date: str = Form(""), body: str = Form(""), action: str = Form("save"),
                 current_version: str = Form("")) -> Response:
    """Preview, save (only over the version the form was loaded at) or, after a conflict, replace theirs."""
    fields = MarkdownFields(title=title.strip(), url=url.strip(), date=date.strip(), body=body)
    if action == "preview":
        return editor(request, name, version, fields)
    expected = current_version if action == "overwrite" else version
    lib = library(request)
    try:
        entry = lib.save_markdown(name or None, fields, username(request), expected_version=expected if name else None)
    except ArticleConflict as exc:
        current_href = article_url(request, "article_edit", name) if exc.current_version else ""
        return editor(request, name, version, fields, status=409,
                      conflict={"current_version": exc.current_version, "current_href": current_href})
    except ArticleNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except UploadRefused as exc:
        return editor(request, name, version, fields, status=422, error=f"Not saved: {exc.reason}")
    publish(request)
    return back_to(request, "article_edit", path={"name": entry.name}, done="saved")


@router.post("/api/articles/preview", name="article_preview")
def article_preview(request: Request, title: str = Form(""), url: str = Form(""), date: str = Form(""),
                    body: str = Form("")) -> JSONResponse:
    """The passages the editor's fields become (articles.js's live preview); 422 with the reason they cannot."""
    fields = MarkdownFields(title=title.strip(), url=url.strip(), date=date.strip(), body=body)
    preview, reason = _preview(fields, request)
    if preview is None:
        return error_response(422, reason)
    return JSONResponse({
        "title": preview.title, "url": preview.url, "date": preview.date, "sections": preview.sections,
        "passages": [{"passage_id": p.passage_id, "section": p.section, "text": p.text} for p in preview.passages],
    })


# --- history ----------------------------------------------------------------------------------------------

def _version_view(request: Request, name: str, version: Version) -> dict[str, Any]:
    return {"version": version, "href": article_url(request, "article_history", name) + f"?version={version.id}",
            "restore_href": request.url_for("version_restore", version_id=version.id).path}


@router.get("/staff/articles/history/{name:path}", name="article_history", response_class=HTMLResponse)
def article_history(request: Request, name: str, version: int | None = None) -> HTMLResponse:
    """An article's earlier versions, newest first; `?version=` shows one of them as the index would read it."""
    lib = library(request)
    try:
        versions = lib.history(name)
    except UploadRefused as exc:
        raise HTTPException(404, exc.reason) from None
    try:
        current = lib.entry(name)
    except (ArticleNotFound, UploadRefused):
        current = None  # deleted: its history stays, and restoring a version brings it back
    if not versions and current is None:
        raise HTTPException(404, f"no article named {name}, and no history of one")
    shown: dict[str, Any] | None = None
    if version is not None:
        chosen = next((v for v in versions if v.id == version), None)
        if chosen is None:
            raise HTTPException(404, f"{name} has no version {version}")
        data = lib.version_bytes(chosen.id)
        try:
            preview, preview_error = lib.preview_bytes(name, data), ""
        except UploadRefused as exc:
            preview, preview_error = None, exc.reason
        text = data.decode("utf-8", "replace") if format_of(name) in TEXT_FORMATS else ""
        shown = {**_version_view(request, name, chosen), "preview": preview, "preview_error": preview_error,
                 "text": text}
    notice = RESTORED.format(name=name) if request.query_params.get("done") == "restored" else ""
    return render(request, "article_history.html", {
        "name": name, "current": current, "versions": [_version_view(request, name, v) for v in versions],
        "shown": shown, "notice": notice, "error": "", "publishing": publisher(request).state(),
        "edit_href": article_url(request, "article_edit", name) if format_of(name) == "md" else "",
    })


@router.post("/staff/articles/versions/{version_id}/restore", name="version_restore")
def version_restore(request: Request, version_id: int, expected_version: str = Form("")) -> Response:
    """Make an earlier version current again (the one it replaces goes into the history too)."""
    lib = library(request)
    try:
        entry = lib.restore_version(version_id, username(request), expected_version)
    except ArticleNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ArticleConflict as exc:
        raise HTTPException(409, f"{exc} (the history page was loaded before that change: reload it)") from None
    except UploadRefused as exc:
        raise HTTPException(422, exc.reason) from None
    publish(request)
    return back_to(request, "article_history", path={"name": entry.name}, done="restored")
