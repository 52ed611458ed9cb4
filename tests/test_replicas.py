"""Two `clinicbot serve` processes on one PostgreSQL and one index folder, as behind a reverse proxy.

A visitor limited on one replica is limited on the other; a staff session from one works on the other and a
logout on one ends it on both; a re-index through one is served by both.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.builder import build_index
from index.embedder import Embedder
from tests.conftest import STAFF_PASSWORD, TEST_ARTICLES, new_postgres_database
from tests.servers import free_port, wait_ready

NEW_ARTICLE = """# Moxibustion at Harbour

Moxibustion warms acupuncture points with smouldering mugwort held above the skin.
A moxibustion session at Harbour takes about fifteen minutes and is added to an acupuncture visit.
"""


@pytest.fixture(scope="module")
def replicas(postgres_server: str, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[str, str, Path]]:
    folder = tmp_path_factory.mktemp("replicas")
    corpus = folder / "corpus"
    shutil.copytree(TEST_ARTICLES, corpus)
    build_index(corpus, folder / "index", embedder)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CLINICBOT_DATABASE": new_postgres_database(postgres_server),
           "CLINICBOT_INDEX_DIR": str(folder / "index"), "CLINICBOT_CORPUS_DIR": str(corpus),
           "CLINICBOT_SECRET_KEY": "a shared secret key for both replicas, 32+ chars",
           "CLINICBOT_STAFF_PASSWORD": STAFF_PASSWORD, "CLINICBOT_RATE_LIMIT_ASK": "3/minute",
           "CLINICBOT_RATE_LIMIT_PAGES": "1000/minute", "CLINICBOT_INDEX_WATCH_SECONDS": "0.5"}
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            wait_ready(url, process)
        yield urls[0], urls[1], corpus
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _sign_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    page = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post("/staff/login", data={"username": "staff", "password": STAFF_PASSWORD,
                                                 "csrf_token": token})
    assert response.status_code == 303, response.text[:300]
    client.headers["X-CSRF-Token"] = client.cookies["clinicbot_csrf"]
    return client


def test_a_visitor_limited_on_one_replica_is_limited_on_the_other(replicas: tuple[str, str, Path]) -> None:
    one, two, _ = replicas
    question = {"question": "how long does cupping take?"}
    statuses = [httpx.post(f"{url}/api/ask", json=question, timeout=30).status_code for url in (one, two, one)]
    assert statuses == [200, 200, 200]
    limited = httpx.post(f"{two}/api/ask", json=question, timeout=30)
    assert limited.status_code == 429 and limited.headers["retry-after"]
    assert httpx.post(f"{one}/api/ask", json=question, timeout=30).status_code == 429


def test_a_session_works_on_both_and_a_logout_on_one_ends_it_on_both(replicas: tuple[str, str, Path]) -> None:
    one, two, _ = replicas
    on_one = _sign_in(one)
    try:
        cookies = dict(on_one.cookies)
        with httpx.Client(base_url=two, cookies=cookies, timeout=30) as on_two:
            assert on_two.get("/staff").status_code == 200, "the session from one works on two"
            logout = on_two.post("/staff/logout", headers={"X-CSRF-Token": cookies["clinicbot_csrf"]})
            assert logout.status_code == 303
        assert on_one.get("/staff").status_code == 303, "the logout on two ended it on one"
    finally:
        on_one.close()


def test_a_reindex_through_one_is_served_by_both(replicas: tuple[str, str, Path]) -> None:
    one, two, corpus = replicas
    (corpus / "moxibustion.md").write_text(NEW_ARTICLE, encoding="utf-8")
    staff = _sign_in(one)
    try:
        assert staff.post("/api/reindex").status_code == 202
        deadline = time.monotonic() + 120
        while (status := staff.get("/api/reindex").json())["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.3)
        assert status["state"] == "succeeded", status
    finally:
        staff.close()
    deadline = time.monotonic() + 60
    while httpx.get(f"{two}/readyz").json()["index"]["build_id"] != status["build_id"]:
        assert time.monotonic() < deadline, "replica two never served the new build"
        time.sleep(0.3)
    for url in (one, two):
        assert httpx.get(f"{url}/articles/moxibustion").status_code == 200, url
        assert httpx.get(f"{url}/readyz").json()["index"]["article_count"] == len(list(corpus.iterdir()))
