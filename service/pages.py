"""HTML pages: the demo clinic page, the article pages sources link to, and the widget script."""
from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

import web
from index.passage import Passage
from service.answering.answerer import Answerer

WEB = web.ROOT  # the `web` package: templates/ and static/, in the checkout or installed beside `service`
templates = Jinja2Templates(directory=str(WEB / "templates"))  # autoescaping on for .html


def safe_url(url: str) -> str:
    """The URL when it is an http(s) link, else "" (a `javascript:` URL from an article is never a link)."""
    url = (url or "").strip()
    return url if urlsplit(url).scheme.lower() in ("http", "https") else ""


templates.env.filters["safe_url"] = safe_url
router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Render a page with the settings every template may use."""
    context = {"settings": request.app.state.settings, **context}
    return templates.TemplateResponse(request, name, context, status_code=status)


def _answerer(request: Request) -> Answerer:
    return request.app.state.answerer  # type: ignore[no-any-return]


def article_sections(passages: list[Passage]) -> list[dict[str, Any]]:
    """An article's passages regrouped as sections of paragraphs and lists, for its page."""
    sections: list[dict[str, Any]] = []
    for passage in sorted(passages, key=lambda p: p.position):
        if not sections or sections[-1]["anchor"] != passage.anchor:
            sections.append({"heading": passage.section, "anchor": passage.anchor, "blocks": []})
        starts = list(passage.item_starts)
        lead = " ".join(passage.sentences[: starts[0]] if starts else passage.sentences)
        bounds = [*starts, len(passage.sentences)]
        items = [" ".join(passage.sentences[a:b]) for a, b in itertools.pairwise(bounds)]
        sections[-1]["blocks"].append({"lead": lead, "items": items})
    return sections


@router.get("/", name="home", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """A small demo clinic page with the widget embedded."""
    tag = (f'<script src="{request.url_for("widget_js")}" data-title="{request.app.state.settings.widget_title}" '
           'data-color="#0b6e4f" data-position="right" defer></script>')
    return render(request, "home.html", {"articles": _answerer(request).retriever.stored.articles, "embed_tag": tag})


@router.get("/articles/{article_id}", name="article_page", response_class=HTMLResponse)
def article_page(request: Request, article_id: str) -> HTMLResponse:
    """One article as indexed (promotions removed), with an anchor per section."""
    stored = _answerer(request).retriever.stored
    article = next((a for a in stored.articles if a["article_id"] == article_id), None)
    if article is None:
        raise HTTPException(404, f"no article called '{article_id}'")
    passages = [p for p in stored.passages if p.article_id == article_id]
    return render(request, "article.html", {"article": article, "sections": article_sections(passages)})


@router.get("/widget.js", name="widget_js")
def widget_js() -> FileResponse:
    """The embeddable chat widget (plain JavaScript, no dependencies)."""
    return FileResponse(WEB / "static" / "widget.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})
