"""The question log: every /api/ask recorded (masked, no IP), feedback, retention, concurrency, migrations."""
from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.embedder import Embedder
from service.app import create_app
from service.database import Database, FeedbackError, QuestionRecord, utcnow
from service.storage.schema import MIGRATIONS
from service.privacy import mask, visitor_hash
from service.settings import Settings
from tests.test_api import assert_error


def rows_for(client: TestClient, answer_id: str) -> list[dict[str, Any]]:
    return [r for r in client.app.state.database.questions() if r["id"] == answer_id]  # type: ignore[attr-defined]


def test_every_ask_is_recorded_masked_and_without_ip(client: TestClient) -> None:
    question = "how long does a session last? I'm jane@example.com, born 12/05/1980, tel 604-555-0199"
    body = client.post("/api/ask", json={"question": question, "conversation_id": "conv-1"}).json()
    [row] = rows_for(client, body["id"])
    assert row["question"] == "how long does a session last? I'm [email], [date of birth], tel [phone]"
    assert row["status"] == body["status"] and row["reason"] == body["reason"]
    if body["status"] == "answered":
        assert row["answer"] == body["answer"] and row["answer"]
        assert row["top_article"] == body["sources"][0]["article_id"]
        assert row["top_score"] == body["sources"][0]["score"]
    else:
        assert row["answer"] == "" and row["nearest_passage"]
    assert row["conversation_id"] == "conv-1" and row["latency_ms"] > 0
    assert row["visitor"] == visitor_hash(client.app.state.secrets, "testclient", row["day"])  # type: ignore[attr-defined]
    stored = " ".join(str(v) for v in row.values())
    assert "testclient" not in stored and "jane@example.com" not in stored and "604-555-0199" not in stored


def test_refusals_keep_the_nearest_passage(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "how much is botox?"}).json()
    [row] = rows_for(client, body["id"])
    assert row["status"] == "no_answer" and row["answer"] == "" and row["top_article"] is None
    assert row["nearest_passage"] and "#" in row["nearest_passage"] and row["nearest_score"] is not None


def test_emergencies_are_recorded(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "i think im having a stroke, my face is drooping"}).json()
    [row] = rows_for(client, body["id"])
    assert row["status"] == "emergency" and row["nearest_passage"] is None


def test_bad_conversation_id_is_422(client: TestClient) -> None:
    assert_error(client.post("/api/ask", json={"question": "hi", "conversation_id": "<script>"}), 422)


def test_feedback_is_stored_once(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "does cupping leave marks?"}).json()
    response = client.post("/api/feedback", json={"id": body["id"], "helpful": False, "comment": "too short"})
    assert response.status_code == 201
    [row] = rows_for(client, body["id"])
    assert row["helpful"] == 0 and row["comment"] == "too short"
    assert_error(client.post("/api/feedback", json={"id": body["id"], "helpful": True}), 409)
    assert_error(client.post("/api/feedback", json={"id": uuid.uuid4().hex, "helpful": True}), 404)


def test_a_vote_waits_briefly_for_an_answer_another_worker_is_still_writing(client: TestClient) -> None:
    """The answer was given by another process whose writer has not written it yet: the vote still counts."""
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    answer_id = uuid.uuid4().hex
    other_worker = threading.Timer(0.15, database.record_question, [QuestionRecord(
        id=answer_id, question="does cupping leave marks?", status="answered", answer="", latency_ms=1.0)])
    other_worker.start()
    response = client.post("/api/feedback", json={"id": answer_id, "helpful": True})
    other_worker.join()
    assert response.status_code == 201, response.text
    [row] = rows_for(client, answer_id)
    assert row["helpful"] == 1


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("write to john.smith+clinic@mail.example.org", "write to [email]"),
        ("my number is (604) 555-0199", "my number is [phone]"),
        ("call +1 604 555 0199 tomorrow", "call [phone] tomorrow"),
        ("DOB: 1980-05-12", "[date of birth]"),
        ("I was born on 3 May 1979", "I was [date of birth]"),
        ("appointment on 12.06.2024?", "appointment on [date]?"),
        ("card 4111 1111 1111 1111", "card [number]"),
        ("policy 123456789", "policy [number]"),
        ("sessions are 30-60 minutes, 1-2 a week, $85", "sessions are 30-60 minutes, 1-2 a week, $85"),
        ("I'm 45 with 2 kids", "I'm 45 with 2 kids"),
    ],
)
def test_masking(text: str, masked: str) -> None:
    assert mask(text) == masked


def test_visitor_hash_changes_daily_and_needs_the_key() -> None:
    assert visitor_hash("k", "10.0.0.1", "2026-01-01") == visitor_hash("k", "10.0.0.1", "2026-01-01")
    assert visitor_hash("k", "10.0.0.1", "2026-01-01") != visitor_hash("k", "10.0.0.1", "2026-01-02")
    assert visitor_hash("k", "10.0.0.1", "2026-01-01") != visitor_hash("other", "10.0.0.1", "2026-01-01")
    assert "10.0.0.1" not in visitor_hash("k", "10.0.0.1", "2026-01-01")


def record(database: Database, n: int = 0, days_ago: float = 0) -> str:
    answer_id = uuid.uuid4().hex
    database.record_question(QuestionRecord(id=answer_id, question=f"question {n}", status="answered",
                                            answer="a", latency_ms=1.0,
                                            asked_at=utcnow() - timedelta(days=days_ago)))
    return answer_id


def test_schema_is_created_and_migrated_once(database_url: str) -> None:
    database = Database(database_url)
    assert database.schema_version == len(MIGRATIONS)
    record(database)
    again = Database(database_url)
    assert again.schema_version == len(MIGRATIONS)
    assert again.count_questions() == 1
    if database.path is not None:
        with again.backend.read() as tx:
            assert tx.rows("PRAGMA journal_mode")[0]["journal_mode"] == "wal"


def test_a_version_2_sqlite_file_is_migrated_and_loses_its_stored_key(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        conn.executescript(script)
    conn.execute("INSERT INTO meta (key, value) VALUES ('secret_key', 'the old key')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    database = Database(path)
    assert database.schema_version == len(MIGRATIONS)
    with database.backend.read() as tx:
        assert tx.rows("SELECT * FROM meta") == [], "the signing key no longer lives in the database"


def test_retention_deletes_old_records_and_their_feedback(database_url: str) -> None:
    database = Database(database_url)
    old = record(database, days_ago=91)
    database.record_feedback(old, True)
    keep = record(database, days_ago=89)
    assert database.purge_older_than(90) == 1
    assert [r["id"] for r in database.questions()] == [keep]
    with database.backend.read() as tx:
        assert tx.one("SELECT COUNT(*) AS n FROM feedback") == {"n": 0}
    with pytest.raises(FeedbackError):
        database.record_feedback(old, False)


def test_feedback_errors_on_both_databases(database_url: str) -> None:
    database = Database(database_url)
    answer = record(database)
    with pytest.raises(FeedbackError) as unknown:
        database.record_feedback("f" * 32, True)
    assert unknown.value.code == "unknown_answer"
    database.record_feedback(answer, False, "too vague")
    with pytest.raises(FeedbackError) as again:
        database.record_feedback(answer, True)
    assert again.value.code == "already_voted"
    assert [(r["helpful"], r["comment"]) for r in database.questions()] == [(0, "too vague")]


def test_retention_runs_when_the_app_starts(index_dir: Path, embedder: Embedder, database_url: str) -> None:
    database = Database(database_url)
    record(database, days_ago=40)
    fresh = record(database, days_ago=1)
    settings = Settings(index_dir=index_dir, database=database_url, retention_days=30)
    with TestClient(create_app(settings, embedder)) as app_client:
        assert [r["id"] for r in app_client.app.state.database.questions()] == [fresh]  # type: ignore[attr-defined]


def test_concurrent_threads_lose_nothing(database_url: str) -> None:
    database = Database(database_url)
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for n in range(50):
                record(database, offset + n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i * 100,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert database.count_questions() == 400


def _process_writer(target: str, offset: int) -> None:
    database = Database(target)
    for n in range(60):
        record(database, offset + n)


def test_several_worker_processes_lose_nothing(database_url: str) -> None:
    Database(database_url)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_process_writer, args=(database_url, i * 1000)) for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    assert Database(database_url).count_questions() == 180
    if "://" not in database_url:
        assert sqlite3.connect(database_url).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_retrieval_never_sees_personal_data() -> None:
    from service.privacy import redact

    assert redact("how long is a session? mail jane@example.com or call 604-555-0199") == \
        "how long is a session? mail or call"
