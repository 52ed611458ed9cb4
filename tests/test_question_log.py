"""The question log's writer thread (service/question_log.py), on SQLite and PostgreSQL, in the real app.

An answer is logged off the request's path, in batches; feedback on an answer still queued works; a clean
shutdown drains the queue; a full queue makes answers write their own records; failed writes are retried; and
SIGTERM to a real `clinicbot serve` in the middle of a load leaves a row for every 200 the clients received.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from index.embedder import Embedder
from service.app import create_app
from service.database import Database, QuestionRecord, utcnow
from service.question_log import QuestionLog
from service.settings import Settings
from tests.conftest import ENCODERS, NO_RATE_LIMITS, ROOT, STAFF_PASSWORD, staff_login
from tests.servers import free_port, wait_ready

QUESTIONS = ["how long does a session last?", "does cupping leave marks?", "how much is botox?",
             "i think im having a stroke, my face is drooping", "does acupuncture hurt?", "what is qi?"]
SECRET = "a secret key for the question log tests, 32+ characters"


def app_settings(index_dir: Path, database_url: str, **overrides: Any) -> Settings:
    return Settings(index_dir=index_dir, database=database_url, secret_key=SECRET, staff_password=STAFF_PASSWORD,
                    **{**NO_RATE_LIMITS, **overrides})


def wait_until(condition: Callable[[], bool], seconds: float = 30, what: str = "the condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def lock_questions(database_url: str) -> Callable[[], None]:
    """Another connection takes a lock that makes every insert into `questions` wait; returns its release."""
    if "://" in database_url:
        import psycopg

        conn: Any = psycopg.connect(database_url)  # a transaction opens with the first statement
        conn.execute("LOCK TABLE questions IN EXCLUSIVE MODE")  # reads go on, writes wait
    else:
        conn = sqlite3.connect(database_url, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")  # SQLite's write lock: the writer waits in its busy timeout
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            conn.rollback() if "://" in database_url else conn.execute("ROLLBACK")
            conn.close()

    return release


@contextmanager
def questions_locked(database_url: str) -> Iterator[Callable[[], None]]:
    """Inserts into `questions` wait while this lasts (or until the release it yields is called)."""
    release = lock_questions(database_url)
    try:
        yield release
    finally:
        release()


def rows(database_url: str) -> list[dict[str, Any]]:
    """The log as another process sees it: a fresh Database flushes nothing of the app's queue."""
    database = Database(database_url)
    try:
        return database.questions()
    finally:
        database.close()


def stored(database: Database) -> int:
    """Rows in the log right now, without flushing the queue (and without writing: the table may be locked)."""
    with database.backend.read() as tx:
        row = tx.one("SELECT COUNT(*) AS n FROM questions")
    return int(row["n"]) if row else 0


# --- the writer, on its own -------------------------------------------------------------------------------

def test_the_writer_stores_the_same_fields_as_a_direct_write(database_url: str) -> None:
    database = Database(database_url)
    at = utcnow()
    full = QuestionRecord(id="direct", question="how long is a session?", status="answered", answer="An hour.",
                          latency_ms=12.345, conversation_id="c-1", visitor="v-1", top_article="a",
                          top_title="A", top_score=0.9, nearest_passage="a#1", nearest_score=0.9123,
                          asked_at=at, reason=None)
    database.record_question(full)  # as every answer was logged before the writer
    log = QuestionLog(database, retention_days=90)
    log.start()
    for n in range(3):
        log.add(QuestionRecord(**{**full.__dict__, "id": f"queued{n}"}))
    log.close()
    [direct, *queued] = rows(database_url)
    assert len(queued) == 3 and log.written == 3 and log.depth == 0
    for row in queued:
        assert {**row, "id": "direct"} == direct


def test_a_refused_record_is_dropped_without_holding_up_its_batch(database_url: str) -> None:
    database = Database(database_url)
    database.record_question(QuestionRecord(id="taken", question="q", status="answered", answer="", latency_ms=1))
    log = QuestionLog(database, retention_days=90)
    log.start()
    with questions_locked(database_url) as release:  # so the three queue up and are written together
        for answer_id in ("a", "taken", "b"):  # "taken" is a duplicate id: the database refuses it
            log.add(QuestionRecord(id=answer_id, question="q", status="answered", answer="", latency_ms=1))
        release()
        assert log.flush()
    log.close()
    assert sorted(r["id"] for r in rows(database_url)) == ["a", "b", "taken"]
    assert (log.written, log.dropped) == (2, 1) and log.failures >= 2  # the batch, then "taken" on its own


# --- in the app -------------------------------------------------------------------------------------------

def test_every_answer_is_logged_with_its_fields(database_url: str, index_dir: Path, embedder: Embedder) -> None:
    with TestClient(create_app(app_settings(index_dir, database_url), embedder)) as client:
        bodies = [client.post("/api/ask", json={"question": q, "conversation_id": "conv-9"}).json()
                  for q in QUESTIONS]
    logged = {r["id"]: r for r in rows(database_url)}
    assert set(logged) == {b["id"] for b in bodies}
    for body in bodies:
        row = logged[body["id"]]
        assert (row["status"], row["reason"], row["conversation_id"]) == (body["status"], body["reason"], "conv-9")
        assert row["answer"] == (body["answer"] if body["status"] == "answered" else "")
        assert row["top_article"] == (body["sources"][0]["article_id"] if body["sources"] else None)
        assert row["latency_ms"] > 0 and row["visitor"] and row["day"] == row["asked_at"][:10]


def test_an_answer_does_not_wait_for_the_database_and_feedback_waits_for_its_row(
        database_url: str, index_dir: Path, embedder: Embedder) -> None:
    with TestClient(create_app(app_settings(index_dir, database_url), embedder)) as client:
        log: QuestionLog = client.app.state.question_log  # type: ignore[attr-defined]
        with questions_locked(database_url) as release:
            body = client.post("/api/ask", json={"question": QUESTIONS[0]}).json()  # answered while locked
            assert log.depth == 1 and stored(client.app.state.database) == 0  # type: ignore[attr-defined]
            vote: list[Any] = []
            voter = threading.Thread(target=lambda: vote.append(
                client.post("/api/feedback", json={"id": body["id"], "helpful": True})))
            voter.start()
            voter.join(0.5)
            assert voter.is_alive(), "the vote waits for its answer's row"
            release()
            voter.join(30)
        assert vote[0].status_code == 201, vote[0].text
        for question in QUESTIONS:  # and straight after an ask, unlocked
            answer_id = client.post("/api/ask", json={"question": question}).json()["id"]
            assert client.post("/api/feedback", json={"id": answer_id, "helpful": False}).status_code == 201
        assert client.post("/api/feedback", json={"id": "0" * 32, "helpful": True}).status_code == 404
        assert client.app.state.database.count_questions() == len(QUESTIONS) + 1  # type: ignore[attr-defined]


def test_a_clean_shutdown_writes_everything_still_queued(
        database_url: str, index_dir: Path, embedder: Embedder) -> None:
    with TestClient(create_app(app_settings(index_dir, database_url), embedder)) as client:
        release = lock_questions(database_url)
        ids = [client.post("/api/ask", json={"question": q}).json()["id"] for q in QUESTIONS * 5]
        assert client.app.state.question_log.depth == len(ids)  # type: ignore[attr-defined]
        threading.Timer(0.5, release).start()  # the database comes back while the app shuts down
    # the TestClient's exit ran the lifespan's shutdown: it drained the queue before the database closed
    assert sorted(r["id"] for r in rows(database_url)) == sorted(ids)


def test_a_full_queue_makes_answers_write_their_own_records(
        database_url: str, index_dir: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture) -> None:
    settings = app_settings(index_dir, database_url, question_log_queue=2)
    with TestClient(create_app(settings, embedder)) as client:
        staff_login(client)
        log: QuestionLog = client.app.state.question_log  # type: ignore[attr-defined]
        statuses: list[int] = []

        def ask_until_full() -> None:
            while log.overflows == 0 and len(statuses) < 10:
                statuses.append(client.post("/api/ask", json={"question": QUESTIONS[len(statuses) % 6]}).status_code)

        with questions_locked(database_url) as release:
            asker = threading.Thread(target=ask_until_full)
            asker.start()
            wait_until(lambda: log.overflows == 1, what="the queue to fill up")
            asker.join(0.3)
            assert asker.is_alive(), "the answer that found the queue full writes its record itself (and waits)"
            assert client.get("/api/widget-config").status_code == 200, "the event loop is not blocked"
            release()
            asker.join(30)
        # one or two taken by the writer (which waits for the lock), two queued, one written by its own request
        assert statuses == [200] * len(statuses) and 4 <= len(statuses) <= 5
        assert client.app.state.database.count_questions() == len(statuses)  # type: ignore[attr-defined]
        metrics = client.get("/metrics").text
        assert "clinicbot_question_log_overflows_total 1.0" in metrics
        assert "clinicbot_question_log_queue_depth 0.0" in metrics
    assert any("answers write their own records" in r.getMessage() for r in caplog.records)


def test_failed_writes_are_counted_and_retried(database_url: str, index_dir: Path, embedder: Embedder) -> None:
    with TestClient(create_app(app_settings(index_dir, database_url), embedder)) as client:
        staff_login(client)
        log: QuestionLog = client.app.state.question_log  # type: ignore[attr-defined]
        with client.app.state.database.backend.transaction() as tx:  # type: ignore[attr-defined]
            tx.run("ALTER TABLE questions RENAME TO questions_away")  # the table is gone for a while
        body = client.post("/api/ask", json={"question": QUESTIONS[0]}).json()
        wait_until(lambda: log.failures >= 2, what="two failed writes")
        assert log.depth == 1
        with client.app.state.database.backend.transaction() as tx:  # type: ignore[attr-defined]
            tx.run("ALTER TABLE questions_away RENAME TO questions")
        assert [r["id"] for r in client.app.state.database.questions()] == [body["id"]]  # type: ignore[attr-defined]
        metrics = client.get("/metrics").text
    failures = next(line for line in metrics.splitlines() if line.startswith("clinicbot_question_log_write_failures"))
    assert float(failures.split()[-1]) >= 2 and log.dropped == 0


# --- a real server, stopped under load --------------------------------------------------------------------

@contextmanager
def clinicbot_serve(database_url: str, index_dir: Path, log: Path, workers: int) -> Iterator[
        tuple[str, subprocess.Popen[bytes]]]:
    """A real `clinicbot serve` on a free port, ready; yields its URL and process (killed if still running)."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CLINICBOT_DATABASE": database_url,
           "CLINICBOT_INDEX_DIR": str(index_dir), "CLINICBOT_ENCODER_DIR": str(ENCODERS),
           "CLINICBOT_SECRET_KEY": SECRET, "CLINICBOT_WORKERS": str(workers), "CLINICBOT_INDEX_WATCH_SECONDS": "0",
           **{f"CLINICBOT_{name.upper()}": value for name, value in NO_RATE_LIMITS.items()}}
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env,
                                  cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server, 120, log)
        yield url, server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_under_load_leaves_a_row_for_every_200(
        database_url: str, index_dir: Path, tmp_path: Path, workers: int) -> None:
    Database(database_url).close()  # the schema exists, so the rows can be counted whatever happens
    ok, errors, bad, budget = [0], [0], [], 400
    lock, stopped = threading.Lock(), threading.Event()

    def load(url: str, offset: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            for n in range(budget // 8):
                try:
                    response = http.post("/api/ask", json={"question": QUESTIONS[(offset + n) % 6]})
                except httpx.TransportError:
                    with lock:
                        errors[0] += 1
                    return  # the server is gone
                with lock:
                    ok[0] += response.status_code == 200
                    if response.status_code != 200 and not stopped.is_set():
                        bad.append(response.text)

    log = tmp_path / "server.log"
    with clinicbot_serve(database_url, index_dir, log, workers) as (url, server):
        # The database is stalled through the load and the SIGTERM: the answers are all still queued at the
        # signal, so their rows can only be there if the shutdown drains the queue.
        with questions_locked(database_url) as release:
            threads = [threading.Thread(target=load, args=(url, i)) for i in range(8)]
            for thread in threads:
                thread.start()
            wait_until(lambda: ok[0] >= budget // 2, 120, "half the load")
            stopped.set()
            server.send_signal(signal.SIGTERM)
            time.sleep(1)
            release()  # the database comes back while the server shuts down
            for thread in threads:
                thread.join(120)
        server.wait(timeout=120)
    output = log.read_text(errors="replace")
    # uvicorn stops gracefully, then re-raises the signal it caught: -SIGTERM here is a clean stop
    assert server.returncode in (0, -signal.SIGTERM) and "Application shutdown complete" in output, output[-3000:]
    assert bad == [] and errors[0] > 0, "every answer was a 200 until the server stopped, and the load outlived it"
    logged = Database(database_url).count_questions()
    assert logged >= ok[0], f"{ok[0]} answers, {logged} rows\n{output[-3000:]}"
    assert logged == ok[0], f"nothing else writes: {ok[0]} answers, {logged} rows"
    assert "not written" not in output and "refuses" not in output
