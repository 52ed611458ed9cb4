"""Live servers for the browser tests: the bot on one origin, a clinic's website on another.

Debian's Chromium is driven by Playwright; a missing browser fails the run (it is never skipped).
"""
from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import httpx
import pytest
import uvicorn

from index.builder import build_index
from index.embedder import Embedder
from service.app import create_app
from service.settings import Settings
from tests.conftest import CLINIC, NO_RATE_LIMITS, STAFF_PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HOSTILE_ARTICLE = """---
title: "Safety <script>window.__xss_article = 1</script> notes"
date: 2024-06-01
---

## Odd characters <img src=x onerror="window.__xss_article=2">

Our front desk keeps a printed copy of <script>window.__xss_article = 3</script> the consent form for every new
patient who asks to read it before the first appointment.
"""


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium, headless, with every outside connection refused (DEVELOPERS.md)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make install` (it installs Debian's chromium)"
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
        ],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn serving the real app in a background thread."""

    def __init__(self, app: Any, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the live server did not become ready")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass(frozen=True)
class Sites:
    """Where things live during the browser tests."""

    bot: str  # the clinicbot server
    clinic: str  # the clinic's own website, another origin, embedding the widget


def clinic_page(bot: str, title: str, link: str) -> bytes:
    """A clinic web page on another origin that embeds the widget with one script tag."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>* {{ color: #c00 !important; font-size: 30px; }} button {{ display: none; }}</style></head>
<body><h1>{title}</h1><p>Welcome to Harbour Acupuncture.</p><a id="next" href="{link}">Next page</a>
<script src="{bot}/widget.js" data-title="Ask Harbour" data-greeting="Hello! Ask me anything about our treatments."
 data-color="#0b6e4f" data-position="right" defer></script></body></html>""".encode()


@contextmanager
def bot_and_clinic(corpus: Path, index_dir: Path, database: Path, embedder: Embedder,
                   pages_of: Callable[[str], dict[str, bytes]]) -> Iterator[Sites]:
    """The bot over `corpus` and `index_dir` on one port, and a clinic site of `pages_of(bot URL)` on another."""
    bot_port, clinic_port = free_port(), free_port()
    bot, clinic = f"http://127.0.0.1:{bot_port}", f"http://localhost:{clinic_port}"
    pages = pages_of(bot)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args: object) -> None:
            pass

    settings = Settings(index_dir=index_dir, corpus_dir=corpus, allowed_origins=[clinic], database=database,
                        staff_password=STAFF_PASSWORD, **CLINIC, **NO_RATE_LIMITS)
    httpd = ThreadingHTTPServer(("127.0.0.1", clinic_port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with LiveServer(create_app(settings, embedder), bot_port):
            yield Sites(bot=bot, clinic=clinic)
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def sites(corpus_dir: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    """The bot (test corpus plus a hostile article) and a clinic site embedding it from another origin."""
    folder = tmp_path_factory.mktemp("browser")
    corpus = folder / "corpus"
    shutil.copytree(corpus_dir, corpus)
    (corpus / "hostile.md").write_text(HOSTILE_ARTICLE)
    build_index(corpus, folder / "index", embedder)

    def pages(bot: str) -> dict[str, bytes]:
        return {"/": clinic_page(bot, "Harbour Acupuncture", "/about.html"),
                "/about.html": clinic_page(bot, "About us", "/")}

    with bot_and_clinic(corpus, folder / "index", folder / "clinicbot.db", embedder, pages) as found:
        yield found


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
