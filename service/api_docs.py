"""The API description: `/openapi.json` that matches the API, and Swagger UI at `/docs` from installed files.

Swagger UI's files come from the `swagger-ui-bundle` package (nothing from a CDN: nothing leaves the
server), and its start-up script is a static file, so the page keeps the CSP without inline script. The
schema declares the one error shape for every error status a route can answer, in place of FastAPI's
`HTTPValidationError`, and the question's length limit from the settings.
"""
from __future__ import annotations

from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
ERROR_TEXT = {400: "Bad request (a body that is not UTF-8 JSON)",
              401: "Not signed in", 403: "Missing or wrong CSRF token", 404: "Not found",
              409: "Conflict", 413: "Request body too large", 422: "Invalid request",
              429: "Too many requests: wait `Retry-After` seconds", 503: "Not ready"}
PUBLIC = {"/api/ask": (400, 413, 422, 429, 503), "/api/feedback": (400, 404, 409, 413, 422, 429),
          "/api/widget-config": (429,)}
STAFF = (401, 403, 422)
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clinicbot API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>"""


def _error_schemas() -> dict[str, Any]:
    from service.schemas import ErrorResponse

    schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    found: dict[str, Any] = schema.pop("$defs", {})
    found["ErrorResponse"] = schema
    return found


def describe(app: FastAPI, max_question_chars: int) -> dict[str, Any]:
    """The OpenAPI document of `app`, with the real error model and limits."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(_error_schemas())
    ask = schemas.get("AskRequest", {}).get("properties", {}).get("question")
    if ask is not None:
        ask["maxLength"] = max_question_chars
    for parameter in doc.get("paths", {}).get("/api/search", {}).get("get", {}).get("parameters", []):
        if parameter["name"] == "q":
            parameter["schema"]["maxLength"] = max_question_chars  # the search reads it as a question
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            statuses = PUBLIC.get(path, STAFF if path.startswith("/api/") else ())
            responses = operation.setdefault("responses", {})
            for status in {*statuses, *(int(s) for s in responses if s == "422")}:
                entry: dict[str, Any] = {"description": ERROR_TEXT[status],
                                         "content": {"application/json": {"schema": ERROR_REF}}}
                if status == 429:
                    entry["headers"] = {"Retry-After": {"description": "Seconds to wait.",
                                                        "schema": {"type": "integer"}}}
                responses[str(status)] = entry
    app.openapi_schema = doc
    return doc


def install(app: FastAPI, max_question_chars: int, enabled: bool) -> None:
    """Serve /openapi.json and /docs (both 404 when `enabled` is false)."""
    app.openapi = lambda: describe(app, max_question_chars)  # type: ignore[method-assign]
    if not enabled:  # the app was made with openapi_url=None
        return
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs_assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI over /openapi.json, from the installed package."""
        return HTMLResponse(PAGE)
