"""`clinicbot serve --workers 2`: two forked processes answering on one port, with one SQLite database.

Fresh connections reach both workers; a re-index through one is served by both within seconds of its swap
(the default index watch); a rate limit and the sign-in pauses count across them; a killed worker is
replaced; SIGTERM stops every worker and the parent exits 0; workers that cannot start make it give up.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.builder import build_index
from index.embedder import Embedder
from service.settings import Settings
from service.staff.lockout import FREE_FAILURES
from service.workers import worker_count
from tests.conftest import STAFF_PASSWORD, TEST_ARTICLES
from tests.servers import free_port, wait_ready

NEW_ARTICLE = """# Moxibustion at Harbour

Moxibustion warms acupuncture points with smouldering mugwort held above the skin.
A moxibustion session at Harbour takes about fifteen minutes and is added to an acupuncture visit.
"""
START_SECONDS = 120  # to the first answer: two workers load the model and the index on two cores


@dataclass
class Served:
    """A running `clinicbot serve --workers 2`: its URL, the parent process, the folders it serves from."""

    url: str
    process: subprocess.Popen[bytes]
    corpus: Path
    log: Path

    def health(self) -> dict[str, Any]:
        """GET /healthz over a new connection (so the kernel may hand it to either worker)."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            body: dict[str, Any] = client.get("/healthz").json()
        return body

    def pids(self, count: int, seconds: float = 30, exclude: frozenset[int] = frozenset()) -> set[int]:
        """Worker pids seen on /healthz over fresh connections until `count` distinct ones answered."""
        seen: set[int] = set()
        deadline = time.monotonic() + seconds
        while len(seen) < count:
            assert time.monotonic() < deadline, f"only workers {seen} answered in {seconds} s\n{self.tail()}"
            try:
                pid = int(self.health()["pid"])
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            if pid not in exclude:
                seen.add(pid)
        return seen

    def tail(self) -> str:
        """The end of the server's log, for a failing assertion."""
        lines = [line for line in self.log.read_text(errors="replace").splitlines() if '"route"' not in line]
        return "\n".join(lines[-40:])


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@contextmanager
def serve(folder: Path, embedder: Embedder, **env: str) -> Iterator[Served]:
    """Index the test articles into `folder` and serve them with two workers until the block ends."""
    corpus = folder / "corpus"
    shutil.copytree(TEST_ARTICLES, corpus)
    build_index(corpus, folder / "index", embedder)
    port, log = free_port(), folder / "serve.log"
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "CLINICBOT_DATABASE": str(folder / "clinicbot.db"),
                   "CLINICBOT_INDEX_DIR": str(folder / "index"), "CLINICBOT_CORPUS_DIR": str(corpus),
                   "CLINICBOT_STAFF_PASSWORD": STAFF_PASSWORD, "CLINICBOT_RATE_LIMIT_PAGES": "1000/minute", **env}
    with open(log, "wb") as out:  # the server keeps its own descriptor
        process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--workers", "2", "--port",
                                    str(port)], env=environment, stdout=out, stderr=subprocess.STDOUT)
    served = Served(f"http://127.0.0.1:{port}", process, corpus, log)
    try:
        wait_ready(served.url, process, START_SECONDS, log)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def served(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the tests that leave it running: the default index watch, 3 questions a minute."""
    with serve(tmp_path_factory.mktemp("workers"), embedder, CLINICBOT_RATE_LIMIT_ASK="3/minute") as server:
        yield server


def _csrf(client: httpx.Client) -> str:
    """The sign-in form's CSRF token (its cookie is now in `client`)."""
    response = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert token, response.text[:300]
    return token.group(1)


def _sign_in(url: str, password: str, token: str) -> httpx.Response:
    """One sign-in attempt over a new connection, with the CSRF token as cookie and field."""
    with httpx.Client(base_url=url, timeout=30, cookies={"clinicbot_csrf": token}) as client:
        return client.post("/staff/login", data={"username": "staff", "password": password, "csrf_token": token})


def test_fresh_connections_reach_both_workers_of_one_parent(served: Served) -> None:
    pids = served.pids(2)
    assert served.process.pid not in pids, "the parent only supervises"
    assert {_parent_of(pid) for pid in pids} == {served.process.pid}
    body = served.health()
    assert body["status"] == "ok" and body["build_id"] == httpx.get(f"{served.url}/readyz").json()["index"][
        "build_id"]


def test_a_reindex_through_one_worker_is_served_by_both(served: Served) -> None:
    workers = served.pids(2)
    before = served.health()["build_id"]
    (served.corpus / "moxibustion.md").write_text(NEW_ARTICLE, encoding="utf-8")
    with httpx.Client(base_url=served.url, timeout=30) as staff:  # one keep-alive connection: one worker builds
        token = _csrf(staff)
        signed_in = staff.post("/staff/login", data={"username": "staff", "password": STAFF_PASSWORD,
                                                     "csrf_token": token})
        assert signed_in.status_code == 303, signed_in.text[:300]
        staff.headers["X-CSRF-Token"] = staff.cookies["clinicbot_csrf"]  # a new token comes with the session
        assert staff.post("/api/reindex").status_code == 202
        deadline = time.monotonic() + 120
        while (status := staff.get("/api/reindex").json())["state"] == "running":
            assert time.monotonic() < deadline, "the re-index did not finish"
            time.sleep(0.2)
    built = time.monotonic()
    assert status["state"] == "succeeded", status
    assert status["build_id"] != before
    serving: dict[int, object] = {}
    deadline = built + 30
    while {serving.get(pid) for pid in workers} != {status["build_id"]}:
        assert time.monotonic() < deadline, f"after 30 s the workers serve {serving}, not {status['build_id']}"
        body = served.health()
        serving[int(body["pid"])] = body["build_id"]
    assert httpx.get(f"{served.url}/articles/moxibustion").status_code == 200


def test_a_rate_limit_counts_across_the_workers(served: Served) -> None:
    served.pids(2)
    question = {"question": "how long does cupping take?"}
    statuses = [httpx.post(f"{served.url}/api/ask", json=question, timeout=30).status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 429, 429, 429], "3/minute for one visitor, whichever worker answers"


def test_parallel_guesses_reaching_both_workers_cannot_slip_past_the_pause(served: Served) -> None:
    served.pids(2)
    with httpx.Client(base_url=served.url, timeout=10) as client:
        token = _csrf(client)
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda n: _sign_in(served.url, f"guess {n}", token), range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * FREE_FAILURES + [429] * (10 - FREE_FAILURES), \
        "an attempt's check and record hold across the two processes"
    paused = _sign_in(served.url, STAFF_PASSWORD, token)
    assert paused.status_code == 429, "the pause is the same on every worker"
    time.sleep(int(paused.headers["retry-after"]) + 0.5)
    assert _sign_in(served.url, STAFF_PASSWORD, token).status_code == 303, "after the pause the password works"


def test_a_killed_worker_is_replaced(served: Served) -> None:
    workers = served.pids(2)
    killed = min(workers)
    os.kill(killed, signal.SIGKILL)
    replacement = served.pids(1, seconds=60, exclude=frozenset(workers))
    assert _parent_of(next(iter(replacement))) == served.process.pid
    assert served.process.poll() is None, "the parent keeps running"
    assert served.pids(2) == (workers - {killed}) | replacement, "the other worker and the new one answer"


def test_sigterm_stops_every_worker_and_the_parent_exits_0(embedder: Embedder, tmp_path: Path) -> None:
    with serve(tmp_path, embedder) as server:
        workers = server.pids(2)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0, server.tail()
        deadline = time.monotonic() + 10
        while not all(_gone(pid) for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived the parent"
            time.sleep(0.1)
        assert "clinicbot stopped (exit 0)" in server.log.read_text()


def test_workers_that_cannot_start_make_serve_give_up(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CLINICBOT_DATABASE": str(tmp_path / "clinicbot.db"),
           "CLINICBOT_INDEX_DIR": str(tmp_path / "no-index")}
    done = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--workers", "2", "--port",
                           str(free_port())], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "died before they were ready: giving up" in done.stderr


def test_the_number_of_workers_defaults_to_one_per_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLINICBOT_WORKERS", raising=False)
    assert Settings().workers == 0 and worker_count(Settings()) == (os.cpu_count() or 1)
    monkeypatch.setenv("CLINICBOT_WORKERS", "3")
    assert worker_count(Settings()) == 3


def test_a_port_in_use_or_a_negative_count_stops_serve_with_a_message(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CLINICBOT_DATABASE": str(tmp_path / "clinicbot.db")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--workers", "2", "--port", port],
                              env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and f"clinicbot serve: cannot listen on 127.0.0.1:{port}" in done.stderr
    done = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--workers", "-1"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "--workers must be 0 (one per CPU) or more" in done.stderr
