"""One error shape for the whole JSON API: {"error": {"status", "code", "message", "details"}}."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from index.store import IndexUnavailable
from service.answering.answerer import QuestionError
from service.database import FeedbackError

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_request",
    429: "too_many_requests", 500: "internal_error", 503: "unavailable",
}


def error_response(status: int, message: str, details: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error every endpoint returns."""
    body: dict[str, Any] = {"status": status, "code": _CODES.get(status, "error"), "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    """A readable message; an empty or invisible text says so instead of quoting the schema's pattern."""
    if error.get("type") == "string_pattern_mismatch" or (error.get("type") == "string_too_short"
                                                           and error.get("ctx", {}).get("min_length") == 1):
        return "is empty: type something with visible characters"
    if error.get("type") == "string_unicode":  # the JSON parser's word for a lone surrogate
        return "contains an invalid character (a lone UTF-16 surrogate)"
    return str(error.get("msg", ""))


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [{"field": _field(e.get("loc", ())), "message": _message(e)} for e in exc.errors()]
    readable = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return error_response(422, f"invalid request: {readable}", details)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the JSON API) gets the HTML error page."""
    path = request.url.path
    if path.startswith("/api/") or path in ("/healthz", "/readyz"):
        return False
    return "text/html" in request.headers.get("accept", "")


def html_error(request: Request, status: int, message: str) -> Response:
    """The one HTML error page."""
    from service.pages import render  # pages import errors' neighbours; keep this edge lazy

    headline = {404: "Page not found", 405: "Not allowed", 500: "Something went wrong"}.get(status, "Error")
    return render(request, "error.html", {"status": status, "headline": headline, "message": message}, status)


def _allowed(request: Request) -> str:
    """Every method some route takes at this path (Starlette's own `Allow` names only the first route's)."""
    methods = {method for method in ("DELETE", "GET", "PATCH", "POST", "PUT")
               if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
                      for route in request.app.router.routes)}
    if "GET" in methods:
        methods.add("HEAD")  # service/headers.py answers HEAD wherever GET works
    return ", ".join(sorted(methods))


async def _http(request: Request, exc: StarletteHTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed(request)}
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such page: {request.url.path}" if wants_html(request) else \
            f"no such endpoint: {request.method} {request.url.path}"
    if wants_html(request):
        response = html_error(request, exc.status_code, message)
        response.headers.update(headers or {})
        return response
    return error_response(exc.status_code, message, headers=headers)


async def _question(request: Request, exc: QuestionError) -> JSONResponse:
    return error_response(422, str(exc), [{"field": "question", "message": str(exc)}])


async def _feedback(request: Request, exc: FeedbackError) -> JSONResponse:
    return error_response(404 if exc.code == "unknown_answer" else 409, str(exc))


async def _unavailable(request: Request, exc: IndexUnavailable) -> JSONResponse:
    return error_response(503, str(exc))


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "internal error: the problem was logged; please try again"
    if wants_html(request):
        return html_error(request, 500, message)
    return error_response(500, message)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error, ours and the framework's, to the one JSON shape."""
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(QuestionError, _question)  # type: ignore[arg-type]
    app.add_exception_handler(IndexUnavailable, _unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(FeedbackError, _feedback)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _crash)
