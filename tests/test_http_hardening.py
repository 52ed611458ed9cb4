"""HTTP hardening against the real app and a real uvicorn: headers, HEAD, hostile input, stalled clients."""
from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from index.embedder import Embedder
from service import server
from service.app import create_app
from service.database import Database
from service.settings import Settings
from tests.servers import free_port
from tests.test_api import assert_error


@contextmanager
def live(settings: Settings, embedder: Embedder, **overrides: Any) -> Iterator[str]:
    """The app under `clinicbot serve`'s own uvicorn configuration, in a thread; yields its URL."""
    port = free_port()
    settings = settings.model_copy(update={"port": port, **overrides})
    instance = uvicorn.Server(server.config(create_app(settings, embedder), settings))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    try:
        yield url
    finally:
        instance.should_exit = True
        thread.join(timeout=30)


def raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --- security headers -------------------------------------------------------------------------------------

def test_every_page_has_the_security_headers(client: TestClient) -> None:
    article = client.app.state.answerer.retriever.stored.articles[0]["article_id"]  # type: ignore[attr-defined]
    anonymous = TestClient(client.app)  # the sign-in form, for someone not signed in
    for path in ("/", f"/articles/{article}", "/staff/login", "/staff", "/staff/insights"):
        response = (anonymous if path == "/staff/login" else client).get(path, follow_redirects=False)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers, "no HSTS over plain HTTP"
        if path.startswith("/staff"):
            assert "frame-ancestors 'none'" in csp and response.headers["x-frame-options"] == "DENY", path
        else:
            assert "frame-ancestors 'self'" in csp, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), f"inline script on {path}"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", response.text), f"inline event handler on {path}"
    for path in ("/api/widget-config", "/healthz", "/widget.js"):
        assert client.get(path).headers["x-content-type-options"] == "nosniff", path


def test_hsts_when_served_over_https(settings: Settings, embedder: Embedder) -> None:
    with TestClient(create_app(settings.model_copy(update={"cookie_secure": True}), embedder)) as client:
        assert client.get("/").headers["strict-transport-security"].startswith("max-age=")


# --- /docs from the installed package ---------------------------------------------------------------------

def test_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text), "nothing from a CDN"
    for asset in re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text):
        assert client.get(asset).status_code == 200, asset
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_docs_can_be_turned_off(settings: Settings, embedder: Embedder) -> None:
    with TestClient(create_app(settings.model_copy(update={"api_docs": False}), embedder)) as client:
        assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404


# --- HEAD -------------------------------------------------------------------------------------------------

def test_head_works_wherever_get_does(client: TestClient) -> None:
    article = client.app.state.answerer.retriever.stored.articles[0]["article_id"]  # type: ignore[attr-defined]
    paths = ["/", f"/articles/{article}", "/widget.js", "/healthz", "/readyz", "/api/widget-config",
             "/api/search?q=cupping", "/api/reindex", "/staff", "/staff/insights", "/staff/insights.csv",
             "/metrics", "/openapi.json", "/docs", "/static/site.css", "/docs/assets/swagger-ui.css",
             "/no-such-page"]
    for path in paths:
        got, head = client.get(path, follow_redirects=False), client.head(path, follow_redirects=False)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path


def test_a_wrong_method_names_every_method_the_path_takes(client: TestClient) -> None:
    """/api/reindex has a GET route and a POST route: the 405's Allow names both (and HEAD)."""
    for path, allowed in (("/api/reindex", {"GET", "HEAD", "POST"}), ("/api/ask", {"POST"})):
        response = client.request("PATCH", path)
        assert_error(response, 405)
        assert {m.strip() for m in response.headers["allow"].split(",")} == allowed, path


# --- hostile input ----------------------------------------------------------------------------------------

def test_a_lone_surrogate_is_a_422_not_a_500(client: TestClient) -> None:
    before = client.app.state.database.count_questions()  # type: ignore[attr-defined]
    for body in (b'{"question":"hurt \\ud800"}', b'{"question":"ok","history":[{"question":"\\udfff"}]}'):
        error = assert_error(client.post("/api/ask", content=body, headers={"content-type": "application/json"}),
                             422)
        assert "surrogate" in error["message"]
    feedback = b'{"id":"' + b"a" * 32 + b'","helpful":true,"comment":"\\ud83d"}'
    assert_error(client.post("/api/feedback", content=feedback, headers={"content-type": "application/json"}), 422)
    assert client.app.state.database.count_questions() == before  # type: ignore[attr-defined]


@pytest.mark.parametrize("question", ["\x00", "\x00\x00\x00", "\u200b\u200c\u200d", "\ufeff", " \u2060 ", "\x07\x1b"])
def test_a_question_with_nothing_visible_is_a_422_and_not_logged(client: TestClient, question: str) -> None:
    before = client.app.state.database.count_questions()  # type: ignore[attr-defined]
    assert_error(client.post("/api/ask", json={"question": question}), 422)
    assert client.app.state.database.count_questions() == before  # type: ignore[attr-defined]


def test_invisible_characters_are_dropped_from_a_real_question(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "how long does a\u200b session\x00 last?"}).json()
    assert body["status"] == "answered" and "minutes" in body["answer"]
    logged = client.app.state.database.questions()[-1]["question"]  # type: ignore[attr-defined]
    assert logged == "how long does a session last?"


def test_non_ascii_bytes_in_cookies_never_break_a_page(settings: Settings, embedder: Embedder) -> None:
    with live(settings, embedder) as url:
        port = int(url.rsplit(":", 1)[1])
        for path in (b"/", b"/staff/login", b"/staff", b"/api/widget-config"):
            for cookie in (b"clinicbot_staff=\xc3\xa9", b"clinicbot_csrf=\xc3\xa9.\xc3\xa9", b"clinicbot_csrf=\xff",
                           b'clinicbot_csrf="unterminated', b"=;;=\x00"):
                reply = raw(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nCookie: " + cookie
                            + b"\r\nConnection: close\r\n\r\n")
                status = int(reply.split(b" ", 2)[1])
                # a NUL byte is not HTTP at all: the parser's 400; everything else renders, the cookie ignored
                assert status in ((400,) if b"\x00" in cookie else (200, 303)), (path, cookie, reply[:200])


# --- connections ------------------------------------------------------------------------------------------

def test_a_stalled_client_is_disconnected(settings: Settings, embedder: Embedder) -> None:
    with live(settings, embedder, request_read_seconds=1.0, keep_alive_seconds=1.0) as url:
        port = int(url.rsplit(":", 1)[1])
        for partial in (b"GET / HTT", b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"q"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(partial)
                started = time.monotonic()
                assert sock.recv(1024) == b"", "closed without an answer"
                assert time.monotonic() - started < 5
        with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:  # says nothing at all
            assert idle.recv(1024) == b""
        assert httpx.get(f"{url}/healthz").status_code == 200, "a normal request still works"


def test_x_forwarded_for_is_believed_only_from_trusted_proxies(settings: Settings, embedder: Embedder) -> None:
    def visitors(**overrides: Any) -> set[str]:
        with live(settings, embedder, **overrides) as url:
            for address in ("203.0.113.1", "203.0.113.2"):
                assert httpx.post(f"{url}/api/ask", json={"question": "does it hurt?"},
                                  headers={"X-Forwarded-For": address}).status_code == 200
        return {row["visitor"] for row in Database(settings.database).questions()[-2:]}

    assert len(visitors()) == 1, "without trusted proxies the header is ignored: one visitor"
    assert len(visitors(trusted_proxies=["127.0.0.1"])) == 2, "behind a trusted proxy: two visitors"


def test_the_visible_pattern_knows_every_invisible_code_point() -> None:
    """The class is built from the assigned planes only: no control, format or space character is missed."""
    import re
    import unicodedata

    from service.schemas import VISIBLE

    visible = re.compile(VISIBLE)
    invisible = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Cf") or chr(c).isspace()]
    assert invisible and not any(visible.fullmatch(c) for c in invisible)
    assert visible.fullmatch("a") and visible.fullmatch("\U0010fffd")  # private use is visible text
