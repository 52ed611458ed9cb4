"""The FastAPI application: `create_app(settings)` loads the model and index once, in the lifespan."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.embedder import Embedder, load_embedder
from index.store import read_index
from service.staff import auth, passwords
from service.answering.answerer import Answerer
from service.staff.csrf import require_csrf
from service.database import Database
from service.access_log import AccessLog
from service.api import router
from service.api import staff_router as staff_api_router
from service.errors import error_response, install_error_handlers
from service.staff.insights_page import router as insights_router
from service.staff import articles_publish
from service.staff.articles_page import router as articles_router
from service.metrics import Metrics, manifest_of
from service.metrics import router as metrics_router
from service.pages import WEB
from service.question_log import QuestionLog
from service.pages import router as pages_router
from service.staff.reindex import Reindexer
from service.staff.reindex import router as reindex_router
from service.answering.retrieve import Retriever
from service import api_docs
from service.headers import HeadAsGet, SecurityHeaders
from service.index_watch import IndexWatcher
from service.rate_limits import RateLimitMiddleware, RateLimits
from service.secret_key import load_secret_key
from service.settings import Settings, key_file
from service.staff.search import router as staff_router

MAX_BODY_BYTES = 64 * 1024  # a question is at most 1,000 characters; history stays far below this


def load_answerer(settings: Settings, embedder: Embedder | None = None) -> Answerer:
    """Load the model and the index folder; refuses an index built with another model or encoder."""
    stored = read_index(settings.index_dir)
    embedder = embedder or load_embedder(settings.model, settings.encoder, settings.encoder_dir,
                                         settings.query_cache_size, settings.encoder_threads, stored.manifest)
    return Answerer(Retriever(stored, embedder), settings)


class BodyLimit:
    """Reject oversized bodies, declared or streamed, before the app reads them into memory."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        article_limit = articles_publish.body_limit(scope)  # the Articles page's uploads and forms may send more
        limit = article_limit or MAX_BODY_BYTES

        def too_large() -> ASGIApp:
            if article_limit:
                return articles_publish.too_large(scope, limit)
            return error_response(413, f"request body too large: the limit is {MAX_BODY_BYTES} bytes")

        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                await too_large()(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): buffer up to the limit, then replay it to the app.
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > limit:
                await too_large()(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """Build the app; `embedder` lets tests and the CLI share one loaded model."""
    settings = settings or Settings()
    secret = load_secret_key(settings.secret_key.get_secret_value(), key_file(settings))
    staff_users = passwords.load_staff_users(settings)  # a bad CLINICBOT_STAFF_USERS entry stops start-up here
    credentials = passwords.credentials(settings, staff_users, secret)
    settings = passwords.without_password(settings)  # the plain staff password is not kept, only its hash

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.answerer = load_answerer(settings, embedder)
        database = Database(settings.database, settings.database_pool_size)
        database.purge_if_due(settings.retention_days)
        app.state.database = database
        # Answers are logged by a writer thread, in batches; it drains its queue before the database closes.
        app.state.question_log = QuestionLog(database, settings.retention_days, settings.question_log_queue,
                                             settings.question_log_drain_seconds)
        app.state.question_log.start()
        app.state.rate_limits = RateLimits(settings, database)
        # Re-indexing reuses the loaded model and swaps the new answerer in with one assignment.
        app.state.reindexer = Reindexer(settings, app.state.answerer.retriever.embedder,
                                        on_ready=lambda new: setattr(app.state, "answerer", new))
        # Every change on the Articles page is published by a re-index, queued while another one runs.
        app.state.article_publisher = articles_publish.Publisher(app.state.reindexer)
        # Builds another replica writes to the shared index folder are swapped in the same way.
        watcher = IndexWatcher(settings, lambda: app.state.answerer, app.state.reindexer.running,
                               app.state.reindexer.on_ready)
        watcher.start()
        stop_metrics = app.state.metrics.serve(settings.host, settings.metrics_port)  # no-op when unset
        yield
        stop_metrics()
        watcher.close()
        app.state.article_publisher.close()  # queue no more builds
        app.state.reindexer.close()  # stop a running build before the process exits
        app.state.question_log.close()  # every answer given is written before the database closes
        database.close()

    app = FastAPI(
        title="clinicbot",
        summary="Answers patient questions from the clinic's own articles, with sources.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # api_docs.install serves /docs from the installed package, not a CDN
        redoc_url=None,
        openapi_url="/openapi.json" if settings.api_docs else None,
    )
    api_docs.install(app, settings.max_question_chars, settings.api_docs)
    app.state.settings = settings
    app.state.secrets = secret
    app.state.metrics = Metrics(lambda: manifest_of(app.state), lambda: getattr(app.state, "question_log", None))
    app.add_middleware(BodyLimit)
    app.add_middleware(RateLimitMiddleware)
    auth.install(app, staff_users, credentials)
    if settings.allowed_origins:
        # Only the clinic's own sites may call the API from a browser; no cookies cross origins.
        app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins, allow_credentials=False,
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"], max_age=600)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders, https=settings.cookie_secure)
    app.add_middleware(AccessLog)  # added last, so outermost: it times and logs every response, 413s and 429s too
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(pages_router)
    # Staff only: signed in (pages redirect to /staff/login, /api/ answers 401) and, for POSTs, a CSRF token.
    staff_only = [Depends(auth.require_staff), Depends(require_csrf)]
    app.include_router(auth.router)
    app.include_router(staff_router, dependencies=staff_only)
    app.include_router(staff_api_router, dependencies=staff_only)
    app.include_router(reindex_router, dependencies=staff_only)
    app.include_router(insights_router, dependencies=staff_only)
    # The same, with the CSRF token also read from multipart forms (the article uploads).
    app.include_router(articles_router, dependencies=[Depends(auth.require_staff),
                                                      Depends(articles_publish.require_staff_csrf)])
    app.include_router(metrics_router, dependencies=staff_only)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    return app
