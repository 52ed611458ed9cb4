"""The JSON API against the real app: shapes, statuses, follow-ups and the one error shape."""
from __future__ import annotations

import json
import os
from typing import Any

import pytest
from fastapi.testclient import TestClient

ASK_KEYS = {"id", "status", "answer", "sources", "reason"}
SOURCE_KEYS = {"article_id", "title", "url", "section", "passage", "score"}


def assert_error(response: Any, status: int) -> dict[str, Any]:
    """Every error has the same shape: {"error": {"status", "code", "message"[, "details"]}}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error  # type: ignore[no-any-return]


def test_ask_answers_with_quote_and_sources(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "how long does a session last?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ASK_KEYS
    assert body["status"] == "answered"
    assert body["reason"] is None  # a reason only comes with no_answer
    assert "30–60 minutes" in body["answer"]
    assert body["sources"], body
    assert all(set(s) == SOURCE_KEYS for s in body["sources"])
    articles = [s["article_id"] for s in body["sources"]]
    assert len(articles) == len(set(articles)), "at most one source per article"
    scores = [s["score"] for s in body["sources"]]
    assert scores == sorted(scores, reverse=True)
    assert body["sources"][0]["article_id"] == "relieving-upper-back-pain-with-acupuncture"
    assert body["sources"][0]["section"] == "What to Expect During an Acupuncture Session"


def test_answer_is_never_a_call_to_action(client: TestClient) -> None:
    for question in ["how do i book a discovery call with dee?", "what is your instagram?",
                     "what products do you recommend for back pain?"]:
        body = client.post("/api/ask", json={"question": question}).json()
        for banned in ("BOOK A FREE", "Instagram", "Balmorex", "HERE"):
            assert banned not in body["answer"], (question, body["answer"])


def test_off_topic_question_gets_contact_details(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "who is the president?"}).json()
    assert body["status"] == "no_answer"
    assert body["reason"] == "off_topic"
    assert body["sources"] == []
    for contact in ("+1 555 0100", "hello@harbour.test", "https://harbour.test/book", "Harbour Acupuncture"):
        assert contact in body["answer"]


def test_emergency_comes_before_retrieval(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "I have crushing chest pain after my acupuncture session"}).json()
    assert body["status"] == "emergency"
    assert body["answer"].startswith("This sounds like a medical emergency") or "911" in body["answer"].split(".")[0]
    assert "911" in body["answer"]
    assert body["sources"] == []


def test_follow_up_uses_history(client: TestClient) -> None:
    first = client.post("/api/ask", json={"question": "what is qi?"}).json()
    assert first["status"] == "answered"
    follow = client.post("/api/ask", json={
        "question": "and how does the needling change it?",
        "history": [{"question": "what is qi?", "answer": first["answer"]}],
    }).json()
    alone = client.post("/api/ask", json={"question": "and how does the needling change it?"}).json()
    assert follow["status"] == "answered"
    assert follow["answer"] != first["answer"], "a follow-up does not repeat the previous answer"
    assert "blockages" in follow["answer"] or "Qi" in follow["answer"], follow["answer"]
    assert alone["answer"] != follow["answer"]


def test_ids_are_unique(client: TestClient) -> None:
    ids = {client.post("/api/ask", json={"question": "does cupping hurt?"}).json()["id"] for _ in range(3)}
    assert len(ids) == 3


def test_search_ranks_passages(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "cupping marks", "k": 4})
    assert response.status_code == 200
    body = response.json()
    assert body["k"] == 4 and len(body["results"]) == 4
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert body["results"][0]["article_id"] == "cupping-therapy"
    first = body["results"][0]
    assert len(first["sentences"]) == len(first["sentence_scores"])


def test_search_default_k(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "needles"}).json()
    assert len(body["results"]) == 10


def test_health_and_readiness(client: TestClient) -> None:
    ready = client.get("/readyz").json()
    assert client.get("/healthz").json() == {"status": "ok", "pid": os.getpid(),
                                              "build_id": ready["index"]["build_id"]}, "which process, which build"
    assert ready["status"] == "ready"
    assert ready["index"]["model"] == "all-MiniLM-L6-v2"
    assert ready["index"]["passage_count"] > 0
    assert ready["index"]["article_count"] == 7


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/ask" in spec["paths"] and "/api/search" in spec["paths"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "    "}, "question"),
        ({"question": "x" * 1001}, "question"),
        ({}, "question"),
        ({"question": 42}, "question"),
        ({"question": "ok?", "history": "nope"}, "history"),
        ({"question": "ok?", "history": [{"answer": "no question"}]}, "history.0.question"),
    ],
)
def test_bad_questions_are_422(client: TestClient, payload: dict[str, Any], field: str) -> None:
    error = assert_error(client.post("/api/ask", json=payload), 422)
    assert any(d["field"] == field for d in error["details"]), error
    assert field.split(".")[0] in error["message"]


def test_over_long_question_message_is_readable(client: TestClient) -> None:
    error = assert_error(client.post("/api/ask", json={"question": "why " * 300}), 422)
    assert "1000" in error["message"]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/api/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert_error(response, 422)


def test_huge_body_is_413(client: TestClient) -> None:
    body = json.dumps({"question": "a" * 200_000})
    assert_error(client.post("/api/ask", content=body, headers={"content-type": "application/json"}), 413)


def test_streamed_huge_body_is_413(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(100):
            yield b"a" * 1024

    assert_error(client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"}), 413)


def test_unknown_path_and_method(client: TestClient) -> None:
    assert_error(client.get("/api/nope"), 404)
    assert_error(client.get("/api/ask"), 405)


def test_search_errors(client: TestClient) -> None:
    assert_error(client.get("/api/search"), 422)
    assert_error(client.get("/api/search", params={"q": "pain", "k": 0}), 422)
    assert_error(client.get("/api/search", params={"q": " "}), 422)


def test_hostile_input_is_answered_safely(client: TestClient) -> None:
    for question in ["<script>alert(1)</script> does it hurt?", "'; DROP TABLE passages; --",
                     "🙂" * 200, "what is qi?" + "\u202e" * 10, "\x00does it hurt?\x01"]:
        response = client.post("/api/ask", json={"question": question})
        assert response.status_code == 200, question
        assert response.json()["status"] in {"answered", "no_answer"}
    assert_error(client.post("/api/ask", json={"question": "\x00\x01\x02"}), 422)  # nothing visible
